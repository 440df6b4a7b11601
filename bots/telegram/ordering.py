"""Concurrency across chats, order within a chat, and knowing when an update has been accepted.

PTB hands every update to an update processor. :class:`ChatOrderedProcessor` runs updates of
different chats at the same time but those of one chat one after another, in arrival order, so the
core's per-chat queue receives them in order. :class:`Acceptance` records when the core has taken
an update (stored its job, or buffered it as part of an album that was then delivered); the poller
confirms updates to Telegram only then, so a crash before that means Telegram sends them again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Hashable, Iterable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)


class Acceptance:
    """Tracks fetched updates until the core has accepted them.

    An update is accepted when its handler has finished, unless the handler :meth:`defer`\\ s it
    (an album part), in which case it is accepted by an explicit :meth:`accept`. An update still
    waiting after ``patience_s`` stops holding back confirmation (a stuck read-only command must
    not stall the bot); it is logged. An update the core :meth:`refuse`\\ d (it could not store it)
    is never confirmed: it holds the offset until it is handed over again and accepted.
    """

    def __init__(self, *, patience_s: float = 5.0, clock: Callable[[], float] | None = None) -> None:
        self._patience_s = patience_s
        self._clock = clock
        self._waiting: dict[int, float] = {}
        self._deferred: set[int] = set()
        self._refused: dict[int, float] = {}
        self._processed: dict[int, asyncio.Future[None]] = {}
        self._changed = asyncio.Event()

    def _now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

    def track(self, update_id: int) -> None:
        """An update was fetched and is about to be processed."""
        self._waiting[update_id] = self._now()
        self._processed.setdefault(update_id, asyncio.get_running_loop().create_future())

    def defer(self, update_id: int) -> None:
        """Its handler has buffered it; :meth:`accept` will follow."""
        self._deferred.add(update_id)

    def processed(self, update_id: int) -> None:
        """Its handler has returned (accepted, unless deferred or refused)."""
        future = self._processed.pop(update_id, None)
        if future is not None and not future.done():
            future.set_result(None)
        if update_id not in self._deferred and update_id not in self._refused:
            self.accept((update_id,))

    def refuse(self, update_ids: Iterable[int]) -> None:
        """The core could not store these: keep them unconfirmed, to be handed over again."""
        now = self._now()
        for update_id in update_ids:
            self._refused[update_id] = now
            self._waiting[update_id] = now
            self._deferred.discard(update_id)
        self._changed.set()

    def was_refused(self, update_id: int) -> bool:
        return update_id in self._refused

    def retry(self, update_id: int, after_s: float) -> bool:
        """True (once) when a refused update should be handed over again, ``after_s`` after refusal."""
        since = self._refused.get(update_id)
        if since is None or self._now() - since < after_s:
            return False
        del self._refused[update_id]
        return True

    def forget(self, update_id: int) -> None:
        """Telegram will send it again by itself (a webhook answered with an error)."""
        self._refused.pop(update_id, None)
        self._waiting.pop(update_id, None)
        self._deferred.discard(update_id)

    def accept(self, update_ids: Iterable[int]) -> None:
        """The core has these updates."""
        for update_id in update_ids:
            self._waiting.pop(update_id, None)
            self._deferred.discard(update_id)
        self._changed.set()

    async def wait_processed(self, update_id: int, within_s: float) -> bool:
        """Wait until the update's handler has returned; False if that takes over ``within_s``."""
        future = self._processed.get(update_id)
        if future is None:
            return True
        try:
            await asyncio.wait_for(asyncio.shield(future), within_s)
        except TimeoutError:
            return False
        return True

    def oldest_waiting(self) -> int | None:
        """The lowest update id the core has not accepted yet (Telegram must keep it and later ones)."""
        now = self._now()
        for update_id, since in list(self._waiting.items()):
            if now - since > self._patience_s and update_id not in self._refused:
                log.warning(
                    "update %d not accepted after %.0fs; confirming it anyway", update_id, now - since
                )
                self._waiting.pop(update_id)
                self._deferred.discard(update_id)
        return min(self._waiting, default=None)

    async def wait_change(self, within_s: float) -> None:
        """Return once something was accepted, or after ``within_s``."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), within_s)
        self._changed.clear()


def order_key(update: object) -> Hashable | None:
    """Updates with the same key are handled one at a time, in order: those of one chat."""
    if isinstance(update, Update) and update.effective_chat is not None:
        return update.effective_chat.id
    return None


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Up to ``max_concurrent_updates`` at once, but one chat's updates strictly in arrival order.

    PTB starts each update's task in arrival order and ``asyncio.Lock`` wakes waiters first come,
    first served, so a per-chat lock is enough. Locks exist only while a chat has updates in flight.
    """

    def __init__(self, acceptance: Acceptance, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._acceptance = acceptance
        self._locks: dict[Hashable, tuple[asyncio.Lock, list[int]]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        try:
            key = order_key(update)
            if key is None:
                await coroutine
                return
            lock, users = self._locks.setdefault(key, (asyncio.Lock(), [0]))
            users[0] += 1
            try:
                async with lock:
                    await coroutine
            finally:
                users[0] -= 1
                if users[0] == 0:
                    del self._locks[key]
        finally:
            if isinstance(update, Update):
                self._acceptance.processed(update.update_id)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""
