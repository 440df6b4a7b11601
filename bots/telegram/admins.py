"""Whether a user administers a Telegram group (getChatMember), remembered for a short while.

The core lets a chat's admins stop or reset others' work in a group; Telegram states that fact
only on request, so the adapter asks when it matters (a command or a button in a group) and keeps
the answer briefly instead of asking on every press.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from telegram import Bot
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError

from core.redact import redact

log = logging.getLogger(__name__)

_ADMIN_STATUSES = frozenset({ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR})


class ChatAdmins:
    """Answers "is this user an admin of this chat?", cached for ``ttl_s`` seconds per pair."""

    def __init__(
        self,
        bot: Bot,
        *,
        ttl_s: float = 60.0,
        secrets: tuple[str, ...] = (),
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._bot = bot
        self._ttl_s = ttl_s
        self._secrets = secrets
        self._clock = clock
        self._known: dict[tuple[int, int], tuple[bool, float]] = {}

    def _now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

    async def is_admin(self, chat_id: int, user_id: int) -> bool:
        key, now = (chat_id, user_id), self._now()
        known = self._known.get(key)
        if known is not None and now - known[1] < self._ttl_s:
            return known[0]
        try:
            member = await self._bot.get_chat_member(chat_id, user_id)
        except TelegramError as exc:
            # Unknown counts as "not an admin": the core then applies the requester rule.
            log.info("getChatMember failed: %s", redact(str(exc), self._secrets))
            return False
        admin = member.status in _ADMIN_STATUSES
        if len(self._known) > 10_000:
            self._known.clear()  # a bound, not an LRU: entries are cheap to fetch again
        self._known[key] = (admin, now)
        return admin
