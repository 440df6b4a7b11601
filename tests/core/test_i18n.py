"""Language detection and the English/Chinese text catalog."""

from __future__ import annotations

import logging
import re
import string

import pytest

from core.chat import Action
from core.i18n import LANGS, action_label, detect_language, parse_lang, session_language, t
from core.texts import CATALOG

# The placeholders each text is documented to take (the contract with the code that calls t()).
EXPECTED_PLACEHOLDERS: dict[str, set[str]] = {
    "storage_unavailable": set(),
    "export_in_progress": set(),
    "reset_not_allowed": set(),
    "admin_usage_private": set(),
    "upload_interrupted": {"files"},
    "upload_interrupted_caption": {"caption"},
    "working_below": set(),
    "download_failed": {"name"},
    "slow_down": set(),
    "daily_limit": {"cap"},
    "allowance": {"user_left", "user_cap", "chat_left", "chat_cap"},
    "token_usage": set(),
    "token_invalid": set(),
    "token_saved": {"deleted"},
    "token_message_deleted": set(),
    "token_message_kept": set(),
    "token_cleared": set(),
    "token_group_refused": {"deleted"},
    "token_group_private": set(),
    "admin_only": set(),
    "admin_usage": {"day", "lines"},
    "admin_caps": {"user_cap", "chat_cap", "rate"},
    "admin_help": set(),
    "upload_fetch_failed": {"name"},
    "help": set(),
    "queued": {"ahead"},
    "still_working": {"minutes"},
    "turn_silent_changes": {"changes"},
    "turn_silent_nochange": set(),
    "stream_dropped": set(),
    "stream_recovered": {"changes"},
    "stream_lost": set(),
    "turn_timeout": set(),
    "turn_timeout_checking": set(),
    "turn_timeout_nochange": set(),
    "connecting": set(),
    "connected": set(),
    "cancelled": set(),
    "nothing_to_cancel": set(),
    "credits": {"available", "frozen", "total"},
    "credits_exhausted_anon": {"link"},
    "credits_exhausted": {"link"},
    "export_blocked": {"link"},
    "upload_unsupported": {"name", "formats"},
    "upload_too_large_backend": {"name", "size"},
    "upload_too_large_platform": {"name", "size", "limit"},
    "upload_empty_file": {"name"},
    "upload_received": {"files"},
    "upload_progress": {"name", "percent", "bar"},
    "upload_hint": set(),
    "status_empty": set(),
    "status": {"timeline", "uploads"},
    "export_not_ready": set(),
    "export_started": set(),
    "export_progress": {"percent", "bar"},
    "export_done": {"link"},
    "export_done_file": {"link"},
    "export_too_big": {"size", "limit", "link"},
    "export_delivered": set(),
    "export_unchanged": set(),
    "reply_rest_in_editor": set(),
    "upload_url_refused": {"url"},
    "export_failed_retrying": set(),
    "export_failed": {"reason"},
    "export_stuck": set(),
    "export_cancelled": set(),
    "upload_cancelled": set(),
    "export_resumed": set(),
    "web_link": {"link"},
    "session_new": set(),
    "session_expired": set(),
    "auth_failed": set(),
    "backend_unavailable": set(),
    "rate_limited": {"seconds"},
    "agent_error": {"reason"},
    "empty_message": set(),
    "message_too_long": {"limit"},
    "error_generic": set(),
    "skill_switched": {"skill"},
    "skill_list": {"current", "skills"},
    "skill_unknown": {"skill", "skills"},
    "lang_switched": set(),
    "lang_unknown": set(),
    "unknown_command": {"command"},
    "button_stale": set(),
    "not_allowed": {"user"},
    "whoami": {"user", "chat"},
    "anonymous_ceiling": set(),
    "upload_voice_note": set(),
    "changes_new_media": {"count"},
    "card_export": set(),
    "export_download_failed": {"link"},
    "media_video": set(),
    "media_image": set(),
    "media_audio": set(),
    "media_other": set(),
    "restarted_during_turn": {"changes"},
    "cancelled_queue": {"count"},
    "no_visible_change": set(),
    "upload_file_missing": {"name"},
    **{f"btn_{action.value}": set() for action in Action},
}


def _placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def test_the_catalog_has_exactly_the_documented_keys() -> None:
    assert set(CATALOG) == set(EXPECTED_PLACEHOLDERS)


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_every_text_exists_in_english_and_chinese(key: str) -> None:
    # Besides both languages, only singular variants ("en_one") of texts that take a count.
    extra = set(CATALOG[key]) - set(LANGS)
    assert set(LANGS) <= set(CATALOG[key])
    assert all(name.endswith("_one") and name[:-4] in LANGS for name in extra)
    assert not extra or "count" in EXPECTED_PLACEHOLDERS[key]
    assert all(text.strip() for text in CATALOG[key].values())


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_both_languages_take_the_documented_placeholders(key: str) -> None:
    for variant, template in CATALOG[key].items():
        assert _placeholders(template) == EXPECTED_PLACEHOLDERS[key], variant


