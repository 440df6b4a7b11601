"""Uploads over loopback: several files in one streamed multipart request, URL imports, 4001/4002."""

from __future__ import annotations

import json
from pathlib import Path

import h11
import httpcore
import httpx
import pytest

from core.nemo.client import NemoClient
from core.nemo.errors import BackendUnavailable, FileTooLarge, UnsupportedFileType, UploadIncomplete
from core.nemo.models import SessionInfo
from core.nemo.multipart import UploadSource
from core.nemo.transport import NemoTransport
from simulator import Endpoint, Fault, FaultKind, Simulator
from tests.nemo.helpers import ATTRIBUTION, MOCK_BASE, RequestLog, aiter_chunks, bytes_source


def stored_bytes(sim: Simulator) -> dict[str, bytes]:
    """What the simulator wrote to disk, keyed by the file's stored name (``000_clip.mp4`` …)."""
    return {path.name: path.read_bytes() for path in sim.backend.uploaded_files.values()}


async def test_several_files_go_in_one_multipart_request_under_the_files_field(
    client: NemoClient, session: SessionInfo, sim: Simulator, sent: RequestLog, tmp_path: Path
) -> None:
    """A path, a sized async source and an unsized one travel together; the backend stores them intact."""
    clip = tmp_path / "holiday clip.mp4"
    clip.write_bytes(bytes(range(256)) * 300)
    photo = b"\x89PNG" + b"p" * 70_000
    song = b"ID3" + b"s" * 9_000
    sources = [
        UploadSource.from_path(clip),
        bytes_source("photo.png", photo, content_type="image/png"),
        bytes_source("song.mp3", song, content_type="audio/mpeg", sized=False),
    ]
    result = await client.upload_files(session.session_id, sources)

    assert [(f.filename, f.file_type) for f in result.files] == [
        ("holiday_clip.mp4", "video"),
        ("photo.png", "image"),
        ("song.mp3", "audio"),
    ]
    assert all(f.cdn_url for f in result.files)
    assert result.files[0].duration is not None
    assert result.files[0].width is not None
    assert sim.stats.requests[Endpoint.UPLOAD] == 1
    assert sim.stats.uploaded_files == 3
    assert sim.stats.uploaded_bytes == len(clip.read_bytes()) + len(photo) + len(song)
    assert stored_bytes(sim) == {
        "000_holiday_clip.mp4": clip.read_bytes(),
        "001_photo.png": photo,
        "002_song.mp3": song,
    }
    (request,) = [r for r in sent.requests if r.url.path.startswith("/api/upload-video/")]
    assert request.url.path == f"/api/upload-video/nemo_agent/me/{session.session_id}"
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    state = await client.state(session.session_id)
    assert [info["filename"] for info in state.video_infos] == ["holiday_clip.mp4", "photo.png", "song.mp3"]


async def test_an_uploaded_file_is_served_back_from_its_cdn_url(
    client: NemoClient, session: SessionInfo, http: httpx.AsyncClient
) -> None:
    """The returned ``cdn_url`` serves exactly the bytes that were uploaded."""
    data = b"\x00\x00\x00\x18ftypisom" + b"v" * 5000
    result = await client.upload_files(session.session_id, [bytes_source("clip.mp4", data)])
    url = result.files[0].cdn_url
    assert url is not None
    assert (await http.get(url)).content == data


async def test_sized_sources_send_a_content_length_and_unsized_ones_go_chunked(
    client: NemoClient, session: SessionInfo, sent: RequestLog
) -> None:
    """Known sizes give an exact Content-Length; an unknown size streams with chunked encoding."""
    await client.upload_files(session.session_id, [bytes_source("a.mp4", b"a" * 1000)])
    await client.upload_files(session.session_id, [bytes_source("b.mp4", b"b" * 1000, sized=False)])
    sized, unsized = [r for r in sent.requests if r.url.path.startswith("/api/upload-video/")]
    assert int(sized.headers["Content-Length"]) > 1000
    assert "Content-Length" not in unsized.headers
    assert unsized.headers["Transfer-Encoding"] == "chunked"


async def test_progress_is_reported_up_to_the_total(client: NemoClient, session: SessionInfo) -> None:
    """The progress callback rises monotonically and ends at the total file bytes."""
    progress: list[int] = []
    sources = [bytes_source("a.mp4", b"a" * 100_000, chunk=16_384), bytes_source("b.jpg", b"b" * 5_000)]
    await client.upload_files(session.session_id, sources, progress=progress.append)
    assert len(progress) > 5
    assert progress == sorted(progress)
    assert progress[-1] == 105_000


