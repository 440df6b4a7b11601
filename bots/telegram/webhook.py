"""Webhook mode: Telegram POSTs each update to us instead of being polled.

A small aiohttp server (no extra dependency; PTB's own needs tornado) listens on
``TELEGRAM_WEBHOOK_LISTEN:TELEGRAM_WEBHOOK_PORT`` at the path of ``TELEGRAM_WEBHOOK_URL``; a TLS
proxy in front of it serves that URL. Every request must carry the secret token given to
setWebhook. The answer waits until the update's handler has run, so a crash before that makes
Telegram deliver it again (and the core's store drops it if it had already been taken).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Bot, Update

from bots.telegram.ordering import Acceptance
from bots.telegram.polling import ALLOWED_UPDATES

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret
# Telegram waits for our answer; past this the update is being handled anyway, so answer.
_ANSWER_WITHIN_S = 10.0
_MAX_BODY = 4 * 1024 * 1024


class RefusalLog:
    """Logs requests without the right secret at most once a minute (with how many were refused
    since), so a scanner hammering the port cannot flood the log."""

    def __init__(self, every_s: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._every_s = every_s
        self._clock = clock
        self._last = float("-inf")
        self._since = 0

    def note(self, remote: str | None) -> None:
        self._since += 1
        now = self._clock()
        if now - self._last < self._every_s:
            return
        log.warning(
            "webhook request without the right secret token from %s (%d refused since the last note)",
            remote,
            self._since,
        )
        self._last, self._since = now, 0


class WebhookServer:
    """Receives updates over HTTP(S) and queues them for PTB once the secret token matches."""

    def __init__(
        self,
        bot: Bot,
        queue: asyncio.Queue[object],
        acceptance: Acceptance,
        *,
        url: str,
        secret: str,
        listen: str,
        port: int,
    ) -> None:
        self._bot = bot
        self._queue = queue
        self._acceptance = acceptance
        self._url = url
        self._secret = secret
        self._listen = listen
        self._port = port
        self._path = urlsplit(url).path or "/"
        self._runner: web.AppRunner | None = None
        self._refused = RefusalLog()
        self.bound_port: int | None = None

    async def start(self) -> None:
        """Serve, then tell Telegram where to send updates (in that order, so none bounce)."""
        app = web.Application(client_max_size=_MAX_BODY)
        app.router.add_post(self._path, self._receive)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        self._runner = runner
        try:
            await web.TCPSite(runner, self._listen, self._port).start()
            self.bound_port = int(runner.addresses[0][1])
            await self._bot.set_webhook(
                self._url,
                secret_token=self._secret,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
            )
        except BaseException:
            await self.stop()
            raise
        log.info("telegram webhook listening on %s:%s%s", self._listen, self.bound_port, self._path)

    async def stop(self) -> None:
        """Stop serving. The webhook stays set, so Telegram keeps updates until we are back."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self._secret.encode()):
            self._refused.note(request.remote)
            return web.Response(status=403, text="forbidden")
        try:
            data = await request.json()
            # PTB trusts the shape it is given; a non-integer update_id would fail later, in the
            # ordering code, as a 500. Anything PTB cannot read is the sender's error: 400.
            if not isinstance(data, dict) or type(data.get("update_id")) is not int:
                raise TypeError("not an update")
            update = Update.de_json(data, self._bot)
        except Exception as exc:  # noqa: BLE001 - deep nesting (RecursionError), bad types, anything
            log.debug("webhook body is not an update: %s", type(exc).__name__)
            return web.Response(status=400, text="not an update")
        self._acceptance.track(update.update_id)
        await self._queue.put(update)
        await self._acceptance.wait_processed(update.update_id, _ANSWER_WITHIN_S)
        if self._acceptance.was_refused(update.update_id):
            # Not stored: an error answer makes Telegram send it again later.
            self._acceptance.forget(update.update_id)
            return web.Response(status=503, text="not stored, send again")
        return web.Response(text="ok")
