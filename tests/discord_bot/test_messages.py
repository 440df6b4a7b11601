"""Gateway messages: DMs always, guild channels only when the bot is mentioned or replied to."""

from __future__ import annotations

from simulator import Scenario, Simulator
from tests.discord_bot.conftest import Stack, World


async def test_a_mention_in_a_guild_channel_is_answered_in_that_channel(
    stack: Stack, world: World, sim: Simulator
) -> None:
    """@NemoBot in #general gets a reply in #general, as a normal message of the bot."""
    discord = world.discord
    sim.force_next_turn(Scenario.CHAT)

    await discord.user_message(world.general, world.ada, "what can you do?", mention=True)

    replies = await discord.wait_for(lambda: discord.bot_messages(world.general))
    await stack.idle(world.general)
    assert replies[0].content.startswith("Good question")
    assert sim.stats.turns_started == 1
    assert discord.typing_calls[world.general.id] >= 1


async def test_an_unaddressed_guild_message_is_ignored(stack: Stack, world: World, sim: Simulator) -> None:
    """Chatter in a channel that does not mention the bot reaches neither the core nor the backend."""
    discord = world.discord
    sim.force_next_turn(Scenario.CHAT)
    # Ada asks first: after Bob's chatter the channel would be busy and her request get a thread.
    await discord.user_message(world.general, world.ada, "hello", mention=True)
    chatter = await discord.user_message(world.general, world.bob, "lunch anyone? let's make a video later")

    await discord.wait_for(lambda: discord.bot_messages(world.general))
    await stack.idle(world.general)
    assert sim.stats.turns_started == 1
    assert len(discord.bot_messages(world.general)) == 1
    # Never handed to the core: its id was never claimed for de-duplication.
    assert await stack.store.claim_message(stack.chat(world.general), chatter["id"])


async def test_replies_dms_and_threads_each_reach_the_bot_as_their_own_conversation(
    stack: Stack, world: World, sim: Simulator
) -> None:
    """A reply to the bot, a DM without mention, and a thread mention: three chats, three sessions."""
    discord = world.discord
    thread = discord.add_channel(world.guild, "cut-ideas", parent=world.general)
    direct = discord.add_channel(None, "dm", recipient=world.ada)
    await discord.user_message(world.general, world.ada, "hello", mention=True)
    first = (await discord.wait_for(lambda: discord.bot_messages(world.general)))[0]
    await stack.idle(world.general)

    await discord.user_message(world.general, world.bob, "and what about music?", reply_to=first)
    await discord.user_message(direct, world.ada, "hi from my DMs")
    await discord.user_message(thread, world.bob, "hi from the thread", mention=True)

    await discord.wait_for(lambda: len(discord.bot_messages(world.general)) >= 2)
    await discord.wait_for(lambda: discord.bot_messages(direct) and discord.bot_messages(thread))
    for channel in (world.general, direct, thread):
        await stack.idle(channel)
    records = [await stack.store.get_chat(stack.chat(c)) for c in (world.general, direct, thread)]
    session_ids = {record.session_id for record in records if record is not None}
    assert len(session_ids) == 3
    assert sim.stats.turns_started == 4
