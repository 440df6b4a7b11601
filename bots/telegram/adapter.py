"""The Telegram adapter: python-telegram-bot in, the core's door (:class:`~core.inbound.Core`) behind.

It maps updates to :class:`~core.chat.Inbound` messages and button presses, and gives the core a
:class:`~bots.telegram.outbound.TelegramOutbound`; every rule about what to answer lives in the core.
Wiring, for a composition root that already has a running core::

    adapter = TelegramAdapter(bot, TelegramSettings())
    await adapter.start()          # attaches "telegram" to the core, then polls or serves a webhook
    await bot.resume()             # after every adapter is attached: resume stored jobs
    ...
    await adapter.stop()
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets as secrets_module
import traceback
from dataclasses import replace
from typing import Any

from telegram import InaccessibleMessage, Update
from telegram.error import InvalidToken
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bots.telegram.admins import ChatAdmins
from bots.telegram.albums import AlbumCollector
from bots.telegram.answers import CallbackAnswer
from bots.telegram.commands import publish_menu
from bots.telegram.files import Downloads
from bots.telegram.flood import GROUP_CHAT, PRIVATE_CHAT, FloodRule, Pacer
from bots.telegram.keyboards import parse_callback
from bots.telegram.mapping import PLATFORM, BotIdentity, chat_key, is_group, to_inbound
from bots.telegram.ordering import Acceptance, ChatOrderedProcessor
from bots.telegram.outbound import TelegramOutbound
from bots.telegram.polling import Poller
from bots.telegram.settings import TelegramSettings
from bots.telegram.webhook import WebhookServer
from core.chat import Inbound, MessageRef, Sender
from core.i18n import detect_language, t
from core.inbound import GUARDED_ACTIONS, Core, CoreUnavailable, Press
from core.redact import RedactingFilter, redact
from core.settings import SettingsError

POLLER_ROLE = "poller/telegram"

log = logging.getLogger(__name__)

# Loggers that write request URLs, which carry the bot token: httpx (every request, at INFO) and
# PTB's Bot (its API and file URLs, at DEBUG). Filters apply only to a logger's own records.
_URL_LOGGERS = ("httpx", "telegram.Bot", "telegram.ext.ExtBot")

TelegramApp = Application[Any, Any, Any, Any, Any, Any]


class TelegramAdapter:
    """Runs one Telegram bot for the core: long polling by default, a webhook when configured.

    Updates of different chats are handled concurrently and those of one chat in order; an update
    is confirmed to Telegram only after the core has accepted it (see :mod:`bots.telegram.polling`).
    """

    def __init__(self, core: Core, settings: TelegramSettings) -> None:
        self._core = core
        self._settings = settings
        self._token = settings.token()  # fail at construction, naming TELEGRAM_BOT_TOKEN
        self._secrets = (self._token,)
        self._acceptance = Acceptance()
        self._pacer = Pacer(
            settings.telegram_max_sends_per_s,
            private=FloodRule(PRIVATE_CHAT.burst, settings.telegram_edit_interval_s),
            group=FloodRule(GROUP_CHAT.burst, settings.telegram_group_edit_interval_s),
        )
        self._albums = AlbumCollector(
            self._deliver,
            wait_s=settings.telegram_album_wait_s,
            accepted=self._acceptance.accept,
            refused=self._acceptance.refuse,
        )
        self._app: TelegramApp | None = None
        self._me: BotIdentity | None = None
        self._downloads: Downloads | None = None
        self._admins: ChatAdmins | None = None
        self._poller: Poller | None = None
        self._webhook: WebhookServer | None = None
        self.outbound: TelegramOutbound | None = None
        self._log_filter = RedactingFilter(self._secrets)

    @property
    def me(self) -> BotIdentity | None:
        """The bot's id and @username (known once started)."""
        return self._me

    @property
    def webhook_port(self) -> int | None:
        """The port the webhook server listens on (useful when configured as 0)."""
        return self._webhook.bound_port if self._webhook is not None else None

    def _build(self) -> TelegramApp:
        settings = self._settings
        builder = (
            ApplicationBuilder()
            .token(self._token)
            .updater(None)  # we poll (or serve the webhook) ourselves, see polling.py
            .concurrent_updates(ChatOrderedProcessor(self._acceptance))
            .local_mode(settings.telegram_local_mode)
            .media_write_timeout(settings.telegram_media_timeout_s)
        )
        if settings.telegram_api_base_url:
            builder = builder.base_url(settings.telegram_api_base_url)
        if settings.file_base_url:
            builder = builder.base_file_url(settings.file_base_url)
        app: TelegramApp = builder.build()
        app.add_handler(MessageHandler(filters.UpdateType.MESSAGE, self._on_message))
        app.add_handler(CallbackQueryHandler(self._on_button))
        app.add_error_handler(self._on_error)
        return app

    async def start(self) -> None:
        """Connect (getMe), attach to the core, publish the command menu, then receive updates."""
        # PTB 22 warns on every RetryAfter unless durations are timedeltas; opt in (errors.py reads both).
        os.environ.setdefault("PTB_TIMEDELTA", "true")
        # Whatever logging the process has configured, the token never reaches a log line.
        for name in _URL_LOGGERS:
            logging.getLogger(name).addFilter(self._log_filter)
        self._app = app = self._build()
        try:
            try:
                await app.initialize()  # getMe: a wrong token fails here
            except InvalidToken:
                # PTB's message quotes the token; say what is wrong without it (and without the cause).
                raise SettingsError(
                    "TELEGRAM_BOT_TOKEN: Telegram rejected the token (check it with @BotFather)"
                ) from None
            username = app.bot.username
            self._me = BotIdentity(app.bot.id, username)
            self._downloads = Downloads(
                app.bot, timeout_s=self._settings.telegram_media_timeout_s, secrets=self._secrets
            )
            self._admins = ChatAdmins(app.bot, secrets=self._secrets)
            self.outbound = TelegramOutbound(
                app.bot, self._settings, pacer=self._pacer, secrets=self._secrets
            )
            self.outbound.files = self._downloads
            self._core.attach(PLATFORM, self.outbound, bot_username=username)
            await publish_menu(app.bot, self._secrets)
            await app.start()
            await self._receive(app)
        except BaseException:
            await self.stop()
            raise
        log.info("telegram bot @%s started (%s)", username, "webhook" if self._webhook else "polling")

    async def _receive(self, app: TelegramApp) -> None:
        settings = self._settings
        if settings.telegram_webhook_url:
            secret = settings.telegram_webhook_secret
            self._webhook = WebhookServer(
                app.bot,
                app.update_queue,
                self._acceptance,
                url=settings.telegram_webhook_url,
                secret=secret.get_secret_value() if secret else self._derived_webhook_secret(),
                listen=settings.telegram_webhook_listen,
                port=settings.telegram_webhook_port,
            )
            await self._webhook.start()
        else:
            # Telegram serves getUpdates to one poller per bot: in a fleet only one worker may poll.
            holder = await self._core.take_role(POLLER_ROLE)
            if holder is not None:
                raise SettingsError(
                    f"Telegram long polling runs in one process only, and worker {holder} already polls "
                    "this bot. To run several workers, set TELEGRAM_WEBHOOK_URL (and the same "
                    "TELEGRAM_WEBHOOK_SECRET) on each and put them behind a load balancer."
                )
            self._poller = Poller(
                app.bot,
                app.update_queue,
                self._acceptance,
                timeout_s=settings.telegram_poll_timeout_s,
                secrets=self._secrets,
            )
            await self._poller.start()

    def _derived_webhook_secret(self) -> str:
        """A secret every worker of a fleet derives alike (each would otherwise pick its own and
        refuse the others' updates); one-way, so it does not reveal the bot token."""
        token = self._settings.telegram_bot_token
        if token is None:
            return secrets_module.token_urlsafe(32)
        return hashlib.sha256(b"nemobot-webhook-secret:" + token.get_secret_value().encode()).hexdigest()

    def is_up(self) -> bool:
        """For ``/healthz``: started and not stopped (the poller retries network errors itself)."""
        return self._app is not None and self._app.running

    async def stop(self) -> None:
        """Stop receiving, hand buffered albums to the core, finish handlers, confirm, disconnect."""
        if self._poller is not None:
            await self._poller.stop()
        if self._webhook is not None:
            await self._webhook.stop()
        await self._albums.flush_all()
        app, self._app = self._app, None
        if app is not None:
            if app.running:
                await app.stop()
            if self._poller is not None:
                await self._poller.confirm()
            await app.shutdown()
            await app.bot.shutdown()  # after a failed start PTB leaves the bot's HTTP clients open
        self._poller = self._webhook = None
        for name in _URL_LOGGERS:
            logging.getLogger(name).removeFilter(self._log_filter)

    # Handlers ----------------------------------------------------------------------------------

    async def _on_message(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message is None or self._me is None or self._downloads is None or self.outbound is None:
            return
        inbound = to_inbound(
            message,
            self._me,
            download_cap=self.outbound.limits.download_cap,
            opener=self._downloads.opener,
        )
        if inbound is None:
            return
        if inbound.addressed and any(a.size is None for a in inbound.attachments):
            known = await self._downloads.with_known_sizes(
                inbound.attachments, self.outbound.limits.download_cap
            )
            inbound = replace(inbound, attachments=known)
        if message.media_group_id is not None and inbound.attachments:
            # Album parts are accepted when the whole album reaches the core, not now.
            self._acceptance.defer(update.update_id)
            self._albums.add(
                message.media_group_id, inbound, order=message.message_id, update_id=update.update_id
            )
            return
        # An album this chat sent just before must reach the core first.
        await self._albums.settle(inbound.chat)
        if inbound.is_group and inbound.addressed and inbound.text.startswith("/"):
            # A command may stop or reset the group's work: the core needs the admin fact.
            inbound = replace(inbound, sender=await self._with_admin_fact(message.chat.id, inbound.sender))
        try:
            await self._deliver(inbound)
        except CoreUnavailable:
            # Not stored: the update stays unconfirmed and is handed over again.
            self._acceptance.refuse((update.update_id,))

    async def _deliver(self, inbound: Inbound) -> None:
        # Group chatter not meant for the bot is dropped here, before any file is fetched.
        if inbound.addressed:
            await self._core.receive(inbound)

    async def _with_admin_fact(self, chat_id: int, sender: Sender) -> Sender:
        if self._admins is None or sender.is_chat_admin or not sender.user_id.isdigit():
            return sender
        return replace(sender, is_chat_admin=await self._admins.is_admin(chat_id, int(sender.user_id)))

    async def _on_button(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        action = parse_callback(query.data)
        message = query.message
        # An old message's thread is unknown; in a forum that would act on the wrong topic.
        lost_topic = isinstance(message, InaccessibleMessage) and bool(message.chat.is_forum)
        if action is None or message is None or lost_topic:
            lang = detect_language("", query.from_user.language_code)
            if message is not None:
                lang = await self._core.language(chat_key(message), query.from_user.language_code)
            await self._answer(query.id, t(lang, "button_stale"), alert=True)
            return
        guarded = action in GUARDED_ACTIONS
        answer = CallbackAnswer(query.id, self._answer, self.outbound) if guarded else None
        if answer is None:
            # First, so the button stops spinning; the work (and its reply) follows.
            await self._answer(query.id)
        group = is_group(message.chat)
        sender = Sender(str(query.from_user.id), query.from_user.full_name, query.from_user.language_code)
        if group:
            sender = await self._with_admin_fact(message.chat.id, sender)
        chat = chat_key(message)
        # The callback query id makes a double tap or a redelivered update run once. The button's
        # message is the origin a result replies to (whom an export is for, in a group).
        origin = (
            None if isinstance(message, InaccessibleMessage) else MessageRef(chat, str(message.message_id))
        )
        press = Press(chat, action, sender, is_group=group, press_id=query.id, origin=origin)
        try:
            # A press the core may refuse (Cancel, New: someone else's work) is answered after the
            # core decided, so a refusal is the presser's own alert, not a message to the group.
            await self._core.press(press, privately=answer)
        except CoreUnavailable:
            self._acceptance.refuse((update.update_id,))
        finally:
            if answer is not None:
                await answer.close()

    async def _answer(self, query_id: str, text: str | None = None, *, alert: bool = False) -> None:
        if self._app is None:
            return
        try:
            await self._app.bot.answer_callback_query(query_id, text=text, show_alert=alert)
        except Exception as exc:  # noqa: BLE001 - a late or expired answer must not stop the press
            log.info("answerCallbackQuery failed: %s", redact(str(exc), self._secrets))

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """PTB's error handler: log without the token; the bot carries on."""
        error = context.error
        update_id = update.update_id if isinstance(update, Update) else None
        detail = "".join(traceback.format_exception(error)) if error is not None else "unknown error"
        log.error("handling telegram update %s failed:\n%s", update_id, redact(detail, self._secrets))
