"""Inline buttons for the core's actions, with all their state in ``callback_data``.

``callback_data`` is ``a:<action>`` (e.g. ``a:export``): nothing is kept in memory, so a button
sent before a restart still works after it. Anything else (an old format, a forged or truncated
value) parses as ``None`` and is answered as stale.
"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from core.chat import Action
from core.i18n import Lang, action_label

_PREFIX = "a:"
_PER_ROW = 3
_ACTIONS = {action.value: action for action in Action}


def callback_data(action: Action) -> str:
    """The ``callback_data`` of a button for ``action`` (well under Telegram's 64 bytes)."""
    return f"{_PREFIX}{action.value}"


def parse_callback(data: object) -> Action | None:
    """The action a pressed button asks for, or ``None`` when the data is not one of ours."""
    if not isinstance(data, str) or not data.startswith(_PREFIX):
        return None
    return _ACTIONS.get(data[len(_PREFIX) :])


def keyboard(lang: Lang, actions: Sequence[Action]) -> InlineKeyboardMarkup | None:
    """Buttons for ``actions`` in rows of three, labelled in ``lang``; ``None`` for no buttons."""
    unique = list(dict.fromkeys(actions))
    if not unique:
        return None
    buttons = [InlineKeyboardButton(action_label(lang, a), callback_data=callback_data(a)) for a in unique]
    rows = [buttons[i : i + _PER_ROW] for i in range(0, len(buttons), _PER_ROW)]
    return InlineKeyboardMarkup(rows)
