"""`nemobot run` as a host runs it: JSON logs, the ops port, and one platform down while the other runs."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from simulator import Simulator
from tests.telegram.fake_bot_api import BOT_USERNAME, TOKEN, FakeBotApi
from tests.telegram.processes import run_env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi()
    await api.start()
    try:
        yield api
    finally:
        await api.stop()


@pytest.mark.slow
async def test_telegram_runs_and_reports_healthy_while_discord_cannot_start(
    sim: Simulator, fake: FakeBotApi, tmp_path: Path
) -> None:
    """Discord's API is unreachable: one JSON line says so, Telegram starts, /healthz lists it."""
    assert sim.base_url is not None
    ops_port = free_port()
    env = run_env(
        sim,
        fake,
        tmp_path / "data",
        NEMOBOT_LOG_FORMAT="json",
        NEMOBOT_OPS_PORT=str(ops_port),
        NEMOBOT_START_RETRIES="0",
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_POLL_TIMEOUT_S="0",
        DISCORD_BOT_TOKEN="MTIzNDU2Nzg5MDEyMzQ1Njc4.GfakeX.fakefakefakefakefakefakefakefakefake12",
        DISCORD_API_BASE_URL=f"http://127.0.0.1:{free_port()}/api/v10",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bots", "run",
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stderr is not None
    entries: list[dict[str, object]] = []
    try:
        async with asyncio.timeout(60):  # a guard against a hang, not a speed assertion
            while not any("nemobot is running" in str(e["message"]) for e in entries):
                line = await process.stderr.readline()
                assert line, f"nemobot run exited early: {entries}"
                entries.append(json.loads(line))
        async with httpx.AsyncClient() as http:
            health = await http.get(f"http://127.0.0.1:{ops_port}/healthz")
            metrics = await http.get(f"http://127.0.0.1:{ops_port}/metrics")
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        rest = await process.stderr.read()
        await process.wait()
    assert health.status_code == 200
    assert health.json() == {"ready": True, "store": "up", "platforms": ["telegram"]}
    assert "nemobot_queue_depth" in metrics.text
    messages = [str(e["message"]) for e in entries]
    assert any(m.startswith("discord did not start:") for m in messages), messages
    assert any(BOT_USERNAME in m for m in messages), messages
    assert "Traceback" not in "\n".join(messages) + rest.decode()
    assert process.returncode == 0
