"""An in-process :class:`core.ports.Outbound` that only records when each call happened.

Recording is kept cheap (one small object per call) so that it does not weigh on the figures of
the bot it measures. Final texts are kept; ``keep_text`` keeps every call's text.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from core.chat import Button, ChatAction, ChatKey, MessageRef, PlatformLimits


@dataclass(frozen=True, slots=True)
class Call:
    """One outbound call: ``time.monotonic()`` at entry, the chat id, what it was, text length."""

    at: float
    chat_id: str
    kind: str  # send, edit, video, action
    length: int
    final: bool
    text: str = ""


class TimedOutbound:
    """Implements :class:`core.ports.Outbound`; never fails, never waits."""

    def __init__(self, limits: PlatformLimits, *, keep_text: bool = False) -> None:
        self._limits = limits
        self._keep_text = keep_text
        self._ids = itertools.count(1)
        self.calls: list[Call] = []

    @property
    def limits(self) -> PlatformLimits:
        return self._limits

    def _record(self, chat: ChatKey, kind: str, text: str, final: bool) -> None:
        self.calls.append(
            Call(
                time.monotonic(),
                chat.chat_id,
                kind,
                len(text),
                final,
                text if self._keep_text or final else "",
            )
        )

    async def send_text(
        self, chat: ChatKey, text: str, *, buttons: Sequence[Button] = (), final: bool = True
    ) -> MessageRef:
        self._record(chat, "send", text, final)
        return MessageRef(chat, str(next(self._ids)))

    async def edit_text(
        self, ref: MessageRef, text: str, *, buttons: Sequence[Button] = (), final: bool = False
    ) -> None:
        self._record(ref.chat, "edit", text, final)

    async def send_video(
        self, chat: ChatKey, path: Path, *, caption: str, buttons: Sequence[Button] = ()
    ) -> MessageRef:
        self._record(chat, "video", caption, True)
        await asyncio.to_thread(path.stat)  # the file must exist while the call runs
        return MessageRef(chat, str(next(self._ids)))

    async def chat_action(self, chat: ChatKey, action: ChatAction) -> None:
        self._record(chat, "action", "", False)

    def of(self, chat_id: str) -> list[Call]:
        return [call for call in self.calls if call.chat_id == chat_id]
