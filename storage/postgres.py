"""The PostgreSQL store: the same :class:`~core.ports.Store` as SQLite, over a psycopg connection pool.

Selected by ``DATABASE_URL=postgresql://…`` (see :func:`storage.open_configured_store`). Several nemobot
processes may share one database: every statement is atomic on its own (autocommit), claims and
counters are single ``INSERT … ON CONFLICT`` statements, and migrations take an advisory lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, LiteralString

from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

from core.chat import ChatKey
from core.ports import ChatRecord, Job, JobKind, JobState, RenderedDraft, UsageRow
from storage.location import safe_url
from storage.pg_migrations import migrate
from storage.tokens import KEY_FILENAME, PlainTokens, SecretKeyError, TokenCipher, check_key
from storage.values import StoreClosedError, chat_key, check_day, key_columns, to_utc, utc_now

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10

_SAVE_CHAT: LiteralString = """
    INSERT INTO chats (
        platform, chat_id, thread_id, language, skill, client_id, token, token_expires_at,
        anon_user_id, session_id, task_id, user_token, updated_at
    ) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
    ON CONFLICT (platform, chat_id, thread_id) DO UPDATE SET
        language = excluded.language, skill = excluded.skill, client_id = excluded.client_id,
        token = excluded.token, token_expires_at = excluded.token_expires_at,
        anon_user_id = excluded.anon_user_id, session_id = excluded.session_id,
        task_id = excluded.task_id, user_token = excluded.user_token, updated_at = excluded.updated_at
"""
_GET_CHAT: LiteralString = """
    SELECT platform, chat_id, thread_id, language, skill, client_id, token, token_expires_at,
        anon_user_id, session_id, task_id, user_token
    FROM chats WHERE platform = %s AND chat_id = %s AND thread_id = %s
"""
_CLAIM: LiteralString = """
    INSERT INTO processed_messages (platform, chat_id, thread_id, message_id, created_at)
    VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING
"""
_RELEASE: LiteralString = """
    DELETE FROM processed_messages
    WHERE platform = %s AND chat_id = %s AND thread_id = %s AND message_id = %s
"""
_PRUNE: LiteralString = "DELETE FROM processed_messages WHERE created_at < %s"
_SAVE_JOB: LiteralString = """
    INSERT INTO jobs (
        job_id, platform, chat_id, thread_id, kind, state, created_at, updated_at, session_id,
        payload, render_id, requester, status_message_id, attempts, detail
    ) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
    ON CONFLICT (job_id) DO UPDATE SET
        platform = excluded.platform, chat_id = excluded.chat_id, thread_id = excluded.thread_id,
        kind = excluded.kind, state = excluded.state, created_at = excluded.created_at,
        updated_at = excluded.updated_at, session_id = excluded.session_id, payload = excluded.payload,
        render_id = excluded.render_id, requester = excluded.requester,
        status_message_id = excluded.status_message_id, attempts = excluded.attempts,
        detail = excluded.detail
"""
_JOB_COLUMNS: LiteralString = """
    job_id, platform, chat_id, thread_id, kind, state, created_at, updated_at, session_id,
    payload, render_id, requester, status_message_id, attempts, detail
"""
_GET_JOB: LiteralString = "SELECT" + _JOB_COLUMNS + "FROM jobs WHERE job_id = %s"
# The open states come from JobState.open and are bound as one array parameter.
_OPEN_JOBS: LiteralString = (
    "SELECT" + _JOB_COLUMNS + 'FROM jobs WHERE state = ANY(%s) ORDER BY created_at, job_id COLLATE "C"'
)
_OPEN_JOBS_OF_CHAT: LiteralString = (
    "SELECT" + _JOB_COLUMNS + "FROM jobs WHERE platform = %s AND chat_id = %s AND thread_id = %s"
    ' AND state = ANY(%s) ORDER BY created_at, job_id COLLATE "C"'
)
_ADD_USAGE: LiteralString = """
    INSERT INTO usage (platform, chat_id, thread_id, day, user_id, kind, count)
    VALUES (%s, %s, %s, %s, %s, %s, 1)
    ON CONFLICT (platform, chat_id, thread_id, day, user_id, kind) DO UPDATE SET count = usage.count + 1
"""
# The casts tell PostgreSQL the type of a parameter that may be NULL.
_USAGE: LiteralString = """
    SELECT COALESCE(SUM(count), 0) AS total FROM usage
    WHERE platform = %s AND chat_id = %s AND thread_id = %s AND day = %s
        AND (%s::text IS NULL OR user_id = %s::text) AND (%s::text IS NULL OR kind = %s::text)
