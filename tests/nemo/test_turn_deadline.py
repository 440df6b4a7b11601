"""The one-timer deadline of a turn stream: progress re-arms it, a busy consumer is never cancelled,
an expired wait becomes StreamTimedOut and an outside cancel stays a cancel."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from core.nemo.client import NemoClient
from core.nemo.errors import StreamTimedOut
from core.nemo.events import AgentEvent, TextChunk
from tests.nemo.helpers import mock_client
from tests.nemo.test_client_turns import adk


class GatedStream(httpx.AsyncByteStream):
    """An SSE body whose frames are released one by one by the test (``release``), then it hangs."""

    def __init__(self, frames: list[bytes]) -> None:
        self._frames = frames
        self.gate: asyncio.Queue[None] = asyncio.Queue()
        self.waiting = asyncio.Event()

    def release(self, count: int = 1) -> None:
        for _ in range(count):
            self.gate.put_nowait(None)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for frame in self._frames:
            self.waiting.set()
            await self.gate.get()
            self.waiting.clear()
            yield frame
        self.waiting.set()
        await asyncio.Event().wait()  # the agent goes silent
        yield b""  # pragma: no cover


def gated(stream: GatedStream) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=stream)


def text_frame(index: int) -> bytes:
    return adk({"text": f"part {index} "}, partial=True)


async def consume(client: NemoClient, stream: GatedStream, *, release: int, work_s: float) -> int:
    """Read a turn, spending ``work_s`` on each event as a busy caller would; returns events handled."""
    handled = 0
    async with client.turn("s1", "hello") as turn:
        stream.release(release)
        async for _event in turn:
            await asyncio.sleep(work_s)
            handled += 1
    return handled


async def test_progress_keeps_a_turn_alive_across_many_idle_periods() -> None:
    """Text arriving within the idle limit each time keeps the single timer re-arming, not firing."""
    stream = GatedStream([text_frame(i) for i in range(8)] + [adk({"text": "done"})])
    client, http = mock_client(lambda request: gated(stream), sse_idle_timeout_s=0.3, sse_max_s=60)
    events: list[AgentEvent] = []
    async with http, client.turn("s1", "hello") as turn:
        for _ in range(9):
            stream.release()
            events.append(await anext(aiter(turn)))
            await asyncio.sleep(0.1)  # 9 × 0.1 s: three idle periods in all, never one without text
    assert [e.text for e in events if isinstance(e, TextChunk)][-1] == "done"


async def test_a_busy_consumer_is_not_cancelled_and_the_next_read_times_out() -> None:
    """The deadline passing while the caller works on an event must not cancel the caller's work."""
    stream = GatedStream([text_frame(0)])
    client, http = mock_client(lambda request: gated(stream), sse_idle_timeout_s=0.2, sse_max_s=60)
    handled: list[int] = []

    async def read() -> None:
        async with client.turn("s1", "hello") as turn:
            stream.release()
            async for _event in turn:
                await asyncio.sleep(0.5)  # longer than the idle limit: the timer fires meanwhile
                handled.append(1)

    async with http:
        with pytest.raises(StreamTimedOut) as raised:
            await read()
    assert handled == [1]
    assert raised.value.idle is True


async def test_an_expired_wait_raises_timed_out_and_leaves_the_task_uncancelled() -> None:
    stream = GatedStream([text_frame(0)])
    client, http = mock_client(lambda request: gated(stream), sse_idle_timeout_s=0.2, sse_max_s=60)
    async with http:
        with pytest.raises(StreamTimedOut):
            await consume(client, stream, release=1, work_s=0)
    task = asyncio.current_task()
    assert task is not None
    assert task.cancelling() == 0
    await asyncio.sleep(0)  # a stray cancel would land here


async def test_the_hard_cap_fires_even_while_text_keeps_coming() -> None:
    stream = GatedStream([text_frame(i) for i in range(100)])
    client, http = mock_client(lambda request: gated(stream), sse_idle_timeout_s=30, sse_max_s=0.3)
    async with http:
        with pytest.raises(StreamTimedOut) as raised:
            await consume(client, stream, release=100, work_s=0.02)
    assert raised.value.idle is False


async def test_an_outside_cancel_while_waiting_stays_a_cancel() -> None:
    """Cancelling the reader (shutdown, /cancel) is not a timeout and must propagate as such."""
    stream = GatedStream([text_frame(0)])
    client, http = mock_client(lambda request: gated(stream), sse_idle_timeout_s=30, sse_max_s=60)
    first = asyncio.Event()

    async def read() -> None:
        async with client.turn("s1", "hello") as turn:
            async for _event in turn:
                first.set()

    async with http:
        reader = asyncio.create_task(read())
        stream.release()
        await first.wait()
        await stream.waiting.wait()
        reader.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reader
