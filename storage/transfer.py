"""``nemobot migrate-store``: copy a SQLite deployment's data into a PostgreSQL database.

Rows are copied as stored: token columns keep their ciphertext, so tokens are never decrypted on the
way and the tool needs no key (the bot reading the target needs the same ``NEMOBOT_SECRET_KEY`` or
``secret.key`` as before). The source is read in one transaction, a consistent snapshot even while a
bot writes to it; stop the bot first so nothing written after the snapshot is left behind. The target
is written in one transaction, after both schemas are migrated to this version, and must be empty:
a half-copied or mixed database is never left behind.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, LiteralString

from psycopg import AsyncConnection, sql

from storage.postgres import CONNECT_TIMEOUT_S, PostgresStore
from storage.sqlite import SqliteStore
from storage.values import decode_optional_time


def _time(value: Any) -> Any:
    return decode_optional_time(value)


def _day(value: Any) -> Any:
    return date.fromisoformat(value)


@dataclass(frozen=True, slots=True)
class Table:
    """One table to copy: its columns, and how a SQLite value becomes a PostgreSQL one."""

    name: LiteralString
    columns: tuple[LiteralString, ...]
    convert: dict[str, Callable[[Any], Any]]


# Every table of the SQLite schema. tests/storage/test_transfer.py fails when the SQLite schema gains
# a table that is missing here, so a new table cannot be silently left behind by a migration.
TABLES: tuple[Table, ...] = (
    Table(
        "chats",
        (
            "platform", "chat_id", "thread_id", "language", "skill", "client_id", "token",
            "token_expires_at", "anon_user_id", "session_id", "task_id", "user_token", "updated_at",
        ),
        {"token_expires_at": _time, "updated_at": _time},
    ),
    Table(
        "processed_messages",
        ("platform", "chat_id", "thread_id", "message_id", "created_at"),
        {"created_at": _time},
    ),
    Table(
        "jobs",
        (
            "job_id", "platform", "chat_id", "thread_id", "kind", "state", "created_at", "updated_at",
            "session_id", "payload", "render_id", "requester", "status_message_id", "attempts", "detail",
        ),
        {"created_at": _time, "updated_at": _time},
    ),
    Table(
        "usage",
        ("platform", "chat_id", "thread_id", "day", "user_id", "kind", "count"),
        {"day": _day},
    ),
    Table(
        "rendered_drafts",
        (
            "platform", "chat_id", "thread_id", "session_id", "fingerprint", "render_id", "output_url",
            "rendered_at",
        ),
        {"rendered_at": _time},
    ),
    # The key check travels with the tokens it vouches for (both are ciphertext of the same key).
    Table("meta", ("name", "value"), {}),
)  # fmt: skip

# A bot started on the target before the copy leaves a key check there, nothing else: it is
# replaced by the source's, which matches the tokens being copied.
_REPLACED: frozenset[str] = frozenset({"meta"})


class TransferError(RuntimeError):
    """The copy was refused (the target already holds data); nothing was written."""


def _read_snapshot(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, read inside one transaction (one WAL snapshot)."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        db.execute("BEGIN")
        rows = {}
        for table in TABLES:
            # Table and column names are the constants above, never input.
            query = f"SELECT {', '.join(table.columns)} FROM {table.name}"  # noqa: S608
            rows[table.name] = [
                tuple(
                    table.convert[column](value) if column in table.convert and value is not None else value
                    for column, value in zip(table.columns, row, strict=True)
                )
                for row in db.execute(query)
            ]
        db.execute("COMMIT")
    return rows


async def copy_sqlite_to_postgres(source: Path, target_url: str) -> dict[str, int]:
    """Copy every row from the SQLite file ``source`` into the PostgreSQL database ``target_url``.

    Returns the number of rows copied per table. Raises :class:`TransferError` when the target
    already holds chats, jobs, claims, usage or renders, and :class:`FileNotFoundError` for a missing source.
    """
    if not await asyncio.to_thread(source.is_file):
        raise FileNotFoundError(f"no SQLite database at {source}")
    # Opening migrates both to this version's schema, so the column lists above hold on both sides.
    await (await SqliteStore.open(source)).close()
    await (await PostgresStore.open(target_url)).close()
    snapshot = await asyncio.to_thread(_read_snapshot, source)
    connecting = AsyncConnection.connect(target_url, connect_timeout=CONNECT_TIMEOUT_S)
    async with await connecting as conn, conn.transaction():
        for table in (t for t in TABLES if t.name not in _REPLACED):
            cur = await conn.execute(
                sql.SQL("SELECT EXISTS (SELECT FROM {})").format(sql.Identifier(table.name))
            )
            row = await cur.fetchone()
            if row is not None and row[0]:
                raise TransferError(
                    f"the target database already has rows in {table.name}: migrate into an "
                    "empty database (nothing was copied)"
                )
        for table in TABLES:
            if table.name in _REPLACED:
                await conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table.name)))
            statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, table.columns))
            )
            async with conn.cursor().copy(statement) as copy:
                for values in snapshot[table.name]:
                    await copy.write_row(values)
    return {name: len(rows) for name, rows in snapshot.items()}
