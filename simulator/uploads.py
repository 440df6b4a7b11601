"""Uploads: multipart files streamed to disk chunk by chunk, or URL imports with made-up metadata."""

from __future__ import annotations

import asyncio
import hashlib
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import unquote, urlsplit

from aiohttp import BodyPartReader, MultipartReader

JsonObject = dict[str, Any]

FILE_TYPES: dict[str, str] = {
    **dict.fromkeys(("mp4", "mov", "avi", "webm", "mkv"), "video"),
    **dict.fromkeys(("jpg", "jpeg", "png", "gif", "webp"), "image"),
    **dict.fromkeys(("mp3", "wav", "m4a", "aac"), "audio"),
}
_CHUNK = 1 << 20
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_SHARE_HOST = re.compile(
    r"drive\.google\.com|docs\.google\.com|dropbox|onedrive|1drv\.ms|sharepoint\.com|icloud\.com|box\.com"
    r"|wetransfer\.com|we\.tl|mega\.nz|pan\.baidu\.com|aliyundrive|alipan|weiyun|pan\.quark\.cn|123pan|lanzou"
)


class UnsupportedFileError(Exception):
    """Code 4001: the extension is not one NemoVideo accepts."""


class FileTooLargeError(Exception):
    """Code 4002: the file passed the configured size limit."""


class NoFilesError(Exception):
    """The request carried no `files` field / no URLs."""


def file_type_of(name: str) -> str:
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    file_type = FILE_TYPES.get(extension)
    if file_type is None:
        raise UnsupportedFileError(f"unsupported file type: {name or '(no name)'}")
    return file_type


def safe_filename(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return _SAFE_NAME.sub("_", base).strip("._") or "file"


def fabricate_metadata(seed: int, digest: str, file_type: str) -> JsonObject:
    """Plausible duration/size/fps, fixed by the seed and the content hash; only where meaningful."""
    rng = random.Random(f"media/{seed}/{digest}")
    width, height = rng.choice([(1920, 1080), (1080, 1920), (1280, 720), (3840, 2160), (1080, 1080)])
    if file_type == "video":
        fps = rng.choice([24, 25, 30, 60])
        return {"duration": round(rng.uniform(4, 90), 1), "width": width, "height": height, "fps": fps}
    if file_type == "image":
        return {"width": width, "height": height}
    return {"duration": round(rng.uniform(15, 240), 1)}


@dataclass(frozen=True, slots=True)
class StoredUpload:
    """One accepted file: where it sits on disk (None for URL imports) and its response entry."""

    path: Path | None
    filename: str
    file_type: str
    digest: str
    size: int


async def receive_multipart(reader: MultipartReader, directory: Path, max_bytes: int) -> list[StoredUpload]:
    """Stream every `files` part to `directory`, never holding a whole file in memory.

    All-or-nothing: on any error the files written so far (including the partial one) are deleted.
    """
    stored: list[StoredUpload] = []
    try:
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, BodyPartReader) or part.name != "files":
                continue  # other fields (and nested multiparts) are not part of the contract
            stored.append(await _receive_part(part, directory, len(stored), max_bytes))
    except BaseException:
        await asyncio.to_thread(_delete, [item.path for item in stored])
        raise
    if not stored:
        raise NoFilesError("multipart field 'files' is required")
    return stored


async def _receive_part(part: BodyPartReader, directory: Path, index: int, max_bytes: int) -> StoredUpload:
    filename = part.filename or ""
    file_type = file_type_of(filename)
    name = safe_filename(filename)
    path = directory / f"{index:03d}_{name}"
    digest = hashlib.sha256()
    size = 0
    handle: BinaryIO = await asyncio.to_thread(path.open, "wb")
    try:
        while chunk := await part.read_chunk(_CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise FileTooLargeError(f"file too large: {name} exceeds {max_bytes} bytes")
            digest.update(chunk)
            await asyncio.to_thread(handle.write, chunk)
    except BaseException:
        await asyncio.to_thread(handle.close)
        await asyncio.to_thread(_delete, [path])
        raise
    await asyncio.to_thread(handle.close)
    return StoredUpload(path, name, file_type, digest.hexdigest()[:32], size)


def _delete(paths: list[Path | None]) -> None:
    for path in paths:
        if path is not None:
            path.unlink(missing_ok=True)


def import_urls(body: JsonObject) -> list[tuple[str, StoredUpload]]:
    """Validate a `{"urls":[...],"source_type":"url"}` body; nothing is fetched."""
    urls = body.get("urls")
    if not isinstance(urls, list) or not urls or not all(isinstance(url, str) for url in urls):
        raise NoFilesError("'urls' must be a non-empty list of strings")
    imported = []
    for url in urls:
        parts = urlsplit(url)
        name = unquote(parts.path.rsplit("/", 1)[-1])
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UnsupportedFileError(f"not a media URL: {url}")
        digest = hashlib.sha256(url.encode()).hexdigest()[:32]
        if _SHARE_HOST.search(parts.netloc.lower()) and name.rsplit(".", 1)[-1].lower() not in FILE_TYPES:
            # A cloud-drive or share link names no file: the backend fetches it and finds a video.
            name = f"shared_{digest[:8]}.mp4"
        file_type = file_type_of(name)
        imported.append((url, StoredUpload(None, safe_filename(name), file_type, digest, 0)))
    return imported
