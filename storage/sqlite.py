"""The production store: one SQLite file, in WAL mode, behind one aiosqlite connection."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite

from core.chat import ChatKey
from core.ports import ChatRecord, Job, JobKind, JobState, RenderedDraft, UsageRow
from storage import files
from storage.lock import DataDirLock
from storage.migrations import migrate
from storage.tokens import PlainTokens, TokenCipher, check_key
from storage.values import (
    StoreClosedError,
    chat_key,
    check_day,
    decode_optional_time,
    decode_time,
    encode_optional_time,
    encode_time,
    key_columns,
    utc_now,
)

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000

# Statements are spelled out in full (no string building) so each can be read and checked alone.
_SAVE_CHAT = """
    INSERT INTO chats (
        platform, chat_id, thread_id, language, skill, client_id, token, token_expires_at,
        anon_user_id, session_id, task_id, user_token, updated_at
    ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (platform, chat_id, thread_id) DO UPDATE SET
        language = excluded.language, skill = excluded.skill, client_id = excluded.client_id,
        token = excluded.token, token_expires_at = excluded.token_expires_at,
        anon_user_id = excluded.anon_user_id, session_id = excluded.session_id,
        task_id = excluded.task_id, user_token = excluded.user_token, updated_at = excluded.updated_at
"""
_GET_CHAT = """
    SELECT platform, chat_id, thread_id, language, skill, client_id, token, token_expires_at,
        anon_user_id, session_id, task_id, user_token
    FROM chats WHERE platform = ? AND chat_id = ? AND thread_id = ?
"""
_CLAIM = """
    INSERT OR IGNORE INTO processed_messages (platform, chat_id, thread_id, message_id, created_at)
    VALUES (?, ?, ?, ?, ?)
"""
_RELEASE = """
    DELETE FROM processed_messages WHERE platform = ? AND chat_id = ? AND thread_id = ? AND message_id = ?
"""
_PRUNE = "DELETE FROM processed_messages WHERE created_at < ?"
_SAVE_JOB = """
    INSERT INTO jobs (
        job_id, platform, chat_id, thread_id, kind, state, created_at, updated_at, session_id,
        payload, render_id, requester, status_message_id, attempts, detail
    ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (job_id) DO UPDATE SET
        platform = excluded.platform, chat_id = excluded.chat_id, thread_id = excluded.thread_id,
        kind = excluded.kind, state = excluded.state, created_at = excluded.created_at,
        updated_at = excluded.updated_at, session_id = excluded.session_id, payload = excluded.payload,
        render_id = excluded.render_id, requester = excluded.requester,
        status_message_id = excluded.status_message_id, attempts = excluded.attempts,
        detail = excluded.detail
"""
_JOB_COLUMNS = """
    job_id, platform, chat_id, thread_id, kind, state, created_at, updated_at, session_id,
    payload, render_id, requester, status_message_id, attempts, detail
"""
_GET_JOB = "SELECT" + _JOB_COLUMNS + "FROM jobs WHERE job_id = ?"
# The open states come from JobState.open, so a new open state cannot be forgotten here; only
# "?" placeholders are added to the text, the states themselves are bound parameters.
_OPEN_STATES = tuple(state.value for state in JobState if state.open)
_OPEN_JOBS = (
    "SELECT" + _JOB_COLUMNS + "FROM jobs WHERE state IN (" + ", ".join("?" * len(_OPEN_STATES)) + ") "
    "ORDER BY created_at, job_id"
)
_ADD_USAGE = """
    INSERT INTO usage (platform, chat_id, thread_id, day, user_id, kind, count)
    VALUES (?, ?, ?, ?, ?, ?, 1)
    ON CONFLICT (platform, chat_id, thread_id, day, user_id, kind) DO UPDATE SET count = count + 1
"""
# "? IS NULL OR ..." makes a filter optional without assembling SQL at run time.
_USAGE = """
    SELECT COALESCE(SUM(count), 0) FROM usage
    WHERE platform = ? AND chat_id = ? AND thread_id = ? AND day = ?
        AND (? IS NULL OR user_id = ?) AND (? IS NULL OR kind = ?)
"""
_USER_USAGE = """
    SELECT COALESCE(SUM(count), 0) FROM usage
    WHERE platform = ? AND user_id = ? AND day = ? AND (? IS NULL OR kind = ?)
"""
_USAGE_REPORT = """
    SELECT platform, chat_id, thread_id, user_id, kind, count FROM usage
    WHERE day = ? ORDER BY count DESC, platform, chat_id, user_id, kind
"""
_REMEMBER_RENDER = """
    INSERT INTO rendered_drafts (
        platform, chat_id, thread_id, session_id, fingerprint, render_id, output_url, rendered_at
    ) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (platform, chat_id, thread_id, session_id) DO UPDATE SET
        fingerprint = excluded.fingerprint, render_id = excluded.render_id,
        output_url = excluded.output_url, rendered_at = excluded.rendered_at
"""
_LAST_RENDER = """
    SELECT platform, chat_id, thread_id, session_id, fingerprint, render_id, output_url, rendered_at
    FROM rendered_drafts WHERE platform = ? AND chat_id = ? AND thread_id = ? AND session_id = ?
"""


class SqliteStore:
    """The durable :class:`~core.ports.Store`, on one SQLite file. Create it with :meth:`open`.

    The connection is in autocommit mode, so every write is its own committed transaction (the
    port's "every method is atomic on its own"); aiosqlite runs all calls on one thread in order,
    which serializes access. WAL with ``synchronous=NORMAL`` keeps readers and the writer apart and
    survives a process crash; a power cut may lose the last commits but never corrupts the file.
    Tokens pass through ``cipher`` (see :mod:`storage.tokens`).
    """

    def __init__(
        self, db: aiosqlite.Connection, path: Path, cipher: TokenCipher, clock: Callable[[], datetime]
    ) -> None:
        self._db = db
        self._path = path
        self._cipher = cipher
        self._clock = clock
        self._closed = False
        self._lock: DataDirLock | None = None

    @classmethod
    async def open(
        cls,
        path: Path,
        *,
        cipher: TokenCipher | None = None,
        clock: Callable[[], datetime] = utc_now,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    ) -> SqliteStore:
        """Open (creating if needed) the database at ``path`` and migrate it to the current schema.

        ``busy_timeout_ms`` is how long a write waits for another connection's lock before failing.

        Raises :class:`~storage.migrations.SchemaTooNewError` for a file from a newer nemobot.
        """
        await asyncio.to_thread(files.prepare, path)
        db = await aiosqlite.connect(path, isolation_level=None)
        try:
            db.row_factory = sqlite3.Row
            await db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms):d}")
            rows = list(await db.execute_fetchall("PRAGMA journal_mode = WAL"))
            if str(rows[0][0]).lower() != "wal":
                raise RuntimeError(f"{path}: SQLite refused WAL mode (got {rows[0][0]!r})")
            await db.execute("PRAGMA synchronous = NORMAL")
            await db.execute("PRAGMA foreign_keys = ON")
            await migrate(db, path)
            if cipher is not None:
                await _check_key(db, path, cipher)
            await asyncio.to_thread(files.restrict_side_files, path)
        except BaseException:
            # aiosqlite's worker thread is not a daemon: an unclosed connection would hang exit.
            await db.close()
            raise
        return cls(db, path, cipher or PlainTokens(), clock)

    @property
    def path(self) -> Path:
        return self._path

    def hold(self, lock: DataDirLock) -> None:
        """Keep ``lock`` (one process per data directory) until :meth:`close`."""
        self._lock = lock

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            try:
                await self._db.close()
            finally:
                if self._lock is not None:
                    self._lock.release()

    async def _write(self, sql: str, params: Sequence[Any]) -> int:
        """Run one statement (committed on its own, autocommit) and return the rows it changed."""
        if self._closed:
            raise StoreClosedError("the store is closed")
        async with self._db.execute(sql, params) as cursor:
            return cursor.rowcount

    async def _read(self, sql: str, params: Sequence[Any]) -> list[sqlite3.Row]:
        if self._closed:
            raise StoreClosedError("the store is closed")
        rows: Iterable[sqlite3.Row] = await self._db.execute_fetchall(sql, params)
        return list(rows)

    # Chats

    async def get_chat(self, chat: ChatKey) -> ChatRecord | None:
        rows = await self._read(_GET_CHAT, key_columns(chat))
        if not rows:
            return None
        row = rows[0]
        token, user_token = row["token"], row["user_token"]
        return ChatRecord(
            chat=chat_key(row["platform"], row["chat_id"], row["thread_id"]),
            language=row["language"],
            skill=row["skill"],
            client_id=row["client_id"],
            token=self._readable(token),
            token_expires_at=decode_optional_time(row["token_expires_at"]),
            anon_user_id=row["anon_user_id"],
            session_id=row["session_id"],
            task_id=row["task_id"],
            user_token=self._readable(user_token),
        )

    def _readable(self, stored: str | None) -> str | None:
        """A decrypted token, or None when it cannot be read (key changed): the chat then acquires a
        new anonymous token with its same client id, or asks for /token again, instead of failing."""
        if stored is None:
            return None
        try:
            return self._cipher.decrypt(stored)
        except ValueError:
            log.warning("a stored token could not be decrypted (was NEMOBOT_SECRET_KEY changed?)")
            return None

    async def save_chat(self, record: ChatRecord) -> None:
        token = None if record.token is None else self._cipher.encrypt(record.token)
        user_token = None if record.user_token is None else self._cipher.encrypt(record.user_token)
        await self._write(
            _SAVE_CHAT,
            (
                *key_columns(record.chat),
                record.language,
                record.skill,
                record.client_id,
                token,
                encode_optional_time(record.token_expires_at),
                record.anon_user_id,
                record.session_id,
                record.task_id,
                user_token,
                encode_time(self._clock()),
            ),
        )

    # De-duplication

    async def claim_message(self, chat: ChatKey, message_id: str) -> bool:
        # One statement decides: the row exists afterwards either way, and only the call that
        # inserted it sees rowcount 1. No read-then-write gap for a concurrent claim to slip into.
        changed = await self._write(_CLAIM, (*key_columns(chat), message_id, encode_time(self._clock())))
        return changed == 1

    async def release_message(self, chat: ChatKey, message_id: str) -> None:
        await self._write(_RELEASE, (*key_columns(chat), message_id))

    async def prune_processed(self, older_than: datetime) -> int:
        """Forget claims made before ``older_than``; return how many were forgotten."""
        return await self._write(_PRUNE, (encode_time(older_than),))

    # Jobs

    async def save_job(self, job: Job) -> None:
        await self._write(
            _SAVE_JOB,
            (
                job.job_id,
                *key_columns(job.chat),
                JobKind(job.kind).value,
                JobState(job.state).value,
                encode_time(job.created_at),
                encode_time(job.updated_at),
                job.session_id,
                job.payload,
                job.render_id,
                job.requester,
                job.status_message_id,
                job.attempts,
                job.detail,
            ),
        )

    async def get_job(self, job_id: str) -> Job | None:
        rows = await self._read(_GET_JOB, (job_id,))
        return _job(rows[0]) if rows else None

    async def open_jobs(self) -> list[Job]:
        return [_job(row) for row in await self._read(_OPEN_JOBS, _OPEN_STATES)]

    # Usage

    async def add_usage(self, chat: ChatKey, user_id: str, kind: str, day: str) -> None:
        await self._write(_ADD_USAGE, (*key_columns(chat), check_day(day), user_id, kind))

    async def usage(
        self, chat: ChatKey, day: str, *, user_id: str | None = None, kind: str | None = None
    ) -> int:
        rows = await self._read(_USAGE, (*key_columns(chat), check_day(day), user_id, user_id, kind, kind))
        return int(rows[0][0])

    async def user_usage(self, platform: str, user_id: str, day: str, *, kind: str | None = None) -> int:
        rows = await self._read(_USER_USAGE, (platform, user_id, check_day(day), kind, kind))
        return int(rows[0][0])

    async def usage_report(self, day: str) -> list[UsageRow]:
        rows = await self._read(_USAGE_REPORT, (check_day(day),))
        return [
            UsageRow(
                chat_key(r["platform"], r["chat_id"], r["thread_id"]), r["user_id"], r["kind"], r["count"]
            )
            for r in rows
        ]

    # Render memory

    async def remember_render(self, rendered: RenderedDraft) -> None:
        await self._write(
            _REMEMBER_RENDER,
            (
                *key_columns(rendered.chat),
                rendered.session_id,
                rendered.fingerprint,
                rendered.render_id,
                rendered.output_url,
                encode_time(rendered.rendered_at),
            ),
        )

    async def last_render(self, chat: ChatKey, session_id: str) -> RenderedDraft | None:
        rows = await self._read(_LAST_RENDER, (*key_columns(chat), session_id))
        if not rows:
            return None
        row = rows[0]
        return RenderedDraft(
            chat=chat_key(row["platform"], row["chat_id"], row["thread_id"]),
            session_id=row["session_id"],
            fingerprint=row["fingerprint"],
            render_id=row["render_id"],
            output_url=row["output_url"],
            rendered_at=decode_time(row["rendered_at"]),
        )


_KEY_CHECK = "SELECT value FROM meta WHERE name = 'key_check'"
_SAVE_KEY_CHECK = "INSERT OR IGNORE INTO meta (name, value) VALUES ('key_check', ?)"
# An encrypted token if there is one (legacy plain ones say nothing about the key).
_ENCRYPTED_SAMPLE = """
    SELECT token FROM chats WHERE token LIKE 'fernet:%'
    UNION ALL SELECT user_token FROM chats WHERE user_token LIKE 'fernet:%'
    LIMIT 1
"""


async def _check_key(db: aiosqlite.Connection, path: Path, cipher: TokenCipher) -> None:
    """Stop start-up when ``cipher`` is not the key the stored tokens were written with."""
    checks = list(await db.execute_fetchall(_KEY_CHECK))
    samples = [] if checks else list(await db.execute_fetchall(_ENCRYPTED_SAMPLE))
    new_check = check_key(
        cipher, str(checks[0][0]) if checks else None, str(samples[0][0]) if samples else None, path
    )
    if new_check is not None:
        await db.execute(_SAVE_KEY_CHECK, (new_check,))


def _job(row: sqlite3.Row) -> Job:
    return Job(
        job_id=row["job_id"],
        chat=chat_key(row["platform"], row["chat_id"], row["thread_id"]),
        kind=JobKind(row["kind"]),
        state=JobState(row["state"]),
        created_at=decode_time(row["created_at"]),
        updated_at=decode_time(row["updated_at"]),
        session_id=row["session_id"],
        payload=row["payload"],
        render_id=row["render_id"],
        requester=row["requester"],
        status_message_id=row["status_message_id"],
        attempts=row["attempts"],
        detail=row["detail"],
    )
