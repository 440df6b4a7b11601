"""A NemoVideo simulator, a fake Discord, and the real adapter + core wired between them."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

# First of the adapter's imports: it silences discord.py's import-time audioop deprecation warning.
from bots.discord_bot import DiscordAdapter, DiscordSettings
from bots.discord_bot.mapping import chat_key
from core.bot import NemoBot
from core.chat import ChatKey
from core.nemo.transport import NemoTransport
from core.skills import SkillProfile
from simulator import Simulator, SimulatorConfig
from storage import SqliteStore, open_store
from tests.discord_bot.fake_discord import BOT_TOKEN, FakeDiscord
from tests.discord_bot.payloads import FakeChannel, FakeGuild, FakeUser
from tests.harness import make_settings


@dataclass
class World:
    """The fake Discord with one guild, its #general channel, and two members."""

    discord: FakeDiscord
    api_url: str
    guild: FakeGuild
    general: FakeChannel
    ada: FakeUser
    bob: FakeUser


@dataclass
class Stack:
    """One running bot process: core, store and Discord adapter."""

    bot: NemoBot
    adapter: DiscordAdapter
    store: SqliteStore

    async def idle(self, channel: FakeChannel) -> None:
        """Wait until the core has finished everything for a channel."""
        await self.bot.wait_idle(self.chat(channel))

    @staticmethod
    def chat(channel: FakeChannel) -> ChatKey:
        return chat_key(channel.id)


FAST_EDIT_INTERVAL_S = 0.05
# Discord's 5 writes per 5 s per channel, at the same thirtyfold pace as the edits above.
FAST_BUDGET = {"budget": 5, "budget_period_s": 5.0 / 30}


def discord_settings(api_url: str, **changes: Any) -> DiscordSettings:
    values: dict[str, Any] = {
        "discord_bot_token": BOT_TOKEN,
        "discord_api_base_url": api_url,
        "discord_guild_ready_timeout_s": 0.05,
        "discord_ready_timeout_s": 10.0,
        # Discord's 1.5 s edit pace, thirty times faster; the fake's write budget is scaled alike.
        "discord_edit_interval_s": FAST_EDIT_INTERVAL_S,
    }
    return DiscordSettings(_env_file=None, **(values | changes))


@contextlib.asynccontextmanager
async def running_stack(
    sim: Simulator, world: World, data_dir: Path, *, core: dict[str, Any] | None = None, **changes: Any
) -> AsyncIterator[Stack]:
    """Start core + adapter over ``data_dir`` (``core``: core settings, the rest: Discord settings).

    The core stops first, so no work is left running against a closed client.
    """
    assert sim.base_url is not None
    settings = make_settings(sim.base_url, data_dir, **(core or {}))
    store = await open_store(data_dir)
    try:
        async with httpx.AsyncClient(timeout=10.0) as http:

            def transport_for(profile: SkillProfile) -> NemoTransport:
                return NemoTransport(http, settings.nemo_api_url, profile.attribution("discord"))

            bot = NemoBot(settings, store, transport_for)
            adapter = DiscordAdapter(bot, discord_settings(world.api_url, **changes), data_dir=data_dir)
            await adapter.start()
            try:
                yield Stack(bot, adapter, store)
            finally:
                await bot.stop()
                await adapter.stop()
    finally:
        await store.close()


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[Simulator]:
    simulator = Simulator(SimulatorConfig.fast(seed=5, data_dir=tmp_path / "sim", initial_credits=10_000))
    async with simulator.running():
        yield simulator


@pytest.fixture
def fake_options() -> dict[str, Any]:
    return dict(FAST_BUDGET)


@pytest.fixture
async def world(fake_options: dict[str, Any]) -> AsyncIterator[World]:
    discord = FakeDiscord(**fake_options)
    guild = discord.add_guild("Studio")
    general = discord.add_channel(guild, "general")
    api_url = await discord.start()
    try:
        yield World(discord, api_url, guild, general, discord.add_user("ada"), discord.add_user("bob"))
    finally:
        await discord.stop()
    assert not discord.leaks, f"a secret reached a Discord channel: {discord.leaks}"


@pytest.fixture
def adapter_options() -> dict[str, Any]:
    return {}


@pytest.fixture
async def stack(
    sim: Simulator, world: World, tmp_path: Path, adapter_options: dict[str, Any]
) -> AsyncIterator[Stack]:
    async with running_stack(sim, world, tmp_path / "data", **adapter_options) as running:
        yield running
