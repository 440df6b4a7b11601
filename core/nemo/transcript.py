"""Assemble the visible text of one agent turn from :class:`~core.nemo.events.TextChunk`\\ s.

ADK streams text twice when token streaming is on: partial fragments first, then one aggregated
non-partial event holding the whole text. A multi-step turn has several such final texts, and the
backend sometimes re-emits a final or appends a canned "I encountered a temporary issue" after a
normal answer. This module turns that into text a user should see, exactly once.
"""

from __future__ import annotations

import re

from core.nemo.events import TextChunk

_SEGMENT_GAP = "\n\n"
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_NOISE_PHRASE = re.compile(r"i encountered a temporary issue", re.IGNORECASE)
# What may follow the phrase and still be boilerplate: punctuation, then a short tail such as
# ", please try again." Anything longer is probably a real explanation and is kept.
_NOISE_TAIL_START = frozenset(".!?,;:…。！，—–-")
_NOISE_TAIL_MAX = 60


class TurnTranscript:
    """Visible text of one agent turn, built from TextChunks without duplication.

    Linear in the reply's size: the open segment collects its fragments in a list, ``text`` is
    joined only when something visible changed since it was last read, and ``version`` tells a
    reader whether to read it at all. (Rebuilding the text on every fragment made a 1 MB reply in
    100-byte fragments cost seconds of event-loop time, stalling every other chat.)
    """

    def __init__(self) -> None:
        self._segments: list[str] = []
        # Fragments of the last segment while it is still being built from partial fragments.
        self._fragments: list[str] = []
        self._open = False
        self._open_author: str | None = None
        self._version = 0
        self._cached: tuple[int, str] = (0, "")

    @property
    def version(self) -> int:
        """Grows whenever the visible text may have changed; equal versions mean equal text."""
        return self._version

    def add(self, chunk: TextChunk) -> bool:
        """Take one chunk; return True if the visible text changed."""
        if chunk.partial and self._open and not _other_author(self._open_author, chunk.author):
            # The common case, once per streamed fragment: O(len(fragment)).
            self._fragments.append(chunk.text)
            if chunk.text.strip():
                self._version += 1
                return True
            return False
        before = self.text
        if self._open and _other_author(self._open_author, chunk.author):
            # Interleaved agents: keep what the first one streamed rather than overwrite it.
            self._close()
        if chunk.partial:
            self._add_partial(chunk)
        else:
            self._add_final(chunk.text)
        self._version += 1
        return self.text != before

    @property
    def text(self) -> str:
        """The current visible text: non-blank segments, trimmed, joined by a blank line."""
        version, text = self._cached
        if version != self._version:
            self._settle()
            text = _SEGMENT_GAP.join(s.strip() for s in self._segments if s.strip())
            self._cached = (self._version, text)
        return text

    @property
    def has_text(self) -> bool:
        """True once anything visible (not just whitespace) has arrived."""
        self._settle()
        return any(s.strip() for s in self._segments)

    def _settle(self) -> None:
        """Fold the open segment's fragments into it (once per read, not once per fragment)."""
        if self._fragments:
            self._segments[-1] += "".join(self._fragments)
            self._fragments.clear()

    def finish(self) -> str:
        """The final visible text, without trailing backend noise unless the noise is all there is."""
        return _drop_trailing_noise(self.text)

    def _add_partial(self, chunk: TextChunk) -> None:
        self._settle()
        if self._open:
            self._segments[-1] += chunk.text
        else:
            self._segments.append(chunk.text)
            self._open = True
            self._open_author = chunk.author

    def _add_final(self, text: str) -> None:
        self._settle()
        if self._open:
            # The aggregated final of the streamed fragments replaces them. A blank aggregate
            # would erase text the user already saw, so the fragments are kept in that case.
            if text.strip():
                self._segments[-1] = text
            self._close()
            return
        if not text.strip():
            return
        self._segments.append(text)
        self._drop_repeat()

    def _close(self) -> None:
        self._settle()
        self._open = False
        self._open_author = None
        if self._segments and not self._segments[-1].strip():
            self._segments.pop()
        self._drop_repeat()

    def _drop_repeat(self) -> None:
        """ADK sometimes re-emits the same final text; show it once."""
        if len(self._segments) >= 2 and self._segments[-1].strip() == self._segments[-2].strip():
            self._segments.pop()


def _other_author(open_author: str | None, author: str | None) -> bool:
    return open_author is not None and author is not None and open_author != author


def _is_noise(paragraph: str) -> bool:
    """True for the backend's canned "I encountered a temporary issue" line (and a short tail)."""
    text = paragraph.strip()
    match = _NOISE_PHRASE.match(text)
    if match is None:
        return False
    tail = text[match.end() :].strip()
    if not tail:
        return True
    return tail[0] in _NOISE_TAIL_START and len(tail) <= _NOISE_TAIL_MAX and "\n" not in tail


def _drop_trailing_noise(text: str) -> str:
    """Cut trailing noise paragraphs, but only when a real paragraph stays in front of them."""
    breaks = list(_PARAGRAPH_BREAK.finditer(text))
    starts = [0, *(b.end() for b in breaks)]
    ends = [*(b.start() for b in breaks), len(text)]
    paragraphs = [text[start:end] for start, end in zip(starts, ends, strict=True)]
    keep = len(paragraphs)
    while keep > 1 and _is_noise(paragraphs[keep - 1]):
        keep -= 1
    if keep == len(paragraphs) or _is_noise(paragraphs[keep - 1]):
        return text
    return text[: ends[keep - 1]].rstrip()
