"""Cancel on running job cards in a group, and export results that reply to whoever asked."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from simulator import Fault, FaultKind, Scenario
from tests.telegram.fake_bot_api import BOT_USERNAME
from tests.telegram.harness import TelegramHarness, chat_of
from tests.telegram.updates import Json, person

BOB = person(2002, name="Bob")


def _callbacks(markup: Any) -> list[str]:
    if isinstance(markup, str):
        markup = json.loads(markup) if markup else {}
    rows = (markup or {}).get("inline_keyboard") or []
    return [button.get("callback_data", "") for row in rows for button in row]


def _job_states(telegram: TelegramHarness) -> dict[str, int]:
    with sqlite3.connect(telegram.tmp_path / "data" / "nemobot.db") as db:
        rows = db.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall()
    return {str(state): int(count) for state, count in rows}


async def test_a_running_turn_in_a_group_offers_cancel_and_loses_it_when_stopped(
    telegram: TelegramHarness,
) -> None:
    """The streamed reply carries Cancel while the turn runs; Ada's press stops it (stored as
    cancelled) and the message ends without the button."""
    telegram.core_changes["nemobot_still_working_s"] = 0.1
    await telegram.restart()
    group = telegram.updates.group()
    telegram.sim.force_next_turn(
        Scenario.GENERATION, faults=[Fault(kind=FaultKind.SSE_HEARTBEATS_ONLY, seconds=5.0)]
    )
    asked = telegram.updates.message(group, f"@{BOT_USERNAME} make a video of the sea")
    await telegram.fake.confirmed(int(asked["update_id"]))

    def running() -> list[Any]:
        return [
            m
            for (chat_id, _id), m in telegram.fake.messages.items()
            if chat_id == group["id"] and "a:cancel" in _callbacks(m.markup)
        ]

    (card,) = await telegram.fake.wait_for(running)
    await telegram.handled(telegram.updates.press(card.json, "a:cancel"))

    assert telegram.bot is not None
    assert not telegram.bot.busy(chat_of(asked))
    assert card.text is not None
    assert "Stopped" in card.text
    assert not running(), "the button went away with the job"
    assert _job_states(telegram).get("cancelled") == 1


async def _generate_in(telegram: TelegramHarness, group: Json) -> None:
    telegram.sim.force_next_turn(Scenario.GENERATION)
    await telegram.handled(telegram.updates.message(group, f"@{BOT_USERNAME} make a video of the sea"))


async def test_a_group_export_replies_to_the_export_that_asked_and_its_card_offers_cancel(
    telegram: TelegramHarness,
) -> None:
    """Bob's /export in a group: the progress card offers Cancel while it renders, and the video
    replies to Bob's /export, so the group sees whom it is for."""
    group = telegram.updates.group()
    await _generate_in(telegram, group)
    telegram.sim.config.render_seconds = 300  # long enough for progress to be shown

    asked = telegram.updates.message(group, f"/export@{BOT_USERNAME}", sender=BOB)
    await telegram.handled(asked)

    [video] = telegram.fake.sent(group["id"], "sendVideo")
    assert video.params["reply_parameters"]["message_id"] == asked["message"]["message_id"]
    progress = [
        c for c in telegram.fake.sent(group["id"], "sendMessage", "editMessageText") if "▰" in (c.text or "")
    ]
    assert progress, "the export showed its progress"
    assert all("a:cancel" in _callbacks(c.params.get("reply_markup")) for c in progress)


async def test_an_export_button_in_a_group_replies_to_the_message_it_was_under(
    telegram: TelegramHarness,
) -> None:
    """Export pressed under the reply: the video quotes that message (the press has no message of
    its own to reply to)."""
    group = telegram.updates.group()
    await _generate_in(telegram, group)
    under = next(
        m
        for (chat_id, _id), m in sorted(telegram.fake.messages.items())
        if chat_id == group["id"] and "a:export" in _callbacks(m.markup)
    )
    await telegram.handled(telegram.updates.press(under.json, "a:export", sender=BOB))

    [video] = telegram.fake.sent(group["id"], "sendVideo")
    assert video.params["reply_parameters"]["message_id"] == under.message_id
