"""How the core's plain text looks on Telegram: HTML for final messages, and captions that fit.

Intermediate (streamed) text is sent without a parse mode, because a partial text can end inside
an entity and fail to parse. The final text gets light, always-valid HTML: everything escaped, links
as anchors, and a short first line in bold when it heads a longer message.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from core.chat import utf16_length

# Telegram's caption limit, counted after entity parsing (we count UTF-16 units, never fewer).
CAPTION_LIMIT = 1024
# A first line up to this long reads as a heading ("🎬 Timeline", "📥 Got it:").
_HEADING_MAX = 64

_URL = re.compile(r"https?://[^\s<>\"'`]+")
_TRAILING = ".,;:!?)]}'\"。，；：！？）"


def _linked(text: str) -> str:
    """Escape ``text`` for HTML, turning each URL into an anchor."""
    parts: list[str] = []
    last = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        end = match.start() + len(url)
        parts.append(html.escape(text[last : match.start()], quote=False))
        parts.append(f'<a href="{html.escape(url, quote=True)}">{html.escape(url, quote=False)}</a>')
        last = end
    parts.append(html.escape(text[last:], quote=False))
    return "".join(parts)


def to_html(text: str) -> str:
    """The final form of a message: escaped, with links and a bold heading; same visible text."""
    head, newline, rest = text.partition("\n")
    if newline and rest.strip() and 0 < len(head.strip()) <= _HEADING_MAX and not _URL.search(head):
        return f"<b>{html.escape(head, quote=False)}</b>\n{_linked(rest)}"
    return _linked(text)


@dataclass(frozen=True, slots=True)
class CaptionSplit:
    """A video caption that fits, and the text (if any) that follows as a message of its own."""

    caption: str
    follow_up: str


def split_caption(text: str, limit: int = CAPTION_LIMIT) -> CaptionSplit:
    """Keep the caption within ``limit``; an overlong one keeps its first line, the rest follows.

    When even the first line is too long, the caption is its shortened start and the whole text
    follows, so nothing is lost.
    """
    if utf16_length(text) <= limit:
        return CaptionSplit(text, "")
    head, _, rest = text.partition("\n")
    if head.strip() and utf16_length(head) <= limit:
        return CaptionSplit(head, rest.strip())
    return CaptionSplit(shorten(text, limit), text)


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-16 units, ending with an ellipsis, never mid-pair."""
    if utf16_length(text) <= limit:
        return text
    budget = limit - 1
    cut = text[:budget]
    while utf16_length(cut) > budget:
        cut = cut[:-1]
    return cut.rstrip() + "…"
