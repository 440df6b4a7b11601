"""Durable state for nemobot: the :class:`~core.ports.Store` implementations.

Use :func:`open_store` in the bot; :class:`MemoryStore` in tests and benchmarks.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from storage.files import ensure_private_dir
from storage.lock import DataDirInUse, DataDirLock
from storage.memory import MemoryStore
from storage.migrations import SCHEMA_VERSION, SchemaTooNewError
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
    "SchemaTooNewError",
    "SqliteStore",
    "StoreClosedError",
    "TokenCipher",
    "load_or_create_key",
    "open_store",
]

DB_FILENAME = "nemobot.db"


async def open_store(
    data_dir: Path, *, cipher: TokenCipher | None = None, busy_timeout_ms: int = BUSY_TIMEOUT_MS
) -> SqliteStore:
    """Open ``data_dir/nemobot.db``, creating the directory (0700) and the file (0600) if needed.

    The store holds the data directory's lock until it is closed: a second bot on the same
    directory gets :class:`DataDirInUse` (a :class:`~core.settings.SettingsError`) at once.
    """
    await asyncio.to_thread(ensure_private_dir, data_dir)
    lock = await asyncio.to_thread(DataDirLock.acquire, data_dir)
    try:
        store = await SqliteStore.open(data_dir / DB_FILENAME, cipher=cipher, busy_timeout_ms=busy_timeout_ms)
    except BaseException:
        lock.release()
        raise
    store.hold(lock)
    return store
