"""The simulator plays each skill at the protocol level: partial text, the skill's tool events, the
tracks its work leaves, silent turns when the seeded draw says so, and its own words for a missing input.
"""

from __future__ import annotations

import pytest

from simulator import Simulator
from tests.simulator.helpers import Api, tracks_of

CASES = [
    (
        "lipsyncvideo-ai",
        [("face.mp4", b"f" * 900), ("voice.mp3", b"v" * 900)],
        "sync this voiceover to the speaker",
        ["lip_sync_video"],
    ),
    (
        "ai-voiceover-for-video",
        [("trip.mp4", b"t" * 900)],
        "narrate my video",
        ["generate_voiceover", "edit_multitrack"],
    ),
    (
        "ai-voiceover-for",
        [],
        'read this aloud: "Thank you for calling, we will be right with you."',
        ["generate_voiceover", "edit_multitrack"],
    ),
    (
        "music-video-generator",
        [("song.mp3", b"s" * 900), ("a.jpg", b"a" * 900), ("b.png", b"b" * 900)],
        "make a music video with my photos",
        ["analyze_beats", "edit_multitrack"],
    ),
    (
        "audio-video-to",
        [("clip.mp4", b"c" * 900), ("music.mp3", b"m" * 900)],
        "mix the music under it at 30%",
        ["merge_audio_video"],
    ),
]


@pytest.mark.parametrize(("skill", "files", "text", "tools"), CASES, ids=[case[0] for case in CASES])
async def test_each_skill_streams_calls_its_tools_and_leaves_a_video_and_an_audio_track(
    api: Api, sim: Simulator, skill: str, files: list[tuple[str, bytes]], text: str, tools: list[str]
) -> None:
    api.client.headers["X-Skill-Source"] = skill
    if files:
        assert (await api.upload(*files)).json()["code"] == 0
    result = await api.turn(text, body=api.run_body(text, streaming=True))
    assert result.partial_texts, "the agent's words arrive as partials"
    assert result.tool_calls() == tools
    assert result.tool_results() == tools
    assert len(result.final_texts) == 2  # what it will do, then what it did
    state = await api.state()
    [video] = tracks_of(state, 0)
    [audio] = tracks_of(state, 1)
    assert video["sg"]
    assert audio["sg"]


async def test_the_music_video_cuts_the_photos_to_the_beat_of_the_song(api: Api) -> None:
    api.client.headers["X-Skill-Source"] = "music-video-generator"
    await api.upload(("song.mp3", b"s" * 900), ("a.jpg", b"a" * 900), ("b.jpg", b"b" * 900))
    await api.turn("cut my photos to the beat")
    state = await api.state()
    [video] = tracks_of(state, 0)
    lengths = {segment["d"] for segment in video["sg"]}
    assert len(lengths) == 1, "every cut lasts one bar"
    assert [segment["file"] for segment in video["sg"][:4]] == ["a.jpg", "b.jpg", "a.jpg", "b.jpg"]
    [song] = tracks_of(state, 1)[0]["sg"]
    assert song["name"] == "song.mp3"
    assert song["d"] == sum(segment["d"] for segment in video["sg"])


async def test_a_skill_turn_can_be_silent_and_still_do_the_work(api: Api, sim: Simulator) -> None:
    sim.config.silent_edit_rate = 1.0
    api.client.headers["X-Skill-Source"] = "audio-video-to"
    await api.upload(("clip.mp4", b"c" * 900), ("music.mp3", b"m" * 900))
    result = await api.turn("replace the sound with this audio")
    assert result.tool_calls() == ["merge_audio_video"]
    assert len(result.final_texts) == 1, "only the opening words; the result comes without text"
    assert tracks_of(await api.state(), 1)[0]["sg"][0]["volume"] == 1.0


async def test_a_missing_input_is_answered_in_words_and_changes_nothing(api: Api) -> None:
    api.client.headers["X-Skill-Source"] = "lipsyncvideo-ai"
    await api.upload(("face.mp4", b"f" * 900))
    result = await api.turn("sync this voiceover to the speaker")
    assert result.tool_calls() == []
    assert result.final_texts[0].startswith("I need an audio track to sync to")
    assert not any(track["sg"] for track in (await api.state())["draft"]["t"])


async def test_a_general_request_in_a_skill_session_is_the_general_editor(api: Api) -> None:
    api.client.headers["X-Skill-Source"] = "audio-video-to"
    result = await api.turn("hello")
    assert result.final_texts[0].startswith("Hi! Upload a video and an audio file")


async def test_lip_sync_voices_a_quoted_script_before_syncing_to_it(api: Api) -> None:
    """The backend can voice words first; the profile does not promise it, the simulator allows it."""
    api.client.headers["X-Skill-Source"] = "lipsyncvideo-ai"
    await api.upload(("face.mp4", b"f" * 900))
    result = await api.turn('lip-sync him saying: "Thanks for watching, see you next week!"')
    assert result.tool_calls() == ["generate_voiceover", "lip_sync_video"]
    [audio] = tracks_of(await api.state(), 1)
    assert audio["sg"][0]["name"] == "Voice: speech.mp3"
