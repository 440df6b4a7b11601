"""The simulator's defaults follow the contract where the public docs agree; the variants stay knobs.

Defaults: render status with top-level ``status`` and ``output.url``; 1002 for a missing session;
partials only when the request asks for streaming; about 30 % of edits silent (seeded). Attribution:
``X-Skill-Source`` is checked against the known skills, so mis-attribution fails a test.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from simulator import Scenario, Simulator, SimulatorConfig
from simulator.config import KNOWN_SKILLS
from simulator.turn_plan import plan_turn
from tests.simulator.helpers import SKILL_HEADERS, Api


@pytest.fixture
def defaults(tmp_path: Path) -> SimulatorConfig:
    """The contract defaults, only made quick and quiet (no noise text, no thoughts)."""
    return SimulatorConfig(
        seed=3, data_dir=tmp_path, time_scale=0.001, noise_rate=0.0, thought_rate=0.0, initial_credits=1000
    )


@pytest.fixture
async def running(defaults: SimulatorConfig) -> AsyncIterator[Simulator]:
    simulator = Simulator(defaults)
    async with simulator.running():
        yield simulator


async def _api(sim: Simulator, http: httpx.AsyncClient) -> Api:
    api = Api(http)
    await api.login()
    await api.new_session()
    return api


@pytest.fixture
async def http(running: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=str(running.base_url), headers=SKILL_HEADERS, timeout=20) as client:
        yield client


def test_the_defaults_are_the_contracts() -> None:
    config = SimulatorConfig()
    assert config.render_poll_shape == "toplevel"
    assert config.missing_session_reply == "code_1002"
    assert config.partials == "when_requested"
    assert config.silent_edit_rate == pytest.approx(0.3)
    assert config.known_skills == KNOWN_SKILLS


async def test_a_render_is_polled_in_the_toplevel_shape_by_default(
    running: Simulator, http: httpx.AsyncClient
) -> None:
    api = await _api(running, http)
    running.force_next_turn(Scenario.GENERATION)
    await api.turn("make a video of the sea")
    assert (await api.submit_render("render_top")).json()["success"] is True
    running.backend.renders._jobs["render_top"].duration = 0.0
    body = await api.render_status("render_top")
    assert body["status"] == "completed"
    assert body["output"]["url"].endswith("/render-result/render_top.mp4")
    assert "data" not in body


async def test_a_missing_session_is_code_1002_by_default(running: Simulator, http: httpx.AsyncClient) -> None:
    api = await _api(running, http)
    api.session_id = "1"
    result = await api.turn("hello")
    assert result.status == 200
    assert '"code":1002' in result.raw


@pytest.mark.parametrize(("streaming", "expect_partials"), [(True, True), (False, False)])
async def test_partials_come_only_when_the_request_asks_for_streaming(
    running: Simulator, http: httpx.AsyncClient, streaming: bool, expect_partials: bool
) -> None:
    api = await _api(running, http)
    result = await api.turn("hello", body=api.run_body("hello", streaming=streaming))
    assert bool(result.partial_texts) is expect_partials
    assert result.final_texts
    if expect_partials:
        assert "".join(result.partial_texts) == result.final_texts[0]


@pytest.mark.parametrize("mode", ["always", "never"])
async def test_the_partials_knob_keeps_the_other_variants(
    running: Simulator, http: httpx.AsyncClient, mode: str
) -> None:
    running.config.partials = mode  # type: ignore[assignment]
    api = await _api(running, http)
    result = await api.turn("hello")  # no "streaming" in the body
    assert bool(result.partial_texts) is (mode == "always")


def test_about_30_percent_of_edits_are_silent_and_the_draw_is_seeded() -> None:
    config = SimulatorConfig(seed=1)
    plans = [
        plan_turn(
            "add upbeat music",
            has_timeline=True,
            uploaded_types={"video"},
            config=config,
            rng=random.Random(f"turn/{index}"),
            forced=None,
            faults=[],
        )
        for index in range(400)
    ]
    silent = sum(plan.scenario is Scenario.SILENT_EDIT for plan in plans)
    assert 0.22 <= silent / len(plans) <= 0.38
    again = plan_turn(
        "add upbeat music",
        has_timeline=True,
        uploaded_types={"video"},
        config=config,
        rng=random.Random("turn/0"),
        forced=None,
        faults=[],
    )
    assert again.scenario is plans[0].scenario  # the same seed, the same choice
    # The older rule stays available: only titles and effects are silent.
    older = config.replace(silent_edit_rate=None)
    for text, scenario in (("add music", Scenario.EDIT), ('add a title "Hi"', Scenario.SILENT_EDIT)):
        plan = plan_turn(
            text,
            has_timeline=True,
            uploaded_types=set(),
            config=older,
            rng=random.Random(0),
            forced=None,
            faults=[],
        )
        assert plan.scenario is scenario


async def test_a_silent_edit_closes_after_its_tool_calls(running: Simulator, http: httpx.AsyncClient) -> None:
    running.config.silent_edit_rate = 1.0
    api = await _api(running, http)
    running.force_next_turn(Scenario.GENERATION)
    await api.turn("make a video of the sea")
    result = await api.turn("add upbeat music")
    assert result.tool_calls()
    assert not result.final_texts


async def test_an_unknown_skill_source_is_counted_and_its_export_refused(
    running: Simulator, http: httpx.AsyncClient
) -> None:
    api = await _api(running, http)
    running.force_next_turn(Scenario.GENERATION)
    await api.turn("make a video of the sea")
    http.headers["X-Skill-Source"] = "lipsync"  # an alias is not a skill name
    refused = await api.submit_render("render_alias")
    assert refused.status_code == 402
    assert running.stats.unknown_skill_sources["lipsync"] >= 1
    http.headers["X-Skill-Source"] = "lipsyncvideo-ai"
    assert (await api.submit_render("render_named")).json()["success"] is True
    running.config.known_skills = None  # the knob: accept any source
    http.headers["X-Skill-Source"] = "lipsync"
    assert (await api.submit_render("render_any")).json()["success"] is True


async def test_user_ids_can_be_elided_from_token_and_session_answers_but_state_has_it(
    running: Simulator, http: httpx.AsyncClient
) -> None:
    running.config.elide_user_ids = True
    response = await http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "c-elided"})
    data = response.json()["data"]
    assert "user_id" not in data
    http.headers["Authorization"] = f"Bearer {data['token']}"
    session = (await http.post("/api/tasks/me/with-session/nemo_agent", json={"task_name": "project"})).json()
    assert "user_id" not in session["data"]
    sid = session["data"]["session_id"]
    state = (await http.get(f"/api/state/nemo_agent/me/{sid}/latest")).json()["data"]
    assert state["user_id"].startswith("anon_")
