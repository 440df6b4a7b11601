"""The platform-neutral vocabulary that crosses the boundary between adapters and the core.

Adapters translate a Telegram update, a Discord message or a console line into an :class:`Inbound`
and implement :class:`~core.ports.Outbound`; the core never sees a platform object.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ChatKey:
    """One conversation: a platform, a chat, and optionally a thread or forum topic in it."""

    platform: str
    chat_id: str
    thread_id: str | None = None

    def __str__(self) -> str:
        base = f"{self.platform}:{self.chat_id}"
        return f"{base}:{self.thread_id}" if self.thread_id else base

    @classmethod
    def parse(cls, text: str) -> ChatKey:
        platform, _, rest = text.partition(":")
        chat_id, _, thread = rest.partition(":")
        return cls(platform, chat_id, thread or None)


@dataclass(frozen=True, slots=True)
class Sender:
    """Who sent a message; ``locale`` is the platform's language hint (``en``, ``zh-hans``, …).

    ``is_chat_admin`` is the platform's fact that the sender moderates this chat (Discord's Manage
    Messages, a Telegram group administrator); in groups it lets them stop or reset others' work.
    """

    user_id: str
    display_name: str = ""
    locale: str | None = None
    is_chat_admin: bool = False


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file attached to a message, described before any byte is transferred.

    ``open`` streams the bytes (the adapter downloads through a temporary file or the platform's
    stream); it is ``None`` when the platform cannot deliver the file (e.g. over Telegram's 20 MB
    download cap), in which case ``size`` still tells the user why.
    """

    name: str
    mime_type: str | None
    size: int | None
    open: Callable[[], AsyncIterator[bytes]] | None = field(default=None, compare=False, repr=False)
    kind: str = "document"  # video, audio, voice, photo, animation, video_note, document


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message for the core: text, attachments, and whether it was meant for the bot."""

    chat: ChatKey
    sender: Sender
    text: str = ""
    attachments: tuple[Attachment, ...] = ()
    addressed: bool = True
    message_id: str | None = None
    is_group: bool = False
    # The platform message itself, where the adapter can delete it (a /token message, say).
    ref: MessageRef | None = None


class Action(enum.StrEnum):
    """What a button or command asks for; buttons and typed commands map to the same actions."""

    EXPORT = "export"
    STATUS = "status"
    CREDITS = "credits"
    NEW = "new"
    CANCEL = "cancel"
    HELP = "help"


@dataclass(frozen=True, slots=True)
class Button:
    """A button under a message, as the core offers it: the action, its label in the chat's
    language, and (where it matters) who asked for the work, so an adapter can ping them."""

    action: Action
    label: str
    requester: str | None = None


class ChatAction(enum.StrEnum):
    """A transient activity indicator ("typing…", "sending video…")."""

    TYPING = "typing"
    UPLOAD_VIDEO = "upload_video"


@dataclass(frozen=True, slots=True)
class MessageRef:
    """A message the bot sent, so it can be edited later (the id is the platform's, as text)."""

    chat: ChatKey
    message_id: str


@dataclass(frozen=True, slots=True)
class PlatformLimits:
    """What a platform allows, so the core splits, throttles and sizes for each one.

    ``max_text`` is counted with ``text_length`` (Telegram counts UTF-16 units); ``edit_interval_s``
    is the minimum gap between edits of one message; ``upload_cap`` is the largest file the bot may
    send; ``download_cap`` the largest it can fetch from a user (``None``: no limit).
    """

    max_text: int
    upload_cap: int
    edit_interval_s: float
    download_cap: int | None = None
    group_edit_interval_s: float | None = None
    text_length: Callable[[str], int] = field(default=len, compare=False)

    def edit_interval(self, is_group: bool) -> float:
        if is_group and self.group_edit_interval_s is not None:
            return self.group_edit_interval_s
        return self.edit_interval_s


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units (how Telegram measures entities; never less than code points)."""
    return len(text.encode("utf-16-le")) // 2
