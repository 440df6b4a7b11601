"""An in-memory store with the same semantics as :class:`~storage.sqlite.SqliteStore`."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from datetime import datetime

from core.chat import ChatKey
from core.ports import ChatRecord, Job, RenderedDraft, UsageRow
from storage.values import (
    StoreClosedError,
    chat_key,
    check_day,
    key_columns,
    normalized_chat,
    normalized_job,
    to_utc,
    utc_now,
)

_Key = tuple[str, str, str]


class MemoryStore:
    """A :class:`~core.ports.Store` kept in dicts, for tests and benchmarks; nothing survives ``close``.

    It normalizes and copies exactly like the SQLite store (canonical chat keys, UTC times, naive
    times and malformed days refused), and hands out copies, so a caller mutating a record it saved
    or got back cannot change what is stored. No method awaits, so each one is atomic.
    """

    def __init__(self, *, clock: Callable[[], datetime] = utc_now) -> None:
        self._clock = clock
        self._closed = False
        self._chats: dict[_Key, ChatRecord] = {}
        self._claims: dict[tuple[_Key, str], datetime] = {}
        self._jobs: dict[str, Job] = {}
        self._usage: Counter[tuple[_Key, str, str, str]] = Counter()
        self._renders: dict[tuple[_Key, str], RenderedDraft] = {}

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosedError("the store is closed")

    async def close(self) -> None:
        self._closed = True

    # Chats

    async def get_chat(self, chat: ChatKey) -> ChatRecord | None:
        self._check_open()
        record = self._chats.get(key_columns(chat))
        return None if record is None else dataclasses.replace(record)

    async def save_chat(self, record: ChatRecord) -> None:
        self._check_open()
        stored = normalized_chat(record)  # a copy, validated before anything is stored
        self._chats[key_columns(stored.chat)] = stored

    # De-duplication

    async def claim_message(self, chat: ChatKey, message_id: str) -> bool:
        self._check_open()
        claim = (key_columns(chat), message_id)
        if claim in self._claims:
            return False
        self._claims[claim] = to_utc(self._clock())
        return True

    async def release_message(self, chat: ChatKey, message_id: str) -> None:
        self._check_open()
        self._claims.pop((key_columns(chat), message_id), None)

    async def prune_processed(self, older_than: datetime) -> int:
        """Forget claims made before ``older_than``; return how many were forgotten."""
        self._check_open()
        cutoff = to_utc(older_than)
        stale = [claim for claim, at in self._claims.items() if at < cutoff]
        for claim in stale:
            del self._claims[claim]
        return len(stale)

    # Jobs

    async def save_job(self, job: Job) -> None:
        self._check_open()
        stored = normalized_job(job)
        self._jobs[stored.job_id] = stored

    async def get_job(self, job_id: str) -> Job | None:
        self._check_open()
        job = self._jobs.get(job_id)
        return None if job is None else dataclasses.replace(job)

    async def open_jobs(self) -> list[Job]:
        self._check_open()
        jobs = sorted(
            (job for job in self._jobs.values() if job.state.open), key=lambda j: (j.created_at, j.job_id)
        )
        return [dataclasses.replace(job) for job in jobs]

    # Usage

    async def add_usage(self, chat: ChatKey, user_id: str, kind: str, day: str) -> None:
        self._check_open()
        self._usage[(key_columns(chat), check_day(day), user_id, kind)] += 1

    async def user_usage(self, platform: str, user_id: str, day: str, *, kind: str | None = None) -> int:
        self._check_open()
        day = check_day(day)
        return sum(
            count
            for (k, d, u, kd), count in self._usage.items()
            if k[0] == platform and d == day and u == user_id and kind in (None, kd)
        )

    async def usage_report(self, day: str) -> list[UsageRow]:
        self._check_open()
        day = check_day(day)
        rows = [
            UsageRow(chat_key(*key), user, kind, count)
            for (key, d, user, kind), count in self._usage.items()
            if d == day
        ]
        return sorted(rows, key=lambda r: (-r.count, r.chat.platform, r.chat.chat_id, r.user_id, r.kind))

    async def usage(
        self, chat: ChatKey, day: str, *, user_id: str | None = None, kind: str | None = None
    ) -> int:
        self._check_open()
        key, day = key_columns(chat), check_day(day)
        return sum(
            count
            for (k, d, u, kd), count in self._usage.items()
            if k == key and d == day and user_id in (None, u) and kind in (None, kd)
        )

    # Render memory

    async def remember_render(self, rendered: RenderedDraft) -> None:
        self._check_open()
        key = key_columns(rendered.chat)
        # Stored as the SQLite store would read it back: canonical chat key, UTC time.
        self._renders[(key, rendered.session_id)] = dataclasses.replace(
            rendered, chat=chat_key(*key), rendered_at=to_utc(rendered.rendered_at)
        )

    async def last_render(self, chat: ChatKey, session_id: str) -> RenderedDraft | None:
        self._check_open()
        return self._renders.get((key_columns(chat), session_id))
