"""Start-up: commands synced to the configured guilds only when they changed; clear failures."""

from __future__ import annotations

from pathlib import Path

import pytest
from discord.http import Route

from bots.discord_bot import DiscordStartError
from simulator import Simulator
from tests.discord_bot.conftest import World, running_stack

SUBCOMMANDS = {
    "ask",
    "edit",
    "upload",
    "status",
    "credits",
    "export",
    "new",
    "cancel",
    "help",
    "skill",
    "lang",
}


async def test_commands_sync_to_the_configured_guild_only_when_they_changed(
    sim: Simulator, world: World, tmp_path: Path
) -> None:
    """Two starts sync once (hash unchanged); DISCORD_COMMAND_SYNC=always forces a second sync."""
    data_dir = tmp_path / "data"
    guild = str(world.guild.id)
    for _start in range(2):
        async with running_stack(sim, world, data_dir, discord_guild_ids=guild):
            pass
    assert world.discord.command_puts == [f"guild:{guild}"]
    async with running_stack(sim, world, data_dir, discord_guild_ids=guild, discord_command_sync="always"):
        pass
    assert world.discord.command_puts == [f"guild:{guild}"] * 2

    (video,) = world.discord.commands[f"guild:{guild}"]
    assert video["name"] == "video"
    subcommands = {option["name"]: option for option in video["options"]}
    assert set(subcommands) == SUBCOMMANDS
    ask_options = {option["name"]: option["type"] for option in subcommands["ask"]["options"]}
    assert ask_options == {"prompt": 3, "attachment": 11}
    assert (data_dir / "discord-commands.json").is_file()


async def test_a_refused_token_stops_start_up_with_a_clear_error(
    sim: Simulator, world: World, tmp_path: Path
) -> None:
    """A token Discord refuses fails start() with a readable error and leaves discord.py as it was."""
    with pytest.raises(DiscordStartError, match="refused DISCORD_BOT_TOKEN"):
        async with running_stack(sim, world, tmp_path / "data", discord_bot_token="not-the-token"):
            pass
    assert Route.BASE == "https://discord.com/api/v10"
    assert not world.discord.identifies
