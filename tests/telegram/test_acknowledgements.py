"""Reactions on the user's message and the bot's @mention left out of the prompt, through the real
PTB against the fake Bot API."""

from __future__ import annotations

import logging

import pytest

from core.i18n import t
from simulator import Endpoint, Fault, FaultKind, Scenario
from tests.telegram.harness import TelegramHarness


def _reactions(telegram: TelegramHarness, chat_id: int, message_id: int) -> list[list[str]]:
    return [
        [r["emoji"] for r in c.params["reaction"]]
        for c in telegram.fake.calls
        if c.method == "setMessageReaction"
        and c.chat_id == chat_id
        and int(c.params["message_id"]) == message_id
        and c.status == 200
    ]


async def test_an_accepted_turn_is_marked_seen_then_done(telegram: TelegramHarness) -> None:
    """👀 as soon as the turn is accepted, 👌 (Telegram allows no ✅) once the reply is out."""
    chat = telegram.updates.private()
    update = telegram.updates.message(chat, "hello")
    await telegram.handled(update)
    asked = update["message"]["message_id"]
    assert _reactions(telegram, chat["id"], asked) == [["👀"], ["👌"]]
    assert telegram.fake.reactions[(chat["id"], asked)] == ["👌"]


async def test_a_failed_turn_is_marked_failed(telegram: TelegramHarness) -> None:
    """The editor refused the turn (out of credits): the message ends with 👎 beside the explanation."""
    telegram.sim.faults.add(Fault(kind=FaultKind.INSUFFICIENT_CREDITS, endpoint=Endpoint.RUN_SSE))
    chat = telegram.updates.private()
    update = telegram.updates.message(chat, "make it blue")
    await telegram.handled(update)
    assert _reactions(telegram, chat["id"], update["message"]["message_id"]) == [["👀"], ["👎"]]


async def test_commands_get_no_reaction(telegram: TelegramHarness) -> None:
    """Quick answers need no acknowledgement: the answer is the acknowledgement."""
    chat = telegram.updates.private()
    await telegram.handled(telegram.updates.message(chat, "/credits"))
    assert not [c for c in telegram.fake.calls if c.method == "setMessageReaction"]


async def test_a_chat_with_reactions_off_is_skipped_silently(
    telegram: TelegramHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """A 400 on setMessageReaction changes nothing the user sees and logs nothing above DEBUG."""
    caplog.set_level(logging.INFO)
    group = telegram.updates.group()
    telegram.fake.reactions_off.add(group["id"])
    telegram.sim.force_next_turn(Scenario.CHAT)
    await telegram.handled(telegram.updates.message(group, "@nemo_test_bot hello"))
    refused = [c for c in telegram.fake.calls if c.method == "setMessageReaction"]
    assert refused
    assert all(c.status == 400 for c in refused)
    assert telegram.fake.texts(group["id"])[-1].startswith("Hi! I'm Nemo")
    assert "REACTION_INVALID" not in caplog.text


async def test_a_mention_alone_gets_the_hint_not_a_turn_about_the_bot_name(telegram: TelegramHarness) -> None:
    """ "@nemo_test_bot" with nothing else is an empty prompt once the mention is left out."""
    group = telegram.updates.group()
    await telegram.handled(telegram.updates.message(group, "@nemo_test_bot"))
    assert telegram.fake.texts(group["id"]) == [t("en", "empty_message")]
    assert telegram.sim.stats.turns_started == 0


async def test_an_upload_without_a_caption_ends_with_a_reaction_too(telegram: TelegramHarness) -> None:
    """👀 while the file goes up, 👌 once the editor has it (no turn follows to react for it)."""
    chat = telegram.updates.private()
    update = telegram.updates.message(chat, extra=telegram.updates.media("video", data=b"\0" * 2000))
    await telegram.handled(update)
    assert _reactions(telegram, chat["id"], update["message"]["message_id"]) == [["👀"], ["👌"]]
