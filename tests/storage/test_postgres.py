"""What only the PostgreSQL store promises: migrations, encrypted tokens in the rows, shared use."""

from __future__ import annotations

import asyncio
import socket
import uuid

import psycopg
import pytest

from core.chat import ChatKey
from core.ports import ChatRecord
from storage import FernetTokens, PostgresStore
from storage.pg_migrations import MIGRATIONS, PG_SCHEMA_VERSION, PgSchemaTooNewError
from tests.storage.fakes import Reversing

CHAT = ChatKey("telegram", "1", "9")


def query(url: str, statement: str) -> list[tuple[object, ...]]:
    """Read the database with plain psycopg, the way an operator would inspect it."""
    with psycopg.connect(url) as conn:
        return list(conn.execute(statement.encode()).fetchall())


async def test_a_fresh_schema_is_migrated_to_the_current_version(pg_url: str) -> None:
    """Opening creates every table and records the schema version."""
    store = await PostgresStore.open(pg_url)
    await store.close()
    assert query(pg_url, "SELECT version FROM schema_version") == [(PG_SCHEMA_VERSION,)]
    listed = query(pg_url, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    tables = {row[0] for row in listed}
    assert tables == {
        "schema_version", "chats", "processed_messages", "jobs", "usage", "rendered_drafts", "meta"
    }  # fmt: skip


async def test_reopening_keeps_the_data_and_runs_no_migration_again(pg_url: str) -> None:
    """A restart finds its chats, and the version stays where it was."""
    store = await PostgresStore.open(pg_url)
    await store.save_chat(ChatRecord(chat=CHAT, session_id="s1"))
    await store.close()
    again = await PostgresStore.open(pg_url)
    try:
        assert await again.get_chat(CHAT) == ChatRecord(chat=CHAT, session_id="s1")
    finally:
        await again.close()
    assert query(pg_url, "SELECT version FROM schema_version") == [(len(MIGRATIONS),)]


async def test_processes_starting_together_migrate_once(pg_url: str) -> None:
    """Five stores opened at once against an empty schema all succeed; the schema is built once."""
    stores = await asyncio.gather(*(PostgresStore.open(pg_url) for _ in range(5)))
    for store in stores:
        await store.close()
    assert query(pg_url, "SELECT version FROM schema_version") == [(PG_SCHEMA_VERSION,)]


async def test_a_schema_from_a_newer_nemobot_is_refused_unchanged(pg_url: str) -> None:
    """A higher version than this code knows is an error naming both versions; nothing is written."""
    store = await PostgresStore.open(pg_url)
    await store.close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(PgSchemaTooNewError, match="version 99"):
        await PostgresStore.open(pg_url)
    assert query(pg_url, "SELECT version FROM schema_version") == [(99,)]


async def test_tokens_are_stored_through_the_cipher(pg_url: str) -> None:
    """The token columns hold the cipher's output, never the token itself."""
    store = await PostgresStore.open(pg_url, cipher=Reversing())
    try:
        await store.save_chat(ChatRecord(chat=CHAT, token="nmv_usr_abc", user_token="nmv_usr_mine"))
        assert query(pg_url, "SELECT token, user_token FROM chats") == [
            ("enc:cba_rsu_vmn", "enc:enim_rsu_vmn")
        ]
        record = await store.get_chat(CHAT)
        assert record is not None
        assert (record.token, record.user_token) == ("nmv_usr_abc", "nmv_usr_mine")
    finally:
        await store.close()


async def test_a_changed_key_stops_start_up_with_advice_and_changes_nothing(pg_url: str) -> None:
    """Tokens written under one key, a bot started with another: refused with what to do, in psql terms."""
    from cryptography.fernet import Fernet

    from storage.tokens import SecretKeyError

    first = await PostgresStore.open(pg_url, cipher=FernetTokens(Fernet.generate_key()))
    await first.save_chat(ChatRecord(chat=CHAT, token="nmv_usr_abc", client_id="c1"))
    await first.close()
    before = query(pg_url, "SELECT token FROM chats") + query(pg_url, "SELECT value FROM meta")
    with pytest.raises(SecretKeyError, match="psql") as raised:
        await PostgresStore.open(pg_url, cipher=FernetTokens(Fernet.generate_key()))
    assert "nemobot_test_" in str(raised.value)  # names the database
    assert query(pg_url, "SELECT token FROM chats") + query(pg_url, "SELECT value FROM meta") == before


async def test_workers_starting_together_on_a_new_database_agree_on_one_key_check(pg_url: str) -> None:
    """Five stores opened at once with the same key: one check value is kept and all of them open."""
    from cryptography.fernet import Fernet

    key = Fernet.generate_key()
    stores = await asyncio.gather(*(PostgresStore.open(pg_url, cipher=FernetTokens(key)) for _ in range(5)))
    for store in stores:
        await store.close()
    assert len(query(pg_url, "SELECT value FROM meta WHERE name = 'key_check'")) == 1


async def test_the_jobs_table_has_room_for_fleet_leases(pg_url: str) -> None:
    """owner and lease_until exist (NULL for now) so job claiming can be added without a rebuild."""
    store = await PostgresStore.open(pg_url)
    await store.close()
    columns = {
        row[0]
        for row in query(
            pg_url,
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = 'jobs'",
        )
    }
    assert {"owner", "lease_until"} <= columns


async def test_an_unreachable_server_fails_at_open_with_psycopgs_reason(pg_url: str) -> None:
    """No server on the port: open raises OperationalError (the caller retries), without hanging."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(psycopg.OperationalError):
        await PostgresStore.open(f"postgresql://127.0.0.1:{port}/test")


async def test_connections_the_server_killed_are_replaced_without_a_failed_call(pg_url: str) -> None:
    """After the server ends every pooled connection (as a restart does), the next calls still work."""
    url = pg_url + "&application_name=nemobot_kill_" + pg_url[-12:]
    store = await PostgresStore.open(url)
    try:
        await store.save_chat(ChatRecord(chat=CHAT, session_id="s1"))
        with psycopg.connect(pg_url, autocommit=True) as conn:
            killed = conn.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = %s",
                ("nemobot_kill_" + pg_url[-12:],),
            ).fetchone()
        assert killed is not None
        assert killed[0] >= 1
        for _ in range(3):
            assert await store.get_chat(CHAT) == ChatRecord(chat=CHAT, session_id="s1")
    finally:
        await store.close()


async def test_text_order_is_by_code_point_even_in_a_locale_collated_database() -> None:
    """In an en-US (ICU) database, as the postgres image's default is, reports sort like SQLite's."""
    from psycopg import sql

    from tests.pg import require_postgres

    server = require_postgres()
    name = "nemobot_test_icu_" + uuid.uuid4().hex[:8]
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(
            sql.SQL(
                "CREATE DATABASE {} TEMPLATE template0"
                " LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
            ).format(sql.Identifier(name))
        )
    try:
        url = server.rsplit("/", 1)[0] + "/" + name
        store = await PostgresStore.open(url)
        try:
            for chat_id in ("2", "-3", "b", "B"):
                await store.add_usage(ChatKey("telegram", chat_id), "u", "turn", "2025-03-01")
            report = await store.usage_report("2025-03-01")
        finally:
            await store.close()
        assert [row.chat.chat_id for row in report] == sorted(["2", "-3", "b", "B"])
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
