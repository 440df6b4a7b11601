"""migrate-store: a SQLite deployment's data copied into PostgreSQL, tokens still encrypted."""

from __future__ import annotations

import dataclasses
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from cryptography.fernet import Fernet

from core.chat import ChatKey
from core.ports import ChatRecord, Job, JobKind, JobState, RenderedDraft
from storage import FernetTokens, PostgresStore, SqliteStore
from storage.transfer import TABLES, TransferError, copy_sqlite_to_postgres
from tests.storage.fakes import T0

GROUP = ChatKey("telegram", "-100123", "77")
DM = ChatKey("discord", "42")
KEY = Fernet.generate_key()
RENDERED = RenderedDraft(GROUP, "s1", "fp-1", "render-1", "https://cdn.example/out.mp4", T0)


def job(job_id: str, state: JobState, minutes: int) -> Job:
    at = T0 + timedelta(minutes=minutes)
    return Job(job_id, GROUP, JobKind.TURN, state, at, at, session_id="s1", payload="shorter", attempts=1)


async def deployment(path: Path) -> None:
    """A SQLite file with every kind of row, tokens encrypted under KEY."""
    store = await SqliteStore.open(path, cipher=FernetTokens(KEY))
    try:
        await store.save_chat(
            ChatRecord(GROUP, language="en", client_id="c1", token="nmv_usr_group", token_expires_at=T0)
        )
        await store.save_chat(ChatRecord(DM, user_token="nmv_usr_mine", session_id="s2"))
        await store.claim_message(GROUP, "m1")
        await store.save_job(job("j-open", JobState.RUNNING, 1))
        await store.save_job(job("j-done", JobState.DONE, 0))
        for _ in range(3):
            await store.add_usage(GROUP, "u1", "turn", "2025-03-01")
        await store.remember_render(RENDERED)
    finally:
        await store.close()


def sqlite_tokens(path: Path) -> set[object]:
    with closing(sqlite3.connect(path)) as db:
        return {value for row in db.execute("SELECT token, user_token FROM chats") for value in row}


def pg_tokens(url: str) -> set[object]:
    with psycopg.connect(url) as conn:
        return {value for row in conn.execute("SELECT token, user_token FROM chats") for value in row}


async def test_every_row_arrives_and_reads_back_the_same(tmp_path: Path, pg_url: str) -> None:
    """Chats (with tokens), claims, jobs and usage read the same from PostgreSQL as from SQLite."""
    source = tmp_path / "nemobot.db"
    await deployment(source)
    counts = await copy_sqlite_to_postgres(source, pg_url)
    assert counts == {
        "chats": 2, "processed_messages": 1, "jobs": 2, "usage": 1, "rendered_drafts": 1, "meta": 1
    }  # fmt: skip

    before = await SqliteStore.open(source, cipher=FernetTokens(KEY))
    after = await PostgresStore.open(pg_url, cipher=FernetTokens(KEY))
    try:
        for chat in (GROUP, DM):
            assert await after.get_chat(chat) == await before.get_chat(chat)
        record = await after.get_chat(DM)
        assert record is not None
        assert record.user_token == "nmv_usr_mine"
        assert await after.get_job("j-done") == await before.get_job("j-done")
        assert await after.open_jobs() == await before.open_jobs() == [job("j-open", JobState.RUNNING, 1)]
        assert await after.usage(GROUP, "2025-03-01", user_id="u1") == 3
        assert await after.claim_message(GROUP, "m1") is False
        assert await after.last_render(GROUP, "s1") == RENDERED
    finally:
        await before.close()
        await after.close()


async def test_tokens_travel_as_ciphertext(tmp_path: Path, pg_url: str) -> None:
    """The token columns in PostgreSQL hold the very ciphertext SQLite held, no plain token."""
    source = tmp_path / "nemobot.db"
    await deployment(source)
    await copy_sqlite_to_postgres(source, pg_url)
    stored = pg_tokens(pg_url) - {None}
    assert stored == sqlite_tokens(source) - {None}
    assert all(str(value).startswith("fernet:") and "nmv_usr" not in str(value) for value in stored)


async def test_a_target_with_data_is_refused_and_left_as_it_was(tmp_path: Path, pg_url: str) -> None:
    """Copying into a database that already has chats would mix deployments: refused, nothing written."""
    source = tmp_path / "nemobot.db"
    await deployment(source)
    target = await PostgresStore.open(pg_url)
    await target.save_job(dataclasses.replace(job("other", JobState.ACCEPTED, 5)))
    await target.close()
    with pytest.raises(TransferError, match="jobs"):
        await copy_sqlite_to_postgres(source, pg_url)
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM chats").fetchone() == (0,)


def test_every_sqlite_table_is_copied(tmp_path: Path) -> None:
    """A table added to the SQLite schema must be added to the transfer too (or this fails)."""
    import asyncio

    path = tmp_path / "nemobot.db"
    asyncio.run(deployment(path))
    with closing(sqlite3.connect(path)) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {table.name for table in TABLES}


def test_the_command_copies_and_reports_counts(tmp_path: Path, pg_url: str) -> None:
    """`nemobot migrate-store --from sqlite:///… --to postgresql://…` copies and says what it copied."""
    import asyncio

    asyncio.run(deployment(tmp_path / "data" / "nemobot.db"))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bots",
            "migrate-store",
            "--from",
            "sqlite:///data/nemobot.db",
            "--to",
            pg_url,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "2 chats" in result.stdout
    assert "2 jobs" in result.stdout
    assert pg_tokens(pg_url) - {None} == sqlite_tokens(tmp_path / "data" / "nemobot.db") - {None}


def test_the_command_explains_a_wrong_direction_without_a_traceback(tmp_path: Path) -> None:
    """Only SQLite → PostgreSQL is supported; anything else is a one-line answer."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bots",
            "migrate-store",
            "--from",
            "postgresql://x/y",
            "--to",
            "sqlite:///a.db",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 2
    assert "sqlite:///" in result.stderr
    assert "Traceback" not in result.stderr


async def test_a_target_a_bot_already_started_on_takes_the_copy_and_its_key(
    tmp_path: Path, pg_url: str
) -> None:
    """A bot started on the empty target first (its own key check, no data): the copy goes through,
    and afterwards the target opens with the deployment's key, the one its tokens need."""
    source = tmp_path / "nemobot.db"
    await deployment(source)
    await (await PostgresStore.open(pg_url, cipher=FernetTokens(Fernet.generate_key()))).close()
    await copy_sqlite_to_postgres(source, pg_url)
    after = await PostgresStore.open(pg_url, cipher=FernetTokens(KEY))
    try:
        record = await after.get_chat(DM)
        assert record is not None
        assert record.user_token == "nmv_usr_mine"
    finally:
        await after.close()
