"""Fixtures for the storage tests: one ``store`` per implementation, on a hand-moved clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from core.ports import Store
from storage import MemoryStore, PostgresStore, SqliteStore
from tests.pg import fresh_schema
from tests.storage.fakes import Clock

AnyStore = MemoryStore | SqliteStore | PostgresStore


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A real PostgreSQL database URL whose tables go to a fresh schema, dropped afterwards."""
    with fresh_schema() as url:
        yield url


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path, clock: Clock) -> AsyncIterator[AnyStore]:
    """Each Store implementation in turn: SQLite on a real file under tmp_path, PostgreSQL on the
    local server in a schema of its own (skipped locally without a server, failing under CI)."""
    opened: AnyStore
    if request.param == "memory":
        opened = MemoryStore(clock=clock)
    elif request.param == "sqlite":
        opened = await SqliteStore.open(tmp_path / "data" / "nemobot.db", clock=clock)
    else:
        with fresh_schema() as url:
            opened = await PostgresStore.open(url, clock=clock)
            port: Store = opened  # lets mypy prove every implementation satisfies the port
            yield opened
            await port.close()
        return
    port = opened
    yield opened
    await port.close()
