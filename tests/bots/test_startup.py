"""Start-up resilience: unreachable things are retried with one line each; platforms start apart."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bots.startup import StartupFailed, retrying, start_each
from core.settings import SettingsError


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_transient_failure_is_retried_with_one_warning_per_try(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Two refused connections, then success: two one-line warnings, then the result."""
    calls = 0

    async def attempt() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise ConnectionRefusedError("connection refused\nsecond line of detail")
        return "open"

    with caplog.at_level(logging.WARNING, logger="bots.startup"):
        result = await retrying("the database", attempt, transient=lambda e: True, delays=(0.0, 0.0, 0.0))
    assert result == "open"
    lines = [r.getMessage() for r in caplog.records if r.name == "bots.startup"]
    assert lines == ["the database is not reachable (connection refused); retrying in 0 s"] * 2


async def test_giving_up_is_one_line_and_a_permanent_error_is_not_retried() -> None:
    """Waits used up: StartupFailed with a one-line message. A permanent error: raised at the first try."""

    async def refuse() -> None:
        raise OSError("no route to host")

    with pytest.raises(
        StartupFailed, match=r"^db is not reachable \(no route to host\); gave up after 2 tries$"
    ):
        await retrying("db", refuse, transient=lambda e: True, delays=(0.0,))

    calls = 0

    async def bad_token() -> None:
        nonlocal calls
        calls += 1
        raise SettingsError("TELEGRAM_BOT_TOKEN: rejected")

    with pytest.raises(SettingsError):
        await retrying("telegram", bad_token, transient=lambda e: False, delays=(0.0, 0.0))
    assert calls == 1


class Platform:
    def __init__(self, failures: int, error: Exception) -> None:
        self.failures, self.error, self.started = failures, error, False

    async def start(self) -> None:
        if self.failures:
            self.failures -= 1
            raise self.error
        self.started = True

    async def stop(self) -> None:
        self.started = False


async def test_one_platform_failing_does_not_stop_the_other(caplog: pytest.LogCaptureFixture) -> None:
    """Telegram's token is rejected (permanent), Discord's network blips once: Discord still runs."""
    telegram = Platform(99, SettingsError("TELEGRAM_BOT_TOKEN: Telegram rejected the token"))
    discord = Platform(1, ConnectionResetError("reset by peer"))
    with caplog.at_level(logging.WARNING, logger="bots.startup"):
        started = await start_each(
            {"telegram": lambda: telegram, "discord": lambda: discord},
            permanent=lambda e: isinstance(e, SettingsError),
            retries=2,
        )
    assert list(started) == ["discord"]
    assert discord.started
    messages = [r.getMessage() for r in caplog.records if r.name == "bots.startup"]
    assert "telegram did not start: TELEGRAM_BOT_TOKEN: Telegram rejected the token" in messages


def test_run_with_an_unreachable_database_says_so_in_one_line(tmp_path: Path) -> None:
    """`nemobot run` against a PostgreSQL that is down: one line naming it (no password), no traceback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEMO", "TELEGRAM", "DISCORD"))}
    env |= {
        "NEMOBOT_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": f"postgresql://nemobot:hunter2secret@127.0.0.1:{closed_port()}/nemobot",
        "NEMOBOT_START_RETRIES": "0",  # the retry line itself is tested above, without real waits
    }
    result = subprocess.run(
        [sys.executable, "-m", "bots", "run"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "hunter2secret" not in result.stderr
    assert "is not reachable (" in result.stderr
    assert "gave up after 1 try" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
