"""SIGKILL a real ``nemobot run`` (Telegram, against the fake Bot API) right after the platform
accepted the exported video, while the cosmetic edit of the progress card is in flight. The
restarted process must not send the video again: the delivery was recorded before the edit."""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from simulator import Scenario, Simulator, SimulatorConfig
from tests.chaos.ledger import LEDGER, Outcome
from tests.telegram.fake_bot_api import FakeBotApi
from tests.telegram.processes import run_env
from tests.telegram.updates import Updates

ROOT = Path(__file__).resolve().parents[2]
_DRAINS: set[asyncio.Task[None]] = set()
_RUNNING = re.compile(rb"nemobot is running \(\d+ platform\(s\), (\d+) job\(s\) resumed\)")


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi()
    await api.start()
    try:
        yield api
    finally:
        await api.stop()


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[Simulator]:
    simulator = Simulator(SimulatorConfig.fast(seed=11, data_dir=tmp_path / "sim", initial_credits=10_000))
    async with simulator.running():
        yield simulator


def _env(sim: Simulator, fake: FakeBotApi, data: Path) -> dict[str, str]:
    return run_env(
        sim, fake, data, NEMO_RENDER_POLL_MAX_S="0.3", NEMOBOT_LOG_LEVEL="INFO", PTB_TIMEDELTA="true"
    )


async def _run(env: dict[str, str]) -> tuple[asyncio.subprocess.Process, int]:
    """Start ``nemobot run``; return it and how many jobs it resumed (from its start-up line)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bots",
        "run",
        cwd=str(ROOT),
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    seen = b""
    async with asyncio.timeout(60):
        while (match := _RUNNING.search(seen)) is None:
            line = await process.stderr.readline()
            assert line, f"nemobot run exited: {seen.decode(errors='replace')}"
            seen += line
    # Keep draining stderr so the process never blocks on a full pipe (the task is kept referenced).
    _DRAINS.add(asyncio.get_running_loop().create_task(_drain(process.stderr)))
    return process, int(match.group(1))


async def _drain(stream: asyncio.StreamReader) -> None:
    with contextlib.suppress(Exception):
        while await stream.read(65536):
            pass


def _open_jobs(data: Path) -> int:
    with sqlite3.connect(data / "nemobot.db") as db:
        row = db.execute(
            "SELECT COUNT(*) FROM jobs WHERE state IN ('accepted','running','delivering')"
        ).fetchone()
    return int(row[0])


async def _kill(process: asyncio.subprocess.Process) -> None:
    # Killed, not stopped: what is counted must not depend on a graceful shutdown.
    if process.returncode is None:
        process.kill()
        await process.wait()


async def test_sigkill_after_the_video_was_accepted_never_sends_it_twice(
    fake: FakeBotApi, sim: Simulator, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    env = _env(sim, fake, data)
    updates = Updates(fake)
    chat = updates.private()
    # The cosmetic step after the video went out (the progress card's edit or removal) is held:
    # the bot is killed with it in flight.
    fake.hold = lambda method: (
        method in ("editMessageText", "deleteMessage") and bool(fake.sent(chat["id"], "sendVideo"))
    )
    first, _ = await _run(env)
    try:
        sim.force_next_turn(Scenario.GENERATION)
        updates.message(chat, "make a 5 second video of the sea")
        updates.message(chat, "/export")
        await fake.wait_for(lambda: fake.held, 60)
        # The record is a single write after sendVideo returned; give it the moment it needs
        # (without the fix it never comes, and the kill below lands with the job still open).
        for _ in range(200):
            if not _open_jobs(data):
                break
            await asyncio.sleep(0.05)
    finally:
        await _kill(first)
    fake.release()

    second, resumed = await _run(env)
    try:
        # The chat's queue is in order: once /help is answered, any resumed export would be done.
        answers = len(fake.sent(chat["id"], "sendMessage"))
        updates.message(chat, "/help")
        await fake.wait_for(lambda: len(fake.sent(chat["id"], "sendMessage")) > answers, 30)
    finally:
        await _kill(second)
    videos = len(fake.sent(chat["id"], "sendVideo"))
    LEDGER.add(
        Outcome(
            "SIGKILL after the video was accepted",
            exports_requested=1,
            render_attempts=1,
            render_submissions=sim.stats.render_submissions,
            deliveries=videos,
            open_jobs=_open_jobs(data),
        )
    )
    assert resumed == 0
    assert videos == 1
    assert sim.stats.render_submissions == 1
    assert _open_jobs(data) == 0
