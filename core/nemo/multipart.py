"""A streaming ``multipart/form-data`` body, so uploads never sit whole in memory.

httpx's own multipart encoder only reads synchronous file objects; adapters hand us async byte
sources (a platform download, a temporary file), so the body is generated chunk by chunk here.
"""

from __future__ import annotations

import asyncio
import mimetypes
import secrets
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from core.nemo.errors import UploadIncomplete

# 1 MiB: one thread hop per chunk; larger chunks measured 10-30% faster than 256 KiB (bench).
CHUNK_SIZE = 1024 * 1024


@dataclass(frozen=True, slots=True)
class UploadSource:
    """One file to upload: a name, a MIME type, and a factory of its bytes.

    ``open`` is called once per attempt; ``size`` (when known) lets the body carry a Content-Length.
    """

    filename: str
    content_type: str
    open: Callable[[], AsyncIterator[bytes]]
    size: int | None = None

    @classmethod
    def from_path(cls, path: Path, *, filename: str | None = None) -> UploadSource:
        name = filename or path.name
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return cls(name, content_type, lambda: read_file_chunks(path), path.stat().st_size)


async def read_file_chunks(path: Path, chunk_size: int = CHUNK_SIZE) -> AsyncIterator[bytes]:
    """Yield a file's bytes in chunks, reading off the event loop, one chunk ahead.

    The next chunk is read in a thread while the current one is being sent, so the socket does
    not sit idle during each read (curl's edge in bench.upload_relay); at most two chunks are held.
    """
    handle = await asyncio.to_thread(path.open, "rb")
    ahead: asyncio.Future[bytes] | None = None
    try:
        ahead = asyncio.ensure_future(asyncio.to_thread(handle.read, chunk_size))
        while chunk := await ahead:
            ahead = asyncio.ensure_future(asyncio.to_thread(handle.read, chunk_size))
            yield chunk
    finally:
        if ahead is not None:
            if not ahead.done():
                # A thread cannot be cancelled: let its read finish before the file is closed.
                await asyncio.wait([ahead])
            if not ahead.cancelled():
                ahead.exception()  # a read error after the consumer stopped is moot, not "unretrieved"
        await asyncio.to_thread(handle.close)


def _quote(value: str) -> str:
    # RFC 7578: escape quotes and strip line breaks so a file name cannot forge a header.
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", " ").replace("\n", " ")


class MultipartBody:
    """The body of one ``files=…`` upload, with its headers."""

    def __init__(self, sources: Sequence[UploadSource], field: str = "files") -> None:
        self.boundary = f"nemobot-{secrets.token_hex(16)}"
        self._sources = sources
        self._field = field

    def _part_head(self, source: UploadSource) -> bytes:
        return (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="{self._field}"; filename="{_quote(source.filename)}"\r\n'
            f"Content-Type: {source.content_type}\r\n\r\n"
        ).encode()

    @property
    def _tail(self) -> bytes:
        return f"--{self.boundary}--\r\n".encode()

    @property
    def content_length(self) -> int | None:
        if any(source.size is None for source in self._sources):
            return None
        sizes = sum(len(self._part_head(s)) + (s.size or 0) + 2 for s in self._sources)
        return sizes + len(self._tail)

    @property
    def headers(self) -> dict[str, str]:
        headers = {"Content-Type": f"multipart/form-data; boundary={self.boundary}"}
        length = self.content_length
        if length is not None:
            headers["Content-Length"] = str(length)
        return headers

    async def stream(self, progress: Callable[[int], None] | None = None) -> AsyncIterator[bytes]:
        """The body's bytes; ``progress`` is told the running count of file bytes sent.

        A sized source is counted as it streams: one that yields more or fewer bytes than its stated
        size raises :class:`UploadIncomplete` before the announced Content-Length could be broken
        (HTTP's own check would fail later with a protocol error, or not at all).
        """
        sent = 0
        for source in self._sources:
            yield self._part_head(source)
            stated = source.size
            read = 0
            async for chunk in source.open():
                read += len(chunk)
                if stated is not None and read > stated:
                    raise UploadIncomplete(source.filename, stated, read)
                sent += len(chunk)
                if progress is not None:
                    progress(sent)
                yield chunk
            if stated is not None and read != stated:
                raise UploadIncomplete(source.filename, stated, read)
            yield b"\r\n"
        yield self._tail
