"""Telegram updates in the core's vocabulary: pure functions, no I/O.

What the core sees of a message: its chat (a forum topic is a chat of its own), who sent it, its
text or caption, its files described before any byte moves, and whether it was meant for the bot.
In a group only commands (``/cmd``, ``/cmd@this_bot``), replies to the bot and @mentions are; with
privacy mode on, Telegram delivers little else anyway.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from telegram import (
    Animation,
    Audio,
    Chat,
    Document,
    MaybeInaccessibleMessage,
    Message,
    MessageEntity,
    PhotoSize,
    Video,
    VideoNote,
    Voice,
)
from telegram.constants import ChatType

from core.chat import Attachment, ChatKey, Inbound, MessageRef, Sender

PLATFORM = "telegram"

OpenerFactory = Callable[[str], Callable[[], AsyncIterator[bytes]]]
"""Given a ``file_id``, the ``Attachment.open`` that streams it (see :mod:`bots.telegram.files`)."""

_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@(?P<bot>[A-Za-z0-9_]+))?(?=\s|$)")
_GROUPS = (ChatType.GROUP, ChatType.SUPERGROUP)


@dataclass(frozen=True, slots=True)
class BotIdentity:
    """Who the bot is, from getMe: replies to ``id`` and mentions of ``@username`` address it."""

    id: int
    username: str


def is_group(chat: Chat) -> bool:
    """Groups and supergroups (forums included); private chats and channels are not."""
    return chat.type in _GROUPS


def chat_key(message: MaybeInaccessibleMessage) -> ChatKey:
    """The conversation a message belongs to; each forum topic is its own conversation.

    Outside forum topics ``message_thread_id`` can name a reply chain, which is not a place to send
    to, so it counts only when ``is_topic_message`` is set.
    """
    thread: str | None = None
    if isinstance(message, Message) and message.is_topic_message and message.message_thread_id:
        thread = str(message.message_thread_id)
    return ChatKey(PLATFORM, str(message.chat.id), thread)


def message_key(message: Message) -> str:
    """The de-duplication key the core's store claims once (``<chat id>:<message id>``)."""
    return f"{message.chat.id}:{message.message_id}"


def sender_of(message: Message) -> Sender | None:
    """The person behind a message; ``None`` for other bots, channel posts and automatic forwards."""
    user = message.from_user
    if user is None or message.is_automatic_forward:
        return None
    if user.is_bot:
        # An anonymous group admin posts as the group itself (from_user is @GroupAnonymousBot).
        if message.sender_chat is not None and message.sender_chat.id == message.chat.id:
            return Sender(
                f"chat{message.sender_chat.id}", message.sender_chat.title or "", None, is_chat_admin=True
            )
        return None
    return Sender(str(user.id), user.full_name, user.language_code)


def is_addressed(message: Message, me: BotIdentity) -> bool:
    """Whether the bot should answer: always in private chats; in groups when it is addressed."""
    if message.chat.type == ChatType.PRIVATE:
        return True
    text = message.text or message.caption or ""
    command = _COMMAND.match(text)
    if command is not None:
        target = command.group("bot")
        # "/cmd" with no @ is for every bot in the chat; "/cmd@other_bot" is not for us.
        return target is None or target.lower() == me.username.lower()
    return _replies_to_bot(message, me) or _mentions_bot(message, me)


def _replies_to_bot(message: Message, me: BotIdentity) -> bool:
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != me.id:
        return False
    # In a forum every message "replies" to the topic's creation message; that is not a reply.
    return replied.forum_topic_created is None


def _bot_mentions(message: Message, me: BotIdentity) -> list[MessageEntity]:
    """The entities of the text (or caption) that mention this bot, by @username or by name."""
    types: list[str | None] = [MessageEntity.MENTION, MessageEntity.TEXT_MENTION]
    entities = message.parse_entities(types) if message.text else message.parse_caption_entities(types)
    found: list[MessageEntity] = []
    for entity, text in entities.items():
        by_username = entity.type == MessageEntity.MENTION and text.lstrip("@").lower() == me.username.lower()
        user = entity.user
        by_name = entity.type == MessageEntity.TEXT_MENTION and user is not None and user.id == me.id
        if by_username or by_name:
            found.append(entity)
    return found


