"""Rewriting the agent's web-editor instructions for a chat."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.chat import Action
from core.gui_language import GuiTranslation, IncrementalGuiTranslator, translate_gui

_CLICK = re.compile(r"\b(?:click|clicks|clicked|clicking)\b|点击", re.IGNORECASE)


def test_the_agents_typical_closing_line_offers_export_and_the_track_list() -> None:
    result = translate_gui("Your video is ready! Preview it in the timeline or click Export.", "en")
    assert result == GuiTranslation(
        "Your video is ready! See the track list below or use Export (the button below, or /export).",
        (Action.EXPORT,),
        True,
    )


@pytest.mark.parametrize(
    "text",
    [
        "Click Export to download your video.",
        "Click the Export button to download your video.",
        "Click the **Export** button in the top right corner to download your video.",
        "Click on “Export” to download your video.",
        "Press Download to download your video.",
        "Tap Export below to download your video.",
    ],
)
def test_export_clicks_become_the_export_button_or_command(text: str) -> None:
    result = translate_gui(text, "en")
    assert result.text == "Use Export (the button below, or /export) to download your video."
    assert result.actions == (Action.EXPORT,)
    assert not result.show_timeline


def test_a_lower_case_instruction_stays_lower_case() -> None:
    assert translate_gui("then click export.", "en").text == "then use Export (the button below, or /export)."


def test_the_export_button_named_without_a_click_points_below() -> None:
    result = translate_gui("When you're happy, use the Export button.", "en")
    assert result.text == "When you're happy, use the Export button below (or /export)."
    assert result.actions == (Action.EXPORT,)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("请点击右上角的导出按钮下载视频。", "使用“导出”（下方按钮，或发送 /export）下载视频。"),
        ("完成后点击导出即可。", "完成后使用“导出”（下方按钮，或发送 /export）即可。"),
        ("使用导出按钮保存。", "使用下方的“导出”按钮（或发送 /export）保存。"),
    ],
)
def test_chinese_export_instructions_become_the_export_button_or_command(text: str, expected: str) -> None:
    result = translate_gui(text, "zh")
    assert result.text == expected
    assert result.actions == (Action.EXPORT,)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("You can preview it in the timeline.", "You can see the track list below."),
        ("Preview the result on the timeline!", "See the track list below!"),
        ("Take a look at the timeline.", "See the track list below."),
    ],
)
def test_previewing_in_the_timeline_asks_for_the_track_list(text: str, expected: str) -> None:
    result = translate_gui(text, "en")
    assert result == GuiTranslation(expected, (), True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("视频已生成！你可以在时间轴中预览。", "视频已生成！你可以查看下方的轨道列表。"),
        (
            "可以在时间轴上预览效果，或点击导出。",
            "可以查看下方的轨道列表，或使用“导出”（下方按钮，或发送 /export）。",
        ),
    ],
)
def test_chinese_timeline_previews_ask_for_the_track_list(text: str, expected: str) -> None:
    result = translate_gui(text, "zh")
    assert result.text == expected
    assert result.show_timeline


@pytest.mark.parametrize(
    "text",
    [
        "Open the Media panel and drag the clip onto the timeline.",
        "Drag the clip to the left to trim it.",
        "Double-click the clip to trim it, then right-click to split.",
        "Go to the Text tab and change the font.",
    ],
)
def test_mouse_instructions_become_an_invitation_to_describe_the_change(text: str) -> None:
    result = translate_gui(text, "en")
    assert result.text == "Just tell me what to change (e.g. “trim the first clip to 5 seconds”)."
    assert result.actions == ()


def test_only_the_mouse_clause_of_a_sentence_is_replaced() -> None:
    result = translate_gui("I added a title; you can adjust it in the Text panel.", "en")
    assert (
        result.text
        == "I added a title; just tell me what to change (e.g. “trim the first clip to 5 seconds”)."
    )


def test_the_invitation_is_given_once_even_for_several_mouse_steps() -> None:
    text = (
        "To trim it:\n1. Open the Text panel\n2. Drag the clip onto track 2\n3. Click Export\n"
        "4. Double-click it"
    )
    result = translate_gui(text, "en")
    assert result.text == (
        "To trim it:\n1. The track list is below\n"
        "2. Just tell me what to change (e.g. “trim the first clip to 5 seconds”)\n"
        "3. Use Export (the button below, or /export)"
    )


@pytest.mark.parametrize(
    "text",
    [
        "打开字体面板并修改字号。",
        "拖动片段的边缘来裁剪。",
        "双击片段即可编辑。",
        "点击播放查看效果。",
    ],
)
def test_chinese_mouse_instructions_become_an_invitation_to_describe_the_change(text: str) -> None:
    assert translate_gui(text, "zh").text == "直接告诉我想怎么改（比如“把第一段剪到 5 秒”）。"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Click the Upload button to add media.",
            "Send the file here in the chat (or paste a link) to add media.",
        ),
        ("Drag your files into the Media library.", "Send the file here in the chat (or paste a link)."),
        ("点击上传按钮添加素材。", "直接在聊天里发送文件（或粘贴链接）添加素材。"),
    ],
)
def test_upload_instructions_ask_for_the_file_in_the_chat(text: str, expected: str) -> None:
    assert translate_gui(text, "en").text == expected


@pytest.mark.parametrize(
    ("text", "expected", "actions"),
    [
        ("Click Generate to create it.", "Reply “Generate” to create it.", ()),
        ("Click **Apply Changes** to confirm.", "Reply “Apply Changes” to confirm.", ()),
        ("Click the save button.", "Reply “save”.", ()),
        ("Click Credits to check your balance.", "Send /credits to check your balance.", (Action.CREDITS,)),
        ("Click New Project to start over.", "Send /new to start over.", (Action.NEW,)),
        ("Click here to open your project.", "Open the link to open your project.", ()),
        ("点击“生成”按钮开始。", "回复“生成”开始。", ()),
        ("点击状态按钮查看。", "发送 /status 查看。", (Action.STATUS,)),
        ("点击下方链接打开项目。", "打开链接打开项目。", ()),
    ],
)
def test_other_labelled_clicks_become_replies_or_commands(
    text: str, expected: str, actions: tuple[Action, ...]
) -> None:
    result = translate_gui(text, "en")
    assert (result.text, result.actions) == (expected, actions)


def test_an_english_gui_phrase_in_a_chinese_line_is_rewritten_in_chinese() -> None:
    result = translate_gui("视频已完成，请 click Export 下载。", "zh")
    assert result.text == "视频已完成，请 使用“导出”（下方按钮，或发送 /export） 下载。"


@pytest.mark.parametrize(
    "text",
    [
        "I added upbeat music and a title “Summer”. The video is 15 seconds long.",
        "I selected Lo-fi Beats as the music; the song hits Top 10.",
        "Added subtitles at 0:05. Looks great, e.g. for TikTok!",
        "字幕已添加，视频时长 15 秒。",
        "",
        "\n\n  \n",
    ],
)
def test_text_without_gui_instructions_is_left_unchanged(text: str) -> None:
    assert translate_gui(text, "en") == GuiTranslation(text, (), False)


def test_export_is_offered_once_however_often_it_is_mentioned() -> None:
    result = translate_gui("Click Export now. Or click Download. 点击导出。", "en")
    assert result.actions == (Action.EXPORT,)


def test_blank_lines_and_other_lines_survive_a_rewrite() -> None:
    text = "Done!\n\nDrag the clip to trim it.\n\n- Music: Lo-fi\n- Title: Summer"
    result = translate_gui(text, "en")
    assert result.text == (
        "Done!\n\nJust tell me what to change (e.g. “trim the first clip to 5 seconds”).\n\n"
        "- Music: Lo-fi\n- Title: Summer"
    )


_GUI_SENTENCES = [
    "Click Export.",
    "click the export button in the top-right corner",
    "Preview it in the timeline",
    "Open the Media panel",
    "Drag the clip onto track 2",
    "Click on it to select",
    "clicking Apply saves",
    "点击导出",
    "点击右上角的“导出”按钮",
    "在时间轴中预览",
    "打开素材面板",
    "把片段拖到时间轴上",
    "点击这里",
    "点击保存",
    "单击片段",
]


@given(
    st.lists(st.sampled_from(_GUI_SENTENCES) | st.text(max_size=20), max_size=6),
    st.sampled_from(["en", "zh"]),
)
def test_no_click_instruction_survives_a_rewrite(parts: list[str], lang: str) -> None:
    result = translate_gui(" ".join(parts), lang)
    assert _CLICK.search(result.text) is None


@given(st.text(), st.sampled_from(["en", "zh", "fr", ""]))
def test_translate_gui_never_raises_and_is_stable_when_repeated(text: str, lang: str) -> None:
    once = translate_gui(text, lang)
    assert isinstance(once.text, str)
    assert len(set(once.actions)) == len(once.actions)
    assert translate_gui(once.text, lang).text == once.text


@given(st.lists(st.sampled_from(_GUI_SENTENCES), min_size=1, max_size=5), st.sampled_from(["en", "zh"]))
def test_rewriting_gui_text_twice_changes_nothing_more(parts: list[str], lang: str) -> None:
    once = translate_gui(". ".join(parts), lang)
    assert translate_gui(once.text, lang).text == once.text


# The contract's rules, one test each -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Click [Export] to render it.", "Use Export (the button below, or /export) to render it."),
        ("Click 【Export】 now.", "Use Export (the button below, or /export) now."),
        ("Click [Generate] to start.", "Reply “Generate” to start."),
        ("点击[导出]即可。", "使用“导出”（下方按钮，或发送 /export）即可。"),
    ],
)
def test_click_with_bracket_notation_becomes_the_chat_equivalent(text: str, expected: str) -> None:
    assert translate_gui(text, "en").text == expected


@pytest.mark.parametrize(
    ("text", "expected", "timeline", "media"),
    [
        ("Open the [Media] panel to see your files.", "Your uploaded files are listed below.", False, True),
        ("Open the Assets library.", "Your uploaded files are listed below.", False, True),
        ("Open [Timeline] to check the tracks.", "The track list is below.", True, False),
        ("Go to the Layers panel.", "The track list is below.", True, False),
        ("打开素材面板可以查看你的文件。", "下方列出了你上传的素材。", False, True),
        ("打开【时间轴】查看。", "下方是轨道列表。", True, False),
    ],
)
def test_open_a_panel_shows_what_that_panel_would_show(
    text: str, expected: str, timeline: bool, media: bool
) -> None:
    result = translate_gui(text, "en")
    assert (result.text, result.show_timeline, result.show_media) == (expected, timeline, media)


def test_open_the_export_panel_offers_the_export() -> None:
    result = translate_gui("Open the Export panel to render.", "en")
    assert result.text == "Use Export (the button below, or /export)."
    assert result.actions == (Action.EXPORT,)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Drag the clip onto the timeline, then drop it after the intro.",
            "Just tell me, e.g. “move the clip after the intro”.",
        ),
        ("Drag the title to the end.", "Just tell me, e.g. “move the title to the end”."),
        ("把字幕拖拽到时间轴上，放在结尾。", "直接告诉我，比如“把字幕移到结尾”。"),
    ],
)
def test_drag_and_drop_become_a_chat_edit_with_nothing_half_translated(text: str, expected: str) -> None:
    result = translate_gui(text, "en")
    assert result.text == expected
    assert not re.search(r"\b(?:drag|drop)\b|拖|放在", result.text)


@pytest.mark.parametrize(
    "text",
    ["Preview in timeline.", "Preview it in timeline.", "Preview in the timeline.", "Check it on timeline."],
)
def test_preview_in_timeline_with_or_without_the_lists_the_tracks(text: str) -> None:
    result = translate_gui(text, "en")
    assert result.text == "See the track list below."
    assert result.show_timeline


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Use Export button when ready.", "Use Export button below (or /export) when ready."),
        ("Hit Export when ready.", "Use Export (the button below, or /export) when ready."),
        ("满意后就可以导出了。", "满意后就可以导出了。"),
    ],
)
def test_export_button_hit_export_and_a_bare_export_offer_the_export(text: str, expected: str) -> None:
    result = translate_gui(text, "en")
    assert result.text == expected
    assert result.actions == (Action.EXPORT,)


# Incremental translation ------------------------------------------------------------------------

_REPLY = (
    "Done! Preview it in the timeline or click Export. To move it, drag the clip onto the timeline, "
    "then drop it after the intro.\n\nOpen the [Media] panel to see your files. "
    "打开素材面板可以查看你的文件。满意的话就可以导出了。\n"
    "The song hits Top 10, e.g. on TikTok. Click [Generate] to go on."
)


@given(st.lists(st.integers(min_value=1, max_value=len(_REPLY)), min_size=1, max_size=30))
def test_incremental_translation_ends_equal_to_one_pass_whatever_the_flush_points(cuts: list[int]) -> None:
    translator = IncrementalGuiTranslator("en")
    for cut in sorted(cuts):
        translator.feed(_REPLY[:cut])
    assert translator.feed(_REPLY) == translate_gui(_REPLY, "en").text


def test_a_text_that_stops_extending_the_settled_part_is_translated_afresh() -> None:
    translator = IncrementalGuiTranslator("en")
    translator.feed("Click Export. Then more")
    assert (
        translator.feed("Something else. Click Export.")
        == translate_gui("Something else. Click Export.", "en").text
    )


def test_settled_sentences_are_translated_once() -> None:
    """Feeding a growing reply translates each settled sentence once: the work is linear in its length."""
    translated: list[int] = []
    translator = IncrementalGuiTranslator("en")
    original = translator._rewriter.translate

    def counting(text: str) -> str:
        translated.append(len(text))
        return original(text)

    translator._rewriter.translate = counting  # type: ignore[method-assign]
    sentence = "I added music and a title. "
    reply = sentence * 400
    for end in range(0, len(reply), 7):
        translator.feed(reply[:end])
    assert sum(translated) <= len(reply)  # every settled character went through the translator once
    assert translator.feed(reply) == translate_gui(reply, "en").text


# Phrases every rule reacts to, and ordinary words around them: the quick check must never skip one.
_FRAGMENTS = [
    "Click Export",
    "click the **Download** button in the top right corner",
    "tap Generate",
    "press [Save]",
    "hit Render",
    "the Export button",
    "Preview it in the timeline",
    "check out the timeline",
    "open the Media panel",
    "go to the Settings tab",
    "switch to the Text tab",
    "look at [Timeline]",
    "navigate to the editor page",
    "head over to the sidebar",
    "drag the intro clip after the outro",
    "drop it after the title",
    "place the logo at the end",
    "put your photo before the song",
    "double-click the clip",
    "right-click the track",
    "hover over the playhead",
    "use the scrubber and the inspector in the toolbar",
    "click here",
    "点击导出按钮",
    "点一下【生成】",
    "按下“保存”按钮",
    "在时间轴中预览效果",
    "预览时间轴",
    "打开素材面板",
    "打开【时间轴】",
    "把片头拖到结尾",
    "放在片尾",
    "双击片段",
    "右键轨道",
    "侧边栏里的工具栏",
    "Your video is ready",
    "I added upbeat music",
    "c0001s0001",
    "导出",
    "满意后就可以导出了",
    "时间线",
    "轨道",
]
_SEPARATORS = [" ", ". ", ", ", "\n", "。", "，", " and then ", "; ", "! ", " — "]


@given(
    st.lists(st.sampled_from(_FRAGMENTS) | st.text(max_size=12), min_size=1, max_size=8),
    st.lists(st.sampled_from(_SEPARATORS), min_size=8, max_size=8),
    st.sampled_from(["en", "zh"]),
)
def test_the_quick_check_changes_no_translation(pieces: list[str], separators: list[str], lang: str) -> None:
    """Text the quick check lets through unscanned is exactly what the full rewrite leaves alone."""
    from core.gui_language import _Rewriter

    text = "".join(piece + separator for piece, separator in zip(pieces, separators, strict=False))
    quick, full = _Rewriter(lang), _Rewriter(lang)
    assert quick.translate(text) == full.rewrite(text)
    assert (quick.actions, quick.show_timeline, quick.show_media) == (
        full.actions,
        full.show_timeline,
        full.show_media,
    )


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("fragment", _FRAGMENTS)
def test_the_quick_check_lets_every_rule_through(fragment: str, lang: str) -> None:
    """Each phrase on its own, in plain surroundings: the quick check hands it to the full rewrite."""
    from core.gui_language import _Rewriter

    text = f"Nice. {fragment} when you are ready."
    assert _Rewriter(lang).translate(text) == _Rewriter(lang).rewrite(text)


@pytest.mark.parametrize(
    "run_on",
    [
        "c0001s0001 c0001s0002 c0001s0003 " * 6 + "and then click Export to get your file",
        "我加了音乐和标题 " * 10 + "然后点击导出按钮就可以了",
        "x" * 60 + " go    to the Settings tab",
        "a" * 26 + " click Export now",  # the instruction completes inside the first 32 characters
    ],
)
def test_a_growing_run_on_tail_is_rewritten_the_moment_its_instruction_is_complete(run_on: str) -> None:
    """A tail with no sentence end, fed a character at a time: every version shown equals a fresh
    one-pass rewrite of that prefix, also when the instruction's words arrive split across feeds."""
    for lang in ("en", "zh"):
        translator = IncrementalGuiTranslator(lang)
        for end in range(1, len(run_on) + 1):
            assert translator.feed(run_on[:end]) == translate_gui(run_on[:end], lang).text, run_on[:end]
