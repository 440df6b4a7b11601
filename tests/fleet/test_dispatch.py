"""The fleet rule in one process: several workers (each a NemoBot with its own PostgreSQL pool) on one
database. Only a chat's lease holder runs its jobs, in stored order; a dead worker's chats are taken
over once its lease expires, and a job it had sent is recovered by reading state, never sent again.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from core.chat import Attachment, PlatformLimits
from core.leases import Fleet, chat_lease
from core.ports import Job, JobKind, JobState
from simulator import Simulator
from storage import PostgresStore
from tests.fakes import RecordingOutbound
from tests.harness import CHAT, Harness, build_harness
from tests.pg import fresh_schema

FAST = {"lease_s": 30.0, "poll_s": 0.05}


async def _until(predicate: Callable[[], Awaitable[bool]], within: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


class Workers:
    """Builds workers on one fresh schema; ``ahead`` moves a worker's store clock forward (to let
    leases expire without waiting for them)."""

    def __init__(self, url: str, sim: Simulator, tmp_path: Path, limits: PlatformLimits) -> None:
        self.url, self.sim, self.tmp_path, self.limits = url, sim, tmp_path, limits
        self.stack = AsyncExitStack()

    async def start(self, worker_id: str, *, ahead: timedelta = timedelta(0)) -> Harness:
        store = await PostgresStore.open(self.url, clock=lambda: datetime.now(UTC) + ahead)
        self.stack.push_async_callback(store.close)
        http = await self.stack.enter_async_context(httpx.AsyncClient(timeout=10.0))
        harness = await build_harness(
            self.sim, store, self.tmp_path / worker_id, self.limits, http, fleet=Fleet(worker_id, **FAST)
        )
        self.stack.push_async_callback(harness.bot.stop)
        return harness


@pytest.fixture
async def workers(sim: Simulator, tmp_path: Path, limits: PlatformLimits) -> AsyncIterator[Workers]:
    with fresh_schema() as url:
        fleet = Workers(url, sim, tmp_path, limits)
        async with fleet.stack:
            yield fleet


async def _open(h: Harness) -> list[Job]:
    return await h.store.open_jobs(CHAT)


async def test_a_message_for_a_chat_another_worker_holds_runs_there_in_order(
    workers: Workers, sim: Simulator
) -> None:
    """Worker B stores a message for a chat A is busy with; A runs it after its own, B sends nothing."""
    a = await workers.start("a")
    b = await workers.start("b")
    await a.bot.resume()
    await b.bot.resume()
    await a.bot.receive(a.message("make a short video of waves"))
    await b.bot.receive(b.message("now add calm music", message_id="b1"))
    assert not b.bot.busy(CHAT)  # not B's chat: the job waits in the store for its holder

    async def all_done() -> bool:
        return not await _open(a) and not a.bot.busy(CHAT)

    await _until(all_done)
    assert b.out.texts(CHAT) == []
    session = await a.session_id()
    assert sim.stats.run_sse_calls(session) == 2
    finals = [m for m in a.out.messages if m.final]
    assert len(finals) >= 2


async def test_a_dead_workers_chat_is_taken_over_and_its_sent_turn_never_sent_again(
    workers: Workers, sim: Simulator
) -> None:
    """A worker died holding a chat: a turn it had sent (RUNNING) and one it had not (ACCEPTED).
    Once the lease expires another worker reports the first from state and sends only the second."""
    a = await workers.start("a")
    await a.say("make a short video of waves")
    session = await a.session_id()
    assert sim.stats.run_sse_calls(session) == 1
    await a.bot.stop()  # gives its chats back; the "dead" worker below takes this one
    now = datetime.now(UTC)
    sent = Job("sent", CHAT, JobKind.TURN, JobState.RUNNING, now, now, session_id=session, payload="x")
    sent.detail = json.dumps({})
    waiting = Job("waiting", CHAT, JobKind.TURN, JobState.ACCEPTED, now + timedelta(seconds=1), now)
    waiting.payload = "make it brighter"
    await a.store.save_job(sent)
    await a.store.save_job(waiting)
    assert await a.store.take_lease(chat_lease(CHAT), "dead", 30)  # the dead worker's lease

    b = await workers.start("b")
    assert await b.bot.resume() == 0  # the lease is still live: nothing is taken
    late = await workers.start("late", ahead=timedelta(seconds=31))  # its clock: after the expiry
    assert await late.bot.resume() == 2

    async def taken_over() -> bool:
        return not await _open(late) and not late.bot.busy(CHAT)

    await _until(taken_over)
    assert sim.stats.run_sse_calls(session) == 2  # the waiting turn only; the sent one was read back
    assert (await late.store.get_job("sent")).state is JobState.DONE  # type: ignore[union-attr]
    assert (await late.store.get_job("waiting")).state is JobState.DONE  # type: ignore[union-attr]
    assert b.out.texts(CHAT) == []


async def test_a_cancel_through_another_worker_stops_the_holders_work(
    workers: Workers, sim: Simulator
) -> None:
    """/cancel arrives at B while A runs the chat's turn: the job is cancelled in the store at once and
    A stops it on its next look; nothing is resumed later."""
    a = await workers.start("a")
    b = await workers.start("b")
    await a.bot.resume()
    await b.bot.resume()
    await a.say("make a short video of waves")
    sim.config.generation_seconds = 100_000.0  # the next turn runs until cancelled
    await a.bot.receive(a.message("make a 30 second video of mountains"))

    async def running() -> bool:
        return any(job.state is JobState.RUNNING for job in await _open(a))

    await _until(running)
    await b.bot.receive(b.message("/cancel", message_id="b1"))

    async def stopped() -> bool:
        return not a.bot.busy(CHAT) and not await _open(a)

    await _until(stopped)
    cancelled = [job for job in await a.store.open_jobs() if job.chat == CHAT]
    assert cancelled == []


class ReopeningOutbound(RecordingOutbound):
    """A platform that opens a received file again by its id (as Telegram does by file_id)."""

    def __init__(self, limits: PlatformLimits) -> None:
        super().__init__(limits)
        self.reopened: list[str] = []

    def reopen(self, ref: str) -> Callable[[], AsyncIterator[bytes]]:
        self.reopened.append(ref)

        async def chunks() -> AsyncIterator[bytes]:
            yield b"\0" * 50_000

        return chunks


async def test_an_upload_stored_by_one_worker_runs_on_the_holder_from_the_file_id(
    workers: Workers, sim: Simulator, limits: PlatformLimits
) -> None:
    """Everything the upload needs is stored: the holder opens the file by its platform id."""
    a = await workers.start("a")
    b = await workers.start("b")
    b.out = ReopeningOutbound(limits)
    b.bot.attach(CHAT.platform, b.out)
    assert await b.store.take_lease(chat_lease(CHAT), "b", 30)
    clip = Attachment("beach.mp4", "video/mp4", 50_000, open=None, kind="video", ref="file-1")
    await a.bot.receive(a.message("", attachments=(clip,)))
    assert not a.bot.busy(CHAT)
    assert await b.bot.resume() == 1

    async def uploaded() -> bool:
        return not await _open(b) and not b.bot.busy(CHAT)

    await _until(uploaded)
    assert b.out.reopened == ["file-1"]
    assert sim.stats.uploaded_files == 1
    assert a.out.texts(CHAT) == []


async def test_one_worker_of_a_fleet_holds_a_role(workers: Workers) -> None:
    """The Telegram long-poller role goes to one live worker; the others are told who has it."""
    a = await workers.start("a")
    b = await workers.start("b")
    assert await a.bot.take_role("poller/telegram") is None
    assert await b.bot.take_role("poller/telegram") == "a"
    assert await a.bot.take_role("poller/telegram") is None  # its own: kept


class _RenewalsOnHold(PostgresStore):
    """Once ``armed``, holds a renewal's answer (after its UPDATE ran) until ``resume`` is set."""

    armed = False
    held = asyncio.Event()
    resume = asyncio.Event()

    async def renew_leases(self, holder: str, seconds: float) -> list[str]:
        names = await super().renew_leases(holder, seconds)
        if self.armed and not self.resume.is_set():
            self.held.set()
            await self.resume.wait()
        return names


