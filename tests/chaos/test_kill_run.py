"""SIGKILL a real ``nemobot run`` (Telegram against the fake Bot API, NemoVideo against the simulator)
at the moments the door's rules are about: after a /cancel, during an upload, and while the
database is locked. The restarted process must not resume cancelled work, must say exactly what to
resend, and must answer an update Telegram kept because it was never confirmed."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from core.i18n import t
from simulator import Fault, FaultKind, Scenario, Simulator, SimulatorConfig
from tests.chaos.ledger import LEDGER, Outcome
from tests.telegram.fake_bot_api import FakeBotApi
from tests.telegram.fake_model import Flood
from tests.telegram.harness import FAST_GROUP_INTERVAL_S, FAST_PRIVATE_INTERVAL_S
from tests.telegram.processes import run_env
from tests.telegram.updates import Json, Updates, person

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi()
    # Telegram's flood rules at the faster pace the bot is configured with below.
    api.flood = Flood(private=(5, FAST_PRIVATE_INTERVAL_S), group=(20, FAST_GROUP_INTERVAL_S))
    await api.start()
    try:
        yield api
    finally:
        await api.stop()


@pytest.fixture
def sim_config(tmp_path: Path) -> SimulatorConfig:
    return SimulatorConfig.fast(seed=21, data_dir=tmp_path / "sim", initial_credits=10_000)


def _env(sim: Simulator, fake: FakeBotApi, data: Path) -> dict[str, str]:
    return run_env(
        sim,
        fake,
        data,
        TELEGRAM_ALBUM_WAIT_S="0.2",
        # A write waits this long for a lock held elsewhere (the locked-database test holds one).
        NEMOBOT_DB_BUSY_TIMEOUT_S="0.1",
        TELEGRAM_EDIT_INTERVAL_S=str(FAST_PRIVATE_INTERVAL_S),
        TELEGRAM_GROUP_EDIT_INTERVAL_S=str(FAST_GROUP_INTERVAL_S),
    )


class Running:
    """A ``nemobot run`` process and the log lines it has written so far."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for line in self.process.stderr:
            self.lines.append(line.decode(errors="replace"))

    def logged(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    async def kill(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        await self._reader

    async def stop(self) -> str:
        """SIGTERM, as an operator would; the process must exit cleanly and log no secret."""
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), 30)
        except TimeoutError:
            await self.kill()
            raise AssertionError("did not stop on SIGTERM:\n" + "".join(self.lines)) from None
        await self._reader
        log = "".join(self.lines)
        assert self.process.returncode == 0, log
        assert "nmv_usr_" not in log
        assert "/file/bot" not in log
        return log


async def _run(sim: Simulator, fake: FakeBotApi, data: Path) -> Running:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bots",
        "run",
        cwd=str(ROOT),
        env=_env(sim, fake, data),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    return Running(process)


async def _until(predicate: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.05)


async def _answered(fake: FakeBotApi, chat: Json, text: str) -> None:
    await fake.wait_for(lambda: any(text in m for m in fake.texts(chat["id"])) or None, 30)


async def _started_and_resumed(fake: FakeBotApi, updates: Updates) -> None:
    """A restarted process has resumed its jobs once it answers a fresh message (resume runs right
    after the adapters start, before this message is handled)."""
    probe = updates.private(person(9009, name="Probe"))
    updates.message(probe, "/help", sender=person(9009, name="Probe"))
    await fake.wait_for(lambda: fake.sent(probe["id"]) or None, 30)


def _jobs(data: Path) -> dict[str, int]:
    with sqlite3.connect(data / "nemobot.db") as db:
        rows = db.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall()
    return {str(state): int(count) for state, count in rows}


def _open_jobs(data: Path) -> int:
    jobs = _jobs(data)
    return sum(jobs.get(state, 0) for state in ("accepted", "running", "delivering"))


