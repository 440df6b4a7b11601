"""SIGKILL the bot process during a turn and during a render; the restarted process must deliver
the render and must not send the turn again."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from simulator import Scenario, Simulator, SimulatorConfig
from tests.chaos.ledger import LEDGER, Outcome

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def slow_sim(tmp_path: Path) -> AsyncIterator[Simulator]:
    # Slow enough to kill the bot mid-turn and mid-render, fast enough for CI.
    config = SimulatorConfig.fast(
        seed=9, data_dir=tmp_path / "sim", time_scale=0.02, initial_credits=10_000, render_seconds=100.0
    )
    sim = Simulator(config)
    async with sim.running():
        yield sim


def _env(sim: Simulator, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEMO", "TELEGRAM", "DISCORD"))}
    assert sim.base_url is not None
    env.update(
        NEMO_API_URL=sim.base_url,
        NEMOBOT_DATA_DIR=str(data),
        NEMO_RENDER_POLL_MAX_S="0.3",
        NEMOBOT_RECOVERY_FIRST_S="0.2",
        NEMOBOT_RECOVERY_NEXT_S="0.3",
    )
    return env


async def _console(sim: Simulator, data: Path, stdin: bytes | None) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bots",
        "console",
        cwd=str(ROOT),
        env=_env(sim, data),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    if stdin is not None:
        assert process.stdin is not None
        process.stdin.write(stdin)
        await process.stdin.drain()
    return process


async def _until(predicate: object, seconds: float = 20.0) -> None:
    assert callable(predicate)
    deadline = asyncio.get_running_loop().time() + seconds
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.05)


async def _restart_and_finish(sim: Simulator, data: Path) -> str:
    """Start the bot again with no new input: it resumes open jobs and exits when they are done."""
    process = await _console(sim, data, None)
    assert process.stdin is not None
    process.stdin.close()
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()
    assert b"nmv_usr_" not in stdout + stderr
    return stdout.decode()


def _session_id(data: Path) -> str:
    with sqlite3.connect(data / "nemobot.db") as db:
        row = db.execute("SELECT session_id FROM chats").fetchone()
    return str(row[0])


def _open_jobs(data: Path) -> int:
    with sqlite3.connect(data / "nemobot.db") as db:
        row = db.execute(
            "SELECT COUNT(*) FROM jobs WHERE state IN ('accepted','running','delivering')"
        ).fetchone()
    return int(row[0])


async def test_sigkill_during_a_turn_reports_from_state_without_resending(
    slow_sim: Simulator, tmp_path: Path
) -> None:
    """Killed mid-generation: after the restart the user hears what changed; /run_sse was called once."""
    data = tmp_path / "data"
    slow_sim.force_next_turn(Scenario.GENERATION)
    process = await _console(slow_sim, data, b"make a video of a glacier\n")
    await _until(lambda: slow_sim.stats.turns_started == 1)
    process.send_signal(signal.SIGKILL)
    await process.wait()
    await slow_sim.wait_idle(60)

    output = await _restart_and_finish(slow_sim, data)
    sends = slow_sim.stats.run_sse_calls(_session_id(data))
    LEDGER.add(
        Outcome("SIGKILL during a turn", turns_accepted=1, turns_sent=sends, open_jobs=_open_jobs(data))
    )
    assert sends == 1
    assert "restarted" in output
    assert _open_jobs(data) == 0


async def test_sigkill_during_a_render_delivers_it_after_the_restart(
    slow_sim: Simulator, tmp_path: Path
) -> None:
    """Killed mid-render: the restarted bot polls the same render and delivers the MP4, once."""
    data = tmp_path / "data"
    # A quick generation first so there is something to export.
    slow_sim.config.generation_seconds = 5.0
    slow_sim.force_next_turn(Scenario.GENERATION)
    process = await _console(slow_sim, data, b"make a video of a glacier\n/export\n")
    await _until(lambda: slow_sim.stats.render_submissions == 1, 40)
    process.send_signal(signal.SIGKILL)
    await process.wait()

    output = await _restart_and_finish(slow_sim, data)
    LEDGER.add(
        Outcome(
            "SIGKILL during a render",
            exports_requested=1,
            render_attempts=1,
            render_submissions=slow_sim.stats.render_submissions,
            deliveries=output.count("🎬"),
            open_jobs=_open_jobs(data),
        )
    )
    assert slow_sim.stats.render_submissions == 1
    assert output.count("🎬") == 1
    assert _open_jobs(data) == 0
