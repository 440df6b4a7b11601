"""Flood pacing and update ordering, on their own (no server)."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from telegram import Update

from bots.telegram.flood import Pacer
from bots.telegram.ordering import Acceptance, ChatOrderedProcessor


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_private_chat_gets_a_burst_of_five_then_about_one_a_second() -> None:
    """Slots: five at once, then one per (padded) second, in order."""
    clock = Clock()
    pacer = Pacer(1000, clock=clock)
    starts = [pacer.reserve_chat(42) for _ in range(7)]
    assert starts[:5] == [100.0] * 5
    assert starts[5:] == pytest.approx([101.1, 102.2])


def test_a_group_gets_twenty_then_one_every_three_seconds_and_a_429_blocks_the_chat() -> None:
    """Group chats: a burst of 20, then one per (padded) 3 s; ``block`` holds a chat after a 429."""
    clock = Clock()
    pacer = Pacer(1000, clock=clock)
    starts = [pacer.reserve_chat(-100) for _ in range(21)]
    assert starts[19] == pytest.approx(100.0)
    assert starts[20] == pytest.approx(103.3)
    pacer.block(7, 12.0)
    assert pacer.reserve_chat(7) == 112.0


def test_a_quiet_chat_gets_its_burst_back() -> None:
    """After a pause as long as the burst, the chat may burst again."""
    clock = Clock()
    pacer = Pacer(1000, clock=clock)
    for _ in range(5):
        pacer.reserve_chat(42)
    clock.now += 5.5
    assert [pacer.reserve_chat(42) for _ in range(5)] == [105.5] * 5


async def test_the_overall_rate_spaces_sends_across_chats_in_order() -> None:
    """Across chats, sends leave ``1/per_second`` apart, first come first served."""
    pacer = Pacer(50)
    loop = asyncio.get_running_loop()
    released: list[tuple[int, float]] = []

    async def send(chat_id: int) -> None:
        await pacer.slot(chat_id)
        released.append((chat_id, loop.time()))

    await asyncio.gather(*(send(chat_id) for chat_id in range(1, 6)))
    assert [chat_id for chat_id, _at in released] == [1, 2, 3, 4, 5]
    gaps = [b - a for (_c, a), (_d, b) in itertools.pairwise(released)]
    assert min(gaps) >= 0.019


def _update(update_id: int, chat_id: int) -> Update:
    return Update.de_json(
        {
            "update_id": update_id,
            "message": {"message_id": update_id, "date": 0, "chat": {"id": chat_id, "type": "private"}},
        },
        None,
    )


async def test_one_chat_runs_in_order_while_other_chats_run_alongside() -> None:
    """Per-chat lock: chat 1's second update waits for its first; chat 2 does not wait at all."""
    acceptance = Acceptance()
    processor = ChatOrderedProcessor(acceptance)
    log: list[str] = []
    gate = asyncio.Event()

    async def work(name: str, wait: bool) -> None:
        log.append(f"{name} start")
        if wait:
            await gate.wait()
        log.append(f"{name} end")

    updates = [(_update(1, 1), "a1", True), (_update(2, 1), "a2", False), (_update(3, 2), "b1", False)]
    for update, _name, _wait in updates:
        acceptance.track(update.update_id)
    tasks = [asyncio.create_task(processor.process_update(u, work(n, w))) for u, n, w in updates]
    await asyncio.sleep(0.01)
    assert log == ["a1 start", "b1 start", "b1 end"]
    assert acceptance.oldest_waiting() == 1
    gate.set()
    await asyncio.gather(*tasks)
    assert log[3:] == ["a1 end", "a2 start", "a2 end"]
    assert acceptance.oldest_waiting() is None


async def test_a_deferred_update_is_accepted_only_when_handed_over() -> None:
    """Album parts stay unconfirmed after their handler returns, until the album is delivered."""
    acceptance = Acceptance()
    acceptance.track(5)
    acceptance.defer(5)
    acceptance.processed(5)
    assert acceptance.oldest_waiting() == 5
    acceptance.accept([5])
    assert acceptance.oldest_waiting() is None


async def test_an_update_stuck_past_patience_stops_holding_back_confirmation() -> None:
    """A hung read-only command must not stall the poller forever."""
    clock = Clock()
    acceptance = Acceptance(patience_s=5.0, clock=clock)
    acceptance.track(9)
    assert acceptance.oldest_waiting() == 9
    clock.now += 6
    assert acceptance.oldest_waiting() is None
