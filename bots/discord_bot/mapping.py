"""Discord messages and interactions as the core's :class:`~core.chat.Inbound` (pure functions).

One chat is one channel: a guild text channel, a DM, or a thread (threads have their own channel
id, so each thread is its own conversation and ``ChatKey.thread_id`` stays unset). In DMs every
message is for the bot; in guilds only @mentions of the bot and replies to its messages are.
"""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterator, Callable

import discord

from core.chat import Attachment, ChatKey, Inbound, MessageRef, Sender

PLATFORM = "discord"

Opener = Callable[[ChatKey, discord.Attachment], AsyncIterator[bytes]]
"""Streams one attachment's bytes for a chat (see :class:`~bots.discord_bot.files.AttachmentFetcher`)."""

_CONVERSATION = (discord.MessageType.default, discord.MessageType.reply)


def chat_key(channel_id: int) -> ChatKey:
    """The conversation of a channel, DM or thread."""
    return ChatKey(PLATFORM, str(channel_id))


def attachment_kind(attachment: discord.Attachment) -> str:
    """The core's attachment kind from Discord's content type."""
    if attachment.is_voice_message():
        return "voice"
    major = (attachment.content_type or "").split("/")[0]
    return {"video": "video", "audio": "audio", "image": "photo"}.get(major, "document")


def to_attachment(chat: ChatKey, attachment: discord.Attachment, opener: Opener) -> Attachment:
    """Describe an attachment by its metadata; bytes are fetched only if the core accepts it."""
    return Attachment(
        name=attachment.filename,
        mime_type=attachment.content_type,
        size=attachment.size,
        open=functools.partial(opener, chat, attachment),
        kind=attachment_kind(attachment),
    )


def is_addressed(message: discord.Message, bot_id: int) -> bool:
    """Whether a message is for the bot: any DM, any message in a thread the bot opened for a
    project, or a mention of the bot or a reply to it."""
    if message.guild is None:
        return True
    if isinstance(message.channel, discord.Thread) and message.channel.owner_id == bot_id:
        return True
    if any(user.id == bot_id for user in message.mentions):
        return True
    reference = message.reference
    replied = reference.resolved if reference is not None else None
    return isinstance(replied, discord.Message) and replied.author.id == bot_id


def clean_text(message: discord.Message, bot_id: int) -> str:
    """The text without the bot's own mention; other user mentions become ``@name``."""
    text = re.sub(rf"<@!?{bot_id}>", " ", message.content)
    for user in message.mentions:
        if user.id != bot_id:
            text = re.sub(rf"<@!?{user.id}>", f"@{user.display_name}", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def message_to_inbound(message: discord.Message, bot_id: int, opener: Opener) -> Inbound | None:
    """Map a gateway message; ``None`` for bots (ourselves included) and system messages."""
    if message.author.bot or message.type not in _CONVERSATION:
        return None
    chat = chat_key(message.channel.id)
    author = message.author
    permissions = getattr(author, "guild_permissions", None)  # a Member in a guild, a User in DMs
    moderator = bool(permissions is not None and permissions.manage_messages)
    return Inbound(
        chat=chat,
        sender=Sender(str(author.id), author.display_name, None, is_chat_admin=moderator),
        text=clean_text(message, bot_id),
        attachments=tuple(to_attachment(chat, item, opener) for item in message.attachments),
        addressed=is_addressed(message, bot_id),
        message_id=str(message.id),
        is_group=message.guild is not None,
        # So the core can delete a message that carried a secret (/token in a channel).
        ref=MessageRef(chat, str(message.id)),
    )


def interaction_chat(interaction: discord.Interaction) -> ChatKey | None:
    """The conversation an interaction happened in (``None`` if Discord sent no channel)."""
    channel_id = interaction.channel_id
    return chat_key(channel_id) if channel_id is not None else None


def interaction_sender(interaction: discord.Interaction) -> Sender:
    """Who used a command or pressed a button, with their client's language as the hint; a member
    with Manage Messages in the channel counts as the chat's moderator."""
    user = interaction.user
    moderator = interaction.guild_id is not None and interaction.permissions.manage_messages
    return Sender(str(user.id), user.display_name, str(interaction.locale), is_chat_admin=moderator)


def interaction_inbound(
    interaction: discord.Interaction,
    chat: ChatKey,
    text: str,
    attachments: tuple[Attachment, ...] = (),
    *,
    part: str = "",
) -> Inbound:
    """A slash command as a message to the core (de-duplicated by the interaction id and ``part``)."""
    return Inbound(
        chat=chat,
        sender=interaction_sender(interaction),
        text=text,
        attachments=attachments,
        addressed=True,
        message_id=f"interaction:{interaction.id}{part}",
        is_group=interaction.guild_id is not None,
    )
