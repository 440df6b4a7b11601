"""Final-message HTML, captions that fit, and buttons whose state is their callback data."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bots.telegram.formatting import CAPTION_LIMIT, split_caption, to_html
from bots.telegram.keyboards import callback_data, keyboard, parse_callback
from core.chat import Action, utf16_length
from core.i18n import labelled
from tests.telegram.fake_html import parse_html


@given(st.text(max_size=300))
def test_formatted_text_always_parses_and_shows_exactly_the_original(text: str) -> None:
    """Whatever the agent says (<, >, &, quotes, URLs, emoji), Telegram's HTML parser accepts it unchanged."""
    visible, _entities = parse_html(to_html(text))
    assert visible == text


def test_links_become_anchors_and_a_short_first_line_becomes_a_heading() -> None:
    """The light formatting of a final message."""
    html = to_html("📥 Got it:\n• a<b>.mp4 & more\nSee https://x.test/a?b=1&c=2.")
    assert html.startswith("<b>📥 Got it:</b>\n")
    assert '<a href="https://x.test/a?b=1&amp;c=2">https://x.test/a?b=1&amp;c=2</a>.' in html
    assert "a&lt;b&gt;.mp4 &amp; more" in html
    assert not to_html("one line only").startswith("<b>")


def test_a_caption_that_fits_is_kept_whole() -> None:
    """Up to 1024 UTF-16 units the caption is the whole text."""
    text = "✅ Your video is ready. Link: https://x.test/v.mp4"
    assert split_caption(text).caption == text
    assert split_caption(text).follow_up == ""


def test_a_long_caption_keeps_its_first_line_and_the_rest_follows_as_a_message() -> None:
    """Emoji count double in UTF-16: the split respects Telegram's measure."""
    text = "✅ Ready.\n" + "🎬" * 600
    split = split_caption(text)
    assert split.caption == "✅ Ready."
    assert split.follow_up == "🎬" * 600
    single = "🎬" * 600
    alone = split_caption(single)
    assert utf16_length(alone.caption) <= CAPTION_LIMIT
    assert alone.caption.endswith("…")
    assert alone.follow_up == single, "nothing is lost"


def test_every_action_survives_the_round_trip_through_callback_data() -> None:
    """Buttons carry their action in callback_data (at most 64 bytes), so a restart loses nothing."""
    for action in Action:
        data = callback_data(action)
        assert len(data.encode()) <= 64
        assert parse_callback(data) is action
    for junk in (None, "", "a:", "a:EXPORT", "export", "b:export", 42):
        assert parse_callback(junk) is None


def test_buttons_are_labelled_in_the_chat_language_three_to_a_row() -> None:
    """Five actions make rows of three and two; duplicates are dropped."""
    markup = keyboard(
        labelled("zh", Action.EXPORT, Action.STATUS, Action.CREDITS, Action.NEW, Action.CANCEL)
        + labelled("zh", Action.EXPORT)
    )
    assert markup is not None
    rows = markup.inline_keyboard
    assert [len(row) for row in rows] == [3, 2]
    assert rows[0][0].text == "导出"
    assert rows[0][0].callback_data == "a:export"
    assert keyboard([]) is None
