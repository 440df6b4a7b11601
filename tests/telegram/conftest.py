"""Fixtures: the fake Bot API, the NemoVideo simulator, and a started Telegram bot between them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from simulator import Simulator, SimulatorConfig
from tests.telegram.fake_bot_api import FakeBotApi
from tests.telegram.fake_model import Flood
from tests.telegram.harness import FAST_GROUP_INTERVAL_S, FAST_PRIVATE_INTERVAL_S, TelegramHarness


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """Durations as timedeltas, as the adapter opts in; set here so the test leaves no trace."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi()
    # The fake enforces Telegram's flood rules at the harness's faster pace (test_burst uses the real one).
    api.flood = Flood(private=(5, FAST_PRIVATE_INTERVAL_S), group=(20, FAST_GROUP_INTERVAL_S))
    await api.start()
    try:
        yield api
    finally:
        await api.stop()
    assert not api.leaks, f"a secret reached a Telegram chat: {api.leaks}"


@pytest.fixture
def sim_config(tmp_path: Path) -> SimulatorConfig:
    return SimulatorConfig.fast(seed=5, data_dir=tmp_path / "sim", initial_credits=100_000)


# The running simulator itself is tests.harness's `sim` fixture, built from this `sim_config`.


@pytest.fixture
def telegram_changes() -> dict[str, Any]:
    """TELEGRAM_* settings a test module wants changed (override this fixture)."""
    return {}


@pytest.fixture
async def telegram(
    fake: FakeBotApi, sim: Simulator, tmp_path: Path, telegram_changes: dict[str, Any]
) -> AsyncIterator[TelegramHarness]:
    async with httpx.AsyncClient(timeout=10.0) as http:
        harness = TelegramHarness(fake, sim, tmp_path, http, dict(telegram_changes))
        await harness.start()
        try:
            yield harness
        finally:
            await harness.stop()
