"""The core's :class:`~core.ports.Outbound` on Discord: channel messages the bot owns.

Everything is sent with the bot token to the chat's channel (never through an interaction's
15-minute webhook), so a render that takes half an hour still updates and finishes. Errors are
translated once, in :func:`translated`, into the core's vocabulary.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

import aiohttp
import discord

from bots.discord_bot.formatting import MAX_CONTENT, fit, render
from bots.discord_bot.views import buttons_view
from core.chat import Button, ChatAction, ChatKey, MessageRef, PlatformLimits, utf16_length
from core.metrics import METRICS
from core.ports import (
    CardState,
    ChatUnavailable,
    JobCard,
    MessageGone,
    PlatformError,
    PlatformRateLimited,
)

log = logging.getLogger(__name__)

EDIT_INTERVAL_S = 1.5
"""Between edits of one message: Discord allows about 5 sends/edits per 5 s per channel."""
TYPING_EVERY_S = 8.0
"""Discord shows "typing…" for 10 s, so the core's 5 s pulses are halved here."""

# Discord error codes (developers/topics/opcodes-and-status-codes).
_UNKNOWN_MESSAGE = 10008
_OLD_MESSAGE_EDITS = 30046  # too many edits to a message older than an hour
_NOT_AUTHOR = 50005
_ENTITY_TOO_LARGE = 40005


# Discord's palette: blurple while running, green done, red failed, grey cancelled.
_CARD_COLOURS = {
    CardState.RUNNING: discord.Colour(0x5865F2),
    CardState.DONE: discord.Colour(0x57F287),
    CardState.FAILED: discord.Colour(0xED4245),
    CardState.CANCELLED: discord.Colour(0x99AAB5),
}


class UploadTooLarge(PlatformError):
    """The file is over this channel's upload limit; the core then sends the link instead."""


class DiscordRequestFailed(PlatformError):
    """Discord refused or failed a request for a reason the core has no special word for."""


def _retry_after(exc: discord.HTTPException) -> float:
    header = exc.response.headers.get("Retry-After") if exc.response is not None else None
    try:
        return max(0.1, float(header)) if header else 1.0
    except ValueError:
        return 1.0


@contextlib.contextmanager
def translated(what: str) -> Iterator[None]:
    """Turn discord.py's exceptions into :mod:`core.ports` errors, keeping the cause."""
    try:
        yield
    except discord.RateLimited as exc:  # only with max_ratelimit_timeout; kept for completeness
        METRICS.platform_rate_limited("discord")
        raise PlatformRateLimited(exc.retry_after) from exc
    except discord.Forbidden as exc:
        raise ChatUnavailable(f"{what}: forbidden ({exc.code})") from exc
    except discord.NotFound as exc:
        if exc.code == _UNKNOWN_MESSAGE:
            raise MessageGone(f"{what}: unknown message") from exc
        raise ChatUnavailable(f"{what}: not found ({exc.code})") from exc
    except discord.HTTPException as exc:
        # discord.py already slept and retried 429s that came with a Via header; what is left is a
        # 429 it would not retry (or its fifth), so the core waits and keeps the newest text.
        if exc.status == 429:
            METRICS.platform_rate_limited("discord")
            raise PlatformRateLimited(_retry_after(exc)) from exc
        if exc.status == 413 or exc.code == _ENTITY_TOO_LARGE:
            raise UploadTooLarge(f"{what}: entity too large") from exc
        if exc.code in (_OLD_MESSAGE_EDITS, _NOT_AUTHOR):
            raise MessageGone(f"{what}: message can no longer be edited ({exc.code})") from exc
        raise DiscordRequestFailed(f"{what}: HTTP {exc.status} ({exc.code})") from exc
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise DiscordRequestFailed(f"{what}: {type(exc).__name__}") from exc


