"""The door into the core: the only calls an adapter makes, and the values it hands over.

An adapter maps a platform event to a frozen value (:class:`~core.chat.Inbound` for a message,
:class:`Press` for a button or a slash action) and calls :class:`Core`. Everything else (access,
rate, caps, de-duplication, who may cancel or reset, storing before acknowledging) runs behind the
door, once, for every platform::

    platform ──► adapter (map) ──► Core.receive / Core.press ──► rules, jobs, queued work
        ▲                                                            │
        └──────────── adapter (send) ◄── Outbound (core/ports.py) ◄──┘

Adapters import this module and the vocabulary (``core.chat``, ``core.ports``, ``core.i18n``'s
``Lang``/``t``, ``core.redact``, ``core.settings``); ``tests/test_architecture.py`` enforces it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Protocol

from core.chat import Action, ChatKey, Inbound, MessageRef, Sender
from core.i18n import Lang
from core.ports import Outbound
from core.skills import PROFILES

# A prompt longer than this is almost certainly a paste by mistake; the agent does better with less.
MAX_PROMPT_CHARS: Final = 4000
# The editing modes a chat can switch to (``/skill NAME``), for adapters that offer a choice.
SKILL_NAMES: Final[tuple[str, ...]] = tuple(PROFILES)

# Answered only to whoever asked (where the platform can answer privately): they are about one
# person, or short and informational.
PRIVATE_ACTIONS: Final[frozenset[Action]] = frozenset({Action.CREDITS, Action.HELP})
# Typed commands answered only to whoever typed them, where the adapter offers ``privately`` (a
# Discord slash command's ephemeral reply): about one person, a secret, or an operator's report.
PRIVATE_COMMANDS: Final[frozenset[str]] = frozenset(
    {"credits", "help", "start", "whoami", "token", "admin", "upload"}
)
# Actions and commands answered at once and completely (no queued work): where the adapter offers
# ``in_place`` (a slash command's own response) the answer goes there, not to a second message.
IN_PLACE_ACTIONS: Final[frozenset[Action]] = frozenset({Action.STATUS, Action.CREDITS, Action.HELP})
IN_PLACE_COMMANDS: Final[frozenset[str]] = PRIVATE_COMMANDS | {"status", "skill", "lang"}
# Answers that need a backend call (may take seconds): acknowledge the platform before asking.
BACKEND_ACTIONS: Final[frozenset[Action]] = frozenset({Action.STATUS, Action.CREDITS})
# Presses the core may refuse to this presser (who may stop or reset shared work, see
# ``CommandHandler.may_reset``): the refusal goes to ``privately``, so an adapter that can only
# answer once (Telegram's callback answer) waits for the core before answering.
GUARDED_ACTIONS: Final[frozenset[Action]] = frozenset({Action.CANCEL, Action.NEW})


@dataclass(frozen=True, slots=True)
class Press:
    """A button press or a slash action, as the core sees it.

    ``press_id`` is the platform's own id for the event (Telegram callback query id, Discord
    interaction id): the core runs each id once, so double taps and redeliveries do nothing.
    ``sender.is_chat_admin`` is the platform's fact that the presser moderates the chat.
    """

    chat: ChatKey
    action: Action
    sender: Sender
    is_group: bool = False
    press_id: str | None = None
    # The message the button was under (Telegram: the result of an export replies to it in groups).
    origin: MessageRef | None = None


class CoreUnavailable(Exception):
    """The core could not store the event, so it was not accepted.

    Where the platform redelivers (Telegram), the adapter must not confirm it; elsewhere the adapter
    shows ``notice`` (already in the chat's language) to the user.
    """

    def __init__(self, notice: str) -> None:
        super().__init__("the event could not be stored")
        self.notice = notice


class Core(Protocol):
    """What an adapter may ask of the core. Implemented by :class:`core.bot.NemoBot`."""

    def attach(self, platform: str, out: Outbound, *, bot_username: str | None = None) -> None:
        """Register the platform's outbound port (and the bot's @username, to recognise /cmd@bot)."""
        ...

    async def receive(
        self, inbound: Inbound, *, privately: Outbound | None = None, in_place: Outbound | None = None
    ) -> None:
        """Take one message. Failures become a message in the chat; raises only
        :class:`CoreUnavailable` when the message could not be stored (nothing was accepted).

        ``privately`` and ``in_place`` are as for :meth:`press`, for a typed command
        (:data:`PRIVATE_COMMANDS`, :data:`IN_PLACE_COMMANDS`)."""
        ...

    async def press(
        self, press: Press, *, privately: Outbound | None = None, in_place: Outbound | None = None
    ) -> None:
        """Take one button press or slash action. ``privately`` answers only the presser (a Discord
        ephemeral reply): private actions and refusals go there. ``in_place`` is the slash command's
        own public response: answers of :data:`IN_PLACE_ACTIONS` go there instead of a new chat
        message; queued work always answers in the chat. Raises only :class:`CoreUnavailable`."""
        ...

    def allowed(self, chat: ChatKey, user_id: str) -> bool:
        """Whether the access list lets this user in (to refuse before a platform shows "thinking…")."""
        ...

    async def language(self, chat: ChatKey, locale: str | None = None) -> Lang:
        """The chat's language (its setting, else the locale hint), for an adapter's own short texts."""
        ...

    async def help_text(self, chat: ChatKey, locale: str | None = None) -> str:
        """The welcome and help text, as ``/help`` would show it (the console prints it at start)."""
        ...

    async def interrupt(self, chat: ChatKey) -> None:
        """Stop the chat's work as the local operator asked (the console's Ctrl-C)."""
        ...

    async def wait_idle(self, chat: ChatKey) -> None:
        """Return once the chat has no work running or waiting."""
        ...

    async def resume(self) -> int:
        """After a restart: resume stored open work; returns how many jobs were picked up."""
        ...

    async def take_role(self, role: str) -> str | None:
        """Hold a role one worker of a fleet may have (``poller/telegram``): None when it is this
        worker's now, else the id of the worker that has it (the adapter refuses to start)."""
        ...

    async def housekeep(self) -> None:
        """Periodic upkeep (forgetting old de-duplication claims); the runner calls it now and then."""
        ...

    async def stop(self) -> None:
        """Stop all work; accepted jobs stay stored for :meth:`resume`."""
        ...
