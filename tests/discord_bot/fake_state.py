"""The fake Discord's state: what exists (guilds, channels, messages, interactions) and what happened."""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web

from tests.discord_bot.payloads import (
    FILESIZE_BY_TIER,
    MIB,
    FakeChannel,
    FakeGuild,
    FakeUser,
    Json,
    Snowflakes,
    message_payload,
)
from tests.fakes import SECRET

API = "/api/v10"


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """JSON as Discord sends it: discord.py parses only an exact ``application/json`` type."""
    content_type = {"Content-Type": "application/json"}
    return web.Response(body=json.dumps(data).encode(), status=status, headers=content_type | (headers or {}))


def error(status: int, code: int, message: str) -> web.Response:
    return json_response({"code": code, "message": message}, status)


@dataclass
class FakeMessage:
    """A message the bot sent (or a followup), with every version it went through."""

    payload: Json
    channel: FakeChannel
    history: list[tuple[float, str]] = field(default_factory=list)
    files: list[tuple[str, int]] = field(default_factory=list)
    deleted: bool = False
    # Every version of the message's embeds after the first (edits), for job-card assertions.
    embed_history: list[list[Json]] = field(default_factory=list)

    @property
    def id(self) -> int:
        return int(self.payload["id"])

    @property
    def content(self) -> str:
        return str(self.payload["content"])

    @property
    def custom_ids(self) -> list[str]:
        rows = self.payload.get("components") or []
        return [item["custom_id"] for row in rows for item in row["components"]]


@dataclass
class FakeInteraction:
    """One dispatched interaction and what the bot did with it."""

    id: int
    token: str
    channel: FakeChannel
    created: float
    ack_type: int | None = None
    ack_at: float | None = None
    ack_flags: int = 0
    original: str | None = None
    # The original response's custom ids (its buttons), as last sent; and whether it was deleted.
    original_ids: list[str] = field(default_factory=list)
    original_deleted: bool = False
    followups: list[FakeMessage] = field(default_factory=list)
    expired_calls: int = 0

    @property
    def ack_latency(self) -> float | None:
        return None if self.ack_at is None else self.ack_at - self.created


