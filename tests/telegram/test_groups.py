"""Groups and forum topics: only messages meant for the bot are answered; topics are separate chats."""

from __future__ import annotations

import itertools

from core.chat import ChatKey
from core.i18n import t
from simulator import Scenario
from tests.telegram.fake_bot_api import BOT_USERNAME
from tests.telegram.harness import FAST_GROUP_INTERVAL_S, TelegramHarness
from tests.telegram.updates import person


async def test_group_chatter_not_meant_for_the_bot_gets_no_reply(telegram: TelegramHarness) -> None:
    """Plain talk, a command for another bot, and a reply to someone else: no reply, no typing."""
    group = telegram.updates.group()
    other = telegram.updates.message(group, "hello everyone", sender=person(7, name="Cy"), push=False)
    telegram.updates.message(group, "let's export tonight")
    telegram.updates.message(group, "/status@some_other_bot")
    last = telegram.updates.message(group, "agreed", reply_to=other["message"])
    await telegram.handled(last)
    assert not [c for c in telegram.fake.calls if c.chat_id == group["id"]]


async def test_a_command_addressed_to_the_bot_in_a_group_is_answered(telegram: TelegramHarness) -> None:
    """/credits@this_bot gets the credits reply in the group."""
    group = telegram.updates.group()
    await telegram.handled(telegram.updates.message(group, f"/credits@{BOT_USERNAME}"))
    [text] = telegram.fake.texts(group["id"])
    assert text.startswith("💳")


async def test_a_reply_to_the_bot_and_a_mention_are_answered(telegram: TelegramHarness) -> None:
    """Replying to one of the bot's messages, or @mentioning it, addresses it."""
    group = telegram.updates.group()
    await telegram.handled(telegram.updates.message(group, f"/help@{BOT_USERNAME}"))
    bot_message = telegram.fake.messages[(group["id"], 2)].json
    await telegram.handled(telegram.updates.message(group, "/credits", reply_to=bot_message))
    await telegram.handled(telegram.updates.message(group, f"@{BOT_USERNAME} credits"))
    texts = telegram.fake.texts(group["id"])
    assert len(texts) == 3
    assert texts[1].startswith("💳")
    assert texts[2].startswith("💳")


async def test_forum_topics_are_separate_chats_that_stream_at_the_group_pace(
    telegram: TelegramHarness,
) -> None:
    """Two topics: two backend sessions, every send names its topic, edits no faster than the group pace
    (Telegram's 3 s, scaled down with the fake's flood rules in these tests)."""
    forum = telegram.updates.group(-100300, forum=True)
    telegram.sim.config.partial_chunk_seconds = 250  # a stream of one to two seconds
    telegram.sim.force_next_turn(Scenario.CHAT)
    streamed = telegram.updates.message(forum, f"@{BOT_USERNAME} hello", thread_id=7)
    command = telegram.updates.message(forum, f"/new@{BOT_USERNAME}", thread_id=9)
    await telegram.handled(streamed)
    await telegram.handled(command)

    assert telegram.store is not None
    records = [await telegram.store.get_chat(ChatKey("telegram", "-100300", str(n))) for n in (7, 9)]
    sessions = {record.session_id for record in records if record is not None}
    assert len(sessions) == 2
    assert None not in sessions
    sends = [c for c in telegram.fake.calls if c.method in ("sendMessage", "sendChatAction")]
    assert {c.thread_id for c in sends} == {7, 9}
    assert {c.thread_id for c in sends if c.method == "sendChatAction"} == {7}
    assert t("en", "session_new") in telegram.fake.texts(-100300)

    topic = [c for c in telegram.fake.sent(-100300) if c.method == "editMessageText" or c.thread_id == 7]
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(topic)]
    assert gaps, "the reply was edited"
    assert min(gaps) >= FAST_GROUP_INTERVAL_S * 0.95, gaps
    assert telegram.fake.rate_limited == 0
