"""Export results: the MP4 attached when it fits the channel, the link otherwise, always a new message
that mentions whoever asked."""

from __future__ import annotations

from pathlib import Path

from core.i18n import t
from simulator import Endpoint, Fault, FaultKind, Scenario, Simulator
from tests.discord_bot.conftest import Stack, World, running_stack
from tests.discord_bot.fake_discord import FakeDiscord
from tests.discord_bot.payloads import MIB, FakeChannel, FakeUser


async def _generate_then_export(
    discord: FakeDiscord, sim: Simulator, channel: FakeChannel, user: FakeUser
) -> None:
    sim.force_next_turn(Scenario.GENERATION)
    await discord.user_message(channel, user, "make a video of a city at night", mention=True)
    await discord.wait_for(
        lambda: any("nemobot:export" in m.custom_ids for m in discord.bot_messages(channel))
    )
    await discord.slash(channel, user, "export")


def _result(discord: FakeDiscord, channel: FakeChannel) -> list[str]:
    return [m.content for m in discord.bot_messages(channel) if "nemobot:new" in m.custom_ids]


async def test_a_small_export_is_attached_and_a_large_one_linked_both_mentioning_the_requester(
    stack: Stack, world: World, sim: Simulator
) -> None:
    """A 33 kB render is uploaded; an 11 MiB one (over the 10 MiB default) becomes a link."""
    discord = world.discord
    await _generate_then_export(discord, sim, world.general, world.ada)
    await discord.wait_for(lambda: _result(discord, world.general))
    await stack.idle(world.general)
    sim.config.render_output_bytes = 11 * MIB
    await discord.slash(world.general, world.ada, "export")
    await discord.wait_for(lambda: len(_result(discord, world.general)) == 2)
    await stack.idle(world.general)

    small, large = [m for m in discord.bot_messages(world.general) if "nemobot:new" in m.custom_ids]
    assert small.files
    assert 0 < small.files[0][1] < MIB
    assert not large.files
    assert "http://" in large.content
    assert "too large" in large.content.lower() or "MB" in large.content
    for result in (small, large):
        assert result.content.startswith(f"<@{world.ada.id}> ")
    assert not discord.rejected


async def test_an_export_over_this_channels_limit_is_linked_even_where_another_guild_allows_it(
    sim: Simulator, world: World, tmp_path: Path
) -> None:
    """With a boosted guild (50 MiB) next to an unboosted one, 11 MiB is attached only where it fits."""
    discord = world.discord
    boosted_guild = discord.add_guild("Boosted", premium_tier=2)
    boosted = discord.add_channel(boosted_guild, "renders")
    sim.config.render_output_bytes = 11 * MIB
    async with running_stack(sim, world, tmp_path / "data") as stack:
        for channel in (world.general, boosted):
            await _generate_then_export(discord, sim, channel, world.bob)
        await discord.wait_for(lambda: _result(discord, world.general) and _result(discord, boosted))
        for channel in (world.general, boosted):
            await stack.idle(channel)

    linked = next(m for m in discord.bot_messages(world.general) if "nemobot:new" in m.custom_ids)
    attached = next(m for m in discord.bot_messages(boosted) if "nemobot:new" in m.custom_ids)
    assert not linked.files
    assert "http://" in linked.content
    assert attached.files
    assert attached.files[0][1] > 10 * MIB
    assert not discord.rejected, "the adapter checked the limit before uploading"


async def test_a_double_clicked_export_button_renders_once(
    stack: Stack, world: World, sim: Simulator
) -> None:
    """Two clicks on Export (two interactions, as a double click makes) while the render runs: one
    render; the second click is told the export is on its way."""
    discord = world.discord
    sim.force_next_turn(Scenario.GENERATION)
    await discord.user_message(world.general, world.ada, "make a video of a city at night", mention=True)

    def offer_message() -> object:
        return next(
            (m for m in discord.bot_messages(world.general) if "nemobot:export" in m.custom_ids), None
        )

    offer = await discord.wait_for(offer_message)
    await stack.idle(world.general)
    sim.faults.add(Fault(kind=FaultKind.RENDER_STUCK, endpoint=Endpoint.RENDER_SUBMIT))  # stays running
    for _click in range(2):
        await discord.click(offer, world.ada, "nemobot:export")
    busy = t("en", "export_in_progress")
    await discord.wait_for(lambda: any(busy in m.content for m in discord.bot_messages(world.general)))
    await discord.wait_for(lambda: sim.stats.render_submissions == 1 or None)
    assert sim.stats.render_submissions == 1
    await discord.slash(world.general, world.ada, "cancel")
    await stack.idle(world.general)
    assert sim.stats.render_submissions == 1


async def test_a_failed_export_leaves_a_red_job_card_saying_why(
    stack: Stack, world: World, sim: Simulator
) -> None:
    """The render fails twice: the card stays, turns red, and carries the explanation."""

    discord = world.discord
    sim.faults.add(Fault(kind=FaultKind.RENDER_FAIL, endpoint=Endpoint.RENDER_SUBMIT, times=2))
    await _generate_then_export(discord, sim, world.general, world.ada)

    def red() -> list[dict[str, object]]:
        return [
            m.payload["embeds"][0]
            for m in discord.bot_messages(world.general)
            if m.payload.get("embeds") and m.payload["embeds"][0].get("color") == 0xED4245
        ]

    [card] = await discord.wait_for(red)
    await stack.idle(world.general)
    assert card["title"] == "Export"
    assert "❌" in str(card["description"])
