"""One process per data directory: the lock is exclusive, explains itself, and dies with its holder."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from core.settings import SettingsError
from storage import DataDirInUse, open_store
from storage.lock import LOCK_FILENAME, DataDirLock

ROOT = Path(__file__).resolve().parents[2]


async def test_a_second_store_on_the_same_data_dir_is_refused_until_the_first_closes(tmp_path: Path) -> None:
    """open_store holds the lock; a second one fails with a SettingsError naming the dir and the PID."""
    first = await open_store(tmp_path)
    with pytest.raises(DataDirInUse) as caught:
        await open_store(tmp_path)
    assert isinstance(caught.value, SettingsError)
    assert str(tmp_path) in str(caught.value)
    assert f"process {os.getpid()}" in str(caught.value)
    assert (tmp_path / LOCK_FILENAME).stat().st_mode & 0o777 == 0o600
    await first.close()
    second = await open_store(tmp_path)
    await second.close()


def test_releasing_twice_is_harmless(tmp_path: Path) -> None:
    lock = DataDirLock.acquire(tmp_path)
    lock.release()
    lock.release()
    DataDirLock.acquire(tmp_path).release()


def _env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEMO", "TELEGRAM", "DISCORD"))}
    # Nothing is ever sent: the console only waits for input on a port nobody listens on.
    env.update(NEMO_API_URL="http://127.0.0.1:9", NEMOBOT_DATA_DIR=str(data))
    return env


async def _console(data: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bots",
        "console",
        cwd=str(ROOT),
        env=_env(data),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_a_second_process_on_the_same_data_dir_refuses_to_start_and_a_killed_one_frees_it(
    tmp_path: Path,
) -> None:
    """Process-level: console #2 exits (code 2, one clear line, no traceback) while #1 runs; after
    SIGKILL of #1 the kernel drops the lock and the next start works."""
    data = tmp_path / "data"
    first = await _console(data)
    try:
        assert first.stdout is not None
        await asyncio.wait_for(first.stdout.readline(), 30)  # the console greeted: it holds the lock
        second = await _console(data)
        _out, err = await asyncio.wait_for(second.communicate(b"hello\n"), 30)
        assert second.returncode == 2
        assert b"Another nemobot is already running" in err
        assert b"Traceback" not in err
        first.send_signal(signal.SIGKILL)
        await first.wait()
        third = await _console(data)
        _out, err = await asyncio.wait_for(third.communicate(b""), 30)
        assert third.returncode == 0, err.decode()
        assert b"already running" not in err
    finally:
        if first.returncode is None:
            first.kill()
            await first.wait()
