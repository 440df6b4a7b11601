"""What only the SQLite store promises: private files, WAL, restarts and schema migrations."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
from contextlib import closing
from pathlib import Path

import aiosqlite
import pytest

from core.chat import ChatKey
from core.ports import ChatRecord, Job, JobKind, JobState
from storage import SCHEMA_VERSION, SchemaTooNewError, SqliteStore, open_store
from storage.migrations import MIGRATIONS, migrate
from tests.storage.fakes import T0, Reversing

CHAT = ChatKey("telegram", "1", "9")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def query(path: Path, sql: str) -> list[tuple[object, ...]]:
    """Read the file with plain sqlite3, the way an operator would inspect it."""
    with closing(sqlite3.connect(path)) as db:
        return list(db.execute(sql))


def schema(path: Path) -> list[tuple[object, ...]]:
    return query(path, "SELECT type, name, sql FROM sqlite_master ORDER BY name")


async def test_open_store_creates_a_private_directory_and_database_file(tmp_path: Path) -> None:
    """open_store makes data_dir 0700 and nemobot.db, -wal and -shm 0600."""
    data_dir = tmp_path / "deep" / "data"
    store = await open_store(data_dir)
    try:
        await store.save_chat(ChatRecord(chat=CHAT, token="secret"))
        db = data_dir / "nemobot.db"
        assert store.path == db
        assert mode(data_dir) == 0o700
        assert mode(db) == 0o600
        for side in ("nemobot.db-wal", "nemobot.db-shm"):
            assert mode(data_dir / side) == 0o600, side
    finally:
        await store.close()


async def test_files_are_private_even_under_a_permissive_umask(tmp_path: Path) -> None:
    """Modes are set explicitly, so a 000 umask does not leave files world-readable."""
    old = os.umask(0)
    try:
        store = await open_store(tmp_path / "data")
        await store.claim_message(CHAT, "m1")
    finally:
        os.umask(old)
    try:
        assert mode(tmp_path / "data") == 0o700
        assert {mode(p) for p in (tmp_path / "data").iterdir()} == {0o600}
    finally:
        await store.close()


async def test_an_existing_directory_and_database_of_ours_are_tightened(tmp_path: Path) -> None:
    """A data dir and db file left group/world-readable are narrowed to the owner."""
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    os.chmod(data_dir, 0o755)  # noqa: S103 (a loose mode to find)
    (data_dir / "nemobot.db").touch()
    os.chmod(data_dir / "nemobot.db", 0o644)
    store = await open_store(data_dir)
    await store.close()
    assert mode(data_dir) == 0o700
    assert mode(data_dir / "nemobot.db") == 0o600


async def test_an_existing_directory_owned_by_someone_else_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bot never chmods a directory it does not own (e.g. a shared parent)."""
    data_dir = tmp_path / "shared"
    data_dir.mkdir()
    os.chmod(data_dir, 0o755)  # noqa: S103 (a loose mode to find)
    monkeypatch.setattr(os, "geteuid", lambda: os.getuid() + 4242)
    store = await SqliteStore.open(data_dir / "nemobot.db")
    await store.close()
    assert mode(data_dir) == 0o755


async def test_a_data_directory_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    """A regular file where the data dir should be is a clear error."""
    (tmp_path / "data").write_text("not a directory")
    with pytest.raises(NotADirectoryError, match="data"):
        await open_store(tmp_path / "data")


async def test_the_database_is_in_wal_mode(tmp_path: Path) -> None:
    """Journal mode is WAL, and it is recorded in the file for every later connection."""
    store = await open_store(tmp_path)
    await store.close()
    assert query(tmp_path / "nemobot.db", "PRAGMA journal_mode") == [("wal",)]


async def test_everything_survives_a_restart(tmp_path: Path) -> None:
    """Chats, claims, jobs and usage are all there after close and re-open."""
    record = ChatRecord(chat=CHAT, language="en", token="secret", token_expires_at=T0)
    job = Job("j1", CHAT, JobKind.TURN, JobState.RUNNING, T0, T0, payload="hello")
    store = await open_store(tmp_path)
    await store.save_chat(record)
    assert await store.claim_message(CHAT, "m1")
    await store.save_job(job)
    await store.add_usage(CHAT, "u1", "turn", "2025-03-01")
    await store.close()

    store = await open_store(tmp_path)
    try:
        assert await store.get_chat(CHAT) == record
        assert await store.claim_message(CHAT, "m1") is False
        assert await store.open_jobs() == [job]
        assert await store.usage(CHAT, "2025-03-01") == 1
    finally:
        await store.close()


async def test_two_connections_racing_for_one_message_have_exactly_one_winner(tmp_path: Path) -> None:
    """The claim is atomic in SQLite itself, not only within one connection (e.g. two processes)."""
    # SqliteStore.open, not open_store: the data-dir lock would (rightly) refuse the second one.
    db = tmp_path / "nemobot.db"
    first, second = await SqliteStore.open(db), await SqliteStore.open(db)
    try:
        claims = [store.claim_message(CHAT, "m1") for _ in range(10) for store in (first, second)]
        assert (await asyncio.gather(*claims)).count(True) == 1
    finally:
        await first.close()
        await second.close()


