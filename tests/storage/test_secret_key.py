"""The at-rest key: created atomically and privately, refused clearly when empty or corrupt, and
checked against the database so a changed key stops start-up instead of dropping users' tokens."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from core.ports import ChatRecord
from core.settings import SettingsError
from storage import FernetTokens, SqliteStore, load_or_create_key
from storage.tokens import KEY_FILENAME, SecretKeyError
from tests.harness import CHAT

TOKEN = "nmv_usr_key-check-test-token-0123456789"


def test_a_new_key_file_is_private_complete_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    """Created once (0600, a full key plus newline), read back the same; no temp file remains."""
    key = load_or_create_key(tmp_path, None)
    path = tmp_path / KEY_FILENAME
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_bytes() == key + b"\n"
    Fernet(key)
    assert load_or_create_key(tmp_path, None) == key
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILENAME]


def test_an_existing_key_file_is_never_replaced(tmp_path: Path) -> None:
    """A key already there (another process won the race) is the one used."""
    first = Fernet.generate_key()
    (tmp_path / KEY_FILENAME).write_bytes(first)
    assert load_or_create_key(tmp_path, None) == first


@pytest.mark.parametrize(
    ("content", "problem"), [(b"", "is empty"), (b"not-a-key\n", "is not a key"), (b"\n\n", "is not a key")]
)
def test_an_empty_or_corrupt_key_file_stops_with_a_message_naming_it(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    """A start-up error (a SettingsError: printed, no traceback) naming the file and what to do."""
    path = tmp_path / KEY_FILENAME
    path.write_bytes(content)
    with pytest.raises(SettingsError) as caught:
        load_or_create_key(tmp_path, None)
    message = str(caught.value)
    assert str(path) in message
    assert problem in message
    assert "backup" in message
    assert path.read_bytes() == content, "the operator's file is left as it was"


async def test_the_key_check_is_written_once_and_passes_with_the_same_key(tmp_path: Path) -> None:
    """The first open stores an encrypted check value; reopening with the same key reads tokens."""
    db = tmp_path / "nemobot.db"
    key = load_or_create_key(tmp_path, None)
    store = await SqliteStore.open(db, cipher=FernetTokens(key))
    await store.save_chat(ChatRecord(CHAT, user_token=TOKEN))
    await store.close()
    with sqlite3.connect(db) as raw:
        [(check,)] = raw.execute("SELECT value FROM meta WHERE name = 'key_check'").fetchall()
    assert check.startswith("fernet:")
    store = await SqliteStore.open(db, cipher=FernetTokens(key))
    record = await store.get_chat(CHAT)
    await store.close()
    assert record is not None
    assert record.user_token == TOKEN


async def test_a_database_from_before_the_check_is_judged_by_its_tokens(tmp_path: Path) -> None:
    """No check value yet (an older database): an encrypted token that the key cannot read stops it."""
    db = tmp_path / "nemobot.db"
    store = await SqliteStore.open(db, cipher=FernetTokens(Fernet.generate_key()))
    await store.save_chat(ChatRecord(CHAT, token=TOKEN))
    await store.close()
    with sqlite3.connect(db) as raw:
        raw.execute("DELETE FROM meta")
    with pytest.raises(SecretKeyError):
        await SqliteStore.open(db, cipher=FernetTokens(Fernet.generate_key()))


async def test_a_wrong_key_on_a_database_without_tokens_is_still_refused(tmp_path: Path) -> None:
    """The check value alone decides: a different key is refused even before any token is stored."""
    db = tmp_path / "nemobot.db"
    store = await SqliteStore.open(db, cipher=FernetTokens(Fernet.generate_key()))
    await store.close()
    with pytest.raises(SecretKeyError):
        await SqliteStore.open(db, cipher=FernetTokens(Fernet.generate_key()))


def test_nemobot_with_a_corrupt_key_file_prints_one_clear_message_and_no_traceback(tmp_path: Path) -> None:
    """Process-level: ``nemobot console`` exits 2 naming the key file; nothing is touched."""
    data = tmp_path / "data"
    data.mkdir()
    (data / KEY_FILENAME).write_bytes(b"\x00garbage")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEMO", "TELEGRAM", "DISCORD"))}
    env.update(NEMO_API_URL="http://127.0.0.1:9", NEMOBOT_DATA_DIR=str(data))
    result = subprocess.run(
        [sys.executable, "-m", "bots", "console"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        input=b"",
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert str(data / KEY_FILENAME).encode() in result.stderr
    assert b"Traceback" not in result.stderr
    assert not (data / "nemobot.db").exists()
