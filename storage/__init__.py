"""Durable state for nemobot: the :class:`~core.ports.Store` implementations.

Use :func:`open_location` (``DATABASE_URL``) or :func:`open_store` (a data dir) in the bot;
:class:`MemoryStore` in tests and benchmarks.
"""

from __future__ import annotations

from pathlib import Path

from storage.location import DB_FILENAME, StoreLocation, StoreUrlError, parse_store_url, safe_url
from storage.memory import MemoryStore
from storage.migrations import SCHEMA_VERSION, SchemaTooNewError
from storage.postgres import PostgresStore
from storage.sqlite import SqliteStore
from storage.tokens import FernetTokens, PlainTokens, TokenCipher, load_or_create_key
from storage.values import StoreClosedError

__all__ = [
    "DB_FILENAME",
    "SCHEMA_VERSION",
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


async def open_store(data_dir: Path, *, cipher: TokenCipher | None = None) -> SqliteStore:
    """Open ``data_dir/nemobot.db``, creating the directory (0700) and the file (0600) if needed."""
    return await SqliteStore.open(data_dir / DB_FILENAME, cipher=cipher)


async def open_location(
    location: StoreLocation, *, cipher: TokenCipher | None = None
) -> SqliteStore | PostgresStore:
    """Open (and migrate) the store at ``location``: a SQLite file or a PostgreSQL database."""
    if location.postgres_url:
        return await PostgresStore.open(location.postgres_url, cipher=cipher)
    assert location.sqlite_path is not None
    return await SqliteStore.open(location.sqlite_path, cipher=cipher)
