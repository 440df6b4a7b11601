"""Fleet throughput: 1, 2 and 4 ``nemobot run`` processes on one PostgreSQL, Telegram by webhook.

For each fleet size the bench starts that many real worker processes (a throw-away schema on the
local PostgreSQL, the simulator and the fake Telegram Bot API in this process, a round-robin
balancer in front of the webhooks), then ``--chats`` chats each send ``--turns`` turns, one after
the other's acceptance. Printed per size: turns/s end to end, SSE events/s relayed, the largest
number of turns running at once (sampled from the store), and the p50/p99 time from a turn's
acceptance to its end. The simulator's turns are short (``--time-scale``), so the figures measure
the bot, the database and the platform fake, not the backend. All of it shares this machine's CPUs.

Run: ``.venv/bin/python -m bench.fleet [--chats 200] [--turns 2] [--sizes 1,2,4]``.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import aiohttp
import psycopg
from aiohttp import web
from cryptography.fernet import Fernet

from bench._common import Row, percentile, print_machine, print_table
from simulator import Simulator, SimulatorConfig
from tests.fleet.processes import HOOK_PATH, RoundRobin, WebhookSender, free_port, start_worker
from tests.pg import fresh_schema
from tests.telegram.fake_bot_api import FakeBotApi
from tests.telegram.fake_model import Flood
from tests.telegram.harness import FAST_GROUP_INTERVAL_S, FAST_PRIVATE_INTERVAL_S
from tests.telegram.updates import Updates, person

_OPEN = "SELECT count(*) FROM jobs WHERE state IN ('accepted', 'running', 'delivering')"
_RUNNING = "SELECT count(*) FROM jobs WHERE state = 'running'"
_SPANS = "SELECT extract(epoch FROM updated_at - created_at) FROM jobs WHERE kind = 'turn' AND state = 'done'"


def _count(url: str, query: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(query).fetchone()
    return int(row[0]) if row else 0


async def one_size(workers_n: int, chats: int, turns: int, time_scale: float) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="nemobot-bench-fleet-") as folder:
        data = Path(folder)
        sim = Simulator(
            SimulatorConfig.fast(
                seed=3, data_dir=data / "sim", initial_credits=10_000_000, time_scale=time_scale
            )
        )
        fake = FakeBotApi()
        fake.flood = Flood(
            private=(5, FAST_PRIVATE_INTERVAL_S), group=(20, FAST_GROUP_INTERVAL_S), overall=(30, 1 / 20)
        )
        await fake.start()
        try:
            async with sim.running():
                with fresh_schema() as url:
                    return await _measure(sim, fake, url, data, workers_n, chats, turns)
        finally:
            await fake.stop()


async def _measure(
    sim: Simulator, fake: FakeBotApi, url: str, data: Path, workers_n: int, chats: int, turns: int
) -> list[Row]:
    key = Fernet.generate_key().decode()
    # Each worker may use Telegram's whole (fake, twentyfold) send budget: the figures are the bot's
    # and the database's, not the pacer's (a real fleet shares 30 sends/s, see bench/RESULTS.md).
    budget = {"TELEGRAM_MAX_SENDS_PER_S": "600"}
    workers = [
        await start_worker(f"w{i}", sim, fake, url, key, data, extra_env=budget) for i in range(workers_n)
    ]
    balancer = RoundRobin(workers)
    app = web.Application()
    app.router.add_post(HOOK_PATH, balancer.forward)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with (
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session,
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as forwarding,
        ):
            balancer.session = forwarding
            deadline = time.monotonic() + 60
            while not all(any("is running" in line for line in w.lines) for w in workers):
                assert time.monotonic() < deadline, "workers did not start"
                await asyncio.sleep(0.1)
            sender = WebhookSender(session, f"http://127.0.0.1:{port}{HOOK_PATH}")
            updates = Updates(fake)
            users = [person(20_000 + i, name=f"U{i}") for i in range(chats)]
            events_before = sim.stats.partial_events

            async def converse(i: int) -> None:
                chat = updates.private(users[i])
                for n in range(turns):
                    text = f"hello, this is turn {n} of user {i}"
                    await sender.deliver(updates.message(chat, text, sender=users[i], push=False))

            started = time.perf_counter()
            sending = asyncio.gather(*(converse(i) for i in range(chats)))
            peak = 0
            while not sending.done() or _count(url, _OPEN):
                peak = max(peak, _count(url, _RUNNING))
                await asyncio.sleep(0.1)
            await sending
            elapsed = time.perf_counter() - started
            with psycopg.connect(url) as conn:
                spans = sorted(float(row[0]) for row in conn.execute(_SPANS).fetchall())
            events = sim.stats.partial_events - events_before + sim.stats.turns_completed
    finally:
        for worker in workers:
            await worker.stop()
        await runner.cleanup()
    label = f"{workers_n} worker(s)"
    return [
        Row(f"{label}: turns/s", f"{chats * turns / elapsed:.0f}"),
        Row(f"{label}: SSE events/s relayed", f"{events / elapsed:.0f}"),
        Row(f"{label}: turns running at once (peak)", str(peak)),
        Row(f"{label}: turn p50 / p99 (s)", f"{percentile(spans, 0.5):.2f} / {percentile(spans, 0.99):.2f}"),
    ]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--turns", type=int, default=2)
    parser.add_argument("--sizes", default="1,2,4")
    parser.add_argument("--time-scale", type=float, default=0.01)
    args = parser.parse_args()
    print_machine()
    rows: list[Row] = []
    for size in (int(part) for part in args.sizes.split(",")):
        rows += await one_size(size, args.chats, args.turns, args.time_scale)
    print_table(f"fleet: {args.chats} chats x {args.turns} turns, PostgreSQL, Telegram webhook", rows)


if __name__ == "__main__":
    asyncio.run(main())
