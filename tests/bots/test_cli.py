"""The `nemobot` command line: start-up errors, `run` without platforms, and the simulator server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEMO", "TELEGRAM", "DISCORD"))}
    env["NEMOBOT_DATA_DIR"] = str(tmp_path / "data")
    env.update(extra)
    return env


def _nemobot(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bots", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=_env(tmp_path, **extra),
        check=False,
    )


def test_a_bad_setting_stops_start_up_naming_the_variable(tmp_path: Path) -> None:
    """A wrong value is a clear error naming the variable, exit code 2, no traceback."""
    result = _nemobot(tmp_path, "console", NEMO_SSE_MAX_S="soon", NEMOBOT_ALLOWED="telegram")
    assert result.returncode == 2
    assert "NEMO_SSE_MAX_S" in result.stderr
    assert "NEMOBOT_ALLOWED" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_without_any_platform_token_explains_what_to_set(tmp_path: Path) -> None:
    """`nemobot run` with neither token says which variables to set."""
    result = _nemobot(tmp_path, "run")
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr
    assert "DISCORD_BOT_TOKEN" in result.stderr


def test_the_simulator_command_serves_the_api_on_loopback(tmp_path: Path) -> None:
    """`nemobot simulator --port P` answers the anonymous-token endpoint."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "bots", "simulator", "--port", str(port)],
        cwd=tmp_path,
        env=_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.post(
                    f"http://127.0.0.1:{port}/api/auth/anonymous-token", headers={"X-Client-Id": "cli-test"}
                )
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the simulator did not start"
                time.sleep(0.1)
        assert response.json()["data"]["token"].startswith("nmv_usr_")
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    assert "nmv_usr_" not in stderr
