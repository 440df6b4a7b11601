"""Helpers for the NemoVideo client tests: reading turns, byte sources, canned SSE servers."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import httpx

from core.nemo.auth import StaticToken
from core.nemo.client import NemoClient
from core.nemo.events import AgentEvent, TextChunk
from core.nemo.models import RenderStatus, SkillAttribution
from core.nemo.multipart import UploadSource
from core.nemo.transport import NemoTransport
from core.nemo.turn import TurnStream

ATTRIBUTION = SkillAttribution(source="nemo-video", version="1.9", platform="unknown")
SKILL_HEADERS = ("X-Skill-Source", "X-Skill-Version", "X-Skill-Platform")
WEB_URL = "https://nemovideo.test"
# Stands in for NEMO_RATE_LIMIT_WAIT_S; the recording sleep never really waits it.
RATE_LIMIT_WAIT_S = 0.25
MOCK_BASE = "http://nemo.mock"
STATIC_TOKEN = "nmv_usr_static-test-token"


class RecordingSleep:
    """An injected ``sleep`` that records what it was asked to wait and yields to the loop only."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        await asyncio.sleep(0)


class RequestLog:
    """An httpx request hook keeping every request the client sent, headers included."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> None:
        self.requests.append(request)

    def to(self, path: str) -> list[httpx.Request]:
        return [request for request in self.requests if request.url.path == path]


async def drain(turn: TurnStream) -> list[AgentEvent]:
    """Every event of an open turn, in order."""
    return [event async for event in turn]


async def run_turn(client: NemoClient, session_id: str, text: str) -> tuple[TurnStream, list[AgentEvent]]:
    """Send one turn and read it to the end."""
    async with client.turn(session_id, text) as turn:
        events = await drain(turn)
    return turn, events


async def read_turn_into(turn: TurnStream, events: list[AgentEvent]) -> None:
    """Enter and read a turn, appending to ``events`` so what arrived survives an exception."""
    async with turn:
        async for event in turn:
            events.append(event)  # noqa: PERF401 - a comprehension would lose events on an error


def final_texts(events: Sequence[AgentEvent]) -> list[str]:
    return [event.text for event in events if isinstance(event, TextChunk) and not event.partial]


async def wait_render(client: NemoClient, render_id: str, limit_s: float = 5.0) -> RenderStatus:
    """Poll a render until it finishes (the fast simulator renders in well under a second)."""
    async with asyncio.timeout(limit_s):
        while True:
            status = await client.render_status(render_id)
            if status.finished:
                return status
            await asyncio.sleep(0.02)


def exportable_draft(title: str = "Test") -> dict[str, Any]:
    """A draft the render proxy accepts: one video track with one 2-second clip."""
    return {
        "d": 2000,
        "m": {"title": title, "width": 640, "height": 360},
        "t": [{"tt": 0, "sg": [{"src": "https://cdn.example/clip.mp4", "start": 0, "d": 2000}]}],
    }


async def aiter_chunks(chunks: Sequence[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        await asyncio.sleep(0)
        yield chunk


def bytes_source(
    filename: str, data: bytes, *, content_type: str = "video/mp4", chunk: int = 4096, sized: bool = True
) -> UploadSource:
    """An async byte source over ``data`` (re-openable, like a temporary file)."""
    pieces = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    return UploadSource(filename, content_type, lambda: aiter_chunks(pieces), len(data) if sized else None)


class TrickleStream(httpx.AsyncByteStream):
    """A response body cut into random 1–7 byte pieces, like a slow proxy would deliver it."""

    def __init__(self, body: bytes, seed: int) -> None:
        self._body = body
        self._rng = random.Random(seed)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        position = 0
        while position < len(self._body):
            size = self._rng.randint(1, 7)
            yield self._body[position : position + size]
            position += size
            await asyncio.sleep(0)


def sse_response(body: bytes, *, seed: int | None = None) -> httpx.Response:
    """A ``text/event-stream`` answer, whole or (with a seed) trickled in tiny pieces."""
    headers = {"content-type": "text/event-stream"}
    if seed is None:
        return httpx.Response(200, headers=headers, content=body)
    return httpx.Response(200, headers=headers, stream=TrickleStream(body, seed))


Handler = Callable[[httpx.Request], httpx.Response]


def mock_client(handler: Handler, **options: Any) -> tuple[NemoClient, httpx.AsyncClient]:
    """A NemoClient with a static token whose HTTP calls go to ``handler`` (no sockets at all)."""
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    transport = NemoTransport(http, MOCK_BASE, ATTRIBUTION)
    return NemoClient(transport, StaticToken(STATIC_TOKEN), web_url=WEB_URL, **options), http
