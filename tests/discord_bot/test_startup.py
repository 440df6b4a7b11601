"""Start-up: commands synced to the configured guilds only when they changed; clear failures."""

from __future__ import annotations

import re
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
    "token",
    "whoami",
    "admin",
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


_NAME = re.compile(r"^[-_\w]{1,32}$")


async def test_command_names_and_descriptions_are_localised_in_chinese(
    sim: Simulator, world: World, tmp_path: Path
) -> None:
    """The synced payload (as Discord received it) carries zh-CN names and descriptions for the
    group, every subcommand and every option, all valid; English stays the default."""
    guild = str(world.guild.id)
    async with running_stack(sim, world, tmp_path / "data", discord_guild_ids=guild):
        pass
    (video,) = world.discord.commands[f"guild:{guild}"]
    assert video["name_localizations"]["zh-CN"] == "视频"
    assert video["description_localizations"]["zh-CN"].startswith("用聊天")

    def walk(node: dict[str, object]) -> list[dict[str, object]]:
        children = node.get("options")
        found = [node]
        for child in children if isinstance(children, list) else []:
            if isinstance(child, dict) and child.get("type") in (1, 2, 3, 11):
                found.extend(walk(child))
        return found

    nodes = walk(video)
    assert len(nodes) > len(SUBCOMMANDS)
    for node in nodes:
        names = node.get("name_localizations")
        descriptions = node.get("description_localizations")
        assert isinstance(names, dict), node["name"]
        assert isinstance(descriptions, dict), node["name"]
        zh_name, zh_description = names.get("zh-CN"), descriptions.get("zh-CN")
        assert isinstance(zh_name, str), node["name"]
        assert _NAME.match(zh_name), zh_name
        assert zh_name == zh_name.lower(), zh_name
        assert isinstance(zh_description, str), node["name"]
        assert 1 <= len(zh_description) <= 100
        assert re.search(r"[\u4e00-\u9fff]", zh_name + zh_description), node["name"]
        assert node["name"] in SUBCOMMANDS | {
            "video",
            "prompt",
            "attachment",
            "url",
            "mode",
            "language",
            "value",
            "report",
        }
