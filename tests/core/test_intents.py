"""Whole-message intents, slash commands and media URLs."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.chat import Action
from core.intents import (
    MEDIA_EXTENSIONS,
    Command,
    Intent,
    Routed,
    command_action,
    export_resolution,
    find_links,
    find_media_urls,
    parse_command,
    route,
)


@pytest.mark.parametrize(
    "text",
    [
        "export",
        "Export!",
        "EXPORT",
        "export please",
        "please export the video",
        "export it now 🎬",
        "ok, export to mp4",
        "render the final video",
        "download",
        "download the video",
        "send me the video",
        "can you send me the final video?",
        "导出",
        "下载",
        "导出视频",
        "请导出一下",
        "导出吧！",
        "把视频导出",
        "可以下载吗",
        "ＥＸＰＯＲＴ！",
    ],
)
def test_export_requests_in_english_and_chinese_route_to_export(text: str) -> None:
    assert route(text).intent is Intent.EXPORT


@pytest.mark.parametrize(
    "text",
    [
        "credits",
        "Balance?",
        "remaining",
        "how many credits do I have",
        "how many credits do I have left?",
        "check my credits please",
        "what's my balance",
        "积分",
        "余额",
        "剩余积分",
        "查看积分",
        "我还剩多少积分？",
    ],
)
def test_balance_questions_in_english_and_chinese_route_to_credits(text: str) -> None:
    assert route(text).intent is Intent.CREDITS


@pytest.mark.parametrize(
    "text",
    [
        "status",
        "Status?",
        "show me the tracks",
        "what's on the timeline",
        "What is on the timeline now?",
        "can you show me the timeline?",
        "状态",
        "查看轨道",
        "看一下时间轴",
        "现在的状态",
        "时间轴上有什么？",
    ],
)
def test_timeline_questions_in_english_and_chinese_route_to_status(text: str) -> None:
    assert route(text).intent is Intent.STATUS


@pytest.mark.parametrize(
    "text", ["upload", "Upload!", "I want to upload a video", "how do I upload?", "上传", "上传视频"]
)
def test_wanting_to_upload_without_a_link_routes_to_upload_with_no_urls(text: str) -> None:
    assert route(text) == Routed(Intent.UPLOAD, (), text.strip())


@pytest.mark.parametrize(
    "text",
    [
        "add a title then export",
        "export the video with subtitles",
        "render it in 9:16",
        "balance the audio levels",
        "show the title for 3 seconds",
        "upload the video to YouTube",
        "加个标题然后导出",
        "导出前把音乐调小一点",
        "把状态栏的文字去掉",
    ],
)
def test_edit_instructions_that_mention_an_intent_word_go_to_the_agent(text: str) -> None:
    assert route(text).intent is Intent.CHAT


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "\u200b", " \u200d\u3000 "])
def test_empty_or_whitespace_only_messages_are_empty(text: str) -> None:
    assert route(text) == Routed(Intent.EMPTY)


@pytest.mark.parametrize("text", ["hi", "你好", "👍", "please", "thanks!"])
def test_greetings_and_reactions_are_chat_for_the_agent(text: str) -> None:
    assert route(text).intent is Intent.CHAT


def test_routed_text_is_the_message_without_surrounding_whitespace() -> None:
    assert route("  make it pop!  \n").text == "make it pop!"


def test_a_message_that_is_only_a_media_url_is_an_upload_of_that_url() -> None:
    assert route("https://cdn.example.com/clips/beach.mp4") == Routed(
        Intent.UPLOAD, ("https://cdn.example.com/clips/beach.mp4",), "https://cdn.example.com/clips/beach.mp4"
    )


@pytest.mark.parametrize(
    "text",
    [
        "upload https://a.example/x.mov https://b.example/song.MP3",
        "https://a.example/x.mov and https://b.example/song.MP3",
        "上传 https://a.example/x.mov https://b.example/song.MP3",
        "here's my video: https://a.example/x.mov\nhttps://b.example/song.MP3",
        "这是素材 https://a.example/x.mov，https://b.example/song.MP3",
    ],
)
def test_media_urls_with_only_upload_words_are_an_upload_of_every_url(text: str) -> None:
    routed = route(text)
    assert routed.intent is Intent.UPLOAD
    assert routed.urls == ("https://a.example/x.mov", "https://b.example/song.MP3")


@pytest.mark.parametrize(
    "text",
    [
        "use https://x.example/a.mp4 as background",
        "把 https://x.example/a.mp4 作为背景",
        "https://x.example/a.mp4，当片头",
    ],
)
def test_a_media_url_inside_an_instruction_is_chat_but_still_reported(text: str) -> None:
    assert route(text) == Routed(Intent.CHAT, ("https://x.example/a.mp4",), text)


def test_a_link_that_is_not_media_is_plain_chat() -> None:
    assert route("https://www.youtube.com/watch?v=abc") == Routed(
        Intent.CHAT, (), "https://www.youtube.com/watch?v=abc"
    )


@pytest.mark.parametrize("extension", sorted(MEDIA_EXTENSIONS))
def test_every_accepted_extension_is_found_in_either_case(extension: str) -> None:
    assert find_media_urls(f"https://x.example/a.{extension} https://x.example/b.{extension.upper()}") == (
        f"https://x.example/a.{extension}",
        f"https://x.example/b.{extension.upper()}",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see https://x.example/a.mp4.", ("https://x.example/a.mp4",)),
        ("(https://x.example/a.png)", ("https://x.example/a.png",)),
        ("[clip](https://x.example/a.mp4?sig=abc&e=1)", ("https://x.example/a.mp4?sig=abc&e=1",)),
        ("<https://x.example/a.gif>", ("https://x.example/a.gif",)),
        ("https://x.example/视频.mp4当背景", ("https://x.example/视频.mp4",)),
        ("https://x.example/a.mp4#t=5, nice", ("https://x.example/a.mp4#t=5",)),
        ("https://x.example/a.mp4 https://x.example/a.mp4", ("https://x.example/a.mp4",)),
        ("http://x.example/a.wav", ("http://x.example/a.wav",)),
    ],
)
def test_media_urls_are_cut_cleanly_from_surrounding_text(text: str, expected: tuple[str, ...]) -> None:
    assert find_media_urls(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "https://x.example/a.mp4.zip",
        "https://x.example/a.mp4v",
        "https://video.mp4",
        "https://cdn.mp4.example/page",
        "ftp://x.example/a.mp4",
        "x.example/a.mp4",
        "https://x.example/a.exe",
        "https://x.example/a.pdf",
    ],
)
def test_links_to_other_files_or_schemes_are_not_media(text: str) -> None:
    assert find_media_urls(text) == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/export", Command("export", "")),
        ("/Export", Command("export", "")),
        ("/skill music", Command("skill", "music")),
        ("/skill@nemo_bot music", Command("skill", "music")),
        ("/skill@Nemo_Bot   music video ", Command("skill", "music video")),
        ("  /lang zh", Command("lang", "zh")),
        ("/new\nand more", Command("new", "and more")),
    ],
)
def test_commands_for_this_bot_are_parsed_with_lower_case_names(text: str, expected: Command) -> None:
    assert parse_command(text, "nemo_bot") == expected


def test_a_command_addressed_to_another_bot_is_ignored() -> None:
    assert parse_command("/export@other_bot", "nemo_bot") is None


def test_the_bot_username_may_be_given_with_its_at_sign() -> None:
    assert parse_command("/export@nemo_bot", "@nemo_bot") == Command("export", "")


def test_an_addressed_command_is_accepted_when_the_bot_does_not_know_its_name() -> None:
    assert parse_command("/export@whoever") == Command("export", "")


@pytest.mark.parametrize(
    "text",
    [
        "export",
        "/",
        "/ export",
        "/usr/bin",
        "/export!",
        "/экспорт",
        "/" + "a" * 33,
        "hi /export",
        "/@bot",
        "",
    ],
)
def test_text_that_is_not_a_valid_command_is_not_parsed(text: str) -> None:
    assert parse_command(text, "nemo_bot") is None


def test_a_name_of_exactly_32_characters_is_a_command() -> None:
    assert parse_command("/" + "a" * 32) == Command("a" * 32, "")


@pytest.mark.parametrize(
    ("name", "action"),
    [
        ("export", Action.EXPORT),
        ("status", Action.STATUS),
        ("credits", Action.CREDITS),
        ("balance", Action.CREDITS),
        ("new", Action.NEW),
        ("reset", Action.NEW),
        ("cancel", Action.CANCEL),
        ("stop", Action.CANCEL),
        ("help", Action.HELP),
        ("start", Action.HELP),
        ("/Export", Action.EXPORT),
    ],
)
def test_command_names_and_aliases_map_to_actions(name: str, action: Action) -> None:
    assert command_action(name) is action


@pytest.mark.parametrize("name", ["skill", "lang", "upload", "exports", ""])
def test_commands_without_a_button_action_map_to_none(name: str) -> None:
    assert command_action(name) is None


@given(st.text())
def test_route_never_raises_and_reports_only_media_urls(text: str) -> None:
    routed = route(text)
    assert isinstance(routed.intent, Intent)
    assert routed.urls == find_media_urls(text.strip())
    assert all(urlsplit(url).path.rpartition(".")[2].lower() in MEDIA_EXTENSIONS for url in routed.urls)


@given(st.text(), st.one_of(st.none(), st.text(max_size=40)))
def test_parse_command_never_raises_and_names_are_well_formed(text: str, bot: str | None) -> None:
    command = parse_command(text, bot)
    if command is not None:
        assert 1 <= len(command.name) <= 32
        assert command.name == command.name.lower()
        assert all(ch.isascii() and (ch.isalnum() or ch == "_") for ch in command.name)


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=30))
def test_command_like_text_after_a_slash_never_raises(tail: str) -> None:
    parse_command("/" + tail, "nemo_bot")
    route("/" + tail)


@pytest.mark.parametrize(
    ("text", "resolution"),
    [
        ("export 1080p MP4", "1080p"),
        ("export in 4k", "2160p"),
        ("Export in 4K please", "2160p"),
        ("导出 1080p", "1080p"),
        ("导出4K视频", "2160p"),
        ("render it at 720p", "720p"),
        ("download the video in full hd", "1080p"),
        ("export 2k", "1440p"),
    ],
)
def test_an_export_naming_a_resolution_is_an_export_carrying_it(text: str, resolution: str) -> None:
    assert route(text) == Routed(Intent.EXPORT, (), text, resolution=resolution)


@pytest.mark.parametrize(
    "text", ["make it 4k", "what is 1080p?", "add a 4k title", "upscale to 4k and export"]
)
def test_a_resolution_inside_an_instruction_stays_chat(text: str) -> None:
    assert route(text).intent is Intent.CHAT


def test_a_plain_export_has_no_resolution() -> None:
    assert route("export").resolution is None


@pytest.mark.parametrize(
    "text",
    [
        "upload https://www.youtube.com/watch?v=abc",
        "import https://example.com/download?id=7",
        "上传 https://example.com/share/7",
        "https://drive.google.com/file/d/1AbC/view?usp=sharing",
        "https://www.dropbox.com/s/xyz/holiday?dl=0",
        "here's my video https://1drv.ms/v/s!AbCdEf",
        "https://contoso.sharepoint.com/:v:/g/abc",
        "这是素材 https://pan.baidu.com/s/1abcdef",
    ],
)
def test_upload_with_any_link_and_bare_share_links_are_imports(text: str) -> None:
    routed = route(text)
    assert routed.intent is Intent.UPLOAD
    assert len(routed.urls) == 1
    assert routed.urls[0] in text


@pytest.mark.parametrize(
    "text",
    [
        "https://www.youtube.com/watch?v=abc",
        "https://example.com/page",
        "use https://drive.google.com/file/d/1AbC/view as the intro",
    ],
)
def test_other_links_stay_with_the_agent(text: str) -> None:
    assert route(text).intent is Intent.CHAT


def test_export_resolution_and_find_links_for_slash_commands() -> None:
    assert export_resolution("4k") == "2160p"
    assert export_resolution("now") is None
    assert find_links("a https://x.example/p?q=1, b https://y.example.") == (
        "https://x.example/p?q=1",
        "https://y.example",
    )
