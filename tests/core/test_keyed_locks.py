"""Per-key locks serialise one key, leave others free, and forget a key once nobody uses it."""

from __future__ import annotations

import asyncio

from core.keyed_locks import KeyedLocks


async def test_one_key_is_serialised_other_keys_run_and_idle_keys_are_forgotten() -> None:
    locks = KeyedLocks()
    order: list[str] = []
    release = asyncio.Event()

    async def first() -> None:
        async with locks.hold("a"):
            order.append("a1 in")
            await release.wait()
            order.append("a1 out")

    async def second() -> None:
        async with locks.hold("a"):
            order.append("a2 in")

    async def other() -> None:
        async with locks.hold("b"):
            order.append("b in")

    tasks = [asyncio.create_task(first()), asyncio.create_task(second()), asyncio.create_task(other())]
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert order == ["a1 in", "b in"], "the second 'a' waits; 'b' does not"
    assert len(locks) == 1, "'b' is forgotten once released; 'a' is held and waited for"
    release.set()
    await asyncio.gather(*tasks)
    assert order == ["a1 in", "b in", "a1 out", "a2 in"]
    assert len(locks) == 0