"""
_USER_USAGE: LiteralString = """
    SELECT COALESCE(SUM(count), 0) AS total FROM usage
    WHERE platform = %s AND user_id = %s AND day = %s AND (%s::text IS NULL OR kind = %s::text)
"""
# COLLATE "C": text sorts by code point, as in SQLite and MemoryStore, whatever the database's locale
# (a locale collation would, for instance, ignore the "-" of a Telegram group id).
_USAGE_REPORT: LiteralString = """
    SELECT platform, chat_id, thread_id, user_id, kind, count FROM usage
    WHERE day = %s
    ORDER BY count DESC, platform COLLATE "C", chat_id COLLATE "C", user_id COLLATE "C", kind COLLATE "C"
"""

_REMEMBER_RENDER: LiteralString = """
    INSERT INTO rendered_drafts (
        platform, chat_id, thread_id, session_id, fingerprint, render_id, output_url, rendered_at
    ) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
    ON CONFLICT (platform, chat_id, thread_id, session_id) DO UPDATE SET
        fingerprint = excluded.fingerprint, render_id = excluded.render_id,
        output_url = excluded.output_url, rendered_at = excluded.rendered_at
"""
_LAST_RENDER: LiteralString = """
    SELECT platform, chat_id, thread_id, session_id, fingerprint, render_id, output_url, rendered_at
    FROM rendered_drafts WHERE platform = %s AND chat_id = %s AND thread_id = %s AND session_id = %s
"""
_KEY_CHECK: LiteralString = "SELECT value FROM meta WHERE name = 'key_check'"
# ON CONFLICT: workers starting together against a new database all compute a check; one is kept.
_SAVE_KEY_CHECK: LiteralString = (
    "INSERT INTO meta (name, value) VALUES ('key_check', %s) ON CONFLICT (name) DO NOTHING"
)
# An encrypted token if there is one (legacy plain ones say nothing about the key).
_ENCRYPTED_SAMPLE: LiteralString = """
    SELECT token FROM chats WHERE token LIKE 'fernet:%'
    UNION ALL SELECT user_token FROM chats WHERE user_token LIKE 'fernet:%'
    LIMIT 1
"""
_FORGET_TOKENS = "UPDATE chats SET token = NULL, user_token = NULL; DELETE FROM meta WHERE name = 'key_check'"

# Leases (core/leases.py): the upsert's WHERE leaves another holder's live lease alone, and the row
# lock ON CONFLICT takes serializes workers asking at once, so rowcount 1 means "yours now".
_TAKE_LEASE: LiteralString = """
    INSERT INTO leases (name, holder, until) VALUES (%s, %s, %s)
    ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
    WHERE leases.holder = excluded.holder OR leases.until <= %s
