"""Width, height and duration of an MP4, read from its header boxes (no decoder, no ffmpeg).

An MP4 (ISO-BMFF) is a sequence of boxes: ``[size:4][type:4][payload]`` (``size == 1``: a 64-bit
size follows; ``size == 0``: to the end of the file). The ``moov`` box, at the start of a
"fast start" file or at its end otherwise, holds ``mvhd`` (timescale and duration) and one ``trak``
per track, whose ``tkhd`` gives the presentation width and height (16.16 fixed point) and whose
``mdia/hdlr`` says whether it is video. Only those few fields are read; anything unexpected gives
``None`` rather than an exception, because the numbers are a nicety for the chat app's player.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_MOOV_MAX = 32 * 1024 * 1024  # a moov this big is not a header we want to read into memory


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """What a chat app's player wants before the first frame: size and length."""

    width: int
    height: int
    duration_s: float


def probe_mp4(path: Path) -> VideoInfo | None:
    """The video's width, height and duration, or ``None`` when the header cannot say."""
    try:
        with path.open("rb") as handle:
            moov = _find_moov(handle)
    except OSError:
        return None
    if moov is None:
        return None
    try:
        return _read_moov(moov)
    except (struct.error, ValueError, IndexError):
        return None


def _find_moov(handle: BinaryIO) -> bytes | None:
    offset = 0
    while True:
        handle.seek(offset)
        header = handle.read(8)
        if len(header) < 8:
            return None
        size, kind = struct.unpack(">I4s", header)
        header_size = 8
        if size == 1:
            large = handle.read(8)
            if len(large) < 8:
                return None
            size = struct.unpack(">Q", large)[0]
            header_size = 16
        if kind == b"moov":
            length = (size - header_size) if size else _MOOV_MAX
            if length <= 0 or length > _MOOV_MAX:
                return None
            return handle.read(length)
        if size == 0 or size < header_size:
            return None
        offset += size


def _boxes(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    offset = 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack_from(">I4s", data, offset)
        header = 8
        if size == 1:
            size = struct.unpack_from(">Q", data, offset + 8)[0]
            header = 16
        elif size == 0:
            size = len(data) - offset
        if size < header or offset + size > len(data):
            return
        yield kind, data[offset + header : offset + size]
        offset += size


def _child(data: bytes, kind: bytes) -> bytes | None:
    return next((payload for name, payload in _boxes(data) if name == kind), None)


def _read_moov(moov: bytes) -> VideoInfo | None:
    mvhd = _child(moov, b"mvhd")
    if mvhd is None:
        return None
    if mvhd[0] == 1:
        timescale, duration = struct.unpack_from(">IQ", mvhd, 4 + 16)
    else:
        timescale, duration = struct.unpack_from(">II", mvhd, 4 + 8)
    for name, trak in _boxes(moov):
        if name != b"trak" or not _is_video(trak):
            continue
        tkhd = _child(trak, b"tkhd")
        if tkhd is None:
            continue
        # After version/flags: times and ids (20 bytes in v0, 32 in v1), then 52 bytes of
        # reserved, layer, group, volume and matrix, then width and height.
        start = 4 + (32 if tkhd[0] == 1 else 20) + 52
        width, height = struct.unpack_from(">II", tkhd, start)
        width, height = width >> 16, height >> 16
        if width > 0 and height > 0 and timescale > 0:
            return VideoInfo(width, height, duration / timescale)
    return None


def _is_video(trak: bytes) -> bool:
    mdia = _child(trak, b"mdia")
    hdlr = _child(mdia, b"hdlr") if mdia is not None else None
    # No handler box: let the track's size decide.
    return hdlr is None or hdlr[8:12] == b"vide"
