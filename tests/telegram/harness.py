"""The real adapter (PTB ``Application`` included) against the fake Bot API and the simulator."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bots.telegram import TelegramAdapter, TelegramSettings
from core.bot import NemoBot
from core.chat import ChatKey
from core.nemo.transport import NemoTransport
from core.skills import SkillProfile
from simulator import Simulator
from storage import SqliteStore
from tests.flows.conftest import make_settings
from tests.telegram.fake_bot_api import FakeBotApi
from tests.telegram.updates import Json, Updates

# Telegram's one message a second (private) and one per three seconds (group), twenty times faster:
# the bot and the fake both follow these, so tests keep the rules without waiting them out.
FAST_PRIVATE_INTERVAL_S = 0.05
FAST_GROUP_INTERVAL_S = 0.15


def chat_of(update: Json) -> ChatKey:
    """The core's chat for an update (a forum topic is its own chat)."""
    message = update.get("message") or update["callback_query"]["message"]
    thread = message.get("message_thread_id") if message.get("is_topic_message") else None
    return ChatKey("telegram", str(message["chat"]["id"]), str(thread) if thread else None)


@dataclass
class TelegramHarness:
    """One bot process: SQLite store, ``NemoBot`` and ``TelegramAdapter``; ``restart`` makes a new one."""

    fake: FakeBotApi
    sim: Simulator
    tmp_path: Path
    http: httpx.AsyncClient
    changes: dict[str, Any] = field(default_factory=dict)
    # Core settings (NEMOBOT_*) a test wants changed, applied at every (re)start.
    core_changes: dict[str, Any] = field(default_factory=dict)
    store: SqliteStore | None = None
    bot: NemoBot | None = None
    adapter: TelegramAdapter | None = None
    # A short lock wait lets a test hold the database locked and see writes fail quickly.
    store_busy_timeout_ms: int = 5000

    @property
    def updates(self) -> Updates:
        return Updates(self.fake)

    def settings(self) -> TelegramSettings:
        values: dict[str, Any] = {
            "telegram_bot_token": self.fake.token,
            "telegram_api_base_url": self.fake.base_url,
            "telegram_file_base_url": self.fake.file_base_url,
            "telegram_poll_timeout_s": 1,
            "telegram_album_wait_s": 0.3,
            # Telegram's pace scaled down twentyfold, as the fake's flood rules are (conftest).
            "telegram_edit_interval_s": FAST_PRIVATE_INTERVAL_S,
            "telegram_group_edit_interval_s": FAST_GROUP_INTERVAL_S,
        }
        values.update(self.changes)
        return TelegramSettings(_env_file=None, **values)

    async def start(self) -> None:
        assert self.sim.base_url is not None
        settings = make_settings(self.sim.base_url, self.tmp_path / "data", **self.core_changes)
        self.store = await SqliteStore.open(
            self.tmp_path / "data" / "nemobot.db", busy_timeout_ms=self.store_busy_timeout_ms
        )

        def transport_for(profile: SkillProfile) -> NemoTransport:
            return NemoTransport(
                self.http, settings.nemo_api_url, profile.attribution(settings.nemo_skill_platform)
            )

        self.bot = NemoBot(settings, self.store, transport_for)
        self.adapter = TelegramAdapter(self.bot, self.settings())
        await self.adapter.start()

    async def stop(self) -> None:
        if self.adapter is not None:
            await self.adapter.stop()
        if self.bot is not None:
            await self.bot.stop()
        if self.store is not None:
            await self.store.close()
        self.adapter = self.bot = self.store = None

    async def restart(self) -> None:
        """A new process over the same database: new Application, new NemoBot, jobs resumed."""
        await self.stop()
        await self.start()
        assert self.bot is not None
        await self.bot.resume()

    async def handled(self, update: Json) -> None:
        """Wait until the core has accepted the update and finished the work it started."""
        await self.fake.confirmed(int(update["update_id"]))
        assert self.bot is not None
        await self.bot.wait_idle(chat_of(update))
