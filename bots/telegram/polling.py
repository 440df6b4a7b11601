"""Long polling that tells Telegram an update was received only once the core has accepted it.

PTB's own poller confirms updates as soon as it has fetched them (the next getUpdates carries
``offset = last + 1``), so a crash between fetching and storing loses them. This poller keeps the
offset at the oldest update the core has not accepted yet: Telegram then keeps (and after a crash
re-sends) everything from there, and the core's store drops what it already has.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import stamina
from telegram import Bot, Update
from telegram.error import InvalidToken, RetryAfter, TelegramError, TimedOut

from bots.telegram.errors import retry_after_seconds
from bots.telegram.ordering import Acceptance
from core.redact import redact

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ("message", "callback_query")
# While an update is still being accepted, look for newer ones this often (Telegram answers a
# getUpdates at once while unconfirmed updates remain, so there is no long wait to lean on).
_HOLD_POLL_S = 0.25
_MAX_BACKOFF_S = 30.0
# "Retry now" for stamina (a zero would read as "do not retry").
_AT_ONCE_S = 0.001
# An update the core could not store (storage failing) is handed over again after this long.
_REFUSED_RETRY_S = 1.0


class Poller:
    """Fetches updates into PTB's ``update_queue`` and confirms them as the core accepts them."""

    def __init__(
        self,
        bot: Bot,
        queue: asyncio.Queue[object],
        acceptance: Acceptance,
        *,
        timeout_s: int,
        secrets: tuple[str, ...] = (),
    ) -> None:
        self._bot = bot
        self._queue = queue
        self._acceptance = acceptance
        self._timeout_s = timeout_s
        self._secrets = secrets
        self._last_seen: int | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    async def start(self) -> None:
        """Remove any webhook (Telegram allows one or the other) and start polling."""
        await self._bot.delete_webhook(drop_pending_updates=False)
        self._task = asyncio.create_task(self._run(), name="telegram-poller")

    async def stop(self) -> None:
        """Stop fetching; updates fetched but not accepted stay unconfirmed."""
        # PTB can turn the cancellation of a request into a NetworkError/TimedOut, which the loop
        # would retry forever (the process then never exits on SIGTERM): the flag ends it anyway.
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def confirm(self) -> None:
        """At a clean stop: tell Telegram to forget what the core has accepted."""
        offset, _holding = self._offset()
        if offset is None:
            return
        try:
            await self._bot.get_updates(offset=offset, limit=1, timeout=0, allowed_updates=ALLOWED_UPDATES)
        except TelegramError as exc:
            log.info("could not confirm the last updates (they will come again): %s", self._clean(exc))

    def stopped(self) -> bool:
        """True once :meth:`stop` was called (a method: the loop must re-read it after awaits)."""
        return self._stopping

    def _offset(self) -> tuple[int | None, bool]:
        waiting = self._acceptance.oldest_waiting()
        if waiting is not None:
            return waiting, True
        return (self._last_seen + 1 if self._last_seen is not None else None), False

    def _clean(self, exc: Exception) -> str:
        message = exc.message if isinstance(exc, TelegramError) else repr(exc)
        return redact(f"{type(exc).__name__}: {message}", self._secrets)

    def _backoff(self, exc: Exception) -> bool | float:
        """stamina's hook: how to retry a failed getUpdates (False: do not, let it through)."""
        if self.stopped() or isinstance(exc, InvalidToken):
            return False
        if isinstance(exc, RetryAfter):
            return retry_after_seconds(exc)
        if isinstance(exc, TimedOut):
            return _AT_ONCE_S  # a long poll that outlived the read timeout: just ask again
        # Conflict: another process polls with this token, or a webhook was set again.
        log.warning("getUpdates failed (retrying): %s", self._clean(exc))
        return True  # exponential backoff with jitter, up to _MAX_BACKOFF_S

    async def _fetch(self) -> tuple[list[Update], bool]:
        """The next updates (and whether earlier ones are still being accepted), riding out failures."""
        async for attempt in stamina.retry_context(
            on=self._backoff, attempts=None, timeout=None, wait_initial=1.0, wait_max=_MAX_BACKOFF_S
        ):
            with attempt:
                offset, holding = self._offset()
                updates = await self._bot.get_updates(
                    offset=offset,
                    timeout=0 if holding else self._timeout_s,
                    allowed_updates=ALLOWED_UPDATES,
                )
                return list(updates), holding
        raise AssertionError("unreachable: the retry context has no attempt limit")  # pragma: no cover

    async def _run(self) -> None:
        while not self.stopped():
            try:
                updates, holding = await self._fetch()
            except InvalidToken as exc:
                log.error("telegram rejected the bot token; polling stopped: %s", self._clean(exc))
                return
            except Exception:  # noqa: BLE001 - only while stopping: the request was cut short
                return
            fresh = [
                u
                for u in updates
                if self._last_seen is None
                or u.update_id > self._last_seen
                or self._acceptance.retry(u.update_id, _REFUSED_RETRY_S)
            ]
            await self._dispatch(fresh)
            if fresh or holding:
                # Give the handlers a moment, so the next request can already confirm these.
                await self._acceptance.wait_change(_HOLD_POLL_S)

    async def _dispatch(self, updates: list[Update]) -> None:
        for update in updates:
            self._acceptance.track(update.update_id)
            self._last_seen = max(update.update_id, self._last_seen or update.update_id)
            await self._queue.put(update)
