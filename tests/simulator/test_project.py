"""Sessions, state, credits, and the attribution-header bookkeeping."""

from __future__ import annotations

import asyncio
import re

import httpx

from simulator import Endpoint, Scenario, Simulator
from tests.simulator.helpers import Api


async def test_create_session_returns_a_task_and_a_19_digit_session_id(api: Api) -> None:
    response = await api.client.post(
        "/api/tasks/me/with-session/nemo_agent", json={"task_name": "Video Project", "language": "zh-CN"}
    )
    data = response.json()["data"]
    assert response.json()["code"] == 0
    assert re.match(r"^\d{19}$", data["session_id"])
    assert data["task_id"].startswith("task_")
    assert data["user_id"] == api.user_id


async def test_a_new_session_has_no_assets_and_a_draft_that_cannot_be_exported(api: Api) -> None:
    response = await api.client.get(f"/api/state/nemo_agent/me/{api.session_id}/latest")
    data = response.json()["data"]
    assert (data["session_id"], data["task_id"], data["task_name"]) == (
        api.session_id,
        api.task_id,
        "project",
    )
    state = data["state"]
    assert set(state) == {"video_infos", "draft", "canvas_config", "video_analyses", "generated_media"}
    assert state["video_infos"] == []
    assert state["draft"]["t"] == []
    assert state["canvas_config"]["aspect_ratio"] == "16:9"


async def test_state_of_an_unknown_session_is_1002(api: Api) -> None:
    response = await api.client.get("/api/state/nemo_agent/me/1111111111111111111/latest")
    assert response.status_code == 200
    assert response.json() == {
        "code": 1002,
        "message": "session not found: 1111111111111111111",
        "data": None,
    }


async def test_state_path_accepts_the_real_user_id_in_place_of_me(api: Api) -> None:
    response = await api.client.get(f"/api/state/nemo_agent/{api.user_id}/{api.session_id}/latest")
    assert response.json()["code"] == 0
    response = await api.client.get(f"/api/state/nemo_agent/anon_other/{api.session_id}/latest")
    assert response.json()["code"] == 1002


async def test_sessions_are_private_to_their_user(api: Api) -> None:
    session_id = api.session_id
    await api.login("another-device")
    response = await api.client.get(f"/api/state/nemo_agent/me/{session_id}/latest")
    assert response.json()["code"] == 1002


async def test_credits_total_is_available_plus_frozen_and_a_running_turn_freezes_its_cost(
    api: Api, sim: Simulator
) -> None:
    sim.config.generation_seconds = 200  # 0.4 s at the test time scale: long enough to look
    before = await api.credits()
    assert before == {"available": 1000, "frozen": 0, "total": 1000}
    turn = asyncio.create_task(api.turn("generate a video of the sea"))
    for _ in range(100):
        during = await api.credits()
        if during["frozen"]:
            break
        await asyncio.sleep(0.01)
    assert during == {"available": 900, "frozen": 100, "total": 1000}
    await turn
    assert await api.credits() == {"available": 900, "frozen": 0, "total": 900}


async def test_turn_costs_are_chat_5_edit_50_generation_100(api: Api) -> None:
    await api.turn("hello")
    assert (await api.credits())["available"] == 995
    await api.turn("generate a video of a forest")
    assert (await api.credits())["available"] == 895
    await api.turn("add some music")
    assert (await api.credits())["available"] == 845


async def test_requests_without_skill_headers_are_counted_per_endpoint(
    api: Api, sim: Simulator, client: httpx.AsyncClient
) -> None:
    bare = {"Authorization": f"Bearer {api.token}"}
    async with httpx.AsyncClient(base_url=str(client.base_url), headers=bare) as plain:
        await plain.get("/api/credits/balance/simple")
        await plain.get("/api/credits/balance/simple")
        await plain.get(f"/api/state/nemo_agent/me/{api.session_id}/latest")
    await api.credits()
    assert sim.stats.missing_skill_headers[Endpoint.CREDITS] == 2
    assert sim.stats.missing_skill_headers[Endpoint.STATE] == 1
    assert sim.stats.requests[Endpoint.CREDITS] == 3
    assert sim.stats.missing_skill_headers[Endpoint.CREATE_SESSION] == 0


async def test_stats_reset_zeroes_every_counter(api: Api, sim: Simulator) -> None:
    sim.force_next_turn(Scenario.CHAT)
    await api.turn("hi")
    sim.stats.reset()
    assert sim.stats.run_sse_calls(api.session_id) == 0
    assert sum(sim.stats.requests.values()) == 0
