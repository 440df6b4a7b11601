"""Everything the bot itself writes in a Chinese chat is Chinese: timeline lines, what changed,
/status, upload kinds. (The agent's own words come from the backend in the session's language.)"""

from __future__ import annotations

import re

from core.chat import Action, Sender
from simulator import Scenario
from tests.flows.conftest import Harness
from tests.flows.test_uploads import clip

ZH = Sender("u1", "Ada", "zh-hans")
# Words of the bot's own English phrases; none may appear in a Chinese chat's bot-made lines.
_ENGLISH = re.compile(
    r"\b(?:Added|Removed|track|clips?|texts?|Timeline|media files?|was|now|moved|volume|muted|updated"
    r"|Video|Title|Audio|Canvas|video|image|audio)\b"
)


def _bot_lines(text: str) -> list[str]:
    """Our lines: bullets ("• …") and numbered track lines ("1. …"), plus /status sections."""
    lines = text.splitlines()
    return [line for line in lines if line.startswith(("•", "时间轴")) or re.match(r"\d\. ", line)]


async def test_a_chinese_chat_reads_chinese_timelines_changes_and_status(harness: Harness) -> None:
    await harness.say("/lang zh", sender=ZH)
    harness.sim.force_next_turn(Scenario.GENERATION)
    await harness.say("生成一段 5 秒的海浪视频", sender=ZH)
    harness.sim.force_next_turn(Scenario.SILENT_EDIT)
    [changed] = await harness.say("加个标题", sender=ZH)
    assert changed.startswith("✅ 完成。改动如下：")
    [status] = await harness.say("/status", sender=ZH)
    assert "时间轴（3 条轨道）" in status
    for text in (changed, status):
        lines = _bot_lines(text)
        assert lines, text
        for line in lines:
            # Names from the project (song titles, file names) may be English; our words may not.
            assert not _ENGLISH.search(line), line


async def test_the_timeline_is_shown_once_per_turn(harness: Harness) -> None:
    """The agent's run-on "Timeline (3 tracks): 1. …" gives way to the bot's list below, one track a
    line: the tracks appear once."""
    harness.sim.force_next_turn(Scenario.GENERATION)
    await harness.say("make a 5 second video of the sea")
    reply = harness.out.messages[-1].text
    assert "Timeline (3 tracks)" not in reply
    assert re.search(r"^1\. Video: ", reply, re.MULTILINE), reply
    assert reply.count("Lo-fi Sunrise") == 1, reply


async def test_no_export_button_while_the_timeline_is_empty(harness: Harness) -> None:
    """Uploads alone, or an analysis turn, leave the timeline empty: Export would only say
    "nothing to export", so it is not offered; once something is on the timeline it is."""
    await harness.say(attachments=(clip(),))
    await harness.say("/status")
    assert Action.EXPORT not in harness.out.messages[-1].buttons
    assert Action.CREDITS in harness.out.messages[-1].buttons
    harness.sim.force_next_turn(Scenario.ANALYSIS)
    await harness.say("what is in my video?")
    assert Action.EXPORT not in harness.out.messages[-1].buttons
    harness.sim.force_next_turn(Scenario.GENERATION)
    await harness.say("make a 5 second video of the sea")
    assert Action.EXPORT in harness.out.messages[-1].buttons


async def test_received_files_are_described_in_chinese(harness: Harness) -> None:
    """ "📥 已收到：• clip.mp4 — 视频（…）", not "— video (5.0s…)"."""
    await harness.say("/lang zh", sender=ZH)
    [received] = await harness.say(attachments=(clip(),), sender=ZH)
    assert received.startswith("📥 已收到")
    [line] = [line for line in received.splitlines() if line.startswith("•")]
    assert "— 视频" in line
    assert not _ENGLISH.search(line.replace("beach.mp4", "")), line
