"""Buttons: routed by stable ids across restarts, stale ids answered, Cancel kept to the requester."""

from __future__ import annotations

from pathlib import Path

from simulator import Fault, FaultKind, Scenario, Simulator
from tests.discord_bot.conftest import Stack, World, running_stack
from tests.discord_bot.payloads import MANAGE_MESSAGES, VIEW_AND_CHAT

DEFERRED_UPDATE = 6
EPHEMERAL = 64


async def test_a_button_from_before_a_restart_still_works(
    sim: Simulator, world: World, tmp_path: Path
) -> None:
    """A new process (new client, new core, same SQLite store) answers a click on an old message."""
    discord = world.discord
    data_dir = tmp_path / "data"
    async with running_stack(sim, world, data_dir) as first:
        sim.force_next_turn(Scenario.GENERATION)
        await discord.user_message(world.general, world.ada, "make a video of a city at night", mention=True)
        await discord.wait_for(
            lambda: [m for m in discord.bot_messages(world.general) if "nemobot:status" in m.custom_ids]
        )
        await first.idle(world.general)
    old = next(m for m in discord.bot_messages(world.general) if "nemobot:status" in m.custom_ids)
    before = len(discord.bot_messages(world.general))

    async with running_stack(sim, world, data_dir) as second:
        click = await discord.click(old, world.bob, "nemobot:status")
        status = await discord.wait_for(lambda: discord.bot_messages(world.general)[before:])
        await second.idle(world.general)

    assert click.ack_type == DEFERRED_UPDATE
    assert (click.ack_latency or 0.0) < 3.0
    assert "nemobot:export" in status[0].custom_ids, "status offers Export"
    assert len(discord.identifies) == 2
    assert discord.command_puts == ["global"], "the unchanged command tree was not synced again"


async def test_stale_or_forged_button_ids_and_commands_get_a_short_private_answer(
    stack: Stack, world: World
) -> None:
    """Button ids and subcommands we never issued are answered privately, never left to fail."""
    discord = world.discord
    await discord.user_message(world.general, world.ada, "/help", mention=True)
    message = (await discord.wait_for(lambda: discord.bot_messages(world.general)))[0]
    await stack.idle(world.general)

    clicks = [await discord.click(message, world.bob, custom_id) for custom_id in ("nemobot:rerender", "x:y")]
    command = await discord.slash(world.general, world.bob, "rerender")

    await discord.wait_for(lambda: all(i.original for i in [*clicks, command]))
    for interaction in [*clicks, command]:
        assert interaction.ack_flags & EPHEMERAL
        assert interaction.original is not None
        assert "expired" in interaction.original
    assert len(discord.bot_messages(world.general)) == 1


async def test_only_the_requester_or_a_moderator_can_cancel(
    stack: Stack, world: World, sim: Simulator
) -> None:
    """Bob cannot cancel Ada's running turn; a member with Manage Messages can."""
    discord = world.discord
    quiet = Fault(kind=FaultKind.SSE_HEARTBEATS_ONLY, seconds=5.0)
    sim.force_next_turn(Scenario.GENERATION, faults=[quiet])
    await discord.user_message(world.general, world.ada, "make a video of the sea", mention=True)
    await discord.wait_for(lambda: discord.typing_calls[world.general.id])  # the turn is running

    refused = await discord.slash(world.general, world.bob, "cancel")
    await discord.wait_for(lambda: refused.followups)
    assert stack.bot.busy(stack.chat(world.general)), "still running after the refusal"
    moderator = await discord.slash(
        world.general, world.bob, "cancel", permissions=VIEW_AND_CHAT | MANAGE_MESSAGES
    )
    await discord.wait_for(lambda: [m for m in discord.bot_messages(world.general) if "Stopped" in m.content])
    await stack.idle(world.general)

    assert refused.ack_flags & EPHEMERAL
    assert "Only whoever started the work" in refused.followups[0].content
    assert moderator.original is not None
    assert not stack.bot.busy(stack.chat(world.general))
