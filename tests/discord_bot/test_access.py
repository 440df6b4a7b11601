"""The core's access rules on Discord: refusals stay private, secrets do not stay in channels."""

from __future__ import annotations

from pathlib import Path

from simulator import Simulator
from tests.discord_bot.conftest import World, running_stack

EPHEMERAL = 64
CHANNEL_MESSAGE = 4


async def test_people_outside_the_access_list_are_refused_privately_and_at_once(
    sim: Simulator, world: World, tmp_path: Path
) -> None:
    """With NEMOBOT_ALLOWED naming only Ada, Bob's command and button get a private refusal."""
    discord = world.discord
    allowed = {"nemobot_allowed": f"discord:{world.ada.id}"}
    async with running_stack(sim, world, tmp_path / "data", core=allowed) as stack:
        await discord.user_message(world.general, world.ada, "/help", mention=True)
        help_message = (await discord.wait_for(lambda: discord.bot_messages(world.general)))[0]
        await stack.idle(world.general)

        command = await discord.slash(world.general, world.bob, "export")
        click = await discord.click(help_message, world.bob, "nemobot:status")
        await discord.wait_for(lambda: command.original and click.original)

    for refused in (command, click):
        assert refused.ack_type == CHANNEL_MESSAGE
        assert refused.ack_flags & EPHEMERAL
        assert refused.original is not None
        assert "isn't available" in refused.original
    assert len(discord.bot_messages(world.general)) == 1, "nothing was posted in the channel"


async def test_a_token_sent_in_a_channel_is_deleted_and_refused(
    sim: Simulator, world: World, tmp_path: Path
) -> None:
    """@NemoBot /token nmv_usr_… in a guild channel: the message is deleted and the user told why."""
    discord = world.discord
    async with running_stack(sim, world, tmp_path / "data") as stack:
        secret = await discord.user_message(
            world.general, world.ada, "/token nmv_usr_abcdefghijklmnopqrstuvwxyz", mention=True
        )
        replies = await discord.wait_for(lambda: discord.bot_messages(world.general))
        await stack.idle(world.general)

    assert discord.deleted == [int(secret["id"])]
    assert "Never share a token in a group" in replies[0].content
    assert "nmv_usr_" not in replies[0].content
