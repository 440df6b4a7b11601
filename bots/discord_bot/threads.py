"""A thread per project in a busy channel, so several people's projects don't interleave.

A thread is already its own conversation (its own chat, session and project). When someone asks
the bot for something in a guild text channel where other people have been talking recently,
the adapter opens a thread on their message and carries the conversation on there. Quiet
channels, DMs, threads and commands are left alone; ``DISCORD_THREAD_PER_PROJECT=false`` turns it
off. Follow-ups inside a thread the bot opened need no @mention.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace

import discord

from bots.discord_bot.mapping import chat_key
from core.chat import Inbound

log = logging.getLogger(__name__)

BUSY_WINDOW_S = 600.0
"""Someone else spoke in the channel within this long: the channel counts as busy."""
_NAME_MAX = 80
_MAX_CHANNELS = 5_000


def thread_name(prompt: str) -> str:
    """The request's first line, shortened (Discord allows 100 characters)."""
    first = " ".join(prompt.split("\n", 1)[0].split())
    return (first[: _NAME_MAX - 1] + "…") if len(first) > _NAME_MAX else (first or "NemoVideo")


class ProjectThreads:
    """Watches who talks where, and moves a new request in a busy channel into its own thread."""

    def __init__(
        self,
        *,
        enabled: bool,
        window_s: float = BUSY_WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.enabled = enabled
        self._window_s = window_s
        self._clock = clock
        self._recent: dict[int, dict[int, float]] = {}

    def observe(self, message: discord.Message) -> None:
        """Remember that a person spoke in a guild text channel (every message, addressed or not)."""
        if message.author.bot or not isinstance(message.channel, discord.TextChannel):
            return
        if len(self._recent) > _MAX_CHANNELS:
            self._recent.clear()  # a coarse bound; busy channels fill up again within minutes
        self._recent.setdefault(message.channel.id, {})[message.author.id] = self._clock()

    def busy(self, channel_id: int, asker_id: int) -> bool:
        """Whether someone other than the asker spoke in the channel within the window."""
        now = self._clock()
        seen = self._recent.get(channel_id, {})
        return any(author != asker_id and now - at < self._window_s for author, at in seen.items())

    async def route(self, message: discord.Message, inbound: Inbound) -> Inbound:
        """The inbound as it should reach the core: moved into a new thread where that helps."""
        text = inbound.text.strip()
        if (
            not self.enabled
            or not isinstance(message.channel, discord.TextChannel)
            or not text
            or text.startswith("/")
            or message.reference is not None  # a reply continues the conversation it answers
            or not self.busy(message.channel.id, message.author.id)
        ):
            return inbound
        try:
            thread = await message.create_thread(name=thread_name(text), auto_archive_duration=1440)
        except discord.HTTPException as exc:
            # No permission to create threads (or threads off): answer in the channel as before.
            log.info("could not open a thread in channel %s: %s", message.channel.id, exc)
            return inbound
        # The request itself stays in the channel; replies in the thread do not quote it.
        return replace(inbound, chat=chat_key(thread.id), ref=None)
