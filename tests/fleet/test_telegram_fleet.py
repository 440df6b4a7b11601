"""Telegram in a fleet: long polling stays with one worker; a second one is refused with a clear word."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bots.telegram import TelegramAdapter, TelegramSettings
from core.bot import NemoBot
from core.leases import Fleet
from core.nemo.transport import NemoTransport
from core.settings import SettingsError
from core.skills import SkillProfile
from simulator import Simulator
from storage import PostgresStore
from tests.harness import make_settings
from tests.pg import fresh_schema
from tests.telegram.fake_bot_api import FakeBotApi


async def test_a_second_worker_may_not_long_poll_the_same_bot(
    fake: FakeBotApi, sim: Simulator, tmp_path: Path
) -> None:
    """Worker a polls; worker b's Telegram start fails, naming a and the webhook settings to use."""
    assert sim.base_url is not None
    settings = make_settings(sim.base_url, tmp_path / "data")
    telegram = TelegramSettings(
        _env_file=None,
        telegram_bot_token=fake.token,
        telegram_api_base_url=fake.base_url,
        telegram_file_base_url=fake.file_base_url,
        telegram_poll_timeout_s=1,
    )
    with fresh_schema() as url:
        async with httpx.AsyncClient(timeout=10.0) as http:

            def transport_for(profile: SkillProfile) -> NemoTransport:
                return NemoTransport(http, settings.nemo_api_url, profile.attribution("test"))

            stores = [await PostgresStore.open(url) for _ in range(2)]
            bots = [
                NemoBot(settings, store, transport_for, fleet=Fleet(name, lease_s=30, poll_s=0.05))
                for store, name in zip(stores, ("a", "b"), strict=True)
            ]
            first = TelegramAdapter(bots[0], telegram)
            second = TelegramAdapter(bots[1], telegram)
            try:
                await first.start()
                with pytest.raises(SettingsError, match=r"worker a already polls.*TELEGRAM_WEBHOOK_URL"):
                    await second.start()
            finally:
                await first.stop()
                for bot in bots:
                    await bot.stop()
                for store in stores:
                    await store.close()
