"""The five skills end to end in the console: a new user's whole path against the simulator's skills.

greeting → uploads → the skill's example request → streamed reply → /status shows the right tracks →
export delivers the MP4. The skill is chosen the way an operator does, with ``NEMO_SKILL`` set to the
alias a user would type, so every request must carry the canonical ``X-Skill-Source``.
"""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest

from bots.console import ConsoleOutbound, ConsoleSession
from core.bot import NemoBot
from core.nemo.transport import NemoTransport
from core.skills import PROFILES, SkillProfile
from simulator import Simulator
from storage import MemoryStore
from tests.flows.conftest import make_settings
from tests.skill_cases import CASES, SkillCase, status_lines_match, write_upload


async def _console(sim: Simulator, tmp_path: Path, lines: list[str], **settings_changes: object) -> str:
    assert sim.base_url is not None
    settings = make_settings(sim.base_url, tmp_path / "data", **settings_changes)
    stdout = io.StringIO()
    async with httpx.AsyncClient() as http:

        def transport_for(profile: SkillProfile) -> NemoTransport:
            return NemoTransport(http, settings.nemo_api_url, profile.attribution("unknown"))

        bot = NemoBot(settings, MemoryStore(), transport_for)
        out = ConsoleOutbound(stream=stdout, interactive=False, exports_dir=tmp_path / "exports")
        bot.attach("console", out)
        assert await ConsoleSession(bot, out, io.StringIO("\n".join(lines) + "\n")).run() == 0
        await bot.stop()
    return stdout.getvalue()


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_a_new_user_walks_the_skill_from_greeting_to_the_exported_mp4(
    case: SkillCase, sim: Simulator, tmp_path: Path
) -> None:
    files = [write_upload(tmp_path, name) for name in case.uploads]
    lines = [*(f"/upload {path}" for path in files), case.request, "/status", "/export"]
    output = await _console(sim, tmp_path, lines, nemo_skill=case.alias)
    blocks = output.split("nemobot> ")

    # Greeting: the skill's own welcome, FAQ included (the console opens with /help).
    assert blocks[1].startswith(PROFILES[case.skill].greeting["en"])
    assert "FAQ:" in blocks[1]
    # Uploads: one receipt per file.
    for name in case.uploads:
        assert any(block.startswith("📥") and name in block for block in blocks), name
    # The agent's reply, streamed (the bot asked for partials and the agent sent them).
    reply = next(block for block in blocks if case.reply[0] in block)
    assert all(words in reply for words in case.reply), reply
    assert sim.stats.partial_events > 0
    # /status shows the tracks the skill made.
    status = next(block for block in blocks if block.startswith("🎬 Timeline"))
    assert status_lines_match(case, status), status
    # Export: the MP4 lands in the console's exports folder.
    [video] = (tmp_path / "exports").glob("*.mp4")
    assert video.read_bytes()[4:8] == b"ftyp"
    assert "✅ Your video is ready." in output
    assert "Export finished" not in output, "the result is the last word (issue 12: no clutter)"
    # Attributed to the canonical skill name on every call, never to an unknown source.
    assert set(sim.stats.skill_sources) == {case.skill}
    assert not sim.stats.unknown_skill_sources


@pytest.mark.parametrize(
    ("alias", "uploads", "request_text", "answer"),
    [
        ("lipsync", ("face.mp4",), "sync this voiceover to the speaker", "I need an audio track to sync to"),
        ("lipsync", (), "lip-sync my clip", "I need a video with the speaker's face"),
        ("voiceover", (), "narrate my video", "I need the video to put the voice-over on"),
        ("voice", (), "make a voice-over please", "Send me the script you want read aloud"),
        ("music", ("p1.jpg",), "make a music video", "I need a song to cut to"),
        ("music", ("song.mp3",), "cut my photos to the beat", "I need photos or clips"),
        ("merge", ("clip.mp4",), "replace the sound", "I need an audio track to merge"),
        ("merge", (), "merge them", "I need the video to put the sound on"),
    ],
)
async def test_a_missing_input_gets_the_agents_own_answer_and_changes_nothing(
    alias: str, uploads: tuple[str, ...], request_text: str, answer: str, sim: Simulator, tmp_path: Path
) -> None:
    files = [write_upload(tmp_path, name) for name in uploads]
    lines = [*(f"/upload {path}" for path in files), request_text, "/export"]
    output = await _console(sim, tmp_path, lines, nemo_skill=alias)
    assert answer in output
    assert "Timeline (" not in output, "nothing was put on the timeline"
    assert not list((tmp_path / "exports").glob("*.mp4"))
