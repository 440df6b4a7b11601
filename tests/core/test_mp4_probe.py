"""The MP4 header probe against real files the simulator writes, and against bad input."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from core.mp4_probe import VideoInfo, probe_mp4
from simulator.media import build_mp4


@pytest.mark.parametrize(("width", "height", "duration_ms"), [(192, 108, 5000), (108, 192, 12_345)])
def test_width_height_and_duration_come_from_the_header(
    tmp_path: Path, width: int, height: int, duration_ms: int
) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"".join(build_mp4(width, height, duration_ms, pad_to=5000).chunks()))
    assert probe_mp4(path) == VideoInfo(width, height, duration_ms / 1000)


def test_a_moov_at_the_end_is_found(tmp_path: Path) -> None:
    """Files that are not "fast start" keep moov after mdat."""
    head = b"".join(build_mp4(192, 108, 2000).chunks())
    ftyp_size = struct.unpack(">I", head[:4])[0]
    moov_size = struct.unpack(">I", head[ftyp_size : ftyp_size + 4])[0]
    ftyp, moov, rest = (
        head[:ftyp_size],
        head[ftyp_size : ftyp_size + moov_size],
        head[ftyp_size + moov_size :],
    )
    path = tmp_path / "late.mp4"
    path.write_bytes(ftyp + rest + moov)
    assert probe_mp4(path) == VideoInfo(192, 108, 2.0)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not an mp4 at all",
        struct.pack(">I4s", 4, b"ftyp"),
        struct.pack(">I4s", 16, b"moov") + b"\0" * 8,
    ],
)
def test_anything_else_is_none_not_an_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "bad.mp4"
    path.write_bytes(data)
    assert probe_mp4(path) is None
    assert probe_mp4(tmp_path / "missing.mp4") is None
