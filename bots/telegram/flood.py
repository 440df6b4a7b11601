"""Pacing sends so Telegram's flood control rarely has to say 429.

Telegram's limits are unspecified; its FAQ gives the rules of thumb used here: about one message a
second in a chat ("short bursts" allowed), 20 a minute in a group, about 30 a second in all. Edits
count. Like PTB's ``AIORateLimiter`` (aiolimiter's leaky bucket), a chat may send a short burst and
then one message per interval. The core already spaces the edits of one streamed reply; this pacer
keeps *all* messages of a chat, and of all chats together, within those rules. A 429 that slips
through holds that chat for ``retry_after``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FloodRule:
    """A leaky bucket: ``burst`` messages at once, then one every ``interval_s`` seconds."""

    burst: int
    interval_s: float


# A private chat: about one a second, bursts of five. A group or channel: 20 a minute.
PRIVATE_CHAT = FloodRule(burst=5, interval_s=1.0)
GROUP_CHAT = FloodRule(burst=20, interval_s=3.0)
# Slots are spread a little wider than the rule, so requests that reach Telegram a few
# milliseconds later than they were released still fit.
_SAFETY = 1.1
_FORGET_AFTER = 1024


class Pacer:
    """Hands out send slots: per chat by its :class:`FloodRule`, overall at ``per_second``.

    Per chat this is the generic cell rate algorithm: a "theoretical arrival time" moves one interval
    per message, and a message may go once it is no more than ``burst - 1`` intervals ahead. Slots are
    reserved synchronously (one event loop needs no lock) and then waited for, so senders in one
    chat keep their order.
    """

    def __init__(
        self,
        per_second: float,
        *,
        private: FloodRule = PRIVATE_CHAT,
        group: FloodRule = GROUP_CHAT,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._gap = 1.0 / per_second
        self._private = private
        self._group = group
        self._clock = clock
        self._due: dict[int, float] = {}
        self._blocked: dict[int, float] = {}
        self._next_global = 0.0
        self._global = asyncio.Lock()

    def _now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

    def rule_for(self, chat_id: int) -> FloodRule:
        # Group, supergroup and channel ids are negative; users' are positive.
        return self._group if chat_id < 0 else self._private

    def reserve_chat(self, chat_id: int) -> float:
        """Reserve this chat's next slot; returns when it starts (loop time)."""
        now = self._now()
        rule = self.rule_for(chat_id)
        interval = rule.interval_s * _SAFETY
        due = self._due.get(chat_id, now)
        start = max(now, due - (rule.burst - 1) * interval, self._blocked.get(chat_id, 0.0))
        self._due[chat_id] = max(due, start) + interval
        if len(self._due) > _FORGET_AFTER:
            self._forget_idle(now)
        return start

    async def slot(self, chat_id: int) -> None:
        """Wait until this chat, and then Telegram as a whole, may take one more message."""
        delay = self.reserve_chat(chat_id) - self._now()
        if delay > 0:
            await asyncio.sleep(delay)
        # Overall spacing is measured from when sends really go, one after another: after the loop
        # was busy for a moment, sends that fell due meanwhile still leave one gap apart.
        async with self._global:
            delay = self._next_global - self._now()
            if delay > 0:
                await asyncio.sleep(delay)
            self._next_global = self._now() + self._gap

    def block(self, chat_id: int, seconds: float) -> None:
        """Telegram said 429 for this chat: hold its next messages for ``seconds``."""
        self._blocked[chat_id] = max(self._blocked.get(chat_id, 0.0), self._now() + seconds)

    def _forget_idle(self, now: float) -> None:
        # Thousands of chats pass through a bot; a chat whose bucket has drained is as good as new.
        for chat_id in [c for c, due in self._due.items() if due <= now]:
            del self._due[chat_id]
        for chat_id in [c for c, until in self._blocked.items() if until <= now]:
            del self._blocked[chat_id]
