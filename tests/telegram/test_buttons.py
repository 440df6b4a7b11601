"""Inline buttons: answered first, state in callback_data, still working after a restart."""

from __future__ import annotations

from core.i18n import t
from simulator import Scenario
from tests.telegram.harness import TelegramHarness


async def test_an_old_status_button_works_after_a_restart(telegram: TelegramHarness) -> None:
    """New Application, new NemoBot, same SQLite store: "a:status" from before still answers."""
    chat = telegram.updates.private()
    telegram.sim.force_next_turn(Scenario.GENERATION)
    await telegram.handled(telegram.updates.message(chat, "make a 5 second video of a harbour"))
    with_buttons = [m for m in telegram.fake.messages.values() if m.markup and m.chat_id == chat["id"]]
    assert with_buttons, "the reply offered buttons"
    labels = [
        b["callback_data"] for row in with_buttons[-1].json["reply_markup"]["inline_keyboard"] for b in row
    ]
    assert "a:status" in labels

    await telegram.restart()
    before = len(telegram.fake.calls)
    await telegram.handled(telegram.updates.press(with_buttons[-1].json, "a:status"))
    after = [c for c in telegram.fake.calls[before:] if c.method in ("answerCallbackQuery", "sendMessage")]
    assert [c.method for c in after] == ["answerCallbackQuery", "sendMessage"], "answered before the work"
    assert "show_alert" not in after[0].params or after[0].params["show_alert"] in ("false", "False", False)
    assert after[1].text.startswith("<b>🎬"), after[1].text


async def test_an_unknown_or_forged_button_gets_a_stale_alert_and_nothing_else(
    telegram: TelegramHarness,
) -> None:
    """Data that is not ours (old format, forged, truncated) is answered with a short alert."""
    chat = telegram.updates.private()
    await telegram.handled(telegram.updates.message(chat, "/help"))
    message = next(m for m in telegram.fake.messages.values() if m.chat_id == chat["id"] and m.text)
    for data in ("a:bogus", "export", "a:", "x" * 64):
        await telegram.handled(telegram.updates.press(message.json, data))
    answers = [c for c in telegram.fake.calls if c.method == "answerCallbackQuery"]
    assert len(answers) == 4
    assert all(c.params["text"] == t("en", "button_stale") for c in answers)
    assert all(c.params["show_alert"] in ("true", "True", True) for c in answers)
    assert len(telegram.fake.sent(chat["id"])) == 1, "only the /help reply"
