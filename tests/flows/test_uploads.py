"""Uploads through the core: checks before transfer, one reply per message, captions as instructions."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from core.chat import Action, Attachment, PlatformLimits, Sender
from core.i18n import t
from core.inbound import Press
from simulator import Endpoint, SimulatorConfig
from tests.fakes import Sent
from tests.flows.conftest import CHAT, Harness


def _bytes(size: int) -> Callable[[], AsyncIterator[bytes]]:
    async def chunks() -> AsyncIterator[bytes]:
        remaining = size
        while remaining:
            step = min(remaining, 64 * 1024)
            remaining -= step
            yield b"\0" * step

    return chunks


def clip(name: str = "beach.mp4", size: int = 200_000, mime: str | None = "video/mp4") -> Attachment:
    return Attachment(name, mime, size, open=_bytes(size), kind="video")


async def test_several_attachments_become_one_reply_listing_them(harness: Harness) -> None:
    """Two files in one message: one multipart upload, one reply naming both with their details."""
    texts = await harness.say(attachments=(clip("a.mp4"), clip("song.mp3", mime="audio/mpeg")))
    assert len(texts) == 1
    assert "a.mp4" in texts[0]
    assert "song.mp3" in texts[0]
    assert harness.sim.stats.uploaded_files == 2
    assert harness.sim.stats.requests[Endpoint.UPLOAD] == 1


async def test_a_caption_is_sent_as_the_instruction_after_the_upload(harness: Harness) -> None:
    """The caption runs as a turn once the files are in."""
    await harness.say("put it on the timeline with music", attachments=(clip(),))
    assert harness.sim.stats.uploaded_files == 1
    assert harness.sim.stats.turns_started == 1


@pytest.mark.parametrize(
    ("attachment", "expected"),
    [
        (Attachment("voice.ogg", "audio/ogg", 5000, open=_bytes(5000), kind="voice"), "voice message"),
        (Attachment("notes.pdf", "application/pdf", 5000, open=_bytes(5000)), "MP4"),
        (Attachment("clip.mp4", "video/mp4", 0, open=_bytes(0)), "empty"),
        (Attachment("huge.mp4", "video/mp4", 900_000_000, open=_bytes(1)), "trim"),
        (Attachment("big.mp4", "video/mp4", 30_000_000, open=None), "link"),
    ],
)
async def test_bad_files_are_refused_before_any_transfer(
    harness: Harness, attachment: Attachment, expected: str
) -> None:
    """Unsupported, empty, over-backend-limit and undownloadable files get a clear message and no upload."""
    texts = await harness.say(attachments=(attachment,))
    assert harness.sim.stats.uploaded_files == 0
    assert len(texts) == 1
    assert expected.lower() in texts[0].lower()


async def test_a_media_link_is_imported_in_url_mode(harness: Harness) -> None:
    """A message that is just a media URL is an upload by link."""
    texts = await harness.say("https://example.com/media/dance.mp4")
    assert harness.sim.stats.requests[Endpoint.UPLOAD] == 1
    assert harness.sim.stats.turns_started == 0
    assert "dance.mp4" in texts[-1]


async def test_the_upload_word_alone_explains_how_to_upload(harness: Harness) -> None:
    """ "upload" / "上传" alone is answered with how to send files."""
    for word in ("upload", "上传"):
        texts = await harness.say(word)
        assert texts
    assert harness.sim.stats.requests[Endpoint.UPLOAD] == 0


class TestBackendRefusals:
    """The backend's own 4001/4002 answers are explained, not shown raw."""

    @pytest.fixture
    def sim_config(self, tmp_path):
        return SimulatorConfig.fast(seed=3, data_dir=tmp_path / "sim", upload_max_bytes=100_000)

    async def test_file_too_large_for_the_backend_suggests_trimming(self, harness: Harness) -> None:
        """4002 → compress or trim."""
        texts = await harness.say(attachments=(clip(size=300_000),))
        assert "trim" in texts[-1].lower() or "compress" in texts[-1].lower()


@pytest.fixture
def limits() -> PlatformLimits:
    return PlatformLimits(max_text=4096, upload_cap=50_000_000, edit_interval_s=0.01, download_cap=20_000_000)


