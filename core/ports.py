"""The ports the core asks for: how to talk to a chat (:class:`Outbound`) and what to remember
(:class:`Store`). Adapters in ``bots/`` and ``storage/`` implement them; the core owns them."""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from core.chat import Button, ChatAction, ChatKey, MessageRef, PlatformLimits


class PlatformError(Exception):
    """Base of the errors an :class:`Outbound` raises in the core's vocabulary."""


class PlatformRateLimited(PlatformError):
    """The platform asked us to slow down (Telegram RetryAfter, Discord 429)."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited for {retry_after:.1f}s")
        self.retry_after = retry_after


class MessageGone(PlatformError):
    """The message to edit no longer exists or can no longer be edited; send a new one instead."""


class ChatUnavailable(PlatformError):
    """The bot cannot write to this chat (blocked, kicked, chat not found, no permission)."""


class Outbound(Protocol):
    """What the core needs from a chat platform. Every method may raise; the core handles it.

    ``final`` marks the last version of a streamed reply: adapters may format it (e.g. HTML) then,
    and must send plain text before; ``buttons`` offers actions under the message, already labelled
    in the chat's language (an adapter never asks the core for it).
    """

    @property
    def limits(self) -> PlatformLimits: ...

    async def send_text(
        self, chat: ChatKey, text: str, *, buttons: Sequence[Button] = (), final: bool = True
    ) -> MessageRef: ...

    async def edit_text(
        self, ref: MessageRef, text: str, *, buttons: Sequence[Button] = (), final: bool = False
    ) -> None: ...

    async def send_video(
        self, chat: ChatKey, path: Path, *, caption: str, buttons: Sequence[Button] = ()
    ) -> MessageRef: ...

    async def chat_action(self, chat: ChatKey, action: ChatAction) -> None: ...


@runtime_checkable
class MessageDeleter(Protocol):
    """An optional :class:`Outbound` capability: delete a message (a user's message with a token)."""

    async def delete_message(self, ref: MessageRef) -> bool:
        """True when the message is gone; False when the platform would not allow it."""
        ...


@runtime_checkable
class UploadCapByChat(Protocol):
    """An optional :class:`Outbound` capability: the upload cap of one chat, where it varies
    (a Discord server's boost level); otherwise ``limits.upload_cap`` applies everywhere."""

    def upload_cap_for(self, chat: ChatKey) -> int: ...


@runtime_checkable
class ReopensFiles(Protocol):
    """An :class:`Outbound` that can open a received file again by its ``Attachment.ref``, from any
    process (Telegram: by file_id), so an upload stored by one worker of a fleet can run on another."""

    def reopen(self, ref: str) -> Callable[[], AsyncIterator[bytes]]: ...


class DraftRefused(PlatformError):
    """The platform will not show drafts here (an older server, not a private chat): stream by edits."""


@runtime_checkable
class DraftStreamer(Protocol):
    """An optional :class:`Outbound` capability: native streaming of a reply that is being written.

    A draft is an animated preview under ``draft_id`` (non-zero; one id per reply) that is not a
    message: it has no id, cannot be edited, and vanishes unless refreshed or followed by a real
    message. :class:`core.replies.StreamingReply` uses it in private chats and falls back to edits
    when it raises :class:`DraftRefused`.
    """

    def drafts_in(self, chat: ChatKey, *, is_group: bool) -> bool:
        """Whether drafts can be tried in this chat at all (Telegram: private chats only)."""
        ...

    async def send_draft(self, chat: ChatKey, draft_id: int, text: str) -> None: ...


@runtime_checkable
class ReplySender(Protocol):
    """An optional :class:`Outbound` capability: a new message that replies to the user's message.

    Used for results that took a while, so the user gets a notification tied to what they asked
    (in a group the quoted message shows whom it is for).
    """

    async def send_reply(
        self, origin: MessageRef, text: str, *, buttons: Sequence[Button] = ()
    ) -> MessageRef: ...


@runtime_checkable
class VideoReplySender(Protocol):
    """An optional :class:`Outbound` capability: a video sent as a reply to the message that asked
    for it (in a group the quoted ``/export`` shows whom the result is for)."""

    async def send_video_reply(
        self, origin: MessageRef, path: Path, *, caption: str, buttons: Sequence[Button] = ()
    ) -> MessageRef: ...


class Reaction(enum.StrEnum):
    """A lightweight acknowledgement on the user's own message."""

    SEEN = "seen"
    DONE = "done"
    FAILED = "failed"


@runtime_checkable
class Reactor(Protocol):
    """An optional :class:`Outbound` capability: set a reaction on a user's message.

    Adapters swallow refusals (reactions turned off in a chat): an acknowledgement is never worth
    an error.
    """

    async def react(self, ref: MessageRef, reaction: Reaction) -> None: ...


class CardState(enum.StrEnum):
    """Where a job shown as a card stands (platforms colour it by this)."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class JobCard:
    """A job's progress card. ``text`` is what the plain-text version shows (its bar included);
    ``percent`` is set while progress is known; ``requester`` is the platform user id who asked."""

    title: str
    text: str
    state: CardState = CardState.RUNNING
    percent: int | None = None
    requester: str | None = None


@runtime_checkable
class CardSender(Protocol):
    """An optional :class:`Outbound` capability: draw a job's progress as a card (Discord embeds)
    instead of a text message. Edited in place like text; ``buttons`` go under it."""

    async def send_card(
        self, chat: ChatKey, card: JobCard, *, buttons: Sequence[Button] = ()
    ) -> MessageRef: ...

    async def edit_card(self, ref: MessageRef, card: JobCard, *, buttons: Sequence[Button] = ()) -> None: ...


class JobKind(enum.StrEnum):
    TURN = "turn"
    RENDER = "render"
    # Files (and their caption instruction) or links being uploaded; a restart tells what to resend.
    UPLOAD = "upload"


class JobState(enum.StrEnum):
    """A job's life: accepted (stored, not yet sent), running (sent to the backend), then an end.

    ``CANCELLED`` is the user's /cancel (or Cancel button): stored at once, never resumed.
    """

    ACCEPTED = "accepted"
    RUNNING = "running"
    DELIVERING = "delivering"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def open(self) -> bool:
        return self in (JobState.ACCEPTED, JobState.RUNNING, JobState.DELIVERING)


@dataclass(slots=True)
class ChatRecord:
    """What is remembered about one chat: its settings, NemoVideo credentials and session."""

    chat: ChatKey
    language: str | None = None
    skill: str | None = None
    client_id: str | None = None
    token: str | None = field(default=None, repr=False)
    token_expires_at: datetime | None = None
    anon_user_id: str | None = None
    session_id: str | None = None
    task_id: str | None = None
    # A user's own NemoVideo token (/token), used instead of the operator's or an anonymous one.
    user_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class UsageRow:
    """One line of the usage table: how often ``user_id`` did ``kind`` in ``chat`` on a day."""

    chat: ChatKey
    user_id: str
    kind: str
    count: int


@dataclass(slots=True)
class Job:
    """A unit of accepted work that must survive a restart: a chat turn or a render.

    ``payload`` is the turn's text (for turns) or nothing; ``render_id`` is set once a render has
    been submitted, so a restart polls it instead of submitting again.
    """

    job_id: str
    chat: ChatKey
    kind: JobKind
    state: JobState
    created_at: datetime
    updated_at: datetime
    session_id: str | None = None
    payload: str = ""
    render_id: str | None = None
    requester: str | None = None
    status_message_id: str | None = None
    attempts: int = 0
    detail: str = ""


@dataclass(frozen=True, slots=True)
class RenderedDraft:
    """The last successful render of a chat's draft: which draft (``fingerprint``) became which render.

    An export of an unchanged draft hands this result out again instead of rendering it anew.
    """

    chat: ChatKey
    session_id: str
    fingerprint: str
    render_id: str
    output_url: str | None
    rendered_at: datetime


class Store(Protocol):
    """Durable state. Implementations: ``storage.sqlite.SqliteStore``, ``storage.memory.MemoryStore``
    and ``storage.postgres.PostgresStore`` (the one a fleet of processes shares).

    Every method is atomic on its own. ``claim_message`` is the de-duplication primitive: it returns
    True exactly once per ``(chat, message_id)``. Datetimes must be timezone-aware; usage days are
    ``YYYY-MM-DD``; a thread id of ``""`` means no thread; ``open_jobs`` breaks ties by ``job_id``.
    """

    async def get_chat(self, chat: ChatKey) -> ChatRecord | None: ...

    async def save_chat(self, record: ChatRecord) -> None: ...

    async def claim_message(self, chat: ChatKey, message_id: str) -> bool: ...

    async def release_message(self, chat: ChatKey, message_id: str) -> None:
        """Undo a claim whose event could not be stored after all, so its redelivery is taken."""
        ...

    async def save_job(self, job: Job) -> None: ...

    async def get_job(self, job_id: str) -> Job | None: ...

    async def open_jobs(self, chat: ChatKey | None = None) -> list[Job]:
        """Jobs not yet done or failed, oldest first (what a restart must resume); only ``chat``'s
        when given (what a fleet worker holding the chat must run, in order)."""
        ...

    async def add_usage(self, chat: ChatKey, user_id: str, kind: str, day: str) -> None: ...

    async def usage(
        self, chat: ChatKey, day: str, *, user_id: str | None = None, kind: str | None = None
    ) -> int:
        """How many usage events match (``day`` is ``YYYY-MM-DD`` UTC)."""
        ...

    async def user_usage(self, platform: str, user_id: str, day: str, *, kind: str | None = None) -> int:
        """How many usage events one user of a platform had on ``day``, in every chat together."""
        ...

    async def usage_report(self, day: str) -> list[UsageRow]:
        """Every usage row of ``day``, largest counts first (for operators)."""
        ...

    async def prune_processed(self, older_than: datetime) -> int:
        """Forget de-duplication claims older than ``older_than``; returns how many were removed."""
        ...

    async def remember_render(self, rendered: RenderedDraft) -> None:
        """Keep ``rendered`` as the chat's last successful render (replacing the previous one)."""
        ...

    async def last_render(self, chat: ChatKey, session_id: str) -> RenderedDraft | None:
        """The chat's last successful render in ``session_id``, if any."""
        ...

    # Leases: what lets several worker processes share one store (core/leases.py uses them). A
    # lease is a named row with a holder and an expiry on the store's clock; one statement decides
    # each call, so of several workers asking at once exactly one wins.

    async def take_lease(self, name: str, holder: str, seconds: float) -> bool:
        """Hold ``name`` for ``seconds`` from now when it is free, expired or already ``holder``'s
        (then it is extended); False when another holder's lease is still live."""
        ...

    async def renew_leases(self, holder: str, seconds: float) -> list[str]:
        """Extend every lease ``holder`` still has to ``seconds`` from now; returns their names (a
        lease another worker took over after it expired is no longer ``holder``'s and is missing)."""
        ...

    async def release_lease(self, name: str, holder: str) -> None:
        """Give ``name`` up if ``holder`` has it; nothing happens otherwise."""
        ...

    async def live_leases(self, prefix: str) -> dict[str, str]:
        """Every unexpired lease whose name starts with ``prefix``: name → holder."""
        ...

    async def close(self) -> None: ...
