"""The discord.py internals the fake and the adapter rely on: fails loudly if a release moves them."""

from __future__ import annotations

import inspect
from pathlib import Path

import discord
import yarl
from discord import utils
from discord.gateway import DiscordWebSocket
from discord.http import HTTPClient, Route
from discord.webhook import async_ as webhook_async

from bots.discord_bot import DiscordAdapter
from simulator import Simulator
from tests.discord_bot.conftest import World, running_stack


def test_route_base_and_the_default_gateway_are_the_class_attributes_we_redirect() -> None:
    """REST and webhook URLs are built from Route.BASE; the first connection uses DEFAULT_GATEWAY."""
    assert discord.version_info[:2] >= (2, 7), "written against discord.py 2.7"
    original = Route.BASE
    assert original == "https://discord.com/api/v10"
    try:
        Route.BASE = "http://127.0.0.1:9/api/v10"
        assert Route("GET", "/users/@me").url == "http://127.0.0.1:9/api/v10/users/@me"
    finally:
        Route.BASE = original
    assert vars(webhook_async)["Route"] is Route, "interaction callbacks and followups follow Route.BASE too"
    assert isinstance(DiscordWebSocket.DEFAULT_GATEWAY, yarl.URL)
    assert "gateway" in inspect.signature(DiscordWebSocket.from_client).parameters
    assert inspect.iscoroutinefunction(HTTPClient.get_bot_gateway)
    assert "attachment_size_limit" in inspect.getsource(discord.Interaction._from_data)
    assert utils.DEFAULT_FILE_SIZE_LIMIT_BYTES == 10 * 1024 * 1024
    assert hasattr(discord.VoiceClient, "warn_nacl")
    assert hasattr(discord.VoiceClient, "warn_dave")


async def test_a_running_client_uses_the_fake_gateway_with_the_parameters_it_expects(
    sim: Simulator, world: World, tmp_path: Path
) -> None:
    """The client connects with v=10, JSON and zlib-stream, identifies with our intents, and is undone."""
    async with running_stack(sim, world, tmp_path / "data"):
        assert world.api_url == Route.BASE
    assert world.discord.gateway_queries == [{"v": "10", "encoding": "json", "compress": "zlib-stream"}]
    (identify,) = world.discord.identifies
    assert identify["intents"] == DiscordAdapter.intents().value
    assert identify["intents"] & (1 << 15), "message content intent requested"
    assert Route.BASE == "https://discord.com/api/v10", "restored on stop"
    assert str(DiscordWebSocket.DEFAULT_GATEWAY) == "wss://gateway.discord.gg/"
