"""`nemobot check`: one line per part, the store, the backend and each configured platform."""

from __future__ import annotations

from pathlib import Path

import pytest

from bots.check import check
from simulator import Simulator
from tests.discord_bot.fake_discord import BOT_TOKEN as DISCORD_TOKEN
from tests.discord_bot.fake_discord import FakeDiscord
from tests.harness import make_settings
from tests.pg import fresh_schema
from tests.telegram.fake_bot_api import BOT_USERNAME, TOKEN, FakeBotApi


async def test_a_working_sqlite_setup_with_telegram_reports_every_part(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Store, backend, Telegram and Discord all work: every line is ok, and each bot is named."""
    fake = FakeBotApi()
    await fake.start()
    discord = FakeDiscord()
    try:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("TELEGRAM_API_BASE_URL", fake.base_url)
        monkeypatch.setenv("DISCORD_BOT_TOKEN", DISCORD_TOKEN)
        monkeypatch.setenv("DISCORD_API_BASE_URL", await discord.start())
        assert sim.base_url is not None
        outcomes = await check(make_settings(sim.base_url, tmp_path / "data"))
    finally:
        await fake.stop()
        await discord.stop()
    assert [(o.part, o.ok) for o in outcomes] == [
        ("settings", True),
        ("store", True),
        ("nemovideo", True),
        ("telegram", True),
        ("discord", True),
    ]
    assert BOT_USERNAME in outcomes[-2].detail
    assert outcomes[-1].detail.startswith("logged in as ")
    assert "nemobot.db" in outcomes[1].detail


async def test_postgres_down_and_a_wrong_telegram_token_are_reported_not_raised(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What fails is named, without its secrets; the other parts are still checked."""
    fake = FakeBotApi()
    await fake.start()
    try:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "999999999:AAHwrongTokenForTestsOnly-0123456789ab")
        monkeypatch.setenv("TELEGRAM_API_BASE_URL", fake.base_url)
        assert sim.base_url is not None
        settings = make_settings(
            sim.base_url, tmp_path / "data", database_url="postgresql://u:pw_secret@127.0.0.1:9/x"
        )
        outcomes = await check(settings)
    finally:
        await fake.stop()
    by_part = {o.part: o for o in outcomes}
    assert not by_part["store"].ok
    assert by_part["nemovideo"].ok
    assert not by_part["telegram"].ok
    assert "rejected" in by_part["telegram"].detail
    text = " ".join(o.detail for o in outcomes)
    assert "pw_secret" not in text
    assert "wrongToken" not in text


async def test_a_postgres_store_is_checked_too(sim: Simulator, tmp_path: Path) -> None:
    """With DATABASE_URL on a live server the store line is ok; no platform is a failing line."""
    with fresh_schema() as url:
        assert sim.base_url is not None
        outcomes = await check(make_settings(sim.base_url, tmp_path / "data", database_url=url))
    by_part = {o.part: o for o in outcomes}
    assert by_part["store"].ok
    assert by_part["store"].detail.startswith("postgresql://")
    assert not by_part["platforms"].ok


def test_the_command_prints_one_line_per_part_and_fails_when_one_fails(tmp_path: Path) -> None:
    """`nemobot check` with an unreachable backend and no platform: ok/FAIL lines, exit 1, no traceback."""
    import os
    import socket
    import subprocess
    import sys

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEMO", "TELEGRAM", "DISCORD"))}
    env |= {"NEMOBOT_DATA_DIR": str(tmp_path / "data"), "NEMO_API_URL": f"http://127.0.0.1:{port}"}
    result = subprocess.run(
        [sys.executable, "-m", "bots", "check"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert [line.split()[:2] for line in lines] == [
        ["ok", "settings"], ["ok", "store"], ["FAIL", "nemovideo"], ["FAIL", "platforms"]
    ]  # fmt: skip
    assert "Traceback" not in result.stdout + result.stderr