def _mentions_bot(message: Message, me: BotIdentity) -> bool:
    return bool(_bot_mentions(message, me))


_SPACES = re.compile(r"[ \t]{2,}")


def prompt_of(message: Message, me: BotIdentity) -> str:
    """The text or caption without the bot's own @mention: "@nemo_bot make it blue" asks to
    "make it blue" (otherwise the agent may take the mention as part of a title)."""
    text = message.text or message.caption or ""
    mentions = _bot_mentions(message, me)
    if not mentions:
        return text
    # Entity offsets count UTF-16 units; cut in that encoding, from the end so offsets stay valid.
    units = text.encode("utf-16-le")
    for entity in sorted(mentions, key=lambda e: e.offset, reverse=True):
        units = units[: entity.offset * 2] + units[(entity.offset + entity.length) * 2 :]
    stripped = units.decode("utf-16-le")
    return _SPACES.sub(" ", stripped).strip(" \t,:")


@dataclass(frozen=True, slots=True)
class _File:
    file_id: str
    name: str
    mime: str | None
    size: int | None
    kind: str


def _named(media: Animation | Video | Audio | Document, name: str, mime: str | None, kind: str) -> _File:
    return _File(media.file_id, media.file_name or name, media.mime_type or mime, media.file_size, kind)


def _media(message: Message) -> _File | None:
    """The one file a message carries, named so the core can tell its type from the name."""
    number = message.message_id
    # An animation also sets `document` for old clients, so it must be looked at first.
    if message.animation is not None:
        return _named(message.animation, f"animation_{number}.mp4", "video/mp4", "animation")
    if message.video is not None:
        return _named(message.video, f"video_{number}.mp4", "video/mp4", "video")
    if message.video_note is not None:
        note: VideoNote = message.video_note
        return _File(note.file_id, f"video_note_{number}.mp4", "video/mp4", note.file_size, "video_note")
    if message.audio is not None:
        return _named(message.audio, f"audio_{number}.mp3", "audio/mpeg", "audio")
    if message.voice is not None:
        # Voice notes are OGG/Opus, which the editor refuses: the name says so and the core explains.
        voice: Voice = message.voice
        return _File(
            voice.file_id, f"voice_{number}.ogg", voice.mime_type or "audio/ogg", voice.file_size, "voice"
        )
    if message.photo:
        largest: PhotoSize = message.photo[-1]
        return _File(largest.file_id, f"photo_{number}.jpg", "image/jpeg", largest.file_size, "photo")
    if message.document is not None:
        return _named(message.document, f"file_{number}", None, "document")
    return None


def attachments_of(
    message: Message, *, download_cap: int | None, opener: OpenerFactory
) -> tuple[Attachment, ...]:
    """The message's file as an attachment; ``open`` is ``None`` when getFile would refuse it.

    The size comes from ``file_size`` before anything is downloaded, so an oversized file is
    answered at once instead of failing after a download attempt.
    """
    media = _media(message)
    if media is None:
        return ()
    too_big = download_cap is not None and media.size is not None and media.size > download_cap
    open_ = None if too_big else opener(media.file_id)
    ref = None if too_big else media.file_id
    return (Attachment(media.name, media.mime, media.size, open=open_, kind=media.kind, ref=ref),)


def to_inbound(
    message: Message, me: BotIdentity, *, download_cap: int | None, opener: OpenerFactory
) -> Inbound | None:
    """The core's view of a message, or ``None`` when it is nothing to answer (service messages,
    other bots, stickers and the like in groups). ``addressed`` is False for group chatter."""
    sender = sender_of(message)
    if sender is None:
        return None
    raw = message.text or message.caption or ""
    attachments = attachments_of(message, download_cap=download_cap, opener=opener)
    group = is_group(message.chat)
    # A sticker, location, poll… in a private chat gets the core's "send me a file" hint; service
    # messages (joins, pins, topic edits) carry no content and get nothing.
    if not raw and not attachments and (group or message.effective_attachment is None):
        return None
    return Inbound(
        chat=chat_key(message),
        sender=sender,
        text=prompt_of(message, me),
        attachments=attachments,
        addressed=is_addressed(message, me),
        message_id=message_key(message),
        is_group=group,
        # What /token deletes, and what reactions and notifying replies point at.
        ref=MessageRef(chat_key(message), str(message.message_id)),
    )
