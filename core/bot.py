"""The conversational core behind the door: :class:`NemoBot` implements :class:`core.inbound.Core`.

Read-only requests (help, credits, status, language) are answered at once; work that changes the
project (chat turns, uploads, exports, new sessions) runs one at a time per chat, in order, through
:class:`core.work.Work`. An event is claimed and its job stored before :meth:`NemoBot.receive`
returns, so an adapter acknowledges to the platform only what a restart can resume.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from core.chat import Action, ChatKey, Inbound, Sender
from core.commands import CommandHandler
from core.credentials import Accounts
from core.gate import Gate
from core.i18n import Lang, detect_language, t
from core.inbound import (
    IN_PLACE_ACTIONS,
    IN_PLACE_COMMANDS,
    MAX_PROMPT_CHARS,
    PRIVATE_ACTIONS,
    PRIVATE_COMMANDS,
    CoreUnavailable,
    Press,
)
from core.intents import Intent, parse_command, route
from core.leases import Fleet
from core.nemo.transport import NemoTransport
from core.ports import ChatRecord, Outbound, Store
from core.replies import send_safely
from core.settings import Settings
from core.skills import SkillProfile
from core.work import Request, Work

log = logging.getLogger(__name__)

# De-duplication claims only need to outlive platform redeliveries (Telegram keeps updates 24 h).
_CLAIMS_KEPT = timedelta(days=3)

# Recognised intents that are plain actions ("export" is too, with the resolution it may name).
_INTENT_ACTIONS = {Intent.CREDITS: Action.CREDITS, Intent.STATUS: Action.STATUS}


class NemoBot:
    """Platform-neutral bot: admits, routes, and hands work to :class:`~core.work.Work`."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        transport_for: Callable[[SkillProfile], NemoTransport],
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        fleet: Fleet | None = None,
    ) -> None:
        self.settings = settings
        self._store = store
        self._accounts = Accounts(settings, store, transport_for, sleep=sleep)
        self._gate = Gate(settings, store)
        self._work = Work(settings, store, self._accounts, self._gate, sleep=sleep, fleet=fleet)
        self._commands = CommandHandler(settings, store, self._accounts, self._gate, self._work)
        self._outbounds: dict[str, Outbound] = {}
        self._usernames: dict[str, str | None] = {}

    def attach(self, platform: str, out: Outbound, *, bot_username: str | None = None) -> None:
        """Register an adapter's outbound port (and its @username, to recognise /cmd@bot)."""
        self._outbounds[platform] = out
        self._usernames[platform] = bot_username

    def attached(self, platform: str) -> bool:
        """Whether an adapter has attached ``platform`` (for start-up checks and tests)."""
        return platform in self._outbounds

    def busy(self, chat: ChatKey) -> bool:
        """Whether the chat has work running or waiting (for observers and tests)."""
        return self._work.busy(chat)

    def queue_depth(self) -> int:
        """Work items running or waiting across all chats (for the ops server's metrics)."""
        return self._work.queue_depth()

    # The door ----------------------------------------------------------------------------------

    async def receive(
        self, inbound: Inbound, *, privately: Outbound | None = None, in_place: Outbound | None = None
    ) -> None:
        """Handle one message. Failures become a message in the chat; raises :class:`CoreUnavailable`
        only when the message could not be stored (then nothing of it was accepted). A typed
        command's answer goes to ``privately`` or ``in_place`` where it is that kind of command."""
        if not inbound.addressed:
            return
        out = self._outbounds.get(inbound.chat.platform)
        if out is None:
            log.error("no outbound port attached for %s", inbound.chat.platform)
            return
        fallback = detect_language(inbound.text, inbound.sender.locale)
        claim = inbound.message_id
        fresh, record = await self._accept(inbound.chat, claim, fallback)
        if not fresh:
            log.debug("duplicate message %s in %s ignored", claim, inbound.chat)
            return
        command = parse_command(inbound.text.strip(), self._usernames.get(inbound.chat.platform))
        name = command.name if command is not None else ""
        private = privately is not None and name in PRIVATE_COMMANDS
        req = Request(
            inbound.chat,
            _answer_to(out, privately if private else None, in_place if name in IN_PLACE_COMMANDS else None),
            _language(record, fallback),
            inbound.sender,
            inbound.is_group,
            record,
            private=private,
            aside=privately,
            origin=inbound.ref,
        )
        await self._admit_and_run(
            req, claim, lambda: self._dispatch(req, inbound), doing="handling a message", error_to=out
        )

    async def press(
        self, press: Press, *, privately: Outbound | None = None, in_place: Outbound | None = None
    ) -> None:
        """A button press or slash action; ``press_id`` runs it once however often it arrives.
        Private answers go to ``privately``, other complete answers to ``in_place`` (where given)."""
        out = self._outbounds.get(press.chat.platform)
        if out is None:
            return
        fallback = detect_language("", press.sender.locale)
        claim = f"press:{press.press_id}" if press.press_id is not None else None
        fresh, record = await self._accept(press.chat, claim, fallback)
        if not fresh:
            log.debug("duplicate press %s in %s ignored", press.press_id, press.chat)
            return
        private = privately is not None and press.action in PRIVATE_ACTIONS
        req = Request(
            press.chat,
            _answer_to(
                out, privately if private else None, in_place if press.action in IN_PLACE_ACTIONS else None
            ),
            _language(record, fallback),
            press.sender,
            press.is_group,
            record,
            private=private,
            aside=privately,
            origin=press.origin,
        )
        await self._admit_and_run(
            req,
            claim,
            lambda: self._commands.run_action(req, press.action),
            doing=f"button {press.action}",
            error_to=req.aside or req.out,
        )

    async def _admit_and_run(
        self,
        req: Request,
        claim: str | None,
        run: Callable[[], Awaitable[None]],
        *,
        doing: str,
        error_to: Outbound,
    ) -> None:
        """The entry points' common end: admission, then ``run``; an event that could not be stored
        gives its claim back (so its redelivery is taken), any other failure is logged and told."""
        try:
            if await self._admitted(req):
                await run()
        except CoreUnavailable:
            await self._release(req.chat, claim)
            raise
        except Exception:  # broad on purpose: the one broad catch per entry point: logged, user told
            log.exception("%s in %s failed", doing, req.chat)
            await send_safely(error_to, req.chat, t(req.lang, "error_generic"))

    def allowed(self, chat: ChatKey, user_id: str) -> bool:
        return self._gate.allowed(chat, user_id)

    async def language(self, chat: ChatKey, locale: str | None = None) -> Lang:
        return _language(await self._record_if_readable(chat), detect_language("", locale))

    async def help_text(self, chat: ChatKey, locale: str | None = None) -> str:
        record = await self._record_if_readable(chat)
        lang = _language(record, detect_language("", locale))
        out = self._outbounds.get(chat.platform)
        if out is None:
            return t(lang, "help")
        return self._commands.help_text(Request(chat, out, lang, Sender(""), record=record))

    async def interrupt(self, chat: ChatKey) -> None:
        await self._work.cancel(chat)

    async def wait_idle(self, chat: ChatKey) -> None:
        """Wait until the chat has no work running or queued (the console waits line by line)."""
        await self._work.wait_idle(chat)

    async def resume(self) -> int:
        """Resume every open job after a restart; returns how many were picked up."""
        return await self._work.resume(self._outbounds, self.language)

    async def take_role(self, role: str) -> str | None:
        """Hold a role only one worker of a fleet may have (``poller/telegram``): None when this
        worker has it now, else the id of the worker that does."""
        return await self._work.take_role(role)

    async def housekeep(self) -> None:
        removed = await self._store.prune_processed(datetime.now(UTC) - _CLAIMS_KEPT)
        if removed:
            log.info("forgot %d old de-duplication claim(s)", removed)

    async def stop(self) -> None:
        """Stop all work; accepted jobs stay open in the store and :meth:`resume` picks them up."""
        await self._work.stop()

    # Behind the door ---------------------------------------------------------------------------

    async def _accept(
        self, chat: ChatKey, claim: str | None, fallback: Lang
    ) -> tuple[bool, ChatRecord | None]:
        """Claim the event (False: a duplicate) and read the chat's record, once; a storage failure
        becomes :class:`CoreUnavailable`, so the adapter does not acknowledge the event."""
        try:
            if claim is not None and not await self._store.claim_message(chat, claim):
                return False, None
        except Exception as exc:  # broad on purpose: any store failure means "not accepted"
            log.error("storing event %s in %s failed: %s", claim, chat, exc)
            raise CoreUnavailable(t(fallback, "storage_unavailable")) from exc
        try:
            return True, await self._store.get_chat(chat)
        except Exception as exc:  # broad on purpose: as above; the claim is undone
            log.error("reading chat %s failed: %s", chat, exc)
            await self._release(chat, claim)
            raise CoreUnavailable(t(fallback, "storage_unavailable")) from exc

    async def _record_if_readable(self, chat: ChatKey) -> ChatRecord | None:
        """For answers that need no storage: a failing store means defaults, not an error."""
        try:
            return await self._store.get_chat(chat)
        except Exception:  # broad on purpose: any store failure; logged, defaults used
            log.warning("reading chat %s failed", chat, exc_info=True)
            return None

    async def _release(self, chat: ChatKey, claim: str | None) -> None:
        if claim is None:
            return
        try:
            await self._store.release_message(chat, claim)
        except Exception:  # broad on purpose: the store is failing already; the redelivery may be lost
            log.exception("could not release claim %s in %s", claim, chat)

    async def _admitted(self, req: Request) -> bool:
        """Access list and per-user rate: refused users hear one polite message, then quiet."""
        chat, user_id = req.chat, req.sender.user_id
        if not self._gate.allowed(chat, user_id):
            if self._gate.should_explain_refusal(chat, user_id):
                user = f"{chat.platform}:{user_id}"
                await send_safely(req.aside or req.out, chat, t(req.lang, "not_allowed", user=user))
            return False
        within, warn = self._gate.rate(chat, user_id)
        if not within:
            if warn:
                await send_safely(req.aside or req.out, chat, t(req.lang, "slow_down"))
            return False
        return True

    async def _dispatch(self, req: Request, inbound: Inbound) -> None:
        out, chat, lang = req.out, req.chat, req.lang
        text = inbound.text.strip()
        command = parse_command(text, self._usernames.get(chat.platform))
        if command is not None:
            await self._commands.run(req, inbound, command)
            return
        if text.startswith("/") and len(text) > 1 and not inbound.attachments:
            if inbound.is_group:
                return  # in a group, a command this bot does not parse is another bot's business
            # Not a valid command name, or one addressed to another bot in a private chat.
            await send_safely(out, chat, t(lang, "unknown_command", command=text.split()[0][:40]))
            return
        if inbound.attachments:
            await self._work.upload(req, inbound.attachments, caption=text)
            return
        routed = route(text)
        action = _INTENT_ACTIONS.get(routed.intent)
        if routed.intent is Intent.EMPTY:
            await send_safely(out, chat, t(lang, "empty_message"))
        elif len(text) > MAX_PROMPT_CHARS:
            await send_safely(out, chat, t(lang, "message_too_long", limit=MAX_PROMPT_CHARS))
        elif routed.intent is Intent.EXPORT:
            await self._work.export(req, resolution=routed.resolution)
        elif action is not None:
            await self._commands.run_action(req, action)
        elif routed.intent is Intent.UPLOAD:
            if routed.urls:
                await self._work.url_upload(req, routed.urls)
            else:
                await send_safely(out, chat, self._commands.upload_hint(req))
        else:
            await self._work.turn(req, text, urls=routed.urls)


def _answer_to(chat: Outbound, privately: Outbound | None, in_place: Outbound | None) -> Outbound:
    """Where a request's answers go: privately, else in place (a slash command's own response),
    else the chat."""
    return privately or in_place or chat


def _language(record: ChatRecord | None, fallback: Lang) -> Lang:
    if record is not None and record.language in ("en", "zh"):
        return "zh" if record.language == "zh" else "en"
    return fallback
