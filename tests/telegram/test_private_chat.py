"""Private chats through the real PTB Application: streaming, order, duplicates, errors, commands."""

from __future__ import annotations

import itertools
import json
import logging

import pytest

from core.chat import ChatKey, MessageRef
from core.i18n import t
from simulator import Scenario
from tests.telegram.fake_bot_api import TOKEN
from tests.telegram.harness import FAST_PRIVATE_INTERVAL_S, TelegramHarness, chat_of


async def test_a_reply_streams_as_plain_text_and_ends_formatted(telegram: TelegramHarness) -> None:
    """Without drafts (an older server): one message, sent plain, edited plain no faster than the
    private-chat pace (Telegram's 1 s, scaled down in these tests), finished with an HTML edit."""
    telegram.fake.drafts_supported = False
    telegram.sim.config.partial_chunk_seconds = 40  # 0.08 s between chunks: a visible stream
    telegram.sim.force_next_turn(Scenario.CHAT)
    chat = telegram.updates.private()
    await telegram.handled(telegram.updates.message(chat, "hello there"))

    calls = telegram.fake.sent(chat["id"])
    assert calls[0].method == "sendMessage"
    assert [c.method for c in calls[1:]] == ["editMessageText"] * (len(calls) - 1)
    assert len(calls) >= 2, "a partial text, then growing edits"
    # The final edit is HTML, and takes away the Cancel button the running reply carried.
    final_edit = [c for c in telegram.fake.calls if c.method == "editMessageText"][-1]
    assert final_edit.params["parse_mode"] == "HTML"
    assert final_edit.status == 200
    partial = [c for c in calls if c is not final_edit]
    assert all("parse_mode" not in c.params for c in partial), "partial text is never formatted"
    assert all("a:cancel" in json.dumps(c.params.get("reply_markup")) for c in partial)
    assert "a:cancel" not in json.dumps(final_edit.params.get("reply_markup"))
    assert all("message is not modified" not in c.error for c in telegram.fake.calls)
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(calls)]
    assert min(gaps) >= FAST_PRIVATE_INTERVAL_S * 0.95, gaps
    [final] = telegram.fake.texts(chat["id"])
    assert final.startswith("Hi! I'm Nemo")
    assert len(calls[0].text) < len(final), "the first message showed a partial text"
    assert telegram.fake.rate_limited == 0


async def test_messages_of_one_chat_are_handled_in_order(telegram: TelegramHarness) -> None:
    """ "/lang zh" then "hello" in one batch: the reply to hello is already in Chinese."""
    chat = telegram.updates.private()
    telegram.updates.message(chat, "/lang zh")
    second = telegram.updates.message(chat, "hello")
    await telegram.handled(second)
    texts = telegram.fake.texts(chat["id"])
    assert texts[0] == t("zh", "lang_switched")
    assert any("你好" in text for text in texts[1:]), texts


async def test_an_update_delivered_again_after_a_restart_is_ignored(telegram: TelegramHarness) -> None:
    """Telegram re-sends an update whose confirmation was lost: the store drops it, no second reply."""
    chat = telegram.updates.private()
    update = telegram.updates.message(chat, "/credits")
    await telegram.handled(update)
    assert len(telegram.fake.sent(chat["id"])) == 1

    await telegram.restart()
    telegram.fake.redeliver(update)
    await telegram.handled(update)
    assert len(telegram.fake.sent(chat["id"])) == 1


async def test_unparsable_html_falls_back_to_plain_text(telegram: TelegramHarness) -> None:
    """If Telegram refuses the formatted final text, the same text goes out plain."""
    telegram.fake.reject_html = True
    chat = telegram.updates.private()
    await telegram.handled(telegram.updates.message(chat, "/credits"))
    refused, accepted = [c for c in telegram.fake.calls if c.method == "sendMessage"]
    assert "can't parse entities" in refused.error
    assert accepted.status == 200
    assert "parse_mode" not in accepted.params
    assert telegram.fake.texts(chat["id"])[0].startswith("💳")


async def test_a_blocked_user_is_logged_without_the_token_and_the_bot_carries_on(
    telegram: TelegramHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """403 from Telegram: logged once as unavailable, nothing crashes, other chats still work."""
    caplog.set_level(logging.INFO)
    blocked = telegram.updates.private({"id": 2002, "is_bot": False, "first_name": "Bo"})
    telegram.fake.blocked_chats.add(2002)
    await telegram.handled(telegram.updates.message(blocked, "/credits"))
    assert "bot was blocked" in caplog.text
    assert TOKEN not in caplog.text
    assert TOKEN.split(":")[1] not in caplog.text

    chat = telegram.updates.private()
    await telegram.handled(telegram.updates.message(chat, "/credits"))
    assert telegram.fake.texts(chat["id"])


async def test_the_command_menu_is_published_in_both_languages(telegram: TelegramHarness) -> None:
    """setMyCommands: default (English) and zh, with the nine commands of the issue."""
    names = ["start", "help", "new", "credits", "status", "export", "skill", "lang", "cancel"]
    assert [c["command"] for c in telegram.fake.commands[None]] == names
    assert [c["command"] for c in telegram.fake.commands["zh"]] == names
    status = {c["command"]: c["description"] for c in telegram.fake.commands["zh"]}["status"]
    assert "时间轴" in status


async def test_a_sticker_in_a_private_chat_gets_a_hint_and_a_join_gets_nothing(
    telegram: TelegramHarness,
) -> None:
    """Content the editor cannot use is answered; service messages are not."""
    chat = telegram.updates.private()
    sticker = {
        "file_id": "st",
        "file_unique_id": "st",
        "type": "regular",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
    }
    update = telegram.updates.message(chat, extra={"sticker": sticker})
    await telegram.handled(update)
    assert telegram.fake.texts(chat["id"]) == [t("en", "empty_message")]

    group = telegram.updates.group()
    joined = telegram.updates.message(
        group, extra={"new_chat_members": [{"id": 5, "is_bot": False, "first_name": "C"}]}
    )
    await telegram.handled(joined)
    assert not telegram.fake.sent(group["id"])
    assert chat_of(joined).chat_id == str(group["id"])


async def test_a_final_version_that_adds_formatting_is_still_sent_as_html(telegram: TelegramHarness) -> None:
    """Only edits that change nothing are skipped: a heading that turns bold does go out."""
    telegram.sim.config.partial_chunk_seconds = 40
    telegram.sim.force_next_turn(Scenario.CHAT)
    chat = telegram.updates.private()
    await telegram.handled(telegram.updates.message(chat, "hello there"))
    assert telegram.adapter is not None
    outbound = telegram.adapter.outbound
    assert outbound is not None
    reply = max(mid for cid, mid in telegram.fake.messages if cid == chat["id"])
    ref = MessageRef(ChatKey("telegram", str(chat["id"])), str(reply))
    calls = len(telegram.fake.calls)
    await outbound.edit_text(ref, "Plan\nfirst cut, then music", final=False)
    await outbound.edit_text(ref, "Plan\nfirst cut, then music", final=False)  # same: skipped
    await outbound.edit_text(ref, "Plan\nfirst cut, then music", final=True)  # bold heading: sent
    await outbound.edit_text(ref, "Plan\nfirst cut, then music", final=True)  # same again: skipped
    edits = [c for c in telegram.fake.calls[calls:] if c.method == "editMessageText"]
    assert [c.params.get("parse_mode") for c in edits] == [None, "HTML"]
    assert all(c.status == 200 for c in edits)
