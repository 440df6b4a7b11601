"""Stream failures: drops (the turn goes on server-side), mid-stream errors, heartbeat-only stretches."""

from __future__ import annotations

import asyncio
import json

import httpx

from simulator import Fault, FaultKind, Scenario, Simulator
from tests.simulator.helpers import Api, is_heartbeat, parse_sse, tracks_of


async def test_drop_after_first_text_cuts_the_stream_but_the_generation_still_lands(
    api: Api, sim: Simulator
) -> None:
    sim.config.generation_seconds = 500  # 0.5 s of "GPU work" after the drop
    sim.force_next_turn(faults=[FaultKind.SSE_DROP_AFTER_TEXT])
    with_error: list[Exception] = []
    chunks: list[str] = []
    try:
        async with api.client.stream(
            "POST", "/run_sse", json=api.run_body("generate a video of a fox")
        ) as response:
            async for chunk in response.aiter_text():
                chunks.append(chunk)  # noqa: PERF401 - a comprehension would lose chunks on a drop
    except httpx.RemoteProtocolError as error:  # chunked body never finished: an abrupt close
        with_error.append(error)
    assert with_error
    received = [block.json for block in parse_sse("".join(chunks)) if isinstance(block.json, dict)]
    assert not received[-1].get("partial")
    assert received[-1]["content"]["parts"][0]["text"].startswith("Sure")
    assert (await api.state())["draft"]["t"] == []  # right after the drop nothing has landed yet
    await sim.wait_idle()
    state = await api.state()
    assert [track["tt"] for track in state["draft"]["t"]] == [0, 1, 7]
    assert sim.stats.sse_drops == 1
    assert sim.stats.run_sse_calls(api.session_id) == 1
    assert await api.credits() == {"available": 900, "frozen": 0, "total": 900}


async def test_drop_before_text_sends_no_event_and_the_turn_still_runs(api: Api, sim: Simulator) -> None:
    await api.turn("generate a video of a lake")
    sim.force_next_turn(Scenario.SILENT_EDIT, faults=[FaultKind.SSE_DROP_BEFORE_TEXT])
    result = await api.turn('add a title "Lake"')
    assert result.events == []
    await sim.wait_idle()
    assert tracks_of(await api.state(), 7)[0]["sg"][-1]["text"] == "Lake"


async def test_drop_of_a_silent_turn_happens_after_its_first_tool_call(api: Api, sim: Simulator) -> None:
    await api.turn("generate a video of a hill")
    sim.force_next_turn(faults=[FaultKind.SSE_DROP_AFTER_TEXT])
    result = await api.turn('add a title "Hill"')
    assert result.tool_calls() == ["edit_multitrack"]
    assert result.tool_results() == []
    await sim.wait_idle()
    assert tracks_of(await api.state(), 7)[0]["sg"][-1]["text"] == "Hill"


async def test_a_client_that_hangs_up_mid_turn_does_not_stop_the_turn(api: Api, sim: Simulator) -> None:
    async with api.client.stream(
        "POST", "/run_sse", json=api.run_body("generate a video of a bird")
    ) as response:
        async for line in response.aiter_lines():
            if line.startswith("data: {"):
                break  # leave after the first event
    await sim.wait_idle()
    assert len((await api.state())["draft"]["t"]) == 3
    assert sim.stats.turns_completed == 1


async def test_mid_stream_error_is_a_data_error_line_then_a_clean_close_and_credits_return(
    api: Api, sim: Simulator
) -> None:
    sim.force_next_turn(faults=[Fault(kind=FaultKind.SSE_ERROR, message='model "overloaded"')])
    result = await api.turn("generate a video of ice")
    assert result.events[-1] == {"error": 'model "overloaded"'}
    assert result.raw.endswith("\n\n")
    await sim.wait_idle()
    assert (await api.state())["draft"]["t"] == []
    assert await api.credits() == {"available": 1000, "frozen": 0, "total": 1000}
    assert sim.stats.turns_aborted == 1


async def test_mid_turn_credit_error_carries_error_code_2001(api: Api, sim: Simulator) -> None:
    result = await api.turn("generate a video of gold #sim:credits-error")
    assert result.events[-1] == {
        "error": "insufficient credits",
        "errorCode": "2001",
        "errorMessage": "insufficient credits",
    }


async def test_insufficient_credits_fault_refuses_the_turn_before_the_stream(
    api: Api, sim: Simulator
) -> None:
    sim.faults.add(Fault(kind=FaultKind.INSUFFICIENT_CREDITS))
    result = await api.turn("hello")
    assert json.loads(result.raw)["code"] == 2001
    assert (await api.turn("hello")).status == 200


async def test_heartbeats_only_fault_holds_the_stream_before_the_turn_plays(api: Api, sim: Simulator) -> None:
    sim.force_next_turn(Scenario.CHAT, faults=[Fault(kind=FaultKind.SSE_HEARTBEATS_ONLY, seconds=0.3)])
    started = asyncio.get_running_loop().time()
    result = await api.turn("hello")
    assert asyncio.get_running_loop().time() - started >= 0.3
    first_event = next(i for i, block in enumerate(result.blocks) if not is_heartbeat(block))
    assert first_event >= 5
    assert all(is_heartbeat(block) for block in result.blocks[:first_event])
    assert result.final_texts


async def test_run_sse_calls_are_counted_per_session_even_when_refused(api: Api, sim: Simulator) -> None:
    sim.faults.add(Fault(kind=FaultKind.HTTP_500, endpoint=None))
    assert (await api.turn("hello")).status == 500
    await api.turn("hello")
    assert sim.stats.run_sse_calls(api.session_id) == 2
    assert sim.stats.run_sse_calls("0") == 0


async def test_faults_aimed_at_one_session_leave_other_sessions_alone(api: Api, sim: Simulator) -> None:
    first = api.session_id
    second = await api.new_session()
    sim.force_next_turn(session_id=first, faults=[FaultKind.SSE_ERROR])
    assert "error" not in (await api.turn("hello")).events[-1]
    api.session_id = first
    assert "error" in (await api.turn("hello")).events[-1]
    assert second != first
