"""A slash command's own response as :class:`~core.ports.Outbound` ports: quick answers in place.

Discord wants every interaction acknowledged within 3 seconds. A quick answer (help, the skill
list, a token refusal) is sent as the interaction's response itself (type 4), so the user sees one
message, not "Working on it below ↓" plus a second one. An answer that needs the backend (status,
credits) is deferred first and then fills the original response; any answer still missing when
``defer_after_s`` has passed is deferred too, so the 3-second rule holds whatever is slow.

:class:`InteractionAnswer` owns that one response; its two views are the core's ``privately``
(ephemeral) and ``in_place`` (public) ports. Whichever answers first decides the response; later
texts are followups. Buttons go with the answer (a Status answer offers Export).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from pathlib import Path

import discord

from bots.discord_bot.formatting import render
from bots.discord_bot.outbound import DiscordOutbound, translated
from bots.discord_bot.views import buttons_view
from core.chat import Button, ChatAction, ChatKey, MessageRef, PlatformLimits

log = logging.getLogger(__name__)

# The id a MessageRef carries for the interaction's original response (edited through the token).
ORIGINAL = "@original"
# Deferring later than this risks Discord's 3 s acknowledgement window on a slow connection.
DEFER_AFTER_S = 1.5


class InteractionAnswer:
    """The one response of a slash command: sent in place, deferred only when the answer is slow.

    ``ephemeral`` is how a deferral shows ("only you can see this" or public); it is decided before
    the answer is known, from the door's facts (:data:`core.inbound.PRIVATE_ACTIONS` and friends).
    """

    def __init__(
        self,
        interaction: discord.Interaction,
        base: DiscordOutbound,
        chat: ChatKey,
        *,
        ephemeral: bool,
        defer_after_s: float = DEFER_AFTER_S,
    ) -> None:
        self._interaction = interaction
        self.base = base
        self._chat = chat
        self._ephemeral = ephemeral
        self._defer_after_s = defer_after_s
        self._lock = asyncio.Lock()
        self._deferred = False
        self._answered = False
        self._timer: asyncio.Task[None] | None = None
        self.private = _AnswerPort(self, ephemeral=True)
        self.public = _AnswerPort(self, ephemeral=False)

    @property
    def answered(self) -> bool:
        """Whether the core said something through this response."""
        return self._answered

    def start(self, *, slow: bool) -> None:
        """Start the clock; ``slow`` (a backend call ahead) defers at once."""
        delay = 0.0 if slow else self._defer_after_s
        self._timer = asyncio.create_task(self._defer_later(delay), name="discord-answer-defer")

    async def _defer_later(self, delay: float) -> None:
        if delay > 0:
            await asyncio.sleep(delay)
        await self.defer()

    async def defer(self) -> bool:
        """Acknowledge without an answer yet ("thinking…"); False when that failed or was too late."""
        async with self._lock:
            if self._deferred or self._interaction.response.is_done():
                return True
            try:
                await self._interaction.response.defer(thinking=True, ephemeral=self._ephemeral)
            except discord.HTTPException as exc:
                log.warning("could not defer interaction %s: %s", self._interaction.id, exc)
                return False
            self._deferred = True
            return True

    async def send(
        self, chat: ChatKey, text: str, buttons: Sequence[Button], *, ephemeral: bool
    ) -> MessageRef:
        content = render(text, final=True)
        view = buttons_view(buttons)
        async with self._lock:
            response = self._interaction.response
            if not response.is_done():
                with translated("interaction response"):
                    await response.send_message(
                        content, ephemeral=ephemeral, view=view or discord.utils.MISSING
                    )
                self._answered = True
                return MessageRef(chat, ORIGINAL)
            if self._deferred and not self._answered and ephemeral == self._ephemeral:
                with translated("interaction response edit"):
                    await self._interaction.edit_original_response(content=content, view=view)
                self._answered = True
                return MessageRef(chat, ORIGINAL)
            with translated("interaction followup"):
                message = await self._interaction.followup.send(
                    content, ephemeral=ephemeral, view=view or discord.utils.MISSING, wait=True
                )
            self._answered = True
            return MessageRef(chat, str(message.id))

    async def edit(self, ref: MessageRef, text: str, buttons: Sequence[Button], *, final: bool) -> None:
        content = render(text, final=final)
        view = buttons_view(buttons)
        with translated("interaction edit"):
            if ref.message_id == ORIGINAL:
                await self._interaction.edit_original_response(content=content, view=view)
            else:
                await self._interaction.followup.edit_message(int(ref.message_id), content=content, view=view)

    async def close(self, *, fallback: str | None = None) -> None:
        """After the core returned: stop the clock; a response never filled is given ``fallback``
        (or removed), so no "thinking…" stays and Discord never reports a failed interaction."""
        timer, self._timer = self._timer, None
        if timer is not None and not timer.done():
            timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await timer
        if self._answered:
            return
        if fallback is not None:
            with contextlib.suppress(Exception):
                await self.send(self._chat, fallback, (), ephemeral=self._ephemeral)
            return
        if not await self.defer():
            return
        try:
            await self._interaction.delete_original_response()
        except discord.HTTPException as exc:
            log.info("could not remove the empty response of %s: %s", self._interaction.id, exc)


class _AnswerPort:
    """One view of an :class:`InteractionAnswer`: private (ephemeral) or public."""

    def __init__(self, answer: InteractionAnswer, *, ephemeral: bool) -> None:
        self._answer = answer
        self._ephemeral = ephemeral

    @property
    def limits(self) -> PlatformLimits:
        return self._answer.base.limits

    async def send_text(
        self, chat: ChatKey, text: str, *, buttons: Sequence[Button] = (), final: bool = True
    ) -> MessageRef:
        return await self._answer.send(chat, text, buttons, ephemeral=self._ephemeral)

    async def edit_text(
        self, ref: MessageRef, text: str, *, buttons: Sequence[Button] = (), final: bool = False
    ) -> None:
        await self._answer.edit(ref, text, buttons, final=final)

    async def send_video(
        self, chat: ChatKey, path: Path, *, caption: str, buttons: Sequence[Button] = ()
    ) -> MessageRef:
        return await self._answer.base.send_video(chat, path, caption=caption, buttons=buttons)

    async def chat_action(self, chat: ChatKey, action: ChatAction) -> None:
        return None
