"""Who may use the bot, and how much of a shared NemoVideo account each user may spend.

IDs in ``NEMOBOT_ALLOWED``/``NEMOBOT_ADMINS`` are platform-qualified (``telegram:12345``) and match
either the sender or the chat, so an operator can open the bot to one group without listing its
members. Caps apply only when chats share the operator's ``NEMO_TOKEN``: an anonymous chat spends its
own trial credits and a chat with its own ``/token`` spends its owner's.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from core.chat import ChatKey
from core.ports import Store
from core.settings import Settings, parse_ids

# A refused user hears "not available" once per this many seconds, not on every message.
_REFUSAL_QUIET_S = 3600.0
# Forget a user's message times after this long (the rate window is one minute).
_RATE_WINDOW_S = 60.0


def today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


@dataclass(frozen=True, slots=True)
class Allowance:
    """What is left of today's turns for a user in a chat (``None``: no cap applies)."""

    user_left: int | None
    chat_left: int | None
    user_cap: int
    chat_cap: int

    @property
    def exhausted(self) -> bool:
        return (self.user_left is not None and self.user_left <= 0) or (
            self.chat_left is not None and self.chat_left <= 0
        )


class Gate:
    """Access control, per-user message rate and daily turn caps."""

    def __init__(
        self, settings: Settings, store: Store, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._settings = settings
        self._store = store
        self._clock = clock
        self._allowed = parse_ids(settings.nemobot_allowed)
        self._admins = parse_ids(settings.nemobot_admins)
        self._refused_at: dict[str, float] = {}
        self._recent: defaultdict[str, deque[float]] = defaultdict(deque)
        self._warned_at: dict[str, float] = {}

    @staticmethod
    def _user(chat: ChatKey, user_id: str) -> str:
        return f"{chat.platform}:{user_id}"

    def allowed(self, chat: ChatKey, user_id: str) -> bool:
        if not self._allowed:
            return True
        candidates = {self._user(chat, user_id), f"{chat.platform}:{chat.chat_id}"}
        return bool(candidates & self._allowed) or self.is_admin(chat, user_id)

    def is_admin(self, chat: ChatKey, user_id: str) -> bool:
        return self._user(chat, user_id) in self._admins

    def should_explain_refusal(self, chat: ChatKey, user_id: str) -> bool:
        """True the first time (per hour) a refused user writes: one polite message, then quiet."""
        key, now = self._user(chat, user_id), self._clock()
        last = self._refused_at.get(key)
        if last is not None and now - last < _REFUSAL_QUIET_S:
            return False
        self._refused_at[key] = now
        return True

    def rate(self, chat: ChatKey, user_id: str) -> tuple[bool, bool]:
        """(within the per-minute limit, should warn now). Admins are never limited."""
        limit = self._settings.nemobot_messages_per_minute
        if limit == 0 or self.is_admin(chat, user_id):
            return True, False
        key, now = self._user(chat, user_id), self._clock()
        recent = self._recent[key]
        while recent and now - recent[0] > _RATE_WINDOW_S:
            recent.popleft()
        if len(recent) < limit:
            recent.append(now)
            return True, False
        warned = self._warned_at.get(key)
        warn = warned is None or now - warned > _RATE_WINDOW_S
        if warn:
            self._warned_at[key] = now
        return False, warn

    def caps_apply(self, user_token: str | None) -> bool:
        """Caps protect a shared operator token; a user's own token or an anonymous trial is theirs."""
        return self._settings.nemo_token is not None and user_token is None

    async def allowance(self, chat: ChatKey, user_id: str, user_token: str | None) -> Allowance:
        """Today's turns and exports left: the user's across every chat of the deployment, and the chat's."""
        user_cap = self._settings.nemobot_turns_per_day
        chat_cap = self._settings.nemobot_chat_turns_per_day
        if not self.caps_apply(user_token) or self.is_admin(chat, user_id):
            return Allowance(None, None, user_cap, chat_cap)
        day = today()
        user_left = chat_left = None
        if user_cap:
            user_left = user_cap - await self._store.user_usage(chat.platform, user_id, day)
        if chat_cap:
            chat_left = chat_cap - await self._store.usage(chat, day)
        return Allowance(user_left, chat_left, user_cap, chat_cap)

    async def record_use(self, chat: ChatKey, user_id: str, kind: str) -> None:
        """Count one capped event (``turn`` or ``export``)."""
        await self._store.add_usage(chat, user_id, kind, today())
