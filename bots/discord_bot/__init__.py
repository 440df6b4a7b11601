"""The Discord adapter (discord.py 2.7): slash commands, mentions, DMs and buttons over the core.

Named ``discord_bot`` so it never shadows the ``discord`` library itself.
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    # discord.py imports the standard library's audioop for voice, which we never use; it is
    # deprecated since Python 3.11 and the warning would fail test runs with warnings as errors.
    warnings.filterwarnings("ignore", message="'audioop' is deprecated", category=DeprecationWarning)
    import discord  # noqa: F401

from bots.discord_bot.adapter import DiscordAdapter, DiscordStartError
from bots.discord_bot.settings import DiscordSettings

__all__ = ["DiscordAdapter", "DiscordSettings", "DiscordStartError"]
