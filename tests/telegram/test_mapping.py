"""Update → Inbound mapping: who is addressed, which chat, which file (pure, no server)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from telegram import Message, Update

from bots.telegram.mapping import BotIdentity, chat_key, is_addressed, to_inbound
from tests.telegram.fake_bot_api import BOT_ID, BOT_USERNAME, FakeBotApi
from tests.telegram.updates import Json, Updates, person

ME = BotIdentity(BOT_ID, BOT_USERNAME)


async def _never() -> AsyncIterator[bytes]:
    yield b""


def opener(_file_id: str) -> Callable[[], AsyncIterator[bytes]]:
    return _never


@pytest.fixture
def updates() -> Updates:
    return Updates(FakeBotApi())


def parse(update: Json) -> Message:
    message = Update.de_json({"update_id": 1, **update}, None).message
    assert message is not None
    return message


def msg(updates: Updates, chat: Json, text: str | None = None, **kwargs: Any) -> Message:
    return parse(updates.message(chat, text, push=False, **kwargs))


@pytest.mark.parametrize(
    ("text", "addressed"),
    [
        ("/status", True),
        (f"/status@{BOT_USERNAME.upper()}", True),
        ("/status@another_bot", False),
        (f"hey @{BOT_USERNAME} export", True),
        ("hey @someone export", False),
        ("export please", False),
    ],
)
def test_group_messages_are_addressed_by_commands_and_mentions(
    updates: Updates, text: str, addressed: bool
) -> None:
    """Commands for all bots or this one, and @mentions, address the bot; anything else does not."""
    assert is_addressed(msg(updates, updates.group(), text), ME) is addressed


def test_a_private_message_is_always_addressed(updates: Updates) -> None:
    """Every private message is for the bot."""
    assert is_addressed(msg(updates, updates.private(), "export please"), ME)


def test_a_reply_to_the_bot_addresses_it_but_a_topic_root_does_not(updates: Updates) -> None:
    """In a forum every message hangs off the topic's creation message; that is not a reply."""
    forum = updates.group(-100300, forum=True)
    bot_said = {
        "message_id": 1,
        "date": 0,
        "chat": forum,
        "from": {"id": BOT_ID, "is_bot": True, "first_name": "N"},
    }
    topic_root = bot_said | {"forum_topic_created": {"name": "Cuts", "icon_color": 7322096}}
    assert is_addressed(msg(updates, forum, "shorter", reply_to=bot_said, thread_id=7), ME)
    in_topic = msg(updates, forum, "shorter", reply_to=topic_root, thread_id=7)
    assert not is_addressed(in_topic, ME)
    assert chat_key(in_topic).thread_id == "7"


def test_a_reply_chain_thread_in_a_plain_group_is_not_a_topic(updates: Updates) -> None:
    """message_thread_id without is_topic_message names a reply chain, not a place to send to."""
    message = msg(updates, updates.group(), "/status", extra={"message_thread_id": 42})
    assert chat_key(message).thread_id is None


def test_a_text_mention_of_the_bot_and_a_caption_mention_address_it(updates: Updates) -> None:
    """Mentions without a username (text_mention) and in captions count too."""
    group = updates.group()
    mention = {
        "type": "text_mention",
        "offset": 0,
        "length": 4,
        "user": {"id": BOT_ID, "is_bot": True, "first_name": "N"},
    }
    assert is_addressed(msg(updates, group, "Nemo, cut it", extra={"entities": [mention]}), ME)
    caption = f"@{BOT_USERNAME} use this"
    entity = {"type": "mention", "offset": 0, "length": len(BOT_USERNAME) + 1}
    media = updates.media("video", data=b"x") | {"caption": caption, "caption_entities": [entity]}
    assert is_addressed(msg(updates, group, extra=media), ME)


