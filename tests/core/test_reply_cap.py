"""Long replies: split in linear time, shown in a few messages at most, and never echoing a token."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import pytest

import core.nemo.transcript as transcript_module
from core.chat import ChatKey, PlatformLimits, utf16_length
from core.nemo.events import TextChunk
from core.nemo.transcript import TurnTranscript
from core.redact import carries_token, redact_for_chat
from core.replies import MAX_REPLY_MESSAGES, StreamingReply, send_safely, split_text
from tests.fakes import SECRET, RecordingOutbound

CHAT = ChatKey("test", "1")
TOKEN = "nmv_usr_KGdwtlGw3hBDUpV-4_FJfEgYqFbTXQuYPKPabc"


class CountingLength:
    """A ``length`` that counts how many characters it was asked to measure in total."""

    def __init__(self) -> None:
        self.measured = 0

    def __call__(self, text: str) -> int:
        self.measured += len(text)
        return utf16_length(text)


def test_splitting_a_megabyte_is_linear_and_loses_nothing() -> None:
    """1 MB of prose: each piece fits, nothing is lost, and the work is a small multiple of the size
    (the old split measured the whole rest for every piece: quadratic)."""
    text = ("A sentence of a long agent reply, with an emoji 🎬 now and then.\n" * 17_000)[:1_000_000]
    length = CountingLength()
    pieces = split_text(text, 4096, length)
    assert all(utf16_length(piece) <= 4096 for piece in pieces)
    assert "".join(pieces).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(" ", "")
    assert length.measured < 40 * len(text)


def test_an_overlong_word_is_cut_and_short_text_is_one_piece() -> None:
    assert split_text("x" * 100, 40) == ["x" * 38, "x" * 38, "x" * 24]
    assert split_text("short", 40) == ["short"]
    assert split_text("", 40) == [""]


async def test_a_megabyte_reply_is_shown_in_a_few_messages_ending_with_the_note() -> None:
    """Streamed then finished: at most MAX_REPLY_MESSAGES messages, the last says where the rest is."""
    out = RecordingOutbound(PlatformLimits(max_text=4096, upload_cap=1, edit_interval_s=0.0))
    reply = StreamingReply(out, CHAT, overflow_note="… the rest is in the web editor")
    text = "word " * 200_000
    for end in range(0, len(text), 100_000):
        reply.update(text[: end + 100_000])
    assert await reply.finish(text)
    assert len(out.messages) <= MAX_REPLY_MESSAGES
    assert out.messages[-1].text.endswith("… the rest is in the web editor")
    assert all(len(message.text) <= 4096 for message in out.messages)


async def test_a_reply_that_fits_gets_no_note() -> None:
    out = RecordingOutbound()
    reply = StreamingReply(out, CHAT, overflow_note="NOTE")
    assert await reply.finish("word " * 1000)
    assert len(out.messages) == 2
    assert "NOTE" not in out.transcript()


@pytest.mark.parametrize(
    "form",
    [
        TOKEN,
        TOKEN.replace("_", r"\_"),
        TOKEN.replace("_", "&#95;"),
        TOKEN.replace("_", "&#x5F;"),
        TOKEN.replace("_", "&lowbar;"),
        TOKEN.replace("_", "%5F"),
        TOKEN.upper(),
    ],
)
async def test_a_token_in_any_form_is_masked_in_replies_and_plain_sends(form: str) -> None:
    """Whatever the agent or an error echoes, no token form reaches the chat; the scan sees each form."""
    assert SECRET.search(form)
    assert carries_token(form)
    assert not SECRET.search(redact_for_chat(form))
    out = RecordingOutbound()
    reply = StreamingReply(out, CHAT)
    reply.update(f"you said {form} earlier")
    assert await reply.finish(
        f"you said {form}. Here is your video link: https://x/workspace/claim?ct=clm_abcdefgh12"
    )
    await send_safely(out, CHAT, f"error about {form}")
    shown = out.transcript()
    assert not SECRET.search(shown)
    assert "clm_abcdefgh12" in shown, "claim links are for the user and stay"


class CountingGap(str):
    """A separator that counts how often the transcript joins its whole text."""

    joins = 0

    def join(self, parts: Iterable[str]) -> str:
        CountingGap.joins += 1
        return super().join(parts)


def test_a_transcript_of_ten_thousand_fragments_is_joined_only_when_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Adding a fragment costs the fragment, not the whole reply: the text is built when read
    (the old transcript rebuilt it twice per fragment: quadratic, seconds of event loop at 1 MB)."""
    monkeypatch.setattr(transcript_module, "_SEGMENT_GAP", CountingGap("\n\n"))
    CountingGap.joins = 0
    transcript = TurnTranscript()
    versions = set()
    for index in range(10_000):
        assert transcript.add(TextChunk("word " * 20, partial=True))
        versions.add(transcript.version)
        if index % 1000 == 0:
            assert transcript.text.endswith("word")
    assert len(versions) == 10_000
    assert CountingGap.joins <= 12
    transcript.add(TextChunk("the whole reply", partial=False))
    assert transcript.text == "the whole reply"


def test_whitespace_fragments_change_no_version_and_blank_finals_keep_what_was_seen() -> None:
    transcript = TurnTranscript()
    assert transcript.add(TextChunk("Hello", partial=True))
    version = transcript.version
    assert not transcript.add(TextChunk("  ", partial=True))
    assert transcript.version == version
    assert transcript.add(TextChunk("world", partial=True))
    assert transcript.text == "Hello  world"
    assert not transcript.add(TextChunk("   ", partial=False))
    assert transcript.text == "Hello  world"


async def test_a_reply_updated_ten_thousand_times_builds_its_text_once_per_flush() -> None:
    """update_with: the supplier runs when a flush shows the text, not on every call."""
    out = RecordingOutbound(PlatformLimits(max_text=4096, upload_cap=1, edit_interval_s=0.05))
    reply = StreamingReply(out, CHAT)
    built = 0

    def supplier() -> str:
        nonlocal built
        built += 1
        return "word " * 100

    for _ in range(10_000):
        reply.update_with(supplier)
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert await reply.finish("done")
    assert built <= 2
