"""Labelled links in a caption become URL buttons; the rest of the caption stays as written."""

from __future__ import annotations

from bots.telegram.links import LinkButton, split_links
from core.i18n import t


def test_the_export_caption_in_both_languages_becomes_a_sentence_and_two_buttons() -> None:
    for lang, ready, download, web in (
        ("en", "✅ Your video is ready.", "Download", "Open in the web editor"),
        ("zh", "✅ 视频已导出。", "下载", "在网页编辑器中打开"),
    ):
        caption = (
            t(lang, "export_done_file", link="https://cdn.test/v.mp4")  # type: ignore[arg-type]
            + "\n"
            + t(lang, "web_link", link="https://nemovideo.com/workspace/claim?ct=clm_x")  # type: ignore[arg-type]
        )
        text, buttons = split_links(caption)
        assert text == ready
        assert buttons == [
            LinkButton(download, "https://cdn.test/v.mp4"),
            LinkButton(web, "https://nemovideo.com/workspace/claim?ct=clm_x"),
        ]


def test_a_link_inside_a_sentence_or_without_a_label_is_left_alone() -> None:
    caption = "See https://a.test/x for details\nhttps://b.test/y"
    assert split_links(caption) == (caption, [])
