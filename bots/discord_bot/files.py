"""Fetching a user's attachment, only when the core asks for its bytes.

Discord's attachment URLs are signed and expire (slash-command attachments are even deleted after a
while), so nothing is handed to the backend for later: the file is streamed from the CDN into a
temporary directory, read back in chunks, and deleted as soon as the upload is over.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import discord

from core.nemo.multipart import CHUNK_SIZE, read_file_chunks
from core.ports import PlatformError

log = logging.getLogger(__name__)


class AttachmentUnavailable(PlatformError):
    """Discord would not deliver an attachment (expired URL, deleted, or not the announced size)."""


class AttachmentFetcher:
    """Streams attachments from Discord's CDN through temporary files; owns its HTTP session."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        # No total timeout: a 500 MB file takes a while; a stalled read still fails after 60 s.
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, sock_read=60))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def open(self, attachment: discord.Attachment) -> AsyncIterator[bytes]:
        """Yield the attachment's bytes (an async generator: one download per call)."""
        folder = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="nemobot-discord-"))
        try:
            path = folder / "attachment"
            await self._download(attachment, path)
            async for chunk in read_file_chunks(path):
                yield chunk
        finally:
            await asyncio.to_thread(shutil.rmtree, folder, ignore_errors=True)

    async def _download(self, attachment: discord.Attachment, path: Path) -> None:
        if self._session is None:
            raise AttachmentUnavailable("the fetcher is closed")
        written = 0
        try:
            async with self._session.get(attachment.url) as response:
                if response.status != 200:
                    raise AttachmentUnavailable(f"CDN answered HTTP {response.status}")
                handle = await asyncio.to_thread(path.open, "wb")
                try:
                    async for chunk in response.content.iter_chunked(CHUNK_SIZE):
                        written += len(chunk)
                        # The size was checked before the transfer; never take more than announced.
                        if written > attachment.size:
                            raise AttachmentUnavailable("the file is larger than Discord announced")
                        await asyncio.to_thread(handle.write, chunk)
                finally:
                    await asyncio.to_thread(handle.close)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise AttachmentUnavailable(f"download failed: {type(exc).__name__}") from exc
        log.debug("fetched attachment %s (%d bytes)", attachment.id, written)