async def test_an_empty_file_is_migrated_to_the_latest_schema(tmp_path: Path) -> None:
    """A zero-byte file becomes a database at the newest user_version with every table."""
    db = tmp_path / "nemobot.db"
    db.touch()
    store = await SqliteStore.open(db)
    await store.close()
    assert len(MIGRATIONS) == SCHEMA_VERSION
    assert query(db, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    tables = {name for kind, name, _ in schema(db) if kind == "table"}
    assert tables == {"chats", "processed_messages", "jobs", "usage", "rendered_drafts", "meta"}
    assert ("index", "jobs_by_state") in {(kind, name) for kind, name, _ in schema(db)}


async def test_reopening_a_current_database_changes_nothing(tmp_path: Path) -> None:
    """A second open runs no migration: same version, same schema, same data."""
    store = await open_store(tmp_path)
    await store.save_chat(ChatRecord(chat=CHAT, skill="s"))
    await store.close()
    db = tmp_path / "nemobot.db"
    before = (schema(db), query(db, "PRAGMA user_version"), query(db, "SELECT skill FROM chats"))

    store = await open_store(tmp_path)
    await store.close()
    assert (schema(db), query(db, "PRAGMA user_version"), query(db, "SELECT skill FROM chats")) == before


async def test_a_database_from_a_newer_nemobot_is_refused_and_left_untouched(tmp_path: Path) -> None:
    """A user_version beyond ours raises SchemaTooNewError naming both versions, without writing."""
    db = tmp_path / "nemobot.db"
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("CREATE TABLE future (x)")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        conn.commit()
    with pytest.raises(SchemaTooNewError, match=rf"version {SCHEMA_VERSION + 1}.*up to {SCHEMA_VERSION}"):
        await SqliteStore.open(db)
    assert query(db, "PRAGMA user_version") == [(SCHEMA_VERSION + 1,)]
    assert [name for _, name, _ in schema(db)] == ["future"]


async def test_a_failing_migration_step_is_rolled_back_whole(tmp_path: Path) -> None:
    """A step that fails midway leaves neither its tables nor its version bump behind."""
    db = tmp_path / "nemobot.db"
    broken = (*MIGRATIONS, ("CREATE TABLE half_done (x)", "THIS IS NOT SQL"))
    async with aiosqlite.connect(db, isolation_level=None) as conn:
        with pytest.raises(sqlite3.OperationalError):
            await migrate(conn, db, broken)
        assert not conn.in_transaction
    assert query(db, "PRAGMA user_version") == [(len(MIGRATIONS),)]
    assert "half_done" not in {name for _, name, _ in schema(db)}


async def test_migrating_reports_the_version_found_and_skips_applied_steps(tmp_path: Path) -> None:
    """migrate returns the starting version and applies only the missing steps."""
    db = tmp_path / "nemobot.db"
    extra = (*MIGRATIONS, ("CREATE TABLE later (x)",))
    async with aiosqlite.connect(db, isolation_level=None) as conn:
        assert await migrate(conn, db) == 0
        assert await migrate(conn, db, extra) == len(MIGRATIONS)
        assert await migrate(conn, db, extra) == len(extra)
    assert query(db, "PRAGMA user_version") == [(len(extra),)]


async def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    """Garbage in the database file is reported, not overwritten."""
    db = tmp_path / "nemobot.db"
    db.write_bytes(b"definitely not sqlite" * 100)
    with pytest.raises(sqlite3.DatabaseError):
        await SqliteStore.open(db)
    assert db.read_bytes() == b"definitely not sqlite" * 100


async def test_tokens_pass_through_the_cipher_on_write_and_read(tmp_path: Path) -> None:
    """The token column holds the cipher's output; get_chat returns the plain token."""
    store = await open_store(tmp_path, cipher=Reversing())
    try:
        await store.save_chat(ChatRecord(chat=CHAT, token="abc123"))
        assert query(tmp_path / "nemobot.db", "SELECT token FROM chats") == [("enc:321cba",)]
        record = await store.get_chat(CHAT)
        assert record is not None
        assert record.token == "abc123"
    finally:
        await store.close()


async def test_times_are_stored_as_iso_8601_utc_text(tmp_path: Path) -> None:
    """Stored times are readable fixed-width UTC text, so text order is time order."""
    store = await open_store(tmp_path)
    try:
        await store.save_job(Job("j", CHAT, JobKind.RENDER, JobState.ACCEPTED, T0, T0))
    finally:
        await store.close()
    assert query(tmp_path / "nemobot.db", "SELECT created_at, thread_id FROM jobs") == [
        ("2025-03-01T12:00:00.000000+00:00", "9")
    ]
