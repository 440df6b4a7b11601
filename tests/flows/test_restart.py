"""Restarts: a render in progress is resumed and delivered once; a running turn is never re-sent."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from core.chat import Action, PlatformLimits
from core.ports import JobKind, JobState
from simulator import Fault, FaultKind, Scenario, Simulator
from storage import SqliteStore
from tests.flows.conftest import CHAT, Harness, build_harness


async def _wait_for(predicate: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def test_a_render_in_progress_is_resumed_after_a_restart_and_delivered_once(
    sim: Simulator, tmp_path: Path, limits: PlatformLimits
) -> None:
    """Stop the bot mid-render; a new bot on the same database polls the same render and delivers it."""
    db = tmp_path / "data" / "nemobot.db"
    async with httpx.AsyncClient() as http:
        store = await SqliteStore.open(db)
        first = await build_harness(sim, store, tmp_path, limits, http)
        sim.force_next_turn(Scenario.GENERATION)
        await first.say("make a video of mountains")
        sim.config.render_seconds = 400.0  # ~0.8 s at the fast time scale: long enough to stop mid-render
        await first.bot.receive(first.message("/export"))

        async def render_submitted() -> bool:
            jobs = await store.open_jobs()
            return any(job.kind is JobKind.RENDER and job.render_id for job in jobs)

        await _wait_for(render_submitted)
        await first.bot.stop()
        await store.close()
        assert not [m for m in first.out.messages if m.video is not None]

        store = await SqliteStore.open(db)
        second = await build_harness(sim, store, tmp_path, limits, http)
        assert await second.bot.resume() == 1
        await second.bot.wait_idle(CHAT)
        videos = [m for m in second.out.messages if m.video is not None]
        assert len(videos) == 1
        assert sim.stats.render_submissions == 1
        assert not await store.open_jobs()
        await second.bot.stop()
        await store.close()


async def test_a_turn_running_at_a_restart_is_reported_from_state_not_resent(
    sim: Simulator, tmp_path: Path, limits: PlatformLimits
) -> None:
    """The interrupted turn is described from the draft diff; /run_sse is called exactly once."""
    db = tmp_path / "data" / "nemobot.db"
    async with httpx.AsyncClient() as http:
        store = await SqliteStore.open(db)
        first = await build_harness(sim, store, tmp_path, limits, http)
        sim.force_next_turn(
            Scenario.GENERATION, faults=[Fault(kind=FaultKind.SSE_HEARTBEATS_ONLY, seconds=0.5)]
        )
        await first.bot.receive(first.message("make a video of a desert"))

        async def turn_running() -> bool:
            # Running in the store *and* accepted by the backend (under load the two are apart).
            running = any(job.state is JobState.RUNNING for job in await store.open_jobs())
            return running and sim.stats.turns_started == 1

        await _wait_for(turn_running)
        await first.bot.stop()
        await store.close()
        await sim.wait_idle()

        store = await SqliteStore.open(db)
        second = await build_harness(sim, store, tmp_path, limits, http)
        await second.bot.resume()
        await second.bot.wait_idle(CHAT)
        record = await store.get_chat(CHAT)
        assert record is not None
        assert record.session_id is not None
        assert sim.stats.run_sse_calls(record.session_id) == 1
        report = second.out.messages[-1]
        assert "video" in report.text.lower()
        assert Action.EXPORT in report.buttons
        await second.bot.stop()
        await store.close()


async def test_a_message_accepted_but_not_yet_sent_is_sent_after_a_restart(harness: Harness) -> None:
    """A queued turn that never reached the backend is sent (once) after a restart."""
    harness.sim.force_next_turn(
        Scenario.GENERATION, faults=[Fault(kind=FaultKind.SSE_HEARTBEATS_ONLY, seconds=0.5)]
    )
    await harness.bot.receive(harness.message("make a video of snow"))
    await harness.bot.receive(harness.message("now tell me a joke"))
    # Stop once the first turn is streaming (its heartbeats last 0.5 s), however busy the machine is.
    async with asyncio.timeout(10):
        while harness.sim.stats.turns_started < 1:  # noqa: ASYNC110 - the simulator has no event for it
            await asyncio.sleep(0.01)
    await harness.bot.stop()
    open_jobs = await harness.store.open_jobs()
    assert [job.state for job in open_jobs] == [JobState.RUNNING, JobState.ACCEPTED]
