"""Fixtures for the storage tests: one ``store`` per implementation, on a hand-moved clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.ports import Store
from storage import MemoryStore, SqliteStore
from tests.storage.fakes import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["memory", "sqlite"])
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, clock: Clock
) -> AsyncIterator[MemoryStore | SqliteStore]:
    """Each Store implementation in turn; SQLite on a real file under tmp_path."""
    opened: MemoryStore | SqliteStore
    if request.param == "memory":
        opened = MemoryStore(clock=clock)
    else:
        opened = await SqliteStore.open(tmp_path / "data" / "nemobot.db", clock=clock)
    port: Store = opened  # lets mypy prove both implementations satisfy the port
    yield opened
    await port.close()
