"""Value conversions both stores share, so :class:`MemoryStore` and :class:`SqliteStore` agree exactly.

Times are kept as aware UTC datetimes and written as fixed-width ISO-8601 text
(``2025-01-31T08:00:00.000000+00:00``): fixed width makes text order equal time order, which
``ORDER BY created_at`` and the pruning comparison rely on. A thread-less chat is stored with thread
``''`` because SQL primary keys treat NULLs as distinct.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime

from core.chat import ChatKey
from core.ports import ChatRecord, Job, JobKind, JobState

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class StoreClosedError(RuntimeError):
    """The store was used after :meth:`close`."""


def utc_now() -> datetime:
    """The default clock of both stores."""
    return datetime.now(UTC)


def to_utc(value: datetime) -> datetime:
    """``value`` as UTC; a naive datetime is refused rather than guessed at."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()!r}: the store needs timezone-aware times")
    return value.astimezone(UTC)


def encode_time(value: datetime) -> str:
    return to_utc(value).isoformat(timespec="microseconds")


def decode_time(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    # Only a hand-edited row lacks an offset; everything this module writes is UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def encode_optional_time(value: datetime | None) -> str | None:
    return None if value is None else encode_time(value)


def decode_optional_time(text: str | None) -> datetime | None:
    return None if text is None else decode_time(text)


def thread_column(chat: ChatKey) -> str:
    return chat.thread_id or ""


def chat_key(platform: str, chat_id: str, thread: str | None) -> ChatKey:
    """The canonical key: no thread and an empty thread are the same chat, read back as ``None``."""
    return ChatKey(platform, chat_id, thread or None)


def key_columns(chat: ChatKey) -> tuple[str, str, str]:
    return (chat.platform, chat.chat_id, thread_column(chat))


def check_day(day: str) -> str:
    """``day`` if it is a real ``YYYY-MM-DD`` date, so a typo cannot silently count into nowhere."""
    try:
        if _DAY.fullmatch(day):
            date.fromisoformat(day)  # rejects 2025-02-30, which the pattern lets through
            return day
    except ValueError:
        pass
    raise ValueError(f"day must be a real YYYY-MM-DD date, not {day!r}")


def normalized_chat(record: ChatRecord) -> ChatRecord:
    """A copy of ``record`` as a store gives it back: canonical key, UTC times."""
    return dataclasses.replace(
        record,
        chat=chat_key(*key_columns(record.chat)),
        token_expires_at=None if record.token_expires_at is None else to_utc(record.token_expires_at),
    )


def normalized_job(job: Job) -> Job:
    """A copy of ``job`` as a store gives it back: canonical key, UTC times, real enum members."""
    return dataclasses.replace(
        job,
        chat=chat_key(*key_columns(job.chat)),
        kind=JobKind(job.kind),
        state=JobState(job.state),
        created_at=to_utc(job.created_at),
        updated_at=to_utc(job.updated_at),
    )