"""
_RENEW_LEASES: LiteralString = "UPDATE leases SET until = %s WHERE holder = %s RETURNING name"
_RELEASE_LEASE: LiteralString = "DELETE FROM leases WHERE name = %s AND holder = %s"
_LIVE_LEASES: LiteralString = (
    'SELECT name, holder FROM leases WHERE starts_with(name, %s) AND until > %s ORDER BY name COLLATE "C"'
)

Pool = AsyncConnectionPool[AsyncConnection[DictRow]]
# Connections kept for lease calls alone (a renewal, a take-over check and a release at once).
LEASE_CONNECTIONS = 2


def _pool(url: str, max_size: int, name: str) -> Pool:
    return AsyncConnectionPool(
        url,
        min_size=1,
        max_size=max_size,
        open=False,
        connection_class=AsyncConnection[DictRow],
        kwargs={"autocommit": True, "row_factory": dict_row, "connect_timeout": CONNECT_TIMEOUT_S},
        # A connection the server dropped (restart, failover, idle kill) is replaced on checkout
        # instead of failing the call that drew it; one short round trip per checkout.
        check=AsyncConnectionPool.check_connection,
        name=name,
    )


class PostgresStore:
    """The :class:`~core.ports.Store` on PostgreSQL. Create it with :meth:`open`.

    Each method takes a pooled connection in autocommit mode and runs one statement, so each is
    atomic on its own, as the port requires, and safe with other processes on the same database.
    Tokens pass through ``cipher`` exactly as in :class:`~storage.sqlite.SqliteStore`, so a database
    dump holds no readable token. Tables live in the first schema of the connection's
    ``search_path`` (``?options=-csearch_path%3Dname`` in the URL selects another).
    """

    def __init__(
        self,
        pool: Pool,
        cipher: TokenCipher,
        clock: Callable[[], datetime],
        *,
        lease_pool: Pool | None = None,
    ) -> None:
        self._pool = pool
        # Leases get connections of their own: a renewal queued behind a busy worker's ordinary
        # store calls could outlast the lease, and the worker would lose chats it is still serving.
        self._lease_pool = lease_pool or pool
        self._cipher = cipher
        self._clock = clock
        self._closed = False

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        cipher: TokenCipher | None = None,
        clock: Callable[[], datetime] = utc_now,
        max_connections: int = 10,
    ) -> PostgresStore:
        """Connect to ``url``, migrate the schema, and open a pool of up to ``max_connections``.

        Raises :class:`psycopg.OperationalError` when the server cannot be reached and
        :class:`~storage.pg_migrations.PgSchemaTooNewError` for a schema from a newer nemobot.
        """
        # Migrate on a connection of its own first: an unreachable server fails here at once with
        # psycopg's reason, instead of as a pool timeout.
        async with await AsyncConnection.connect(
            url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S
        ) as conn:
            await migrate(conn)
            if cipher is not None:
                await _check_key(conn, url, cipher)
        pool = _pool(url, max_connections, "nemobot")
        lease_pool = _pool(url, LEASE_CONNECTIONS, "nemobot-leases")
        await pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
        try:
            await lease_pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
        except BaseException:
            await pool.close()
            raise
        return cls(pool, cipher or PlainTokens(), clock, lease_pool=lease_pool)

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            await self._pool.close()
            if self._lease_pool is not self._pool:
                await self._lease_pool.close()

    async def ping(self) -> None:
        """One round trip to the server; raises when it cannot be reached (for ``/healthz``)."""
        await self._read("SELECT 1 AS one", ())

    async def _write(self, sql: LiteralString, params: Sequence[Any], *, pool: Pool | None = None) -> int:
        if self._closed:
            raise StoreClosedError("the store is closed")
        async with (pool or self._pool).connection() as conn:
            cur = await conn.execute(sql, params)
            return cur.rowcount

    async def _read(
        self, sql: LiteralString, params: Sequence[Any], *, pool: Pool | None = None
    ) -> list[DictRow]:
        if self._closed:
            raise StoreClosedError("the store is closed")
        async with (pool or self._pool).connection() as conn:
            cur = await conn.execute(sql, params)
            return await cur.fetchall()

    # Chats

    async def get_chat(self, chat: ChatKey) -> ChatRecord | None:
        rows = await self._read(_GET_CHAT, key_columns(chat))
        if not rows:
            return None
        row = rows[0]
        return ChatRecord(
            chat=chat_key(row["platform"], row["chat_id"], row["thread_id"]),
            language=row["language"],
            skill=row["skill"],
            client_id=row["client_id"],
            token=self._readable(row["token"]),
            token_expires_at=_utc(row["token_expires_at"]),
            anon_user_id=row["anon_user_id"],
            session_id=row["session_id"],
            task_id=row["task_id"],
            user_token=self._readable(row["user_token"]),
        )

    def _readable(self, stored: str | None) -> str | None:
        """A decrypted token, or None when it cannot be read (key changed), exactly as SQLite does:
        the chat then gets a new anonymous token or asks for /token again, instead of failing."""
        if stored is None:
            return None
        try:
            return self._cipher.decrypt(stored)
        except ValueError:
            log.warning("a stored token could not be decrypted (was NEMOBOT_SECRET_KEY changed?)")
            return None

    async def save_chat(self, record: ChatRecord) -> None:
        expires = None if record.token_expires_at is None else to_utc(record.token_expires_at)
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
                expires,
                record.anon_user_id,
                record.session_id,
                record.task_id,
                user_token,
                to_utc(self._clock()),
            ),
        )

    # De-duplication

    async def claim_message(self, chat: ChatKey, message_id: str) -> bool:
        # One statement decides, as in SQLite: only the call that inserted the row sees rowcount 1.
        changed = await self._write(_CLAIM, (*key_columns(chat), message_id, to_utc(self._clock())))
        return changed == 1

    async def release_message(self, chat: ChatKey, message_id: str) -> None:
        """Undo a claim whose event could not be stored after all, so its redelivery is taken."""
        await self._write(_RELEASE, (*key_columns(chat), message_id))

    async def prune_processed(self, older_than: datetime) -> int:
        """Forget claims made before ``older_than``; return how many were forgotten."""
        return await self._write(_PRUNE, (to_utc(older_than),))

    # Jobs

    async def save_job(self, job: Job) -> None:
        await self._write(
            _SAVE_JOB,
            (
                job.job_id,
                *key_columns(job.chat),
                JobKind(job.kind).value,
                JobState(job.state).value,
                to_utc(job.created_at),
                to_utc(job.updated_at),
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

    async def open_jobs(self, chat: ChatKey | None = None) -> list[Job]:
        states = [state.value for state in JobState if state.open]
        if chat is not None:
            rows = await self._read(_OPEN_JOBS_OF_CHAT, (*key_columns(chat), states))
            return [_job(row) for row in rows]
        return [_job(row) for row in await self._read(_OPEN_JOBS, (states,))]

    # Usage

    async def add_usage(self, chat: ChatKey, user_id: str, kind: str, day: str) -> None:
        await self._write(_ADD_USAGE, (*key_columns(chat), _day(day), user_id, kind))

    async def usage(
        self, chat: ChatKey, day: str, *, user_id: str | None = None, kind: str | None = None
    ) -> int:
        rows = await self._read(_USAGE, (*key_columns(chat), _day(day), user_id, user_id, kind, kind))
        return int(rows[0]["total"])

    async def user_usage(self, platform: str, user_id: str, day: str, *, kind: str | None = None) -> int:
        """How many usage events one user of a platform had on ``day``, in every chat together."""
        rows = await self._read(_USER_USAGE, (platform, user_id, _day(day), kind, kind))
        return int(rows[0]["total"])

    async def usage_report(self, day: str) -> list[UsageRow]:
        rows = await self._read(_USAGE_REPORT, (_day(day),))
        return [
            UsageRow(
                chat_key(r["platform"], r["chat_id"], r["thread_id"]),
                r["user_id"],
                r["kind"],
                int(r["count"]),
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
                to_utc(rendered.rendered_at),
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
            rendered_at=row["rendered_at"].astimezone(UTC),
        )

    # Leases

    async def take_lease(self, name: str, holder: str, seconds: float) -> bool:
        now = to_utc(self._clock())
        taken = await self._write(
            _TAKE_LEASE, (name, holder, now + timedelta(seconds=seconds), now), pool=self._lease_pool
        )
        return taken == 1

    async def renew_leases(self, holder: str, seconds: float) -> list[str]:
        until = to_utc(self._clock()) + timedelta(seconds=seconds)
        rows = await self._read(_RENEW_LEASES, (until, holder), pool=self._lease_pool)
        return sorted(str(row["name"]) for row in rows)

    async def release_lease(self, name: str, holder: str) -> None:
        await self._write(_RELEASE_LEASE, (name, holder), pool=self._lease_pool)

    async def live_leases(self, prefix: str) -> dict[str, str]:
        rows = await self._read(_LIVE_LEASES, (prefix, to_utc(self._clock())), pool=self._lease_pool)
        return {str(r["name"]): str(r["holder"]) for r in rows}


async def _check_key(conn: AsyncConnection[Any], url: str, cipher: TokenCipher) -> None:
    """Stop start-up when ``cipher`` is not the key the stored tokens were written with (the same
    rule as SQLite's, :func:`storage.tokens.check_key`), with advice that fits PostgreSQL."""
    cur = await conn.execute(_KEY_CHECK)
    check = await cur.fetchone()
    sample = None
    if check is None:
        cur = await conn.execute(_ENCRYPTED_SAMPLE)
        sample = await cur.fetchone()
    try:
        new_check = check_key(
            cipher,
            None if check is None else str(check[0]),
            None if sample is None else str(sample[0]),
            Path("nemobot.db"),  # only used in SQLite's wording of the error, replaced below
        )
    except SecretKeyError:
        raise SecretKeyError(
            f"The secret key does not match the tokens stored in {safe_url(url)}: NEMOBOT_SECRET_KEY or "
            f"{KEY_FILENAME} in NEMOBOT_DATA_DIR changed since they were written. Restore the key that "
            "wrote them. To give the stored tokens up instead (users send /token again; anonymous "
            f"chats get new accounts), run in psql: {_FORGET_TOKENS}"
        ) from None
    if new_check is not None:
        await conn.execute(_SAVE_KEY_CHECK, (new_check,))


def _day(day: str) -> date:
    return date.fromisoformat(check_day(day))


def _utc(value: datetime | None) -> datetime | None:
    # psycopg returns timestamptz in the session's time zone; the port promises UTC.
    return None if value is None else value.astimezone(UTC)


def _job(row: DictRow) -> Job:
    return Job(
        job_id=row["job_id"],
        chat=chat_key(row["platform"], row["chat_id"], row["thread_id"]),
        kind=JobKind(row["kind"]),
        state=JobState(row["state"]),
        created_at=row["created_at"].astimezone(UTC),
        updated_at=row["updated_at"].astimezone(UTC),
        session_id=row["session_id"],
        payload=row["payload"],
        render_id=row["render_id"],
        requester=row["requester"],
        status_message_id=row["status_message_id"],
        attempts=row["attempts"],
        detail=row["detail"],
    )
