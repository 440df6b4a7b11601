"""Versioned schema migrations, applied in order and tracked by SQLite's ``PRAGMA user_version``.

``MIGRATIONS[n - 1]`` takes a database from version ``n - 1`` to ``n``. Append new steps; never
edit or reorder a released one, because deployed files have already run it. Each step runs in its
own ``BEGIN IMMEDIATE`` transaction together with its ``user_version`` bump, so a crash or error
leaves the file at the previous version, never half-migrated. Statements do not use
``IF NOT EXISTS``: re-running a step by mistake then fails loudly instead of passing silently.

Job kinds and states are plain text without ``CHECK`` constraints: adding a member to
``JobKind``/``JobState`` must not need a table rebuild, which is what changing a CHECK costs in
SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import aiosqlite

Migration = Sequence[str]

_V1: Migration = (
    """
    CREATE TABLE chats (
        platform TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        thread_id TEXT NOT NULL DEFAULT '',
        language TEXT,
        skill TEXT,
        client_id TEXT,
        token TEXT,
        token_expires_at TEXT,
        anon_user_id TEXT,
        session_id TEXT,
        task_id TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (platform, chat_id, thread_id)
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE processed_messages (
        platform TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        thread_id TEXT NOT NULL DEFAULT '',
        message_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (platform, chat_id, thread_id, message_id)
    ) WITHOUT ROWID
    """,
    # Pruning deletes by age; without this it would scan every claim ever made.
    "CREATE INDEX processed_messages_by_age ON processed_messages (created_at)",
    """
    CREATE TABLE jobs (
        job_id TEXT PRIMARY KEY NOT NULL,
        platform TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        thread_id TEXT NOT NULL DEFAULT '',
        kind TEXT NOT NULL,
        state TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        session_id TEXT,
        payload TEXT NOT NULL DEFAULT '',
        render_id TEXT,
        requester TEXT,
        status_message_id TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        detail TEXT NOT NULL DEFAULT ''
    )
    """,
    # open_jobs() filters by state and orders by age: this index answers it without a sort.
    "CREATE INDEX jobs_by_state ON jobs (state, created_at)",
    """
    CREATE TABLE usage (
        platform TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        thread_id TEXT NOT NULL DEFAULT '',
        day TEXT NOT NULL,
        user_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        count INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (platform, chat_id, thread_id, day, user_id, kind)
    ) WITHOUT ROWID
    """,
)

# v2: a user's own NemoVideo token per chat (/token), encrypted like the other token column.
_V2: Migration = ("ALTER TABLE chats ADD COLUMN user_token TEXT",)

# v3: the last successful render per chat and session, keyed by a fingerprint of the draft it
# rendered, so exporting an unchanged draft hands that result out again instead of rendering twice;
# and a table of facts about the database (the key check value).
_V3: Migration = (
    """
    CREATE TABLE rendered_drafts (
        platform TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        thread_id TEXT NOT NULL DEFAULT '',
        session_id TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        render_id TEXT NOT NULL,
        output_url TEXT,
        rendered_at TEXT NOT NULL,
        PRIMARY KEY (platform, chat_id, thread_id, session_id)
    ) WITHOUT ROWID
    """,
    # Facts about the database itself; ``key_check`` proves the at-rest key is the one that
    # encrypted the stored tokens (storage/tokens.py).
    "CREATE TABLE meta (name TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID",
)

# v4: daily caps count a user's events across every chat of a platform; this answers that sum.
_V4: Migration = ("CREATE INDEX usage_by_user ON usage (platform, user_id, day)",)

MIGRATIONS: tuple[Migration, ...] = (_V1, _V2, _V3, _V4)
SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer nemobot; this version must not touch it."""

    def __init__(self, path: Path, found: int, known: int) -> None:
        super().__init__(
            f"database {path} has schema version {found}, but this nemobot only knows versions up to "
            f"{known}: it was written by a newer nemobot. Run that version (or newer), or restore a "
            "backup made by this one; the file was left unchanged."
        )
        self.path = path
        self.found = found
        self.known = known


async def user_version(db: aiosqlite.Connection) -> int:
    rows = list(await db.execute_fetchall("PRAGMA user_version"))
    return int(rows[0][0])


async def migrate(db: aiosqlite.Connection, path: Path, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Bring ``db`` (in autocommit mode) up to ``len(migrations)``; return the version it had.

    Refuses a database whose version is beyond ``migrations`` (a downgrade) without writing to it.
    """
    target = len(migrations)
    found = await user_version(db)
    if found > target:
        raise SchemaTooNewError(path, found, target)
    for version in range(found + 1, target + 1):
        # IMMEDIATE takes the write lock up front, so two processes starting together migrate
        # one after the other; the re-read below lets the second one see the first one's work.
        await db.execute("BEGIN IMMEDIATE")
        try:
            if await user_version(db) < version:
                for statement in migrations[version - 1]:
                    await db.execute(statement)
                # PRAGMA takes no bound parameters; ``version`` is an int from range().
                await db.execute(f"PRAGMA user_version = {version:d}")
            await db.execute("COMMIT")
        except BaseException:
            # Some errors (e.g. a full disk) already rolled back inside SQLite; a second
            # ROLLBACK would fail and hide the real error.
            if db.in_transaction:
                await db.execute("ROLLBACK")
            raise
    return found
