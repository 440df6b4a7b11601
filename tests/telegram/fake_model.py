"""The fake Bot API's records: calls, stored messages and files, flood rules, error answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.telegram.fake_html import Entity


class ApiError(Exception):
    """An error answer: HTTP status, Telegram's description, optional retry_after."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


@dataclass
class Call:
    """One request as the fake saw it."""

    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, int]]
    at: float
    status: int = 200
    error: str = ""

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def thread_id(self) -> int | None:
        value = self.params.get("message_thread_id")
        return int(value) if value not in (None, "") else None

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")


@dataclass
class Flood:
    """Flood control. Per chat a leaky bucket, (burst, seconds per message), as PTB's own rate
    limiter reads Telegram's FAQ; overall a window, (messages, seconds). ``None`` turns one off."""

    private: tuple[int, float] | None = (5, 1.0)
    group: tuple[int, float] | None = (20, 3.0)
    overall: tuple[int, float] | None = (30, 1.0)


@dataclass
class StoredMessage:
    """A message the bot sent, as the fake keeps it for edits (``text`` is None for media)."""

    chat_id: int
    message_id: int
    text: str | None
    entities: tuple[Entity, ...] = ()
    markup: str = ""
    thread_id: int | None = None
    json: dict[str, Any] = field(default_factory=dict)


@dataclass
class StoredFile:
    """A file users can send; ``data`` is None for one that is only described (never fetched)."""

    file_id: str
    unique_id: str
    size: int
    path: str
    data: bytes | None


@dataclass
class Draft:
    """One sendMessageDraft the user saw (``at`` is the fake's monotonic clock)."""

    chat_id: int
    draft_id: int
    text: str
    at: float
