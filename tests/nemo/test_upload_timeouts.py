"""Uploads to the backend are bounded per phase: a backend that stops reading the body, or never
answers once it has it, ends the upload with an error instead of holding the chat forever."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

import core.nemo.client as client_module
from core.nemo.auth import StaticToken
from core.nemo.client import NemoClient
from core.nemo.errors import BackendUnavailable
from core.nemo.transport import NemoTransport
from tests.nemo.helpers import ATTRIBUTION, STATIC_TOKEN, bytes_source


@pytest.fixture(autouse=True)
def _short_upload_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        client_module, "UPLOAD_TIMEOUT", httpx.Timeout(connect=5.0, write=0.3, read=0.3, pool=5.0)
    )


async def _stalled_server(*, read_body: bool) -> AsyncIterator[str]:
    stop = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if read_body:
            while await reader.read(1 << 16):
                pass  # take everything, answer nothing
        await stop.wait()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop.set()
        server.close()


@pytest.fixture
async def silent_after_body() -> AsyncIterator[str]:
    async for url in _stalled_server(read_body=True):
        yield url


@pytest.fixture
async def never_reads() -> AsyncIterator[str]:
    async for url in _stalled_server(read_body=False):
        yield url


async def _upload(base: str, size: int) -> None:
    async with httpx.AsyncClient() as http:
        client = NemoClient(NemoTransport(http, base, ATTRIBUTION), StaticToken(STATIC_TOKEN))
        await client.upload_files("s1", [bytes_source("clip.mp4", b"\0" * size, chunk=1 << 16)])


async def test_a_backend_that_never_answers_after_the_body_times_out(silent_after_body: str) -> None:
    with pytest.raises(BackendUnavailable, match="timed out"):
        await _upload(silent_after_body, 10_000)


async def test_a_backend_that_stops_reading_the_body_times_out(never_reads: str) -> None:
    with pytest.raises(BackendUnavailable, match="timed out"):
        await _upload(never_reads, 32 << 20)
