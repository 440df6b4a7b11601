"""Inline buttons for the core's actions, with all their state in ``callback_data``.

``callback_data`` is ``a:<action>`` (e.g. ``a:export``): nothing is kept in memory, so a button
sent before a restart still works after it. Anything else (an old format, a forged or truncated
value) parses as ``None`` and is answered as stale.
"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from core.chat import Action, Button

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


def keyboard(buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
    """The core's buttons (labelled already) in rows of three; ``None`` for no buttons."""
    unique = list({button.action: button for button in buttons}.values())
    if not unique:
        return None
    keys = [InlineKeyboardButton(b.label, callback_data=callback_data(b.action)) for b in unique]
    rows = [keys[i : i + _PER_ROW] for i in range(0, len(keys), _PER_ROW)]
    return InlineKeyboardMarkup(rows)
