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

import httpx
from httpx_sse import EventSource, SSEError

from core.nemo.auth import TokenSource
from core.nemo.envelope import unwrap
from core.nemo.errors import (
    AuthError,
    BackendUnavailable,
    RateLimited,
    StreamDropped,
    StreamTimedOut,
    agent_error_for,
)
from core.nemo.events import AgentEvent, Heartbeat, StreamError, TextChunk, ToolCall, parse_sse_message
from core.nemo.transcript import TurnTranscript
from core.nemo.transport import NemoTransport, translating_transport_errors

log = logging.getLogger(__name__)


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

    async def _send(self) -> httpx.Response:
        token = await self._tokens.get()
        headers = self._transport.headers(
            token, {"Content-Type": "application/json", "Accept": "text/event-stream"}
        )
        # The read timeout backs up the idle deadline below; connect/write stay short.
        timeout = httpx.Timeout(30.0, read=self._idle_s + 5.0)
        request = self._transport.http.build_request(
            "POST", self._transport.url("/run_sse"), json=self._body, headers=headers, timeout=timeout
        )
        with translating_transport_errors("POST /run_sse"):
            return await self._transport.http.send(request, stream=True)

    async def _open_once(self) -> httpx.Response:
        response = await self._send()
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
        renewed = waited = False
        while True:
            try:
                return await self._open_once()
            except AuthError:
                # Refused before it started: re-authenticating and asking once more is not a re-send.
                if renewed:
                    raise
                renewed = True
                await self._tokens.renew(await self._tokens.get())
            except RateLimited:
                if waited:
                    raise
                waited = True
                await self._sleep(self._rate_limit_wait_s)

    async def _read(self, response: httpx.Response) -> AsyncGenerator[AgentEvent, None]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        hard_deadline = started + self._max_s
        idle_deadline = started + self._idle_s
        sse = EventSource(response).aiter_sse()
        saw_text = False
        try:
            while True:
                deadline = min(hard_deadline, idle_deadline)
                try:
                    async with asyncio.timeout_at(deadline):
                        message = await anext(sse)
                except StopAsyncIteration:
                    break
                except TimeoutError:
                    idle = idle_deadline < hard_deadline
                    raise StreamTimedOut(
                        "the agent sent only heartbeats for too long" if idle else "the turn took too long",
                        idle=idle,
                    ) from None
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
                        idle_deadline = loop.time() + self._idle_s
                    if isinstance(event, TextChunk) and self.transcript.add(event):
                        saw_text = True
                    elif isinstance(event, ToolCall):
                        self.tool_calls.append(event)
                    yield event
        finally:
            log.debug("turn stream closed after %.1fs", loop.time() - started)
        self.finished = True
