"""Links in a video caption become URL buttons under the video, not raw URLs in its text.

The core writes one link per line, after a short label: "✅ Your video is ready. Download: URL",
"Open in the web editor: URL". The label (the words after the line's last sentence end) names the
button; whatever precedes it stays in the caption.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_URL = re.compile(r"https?://\S+")
_SENTENCE_END = re.compile(r".*(?:[.!?]\s|[。！？])")
_LABEL_MAX = 40


@dataclass(frozen=True, slots=True)
class LinkButton:
    """A button that opens ``url`` in the browser."""

    label: str
    url: str


def split_links(text: str) -> tuple[str, list[LinkButton]]:
    """``text`` without its labelled links, and a button for each link (in order)."""
    kept: list[str] = []
    buttons: list[LinkButton] = []
    for line in text.split("\n"):
        match = _URL.search(line)
        if match is None or line[match.end() :].strip():
            kept.append(line)  # no link, or a link inside a sentence: leave the line as written
            continue
        before = line[: match.start()]
        lead = _SENTENCE_END.match(before)
        prefix = before[: lead.end()] if lead else ""
        label = before[len(prefix) :].strip().rstrip(":：").strip()
        if not label or len(label) > _LABEL_MAX:
            kept.append(line)
            continue
        buttons.append(LinkButton(label, match.group()))
        if prefix.strip():
            kept.append(prefix.rstrip())
    return "\n".join(kept).strip(), buttons