async def test_an_upload_refused_with_1001_is_re_sent_whole_with_a_new_token(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """The retry after a token renewal re-opens the source, so the stored file is complete."""
    data = bytes(range(256)) * 100
    sim.faults.add(Fault(kind=FaultKind.TOKEN_EXPIRED, endpoint=Endpoint.UPLOAD))
    await client.upload_files(session.session_id, [bytes_source("clip.mp4", data)])
    assert sim.stats.requests[Endpoint.UPLOAD] == 2
    assert stored_bytes(sim) == {"000_clip.mp4": data}


async def test_media_can_be_imported_by_url(
    client: NemoClient, session: SessionInfo, sim: Simulator, sent: RequestLog
) -> None:
    """URL mode posts ``{"urls": […], "source_type": "url"}`` and reads back one file per URL."""
    urls = ["https://media.example/trip.mp4", "https://media.example/cover.webp"]
    result = await client.upload_urls(session.session_id, urls)
    assert [(f.filename, f.file_type, f.cdn_url) for f in result.files] == [
        ("trip.mp4", "video", urls[0]),
        ("cover.webp", "image", urls[1]),
    ]
    (request,) = [r for r in sent.requests if r.url.path.startswith("/api/upload-video/")]
    assert json.loads(request.content) == {"urls": urls, "source_type": "url"}
    assert request.headers["Content-Type"] == "application/json"
    assert len((await client.state(session.session_id)).video_infos) == 2


async def test_an_unsupported_file_type_is_refused_with_4001(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """A ``.txt`` file raises UnsupportedFileType (code 4001 on HTTP 200) and nothing is stored."""
    with pytest.raises(UnsupportedFileType) as raised:
        await client.upload_files(
            session.session_id, [bytes_source("notes.txt", b"hello", content_type="text/plain")]
        )
    assert (raised.value.code, raised.value.http_status) == (4001, 200)
    assert sim.stats.uploaded_files == 0
    assert stored_bytes(sim) == {}


async def test_an_unsupported_url_is_refused_with_4001(client: NemoClient, session: SessionInfo) -> None:
    """URL mode refuses a file type NemoVideo does not take."""
    with pytest.raises(UnsupportedFileType):
        await client.upload_urls(session.session_id, ["https://media.example/archive.zip"])


async def test_a_file_over_the_size_limit_is_refused_with_4002(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """Past ``upload_max_bytes`` the backend answers 4002 (FileTooLarge) and keeps nothing."""
    sim.config.upload_max_bytes = 20_000
    with pytest.raises(FileTooLarge) as raised:
        await client.upload_files(session.session_id, [bytes_source("long.mp4", b"x" * 60_000)])
    assert raised.value.code == 4002
    assert stored_bytes(sim) == {}
    assert sim.stats.uploaded_files == 0


async def test_a_large_file_over_the_limit_is_refused_while_still_streaming(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """The 4002 answer arrives even though the backend stops reading a multi-megabyte body early."""
    sim.config.upload_max_bytes = 1 << 20
    source = bytes_source("big.mp4", b"x" * (8 << 20), chunk=1 << 16)
    with pytest.raises(FileTooLarge):
        await client.upload_files(session.session_id, [source])
    assert stored_bytes(sim) == {}


async def test_a_file_shorter_than_its_stated_size_fails_as_a_nemo_error_and_stores_nothing(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """The probe of review §3.4 over a real socket: a clear NemoError, never a raw h11 error."""
    short = UploadSource("clip.mp4", "video/mp4", lambda: aiter_chunks([b"x" * 2048]), 5000)
    with pytest.raises(UploadIncomplete):
        await client.upload_files(session.session_id, [short])
    assert sim.stats.uploaded_files == 0
    # The client is still usable afterwards (the half-sent connection was not reused).
    result = await client.upload_files(session.session_id, [bytes_source("ok.mp4", b"v" * 3000)])
    assert [f.filename for f in result.files] == ["ok.mp4"]


@pytest.mark.parametrize(
    "error",
    [
        h11.LocalProtocolError("Too little data for declared Content-Length"),
        httpcore.LocalProtocolError("Too much data for declared Content-Length"),
        httpcore.RemoteProtocolError("Server disconnected"),
    ],
)
async def test_protocol_errors_that_escape_httpx_become_backend_unavailable(error: Exception) -> None:
    """The transport's one translator also covers httpcore/h11 protocol errors (cf. encode/httpx#309)."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        transport = NemoTransport(http, MOCK_BASE, ATTRIBUTION)
        with pytest.raises(BackendUnavailable) as raised:
            await transport.call("POST", "/api/upload-video/x", token=None)
    assert raised.value.__cause__ is error
