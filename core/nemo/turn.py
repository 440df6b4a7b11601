"""One chat turn over ``/run_sse``: open the stream, yield agent events, enforce the time limits.

A turn is never sent twice by this module. The only repeat is when the backend *refused* the turn
before accepting it (1001 token expired, 429 rate limited): nothing ran, so asking again is not a
re-send. Once the stream is open, a drop or a timeout is reported, never retried; the caller recovers
by reading the session state.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import TypeVar

import httpx
from httpx_sse import EventSource, SSEError

from core.nemo.auth import TokenSource, retry_refused
from core.nemo.envelope import unwrap
from core.nemo.errors import (
    BackendUnavailable,
    StreamDropped,
    StreamTimedOut,
    agent_error_for,
)
from core.nemo.events import AgentEvent, Heartbeat, StreamError, TextChunk, ToolCall, parse_sse_message
from core.nemo.transcript import TurnTranscript
from core.nemo.transport import NemoTransport, translating_transport_errors

log = logging.getLogger(__name__)

T = TypeVar("T")


class TurnStream:
    """The events of one agent turn, as an async context manager and async iterator.

    ``async with client.turn(session_id, text) as turn: async for event in turn: …``. Text is also
    assembled into :attr:`transcript` without duplicating partial chunks. Heartbeats are yielded so a
    caller can show liveness, but they do not count as progress: only heartbeats for
    ``idle_timeout_s`` is a timeout, and so is a turn longer than ``max_s``.
    """

    def __init__(
        self,
        transport: NemoTransport,
        tokens: TokenSource,
        body: dict[str, object],
        *,
        max_s: float,
        idle_timeout_s: float,
        rate_limit_wait_s: float,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._transport = transport
        self._tokens = tokens
        self._body = body
        self._max_s = max_s
        self._idle_s = idle_timeout_s
        self._rate_limit_wait_s = rate_limit_wait_s
        self._sleep = sleep
        self._response: httpx.Response | None = None
        self._events: AsyncGenerator[AgentEvent, None] | None = None
        self.transcript = TurnTranscript()
        self.tool_calls: list[ToolCall] = []
        self.finished = False

    @property
    def silent(self) -> bool:
        """True once the turn ended without any visible text (an edit done by tools alone)."""
        return self.finished and not self.transcript.has_text

    async def __aenter__(self) -> TurnStream:
        self._response = await self._open()
        self._events = self._read(self._response)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._events is not None:
            await self._events.aclose()
        if self._response is not None:
            await self._response.aclose()

    def __aiter__(self) -> AsyncIterator[AgentEvent]:
        if self._events is None:
            raise RuntimeError("use `async with` before iterating a TurnStream")
        return self._events

    async def _send(self, token: str) -> httpx.Response:
        headers = self._transport.headers(
            token, {"Content-Type": "application/json", "Accept": "text/event-stream"}
        )
        # The read timeout backs up the idle deadline below; connect/write stay short.
        timeout = httpx.Timeout(30.0, read=self._idle_s + 5.0)
        http = self._transport.stream_http
        request = http.build_request(
            "POST", self._transport.url("/run_sse"), json=self._body, headers=headers, timeout=timeout
        )
        with translating_transport_errors("POST /run_sse"):
            return await http.send(request, stream=True)

    async def _open_once(self, token: str) -> httpx.Response:
        response = await self._send(token)
        content_type = response.headers.get("content-type", "")
        if response.status_code == 200 and "text/event-stream" in content_type:
            return response
        try:
            with translating_transport_errors("POST /run_sse"):
                body = await response.aread()
        finally:
            await response.aclose()
        unwrap(response.status_code, body)  # raises the error the body carries
        raise BackendUnavailable(f"/run_sse answered {content_type or 'no content type'}, not a stream")

    async def _open(self) -> httpx.Response:
        # Refused before it started (1001, 429): asking once more is not a re-send.
        return await retry_refused(
            self._tokens, self._open_once, rate_limit_wait_s=self._rate_limit_wait_s, sleep=self._sleep
        )

    async def _read(self, response: httpx.Response) -> AsyncGenerator[AgentEvent, None]:
        loop = asyncio.get_running_loop()
        deadline = _StreamDeadline(loop, self._max_s, self._idle_s)
        sse = EventSource(response).aiter_sse()
        saw_text = False
        try:
            while True:
                deadline.check()
                try:
                    message = await deadline.wait_for(anext(sse))
                except StopAsyncIteration:
                    break
                except SSEError as exc:
                    raise BackendUnavailable("/run_sse sent a malformed event stream") from exc
                except httpx.TransportError as exc:
                    raise StreamDropped(
                        f"the event stream was cut ({type(exc).__name__})", saw_text=saw_text
                    ) from exc
                for event in parse_sse_message(message.data, message.event):
                    if isinstance(event, StreamError):
                        raise agent_error_for(event.message, event.code)
                    if not isinstance(event, Heartbeat):
                        deadline.progress()
                    if isinstance(event, TextChunk) and self.transcript.add(event):
                        saw_text = True
                    elif isinstance(event, ToolCall):
                        self.tool_calls.append(event)
                    yield event
        finally:
            deadline.close()
            log.debug("turn stream closed after %.1fs", loop.time() - deadline.started)
        self.finished = True


class _StreamDeadline:
    """The idle and hard deadlines of one stream, kept by a single timer.

    A timeout context per message (``asyncio.timeout_at``) costs a Timeout object, a heap push and a
    cancelled heap entry for every event; at thousands of events a second that showed in the profile.
    Here progress only moves a float; the one timer wakes at the old deadline, sees the new one and
    sleeps again, so it fires about once per idle period. When a deadline has really passed while
    the stream is waiting for data, the waiting task is cancelled and the cancellation is turned into
    :class:`StreamTimedOut`, the way ``asyncio.timeout`` does it (``uncancel`` keeps outer cancels).
    """

    __slots__ = ("_cancel_base", "_handle", "_idle_s", "_loop", "_waiting", "hard", "idle", "started")

    def __init__(self, loop: asyncio.AbstractEventLoop, max_s: float, idle_s: float) -> None:
        self._loop = loop
        self._idle_s = idle_s
        self.started = loop.time()
        self.hard = self.started + max_s
        self.idle = self.started + idle_s
        self._waiting: asyncio.Task[object] | None = None
        self._cancel_base: int | None = None  # set when this timer cancelled the waiting task
        self._handle: asyncio.TimerHandle | None = loop.call_at(min(self.hard, self.idle), self._fire)

    def progress(self) -> None:
        """Real progress (not a heartbeat): the idle deadline starts again from now."""
        self.idle = self._loop.time() + self._idle_s

    def _expired(self) -> StreamTimedOut:
        idle = self.idle < self.hard
        return StreamTimedOut(
            "the agent sent only heartbeats for too long" if idle else "the turn took too long", idle=idle
        )

    def _fire(self) -> None:
        self._handle = None
        due = min(self.hard, self.idle)
        if self._loop.time() < due:
            self._handle = self._loop.call_at(due, self._fire)
        elif self._waiting is not None and self._cancel_base is None:
            self._cancel_base = self._waiting.cancelling()
            self._waiting.cancel()
        # Otherwise the consumer is busy with an event; the next wait_for sees the deadline passed.

    def check(self) -> None:
        """Raise :class:`StreamTimedOut` if a deadline passed while the consumer was busy."""
        if self._loop.time() >= min(self.hard, self.idle):
            raise self._expired()

    async def wait_for(self, step: Awaitable[T]) -> T:
        """Await ``step`` (the next message); a deadline passing meanwhile raises StreamTimedOut."""
        task = asyncio.current_task()
        self._waiting = task
        try:
            return await step
        except asyncio.CancelledError:
            base = self._cancel_base
            if base is not None and task is not None:
                self._cancel_base = None
                if task.uncancel() <= base:
                    raise self._expired() from None
            raise
        finally:
            self._waiting = None

    def close(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
