"""Uploads: multipart streamed to disk, URL imports, type and size limits."""

from __future__ import annotations

import hashlib
import tracemalloc
from collections.abc import AsyncIterator

import httpx
import pytest

from simulator import Simulator
from tests.simulator.helpers import Api

MIB = 1024 * 1024


async def test_multipart_upload_of_several_files_fills_video_infos(api: Api) -> None:
    response = await api.upload(
        ("holiday.mp4", b"v" * 2048), ("cover.JPG", b"i" * 10), ("theme.mp3", b"a" * 10)
    )
    body = response.json()
    assert body["code"] == 0
    assert body["data"]["session_state_applied"] is True
    video, image, audio = body["data"]["files"]
    assert set(video) == {"filename", "file_type", "cdn_url", "duration", "width", "height", "fps", "hash"}
    assert (video["filename"], video["file_type"]) == ("holiday.mp4", "video")
    assert set(image) == {"filename", "file_type", "cdn_url", "width", "height", "hash"}
    assert set(audio) == {"filename", "file_type", "cdn_url", "duration", "hash"}
    assert video["hash"] == hashlib.sha256(b"v" * 2048).hexdigest()[:32]
    infos = (await api.state())["video_infos"]
    assert [info["filename"] for info in infos] == ["holiday.mp4", "cover.JPG", "theme.mp3"]
    served = await api.client.get(video["cdn_url"])
    assert served.content == b"v" * 2048


async def test_upload_metadata_is_fixed_by_seed_and_content(api: Api) -> None:
    first = (await api.upload(("a.mp4", b"same bytes"))).json()["data"]["files"][0]
    second = (await api.upload(("b.mp4", b"same bytes"))).json()["data"]["files"][0]
    other = (await api.upload(("c.mp4", b"other bytes"))).json()["data"]["files"][0]
    keys = ("duration", "width", "height", "fps", "hash")
    assert [first[key] for key in keys] == [second[key] for key in keys]
    assert first["hash"] != other["hash"]


async def test_url_import_fabricates_metadata_without_fetching(api: Api) -> None:
    url = "https://example.com/media/Beach%20Day.MOV?sig=1"
    response = await api.client.post(
        f"/api/upload-video/nemo_agent/me/{api.session_id}", json={"urls": [url], "source_type": "url"}
    )
    files = response.json()["data"]["files"]
    assert files[0]["filename"] == "Beach_Day.MOV"
    assert files[0]["file_type"] == "video"
    assert files[0]["cdn_url"] == url
    assert files[0]["duration"] > 0
    assert (await api.state())["video_infos"][0]["source"] == "upload"


@pytest.mark.parametrize("urls", [["https://example.com/page.html"], ["ftp://example.com/a.mp4"], ["nope"]])
async def test_non_media_urls_are_4001(api: Api, urls: list[str]) -> None:
    response = await api.client.post(
        f"/api/upload-video/nemo_agent/me/{api.session_id}", json={"urls": urls, "source_type": "url"}
    )
    assert response.json()["code"] == 4001


async def test_unsupported_file_type_is_4001_and_nothing_is_kept(api: Api, sim: Simulator) -> None:
    response = await api.upload(("ok.mp4", b"1"), ("notes.txt", b"2"))
    body = response.json()
    assert (response.status_code, body["code"], body["data"]) == (200, 4001, None)
    assert (await api.state())["video_infos"] == []
    assert not any(path.is_file() for path in sim.data_dir.rglob("*"))


async def test_file_over_the_limit_is_4002_and_the_partial_file_is_deleted(api: Api, sim: Simulator) -> None:
    sim.config.upload_max_bytes = MIB
    response = await api.upload(("big.mp4", b"x" * (3 * MIB)))
    assert response.json()["code"] == 4002
    assert not any(path.is_file() for path in sim.data_dir.rglob("*"))
    assert (await api.upload(("fits.mp4", b"x" * MIB))).json()["code"] == 0


async def test_upload_without_files_or_to_an_unknown_session_is_refused(api: Api) -> None:
    empty = await api.client.post(f"/api/upload-video/nemo_agent/me/{api.session_id}", files={"other": b"x"})
    assert empty.json()["code"] == 400
    api.session_id = "1234"
    assert (await api.upload(("a.mp4", b"1"))).json()["code"] == 1002


async def test_fifty_megabyte_upload_streams_to_disk_without_buffering_it(api: Api, sim: Simulator) -> None:
    boundary = "sim-test-boundary"
    chunk = bytes(MIB)

    async def body() -> AsyncIterator[bytes]:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.mp4"\r\n'
            "Content-Type: video/mp4\r\n\r\n"
        ).encode()
        for _ in range(50):
            yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    tracemalloc.start()
    try:
        response = await api.client.post(
            f"/api/upload-video/nemo_agent/me/{api.session_id}",
            content=body(),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.json()["code"] == 0, response.text
    assert peak < 16 * MIB, f"peak traced memory {peak / MIB:.1f} MiB"
    stored = list(sim.data_dir.rglob("*.mp4"))
    assert [path.stat().st_size for path in stored] == [50 * MIB]
    assert sim.stats.uploaded_bytes == 50 * MIB


async def test_wrong_content_type_for_upload_is_400(api: Api, client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"/api/upload-video/nemo_agent/me/{api.session_id}",
        content=b"raw",
        headers={"Content-Type": "video/mp4"},
    )
    assert response.json()["code"] == 400
