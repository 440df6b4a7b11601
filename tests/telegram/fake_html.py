"""Telegram's ``parse_mode=HTML``, as strictly as the Bot API applies it, for the fake server.

Returns the visible text and its entities (offsets in UTF-16 units, as Telegram reports them), or
raises :class:`CantParse` with Telegram's wording for what the real API refuses: unknown tags,
unbalanced tags, and a bare ``<``, ``>`` or ``&``.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^<>]*)?)>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});")
_HREF = re.compile(r"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}


class CantParse(ValueError):
    """What Telegram answers as ``Bad Request: can't parse entities: ...``."""


@dataclass(frozen=True, slots=True)
class Entity:
    """A formatting entity as Telegram reports it (offset and length in UTF-16 units)."""

    type: str
    offset: int
    length: int
    url: str | None = None

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {"type": self.type, "offset": self.offset, "length": self.length}
        if self.url is not None:
            data["url"] = self.url
        return data


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(source: str) -> tuple[str, tuple[Entity, ...]]:
    """The visible text of ``source`` and its entities; raises :class:`CantParse`."""
    out: list[str] = []
    offset = 0  # UTF-16 units emitted so far
    stack: list[tuple[str, int, str | None]] = []
    entities: list[Entity] = []
    index = 0
    while index < len(source):
        char = source[index]
        if char == "<":
            match = _TAG.match(source, index)
            name = match.group(2).lower() if match else ""
            if match is None or name not in _TYPES:
                raise CantParse(
                    f'Unsupported start tag "{name or source[index : index + 8]}" at byte offset {index}'
                )
            if match.group(1):
                if not stack or stack[-1][0] != name:
                    expected = stack[-1][0] if stack else ""
                    raise CantParse(f'Unmatched end tag at byte offset {index}, expected "</{expected}>"')
                _name, start, url = stack.pop()
                if offset > start:
                    entities.append(Entity(_TYPES[name], start, offset - start, url))
            else:
                href = _HREF.search(match.group(3) or "")
                url = html.unescape(href.group(1) or href.group(2) or "") if href else None
                if name == "a" and not url:
                    raise CantParse(f"Can't find href in tag at byte offset {index}")
                stack.append((name, offset, url))
            index = match.end()
            continue
        if char == "&":
            match = _ENTITY.match(source, index)
            if match is None:
                raise CantParse(f"Character entity expected at byte offset {index}")
            decoded = html.unescape(match.group(0))
            out.append(decoded)
            offset += utf16(decoded)
            index = match.end()
            continue
        if char == ">":
            raise CantParse(f"Unexpected end of name token at byte offset {index}")
        out.append(char)
        offset += utf16(char)
        index += 1
    if stack:
        raise CantParse(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return "".join(out), tuple(sorted(entities, key=lambda e: (e.offset, -e.length)))