class DiscordOutbound:
    """Implements :class:`core.ports.Outbound` with discord.py; one per client."""

    def __init__(
        self,
        client: discord.Client,
        *,
        download_cap: int | None,
        edit_interval_s: float = EDIT_INTERVAL_S,
    ) -> None:
        self._client = client
        self._download_cap = download_cap
        self._edit_interval_s = edit_interval_s
        self._typing_at: dict[int, float] = {}

    @property
    def limits(self) -> PlatformLimits:
        return PlatformLimits(
            max_text=MAX_CONTENT,
            upload_cap=self._largest_upload_limit(),
            edit_interval_s=self._edit_interval_s,
            download_cap=self._download_cap,
            text_length=utf16_length,
        )

    def _largest_upload_limit(self) -> int:
        # The core asks once for all chats, so it gets the most generous guild's limit and
        # send_video enforces each channel's own limit (the core then falls back to the link).
        limits = [guild.filesize_limit for guild in self._client.guilds]
        return max([discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES, *limits])

    def upload_limit(self, chat: ChatKey) -> int:
        """The largest file the bot may attach in this chat (its guild's boost tier decides)."""
        channel = self._client.get_channel(int(chat.chat_id))
        guild = getattr(channel, "guild", None)
        if isinstance(guild, discord.Guild):
            return guild.filesize_limit
        return discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES

    def _channel(self, chat: ChatKey) -> discord.PartialMessageable:
        # A partial channel needs no cache: DMs, threads and channels all work by id.
        return self._client.get_partial_messageable(int(chat.chat_id))

    @staticmethod
    def _mention(buttons: Sequence[Button]) -> tuple[str, discord.AllowedMentions]:
        """A result names who asked for it (the core puts the requester on its buttons)."""
        user_id = next((b.requester for b in buttons if b.requester and b.requester.isdigit()), None)
        if user_id is None:
            return "", discord.AllowedMentions.none()
        return f"<@{user_id}> ", discord.AllowedMentions(
            everyone=False, roles=False, replied_user=False, users=[discord.Object(int(user_id))]
        )

    async def send_text(
        self, chat: ChatKey, text: str, *, buttons: Sequence[Button] = (), final: bool = True
    ) -> MessageRef:
        prefix, mentions = self._mention(buttons)
        content = prefix + render(text, final=final, limit=MAX_CONTENT - utf16_length(prefix))
        view = buttons_view(buttons)
        with translated("send message"):
            message = await self._channel(chat).send(
                content, view=view or discord.utils.MISSING, allowed_mentions=mentions
            )
        return MessageRef(chat, str(message.id))

    async def send_reply(
        self, origin: MessageRef, text: str, *, buttons: Sequence[Button] = ()
    ) -> MessageRef:
        """A new message replying to the user's ``origin`` (it pings them: a slow reply notifies)."""
        content = render(text, final=True, limit=MAX_CONTENT)
        view = buttons_view(buttons)
        reference = discord.MessageReference(
            message_id=int(origin.message_id), channel_id=int(origin.chat.chat_id), fail_if_not_exists=False
        )
        mentions = discord.AllowedMentions(everyone=False, roles=False, users=False, replied_user=True)
        with translated("send reply"):
            message = await self._channel(origin.chat).send(
                content, view=view or discord.utils.MISSING, reference=reference, allowed_mentions=mentions
            )
        return MessageRef(origin.chat, str(message.id))

    async def edit_text(
        self, ref: MessageRef, text: str, *, buttons: Sequence[Button] = (), final: bool = False
    ) -> None:
        view = buttons_view(buttons)
        partial = self._channel(ref.chat).get_partial_message(int(ref.message_id))
        with translated("edit message"):
            # view=None clears the buttons of a streaming version; edits never ping anyone.
            await partial.edit(
                content=render(text, final=final),
                view=view,
                allowed_mentions=discord.AllowedMentions.none(),
            )

    async def send_video(
        self, chat: ChatKey, path: Path, *, caption: str, buttons: Sequence[Button] = ()
    ) -> MessageRef:
        size = (await asyncio.to_thread(path.stat)).st_size
        limit = self.upload_limit(chat)
        if size > limit:
            raise UploadTooLarge(f"{size} bytes is over this channel's {limit} byte limit")
        prefix, mentions = self._mention(buttons)
        content = prefix + render(caption, final=True, limit=MAX_CONTENT - utf16_length(prefix))
        view = buttons_view(buttons)
        file = await asyncio.to_thread(discord.File, path, filename=path.name)
        try:
            with translated("send video"):
                message = await self._channel(chat).send(
                    fit(content), file=file, view=view or discord.utils.MISSING, allowed_mentions=mentions
                )
        finally:
            file.close()
        return MessageRef(chat, str(message.id))

    @staticmethod
    def _embed(card: JobCard) -> discord.Embed:
        """A job card: the title, the status line with its bar, coloured by state, and who asked."""
        embed = discord.Embed(
            title=card.title[:256],
            description=render(card.text, final=True)[:4096],
            colour=_CARD_COLOURS[card.state],
        )
        if card.requester and card.requester.isdigit():
            # A language-free label: the card carries no language (a mention in an embed never pings).
            embed.add_field(name="👤", value=f"<@{card.requester}>")
        return embed

    async def send_card(self, chat: ChatKey, card: JobCard, *, buttons: Sequence[Button] = ()) -> MessageRef:
        view = buttons_view(buttons)
        embed = self._embed(card)
        with translated("send card"):
            message = await self._channel(chat).send(
                embed=embed,
                view=view or discord.utils.MISSING,
                allowed_mentions=discord.AllowedMentions.none(),
            )
        return MessageRef(chat, str(message.id))

    async def edit_card(self, ref: MessageRef, card: JobCard, *, buttons: Sequence[Button] = ()) -> None:
        view = buttons_view(buttons)
        partial = self._channel(ref.chat).get_partial_message(int(ref.message_id))
        with translated("edit card"):
            await partial.edit(
                embed=self._embed(card),
                view=view,
                allowed_mentions=discord.AllowedMentions.none(),
            )

    async def delete_message(self, ref: MessageRef) -> bool:
        """Delete a user's message (needs Manage Messages in guilds; never possible in DMs)."""
        partial = self._channel(ref.chat).get_partial_message(int(ref.message_id))
        try:
            await partial.delete()
        except discord.NotFound:
            return True
        except discord.HTTPException as exc:
            log.info("could not delete message %s in %s: %s", ref.message_id, ref.chat, exc)
            return False
        return True

    async def chat_action(self, chat: ChatKey, action: ChatAction) -> None:
        # Discord has one indicator ("typing…") for every kind of activity.
        channel_id = int(chat.chat_id)
        now = asyncio.get_running_loop().time()
        if now - self._typing_at.get(channel_id, float("-inf")) < TYPING_EVERY_S:
            return
        if len(self._typing_at) > 10_000:  # forget quiet channels now and then
            self._typing_at = {k: v for k, v in self._typing_at.items() if now - v < TYPING_EVERY_S}
        self._typing_at[channel_id] = now
        with translated("typing"):
            await self._client.http.send_typing(channel_id)