async def test_a_file_over_the_platform_download_cap_offers_a_link_instead(harness: Harness) -> None:
    """Over the platform's download cap (Telegram's 20 MB): refused at once with the link alternative."""
    texts = await harness.say(attachments=(clip(size=25_000_000),))
    assert harness.sim.stats.uploaded_files == 0
    assert "link" in texts[0].lower()


async def test_an_attachment_the_platform_will_not_hand_over_gets_a_clear_message(harness: Harness) -> None:
    """A download refused by the platform mid-upload ends with 'send it again', not silence."""
    from core.ports import PlatformError

    async def refused() -> AsyncIterator[bytes]:
        for chunk in (b"",):
            if not chunk:
                raise PlatformError("attachment URL expired")
            yield chunk

    texts = await harness.say(attachments=(Attachment("clip.mp4", "video/mp4", 1000, open=refused),))
    assert "send it again" in texts[-1]


async def test_an_attachment_shorter_than_its_size_ends_in_a_clear_failure_not_a_stuck_progress_bar(
    harness: Harness,
) -> None:
    """Review §3.4: the platform's stream ends early; the progress message ends with "failed"."""
    short = Attachment("clip.mp4", "video/mp4", 500_000, open=_bytes(200_000), kind="video")
    await harness.say(attachments=(short,))
    last = harness.out.messages[-1]
    assert last.final
    assert "failed" in last.text
    assert "%" not in last.text
    assert harness.sim.stats.uploaded_files == 0


async def test_a_lost_session_during_an_upload_by_link_is_replaced_once(harness: Harness) -> None:
    """1002 on the import: the user hears why, a fresh session takes the link, once."""
    await harness.say("hello")
    old = await harness.session_id()
    harness.sim.delete_session(old)
    texts = await harness.say("https://example.com/media/dance.mp4")
    assert await harness.session_id() != old
    assert t("en", "session_expired") in texts
    assert "dance.mp4" in texts[-1]


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/clip.mp4",
        "http://10.0.0.7/clip.mp4",
        "http://localhost:8080/clip.mp4",
    ],
)
async def test_a_link_into_a_private_network_is_never_handed_to_the_backend(
    harness: Harness, url: str
) -> None:
    """URL imports of private, loopback or link-local hosts are refused with a clear message."""
    texts = await harness.say(url)
    assert harness.sim.stats.requests[Endpoint.UPLOAD] == 0
    assert harness.sim.stats.turns_started == 0
    assert "private or local network" in texts[-1]


async def test_a_refused_link_next_to_an_instruction_does_not_start_the_turn(harness: Harness) -> None:
    """ "use http://10.0.0.7/a.mp4 as the intro": refused, and the instruction is not sent without it."""
    texts = await harness.say("use http://10.0.0.7/a.mp4 as the intro")
    assert harness.sim.stats.requests[Endpoint.UPLOAD] == 0
    assert harness.sim.stats.turns_started == 0
    assert any("private or local network" in text for text in texts)


async def test_cancel_on_a_running_upload_stops_it_and_takes_the_button_away(
    harness: Harness, tmp_path: Path
) -> None:
    """The upload's progress message carries Cancel; pressing it stops the transfer, the message
    says so without the button, and the job is stored as cancelled."""
    first_chunk_sent = asyncio.Event()
    never = asyncio.Event()

    async def stalls() -> AsyncIterator[bytes]:
        yield b"\0" * 64 * 1024
        first_chunk_sent.set()
        await never.wait()  # the rest of the file never comes: only Cancel ends this upload
        yield b""

    stalled = Attachment("long.mp4", "video/mp4", 1_000_000, open=stalls, kind="video")
    await harness.bot.receive(harness.message(attachments=(stalled,)))
    await first_chunk_sent.wait()

    def running() -> list[Sent]:
        return [m for m in harness.out.messages if Action.CANCEL in m.buttons]

    async with harness.out.changed:
        await harness.out.changed.wait_for(running)
    progress = running()

    await harness.bot.press(Press(CHAT, Action.CANCEL, Sender("u1", "Ada", "en"), press_id="p1"))
    await harness.bot.wait_idle(CHAT)

    message = progress[0]
    assert message.text == t("en", "upload_cancelled")
    assert Action.CANCEL not in message.buttons
    assert harness.sim.stats.uploaded_files == 0
    with sqlite3.connect(tmp_path / "data" / "nemobot.db") as db:
        states = [row[0] for row in db.execute("SELECT state FROM jobs")]
    assert states == ["cancelled"], "stored as cancelled: no restart resumes it"
