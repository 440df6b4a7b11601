"""Discord's JSON objects, as the gateway and REST API send them, for the fake to serve.

Only the fields discord.py 2.7 reads unconditionally are filled in, plus the few our adapter uses.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

Json = dict[str, Any]

DISCORD_EPOCH_MS = 1_420_070_400_000
MIB = 1024 * 1024
# Upload limit per boost tier (discord.guild._PREMIUM_GUILD_LIMITS); DMs get the default.
FILESIZE_BY_TIER = {0: 10 * MIB, 1: 10 * MIB, 2: 50 * MIB, 3: 100 * MIB}
VIEW_AND_CHAT = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 31)
MANAGE_MESSAGES = 1 << 13


class Snowflakes:
    """Snowflake ids that carry the current time, as discord.py derives ``created_at`` from them."""

    def __init__(self) -> None:
        self._count = itertools.count(1)

    def next(self) -> int:
        millis = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (millis << 22) | (next(self._count) & 0x3FFFFF)


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class FakeUser:
    id: int
    name: str
    bot: bool = False

    def payload(self) -> Json:
        return {
            "id": str(self.id),
            "username": self.name,
            "global_name": self.name,
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }

    def member(self, permissions: int = VIEW_AND_CHAT) -> Json:
        return {
            "user": self.payload(),
            "roles": [],
            "joined_at": now_iso(),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "nick": None,
            "permissions": str(permissions),
        }


@dataclass
class FakeChannel:
    id: int
    name: str
    guild_id: int | None = None
    parent_id: int | None = None  # set for threads
    recipient: FakeUser | None = None  # set for DMs
    filesize_limit: int = 10 * MIB

    @property
    def kind(self) -> int:
        if self.guild_id is None:
            return 1
        return 11 if self.parent_id is not None else 0

    def payload(self, owner_id: int = 0) -> Json:
        if self.guild_id is None:
            recipients = [self.recipient.payload()] if self.recipient else []
            return {"id": str(self.id), "type": 1, "recipients": recipients, "last_message_id": None}
        data: Json = {
            "id": str(self.id),
            "type": self.kind,
            "guild_id": str(self.guild_id),
            "name": self.name,
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": str(self.parent_id) if self.parent_id else None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
        }
        if self.parent_id is not None:
            data |= {
                "owner_id": str(owner_id),
                "message_count": 0,
                "member_count": 1,
                "thread_metadata": {
                    "archived": False,
                    "auto_archive_duration": 1440,
                    "archive_timestamp": now_iso(),
                    "locked": False,
                },
            }
        return data


@dataclass
class FakeGuild:
    id: int
    name: str
    premium_tier: int = 0
    channels: list[FakeChannel] = field(default_factory=list)

    def payload(self, bot: FakeUser) -> Json:
        plain = [c for c in self.channels if c.parent_id is None]
        threads = [c for c in self.channels if c.parent_id is not None]
        everyone = {
            "id": str(self.id),
            "name": "@everyone",
            "permissions": str(VIEW_AND_CHAT),
            "position": 0,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "owner_id": "1",
            "premium_tier": self.premium_tier,
            "roles": [everyone],
            "channels": [c.payload() for c in plain],
            "threads": [c.payload(owner_id=bot.id) for c in threads],
            "members": [bot.member()],
            "member_count": 2,
            "features": [],
            "emojis": [],
            "stickers": [],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "unavailable": False,
            "large": False,
            "joined_at": now_iso(),
            "preferred_locale": "en-US",
        }


def message_payload(
    message_id: int,
    channel: FakeChannel,
    author: FakeUser,
    content: str,
    *,
    components: list[Json] | None = None,
    attachments: list[Json] | None = None,
    mentions: list[FakeUser] | None = None,
    flags: int = 0,
    reply_to: Json | None = None,
) -> Json:
    data: Json = {
        "id": str(message_id),
        "channel_id": str(channel.id),
        "author": author.payload(),
        "content": content,
        "timestamp": now_iso(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [user.payload() | {"member": user.member()} for user in mentions or []],
        "mention_roles": [],
        "attachments": attachments or [],
        "embeds": [],
        "pinned": False,
        "type": 19 if reply_to else 0,
        "flags": flags,
        "components": components or [],
    }
    if channel.guild_id is not None:
        data["guild_id"] = str(channel.guild_id)
        if not author.bot:
            data["member"] = {k: v for k, v in author.member().items() if k != "user"}
    if reply_to is not None:
        data["message_reference"] = {"message_id": reply_to["id"], "channel_id": str(channel.id), "type": 0}
        data["referenced_message"] = reply_to
    return data
