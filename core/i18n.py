"""User-facing language: which one a chat speaks, and the texts the bot says in it.

The catalog itself lives in :mod:`core.texts`; this module picks a language and formats a text
so that a missing key, language or placeholder never turns into an exception in a chat handler.
"""

from __future__ import annotations

import logging
import re
import string
from collections.abc import Mapping
from typing import Final, Literal

from core.chat import Action, Button
from core.texts import CATALOG

log = logging.getLogger(__name__)

Lang = Literal["en", "zh"]
"""The languages the bot speaks; everything else falls back to English."""

LANGS: Final[tuple[Lang, ...]] = ("en", "zh")
DEFAULT_LANG: Final[Lang] = "en"

# Han ideographs (BMP, extension A, compatibility) decide "Chinese"; kana marks Japanese, which
# also uses Han, so text with kana is left to the locale instead of being answered in Chinese.
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
# An empty placeholder inside brackets ("too large ()") reads like a bug; drop the brackets.
_EMPTY_BRACKETS = re.compile(r" ?\(\s*\)|（\s*）")


def contains_cjk(text: str) -> bool:
    """Whether ``text`` has a Han (Chinese) character."""
    return _HAN.search(text) is not None


def detect_language(text: str, locale: str | None = None) -> Lang:
    """The language to answer in: Chinese characters in the text win, then a ``zh*`` locale, else English."""
    if contains_cjk(text) and not _KANA.search(text):
        return "zh"
    if locale and locale.strip().lower().startswith("zh"):
        return "zh"
    return "en"


def parse_lang(value: str | None) -> Lang | None:
    """A ``/lang`` argument (``en``, ``English``, ``zh``, ``中文``, ``zh-CN``…) as a language, or ``None``."""
    if not value:
        return None
    word = value.strip().lower()
    if word in {"en", "eng", "english", "英文", "英语"} or word.startswith("en-"):
        return "en"
    if word in {"zh", "cn", "chinese", "mandarin", "中文", "汉语", "简体中文"} or word.startswith("zh"):
        return "zh"
    return None


def session_language(lang: Lang) -> str:
    """The ``language`` sent when creating a backend session (the docs' examples use ``zh-CN``)."""
    return "zh-CN" if lang == "zh" else "en"


class _KeepMissing(dict[str, str]):
    """Format values where a placeholder nobody supplied stays visible instead of raising."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def t(lang: Lang, key: str, **values: object) -> str:
    """The catalog text ``key`` in ``lang`` with ``values`` filled in; never raises.

    An unknown language or a text missing in that language falls back to English. A ``count`` of
    1 picks the singular variant (``en_one``) where the text has one. An unknown key
    is a programming error: it is logged and the key itself is returned, so the chat still gets a
    message and the log says what to fix. A placeholder without a value is left as ``{name}``.
    """
    entry: Mapping[str, str] | None = CATALOG.get(key)
    if entry is None:
        log.warning("no text for key %r", key)
        return key
    template = entry.get(lang) or entry[DEFAULT_LANG]
    if values.get("count") == 1:
        # Plural-aware texts carry a singular variant ("en_one"); Chinese needs none.
        template = entry.get(f"{lang}_one") or template
    filled = _KeepMissing({name: str(value) for name, value in values.items()})
    try:
        text = string.Formatter().vformat(template, (), filled)
    except (ValueError, IndexError, AttributeError, TypeError, KeyError):
        log.warning("could not format text %r", key, exc_info=True)
        return template
    if any(value == "" for value in filled.values()):
        text = _EMPTY_BRACKETS.sub("", text)
    return text


def media_kind(lang: Lang, kind: object) -> str:
    """A media file's type as the chat's language says it (``video``, ``图片``…)."""
    known = str(kind).lower() if kind else ""
    return t(lang, f"media_{known}") if known in ("video", "image", "audio") else t(lang, "media_other")


def action_label(lang: Lang, action: Action) -> str:
    """The label for a button that triggers ``action`` (``Export``, ``导出``…)."""
    return t(lang, f"btn_{action.value}")


def labelled(lang: Lang, *actions: Action, requester: str | None = None) -> tuple[Button, ...]:
    """Buttons for ``actions`` labelled in ``lang`` (each once, in order), carrying ``requester``."""
    return tuple(Button(a, action_label(lang, a), requester) for a in dict.fromkeys(actions))
