"""The few texts only the Discord adapter says (everything else comes from the core's catalog)."""

from __future__ import annotations

from typing import Final

from core.i18n import Lang

_TEXTS: Final[dict[str, dict[Lang, str]]] = {
    # The deferred slash command's reply: the work itself shows up as normal channel messages.
    "working_below": {"en": "Working on it below ↓", "zh": "正在处理，请看下方 ↓"},
    "cancel_not_allowed": {
        "en": "Only whoever started this (or a member with Manage Messages) can cancel it.",
        "zh": "只有发起者（或拥有“管理消息”权限的成员）可以取消。",
    },
    # A job card's field naming who asked (a mention inside an embed never pings).
    "requested_by": {"en": "Requested by", "zh": "发起人"},
    "download_failed": {
        "en": "I couldn't fetch {name} from Discord. Please send it again.",
        "zh": "无法从 Discord 获取 {name}，请重新发送。",
    },
}


def say(lang: Lang, key: str, **values: object) -> str:
    """The adapter text ``key`` in ``lang`` (English when missing), with ``values`` filled in."""
    entry = _TEXTS[key]
    return (entry.get(lang) or entry["en"]).format(**values)
