"""Chaos at the edges: duplicate platform updates and messages racing within one chat."""

from __future__ import annotations

import asyncio

from simulator import Scenario
from tests.chaos.ledger import LEDGER, Outcome
from tests.harness import CHAT, Harness


async def test_duplicate_platform_updates_run_once(harness: Harness) -> None:
    """The same update delivered three times at once (a redelivery storm) starts one turn."""
    message = harness.message("hello")
    await asyncio.gather(*(harness.bot.receive(message) for _ in range(3)))
    await harness.bot.wait_idle(CHAT)
    sent = harness.sim.stats.turns_started
    LEDGER.add(Outcome("duplicate platform updates", turns_accepted=1, turns_sent=sent))
    assert sent == 1
    assert len(harness.out.messages) == 1


async def test_two_messages_racing_in_one_chat_are_answered_in_order(harness: Harness) -> None:
    """Two messages arriving together: both answered, one after the other, each sent once."""
    harness.sim.force_next_turn(Scenario.GENERATION)
    await asyncio.gather(
        harness.bot.receive(harness.message("make a video of a canyon")),
        harness.bot.receive(harness.message("tell me about the music you chose")),
    )
    await harness.bot.wait_idle(CHAT)
    sent = harness.sim.stats.turns_started
    LEDGER.add(Outcome("two messages racing in one chat", turns_accepted=2, turns_sent=sent))
    assert sent == 2
    finals = [m for m in harness.out.messages if m.final and "queue" not in m.text.lower()]
    assert len(finals) == 2
    assert "Video" in finals[0].text or "video" in finals[0].text
