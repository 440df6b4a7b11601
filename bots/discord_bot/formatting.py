"""Turning the core's text into Discord message content that fits and renders as meant.

Streaming versions (``final=False``) are shown literally: markdown characters are escaped, so a
half-streamed ``**bold`` never renders as broken markup. The final version keeps the agent's
markdown (Discord renders it natively) and only repairs what would swallow the rest of the
message: an unclosed code fence. Links are never escaped, so they stay clickable. Pings are
prevented by ``allowed_mentions`` when sending, not by rewriting the text.
"""

from __future__ import annotations

import re

import discord

from core.chat import utf16_length
from core.redact import carries_token

MAX_CONTENT = 2000
"""Discord's limit for message content (counted here in UTF-16 units, never fewer than Discord's)."""

GROUP = "video"
"""The slash-command group every command lives in (``/video export``)."""

SUBCOMMANDS = ("upload", "status", "credits", "export", "new", "skill", "lang", "cancel", "help")

# "/export" in the core's texts (help, hints) becomes "/video export", the command Discord offers.
# Not after a word character, slash, colon or dot, so paths and URLs ("https://x/export") stay.
_COMMAND_HINT = re.compile(r"(?<![\w/:.<])/(" + "|".join(SUBCOMMANDS) + r")\b")
_FENCE = "```"
_ELLIPSIS = "…"


def with_command_group(text: str) -> str:
    """Rewrite the core's ``/command`` hints as ``/video command``."""
    return _COMMAND_HINT.sub(lambda match: f"/{GROUP} {match[1]}", text)


def close_fences(text: str) -> str:
    """Close an unbalanced ``` fence, which would otherwise turn the rest into a code block."""
    return text + "\n" + _FENCE if text.count(_FENCE) % 2 else text


def literal(text: str) -> str:
    """User text shown as typed: markdown characters escaped, links left working."""
    return discord.utils.escape_markdown(text)


def fit(text: str, limit: int = MAX_CONTENT) -> str:
    """``text`` cut to ``limit`` UTF-16 units (with an ellipsis) if it is longer."""
    if utf16_length(text) <= limit:
        return text
    budget = limit - utf16_length(_ELLIPSIS)
    cut = text[:budget]
    while utf16_length(cut) > budget:
        cut = cut[:-1]
    return cut + _ELLIPSIS


def render(text: str, *, final: bool, limit: int = MAX_CONTENT) -> str:
    """Message content for one version of a reply (see the module docstring)."""
    text = with_command_group(text)
    shown = close_fences(text) if final else literal(text)
    if utf16_length(shown) > limit:
        # Escaping added too much: the plain text reads better than a truncated escaped one.
        shown = close_fences(text) if utf16_length(close_fences(text)) <= limit else text
    return fit(shown, limit)


def quote_prompt(prompt: str, limit: int = 300) -> str:
    """A short quote of what the user asked, for the interaction's "working on it" note.

    A prompt carrying a NemoVideo token (in any form) is not quoted at all: the token would be
    posted back into the channel for everyone to read."""
    if carries_token(prompt):
        return ""
    first = " ".join(prompt.split())
    if len(first) > limit:
        first = first[: limit - 1] + _ELLIPSIS
    return "> " + literal(first) if first else ""
