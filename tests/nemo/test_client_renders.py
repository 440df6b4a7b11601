"""Exports over loopback: submit, poll both shapes, failure, duplicate ids, no double submit, download."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

import core.nemo.client as client_module
from core.nemo.client import NemoClient, new_render_id, poll_delays
from core.nemo.errors import BackendUnavailable, RenderRejected
from core.nemo.models import SessionInfo
from simulator import Endpoint, Fault, FaultKind, Scenario, Simulator
from tests.nemo.helpers import RequestLog, exportable_draft, mock_client, run_turn, wait_render


async def test_a_render_is_submitted_with_a_camel_case_session_id_and_the_draft_verbatim(
    client: NemoClient, session: SessionInfo, sim: Simulator, sent: RequestLog
) -> None:
    """The body carries ``id``, ``sessionId`` (camelCase), the draft unchanged and the default output."""
    draft = exportable_draft("Verbatim")
    status = await client.submit_render(session.session_id, draft)
    (request,) = sent.to("/api/render/proxy/lambda")
    body = json.loads(request.content)
    assert body == {
        "id": status.render_id,
        "sessionId": session.session_id,
        "draft": draft,
        "output": {"format": "mp4", "quality": "high"},
    }
    assert "session_id" not in body
    job = sim.backend.renders.get(status.render_id)
    assert job is not None
    assert job.session_id == session.session_id
    assert job.draft == draft
    assert status.phase == "pending"
    assert status.progress == 5


async def test_the_draft_from_a_generated_state_renders_to_completion(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """State → draft → submit → poll: the real flow ends ``completed`` with an output URL."""
    sim.config.generation_seconds = sim.config.music_seconds = 10
    sim.force_next_turn(Scenario.GENERATION, session_id=session.session_id)
    await run_turn(client, session.session_id, "generate a 3 second video of rain")
    state = await client.state(session.session_id)
    submitted = await client.submit_render(session.session_id, state.draft)
    done = await wait_render(client, submitted.render_id)
    assert done.phase == "completed"
    assert done.progress == 100
    assert done.output_url is not None


def test_render_ids_are_unique() -> None:
    """``new_render_id`` never repeats and looks like ``render_<hex>``."""
    ids = {new_render_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(rid.startswith("render_") for rid in ids)


async def test_each_submission_without_an_id_gets_a_fresh_one(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """Two exports of the same draft are two jobs under two ids."""
    first = await client.submit_render(session.session_id, exportable_draft())
    second = await client.submit_render(session.session_id, exportable_draft())
    assert first.render_id != second.render_id
    assert sim.stats.render_submissions == 2


@pytest.mark.parametrize("shape", ["v44", "toplevel"])
async def test_both_poll_shapes_parse_to_completed_with_an_output_url(
    client: NemoClient, session: SessionInfo, sim: Simulator, shape: str
) -> None:
    """``success/data/outputUrl`` and top-level ``status`` + ``output.url`` read the same."""
    sim.config.render_poll_shape = shape  # type: ignore[assignment]
    submitted = await client.submit_render(session.session_id, exportable_draft())
    first = await client.render_status(submitted.render_id)
    assert first.phase in ("pending", "processing", "completed")
    done = await wait_render(client, submitted.render_id)
    assert done.render_id == submitted.render_id
    assert (done.phase, done.progress, done.error) == ("completed", 100, None)
    assert done.output_url == f"{sim.base_url}/render-result/{submitted.render_id}.mp4"


@pytest.mark.parametrize("shape", ["v44", "toplevel"])
async def test_a_failed_render_reports_failed_with_its_error(
    client: NemoClient, session: SessionInfo, sim: Simulator, shape: str
) -> None:
    """FaultKind.RENDER_FAIL ends the job ``failed`` with the backend's error string, in either shape."""
    sim.config.render_poll_shape = shape  # type: ignore[assignment]
    sim.faults.add(Fault(kind=FaultKind.RENDER_FAIL, endpoint=Endpoint.RENDER_SUBMIT))
    submitted = await client.submit_render(session.session_id, exportable_draft())
    done = await wait_render(client, submitted.render_id)
    assert done.phase == "failed"
    assert done.error is not None
    assert "render failed" in done.error
    assert done.output_url is None


