"""A thread per project in a busy channel (DISCORD_THREAD_PER_PROJECT), through the real discord.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from simulator import Scenario, Simulator
from tests.discord_bot.conftest import Stack, World, running_stack


async def _busy(world: World) -> None:
    """Bob chats in #general (not to the bot): the channel is busy for anyone else."""
    await world.discord.user_message(world.general, world.bob, "anyone seen the new trailer?")


async def test_a_request_in_a_busy_channel_moves_into_its_own_thread(
    stack: Stack, world: World, sim: Simulator
) -> None:
    discord = world.discord
    await _busy(world)
    sim.force_next_turn(Scenario.CHAT)
    asked = await discord.user_message(
        world.general, world.ada, "make a video of the harbour at dawn", mention=True
    )
    [(message_id, thread)] = await discord.wait_for(lambda: discord.threads_started)
    assert message_id == int(asked["id"])
    assert thread.name == "make a video of the harbour at dawn"
    await discord.wait_for(lambda: discord.bot_messages(thread))
    await stack.idle(thread)
    assert not discord.bot_messages(world.general), "the answer is in the thread, not the channel"

    # In the bot's own thread a follow-up needs no @mention, and continues the same project.
    sim.force_next_turn(Scenario.CHAT)
    await discord.user_message(thread, world.ada, "make it a bit slower")
    await discord.wait_for(lambda: len(discord.bot_messages(thread)) >= 2)
    await stack.idle(thread)
    record = await stack.store.get_chat(stack.chat(thread))
    assert record is not None
    assert sim.stats.run_sse_calls(record.session_id or "") == 2
    assert len(discord.threads_started) == 1


async def test_a_quiet_channel_a_reply_and_a_command_stay_where_they_are(
    stack: Stack, world: World, sim: Simulator
) -> None:
    discord = world.discord
    sim.force_next_turn(Scenario.CHAT)
    await discord.user_message(world.general, world.ada, "hello", mention=True)
    first = (await discord.wait_for(lambda: discord.bot_messages(world.general)))[0]
    await stack.idle(world.general)
    await _busy(world)
    await discord.user_message(world.general, world.ada, "and music?", reply_to=first)
    await discord.user_message(world.general, world.ada, "/status", mention=True)
    await discord.wait_for(lambda: len(discord.bot_messages(world.general)) >= 3)
    await stack.idle(world.general)
    assert not discord.threads_started


@pytest.mark.parametrize("how", ["opted out", "no permission"])
async def test_without_threads_the_request_is_answered_in_the_channel(
    sim: Simulator, world: World, tmp_path: Path, how: str
) -> None:
    discord = world.discord
    discord.threads_forbidden = how == "no permission"
    changes: dict[str, Any] = {"discord_thread_per_project": False} if how == "opted out" else {}
    async with running_stack(sim, world, tmp_path / "data", **changes) as stack:
        await _busy(world)
        sim.force_next_turn(Scenario.CHAT)
        await discord.user_message(world.general, world.ada, "make a video of rain", mention=True)
        await discord.wait_for(lambda: discord.bot_messages(world.general))
        await stack.idle(world.general)
    assert not discord.threads_started
