"""The standalone server entry point used by `nemobot simulator`."""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path

import httpx
import pytest

from simulator import Simulator, SimulatorConfig
from simulator.server import serve


async def test_serve_logs_its_url_and_serves_until_cancelled(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.INFO, logger="simulator.server")
    task = asyncio.create_task(serve("127.0.0.1", 0, SimulatorConfig.fast(data_dir=tmp_path)))
    for _ in range(200):
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", caplog.text)
        if match:
            break
        await asyncio.sleep(0.01)
    assert match, caplog.text
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{match.group(1)}/api/auth/anonymous-token", headers={"X-Client-Id": "c"}
        )
    assert response.json()["code"] == 0
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert "nmv_usr_" not in caplog.text  # tokens never reach the log


async def test_a_simulator_without_data_dir_uses_a_temp_dir_it_removes_on_stop() -> None:
    simulator = Simulator(SimulatorConfig.fast())
    async with simulator.running():
        data_dir = simulator.data_dir
        assert data_dir.is_dir()
    assert not data_dir.exists()
    with pytest.raises(RuntimeError):
        _ = simulator.data_dir


async def test_a_failed_start_leaves_no_server_or_temp_dir_behind(sim: Simulator) -> None:
    port = int(str(sim.base_url).rsplit(":", 1)[1])
    other = Simulator(SimulatorConfig.fast())
    with pytest.raises(OSError, match="address already in use"):
        await other.start("127.0.0.1", port)  # taken by `sim`
    assert other.base_url is None
    with pytest.raises(RuntimeError):
        _ = other.data_dir
