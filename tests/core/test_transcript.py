"""TurnTranscript: the visible text of one turn, once, without backend noise."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from core.nemo.events import TextChunk
from core.nemo.transcript import TurnTranscript

NOISE = "I encountered a temporary issue."


def partial(text: str, author: str | None = None) -> TextChunk:
    return TextChunk(text, partial=True, author=author)


def final(text: str, author: str | None = None) -> TextChunk:
    return TextChunk(text, partial=False, author=author)


def feed(*chunks: TextChunk) -> TurnTranscript:
    transcript = TurnTranscript()
    for chunk in chunks:
        transcript.add(chunk)
    return transcript


def test_a_new_transcript_is_empty() -> None:
    transcript = TurnTranscript()
    assert transcript.text == ""
    assert not transcript.has_text
    assert transcript.finish() == ""


def test_partials_are_appended_into_one_open_segment() -> None:
    transcript = TurnTranscript()
    assert transcript.add(partial("Your vid"))
    assert transcript.add(partial("eo is "))
    assert transcript.add(partial("ready!"))
    assert transcript.text == "Your video is ready!"


def test_the_aggregated_final_replaces_the_partials_without_duplicating_them() -> None:
    transcript = feed(partial("Your vid"), partial("eo is ready!"))
    assert not transcript.add(final("Your video is ready!"))
    assert transcript.text == "Your video is ready!"


def test_a_final_that_differs_from_its_partials_wins() -> None:
    transcript = feed(partial("Your vid"), partial("eo is rea"))
    assert transcript.add(final("Your video is ready! Click Export."))
    assert transcript.text == "Your video is ready! Click Export."


def test_several_finals_in_one_turn_become_separate_segments() -> None:
    transcript = feed(final("Generating your clip now."), final("Your video is ready!"))
    assert transcript.text == "Generating your clip now.\n\nYour video is ready!"


def test_multi_step_streaming_keeps_each_step_once() -> None:
    transcript = feed(
        partial("Generating "),
        partial("now."),
        final("Generating now."),
        partial("Done"),
        partial("!"),
        final("Done!"),
    )
    assert transcript.text == "Generating now.\n\nDone!"


def test_a_re_emitted_identical_final_is_not_repeated() -> None:
    transcript = TurnTranscript()
    assert transcript.add(final("Your video is ready!"))
    assert not transcript.add(final("Your video is ready!"))
    assert transcript.text == "Your video is ready!"


def test_a_re_streamed_identical_final_is_not_repeated() -> None:
    transcript = feed(final("Ready!"), partial("Rea"), partial("dy!"), final("Ready!"))
    assert transcript.text == "Ready!"


def test_the_same_text_later_in_the_turn_is_kept() -> None:
    transcript = feed(final("OK."), final("Adding a title."), final("OK."))
    assert transcript.text == "OK.\n\nAdding a title.\n\nOK."


def test_partials_without_a_final_still_count() -> None:
    transcript = feed(partial("Cut off mid"), partial("-sentence"))
    assert transcript.has_text
    assert transcript.finish() == "Cut off mid-sentence"


def test_whitespace_only_text_does_not_count() -> None:
    transcript = TurnTranscript()
    assert not transcript.add(final("  \n "))
    assert not transcript.add(partial(" "))
    assert not transcript.has_text
    assert transcript.text == ""


def test_a_blank_final_does_not_erase_streamed_text() -> None:
    transcript = feed(partial("Hello"), final(" "))
    assert transcript.text == "Hello"


def test_a_partial_from_another_agent_does_not_overwrite_the_open_segment() -> None:
    transcript = feed(
        partial("Planning", "planner"), partial("Editing", "editor"), final("Editing now", "editor")
    )
    assert transcript.text == "Planning\n\nEditing now"


def test_add_reports_no_change_for_invisible_whitespace() -> None:
    transcript = feed(partial("Hello"))
    assert not transcript.add(partial(" "))
    assert transcript.add(partial("world"))
    assert transcript.text == "Hello world"


def test_trailing_noise_after_a_real_answer_is_dropped() -> None:
    transcript = feed(final("Your video is ready!"), final(NOISE))
    assert transcript.text == f"Your video is ready!\n\n{NOISE}"
    assert transcript.finish() == "Your video is ready!"


def test_noise_with_a_short_follow_up_is_dropped() -> None:
    transcript = feed(final("Title added."), final("i encountered a temporary issue, please try again"))
    assert transcript.finish() == "Title added."


def test_noise_as_a_trailing_paragraph_of_the_last_segment_is_dropped() -> None:
    transcript = feed(final(f"Your video is ready!\n\n{NOISE}"))
    assert transcript.finish() == "Your video is ready!"


def test_noise_alone_is_the_real_answer_and_is_kept() -> None:
    assert feed(final(NOISE)).finish() == NOISE


def test_only_noise_segments_are_all_kept() -> None:
    transcript = feed(final(NOISE), final("I encountered a temporary issue! Please try again."))
    assert transcript.finish() == transcript.text


def test_noise_before_the_real_answer_is_kept() -> None:
    transcript = feed(final(NOISE), final("Retried: your video is ready!"))
    assert transcript.finish() == f"{NOISE}\n\nRetried: your video is ready!"


def test_a_real_explanation_starting_like_noise_is_kept() -> None:
    text = "I encountered a temporary issue with the uploaded file: it is not a video."
    transcript = feed(final("Checking your upload."), final(text))
    assert transcript.finish() == f"Checking your upload.\n\n{text}"


def test_finish_does_not_change_the_transcript() -> None:
    transcript = feed(final("Done."), final(NOISE))
    transcript.finish()
    assert transcript.text == f"Done.\n\n{NOISE}"


CHUNKS = st.lists(
    st.builds(
        TextChunk,
        text=st.text(max_size=8) | st.sampled_from([NOISE, "Done.", " ", "\n\n"]),
        partial=st.booleans(),
        author=st.none() | st.sampled_from(["a", "b"]),
    ),
    max_size=12,
)


@given(CHUNKS)
def test_add_reports_exactly_when_the_visible_text_changes(chunks: list[TextChunk]) -> None:
    transcript = TurnTranscript()
    for chunk in chunks:
        before = transcript.text
        assert transcript.add(chunk) == (transcript.text != before)
        assert transcript.has_text == bool(transcript.text)
        assert transcript.finish() in transcript.text


@given(st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=8))
def test_partials_then_their_final_show_the_final_exactly_once(fragments: list[str]) -> None:
    whole = "".join(fragments)
    transcript = feed(*(partial(f) for f in fragments), final(whole))
    assert transcript.text == whole.strip()
