"""Store throughput: the store work of one chat turn, from many chats at once, per store.

One "turn" is what the core asks of its store for a message: claim the message id, read the chat,
save the job three times (accepted, running, done), count usage and read the count back: 7 calls.
``--chats`` coroutines each run ``--turns`` such turns against one store, all in one event loop
(as one ``nemobot run`` process does). Printed per store: turns/s, store calls/s, and the latency
of one call (p50, p99). PostgreSQL is the local server (``--postgres``, default the test server)
in a throw-away schema; it is skipped with a note when unreachable.

Run: ``.venv/bin/python -m bench.store_ops [--chats 200] [--turns 20] [--postgres URL]``.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql

from bench._common import Row, percentile, print_machine, print_table
from core.chat import ChatKey
from core.ports import Job, JobKind, JobState, Store
from storage import MemoryStore, PostgresStore, SqliteStore

CALLS_PER_TURN = 7


async def one_turn(store: Store, chat: ChatKey, n: int, latencies: list[float]) -> None:
    async def timed(call: object) -> None:
        started = time.perf_counter()
        await call  # type: ignore[misc]
        latencies.append(time.perf_counter() - started)

    now = datetime.now(UTC)
    job = Job(f"{chat.chat_id}-{n}", chat, JobKind.TURN, JobState.ACCEPTED, now, now, payload="make it")
    await timed(store.claim_message(chat, str(n)))
    await timed(store.get_chat(chat))
    await timed(store.save_job(job))
    job.state = JobState.RUNNING
    await timed(store.save_job(job))
    job.state = JobState.DONE
    await timed(store.save_job(job))
    await timed(store.add_usage(chat, "u1", "turn", now.date().isoformat()))
    await timed(store.usage(chat, now.date().isoformat()))


async def measure(name: str, store: Store, chats: int, turns: int) -> list[Row]:
    latencies: list[float] = []

    async def chat_worker(i: int) -> None:
        chat = ChatKey(name, str(i))  # a store measured twice (pool sizes) starts from fresh chats
        for n in range(turns):
            await one_turn(store, chat, n, latencies)

    started = time.perf_counter()
    await asyncio.gather(*(chat_worker(i) for i in range(chats)))
    elapsed = time.perf_counter() - started
    await store.close()
    total = chats * turns
    return [
        Row(f"{name}: turns/s", f"{total / elapsed:,.0f}"),
        Row(f"{name}: store calls/s", f"{total * CALLS_PER_TURN / elapsed:,.0f}"),
        Row(f"{name}: call latency p50 / p99", f"{percentile(latencies, 0.5) * 1000:.2f} / "
            f"{percentile(latencies, 0.99) * 1000:.2f} ms"),
    ]  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chats", type=int, default=200, help="concurrent chats (default 200)")
    parser.add_argument("--turns", type=int, default=20, help="turns per chat (default 20)")
    parser.add_argument("--postgres", default="postgresql://127.0.0.1:5432/test", help="server URL")
    parser.add_argument(
        "--pool-sizes", type=int, nargs="+", default=[10], help="PostgreSQL pool sizes to try (default 10)"
    )
    args = parser.parse_args()
    print_machine()
    print(f"{args.chats} chats × {args.turns} turns, {CALLS_PER_TURN} store calls per turn")
    rows = await measure("memory", MemoryStore(), args.chats, args.turns)
    with tempfile.TemporaryDirectory() as folder:
        sqlite = await SqliteStore.open(Path(folder) / "nemobot.db")
        rows += await measure("sqlite", sqlite, args.chats, args.turns)
    schema = "nemobot_bench_" + uuid.uuid4().hex[:8]
    try:
        with psycopg.connect(args.postgres, autocommit=True, connect_timeout=3) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL skipped: {str(exc).strip().splitlines()[0]}")
    else:
        try:
            url = f"{args.postgres}?options={quote('-csearch_path=' + schema)}"
            for size in args.pool_sizes:
                store = await PostgresStore.open(url, max_connections=size)
                rows += await measure(f"postgresql (pool of {size})", store, args.chats, args.turns)
        finally:
            with psycopg.connect(args.postgres, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
    print_table("Store throughput (one process, one event loop)", rows)


if __name__ == "__main__":
    asyncio.run(main())
