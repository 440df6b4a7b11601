"""The core's rules through the real PTB adapter: a press runs once, the group cancel rule with
Telegram's admin fact, and an update the core could not store is not confirmed."""

from __future__ import annotations

import logging
import sqlite3

import pytest

from core.i18n import t
from simulator import Fault, FaultKind, Scenario
from tests.telegram.fake_bot_api import BOT_USERNAME
from tests.telegram.harness import TelegramHarness, chat_of
from tests.telegram.updates import person

BOB = person(2002, name="Bob")
CY = person(3003, name="Cy")


async def test_a_press_redelivered_after_a_restart_runs_once(telegram: TelegramHarness) -> None:
    """The callback query id is claimed: Telegram re-sending the update to a new process does nothing."""
    chat = telegram.updates.private()
    await telegram.handled(telegram.updates.message(chat, "/help"))
    help_message = telegram.fake.messages[(chat["id"], 2)].json
    press = telegram.updates.press(help_message, "a:help")
    await telegram.handled(press)
    answered = len(telegram.fake.sent(chat["id"]))

    await telegram.restart()
    telegram.fake.redeliver(press)
    await telegram.handled(press)
    assert len(telegram.fake.sent(chat["id"])) == answered


async def test_in_a_group_only_the_requester_or_an_admin_may_cancel(telegram: TelegramHarness) -> None:
    """Bob's Cancel on Ada's running turn is refused; Cy, a group administrator, may cancel it."""
    group = telegram.updates.group()
    telegram.fake.chat_admins.add((group["id"], CY["id"]))
    await telegram.handled(telegram.updates.message(group, f"/help@{BOT_USERNAME}"))
    anchor = next(m for (chat_id, _id), m in telegram.fake.messages.items() if chat_id == group["id"]).json
    telegram.sim.force_next_turn(
        Scenario.CHAT, faults=[Fault(kind=FaultKind.SSE_HEARTBEATS_ONLY, seconds=5.0)]
    )
    await telegram.fake.confirmed(
        int(telegram.updates.message(group, f"@{BOT_USERNAME} make a video of the sea")["update_id"])
    )
    # The turn runs once "typing…" shows.
    await telegram.fake.wait_for(lambda: telegram.fake.sent(group["id"], "sendChatAction"))

    refused = telegram.updates.press(anchor, "a:cancel", sender=BOB)
    await telegram.fake.confirmed(int(refused["update_id"]))

    def alerts() -> list[str]:
        answers = [c for c in telegram.fake.calls if c.method == "answerCallbackQuery"]
        return [str(c.params.get("text")) for c in answers if c.params.get("show_alert") in (True, "true")]

    # The refusal is Bob's own alert on the button, not a message to the whole group.
    await telegram.fake.wait_for(lambda: t("en", "reset_not_allowed") in alerts())
    assert t("en", "reset_not_allowed") not in telegram.fake.texts(group["id"])
    assert telegram.bot is not None
    assert telegram.bot.busy(chat_of(refused))

    await telegram.handled(telegram.updates.press(anchor, "a:cancel", sender=CY))
    assert not telegram.bot.busy(chat_of(refused))
    member_checks = [c for c in telegram.fake.calls if c.method == "getChatMember"]
    assert {BOB["id"], CY["id"]} <= {int(c.params["user_id"]) for c in member_checks}


async def test_an_update_the_core_cannot_store_is_not_confirmed_and_comes_again(
    telegram: TelegramHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """The database is locked by another process: the update stays unconfirmed (Telegram keeps it),
    and once the lock is gone it is handed over again and answered once."""
    await telegram.stop()
    telegram.store_busy_timeout_ms = 20
    await telegram.start()
    chat = telegram.updates.private()
    lock = sqlite3.connect(telegram.tmp_path / "data" / "nemobot.db", isolation_level=None)
    try:
        lock.execute("BEGIN EXCLUSIVE")
        with caplog.at_level(logging.ERROR, logger="core.bot"):
            update = telegram.updates.message(chat, "/help")
            await telegram.fake.wait_for(lambda: "storing event" in caplog.text or None)
        assert telegram.fake.confirmed_offset <= int(update["update_id"]), "not confirmed"
        assert not telegram.fake.sent(chat["id"])
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    await telegram.handled(update)
    assert len(telegram.fake.sent(chat["id"])) == 1
