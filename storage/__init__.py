"""Durable state for nemobot: the :class:`~core.ports.Store` implementations.

Use :func:`open_location` (``DATABASE_URL``) or :func:`open_store` (a data dir) in the bot;
:class:`MemoryStore` in tests and benchmarks.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from storage.files import ensure_private_dir
from storage.location import DB_FILENAME, StoreLocation, StoreUrlError, parse_store_url, safe_url
from storage.lock import DataDirInUse, DataDirLock
from storage.memory import MemoryStore
from storage.migrations import SCHEMA_VERSION, SchemaTooNewError
from storage.postgres import PostgresStore
from storage.sqlite import BUSY_TIMEOUT_MS, SqliteStore
from storage.tokens import FernetTokens, PlainTokens, TokenCipher, load_or_create_key
from storage.values import StoreClosedError

__all__ = [
    "DB_FILENAME",
    "SCHEMA_VERSION",
    "DataDirInUse",
    "FernetTokens",
    "MemoryStore",
    "PlainTokens",
    "PostgresStore",
    "SchemaTooNewError",
    "SqliteStore",
    "StoreClosedError",
    "StoreLocation",
    "StoreUrlError",
    "TokenCipher",
    "load_or_create_key",
    "open_location",
    "open_store",
    "parse_store_url",
    "safe_url",
]


async def open_store(
    data_dir: Path, *, cipher: TokenCipher | None = None, busy_timeout_ms: int = BUSY_TIMEOUT_MS
) -> SqliteStore:
    """Open ``data_dir/nemobot.db``, creating the directory (0700) and the file (0600) if needed.

    The store holds the data directory's lock until it is closed: a second bot on the same
    directory gets :class:`DataDirInUse` (a :class:`~core.settings.SettingsError`) at once.
    """
    return await _open_sqlite(data_dir / DB_FILENAME, cipher, busy_timeout_ms)


async def _open_sqlite(
    path: Path, cipher: TokenCipher | None, busy_timeout_ms: int = BUSY_TIMEOUT_MS
) -> SqliteStore:
    """The SQLite file at ``path``, holding the lock of its directory (one process per file)."""
    await asyncio.to_thread(ensure_private_dir, path.parent)
    lock = await asyncio.to_thread(DataDirLock.acquire, path.parent)
    try:
        store = await SqliteStore.open(path, cipher=cipher, busy_timeout_ms=busy_timeout_ms)
    except BaseException:
        lock.release()
        raise
    store.hold(lock)
    return store


async def open_location(
    location: StoreLocation, *, cipher: TokenCipher | None = None, busy_timeout_ms: int = BUSY_TIMEOUT_MS
) -> SqliteStore | PostgresStore:
    """Open (and migrate) the store at ``location``: a SQLite file (one process at a time, by its
    directory's lock; ``busy_timeout_ms`` as in :func:`open_store`) or a PostgreSQL database
    (shared by design, no lock)."""
    if location.postgres_url:
        return await PostgresStore.open(location.postgres_url, cipher=cipher)
    assert location.sqlite_path is not None
    return await _open_sqlite(location.sqlite_path, cipher, busy_timeout_ms)
