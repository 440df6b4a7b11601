"""A pressed button's own answer (answerCallbackQuery) as an :class:`~core.ports.Outbound`.

The core sends a refusal meant only for the presser (someone pressing Cancel on another's work)
to ``privately``; on Telegram the one private channel in a group is the alert the pressed button
shows. A callback query is answered once: the first text becomes the alert, anything after it
(and anything too long for an alert) goes to the chat as usual.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import Protocol

from core.chat import Button, ChatAction, ChatKey, MessageRef, PlatformLimits
from core.ports import Outbound

# Telegram's limit for a callback answer's text.
ALERT_MAX = 200


class _Answer(Protocol):
    def __call__(self, query_id: str, text: str | None = None, *, alert: bool = False) -> Awaitable[None]: ...


class CallbackAnswer:
    """Implements :class:`core.ports.Outbound` over one callback query (then over the chat)."""

    def __init__(self, query_id: str, answer: _Answer, chat: Outbound | None) -> None:
        self._query_id = query_id
        self._answer = answer
        self._chat = chat
        self._answered = False

    @property
    def limits(self) -> PlatformLimits:
        if self._chat is None:
            return PlatformLimits(max_text=ALERT_MAX, upload_cap=0, edit_interval_s=1.0)
        return self._chat.limits

    async def close(self) -> None:
        """Stop the button's spinner when the core said nothing privately."""
        if not self._answered:
            self._answered = True
            await self._answer(self._query_id)

    async def send_text(
        self, chat: ChatKey, text: str, *, buttons: Sequence[Button] = (), final: bool = True
    ) -> MessageRef:
        if not self._answered and len(text) <= ALERT_MAX and not buttons:
            self._answered = True
            await self._answer(self._query_id, text, alert=True)
            return MessageRef(chat, "")
        await self.close()
        return await self._chat_out().send_text(chat, text, buttons=buttons, final=final)

    async def edit_text(
        self, ref: MessageRef, text: str, *, buttons: Sequence[Button] = (), final: bool = False
    ) -> None:
        await self._chat_out().edit_text(ref, text, buttons=buttons, final=final)

    async def send_video(
        self, chat: ChatKey, path: Path, *, caption: str, buttons: Sequence[Button] = ()
    ) -> MessageRef:
        return await self._chat_out().send_video(chat, path, caption=caption, buttons=buttons)

    async def chat_action(self, chat: ChatKey, action: ChatAction) -> None:
        await self._chat_out().chat_action(chat, action)

    def _chat_out(self) -> Outbound:
        if self._chat is None:
            raise RuntimeError("the Telegram adapter has not started")
        return self._chat