async def test_a_chat_taken_while_a_renewal_runs_is_not_counted_lost(
    sim: Simulator, tmp_path: Path, limits: PlatformLimits, caplog: pytest.LogCaptureFixture
) -> None:
    """A renewal's UPDATE cannot see a lease taken after it ran: the worker keeps that chat (it used
    to call it lost, stop its work and leave the job for a takeover that asks uploads again)."""
    _RenewalsOnHold.held, _RenewalsOnHold.resume = asyncio.Event(), asyncio.Event()
    _RenewalsOnHold.armed = False
    with fresh_schema() as url:
        store = await _RenewalsOnHold.open(url)
        try:
            async with httpx.AsyncClient(timeout=10.0) as http:
                worker = await build_harness(
                    sim, store, tmp_path / "a", limits, http, fleet=Fleet("a", **FAST)
                )
                try:
                    await worker.bot.resume()
                    _RenewalsOnHold.armed = True
                    await asyncio.wait_for(_RenewalsOnHold.held.wait(), 10)  # a renewal has run its UPDATE
                    await worker.bot.receive(worker.message("make a short video of waves"))
                    _RenewalsOnHold.resume.set()  # ... and answers without the chat just taken
                    await worker.bot.wait_idle(CHAT)
                finally:
                    await worker.bot.stop()
        finally:
            await store.close()
    assert "lost the lease" not in caplog.text
    assert sim.stats.turns_started == 1
