"""/run_sse: ADK event shapes, partials, scenarios and the state changes they make."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from simulator import EditAction, Scenario, Simulator
from tests.simulator.helpers import Api, is_heartbeat, tracks_of

EVENT_KEYS = {"content", "invocationId", "author", "actions", "id", "timestamp"}


def assert_no_nulls(value: Any) -> None:
    assert value is not None
    if isinstance(value, dict):
        for item in value.values():
            assert_no_nulls(item)
    elif isinstance(value, list):
        for item in value:
            assert_no_nulls(item)


def assert_adk_event(event: dict[str, Any]) -> None:
    assert set(event) >= EVENT_KEYS, event
    assert event["author"] == "nemo_agent"
    assert re.match(r"^e-[0-9a-f-]{36}$", event["invocationId"])
    assert event["actions"] == {"stateDelta": {}, "artifactDelta": {}, "requestedAuthConfigs": {}}
    assert isinstance(event["timestamp"], float)
    assert event["content"]["role"] in ("model", "user")
    assert_no_nulls(event)
    assert not any("_" in key for key in event)  # camelCase only


async def test_chat_turn_streams_partials_then_one_aggregated_final_text(api: Api) -> None:
    result = await api.turn("hello!")
    assert result.status == 200
    assert result.content_type.startswith("text/event-stream")
    assert result.raw.endswith("\n\n")
    assert len(result.partial_texts) >= 2
    assert result.final_texts == ["".join(result.partial_texts)]
    assert "Nemo" in result.final_texts[0]
    for event in result.events:
        assert_adk_event(event)
    assert len({event["invocationId"] for event in result.events}) == 1
    assert len({event["id"] for event in result.events}) == len(result.events)
    final = [event for event in result.events if not event.get("partial")][-1]
    assert final["finishReason"] == "STOP"


async def test_every_frame_is_a_data_line_a_comment_or_a_heartbeat_event(api: Api) -> None:
    result = await api.turn("generate a 5 second video of a lighthouse")
    for block in result.blocks:
        assert is_heartbeat(block) or isinstance(block.json, dict), block
    assert all("[DONE]" not in (block.data or "") for block in result.blocks)


async def test_generation_is_two_stage_and_builds_video_bgm_and_title_tracks(api: Api) -> None:
    result = await api.turn('generate a 6 second video of a neon city, title "Neon Nights"')
    assert result.tool_calls() == ["generate_video_with_seedance", "generate_music", "edit_multitrack"]
    assert result.tool_results() == result.tool_calls()
    texts = result.final_texts
    assert len(texts) == 3
    assert "Raw clip ready" in texts[1]
    assert "click Export" in texts[2]
    calls = [e for e in result.events if any("functionCall" in p for p in e["content"]["parts"])]
    assert all(event["content"]["role"] == "model" and event["longRunningToolIds"] == [] for event in calls)
    seedance = calls[0]["content"]["parts"][0]["functionCall"]
    assert seedance["id"].startswith("adk-")
    assert seedance["args"]["duration"] == 6
    responses = [e for e in result.events if any("functionResponse" in p for p in e["content"]["parts"])]
    assert all(event["content"]["role"] == "user" for event in responses)

    state = await api.state()
    draft = state["draft"]
    assert [track["tt"] for track in draft["t"]] == [0, 1, 7]
    assert draft["d"] == 6000
    assert draft["m"] == {"title": "Neon Nights", "width": 1920, "height": 1080}
    assert tracks_of(state, 7)[0]["sg"][0]["text"] == "Neon Nights"
    assert state["video_infos"][0]["source"] == "generated"
    assert [media["type"] for media in state["generated_media"]] == ["video", "audio"]


async def test_generated_clip_url_serves_a_real_mp4(api: Api) -> None:
    await api.turn("generate a vertical video for tiktok")
    state = await api.state()
    assert state["canvas_config"]["aspect_ratio"] == "9:16"
    response = await api.client.get(state["video_infos"][0]["cdn_url"])
    assert response.headers["content-type"] == "video/mp4"
    assert response.content[4:8] == b"ftyp"


async def test_generation_heartbeats_use_every_known_form(api: Api) -> None:
    result = await api.turn("generate a video of rain")
    heartbeats = [block for block in result.blocks if is_heartbeat(block)]
    assert len(heartbeats) >= 5
    assert any(block.comments for block in heartbeats)
    assert any(block.data == "" for block in heartbeats)
    assert any(block.data == "heartbeat" for block in heartbeats)
    assert any(block.event == "heartbeat" for block in heartbeats)
    assert any(block.json == {"type": "heartbeat"} for block in heartbeats)


async def test_chinese_generation_replies_in_chinese_with_gui_wording(api: Api) -> None:
    result = await api.turn("帮我生成一个海边日落的视频")
    assert "原始片段已就绪" in result.final_texts[1]
    assert "点击导出" in result.final_texts[-1]


async def test_add_a_title_is_a_silent_turn_that_still_changes_the_draft(api: Api) -> None:
    await api.turn("generate a video of a waterfall")
    before = await api.state()
    result = await api.turn('add a title "Falls"')
    assert result.final_texts == []
    assert result.partial_texts == []
    assert result.tool_calls() == ["edit_multitrack"]
    after = await api.state()
    assert after["draft"] != before["draft"]
    assert [segment["text"] for segment in tracks_of(after, 7)[0]["sg"]][-1] == "Falls"


@pytest.mark.parametrize(
    ("text", "check"),
    [
        ("trim it to 4 seconds", lambda draft: draft["d"] == 4000),
        ("make it 2x faster", lambda draft: draft["d"] == 5000 and draft["t"][0]["sg"][0]["speed"] == 2.0),
        (
            "add captions",
            lambda draft: len(next(t for t in draft["t"] if t.get("name") == "captions")["sg"]) >= 3,
        ),
        ("add a fade transition and some text #sim:edit", lambda draft: True),
    ],
)
async def test_edit_turns_change_the_draft_and_describe_the_timeline(api: Api, text: str, check: Any) -> None:
    await api.turn("generate a 10 second video of a beach")
    before = await api.state()
    result = await api.turn(text)
    after = await api.state()
    assert after["draft"] != before["draft"]
    assert check(after["draft"])
    assert "Timeline (" in result.final_texts[-1]


async def test_music_edit_uses_uploaded_audio_when_there_is_some(api: Api) -> None:
    await api.upload(("clip.mp4", b"v" * 1000), ("song.mp3", b"a" * 500))
    result = await api.turn("add my song as music")
    assert result.tool_calls() == ["edit_multitrack", "edit_multitrack"]  # assemble, then add audio
    bgm = tracks_of(await api.state(), 1)[0]["sg"][0]
    assert bgm["name"] == "song.mp3"


async def test_edits_on_an_empty_session_say_there_is_nothing_to_edit(api: Api) -> None:
    result = await api.turn("add some music")
    assert result.tool_calls() == []
    assert "nothing on the timeline" in result.final_texts[0]
    assert (await api.state())["draft"]["t"] == []


async def test_an_edit_turn_puts_uploaded_media_on_the_timeline(api: Api) -> None:
    await api.upload(("a.mp4", b"1" * 100), ("b.png", b"2" * 100))
    assert (await api.state())["draft"]["t"] == []  # uploads alone do not touch the timeline
    result = await api.turn("put my clips together")  # no keyword: only a chat reply
    assert result.tool_calls() == []
    result = await api.turn("make a video from my uploads")
    assert result.tool_calls()[0] == "edit_multitrack"
    video = tracks_of(await api.state(), 0)[0]["sg"]
    assert [segment["file"] for segment in video] == ["a.mp4", "b.png"]


async def test_analysis_turn_fills_video_analyses(api: Api) -> None:
    await api.upload(("trip.mov", b"x" * 100))
    result = await api.turn("analyze my video")
    assert result.tool_calls() == ["understand_video"]
    analyses = (await api.state())["video_analyses"]
    assert len(analyses) == 1
    assert next(iter(analyses.values()))["filename"] == "trip.mov"


async def test_unknown_session_is_an_adk_404_before_any_stream(api: Api) -> None:
    api.session_id = "999"
    result = await api.turn("hello")
    assert result.status == 404
    assert json.loads(result.raw) == {"detail": "Session not found: 999"}


async def test_unknown_session_can_be_answered_as_code_1002(api: Api, sim: Simulator) -> None:
    sim.config.missing_session_reply = "code_1002"
    api.session_id = "999"
    result = await api.turn("hello")
    assert result.status == 200
    assert json.loads(result.raw)["code"] == 1002


async def test_wrong_user_id_or_app_name_is_session_not_found(api: Api) -> None:
    assert (await api.turn("", body=api.run_body("hi", user_id="anon_someone"))).status == 404
    assert (await api.turn("", body=api.run_body("hi", app_name="other_app"))).status == 404
    assert (await api.turn("", body=api.run_body("hi", user_id=api.user_id))).status == 200


async def test_camel_case_request_keys_are_accepted(api: Api) -> None:
    body = {
        "appName": "nemo_agent",
        "userId": "me",
        "sessionId": api.session_id,
        "newMessage": {"role": "user", "parts": [{"text": "hi"}]},
    }
    result = await api.turn("", body=body)
    assert result.status == 200
    assert result.final_texts


@pytest.mark.parametrize(
    "body_change",
    [
        {"app_name": None},
        {"new_message": {"parts": [{"text": "hi"}], "extra": 1}},
        {"new_message": {"parts": [{"text": "hi", "bogus": True}]}},
        {"new_message": "hi"},
    ],
)
async def test_invalid_requests_get_a_fastapi_422(api: Api, body_change: dict[str, Any]) -> None:
    body = {key: value for key, value in {**api.run_body("hi"), **body_change}.items() if value is not None}
    result = await api.turn("", body=body)
    assert result.status == 422
    assert isinstance(json.loads(result.raw)["detail"], list)


async def test_insufficient_credits_is_a_json_2001_before_the_stream(api: Api, sim: Simulator) -> None:
    sim.set_credits(api.user_id, 60)
    result = await api.turn("generate a video of snow")
    assert result.status == 200
    assert result.content_type.startswith("application/json")
    assert json.loads(result.raw) == {"code": 2001, "message": "insufficient credits", "data": None}
    assert await api.credits() == {"available": 60, "frozen": 0, "total": 60}
    assert (await api.turn("add music to nothing")).status == 200  # 50 credits still pay for an edit


async def test_trigger_words_force_a_scenario_and_the_trailing_noise(api: Api) -> None:
    result = await api.turn("hello #sim:generate #sim:noise")
    assert "generate_video_with_seedance" in result.tool_calls()
    assert "I encountered a temporary issue" in result.final_texts[-1]
    assert "#sim" not in json.dumps(result.events)


async def test_force_next_turn_overrides_the_text_once(api: Api, sim: Simulator) -> None:
    await api.turn("generate a video of a road")
    sim.force_next_turn(Scenario.EDIT, action=EditAction.TRIM, noise=True, thoughts=True)
    forced = await api.turn("hello")
    assert forced.tool_calls() == ["edit_multitrack"]
    assert forced.final_texts[-1].startswith("I encountered a temporary issue")
    thoughts = [p for e in forced.events for p in e["content"]["parts"] if p.get("thought")]
    assert thoughts
    assert all(isinstance(part["text"], str) for part in thoughts)
    assert (await api.turn("hello")).tool_calls() == []


async def test_partials_can_be_limited_to_requests_that_ask_for_streaming(api: Api, sim: Simulator) -> None:
    sim.config.partials = "when_requested"
    plain = await api.turn("hello")
    streamed = await api.turn("", body=api.run_body("hello", streaming=True))
    assert plain.partial_texts == []
    assert streamed.partial_texts
