"""What a Telegram user sees while a reply is written: native drafts in private chats, edits in
groups and where drafts are refused, and a slow result that arrives as a notifying reply."""

from __future__ import annotations

import itertools

import pytest

from simulator import Scenario
from tests.telegram.harness import TelegramHarness


def _slow_chat(telegram: TelegramHarness) -> None:
    telegram.sim.config.partial_chunk_seconds = 40  # 0.08 s between chunks: a visible stream
    telegram.sim.force_next_turn(Scenario.CHAT)


async def test_a_private_reply_streams_as_drafts_then_lands_as_one_formatted_message(
    telegram: TelegramHarness,
) -> None:
    """sendMessageDraft under one non-zero draft id while text arrives, then one sendMessage."""
    _slow_chat(telegram)
    chat = telegram.updates.private()
    await telegram.handled(telegram.updates.message(chat, "hello there"))

    drafts = [d for d in telegram.fake.drafts if d.chat_id == chat["id"]]
    assert len(drafts) >= 2, "the reply grew in front of the user"
    assert len({d.draft_id for d in drafts}) == 1, "one draft id: updates animate"
    assert drafts[0].draft_id != 0
    assert all(len(a.text) <= len(b.text) for a, b in itertools.pairwise(drafts))
    sends = telegram.fake.sent(chat["id"])
    assert [c.method for c in sends] == ["sendMessage"], "no placeholder message, no edits"
    assert sends[0].params["parse_mode"] == "HTML"
    [final] = telegram.fake.texts(chat["id"])
    assert final.startswith("Hi! I'm Nemo")
    assert final.startswith(drafts[-1].text[:20])


async def test_refused_drafts_fall_back_to_edits(telegram: TelegramHarness) -> None:
    """A server without sendMessageDraft (404): the same reply streams by editing one message."""
    telegram.fake.drafts_supported = False
    _slow_chat(telegram)
    chat = telegram.updates.private()
    await telegram.handled(telegram.updates.message(chat, "hello there"))

    assert not telegram.fake.drafts
    methods = [c.method for c in telegram.fake.sent(chat["id"])]
    assert methods[0] == "sendMessage"
    assert set(methods[1:]) == {"editMessageText"}
    [final] = telegram.fake.texts(chat["id"])
    assert final.startswith("Hi! I'm Nemo")

    # The refusal is remembered: the next reply does not ask again.
    refused = [c for c in telegram.fake.calls if c.method == "sendMessageDraft"]
    assert len(refused) == 1
    _slow_chat(telegram)
    await telegram.handled(telegram.updates.message(chat, "hello again"))
    assert len([c for c in telegram.fake.calls if c.method == "sendMessageDraft"]) == 1


async def test_groups_stream_by_edits_never_drafts(telegram: TelegramHarness) -> None:
    """Drafts are for private chats; a group sees one message edited in place."""
    _slow_chat(telegram)
    group = telegram.updates.group()
    await telegram.handled(telegram.updates.message(group, "@nemo_test_bot hello there"))
    assert not [c for c in telegram.fake.calls if c.method == "sendMessageDraft"]
    assert next(c.method for c in telegram.fake.sent(group["id"])) == "sendMessage"


async def test_a_draft_is_refreshed_while_the_agent_is_quiet(telegram: TelegramHarness) -> None:
    """A draft vanishes after about 30 s unless refreshed: a quiet stretch repeats the last one."""
    from core.replies import StreamingReply

    original = StreamingReply.DRAFT_REFRESH_S
    StreamingReply.DRAFT_REFRESH_S = 0.03
    try:
        _slow_chat(telegram)
        chat = telegram.updates.private()
        await telegram.handled(telegram.updates.message(chat, "hello there"))
    finally:
        StreamingReply.DRAFT_REFRESH_S = original
    drafts = [d.text for d in telegram.fake.drafts if d.chat_id == chat["id"]]
    repeats = sum(1 for a, b in itertools.pairwise(drafts) if a == b)
    assert repeats >= 1, drafts


@pytest.mark.parametrize("where", ["private", "group"])
async def test_a_slow_result_arrives_as_a_reply_to_the_asker(telegram: TelegramHarness, where: str) -> None:
    """Past NEMOBOT_NOTIFY_AFTER_S the result is a new message quoting the user's message (which
    notifies, and in a group shows whom it is for); the streamed message is removed."""
    telegram.core_changes["nemobot_notify_after_s"] = 0.1
    await telegram.restart()
    _slow_chat(telegram)
    chat = telegram.updates.private() if where == "private" else telegram.updates.group()
    text = "hello there" if where == "private" else "@nemo_test_bot hello there"
    update = telegram.updates.message(chat, text)
    await telegram.handled(update)

    asked = update["message"]["message_id"]
    final = [c for c in telegram.fake.sent(chat["id"], "sendMessage") if c.params.get("parse_mode")][-1]
    assert final.params["reply_parameters"]["message_id"] == asked
    [shown] = telegram.fake.texts(chat["id"])
    assert shown.startswith("Hi! I'm Nemo"), "one copy of the reply, not the streamed one as well"
    if where == "group":
        assert [c for c in telegram.fake.calls if c.method == "deleteMessage" and c.status == 200]


async def test_a_quick_reply_is_not_turned_into_a_quote(telegram: TelegramHarness) -> None:
    """Under the threshold nothing changes: no reply quote, nothing deleted."""
    chat = telegram.updates.private()
    await telegram.handled(telegram.updates.message(chat, "hello"))
    assert all("reply_parameters" not in c.params for c in telegram.fake.sent(chat["id"]))
    assert not [c for c in telegram.fake.calls if c.method == "deleteMessage"]
