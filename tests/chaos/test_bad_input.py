"""Bad input through the core and the console: each answered clearly, within 2 s, with no crash."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from bots.console import ConsoleOutbound, ConsoleSession
from core.bot import NemoBot
from core.chat import Attachment
from core.nemo.transport import NemoTransport
from core.skills import SkillProfile
from simulator import Simulator
from storage import MemoryStore
from tests.harness import Harness, make_settings


def _bytes(size: int) -> Callable[[], AsyncIterator[bytes]]:
    async def chunks() -> AsyncIterator[bytes]:
        if size:
            yield b"\0" * size

    return chunks


def _file(name: str, mime: str | None, size: int | None, *, can_open: bool = True) -> Attachment:
    return Attachment(name, mime, size, open=_bytes(min(size or 0, 4096)) if can_open else None)


BAD_TEXT = [
    "",
    "   \n\t ",
    "x" * 20_000,
    "/definitely_not_a_command",
    "/skill no-such-skill",
    "/lang klingon",
    "/upload",
    "/upload https://example.com/page.html",
    "/token not-a-token",
    "/admin usage",
    "<b>bold</b><script>alert(1)</script> & </i>",
    "*_[`]()~>#+-=|{}.!\\ MarkdownV2 breakers",
    "\x00\x07\x1b[31mcontrol characters\x1b[0m",
    "../../../../etc/passwd",
    "https://example.com/not-media.pdf",
    "🎬" * 3000,
]
BAD_FILES = [
    _file("virus.exe", "application/x-msdownload", 1000),
    _file("clip.mp4", "video/mp4", 0),
    _file("huge.mov", "video/quicktime", 5_000_000_000),
    _file("liar.mp4.exe", "video/mp4", 1000),
    _file("voice.ogg", "audio/ogg", 20_000),
    _file("../../../etc/shadow.mp4", "video/mp4", 1000),
    _file("a" * 500 + ".mp4", "video/mp4", 1000),
    _file("too-big-for-platform.mp4", "video/mp4", 30_000_000, can_open=False),
    _file("noextension", "application/octet-stream", 1000),
]


@pytest.mark.parametrize("text", BAD_TEXT, ids=[f"text{i}" for i in range(len(BAD_TEXT))])
async def test_bad_text_is_answered_quickly_and_clearly(harness: Harness, text: str) -> None:
    """Every bad text gets a plain answer within 2 s (odd but valid prose still goes to the agent)."""
    started = asyncio.get_running_loop().time()
    texts = await asyncio.wait_for(harness.say(text), 2.0)
    assert asyncio.get_running_loop().time() - started < 2.0
    assert texts, f"no answer to {text[:40]!r}"
    for reply in texts:
        assert "Traceback" not in reply
        assert not reply.lstrip().startswith("{")


@pytest.mark.parametrize("attachment", BAD_FILES, ids=[f"file{i}" for i in range(len(BAD_FILES))])
async def test_bad_files_are_answered_quickly_and_clearly(harness: Harness, attachment: Attachment) -> None:
    """Unsupported, lying, empty, oversized and oddly named files: a clear answer within 2 s."""
    texts = await asyncio.wait_for(harness.say(attachments=(attachment,)), 2.0)
    assert texts
    assert len(texts[-1]) < 600
    assert "../" not in texts[-1]
    assert harness.sim.stats.uploaded_files <= 1


async def test_a_forged_button_press_is_harmless(harness: Harness) -> None:
    """A press for a chat the bot never saw still gets a normal, safe answer."""
    from core.chat import Action, ChatKey, Sender
    from core.inbound import Press

    stranger = ChatKey("test", "never-seen")
    await asyncio.wait_for(harness.bot.press(Press(stranger, Action.STATUS, Sender("eve"))), 2.0)
    await harness.bot.wait_idle(stranger)
    assert harness.out.texts(stranger)


async def test_the_console_answers_every_bad_line(sim: Simulator, tmp_path: Path) -> None:
    """The same bad inputs typed into the console: one answer each, exit code 0."""
    assert sim.base_url is not None
    settings = make_settings(sim.base_url, tmp_path / "data")
    lines = [line.replace("\n", " ") for line in BAD_TEXT if line.strip()] + [
        f"/upload {tmp_path / 'missing.mp4'}",
        "/upload /etc/passwd",
    ]
    stdout = io.StringIO()
    async with httpx.AsyncClient() as http:

        def transport_for(profile: SkillProfile) -> NemoTransport:
            return NemoTransport(http, sim.base_url or "", profile.attribution("unknown"))

        bot = NemoBot(settings, MemoryStore(), transport_for)
        out = ConsoleOutbound(stream=stdout, interactive=False, exports_dir=tmp_path / "exports")
        bot.attach("console", out)
        code = await asyncio.wait_for(
            ConsoleSession(bot, out, io.StringIO("\n".join(lines) + "\n")).run(), 40
        )
        await bot.stop()
    assert code == 0
    assert stdout.getvalue().count("nemobot> ") >= len(lines)
