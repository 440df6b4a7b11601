"""Slash commands and button presses: acknowledge within Discord's 3 seconds, hand over to the core.

Quick answers (help, credits, status, the skill list, /video token, whoami, admin) are the
command's own response (see :mod:`bots.discord_bot.answers`): sent in place, ephemeral where the
core says they are personal, deferred first only when they need the backend. Work (a prompt, an
upload, an export) is deferred at once and never depends on the interaction's 15-minute token:
the deferred reply only says "working on it below", and progress and results are normal channel
messages sent by :class:`DiscordOutbound`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, Concatenate, ParamSpec

import discord
from discord import app_commands

from bots.discord_bot.answers import DEFER_AFTER_S, InteractionAnswer
from bots.discord_bot.formatting import quote_prompt, render
from bots.discord_bot.mapping import (
    Opener,
    interaction_chat,
    interaction_inbound,
    interaction_sender,
    to_attachment,
)
from bots.discord_bot.outbound import DiscordOutbound, translated
from core.chat import Action, Button, ChatAction, ChatKey, Inbound, MessageRef, PlatformLimits
from core.i18n import Lang, t
from core.inbound import (
    BACKEND_ACTIONS,
    IN_PLACE_ACTIONS,
    IN_PLACE_COMMANDS,
    PRIVATE_ACTIONS,
    PRIVATE_COMMANDS,
    Core,
    CoreUnavailable,
    Press,
)

log = logging.getLogger(__name__)

P = ParamSpec("P")


class EphemeralReplies:
    """An :class:`~core.ports.Outbound` for one interaction: replies only its user sees."""

    def __init__(self, interaction: discord.Interaction, base: DiscordOutbound) -> None:
        self._interaction = interaction
        self._base = base

    @property
    def limits(self) -> PlatformLimits:
        return self._base.limits

    async def send_text(
        self, chat: ChatKey, text: str, *, buttons: Sequence[Button] = (), final: bool = True
    ) -> MessageRef:
        with translated("ephemeral followup"):
            message = await self._interaction.followup.send(
                render(text, final=True), ephemeral=True, wait=True
            )
        return MessageRef(chat, str(message.id))

    async def edit_text(
        self, ref: MessageRef, text: str, *, buttons: Sequence[Button] = (), final: bool = False
    ) -> None:
        with translated("ephemeral edit"):
            await self._interaction.followup.edit_message(
                int(ref.message_id), content=render(text, final=final)
            )

    async def send_video(
        self, chat: ChatKey, path: Path, *, caption: str, buttons: Sequence[Button] = ()
    ) -> MessageRef:
        return await self._base.send_video(chat, path, caption=caption, buttons=buttons)

    async def chat_action(self, chat: ChatKey, action: ChatAction) -> None:
        return None


def _tracked(
    handler: Callable[Concatenate[InteractionRouter, P], Awaitable[None]],
) -> Callable[Concatenate[InteractionRouter, P], Coroutine[Any, Any, None]]:
    """Record the running handler, so :meth:`InteractionRouter.drain` can wait for it on stop."""

    @functools.wraps(handler)
    async def run(self: InteractionRouter, /, *args: P.args, **kwargs: P.kwargs) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._handling.add(task)
        try:
            await handler(self, *args, **kwargs)
        finally:
            if task is not None:
                self._handling.discard(task)

    return run


class InteractionRouter:
    """Implements :class:`~bots.discord_bot.commands.CommandHandlers` and the button callbacks."""

    def __init__(
        self,
        core: Core,
        outbound: DiscordOutbound,
        opener: Opener,
        *,
        defer_after_s: float = DEFER_AFTER_S,
    ) -> None:
        self._core = core
        self._defer_after_s = defer_after_s
        self._out = outbound
        self._opener = opener
        self._tasks: set[asyncio.Task[None]] = set()
        self._handling: set[asyncio.Task[Any]] = set()

    # Slash commands ----------------------------------------------------------------------------

    @_tracked
    async def ask(
        self, interaction: discord.Interaction, prompt: str, attachment: discord.Attachment | None
    ) -> None:
        chat = await self._defer(interaction, ephemeral=False)
        if chat is not None:
            files = (to_attachment(chat, attachment, self._opener),) if attachment else ()
            inbound = interaction_inbound(interaction, chat, prompt, files)
            await self._hand_over(interaction, chat, self._core.receive(inbound), note=quote_prompt(prompt))

    @_tracked
    async def upload(
        self, interaction: discord.Interaction, attachment: discord.Attachment | None, url: str | None
    ) -> None:
        if attachment is None and not url:
            # The core answers "/upload" alone with the chat's skill's hint (formats), privately.
            await self._typed_in_place(interaction, "/upload")
            return
        chat = await self._defer(interaction, ephemeral=False)
        if chat is None:
            return
        # A file and a link are two uploads for the core (a text next to a file would be its prompt).
        inbounds = []
        if attachment is not None:
            files = (to_attachment(chat, attachment, self._opener),)
            inbounds.append(interaction_inbound(interaction, chat, "", files))
        if url:
            inbounds.append(interaction_inbound(interaction, chat, f"/upload {url}", part=":url"))
        await self._hand_over(interaction, chat, self._receive_in_order(inbounds))

    async def _receive_in_order(self, inbounds: Sequence[Inbound]) -> None:
        for inbound in inbounds:
            await self._core.receive(inbound)

    @_tracked
    async def action(self, interaction: discord.Interaction, action: Action) -> None:
        if action in IN_PLACE_ACTIONS:
            # Status, credits, help: the answer is the command's own response, not a second message.
            def pressed(answer: InteractionAnswer, chat: ChatKey) -> Coroutine[Any, Any, None]:
                press = self._press(interaction, chat, action)
                return self._core.press(press, privately=answer.private, in_place=answer.public)

            await self._in_place(
                interaction, pressed, ephemeral=action in PRIVATE_ACTIONS, slow=action in BACKEND_ACTIONS
            )
            return
        # A refusal to cancel is private too, so the deferred reply is.
        private = action in PRIVATE_ACTIONS or action is Action.CANCEL
        chat = await self._defer(interaction, ephemeral=private)
        if chat is None:
            return
        press = self._press(interaction, chat, action)
        replies = EphemeralReplies(interaction, self._out)
        if action in PRIVATE_ACTIONS:
            await self._guarded(interaction, chat, self._core.press(press, privately=replies))
        else:
            await self._hand_over(interaction, chat, self._core.press(press, privately=replies))

    @_tracked
    async def command(self, interaction: discord.Interaction, text: str) -> None:
        if text.split()[0].lstrip("/") in IN_PLACE_COMMANDS:
            await self._typed_in_place(interaction, text)
            return
        chat = await self._defer(interaction, ephemeral=False)
        if chat is not None:
            inbound = interaction_inbound(interaction, chat, text)
            await self._hand_over(interaction, chat, self._core.receive(inbound))

    async def _typed_in_place(self, interaction: discord.Interaction, text: str) -> None:
        """A typed command answered as the interaction's response (privately where the core says)."""

        def received(answer: InteractionAnswer, chat: ChatKey) -> Coroutine[Any, Any, None]:
            inbound = interaction_inbound(interaction, chat, text)
            return self._core.receive(inbound, privately=answer.private, in_place=answer.public)

        private = text.split()[0].lstrip("/") in PRIVATE_COMMANDS
        await self._in_place(interaction, received, ephemeral=private, slow=False)

    async def _in_place(
        self,
        interaction: discord.Interaction,
        run: Callable[[InteractionAnswer, ChatKey], Coroutine[Any, Any, None]],
        *,
        ephemeral: bool,
        slow: bool,
    ) -> None:
        """Hand over with the interaction's own response as the answer; it is deferred only when
        the answer needs the backend (``slow``) or does not come quickly."""
        chat = interaction_chat(interaction)
        if chat is None or await self._refused(interaction, chat):
            return
        answer = InteractionAnswer(
            interaction, self._out, chat, ephemeral=ephemeral, defer_after_s=self._defer_after_s
        )
        answer.start(slow=slow)
        fallback: str | None = None
        try:
            await run(answer, chat)
        except CoreUnavailable as exc:
            log.warning("interaction %s in %s was not stored", interaction.id, chat)
            fallback = exc.notice
        finally:
            # Nothing said (a duplicate, or a rate limit already explained): the response is removed.
            await answer.close(fallback=fallback)

    # Buttons -----------------------------------------------------------------------------------

    @_tracked
    async def press(self, interaction: discord.Interaction, action: Action) -> None:
        """A click on one of our buttons (also on messages sent before a restart)."""
        chat = interaction_chat(interaction)
        if chat is not None and await self._refused(interaction, chat):
            return
        try:
            # Type 6: acknowledged, nothing shown; the result arrives as a channel message.
            await interaction.response.defer()
        except discord.HTTPException as exc:
            log.warning("could not acknowledge a button in %s: %s", chat, exc)
            return
        if chat is None:
            return
        press = self._press(interaction, chat, action)
        work = self._guarded(
            interaction, chat, self._core.press(press, privately=EphemeralReplies(interaction, self._out))
        )
        if action in PRIVATE_ACTIONS:
            await work
            return
        self._spawn(work)

    @_tracked
    async def stale_button(self, interaction: discord.Interaction) -> None:
        """A click on a button id we do not know (old layout, or forged): say so, privately."""
        chat = interaction_chat(interaction)
        lang = await self._lang(interaction, chat) if chat else "en"
        await self._respond_or_followup(interaction, t(lang, "button_stale"))

    @_tracked
    async def tree_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """A command Discord knows but we do not (a stale registration), or a failing callback."""
        log.warning("slash command failed: %s", error, exc_info=error)
        chat = interaction_chat(interaction)
        lang = await self._lang(interaction, chat) if chat else "en"
        stale = isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch)
        await self._respond_or_followup(interaction, t(lang, "button_stale" if stale else "error_generic"))

    # Helpers -----------------------------------------------------------------------------------

    @staticmethod
    def _press(interaction: discord.Interaction, chat: ChatKey, action: Action) -> Press:
        # The interaction id makes a double click or a redelivered interaction run once.
        return Press(
            chat,
            action,
            interaction_sender(interaction),
            is_group=interaction.guild_id is not None,
            press_id=f"interaction:{interaction.id}",
        )

    async def _lang(self, interaction: discord.Interaction, chat: ChatKey) -> Lang:
        return await self._core.language(chat, str(interaction.locale))

    async def _defer(self, interaction: discord.Interaction, *, ephemeral: bool) -> ChatKey | None:
        """Acknowledge (Discord's 3 s); ``None`` when there is nothing more to do."""
        chat = interaction_chat(interaction)
        if chat is None or await self._refused(interaction, chat):
            return None
        try:
            await interaction.response.defer(thinking=True, ephemeral=ephemeral)
        except discord.HTTPException as exc:
            # Too late (10062) or already answered (40060): Discord shows its own failure.
            log.warning("could not defer interaction %s: %s", interaction.id, exc)
            return None
        return chat

    async def _refused(self, interaction: discord.Interaction, chat: ChatKey) -> bool:
        """Answer someone the access list leaves out, privately and at once (instead of deferring).

        Decided before deferring: after a public "thinking…" Discord would show the refusal publicly.
        The core checks again (and counts the message rate) for what it is handed.
        """
        if self._core.allowed(chat, str(interaction.user.id)):
            return False
        await self._respond_or_followup(interaction, t(await self._lang(interaction, chat), "not_allowed"))
        return True

    async def _guarded(
        self, interaction: discord.Interaction, chat: ChatKey, work: Coroutine[Any, Any, None]
    ) -> None:
        """Run handed-over work; when the core could not store the event, tell the user privately."""
        try:
            await work
        except CoreUnavailable as exc:
            log.warning("interaction %s in %s was not stored", interaction.id, chat)
            await self._reply_privately(interaction, exc.notice)

    async def _hand_over(
        self,
        interaction: discord.Interaction,
        chat: ChatKey,
        work: Coroutine[Any, Any, None],
        *,
        note: str = "",
    ) -> None:
        self._spawn(self._guarded(interaction, chat, work))
        text = t(await self._lang(interaction, chat), "working_below")
        try:
            await interaction.edit_original_response(content=f"{text}\n{note}" if note else text)
        except discord.HTTPException as exc:
            # Only the "working on it" note is lost; the work itself answers in the channel.
            log.info("could not update the deferred reply of %s: %s", interaction.id, exc)

    async def _reply_privately(self, interaction: discord.Interaction, text: str) -> None:
        try:
            await interaction.followup.send(render(text, final=True), ephemeral=True)
        except discord.HTTPException as exc:
            log.info("could not answer interaction %s: %s", interaction.id, exc)

    async def _respond_or_followup(self, interaction: discord.Interaction, text: str) -> None:
        if interaction.response.is_done():
            await self._reply_privately(interaction, text)
            return
        try:
            await interaction.response.send_message(render(text, final=True), ephemeral=True)
        except discord.HTTPException as exc:
            log.info("could not answer interaction %s: %s", interaction.id, exc)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work, name="discord-interaction-work")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, grace_s: float = 5.0) -> None:
        """Wait briefly for running handlers and handed-over work, then cancel what is left."""
        running = (self._tasks | self._handling) - {asyncio.current_task()}
        if not running:
            return
        _done, pending = await asyncio.wait(running, timeout=grace_s)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