@pytest.mark.parametrize("count", [0, 1, 2, 5])
def test_texts_with_a_count_read_right_in_english_for_one_and_many(count: int) -> None:
    """No "link(s)" or "message(s)": one link, two links."""
    for key, placeholders in EXPECTED_PLACEHOLDERS.items():
        if "count" not in placeholders:
            continue
        text = t("en", key, count=count)
        assert "(s)" not in text, key
        if count == 1:
            assert not re.search(r"\b1 (?:\w+ )?\w+s\b", text), text
        else:
            assert re.search(rf"\b{count} (?:\w+ )?\w+s\b", text), text


@pytest.mark.parametrize("key", sorted(CATALOG))
@pytest.mark.parametrize("lang", LANGS)
def test_every_text_formats_with_dummy_values_and_leaves_no_braces(key: str, lang: str) -> None:
    values = {name: f"<{name}>" for name in EXPECTED_PLACEHOLDERS[key]}
    text = t(lang, key, **values)  # type: ignore[arg-type]
    assert "{" not in text
    assert "}" not in text
    assert all(value in text for value in values.values())


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_chinese_texts_are_chinese_and_english_texts_are_not(key: str) -> None:
    assert re.search(r"[\u4e00-\u9fff]", CATALOG[key]["zh"])
    assert not re.search(r"[\u4e00-\u9fff]", CATALOG[key]["en"])


def test_credits_shows_all_three_numbers() -> None:
    text = t("en", "credits", available=25000, frozen=40, total=25040)
    assert "25000" in text
    assert "40" in text
    assert "25040" in text


def test_the_help_text_lists_every_command_in_both_languages() -> None:
    for lang in LANGS:
        text = t(lang, "help")
        for command in (
            "/upload",
            "/status",
            "/credits",
            "/export",
            "/new",
            "/skill",
            "/lang",
            "/cancel",
            "/help",
        ):
            assert command in text, (lang, command)


def test_a_stream_drop_promises_no_resend_and_no_double_charge() -> None:
    assert "won't resend" in t("en", "stream_dropped")
    assert "charged twice" in t("en", "stream_dropped")
    assert "不会重复扣费" in t("zh", "stream_dropped")


def test_a_missing_placeholder_stays_visible_instead_of_raising() -> None:
    assert t("en", "export_done") == "✅ Your video is ready: {link}"


def test_an_empty_value_in_brackets_drops_the_brackets() -> None:
    assert t("en", "upload_too_large_backend", name="a.mp4", size="") == (
        "“a.mp4” is too large for the editor. Please trim or compress it and send it again."
    )
    assert t("zh", "upload_too_large_backend", name="a.mp4", size="") == (
        "“a.mp4”太大了，编辑器无法接收。请剪短或压缩后再发送。"
    )


def test_values_with_braces_are_inserted_verbatim() -> None:
    assert t("en", "export_failed", reason="{weird}") == (
        "❌ The export failed ({weird}). Your project is safe – try /export again in a bit."
    )


def test_extra_values_are_ignored() -> None:
    assert t("en", "help", unused=1) == t("en", "help")


def test_an_unknown_language_falls_back_to_english() -> None:
    assert t("fr", "help") == t("en", "help")  # type: ignore[arg-type]


def test_an_unknown_key_returns_the_key_and_logs_it(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="core.i18n"):
        assert t("zh", "no_such_key", x=1) == "no_such_key"
    assert "no_such_key" in caplog.text


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("导出视频", None, "zh"),
        ("export 一下", "en-US", "zh"),
        ("hello", "zh-hans", "zh"),
        ("hello", "zh_CN", "zh"),
        ("hello", "ZH-TW", "zh"),
        ("hello", "en", "en"),
        ("hello", None, "en"),
        ("", None, "en"),
        ("hello", "", "en"),
        ("こんにちは、動画", None, "en"),
        ("こんにちは、動画", "zh-CN", "zh"),
        ("👍", "zh", "zh"),
    ],
)
def test_chinese_characters_win_then_the_locale_then_english(
    text: str, locale: str | None, expected: str
) -> None:
    assert detect_language(text, locale) == expected


def test_session_language_uses_the_backends_codes() -> None:
    assert session_language("en") == "en"
    assert session_language("zh") == "zh-CN"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("en", "en"),
        ("English", "en"),
        ("en-GB", "en"),
        ("zh", "zh"),
        ("中文", "zh"),
        ("zh-CN", "zh"),
        ("fr", None),
    ],
)
def test_lang_arguments_are_understood_in_either_language(value: str, expected: str | None) -> None:
    assert parse_lang(value) == expected


def test_every_action_has_a_button_label_in_both_languages() -> None:
    assert action_label("en", Action.EXPORT) == "Export"
    assert action_label("zh", Action.EXPORT) == "导出"
    for action in Action:
        for lang in LANGS:
            assert action_label(lang, action) != f"btn_{action.value}"
