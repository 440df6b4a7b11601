"""The render proxy: lifecycle in both poll shapes, refusals, failure faults, downloads."""

from __future__ import annotations

import asyncio
import struct
from typing import Any

import httpx
import pytest

from simulator import Fault, FaultKind, Simulator
from tests.simulator.helpers import SKILL_HEADERS, Api


async def poll_until_done(api: Api, render_id: str, shape: str = "v44") -> list[dict[str, Any]]:
    seen = []
    for _ in range(200):
        body = await api.render_status(render_id)
        view = body["data"] if shape == "v44" else body
        seen.append(view)
        if view["status"] in ("completed", "failed"):
            return seen
        await asyncio.sleep(0.01)
    return seen


async def test_render_goes_pending_processing_completed_in_the_v44_shape(exportable_api: Api) -> None:
    submitted = await exportable_api.submit_render("render_1")
    assert submitted.json() == {
        "success": True,
        "data": {"id": "render_1", "status": "pending", "progress": 5},
    }
    seen = await poll_until_done(exportable_api, "render_1")
    statuses = [view["status"] for view in seen]
    assert statuses[0] == "pending"
    assert "processing" in statuses
    assert statuses[-1] == "completed"
    progress = [view["progress"] for view in seen]
    assert progress == sorted(progress)
    assert progress[-1] == 100
    done = seen[-1]
    assert set(done) == {"id", "status", "progress", "outputUrl", "createdAt", "completedAt"}
    assert done["completedAt"] > done["createdAt"]
    assert done["outputUrl"].endswith("/render-result/render_1.mp4")
    async with httpx.AsyncClient() as cdn:  # like a CDN: no auth, no headers
        video = await cdn.get(done["outputUrl"])
    assert video.headers["content-type"] == "video/mp4"
    assert video.content[4:8] == b"ftyp"
    assert int(video.headers["content-length"]) == len(video.content)


async def test_render_poll_can_answer_in_the_toplevel_shape(exportable_api: Api, sim: Simulator) -> None:
    sim.config.render_poll_shape = "toplevel"
    await exportable_api.submit_render("render_2")
    seen = await poll_until_done(exportable_api, "render_2", shape="toplevel")
    done = seen[-1]
    assert set(done) == {"taskId", "status", "progress", "output"}
    assert done["status"] == "completed"
    assert done["output"]["duration"] == 4.0
    video = await exportable_api.client.get(done["output"]["url"])
    assert len(video.content) == done["output"]["size"]


async def test_duplicate_render_id_is_refused_with_409(exportable_api: Api, sim: Simulator) -> None:
    await exportable_api.submit_render("render_dup")
    again = await exportable_api.submit_render("render_dup")
    assert again.status_code == 409
    assert again.json() == {"success": False, "error": "duplicate render id"}
    assert sim.stats.render_submissions == 1


async def test_draft_without_segments_is_refused(api: Api) -> None:
    response = await api.submit_render("render_empty")
    assert response.status_code == 400
    assert response.json()["success"] is False
    response = await api.submit_render("render_empty2", draft={"t": [{"tt": 0, "sg": []}]})
    assert response.json()["success"] is False


async def test_render_without_skill_headers_is_a_402(exportable_api: Api) -> None:
    draft = (await exportable_api.state())["draft"]
    bare = {"Authorization": f"Bearer {exportable_api.token}"}
    async with httpx.AsyncClient(base_url=str(exportable_api.client.base_url), headers=bare) as plain:
        response = await plain.post(
            "/api/render/proxy/lambda",
            json={"id": "r", "sessionId": exportable_api.session_id, "draft": draft},
        )
    assert response.status_code == 402
    assert response.json()["success"] is False
    assert "export requires" in response.json()["error"]


async def test_render_for_an_unknown_session_is_not_found(exportable_api: Api) -> None:
    draft = (await exportable_api.state())["draft"]
    exportable_api.session_id = "42"
    response = await exportable_api.submit_render("render_x", draft=draft)
    assert (response.status_code, response.json()["success"]) == (404, False)


