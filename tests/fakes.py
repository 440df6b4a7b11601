"""Test doubles for the core's ports: a recording chat platform with configurable limits."""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.chat import Action, Button, ChatAction, ChatKey, MessageRef, PlatformLimits

# What must never reach a chat or a log: a live NemoVideo token, a bot token, a Telegram file URL.
# (Claim tokens, clm_…, are meant for the user: they open the web editor and carry no API access.)
# A token counts in any form a chat or log may show it: Markdown-escaped (nmv\_usr\_…), as HTML
# entities (&#95; &#x5f; &lowbar;) or URL-encoded (%5F).
_UNDERSCORE = r"(?:_|\\_|&#0*95;|&#x0*5f;|&lowbar;|%5f)"
SECRET = re.compile(
    rf"nmv{_UNDERSCORE}usr{_UNDERSCORE}(?!<redacted>)(?:[A-Za-z0-9\-]|{_UNDERSCORE}){{8,}}"
    r"|\b\d{6,12}:[A-Za-z0-9_-]{30,}\b"
    r"|/file/bot\d+:",
    re.IGNORECASE,
)


def _actions_and_labels(buttons: Sequence[Button]) -> tuple[tuple[Action, ...], tuple[str, ...]]:
    assert all(button.label.strip() for button in buttons), "a button without a label"
    return tuple(b.action for b in buttons), tuple(b.label for b in buttons)


@dataclass
class Sent:
    """One message as the fake platform holds it, with its edit history."""

    ref: MessageRef
    text: str
    buttons: tuple[Action, ...] = ()  # the actions of the buttons, in order
    labels: tuple[str, ...] = ()
    final: bool = True
    video: Path | None = None
    video_bytes: int = 0
    history: list[str] = field(default_factory=list)


class RecordingOutbound:
    """Implements :class:`core.ports.Outbound` by recording every call, like a chat would show it."""

    def __init__(self, limits: PlatformLimits | None = None) -> None:
        self._limits = limits or PlatformLimits(max_text=4096, upload_cap=50_000_000, edit_interval_s=0.01)
        self.messages: list[Sent] = []
        self.actions: list[tuple[ChatKey, ChatAction]] = []
        self.edits = 0
        self._ids = itertools.count(1)
        self.changed = asyncio.Condition()

    @property
    def limits(self) -> PlatformLimits:
        return self._limits

    async def _notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    async def send_text(
        self, chat: ChatKey, text: str, *, buttons: Sequence[Button] = (), final: bool = True
    ) -> MessageRef:
        assert self._limits.text_length(text) <= self._limits.max_text, "message over the platform limit"
        assert text.strip(), "empty message sent"
        assert not SECRET.search(text), "a secret reached the chat"
        ref = MessageRef(chat, str(next(self._ids)))
        self.messages.append(Sent(ref, text, *_actions_and_labels(buttons), final, history=[text]))
        await self._notify()
        return ref

    async def edit_text(
        self, ref: MessageRef, text: str, *, buttons: Sequence[Button] = (), final: bool = False
    ) -> None:
        assert self._limits.text_length(text) <= self._limits.max_text, "edit over the platform limit"
        assert not SECRET.search(text), "a secret reached the chat"
        message = next(m for m in self.messages if m.ref == ref)
        message.text, message.final = text, final
        message.buttons, message.labels = _actions_and_labels(buttons)
        message.history.append(text)
        self.edits += 1
        await self._notify()

    async def send_video(
        self, chat: ChatKey, path: Path, *, caption: str, buttons: Sequence[Button] = ()
    ) -> MessageRef:
        ref = MessageRef(chat, str(next(self._ids)))
        size = (await asyncio.to_thread(path.stat)).st_size
        assert size <= self._limits.upload_cap
        self.messages.append(
            Sent(
                ref,
                caption,
                *_actions_and_labels(buttons),
                True,
                video=path,
                video_bytes=size,
                history=[caption],
            )
        )
        await self._notify()
        return ref

    async def chat_action(self, chat: ChatKey, action: ChatAction) -> None:
        self.actions.append((chat, action))

    def texts(self, chat: ChatKey | None = None) -> list[str]:
        return [m.text for m in self.messages if chat is None or m.ref.chat == chat]

    def transcript(self, chat: ChatKey | None = None) -> str:
        return "\n---\n".join(self.texts(chat))
