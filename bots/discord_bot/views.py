"""Buttons: one persistent view routes every click by its stable ``custom_id``.

Messages carry buttons whose ids are ``nemobot:<action>``. The view registered at start
(:class:`ActionButtons`, ``timeout=None``) owns those ids, so a button keeps working after a
restart and no per-message view is kept in memory: the views attached to messages are
stopped before sending and only describe the buttons.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Final

import discord

from core.chat import Action, Button

PREFIX: Final = "nemobot:"
BUTTON_ACTIONS: Final[tuple[Action, ...]] = tuple(Action)
_STYLES: Final[dict[Action, discord.ButtonStyle]] = {
    Action.EXPORT: discord.ButtonStyle.success,
    Action.CANCEL: discord.ButtonStyle.danger,
}

OnPress = Callable[[discord.Interaction, Action], Awaitable[None]]


def custom_id(action: Action) -> str:
    """The stable id of the button for ``action``."""
    return PREFIX + action.value


def action_for(custom_id: str) -> Action | None:
    """The action a button id stands for, or ``None`` for a stale or forged id."""
    if not custom_id.startswith(PREFIX):
        return None
    try:
        return Action(custom_id.removeprefix(PREFIX))
    except ValueError:
        return None


class _ActionButton(discord.ui.Button["ActionButtons"]):
    def __init__(self, action: Action, on_press: OnPress) -> None:
        super().__init__(custom_id=custom_id(action), label=action.value)
        self._action = action
        self._on_press = on_press

    async def callback(self, interaction: discord.Interaction) -> None:
        await self._on_press(interaction, self._action)


class ActionButtons(discord.ui.View):
    """The persistent view: one button per :class:`~core.chat.Action`, for ``client.add_view``."""

    def __init__(self, on_press: OnPress) -> None:
        super().__init__(timeout=None)
        for action in BUTTON_ACTIONS:
            self.add_item(_ActionButton(action, on_press))


def buttons_view(buttons: Sequence[Button]) -> discord.ui.View | None:
    """The core's buttons (labelled already) under a message (``None``: none)."""
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    for button in {b.action: b for b in buttons}.values():
        view.add_item(
            discord.ui.Button(
                custom_id=custom_id(button.action),
                label=button.label,
                style=_STYLES.get(button.action, discord.ButtonStyle.secondary),
            )
        )
    # A stopped view is serialised but never stored: clicks go to the persistent ActionButtons.
    view.stop()
    return view