def test_the_largest_photo_size_is_taken_and_voice_is_named_as_ogg(updates: Updates) -> None:
    """Photos come in several sizes; voice notes get a name that says what they are."""
    chat = updates.private()
    photo = to_inbound(
        msg(updates, chat, extra=updates.media("photo", data=b"p")), ME, download_cap=None, opener=opener
    )
    assert photo is not None
    [picture] = photo.attachments
    assert (picture.kind, picture.mime_type, picture.name.endswith(".jpg")) == ("photo", "image/jpeg", True)
    voice = to_inbound(
        msg(updates, chat, extra=updates.media("voice", data=b"v")), ME, download_cap=None, opener=opener
    )
    assert voice is not None
    [note] = voice.attachments
    assert note.name.endswith(".ogg")
    assert note.mime_type == "audio/ogg"
    assert note.kind == "voice"


def test_a_file_over_the_download_cap_cannot_be_opened_but_keeps_its_size(updates: Updates) -> None:
    """Checked from file_size before any download: open is None, so the core explains the cap."""
    chat = updates.private()
    big = to_inbound(
        msg(updates, chat, extra=updates.media("video", size=21_000_000)),
        ME,
        download_cap=20_000_000,
        opener=opener,
    )
    assert big is not None
    assert big.attachments[0].open is None
    assert big.attachments[0].size == 21_000_000
    local = to_inbound(
        msg(updates, chat, extra=updates.media("video", size=21_000_000)),
        ME,
        download_cap=None,
        opener=opener,
    )
    assert local is not None
    assert local.attachments[0].open is not None


def test_other_bots_are_ignored_and_anonymous_admins_are_heard(updates: Updates) -> None:
    """Bots never talk to bots; an anonymous admin speaks as the group."""
    group = updates.group()
    other_bot = {"id": 99, "is_bot": True, "first_name": "Other"}
    assert (
        to_inbound(msg(updates, group, "/status", sender=other_bot), ME, download_cap=None, opener=opener)
        is None
    )
    anonymous = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
    inbound = to_inbound(
        msg(updates, group, "/status", sender=anonymous, extra={"sender_chat": group}),
        ME,
        download_cap=None,
        opener=opener,
    )
    assert inbound is not None
    assert inbound.sender.user_id == f"chat{group['id']}"
    assert inbound.is_group
    assert inbound.message_id is not None
    assert inbound.message_id.startswith(f"{group['id']}:")


def test_the_sender_language_travels_with_the_message(updates: Updates) -> None:
    """language_code becomes the sender's locale (the core picks the reply language)."""
    zh = person(3003, language="zh-hans")
    inbound = to_inbound(
        msg(updates, updates.private(zh), "你好", sender=zh), ME, download_cap=None, opener=opener
    )
    assert inbound is not None
    assert inbound.sender.locale == "zh-hans"


@pytest.mark.parametrize(
    ("text", "prompt"),
    [
        (f"@{BOT_USERNAME} Sea", "Sea"),
        (f"@{BOT_USERNAME.upper()}, add a title “Night”", "add a title “Night”"),
        (f"make it 🌊 blue @{BOT_USERNAME}", "make it 🌊 blue"),
        (f"ask @someone and @{BOT_USERNAME} later", "ask @someone and later"),
        (f"/status@{BOT_USERNAME}", f"/status@{BOT_USERNAME}"),
    ],
)
def test_the_bots_own_mention_is_left_out_of_the_prompt(updates: Updates, text: str, prompt: str) -> None:
    """A clip was once titled "@Nemo_Test_Bot Sea": the mention addresses the bot, it is not content.
    Other people's mentions and /cmd@bot stay (the core parses the command)."""
    inbound = to_inbound(msg(updates, updates.group(), text), ME, download_cap=None, opener=opener)
    assert inbound is not None
    assert inbound.addressed
    assert inbound.text == prompt


def test_a_text_mention_by_name_is_left_out_too(updates: Updates) -> None:
    """A mention without a username (the bot's name linked to its id) is cut by its entity."""
    mention = {
        "type": "text_mention",
        "offset": 0,
        "length": 4,
        "user": {"id": BOT_ID, "is_bot": True, "first_name": "N"},
    }
    message = msg(updates, updates.group(), "Nemo, cut it", extra={"entities": [mention]})
    inbound = to_inbound(message, ME, download_cap=None, opener=opener)
    assert inbound is not None
    assert inbound.text == "cut it"
    assert inbound.ref is not None
    assert inbound.ref.message_id == str(message.message_id)