async def test_a_duplicate_render_id_is_rejected(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """Re-using an id raises RenderRejected; with an explicit id there is exactly one attempt."""
    await client.submit_render(session.session_id, exportable_draft(), render_id="render_fixed")
    with pytest.raises(RenderRejected) as raised:
        await client.submit_render(session.session_id, exportable_draft(), render_id="render_fixed")
    assert raised.value.http_status == 409
    assert sim.stats.requests[Endpoint.RENDER_SUBMIT] == 2
    assert sim.stats.render_submissions == 1


async def test_a_refused_auto_id_submission_is_retried_once_with_a_new_id(
    client: NemoClient, session: SessionInfo, sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the chosen id is refused the client picks another and submits once more."""
    await client.submit_render(session.session_id, exportable_draft(), render_id="render_taken")
    chosen = iter(["render_taken", "render_fresh"])
    monkeypatch.setattr(client_module, "new_render_id", lambda: next(chosen))
    status = await client.submit_render(session.session_id, exportable_draft())
    assert status.render_id == "render_fresh"
    assert sim.stats.requests[Endpoint.RENDER_SUBMIT] == 3
    assert sim.stats.render_submissions == 2


async def test_an_auto_id_submission_refused_twice_raises(
    client: NemoClient, session: SessionInfo, sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only one retry: a second refusal reaches the caller."""
    await client.submit_render(session.session_id, exportable_draft(), render_id="render_taken")
    monkeypatch.setattr(client_module, "new_render_id", lambda: "render_taken")
    with pytest.raises(RenderRejected):
        await client.submit_render(session.session_id, exportable_draft())
    assert sim.stats.requests[Endpoint.RENDER_SUBMIT] == 3


async def test_an_empty_draft_is_rejected_by_the_render_proxy(
    client: NemoClient, session: SessionInfo
) -> None:
    """A draft with no segments is ``success: false`` → RenderRejected."""
    with pytest.raises(RenderRejected):
        await client.submit_render(session.session_id, {"t": [], "d": 0}, render_id="render_empty")


async def test_a_submission_whose_answer_is_lost_is_looked_up_not_repeated(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """A 500 after the job was created: the client polls the id instead of submitting a second export."""
    sim.faults.add(Fault(kind=FaultKind.HTTP_500, endpoint=Endpoint.RENDER_SUBMIT, after_handler=True))
    status = await client.submit_render(session.session_id, exportable_draft())
    assert sim.stats.render_submissions == 1
    assert sim.stats.requests[Endpoint.RENDER_SUBMIT] == 1
    assert sim.stats.requests[Endpoint.RENDER_STATUS] == 1
    assert sim.backend.renders.get(status.render_id) is not None
    assert (await wait_render(client, status.render_id)).phase == "completed"


async def test_a_submission_that_never_arrived_is_reported_unavailable(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """A 502 before the handler: the lookup finds no job, so BackendUnavailable and nothing submitted."""
    sim.faults.add(Fault(kind=FaultKind.HTTP_500, status=502, endpoint=Endpoint.RENDER_SUBMIT))
    with pytest.raises(BackendUnavailable):
        await client.submit_render(session.session_id, exportable_draft())
    assert sim.stats.render_submissions == 0
    assert sim.stats.requests[Endpoint.RENDER_SUBMIT] == 1


async def test_a_pending_render_can_be_cancelled(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """``cancel_render`` stops a stuck job; its status then reads failed/cancelled."""
    sim.faults.add(Fault(kind=FaultKind.RENDER_STUCK, endpoint=Endpoint.RENDER_SUBMIT))
    submitted = await client.submit_render(session.session_id, exportable_draft())
    await client.cancel_render(submitted.render_id)
    status = await client.render_status(submitted.render_id)
    assert status.finished
    assert status.error == "render cancelled"


async def test_a_finished_render_downloads_from_its_output_url(
    client: NemoClient, session: SessionInfo, sim: Simulator, sent: RequestLog, tmp_path: Path
) -> None:
    """The CDN URL is used first, without credentials; the file is an MP4 starting with an ftyp box."""
    submitted = await client.submit_render(session.session_id, exportable_draft())
    done = await wait_render(client, submitted.render_id)
    target = tmp_path / "out.mp4"
    size = await client.download_render(done.render_id, done.output_url, target)
    data = target.read_bytes()
    assert size == len(data) > 100
    assert data[4:8] == b"ftyp"
    assert sim.stats.requests[Endpoint.RENDER_RESULT] == 1
    assert sim.stats.requests[Endpoint.RENDER_DOWNLOAD] == 0
    (cdn,) = [r for r in sent.requests if r.url.path.startswith("/render-result/")]
    assert "Authorization" not in cdn.headers


@pytest.mark.parametrize("status", [500, 502])
async def test_a_failing_cdn_falls_back_to_the_authenticated_proxy(
    client: NemoClient, session: SessionInfo, sim: Simulator, sent: RequestLog, tmp_path: Path, status: int
) -> None:
    """When the output URL fails, ``/api/render/proxy/<id>/download`` serves the same file."""
    submitted = await client.submit_render(session.session_id, exportable_draft())
    done = await wait_render(client, submitted.render_id)
    sim.faults.add(Fault(kind=FaultKind.HTTP_500, status=status, endpoint=Endpoint.RENDER_RESULT))
    target = tmp_path / "out.mp4"
    size = await client.download_render(done.render_id, done.output_url, target)
    assert target.read_bytes()[4:8] == b"ftyp"
    assert size == target.stat().st_size
    assert sim.stats.requests[Endpoint.RENDER_RESULT] == 1
    assert sim.stats.requests[Endpoint.RENDER_DOWNLOAD] == 1
    (proxy,) = sent.to(f"/api/render/proxy/{done.render_id}/download")
    assert proxy.headers["Authorization"].startswith("Bearer nmv_usr_")
    assert proxy.headers["X-Skill-Source"] == "nemo-video"


async def test_without_an_output_url_the_proxy_is_used_directly(
    client: NemoClient, session: SessionInfo, sim: Simulator, tmp_path: Path
) -> None:
    """No CDN URL at all: the download goes straight to the proxy."""
    submitted = await client.submit_render(session.session_id, exportable_draft())
    await wait_render(client, submitted.render_id)
    target = tmp_path / "out.mp4"
    await client.download_render(submitted.render_id, None, target)
    assert target.read_bytes()[4:8] == b"ftyp"
    assert sim.stats.requests[Endpoint.RENDER_RESULT] == 0


async def test_when_both_download_routes_fail_the_last_error_is_raised(
    client: NemoClient, session: SessionInfo, sim: Simulator, tmp_path: Path
) -> None:
    """CDN and proxy both failing raises the proxy's error (a 500: BackendUnavailable)."""
    submitted = await client.submit_render(session.session_id, exportable_draft())
    done = await wait_render(client, submitted.render_id)
    sim.faults.add(Fault(kind=FaultKind.HTTP_500, endpoint=None, times=2))
    with pytest.raises(BackendUnavailable):
        await client.download_render(done.render_id, done.output_url, tmp_path / "out.mp4")


async def test_a_proxy_download_with_an_expired_token_renews_it_and_saves_the_video(
    client: NemoClient, session: SessionInfo, sim: Simulator, tmp_path: Path
) -> None:
    """The proxy's 1001 (HTTP 200 JSON) is renewed and retried once; the error is never saved as the file."""
    submitted = await client.submit_render(session.session_id, exportable_draft())
    await wait_render(client, submitted.render_id)
    sim.expire_token(await client.tokens.get())
    target = tmp_path / "out.mp4"
    size = await client.download_render(submitted.render_id, None, target)
    assert target.read_bytes()[4:8] == b"ftyp"
    assert size == target.stat().st_size
    assert sim.stats.requests[Endpoint.RENDER_DOWNLOAD] == 2


async def test_a_json_error_from_the_proxy_is_raised_not_saved(
    client: NemoClient, session: SessionInfo, sim: Simulator, tmp_path: Path
) -> None:
    """A download that answers a JSON error (a render that is not finished) raises and writes nothing."""
    sim.faults.add(Fault(kind=FaultKind.RENDER_STUCK, endpoint=Endpoint.RENDER_SUBMIT))
    submitted = await client.submit_render(session.session_id, exportable_draft())
    target = tmp_path / "out.mp4"
    with pytest.raises(RenderRejected):
        await client.download_render(submitted.render_id, None, target)
    assert not target.exists()


async def test_a_download_cut_midway_leaves_no_partial_file(tmp_path: Path) -> None:
    """A body that breaks off mid-transfer raises BackendUnavailable and removes what was written."""

    class Broken(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield b"\x00\x00\x00\x18ftypisom" + b"\x00" * 50_000
            raise httpx.ReadError("connection reset")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Broken(), headers={"content-type": "video/mp4"})

    client, http = mock_client(handler)
    target = tmp_path / "out.mp4"
    async with http:
        with pytest.raises(BackendUnavailable):
            await client.download_render("r1", "https://cdn.mock/r1.mp4", target)
    assert not target.exists()


async def test_a_render_larger_than_max_bytes_is_not_downloaded(
    client: NemoClient, session: SessionInfo, sim: Simulator, tmp_path: Path
) -> None:
    """With ``max_bytes`` below the announced size the download returns -1 and leaves no file."""
    sim.config.render_output_bytes = 3 << 20
    submitted = await client.submit_render(session.session_id, exportable_draft())
    done = await wait_render(client, submitted.render_id)
    target = tmp_path / "out.mp4"
    assert await client.download_render(done.render_id, done.output_url, target, max_bytes=1 << 20) == -1
    assert not target.exists()
    assert await client.download_render(done.render_id, done.output_url, target, max_bytes=4 << 20) == 3 << 20


async def test_a_stream_without_a_length_that_passes_max_bytes_leaves_no_partial_file(tmp_path: Path) -> None:
    """A chunked body that passes ``max_bytes`` stops there, returns -1 and deletes the partial file."""

    async def body() -> AsyncIterator[bytes]:
        for _ in range(64):
            yield b"\x00\x00\x00\x18ftypisom" + b"\x00" * 65_520

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body(), headers={"content-type": "video/mp4"})

    client, http = mock_client(handler)
    target = tmp_path / "out.mp4"
    async with http:
        assert await client.download_render("r1", "https://cdn.mock/r1.mp4", target, max_bytes=200_000) == -1
    assert not target.exists()


def test_poll_delays_back_off_from_2_by_half_again_up_to_the_cap() -> None:
    """The render poll cadence is 2 s, ×1.5 each time, capped (30 s by default)."""
    assert list(itertools.islice(poll_delays(), 9)) == [
        2.0,
        3.0,
        4.5,
        6.75,
        10.125,
        15.1875,
        22.78125,
        30.0,
        30.0,
    ]
    assert list(itertools.islice(poll_delays(cap=5.0), 4)) == [2.0, 3.0, 4.5, 5.0]
    assert list(itertools.islice(poll_delays(start=10.0, cap=5.0), 2)) == [5.0, 5.0]
