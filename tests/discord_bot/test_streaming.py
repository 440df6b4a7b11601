"""Streaming by edits within Discord's per-channel budget, and riding out 429s without losing text."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from simulator import Scenario, Simulator
from tests.discord_bot.conftest import Stack, World
from tests.discord_bot.fake_discord import FakeDiscord
from tests.discord_bot.fake_state import FakeMessage
from tests.discord_bot.payloads import FakeChannel


async def _streamed_generation(stack: Stack, world: World, sim: Simulator, chunk_s: float) -> FakeMessage:
    discord = world.discord
    sim.config.partial_chunk_seconds = chunk_s / sim.config.time_scale
    sim.force_next_turn(Scenario.GENERATION)
    await discord.user_message(world.general, world.ada, "make a video of a city at night", mention=True)
    await discord.wait_for(
        lambda: any("nemobot:export" in m.custom_ids for m in discord.bot_messages(world.general))
    )
    await stack.idle(world.general)
    return discord.bot_messages(world.general)[0]


def _most_writes_in(discord: FakeDiscord, channel: FakeChannel, seconds: float) -> int:
    times = discord.writes[channel.id]
    return max((sum(1 for t in times if start <= t < start + seconds) for start in times), default=0)


@pytest.mark.parametrize("adapter_options", [{"discord_edit_interval_s": 1.5}])
@pytest.mark.parametrize("fake_options", [{"budget": 5, "budget_period_s": 5.0}])
async def test_streamed_edits_stay_within_discords_per_channel_budget(
    stack: Stack, world: World, sim: Simulator
) -> None:
    """A reply streamed for several seconds is edited every 1.5 s or slower and never meets a 429."""
    reply = await _streamed_generation(stack, world, sim, chunk_s=0.4)

    times = [at for at, _text in reply.history]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert len(times) >= 3, "shown early, edited while streaming, then finished"
    assert min(gaps) >= 1.45
    assert not world.discord.rate_limited
    assert _most_writes_in(world.discord, world.general, 5.0) <= 5
    assert not reply.content.endswith("…")


@pytest.mark.parametrize("fake_options", [{"budget": 1, "budget_period_s": 0.5, "ratelimit_headers": False}])
async def test_a_429_is_waited_out_and_no_text_is_lost(
    stack: Stack, world: World, sim: Simulator, fake_options: dict[str, Any]
) -> None:
    """With a tight budget and no rate-limit headers, 429s are retried and the final text still lands."""
    reply = await _streamed_generation(stack, world, sim, chunk_s=0.2)

    assert world.discord.rate_limited, "the fake did answer 429"
    assert "nemobot:export" in reply.custom_ids, "the final version (with its buttons) arrived"
    assert reply.content == reply.history[-1][1]
    assert not world.discord.rejected


async def test_a_reply_whose_message_was_deleted_continues_in_a_new_message(
    stack: Stack, world: World, sim: Simulator
) -> None:
    """Someone deletes the message being streamed: the next version arrives as a new message."""
    discord = world.discord
    sim.config.partial_chunk_seconds = 0.3 / sim.config.time_scale
    sim.force_next_turn(Scenario.GENERATION)
    await discord.user_message(world.general, world.ada, "make a video of a city at night", mention=True)
    first = (await discord.wait_for(lambda: discord.bot_messages(world.general)))[0]
    first.deleted = True

    def finished() -> list[FakeMessage]:
        return [m for m in discord.bot_messages(world.general) if "nemobot:export" in m.custom_ids]

    final = (await discord.wait_for(finished))[0]
    await stack.idle(world.general)
    assert final.id != first.id
    assert len(first.history) == 1, "never edited after it was deleted"
