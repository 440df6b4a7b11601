"""A fleet end to end: three real ``nemobot run`` processes on one PostgreSQL (a schema of this run's
own), Telegram in webhook mode behind a round-robin proxy, NemoVideo simulated. Hundreds of chats
send turns, uploads and exports; one worker is SIGKILLed while it runs a turn and a render. Every
accepted message must be answered, no turn sent twice, no render submitted or delivered twice, each
chat's jobs run in the order they were stored, and the dead worker's jobs finished by the others.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
import pytest
from aiohttp import web
from cryptography.fernet import Fernet

from simulator import Simulator, SimulatorConfig
from tests.chaos.ledger import LEDGER, Outcome
from tests.fleet.processes import HOOK_PATH, RoundRobin, WebhookSender, Worker, free_port, start_worker
from tests.pg import fresh_schema
from tests.telegram.fake_bot_api import FakeBotApi
from tests.telegram.fake_model import Flood
from tests.telegram.harness import FAST_GROUP_INTERVAL_S, FAST_PRIVATE_INTERVAL_S
from tests.telegram.updates import Json, Updates, person

WORKERS = 3
CHATS = int(os.environ.get("FLEET_CHATS", "300"))
UPLOADS = CHATS // 10  # chats that send a file before their second turn
EXPORTS = CHATS // 10  # chats that export instead of a second turn


@pytest.fixture
def sim_config(tmp_path: Path) -> SimulatorConfig:
    # An edit and a render last ~1-1.5 s: long enough to kill a worker in the middle of both.
    return SimulatorConfig.fast(
        seed=5,
        data_dir=tmp_path / "sim",
        initial_credits=1_000_000,
        time_scale=0.01,
        render_seconds=150.0,
        edit_seconds=100.0,
        music_seconds=100.0,
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi()
    # Telegram's flood rules twentyfold faster, the bot-wide 30 messages a second included.
    api.flood = Flood(
        private=(5, FAST_PRIVATE_INTERVAL_S), group=(20, FAST_GROUP_INTERVAL_S), overall=(30, 1.0 / 20)
    )
    await api.start()
    try:
        yield api
    finally:
        await api.stop()
    assert not api.leaks, f"a secret reached a Telegram chat: {api.leaks}"


def _query(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


async def _until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting: {what}")
        await asyncio.sleep(0.1)


async def test_a_fleet_of_three_loses_nothing_and_duplicates_nothing_when_a_worker_is_killed(
    sim: Simulator, fake: FakeBotApi, tmp_path: Path
) -> None:
    key = Fernet.generate_key().decode()
    with fresh_schema() as url:
        workers = [
            # Leases of 6 s: this test shares two cores with the rest of the suite, and a live worker
            # starved of CPU for a lease's length would hand its chats over (and an upload it was
            # sending would be asked again); production leases are 30 s.
            await start_worker(f"w{i}", sim, fake, url, key, tmp_path / "data", lease_s=6.0)
            for i in range(WORKERS)
        ]
        balancer = RoundRobin(workers)
        app = web.Application()
        app.router.add_post(HOOK_PATH, balancer.forward)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        proxy_port = free_port()
        await web.TCPSite(runner, "127.0.0.1", proxy_port).start()
        failed = True
        try:
            # Two sessions without a connection cap: the proxy's forwards must never wait for a
            # connection held by a request that waits for them.
            async with (
                aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session,
                aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as forwarding,
            ):
                balancer.session = forwarding
                await _until(lambda: fake.webhook is not None, 60, "a worker set the webhook")
                await _until(
                    lambda: all(w.alive and any("is running" in line for line in w.lines) for w in workers),
                    60,
                    "all workers running",
                )
                telegram = WebhookSender(session, f"http://127.0.0.1:{proxy_port}{HOOK_PATH}")
                await _drive(sim, fake, url, workers, telegram)
                failed = False
        finally:
            logs = [await worker.stop() for worker in workers]
            await runner.cleanup()
            if failed:  # what each worker said, for the failure report
                for worker, log in zip(workers, logs, strict=True):
                    print(f"--- {worker.name}\n{log}")  # noqa: T201 - phase times in the test output
        for log in logs:
            assert "nmv_usr_" not in log
            assert "/file/bot" not in log


async def _drive(
    sim: Simulator, fake: FakeBotApi, url: str, workers: list[Worker], telegram: WebhookSender
) -> None:
    updates = Updates(fake)
    users = [person(10_000 + i, name=f"User{i}") for i in range(CHATS)]
    chats = [updates.private(user) for user in users]

    async def converse(i: int, chat: Json) -> None:
        """Each message is sent once the one before it was accepted, so stored order is sent order.
        Chats that export need a draft first; the others start with a short chat turn."""
        exporter = i >= CHATS - EXPORTS
        first = f"make a short video of waves number {i}" if exporter else f"hello, I am user {i}"
        await telegram.deliver(updates.message(chat, first, sender=users[i], push=False))
        if i < UPLOADS:
            media = updates.media("video", data=b"\0" * 20_000, name=f"clip{i}.mp4", mime="video/mp4")
            await telegram.deliver(updates.message(chat, extra=media, sender=users[i], push=False))
        second = "/export" if exporter else f"add calm background music, take {i}"
        await telegram.deliver(updates.message(chat, second, sender=users[i], push=False))

    def open_jobs() -> int:
        rows = _query(url, "SELECT count(*) FROM jobs WHERE state IN ('accepted', 'running', 'delivering')")
        return int(rows[0][0])

    started = asyncio.get_running_loop().time()
    sending = asyncio.gather(*(converse(i, chat) for i, chat in enumerate(chats)))

    # A worker in the middle of a turn and of a render dies without a word.
    def victim() -> str | None:
        rows = _query(
            url,
            "SELECT l.holder, j.kind FROM jobs j JOIN leases l"
            " ON l.name = 'chat/' || j.platform || '/' || j.chat_id || '/' || j.thread_id"
            " WHERE j.state = 'running' AND (j.kind = 'turn' OR j.render_id IS NOT NULL)",
        )
        kinds: defaultdict[str, set[str]] = defaultdict(set)
        for holder, kind in rows:
            kinds[str(holder)].add(str(kind))
        both = [holder for holder, seen in kinds.items() if {"turn", "render"} <= seen]
        return both[0] if both else None

    chosen: list[str] = []

    def found() -> bool:
        name = victim()
        if name is not None:
            chosen.append(name)
        return name is not None

    await _until(found, 60, "a worker running a turn and a render")
    await sending
    dead = next(w for w in workers if w.name == chosen[0])
    held = {
        str(row[0])
        for row in _query(url, f"SELECT name FROM leases WHERE holder = '{dead.name}'")  # noqa: S608 - a test's own id
    }
    await dead.kill()

    print(f"killed {dead.name} after {asyncio.get_running_loop().time() - started:.1f}s")  # noqa: T201 - phase times in the test output
    await _until(lambda: open_jobs() == 0, 120, "every job finished after the kill")
    print(f"all done after {asyncio.get_running_loop().time() - started:.1f}s")  # noqa: T201 - phase times in the test output

    jobs = _query(
        url,
        "SELECT platform, chat_id, kind, state, created_at, updated_at, detail FROM jobs ORDER BY created_at",
    )
    turns = [row for row in jobs if row[2] == "turn"]
    exports = [row for row in jobs if row[2] == "render"]
    taken_over = [row for row in jobs if f"chat/{row[0]}/{row[1]}/" in held]
    sends = sum(sim.stats.run_sse_by_session.values())
    videos = Counter(call.params.get("chat_id") for call in fake.sent(None, "sendVideo"))
    LEDGER.add(
        Outcome(
            "fleet of 3, one SIGKILLed mid-turn and mid-render",
            turns_accepted=len(turns),
            turns_sent=sends,
            exports_requested=len(exports),
            render_attempts=len(exports),
            render_submissions=sim.stats.render_submissions,
            deliveries=sum(videos.values()),
            unanswered=sum(1 for row in jobs if row[3] == "failed" and "asked to resend" not in str(row[6])),
            open_jobs=open_jobs(),
        )
    )
    # Every accepted message became a job, and every job ended well.
    assert len(jobs) == telegram.accepted, (Counter(str(row[2]) for row in jobs), telegram.accepted)
    # Every job ended well, except uploads the dead worker had started: their bytes were half-way,
    # so (as after a restart) the user was told exactly which files to send again.
    asked_to_resend = [row for row in jobs if row[2] == "upload" and "asked to resend" in str(row[6])]
    assert all(f"chat/{row[0]}/{row[1]}/" in held for row in asked_to_resend)
    ended_badly = [row for row in jobs if row[3] != "done" and row not in asked_to_resend]
    assert not ended_badly, [(row[1], row[2], row[6]) for row in ended_badly]
    # No turn was sent twice: at most one /run_sse per turn job.
    assert sends <= len(turns)
    for session, count in sim.stats.run_sse_by_session.items():
        # Each chat has at most two turns.
        assert count <= 2, _query(
            url,
            f"SELECT chat_id, kind, state, detail FROM jobs WHERE session_id = '{session}'",  # noqa: S608
        )
    # No render submitted or delivered twice.
    assert sim.stats.render_submissions <= len(exports)
    # (A render Telegram refused to take as a video for flood control is handed out as a link.)
    assert all(count == 1 for count in videos.values()), videos
    # Per-chat order: each chat's jobs finished in the order they were stored.
    by_chat: defaultdict[tuple[str, str], list[tuple[Any, ...]]] = defaultdict(list)
    for row in jobs:
        by_chat[(str(row[0]), str(row[1]))].append(row)
    for rows in by_chat.values():
        finished = [row[5] for row in rows]
        assert finished == sorted(finished), rows
    # The dead worker's chats were finished by the others.
    assert taken_over, "the killed worker held chats"
    assert all(row[3] == "done" or row in asked_to_resend for row in taken_over)
    survivors = [w for w in workers if w is not dead]
    assert all(w.alive for w in survivors)
    assert any("reported after restart" in str(row[6]) for row in taken_over) or any(
        row[2] == "render" for row in taken_over
    )
