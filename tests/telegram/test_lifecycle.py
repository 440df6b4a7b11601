"""Starting and stopping: a rejected token fails start-up cleanly; a clean stop confirms updates."""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

import httpx
import pytest

from bots.telegram import TelegramAdapter, TelegramSettings
from core.bot import NemoBot
from core.nemo.transport import NemoTransport
from core.settings import SettingsError
from core.skills import SkillProfile
from storage import MemoryStore
from tests.flows.conftest import make_settings
from tests.telegram.fake_bot_api import FakeBotApi
from tests.telegram.harness import TelegramHarness

WRONG_TOKEN = "987654321:AAHwrongTokenForTestsOnly-0123456789ab"


async def test_a_token_telegram_rejects_fails_start_up_and_leaves_nothing_behind(
    fake: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """getMe answers 401: start() names the variable, and the token is in no message or log line."""
    caplog.set_level(logging.DEBUG)
    async with httpx.AsyncClient() as http:
        settings = make_settings("http://127.0.0.1:9", tmp_path)

        def transport_for(profile: SkillProfile) -> NemoTransport:
            return NemoTransport(http, settings.nemo_api_url, profile.attribution("test"))

        core = NemoBot(settings, MemoryStore(), transport_for)
        telegram = TelegramSettings(
            _env_file=None, telegram_bot_token=WRONG_TOKEN, telegram_api_base_url=fake.base_url
        )
        adapter = TelegramAdapter(core, telegram)
        with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN") as caught:
            await adapter.start()
        await adapter.stop()  # harmless after a failed start
    assert not core.attached("telegram")
    secret = WRONG_TOKEN.split(":")[1]
    assert secret not in caplog.text
    assert secret not in "".join(traceback.format_exception(caught.value))
    assert not logging.getLogger("httpx").filters


async def test_a_clean_stop_confirms_every_accepted_update(telegram: TelegramHarness) -> None:
    """After stop(), Telegram has been told to forget what the core took, so nothing comes twice."""
    chat = telegram.updates.private()
    update = telegram.updates.message(chat, "/credits")
    await telegram.handled(update)
    await telegram.stop()
    assert telegram.fake.confirmed_offset > update["update_id"]
    assert not telegram.fake.pending(0)