async def test_sigkill_after_cancel_resumes_none_of_the_cancelled_work(
    sim: Simulator, fake: FakeBotApi, tmp_path: Path
) -> None:
    """A running turn and two queued ones, /cancel, kill -9 at once: the restart sends nothing."""
    data = tmp_path / "data"
    updates = Updates(fake)
    chat = updates.private()
    sim.force_next_turn(Scenario.CHAT, faults=[Fault(kind=FaultKind.SSE_HEARTBEATS_ONLY, seconds=60.0)])
    process = await _run(sim, fake, data)
    try:
        updates.message(chat, "make a video of the sea")
        await _until(lambda: sim.stats.turns_started == 1)
        updates.message(chat, "then add music")
        updates.message(chat, "and a title")
        await _answered(fake, chat, "2 ahead")
        updates.message(chat, "/cancel")
        await _answered(fake, chat, t("en", "cancelled_queue", count=2))
    finally:
        await process.kill()
    assert _open_jobs(data) == 0, _jobs(data)
    assert _jobs(data).get("cancelled") == 3

    again = await _run(sim, fake, data)
    try:
        await _started_and_resumed(fake, updates)
    finally:
        await again.stop()
    LEDGER.add(
        Outcome(
            "SIGKILL right after /cancel",
            turns_accepted=1,
            turns_sent=sim.stats.turns_started,
            open_jobs=_open_jobs(data),
        )
    )
    assert sim.stats.turns_started == 1, "no cancelled turn was sent after the restart"


async def test_sigkill_during_an_upload_says_exactly_what_to_resend(
    sim: Simulator, fake: FakeBotApi, tmp_path: Path
) -> None:
    """The file download stalls, the process dies; the restart names the file and the caption."""
    data = tmp_path / "data"
    updates = Updates(fake)
    chat = updates.private()
    fake.stall_downloads = True
    process = await _run(sim, fake, data)
    try:
        media = updates.media("video", data=b"\0" * 300_000, name="harbour.mp4", mime="video/mp4")
        updates.message(chat, extra=media | {"caption": "make it black and white"})
        await fake.wait_for(lambda: [c for c in fake.calls if c.method == "download"] or None, 30)
        await _until(lambda: _jobs(data).get("accepted", 0) + _jobs(data).get("running", 0) == 1)
    finally:
        await process.kill()
    fake.stall_downloads = False

    again = await _run(sim, fake, data)
    try:
        await _answered(fake, chat, "harbour.mp4")
        await _started_and_resumed(fake, updates)
    finally:
        await again.stop()
    told = [m for m in fake.texts(chat["id"]) if "harbour.mp4" in m]
    LEDGER.add(Outcome("SIGKILL during an upload", unanswered=0 if told else 1, open_jobs=_open_jobs(data)))
    assert any("send the file(s) again" in m and "make it black and white" in m for m in told), told
    assert _open_jobs(data) == 0
    assert sim.stats.turns_started == 0, "the caption is not sent without its file"


async def test_an_update_received_while_the_database_is_locked_is_answered_after_a_restart(
    sim: Simulator, fake: FakeBotApi, tmp_path: Path
) -> None:
    """Another process holds the database: the update cannot be stored, so it is not confirmed;
    killed in that state, the next process gets it from Telegram again and answers it once."""
    data = tmp_path / "data"
    updates = Updates(fake)
    chat = updates.private()
    process = await _run(sim, fake, data)
    try:
        await _started_and_resumed(fake, updates)
        lock = sqlite3.connect(data / "nemobot.db", isolation_level=None)
        try:
            lock.execute("BEGIN EXCLUSIVE")
            update = updates.message(chat, "/help")
            # The store gives up after its busy timeout and the core refuses the update.
            await _until(lambda: process.logged("storing event"), 30)
            assert fake.confirmed_offset <= int(update["update_id"]), "not confirmed"
            assert not fake.sent(chat["id"])
        finally:
            await process.kill()
            lock.execute("ROLLBACK")
            lock.close()
    finally:
        await process.kill()

    again = await _run(sim, fake, data)
    try:
        await fake.confirmed(int(update["update_id"]), 30)
        await fake.wait_for(lambda: fake.sent(chat["id"]) or None, 30)
    finally:
        await again.stop()
    answers = len(fake.sent(chat["id"]))
    LEDGER.add(Outcome("database locked, then SIGKILL", unanswered=0 if answers == 1 else 1))
    assert answers == 1
