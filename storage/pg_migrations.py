"""Versioned schema migrations for the PostgreSQL store, tracked in a one-row ``schema_version`` table.

``MIGRATIONS[n - 1]`` takes a schema from version ``n - 1`` to ``n``; append steps, never edit a released
one (deployed databases have run it). PostgreSQL has transactional DDL, so each step and its version
bump commit together or not at all. A transaction-scoped advisory lock serializes migrations, so
several processes starting at once against one database migrate one after the other (the later ones
re-read the version under the lock and find nothing left to do).

The tables mirror the SQLite schema (:mod:`storage.migrations`) with native types: ``timestamptz``
for times, ``bigint`` for counters. Job kinds and states stay plain text, as in SQLite, so a new
``JobKind``/``JobState`` member needs no migration. ``jobs.owner``/``jobs.lease_until`` were reserved
for the fleet and stay unused: a fleet's workers own whole chats through the ``leases`` table (v3), so
per-chat order holds and a job needs no owner of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import LiteralString

from psycopg import AsyncConnection

Migration = Sequence[LiteralString]

_V1: Migration = (
    """
    CREATE TABLE chats (
        platform text NOT NULL,
        chat_id text NOT NULL,
        thread_id text NOT NULL DEFAULT '',
        language text,
        skill text,
        client_id text,
        token text,
        token_expires_at timestamptz,
        anon_user_id text,
        session_id text,
        task_id text,
        user_token text,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (platform, chat_id, thread_id)
    )
    """,
    """
    CREATE TABLE processed_messages (
        platform text NOT NULL,
        chat_id text NOT NULL,
        thread_id text NOT NULL DEFAULT '',
        message_id text NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (platform, chat_id, thread_id, message_id)
    )
    """,
    "CREATE INDEX processed_messages_by_age ON processed_messages (created_at)",
    """
    CREATE TABLE jobs (
        job_id text PRIMARY KEY,
        platform text NOT NULL,
        chat_id text NOT NULL,
        thread_id text NOT NULL DEFAULT '',
        kind text NOT NULL,
        state text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        session_id text,
        payload text NOT NULL DEFAULT '',
        render_id text,
        requester text,
        status_message_id text,
        attempts integer NOT NULL DEFAULT 0,
        detail text NOT NULL DEFAULT '',
        owner text,
        lease_until timestamptz
    )
    """,
    # open_jobs() filters by state and orders by age; a fleet's claim query would use the same index.
    "CREATE INDEX jobs_by_state ON jobs (state, created_at, job_id)",
    # Per-chat order across workers will look up a chat's open jobs.
    "CREATE INDEX jobs_by_chat ON jobs (platform, chat_id, thread_id, created_at)",
    """
    CREATE TABLE usage (
        platform text NOT NULL,
        chat_id text NOT NULL,
        thread_id text NOT NULL DEFAULT '',
        day date NOT NULL,
        user_id text NOT NULL,
        kind text NOT NULL,
        count bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (platform, chat_id, thread_id, day, user_id, kind)
    )
    """,
    "CREATE INDEX usage_by_day ON usage (day)",
    # Daily caps count one user's events across every chat of a platform.
    "CREATE INDEX usage_by_user ON usage (platform, user_id, day)",
)

# v2 (SQLite v3): the last successful render per chat and session, keyed by a fingerprint of the
# draft, so an unchanged draft's export is handed out again; and facts about the database (the
# at-rest key's check value, see storage/tokens.py).
_V2: Migration = (
    """
    CREATE TABLE rendered_drafts (
        platform text NOT NULL,
        chat_id text NOT NULL,
        thread_id text NOT NULL DEFAULT '',
        session_id text NOT NULL,
        fingerprint text NOT NULL,
        render_id text NOT NULL,
        output_url text,
        rendered_at timestamptz NOT NULL,
        PRIMARY KEY (platform, chat_id, thread_id, session_id)
    )
    """,
    "CREATE TABLE meta (name text PRIMARY KEY, value text NOT NULL)",
)

# v3 (SQLite v5): named leases, the fleet's per-chat ownership and the Telegram poller's (core/leases.py).
_V3: Migration = (
    "CREATE TABLE leases (name text PRIMARY KEY, holder text NOT NULL, until timestamptz NOT NULL)",
)

MIGRATIONS: tuple[Migration, ...] = (_V1, _V2, _V3)
PG_SCHEMA_VERSION = len(MIGRATIONS)

# Any fixed 64-bit number works; this one is "nemobot" in ASCII, so it is recognizable in pg_locks.
MIGRATION_LOCK = 0x6E656D6F626F74


class PgSchemaTooNewError(RuntimeError):
    """The database was migrated by a newer nemobot; this version must not touch it."""

    def __init__(self, found: int, known: int) -> None:
        super().__init__(
            f"the PostgreSQL database has nemobot schema version {found}, but this nemobot only knows "
            f"versions up to {known}: it was written by a newer nemobot. Run that version (or newer), "
            "or restore a backup made by this one; the database was left unchanged."
        )
        self.found = found
        self.known = known


async def schema_version(conn: AsyncConnection[tuple[object, ...]]) -> int:
    """The schema's version; 0 for an empty schema (no ``schema_version`` table yet)."""
    # A plain MVCC read of the catalog, not to_regclass(): that consults the backend's catalog cache,
    # which may not yet show a table another process created while we waited for the lock.
    cur = await conn.execute(
        "SELECT EXISTS (SELECT FROM pg_catalog.pg_tables"
        " WHERE schemaname = current_schema() AND tablename = 'schema_version')"
    )
    row = await cur.fetchone()
    if row is None or not row[0]:
        return 0
    cur = await conn.execute("SELECT version FROM schema_version")
    row = await cur.fetchone()
    return 0 if row is None else int(str(row[0]))


async def migrate(
    conn: AsyncConnection[tuple[object, ...]], migrations: Sequence[Migration] = MIGRATIONS
) -> int:
    """Bring the schema on ``conn``'s search path up to ``len(migrations)``; return the version it had.

    ``conn`` must be in autocommit mode; each step is its own transaction. A schema from a newer
    nemobot is refused without a write.
    """
    target = len(migrations)
    found = await schema_version(conn)
    if found > target:
        raise PgSchemaTooNewError(found, target)
    for version in range(found + 1, target + 1):
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            current = await schema_version(conn)
            if current > target:
                raise PgSchemaTooNewError(current, target)
            if current >= version:
                continue  # another process got here first
            if current == 0:
                await conn.execute("CREATE TABLE schema_version (version integer NOT NULL)")
                await conn.execute("INSERT INTO schema_version (version) VALUES (0)")
            for statement in migrations[version - 1]:
                await conn.execute(statement)
            await conn.execute("UPDATE schema_version SET version = %s", (version,))
    return found
