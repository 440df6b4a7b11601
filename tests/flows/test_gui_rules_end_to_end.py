"""Every GUI-language rule of the contract, end to end: the simulator's agent says the web-editor
phrase, and the chat shows its chat equivalent (the action, the state that panel would show, the
chat edit), with nothing half-translated. Plus the routing phrases, through the same core.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from core.chat import Action
from simulator import Endpoint
from tests.flows.conftest import Harness
from tests.flows.test_uploads import clip

_LEFTOVER = re.compile(
    r"\b(?:click|drag|drop|panel|hit)\b|点击|拖拽|拖动|打开.{0,6}面板|\[|】|【", re.IGNORECASE
)


@pytest.fixture
def settings_changes() -> dict[str, Any]:
    return {"nemo_skill": "merge"}  # audio-video-to: two uploads, then a merge that ends with a GUI phrase


async def _merge_with_hint(harness: Harness, hint: str, *, chinese: bool = False) -> str:
    await harness.say(attachments=(clip("clip.mp4"), clip("track.mp3", mime="audio/mpeg")))
    request = "用这段音频替换视频原声" if chinese else "Replace the video's sound with this audio track"
    texts = await harness.say(f"{request} #sim:gui={hint}")
    return texts[-1]


@pytest.mark.parametrize(
    ("hint", "shown"),
    [
        ("click-export", "Use Export (the button below, or /export) to render the MP4."),  # click [X]
        ("export-button", "When it looks right, use the Export button below (or /export)."),
        ("hit-export", "Happy with it? Use Export (the button below, or /export)."),
        ("preview-or-export", "See the track list below or use Export (the button below, or /export)."),
    ],
)
async def test_export_phrases_offer_the_export_button(harness: Harness, hint: str, shown: str) -> None:
    reply = await _merge_with_hint(harness, hint)
    assert shown in reply
    assert Action.EXPORT in harness.out.messages[-1].buttons
    assert not _LEFTOVER.search(reply), reply


async def test_preview_in_timeline_without_the_shows_the_track_list(harness: Harness) -> None:
    reply = await _merge_with_hint(harness, "preview")
    assert "See the track list below to check the result." in reply
    assert re.search(r"^1\. Video: clip\.mp4", reply, re.MULTILINE), reply
    assert re.search(r"^2\. Audio: track\.mp3", reply, re.MULTILINE), reply


async def test_open_the_media_panel_reads_state_and_lists_the_files(harness: Harness) -> None:
    reply = await _merge_with_hint(harness, "open-media")
    assert "Your uploaded files are listed below." in reply
    assert re.search(r"^1\. clip\.mp4 \(video", reply, re.MULTILINE), reply
    assert re.search(r"^2\. track\.mp3 \(audio", reply, re.MULTILINE), reply
    assert not _LEFTOVER.search(reply), reply


async def test_open_bracketed_timeline_shows_the_tracks(harness: Harness) -> None:
    reply = await _merge_with_hint(harness, "open-timeline")
    assert "The track list is below." in reply
    assert re.search(r"^1\. Video: clip\.mp4", reply, re.MULTILINE), reply
    assert not _LEFTOVER.search(reply), reply


async def test_drag_and_drop_become_one_chat_edit_and_nothing_is_half_translated(harness: Harness) -> None:
    reply = await _merge_with_hint(harness, "drag")
    assert "To move it, just tell me, e.g. “move the clip after the intro”." in reply
    assert "then" not in reply.split("e.g.")[-1], "the drop clause is not left behind"
    assert not _LEFTOVER.search(reply), reply


@pytest.mark.parametrize(
    ("hint", "shown", "extra"),
    [
        ("click-export", "使用“导出”（下方按钮，或发送 /export）即可渲染 MP4。", None),
        ("export-button", "满意后使用“导出”（下方按钮，或发送 /export）。", None),
        ("hit-export", "满意的话就可以导出了。", None),  # a bare 导出 still offers the export
        # The bot's own lists are in the chat's language too (issue 12: one language).
        ("preview", "可以查看下方的轨道列表。", r"^1\. 视频：clip\.mp4"),
        ("open-media", "下方列出了你上传的素材。", r"^1\. clip\.mp4（视频"),
        ("drag", "想调整位置的话，直接告诉我，比如“把片段移到片头后面”。", None),
    ],
)
async def test_the_chinese_phrases_follow_the_same_rules(
    harness: Harness, hint: str, shown: str, extra: str | None
) -> None:
    reply = await _merge_with_hint(harness, hint, chinese=True)
    assert shown in reply, reply
    if extra:
        assert re.search(extra, reply, re.MULTILINE), reply
    if hint in ("click-export", "export-button", "hit-export"):
        assert Action.EXPORT in harness.out.messages[-1].buttons
    assert not _LEFTOVER.search(reply), reply


@pytest.mark.parametrize(
    ("phrase", "resolution"),
    [
        ("export 1080p MP4", "1080p"),
        ("export in 4k", "2160p"),
        ("导出 1080p", "1080p"),
        ("/export 720p", "720p"),
    ],
)
async def test_an_export_phrase_with_a_resolution_passes_it_in_the_render_body(
    harness: Harness, phrase: str, resolution: str
) -> None:
    await harness.say(attachments=(clip("clip.mp4"), clip("track.mp3", mime="audio/mpeg")))
    await harness.say("Replace the video's sound with this audio track")
    await harness.say(phrase)
    [job] = harness.sim.backend.renders._jobs.values()
    assert job.output == {"format": "mp4", "quality": "high", "resolution": resolution}
    assert harness.sim.stats.turns_started == 1, "an export phrase never reaches the agent"


async def test_upload_with_any_link_is_an_import_not_an_agent_turn(harness: Harness) -> None:
    """The backend decides what it can fetch; the bot never hands "upload <link>" to the agent."""
    texts = await harness.say("upload https://www.youtube.com/watch?v=abc123")
    assert harness.sim.stats.requests[Endpoint.UPLOAD] == 1
    assert harness.sim.stats.turns_started == 0
    assert "isn't supported" in texts[-1]  # the simulator's backend cannot fetch it: a clear answer


@pytest.mark.parametrize(
    "message",
    [
        "https://drive.google.com/file/d/1AbC/view?usp=sharing",
        "https://www.dropbox.com/s/xyz/holiday?dl=0",
        "上传 https://pan.baidu.com/s/1abcdef",
        "/upload https://1drv.ms/v/s!AbCdEf",
    ],
)
async def test_upload_links_and_bare_share_links_are_url_imports(harness: Harness, message: str) -> None:
    texts = await harness.say(message)
    assert any("📥" in text for text in texts), texts
    assert harness.sim.stats.turns_started == 0, "an import is not an agent turn"
    state = harness.sim.session_state(await harness.session_id())
    assert len(state["video_infos"]) == 1