@pytest.mark.parametrize("failures", [1, 2])
async def test_render_failure_fault_fails_n_jobs_then_a_new_id_succeeds(
    exportable_api: Api, sim: Simulator, failures: int
) -> None:
    sim.faults.add(Fault(kind=FaultKind.RENDER_FAIL, times=failures))
    for attempt in range(failures):
        await exportable_api.submit_render(f"render_fail_{attempt}")
        failed = (await poll_until_done(exportable_api, f"render_fail_{attempt}"))[-1]
        assert failed["status"] == "failed"
        assert failed["error"]
        assert "outputUrl" not in failed
    await exportable_api.submit_render("render_ok")
    assert (await poll_until_done(exportable_api, "render_ok"))[-1]["status"] == "completed"


async def test_a_stuck_render_stays_processing(exportable_api: Api, sim: Simulator) -> None:
    sim.faults.add(Fault(kind=FaultKind.RENDER_STUCK))
    await exportable_api.submit_render("render_stuck")
    await asyncio.sleep(0.3)  # twice a normal render
    view = (await exportable_api.render_status("render_stuck"))["data"]
    assert view["status"] == "processing"
    assert 0 < view["progress"] < 100


async def test_cancel_ends_an_unfinished_render_and_refuses_a_finished_one(exportable_api: Api) -> None:
    await exportable_api.submit_render("render_c")
    cancelled = await exportable_api.client.post("/api/render/proxy/lambda/render_c/cancel")
    assert cancelled.json()["success"] is True
    assert (await exportable_api.render_status("render_c"))["data"]["status"] == "failed"
    again = await exportable_api.client.post("/api/render/proxy/lambda/render_c/cancel")
    assert again.json()["success"] is False


async def test_download_needs_auth_and_skill_headers_and_streams_the_mp4(exportable_api: Api) -> None:
    await exportable_api.submit_render("render_d")
    early = await exportable_api.client.get("/api/render/proxy/render_d/download")
    assert early.status_code == 409
    await poll_until_done(exportable_api, "render_d")
    response = await exportable_api.client.get("/api/render/proxy/render_d/download")
    assert response.content[4:8] == b"ftyp"
    async with httpx.AsyncClient(base_url=str(exportable_api.client.base_url)) as plain:
        assert (await plain.get("/api/render/proxy/render_d/download")).json()["code"] == 1001
        headers = {"Authorization": f"Bearer {exportable_api.token}"}
        assert (await plain.get("/api/render/proxy/render_d/download", headers=headers)).status_code == 402
        headers |= SKILL_HEADERS
        assert (await plain.get("/api/render/proxy/render_d/download", headers=headers)).status_code == 200


async def test_renders_are_private_and_unknown_ids_are_404(exportable_api: Api) -> None:
    await exportable_api.submit_render("render_p")
    assert (await exportable_api.client.get("/api/render/proxy/lambda/nope")).status_code == 404
    await exportable_api.login("someone-else")
    response = await exportable_api.client.get("/api/render/proxy/lambda/render_p")
    assert (response.status_code, response.json()) == (404, {"success": False, "error": "render not found"})


async def test_a_large_render_is_streamed_at_the_configured_size(exportable_api: Api, sim: Simulator) -> None:
    sim.config.render_output_bytes = 60 * 1024 * 1024
    sim.config.render_seconds = 0
    await exportable_api.submit_render("render_big")
    url = (await exportable_api.render_status("render_big"))["data"]["outputUrl"]
    total, head = 0, b""
    async with exportable_api.client.stream("GET", url) as response:
        assert int(response.headers["content-length"]) == 60 * 1024 * 1024
        async for chunk in response.aiter_bytes():
            if len(head) < 64:
                head += chunk[:64]
            total += len(chunk)
    assert total == 60 * 1024 * 1024
    assert head[4:8] == b"ftyp"
    (ftyp_size,) = struct.unpack_from(">I", head, 0)
    assert head[ftyp_size + 4 : ftyp_size + 8] == b"moov"


async def test_head_request_on_a_render_result_gives_the_size_without_a_body(
    exportable_api: Api, sim: Simulator
) -> None:
    sim.config.render_seconds = 0
    await exportable_api.submit_render("render_h")
    url = (await exportable_api.render_status("render_h"))["data"]["outputUrl"]
    response = await exportable_api.client.head(url)
    assert response.status_code == 200
    assert int(response.headers["content-length"]) > 1000
    assert response.content == b""
