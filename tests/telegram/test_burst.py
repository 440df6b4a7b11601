"""Fifty private chats streaming at once stay within Telegram's flood limits."""

from __future__ import annotations

import asyncio
import bisect
import itertools
import statistics

import pytest

from tests.telegram.fake_model import Call, Flood
from tests.telegram.harness import TelegramHarness
from tests.telegram.updates import person

CHATS = 50


@pytest.fixture
def telegram_changes() -> dict[str, float]:
    """This is the budget test: Telegram's real pace (one edit a second in a private chat)."""
    return {"telegram_edit_interval_s": 1.0, "telegram_group_edit_interval_s": 3.0}


def busiest_second(calls: list[Call]) -> int:
    """The most calls inside any one-second window."""
    times = sorted(c.at for c in calls)
    return max((bisect.bisect_right(times, t + 1.0) - i for i, t in enumerate(times)), default=0)


async def test_fifty_chats_streaming_at_once_trigger_no_429(telegram: TelegramHarness) -> None:
    """Every chat gets its streamed reply, edits stay a second apart, and the fake never says 429.

    Edits are the heavier path (drafts are the default in private chats), so drafts are off here.
    """
    telegram.fake.flood = Flood()  # Telegram's real rules
    telegram.fake.drafts_supported = False
    telegram.sim.config.partial_chunk_seconds = 250  # 0.5 s between chunks: 1.5-2.5 s streams
    users = [person(5000 + n, name=f"U{n}") for n in range(CHATS)]
    updates = [
        telegram.updates.message(telegram.updates.private(user), "hello", sender=user) for user in users
    ]
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.gather(*(telegram.handled(update) for update in updates))
    elapsed = loop.time() - started

    fake = telegram.fake
    per_chat = {user["id"]: fake.sent(user["id"]) for user in users}
    refused = [(c.method, c.chat_id, round(c.at - started, 2)) for c in fake.calls if c.status == 429]
    assert fake.rate_limited == 0, refused
    unchanged = [c.chat_id for c in fake.calls if "message is not modified" in c.error]
    assert unchanged == [], "an edit that changes nothing is skipped, not sent"
    for user in users:
        assert fake.texts(user["id"])[0].startswith("Hi! I'm Nemo"), "every chat got its final reply"
        assert len(fake.sent(user["id"], "sendMessage")) == 1, "one message per reply, edited in place"
    gaps = [b.at - a.at for calls in per_chat.values() for a, b in itertools.pairwise(calls)]
    rates = [(len(calls) - 1) / (calls[-1].at - calls[0].at) for calls in per_chat.values() if len(calls) > 1]
    overall = busiest_second(fake.sent())
    assert min(gaps) >= 0.95
    assert overall <= 30
    edits = sum(len(fake.sent(user["id"], "editMessageText")) for user in users)
    print(  # noqa: T201 - the figures for the report (pytest -s)
        f"\nburst: {CHATS} chats in {elapsed:.1f}s, {len(fake.sent())} sends+edits ({edits} edits), "
        f"429s={fake.rate_limited}, per-chat edits/s mean={statistics.mean(rates):.2f} max={max(rates):.2f}, "
        f"min gap {min(gaps):.2f}s, busiest second overall={overall}"
    )
