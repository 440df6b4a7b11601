"""Bad input through the real discord.py path: each answered clearly within 2 s, the bot carries on."""

from __future__ import annotations

import asyncio

import pytest

from simulator import Simulator
from tests.chaos.test_bad_input import BAD_TEXT
from tests.discord_bot.conftest import Stack, World

# Discord refuses empty messages and caps content at 2000 characters (4000 with Nitro).
TEXTS = [text[:1900] for text in BAD_TEXT if text.strip()]


@pytest.mark.parametrize("text", TEXTS, ids=[f"text{i}" for i in range(len(TEXTS))])
async def test_bad_text_mentioning_the_bot_is_answered_within_two_seconds(
    stack: Stack, world: World, sim: Simulator, text: str
) -> None:
    """No crash and a reply within 2 s."""
    discord = world.discord
    started = asyncio.get_running_loop().time()
    await discord.user_message(world.general, world.ada, text, mention=True)
    replies = await asyncio.wait_for(discord.wait_for(lambda: discord.bot_messages(world.general)), 2.0)
    assert asyncio.get_running_loop().time() - started < 2.0
    assert replies
    await stack.idle(world.general)
