"""``core.nemo.multipart``: a streamed ``files`` body that a real multipart parser reads back."""

from __future__ import annotations

import email.parser
import email.policy
from collections.abc import AsyncGenerator
from pathlib import Path

import pytest

from core.nemo.errors import UploadIncomplete
from core.nemo.multipart import CHUNK_SIZE, MultipartBody, UploadSource, read_file_chunks
from tests.nemo.helpers import aiter_chunks, bytes_source


async def collect(body: MultipartBody, progress: list[int] | None = None) -> bytes:
    return b"".join([chunk async for chunk in body.stream(progress.append if progress is not None else None)])


def parse(body: MultipartBody, raw: bytes) -> list[tuple[str, str | None, str, bytes]]:
    """(field name, filename, content type, payload) of each part, via the stdlib MIME parser."""
    head = f"Content-Type: {body.headers['Content-Type']}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
    parts = []
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        parts.append(
            (
                str(part.get_param("name", header="content-disposition")),
                part.get_filename(),
                part.get_content_type(),
                payload,
            )
        )
    return parts


async def test_several_files_become_parts_of_one_files_field(tmp_path: Path) -> None:
    """Each source is one part named ``files`` with its filename, type and exact bytes."""
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"\x00\x01mp4" * 1000)
    body = MultipartBody(
        [UploadSource.from_path(video), bytes_source("song.mp3", b"ID3" * 500, content_type="audio/mpeg")]
    )
    raw = await collect(body)
    assert parse(body, raw) == [
        ("files", "clip.mp4", "video/mp4", video.read_bytes()),
        ("files", "song.mp3", "audio/mpeg", b"ID3" * 500),
    ]


async def test_the_content_length_matches_the_streamed_bytes_when_sizes_are_known(tmp_path: Path) -> None:
    """With every size known the body announces its exact length."""
    path = tmp_path / "a.png"
    path.write_bytes(bytes(range(256)) * 40)
    body = MultipartBody([UploadSource.from_path(path), bytes_source("b.mov", b"x" * 12345)])
    raw = await collect(body)
    assert body.content_length == len(raw)
    assert body.headers["Content-Length"] == str(len(raw))


async def test_an_unsized_source_makes_the_body_chunked() -> None:
    """A source of unknown size leaves Content-Length out (the request goes chunked)."""
    body = MultipartBody([bytes_source("a.mp4", b"abc", sized=False)])
    assert body.content_length is None
    assert "Content-Length" not in body.headers
    assert body.headers["Content-Type"] == f"multipart/form-data; boundary={body.boundary}"


async def test_progress_counts_file_bytes_up_to_the_total() -> None:
    """The progress callback sees a rising count of file bytes that ends at their sum."""
    progress: list[int] = []
    body = MultipartBody(
        [bytes_source("a.mp4", b"a" * 10_000, chunk=3000), bytes_source("b.mp4", b"b" * 500)]
    )
    await collect(body, progress)
    assert progress == sorted(progress)
    assert progress[-1] == 10_500
    assert progress[:4] == [3000, 6000, 9000, 10_000]


async def test_a_filename_cannot_forge_headers() -> None:
    """Quotes and line breaks in a filename are neutralised inside the part header."""
    body = MultipartBody([bytes_source('evil"\r\nX-Injected: 1.mp4', b"data")])
    raw = await collect(body)
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"X-Injected: 1" not in head.split(b"\r\n")
    assert head.count(b"\r\n") == 2  # boundary, Content-Disposition, Content-Type only
    assert b'filename="evil%22  X-Injected: 1.mp4"' in head


async def test_each_body_gets_its_own_boundary() -> None:
    """Two bodies never share a boundary, and the data never contains it."""
    first, second = MultipartBody([]), MultipartBody([])
    assert first.boundary != second.boundary
    assert await collect(first) == f"--{first.boundary}--\r\n".encode()


async def test_a_source_is_opened_afresh_for_every_stream(tmp_path: Path) -> None:
    """Streaming a body twice (a retried upload) re-reads the file from the start."""
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"0123456789" * 100)
    body = MultipartBody([UploadSource.from_path(path)])
    assert await collect(body) == await collect(body)


async def test_a_file_is_read_in_bounded_chunks(tmp_path: Path) -> None:
    """``read_file_chunks`` never hands out more than the chunk size at once."""
    path = tmp_path / "big.mp4"
    path.write_bytes(b"z" * (CHUNK_SIZE * 2 + 17))
    sizes = [len(chunk) async for chunk in read_file_chunks(path)]
    assert sizes == [CHUNK_SIZE, CHUNK_SIZE, 17]


async def test_reading_ahead_keeps_the_bytes_in_order_and_stops_cleanly(tmp_path: Path) -> None:
    """The read-ahead returns the file as is, and a consumer that stops early leaves no read behind."""
    path = tmp_path / "clip.mp4"
    data = bytes(range(256)) * 40
    path.write_bytes(data)
    assert b"".join([chunk async for chunk in read_file_chunks(path, chunk_size=1000)]) == data
    reader = read_file_chunks(path, chunk_size=1000)
    assert isinstance(reader, AsyncGenerator)
    assert await anext(reader) == data[:1000]  # the second chunk is being read meanwhile
    await reader.aclose()
    path.unlink()  # the handle was closed (and on any OS the file can go)


def test_from_path_guesses_the_type_and_size(tmp_path: Path) -> None:
    """``UploadSource.from_path`` takes the name, MIME type and size from the file."""
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8" * 10)
    source = UploadSource.from_path(path)
    assert (source.filename, source.content_type, source.size) == ("photo.jpg", "image/jpeg", 20)
    assert (
        UploadSource.from_path(path, filename="other.unknownext").content_type == "application/octet-stream"
    )


async def test_a_source_shorter_than_its_stated_size_raises_before_the_body_ends() -> None:
    """Review §3.4: 2,048 bytes behind a stated 5,000 must not go out under a wrong Content-Length."""
    short = UploadSource("clip.mp4", "video/mp4", lambda: aiter_chunks([b"x" * 2048]), 5000)
    body = MultipartBody([short])
    with pytest.raises(UploadIncomplete) as raised:
        await collect(body)
    assert (raised.value.stated, raised.value.read) == (5000, 2048)


async def test_a_source_longer_than_its_stated_size_raises_before_the_extra_bytes_go_out() -> None:
    long = UploadSource("clip.mp4", "video/mp4", lambda: aiter_chunks([b"x" * 800, b"\xff" * 800]), 1000)
    body = MultipartBody([long])
    streamed: list[bytes] = []

    async def send() -> None:
        async for chunk in body.stream():
            streamed.append(chunk)  # noqa: PERF401 -- the bytes that went out before the error

    with pytest.raises(UploadIncomplete):
        await send()
    assert b"\xff" not in b"".join(streamed)
    assert len(b"".join(streamed)) < (body.content_length or 0)
