"""Bad input through the real PTB path: each answered clearly within 2 s, the bot carries on."""

from __future__ import annotations

import asyncio

import pytest

from tests.chaos.test_bad_input import BAD_TEXT
from tests.telegram.harness import TelegramHarness

TEXTS = [text for text in BAD_TEXT if text.strip()]


@pytest.mark.parametrize("text", TEXTS, ids=[f"text{i}" for i in range(len(TEXTS))])
async def test_bad_text_in_a_private_chat_is_answered_within_two_seconds(
    telegram: TelegramHarness, text: str
) -> None:
    """No crash, a reply within 2 s, and the next message is still answered."""
    chat = telegram.updates.private()
    started = asyncio.get_running_loop().time()
    await asyncio.wait_for(telegram.handled(telegram.updates.message(chat, text)), 2.0)
    assert asyncio.get_running_loop().time() - started < 2.0
    assert telegram.fake.texts(chat["id"]), f"no answer to {text[:40]!r}"
    await telegram.handled(telegram.updates.message(chat, "/credits"))
    assert any("Credits" in reply or "credits" in reply for reply in telegram.fake.texts(chat["id"]))
