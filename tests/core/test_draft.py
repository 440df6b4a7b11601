"""Draft helpers: exportability, chat-sized summaries and human diffs of the timeline."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.nemo.draft import diff_drafts, is_exportable, summarize_draft, summarize_tracks

# The synthetic draft from §5 of docs/nemovideo-api.md.
SAMPLE: dict[str, Any] = {
    "d": 10000,
    "m": {"title": "Urban Dreams", "width": 1080, "height": 1920},
    "t": [
        {"tt": 0, "sg": [{"src": "https://cdn.example/gen/clip1.mp4", "d": 10000}]},
        {"tt": 1, "sg": [{"name": "Lo-fi", "d": 10000, "volume": 0.35}]},
        {"tt": 7, "sg": [{"text": "Urban Dreams", "d": 3000}]},
    ],
}
RAW_CLIP: dict[str, Any] = {"d": 10000, "t": [SAMPLE["t"][0]]}


def sample() -> dict[str, Any]:
    return copy.deepcopy(SAMPLE)


class TestIsExportable:
    def test_the_sample_draft_is_exportable(self) -> None:
        assert is_exportable(SAMPLE)

    def test_one_non_empty_track_is_enough(self) -> None:
        assert is_exportable({"t": [{"tt": 0, "sg": []}, {"tt": 7, "sg": [{"text": "Hi"}]}]})

    @pytest.mark.parametrize(
        "draft",
        [None, {}, [], "draft", {"t": []}, {"t": {}}, {"t": [{"tt": 0, "sg": []}]}, {"t": [{"sg": {}}]}],
    )
    def test_missing_or_empty_tracks_are_not_exportable(self, draft: object) -> None:
        assert not is_exportable(draft)


class TestSummaries:
    def test_the_sample_draft_reads_like_the_skill_summary(self) -> None:
        assert summarize_draft(SAMPLE) == (
            "Timeline (3 tracks): 1. Video: clip1.mp4 (0-10s) 2. BGM: Lo-fi (0-10s, 35%) "
            '3. Title: "Urban Dreams" (0-3s)'
        )

    def test_track_lines_are_available_for_multi_line_display(self) -> None:
        assert summarize_tracks(SAMPLE) == [
            "1. Video: clip1.mp4 (0-10s)",
            "2. BGM: Lo-fi (0-10s, 35%)",
            '3. Title: "Urban Dreams" (0-3s)',
        ]

    @pytest.mark.parametrize("draft", [None, {}, {"t": []}, {"t": [{"tt": 0, "sg": []}]}, 42])
    def test_an_empty_draft_says_so(self, draft: object) -> None:
        assert summarize_draft(draft) == "Timeline is empty"
        assert summarize_tracks(draft) == []

    def test_one_track_is_singular(self) -> None:
        assert summarize_draft(RAW_CLIP) == "Timeline (1 track): 1. Video: clip1.mp4 (0-10s)"

    def test_several_clips_are_counted_and_placed_back_to_back(self) -> None:
        draft = {
            "t": [{"tt": 0, "sg": [{"src": "a.mp4", "d": 8000}, {"src": "b.mp4", "d": 8000}, {"d": 8000}]}]
        }
        assert summarize_tracks(draft) == ["1. Video: 3 clips (0-24s)"]

    def test_explicit_starts_and_fractional_seconds(self) -> None:
        draft = {"t": [{"tt": 7, "sg": [{"text": "Hi", "st": 2500, "d": 4500}]}]}
        assert summarize_tracks(draft) == ['1. Title: "Hi" (2.5-7s)']

    def test_volume_on_a_0_to_100_scale(self) -> None:
        draft = {"t": [{"tt": 1, "sg": [{"name": "Jazz", "d": 5000, "volume": 80}]}]}
        assert summarize_tracks(draft) == ["1. BGM: Jazz (0-5s, 80%)"]

    def test_unnamed_or_voice_audio_is_called_audio(self) -> None:
        draft = {"t": [{"tt": 1, "sg": [{"d": 5000}]}, {"tt": 1, "sg": [{"src": "/x/voiceover_1.mp3"}]}]}
        assert summarize_tracks(draft) == ["1. Audio: 1 clip (0-5s)", "2. Audio: voiceover_1.mp3"]

    def test_music_looking_source_is_called_bgm(self) -> None:
        draft = {"t": [{"tt": 1, "sg": [{"url": "https://cdn/music/track.mp3?sig=abc", "d": 1000}]}]}
        assert summarize_tracks(draft) == ["1. BGM: track.mp3 (0-1s)"]

    def test_unknown_track_types_are_plain_tracks(self) -> None:
        assert summarize_tracks({"t": [{"tt": 3, "sg": [{"name": "Sparkle", "d": 1000}]}]}) == [
            "1. Track: Sparkle (0-1s)"
        ]

    def test_long_or_multi_line_names_are_shortened_to_one_line(self) -> None:
        text = "A very long title that goes on\nand on and on beyond any chat line"
        (line,) = summarize_tracks({"t": [{"tt": 7, "sg": [{"text": text}]}]})
        assert "\n" not in line
        assert line.endswith('…"')
        assert len(line) < 60

    def test_odd_values_are_ignored_not_shown(self) -> None:
        draft = {"t": [{"tt": "0", "sg": [{"src": {"x": 1}, "d": "oops", "volume": True}, 5]}, "junk"]}
        assert summarize_tracks(draft) == ["1. Video: 1 clip"]


class TestDiff:
    def test_identical_drafts_have_no_changes(self) -> None:
        assert diff_drafts(SAMPLE, sample()) == []

    def test_a_first_generation_adds_every_track(self) -> None:
        assert diff_drafts(None, SAMPLE) == [
            "Added a video track: clip1.mp4 (0-10s)",
            "Added a background music track: Lo-fi (0-10s, 35%)",
            'Added a title track: "Urban Dreams" (0-3s)',
        ]

    def test_post_production_after_the_raw_clip(self) -> None:
        assert diff_drafts(RAW_CLIP, SAMPLE) == [
            "Added a background music track: Lo-fi (0-10s, 35%)",
            'Added a title track: "Urban Dreams" (0-3s)',
        ]

    def test_volume_change(self) -> None:
        after = sample()
        after["t"][1]["sg"][0]["volume"] = 0.5
        assert diff_drafts(SAMPLE, after) == ["Background music volume changed to 50%"]

    def test_muting(self) -> None:
        after = sample()
        after["t"][0]["sg"][0]["volume"] = 0
        assert diff_drafts(SAMPLE, after) == ["Video track muted"]

    def test_length_change(self) -> None:
        after = sample()
        after["t"][0]["sg"][0]["d"] = 12000
        assert diff_drafts(SAMPLE, after) == ["Video track now 12s (was 10s)"]

    def test_title_text_change_and_move(self) -> None:
        after = sample()
        after["t"][2]["sg"][0].update(text="City Nights", s=1000)
        assert diff_drafts(SAMPLE, after) == [
            'Title changed to "City Nights" (was "Urban Dreams")',
            "Title moved to 1-4s (was 0-3s)",
        ]

    def test_added_clips_are_named(self) -> None:
        """A clip added next to an existing one is named, so a silent edit reads naturally."""
        after = sample()
        after["t"][0]["sg"].append({"src": "clip2.mp4", "d": 5000})
        assert diff_drafts(SAMPLE, after) == [
            "Video track: added clip2.mp4",
            "Video track now 15s (was 10s)",
        ]

    def test_added_unnamed_clips_are_counted(self) -> None:
        """Without names to show, the new clip count is reported instead."""
        after = sample()
        after["t"][0]["sg"].append({"d": 5000})
        assert diff_drafts(SAMPLE, after) == [
            "Video track now has 2 clips (was 1)",
            "Video track now 15s (was 10s)",
        ]

    def test_removed_tracks(self) -> None:
        assert diff_drafts(SAMPLE, RAW_CLIP) == [
            "Removed the background music track: Lo-fi",
            'Removed the title track: "Urban Dreams"',
        ]

    def test_an_unrecognised_track_edit_is_still_reported(self) -> None:
        after = sample()
        after["t"][0]["sg"][0]["effects"] = [{"type": "glitch"}]
        assert diff_drafts(SAMPLE, after) == ["Video track updated"]

    def test_canvas_and_project_title_changes(self) -> None:
        after = sample()
        after["m"] = {"title": "Night City", "width": 1920, "height": 1080}
        assert diff_drafts(SAMPLE, after) == [
            "Canvas changed to 1920x1080 (was 1080x1920)",
            'Project title changed to "Night City"',
        ]

    def test_changes_outside_what_users_see_are_not_reported(self) -> None:
        after = sample()
        after["version"] = 7
        after["t"].append({"tt": 0, "sg": []})
        assert diff_drafts(SAMPLE, after) == []

    def test_everything_removed(self) -> None:
        assert diff_drafts(RAW_CLIP, {"t": []}) == ["Removed the video track: clip1.mp4"]


DRAFT_KEYS = st.sampled_from(
    ["t", "tt", "sg", "d", "s", "st", "start", "m", "volume", "text", "name", "title", "src", "url", "width"]
)
LEAVES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=6)
    | st.sampled_from([0, 1, 7, 0.35, 10000, "1e400", "nan", "https://a/b.mp4?x#y", "/", "\\"])
)
DRAFTISH = st.recursive(
    LEAVES,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(DRAFT_KEYS | st.text(max_size=3), children)
    ),
    max_leaves=40,
)


@given(DRAFTISH)
def test_single_draft_helpers_never_raise_and_give_one_line_per_track(draft: object) -> None:
    assert isinstance(is_exportable(draft), bool)
    summary = summarize_draft(draft)
    lines = summarize_tracks(draft)
    assert isinstance(summary, str)
    assert all("\n" not in line for line in lines)


@given(DRAFTISH, DRAFTISH)
def test_diff_never_raises(before: object, after: object) -> None:
    changes = diff_drafts(before, after)
    assert all(changes)
    assert not any("\n" in change for change in changes)
    assert diff_drafts(after, copy.deepcopy(after)) == []