class FakeState:
    """Everything the fake knows; the route mixins read and change it."""

    def __init__(
        self,
        *,
        token_ttl_s: float,
        ack_window_s: float,
        budget: int,
        budget_period_s: float,
        ratelimit_headers: bool,
    ) -> None:
        self.ids = Snowflakes()
        self.bot = FakeUser(self.ids.next(), "NemoBot", bot=True)
        self.application_id = self.ids.next()
        self.token_ttl_s = token_ttl_s
        self.ack_window_s = ack_window_s
        self.budget, self.budget_period_s = budget, budget_period_s
        self.guilds: list[FakeGuild] = []
        self.channels: dict[int, FakeChannel] = {}
        self.messages: dict[int, FakeMessage] = {}
        self.interactions: dict[str, FakeInteraction] = {}
        self.commands: dict[str, list[Json]] = {}
        self.command_puts: list[str] = []
        self.rate_limited: list[tuple[int, float]] = []
        self.writes: defaultdict[int, list[float]] = defaultdict(list)
        self.rejected: list[tuple[str, int]] = []
        # Contents the bot posted that carry a secret in any form (must stay empty).
        self.leaks: list[str] = []
        self.typing_calls: defaultdict[int, int] = defaultdict(int)
        self.deleted: list[int] = []
        # Threads started on a message (message id, thread); set forbidden to refuse with 403.
        self.threads_started: list[tuple[int, FakeChannel]] = []
        self.threads_forbidden = False
        self.cdn: dict[str, bytes] = {}
        self.cdn_hits: defaultdict[str, int] = defaultdict(int)
        self.ratelimit_headers = ratelimit_headers
        self._buckets: dict[int, list[float]] = {}
        self.changed = asyncio.Condition()
        self.base_url = ""

    # World building ----------------------------------------------------------------------------

    def add_guild(self, name: str, *, premium_tier: int = 0) -> FakeGuild:
        guild = FakeGuild(self.ids.next(), name, premium_tier)
        self.guilds.append(guild)
        return guild

    def add_channel(
        self,
        guild: FakeGuild | None,
        name: str,
        *,
        parent: FakeChannel | None = None,
        recipient: FakeUser | None = None,
    ) -> FakeChannel:
        """A text channel, a thread (``parent``) or a DM (no guild, ``recipient``)."""
        limit = FILESIZE_BY_TIER[guild.premium_tier] if guild else 10 * MIB
        channel = FakeChannel(
            self.ids.next(),
            name,
            guild.id if guild else None,
            parent.id if parent else None,
            recipient,
            limit,
        )
        if guild is not None:
            guild.channels.append(channel)
        self.channels[channel.id] = channel
        return channel

    def add_user(self, name: str) -> FakeUser:
        return FakeUser(self.ids.next(), name)

    def add_file(
        self, filename: str, data: bytes, content_type: str | None, *, size: int | None = None
    ) -> Json:
        """Serve ``data`` from the CDN; ``size`` may claim more than is there (checked before transfer)."""
        attachment_id = self.ids.next()
        path = f"attachments/{attachment_id}/{filename}"
        self.cdn[path] = data
        url = f"{self.base_url}/cdn/{path}?ex=ffffffff&is=00000000&hm=fake"
        payload = {
            "id": str(attachment_id),
            "filename": filename,
            "size": len(data) if size is None else size,
            "url": url,
            "proxy_url": url,
        }
        return payload | ({"content_type": content_type} if content_type else {})

    async def store_message(
        self, channel: FakeChannel, payload: Json, files: list[tuple[str, int]], flags: int = 0
    ) -> FakeMessage:
        attachments = [
            {"id": str(self.ids.next()), "filename": name, "size": size, "url": "", "proxy_url": ""}
            for name, size in files
        ]
        data = message_payload(
            self.ids.next(),
            channel,
            self.bot,
            payload.get("content") or "",
            components=payload.get("components"),
            attachments=attachments,
            flags=flags,
        )
        if payload.get("embeds"):
            data["embeds"] = payload["embeds"]
        if payload.get("message_reference"):
            data["message_reference"] = payload["message_reference"]
        message = FakeMessage(data, channel, [(time.monotonic(), data["content"])], files)
        self.messages[message.id] = message
        await self.notify()
        return message

    # Rules -------------------------------------------------------------------------------------

    def spend(self, channel_id: int) -> tuple[web.Response | None, dict[str, str]]:
        """Count one send or edit against the channel's bucket: a 429, or the rate-limit headers.

        Like Discord, the bucket is a window of ``budget`` writes per 5 s shared by sends and edits,
        announced in ``X-RateLimit-*`` headers (discord.py waits ahead of time when it reaches 0).
        """
        now = time.monotonic()
        window = self._buckets.get(channel_id)
        if window is None or now >= window[0] + self.budget_period_s:
            window = self._buckets[channel_id] = [now, 0.0]
        reset_after = round(window[0] + self.budget_period_s - now, 3)
        headers = {
            "X-RateLimit-Limit": str(self.budget),
            "X-RateLimit-Remaining": str(max(0, self.budget - int(window[1]) - 1)),
            "X-RateLimit-Reset-After": str(reset_after),
            "X-RateLimit-Bucket": "channel-messages",
        }
        if window[1] >= self.budget:
            self.rate_limited.append((channel_id, reset_after))
            # discord.py sleeps and retries a 429 only when it carries a Via header (Discord's do).
            limited = {
                "Via": "1.1 google",
                "X-RateLimit-Scope": "user",
                "Retry-After": str(int(reset_after) + 1),
            }
            body = {"message": "You are being rate limited.", "retry_after": reset_after, "global": False}
            return json_response(body, 429, limited | headers | {"X-RateLimit-Remaining": "0"}), {}
        window[1] += 1
        self.writes[channel_id].append(now)
        return None, headers if self.ratelimit_headers else {}

    def check_content(self, payload: Json) -> web.Response | None:
        content = payload.get("content") or ""
        if SECRET.search(content):
            self.leaks.append(content[:80])
        if len(content) > 2000:
            self.rejected.append(("content over 2000", len(content)))
            return error(400, 50035, "Invalid Form Body: content: Must be 2000 or fewer in length.")
        return None

    @staticmethod
    async def read_body(request: web.Request) -> tuple[Json, list[tuple[str, int]]]:
        """JSON, or multipart with ``payload_json`` and ``files[n]`` parts (sizes counted, not kept)."""
        if request.content_type != "multipart/form-data":
            return (await request.json() if request.can_read_body else {}), []
        payload: Json = {}
        files: list[tuple[str, int]] = []
        async for part in await request.multipart():
            assert isinstance(part, BodyPartReader)
            if part.name == "payload_json":
                payload = json.loads(await part.text())
                continue
            size = 0
            while chunk := await part.read_chunk():
                size += len(chunk)
            files.append((part.filename or "", size))
        return payload, files

    async def dispatch(self, event: str, data: Json) -> None:
        """Send a gateway event to the bot (implemented by the fake's gateway)."""
        raise NotImplementedError

    # Waiting and reading -----------------------------------------------------------------------

    async def notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    async def wait_for(self, predicate: Callable[[], Any], within_s: float = 15.0) -> Any:
        """Wait until ``predicate()`` is truthy (checked again on every change) and return it."""
        async with asyncio.timeout(within_s), self.changed:
            while not (result := predicate()):
                await self.changed.wait()
            return result

    def bot_messages(self, channel: FakeChannel) -> list[FakeMessage]:
        """Messages the bot posted in a channel with its own token (not interaction followups)."""
        followups = {m.id for i in self.interactions.values() for m in i.followups}
        return [m for m in self.messages.values() if m.channel.id == channel.id and m.id not in followups]
