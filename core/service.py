"""The conversational core: every adapter hands its messages and button presses to :class:`NemoBot`.

Read-only requests (help, credits, status, language) are answered at once; work that changes the
project (chat turns, uploads, exports, new sessions) runs one at a time per chat, in order. Turns and
renders are stored as jobs before they start, so a restart resumes them instead of losing them.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime

from core.access import Gate
from core.accounts import Accounts
from core.acknowledge import acknowledge
from core.chat import Action, Attachment, ChatKey, Inbound, MessageRef
from core.chat_queue import ChatQueues
from core.commands import CommandHandler
from core.context import ChatContext
from core.exports import ExportFlow, RenderRequest
from core.i18n import Lang, detect_language, t
from core.intents import Intent, parse_command, route
from core.nemo.transport import NemoTransport
from core.ports import Job, JobKind, JobState, Outbound, Reaction, Store
from core.recovery import resume_interrupted_turn
from core.replies import send_safely
from core.settings import Settings
from core.skills import SkillProfile, get_profile
from core.turns import TurnRelay
from core.uploads import upload_attachments, upload_urls

log = logging.getLogger(__name__)

# A prompt longer than this is almost certainly a paste by mistake; the agent does better with less.
MAX_PROMPT_CHARS = 4000


class NemoBot:
    """Platform-neutral bot: routes intents, keeps per-chat order, and resumes jobs after restarts."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        transport_for: Callable[[SkillProfile], NemoTransport],
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.settings = settings
        self.store = store
        self.accounts = Accounts(settings, store, transport_for, sleep=sleep)
        self.queues = ChatQueues()
        self._sleep = sleep
        self._outbounds: dict[str, Outbound] = {}
        self._usernames: dict[str, str | None] = {}
        self.commands = CommandHandler(self)
        self.gate = Gate(settings, store)
        self._stopping = False

    def attach(self, platform: str, out: Outbound, *, bot_username: str | None = None) -> None:
        """Register an adapter's outbound port (and its @username, to recognise /cmd@bot)."""
        self._outbounds[platform] = out
        self._usernames[platform] = bot_username

    @property
    def outbounds(self) -> Mapping[str, Outbound]:
        return self._outbounds

    # Entry points ------------------------------------------------------------------------------

    async def handle(self, inbound: Inbound) -> None:
        """Handle one inbound message. Never raises: failures become a message in the chat."""
        if not inbound.addressed:
            return
        if inbound.message_id and not await self.store.claim_message(inbound.chat, inbound.message_id):
            log.debug("duplicate message %s in %s ignored", inbound.message_id, inbound.chat)
            return
        out = self._outbounds.get(inbound.chat.platform)
        if out is None:
            log.error("no outbound port attached for %s", inbound.chat.platform)
            return
        lang = await self.language(inbound.chat, inbound.text, inbound.sender.locale)
        if not await self._admitted(inbound.chat, inbound.sender.user_id, out, lang):
            return
        try:
            await self._dispatch(inbound, out, lang)
        except Exception:  # broad on purpose: the one broad catch per entry point: logged, user told
            log.exception("handling a message in %s failed", inbound.chat)
            await send_safely(out, inbound.chat, t(lang, "error_generic"))

    async def press(
        self,
        chat: ChatKey,
        action: Action,
        *,
        user_id: str,
        is_group: bool = False,
        press_id: str | None = None,
    ) -> None:
        """A button press (or the same action from a command); ``press_id`` de-duplicates redeliveries."""
        out = self._outbounds.get(chat.platform)
        if out is None:
            return
        if press_id is not None and not await self.store.claim_message(chat, f"press:{press_id}"):
            return
        lang = await self.language(chat, "", None)
        if not await self._admitted(chat, user_id, out, lang):
            return
        try:
            await self.commands.run_action(chat, out, lang, action, user_id=user_id, is_group=is_group)
        except Exception:  # broad on purpose: entry point: logged, user told
            log.exception("button %s in %s failed", action, chat)
            await send_safely(out, chat, t(lang, "error_generic"))

    async def _admitted(self, chat: ChatKey, user_id: str, out: Outbound, lang: Lang) -> bool:
        """Access list and per-user rate: refused users hear one polite message, then quiet."""
        if not self.gate.allowed(chat, user_id):
            if self.gate.should_explain_refusal(chat, user_id):
                await send_safely(out, chat, t(lang, "not_allowed", user=f"{chat.platform}:{user_id}"))
            return False
        within, warn = self.gate.rate(chat, user_id)
        if not within:
            if warn:
                await send_safely(out, chat, t(lang, "slow_down"))
            return False
        return True

    async def wait_idle(self, chat: ChatKey) -> None:
        """Wait until the chat has no work running or queued (the console waits line by line)."""
        await self.queues.wait_idle(chat)

    async def language(self, chat: ChatKey, text: str, locale: str | None) -> Lang:
        record = await self.store.get_chat(chat)
        if record is not None and record.language in ("en", "zh"):
            return "zh" if record.language == "zh" else "en"
        return detect_language(text, locale)

    async def _dispatch(self, inbound: Inbound, out: Outbound, lang: Lang) -> None:
        chat = inbound.chat
        text = inbound.text.strip()
        command = parse_command(text, self._usernames.get(chat.platform))
        if command is not None:
            await self.commands.run(inbound, out, lang, command)
            return
        if text.startswith("/") and len(text) > 1 and not inbound.attachments:
            if inbound.is_group:
                return  # in a group, a command this bot does not parse is another bot's business
            # Not a valid command name, or one addressed to another bot in a private chat.
            await send_safely(out, chat, t(lang, "unknown_command", command=text.split()[0][:40]))
            return
        if inbound.attachments:
            await self.enqueue_upload(inbound, out, lang, inbound.attachments, caption=text)
            return
        routed = route(text)
        if routed.intent is Intent.EMPTY:
            await send_safely(out, chat, t(lang, "empty_message"))
        elif len(text) > MAX_PROMPT_CHARS:
            await send_safely(out, chat, t(lang, "message_too_long", limit=MAX_PROMPT_CHARS))
        elif routed.intent is Intent.EXPORT:
            await self.enqueue_export(
                inbound.chat,
                out,
                lang,
                inbound.sender.user_id,
                inbound.is_group,
                resolution=routed.resolution,
            )
        elif routed.intent is Intent.CREDITS:
            await self.commands.credits(chat, out, lang, user_id=inbound.sender.user_id)
        elif routed.intent is Intent.STATUS:
            await self.commands.status(chat, out, lang)
        elif routed.intent is Intent.UPLOAD:
            if routed.urls:
                await self.enqueue_url_upload(inbound, out, lang, routed.urls)
            else:
                await send_safely(out, chat, await self.upload_hint(chat, lang))
        else:
            await self.enqueue_turn(inbound, out, lang, text, urls=routed.urls)

    async def upload_hint(self, chat: ChatKey, lang: Lang) -> str:
        """How to add media, with the formats the chat's skill prefers."""
        record = await self.accounts.record(chat)
        return get_profile(record.skill or self.settings.nemo_skill).upload_hint(lang)

    # Queued work -------------------------------------------------------------------------------

    async def context(
        self,
        chat: ChatKey,
        out: Outbound,
        lang: Lang,
        *,
        is_group: bool,
        requester: str | None,
        origin: MessageRef | None = None,
    ) -> ChatContext:
        account = await self.accounts.account(chat)
        return ChatContext(
            chat=chat,
            lang=lang,
            out=out,
            account=account,
            accounts=self.accounts,
            store=self.store,
            settings=self.settings,
            is_group=is_group,
            requester=requester,
            origin=origin,
            sleep=self._sleep,
            stopping=lambda: self._stopping,
        )

    async def submit(
        self, chat: ChatKey, out: Outbound, lang: Lang, label: str, work: Callable[[], Awaitable[None]]
    ) -> None:
        ahead = self.queues.submit(chat, work, label=label)
        if ahead:
            await send_safely(out, chat, t(lang, "queued", ahead=ahead))

    async def _turn_allowed(self, chat: ChatKey, user_id: str, out: Outbound, lang: Lang) -> bool:
        """Daily caps on a shared operator token; counts the turn when it is allowed."""
        record = await self.store.get_chat(chat)
        allowance = await self.gate.allowance(chat, user_id, record.user_token if record else None)
        if allowance.exhausted:
            cap = (
                allowance.user_cap
                if allowance.user_left is not None and allowance.user_left <= 0
                else allowance.chat_cap
            )
            await send_safely(out, chat, t(lang, "daily_limit", cap=cap))
            return False
        await self.gate.record_turn(chat, user_id)
        return True

    def _new_job(
        self, chat: ChatKey, kind: JobKind, *, payload: str = "", requester: str | None = None
    ) -> Job:
        now = datetime.now(UTC)
        return Job(
            job_id=uuid.uuid4().hex,
            chat=chat,
            kind=kind,
            state=JobState.ACCEPTED,
            created_at=now,
            updated_at=now,
            payload=payload,
            requester=requester,
        )

    async def enqueue_turn(
        self, inbound: Inbound, out: Outbound, lang: Lang, text: str, *, urls: tuple[str, ...] = ()
    ) -> None:
        if not await self._turn_allowed(inbound.chat, inbound.sender.user_id, out, lang):
            return
        job = self._new_job(inbound.chat, JobKind.TURN, payload=text, requester=inbound.sender.user_id)
        await self.store.save_job(job)
        await acknowledge(out, inbound.ref, Reaction.SEEN)

        async def work() -> None:
            ctx = await self.context(
                inbound.chat,
                out,
                lang,
                is_group=inbound.is_group,
                requester=job.requester,
                origin=inbound.ref,
            )
            if urls and not await upload_urls(ctx, urls):
                job.state = JobState.FAILED
                await self.store.save_job(job)
                return
            await TurnRelay(ctx, job).run()

        await self.submit(inbound.chat, out, lang, "turn", work)

    async def enqueue_upload(
        self,
        inbound: Inbound,
        out: Outbound,
        lang: Lang,
        attachments: tuple[Attachment, ...],
        *,
        caption: str,
    ) -> None:
        await acknowledge(out, inbound.ref, Reaction.SEEN)

        async def work() -> None:
            ctx = await self.context(
                inbound.chat,
                out,
                lang,
                is_group=inbound.is_group,
                requester=inbound.sender.user_id,
                origin=inbound.ref,
            )
            received = await upload_attachments(ctx, attachments)
            if (
                received
                and caption
                and parse_command(caption) is None
                and await self._turn_allowed(inbound.chat, inbound.sender.user_id, out, lang)
            ):
                # The caption is the instruction for what was just uploaded.
                job = self._new_job(
                    inbound.chat, JobKind.TURN, payload=caption, requester=inbound.sender.user_id
                )
                await self.store.save_job(job)
                await TurnRelay(ctx, job).run()
            else:
                # No turn follows (its end would react): the upload itself is the end.
                await acknowledge(out, inbound.ref, Reaction.DONE if received else Reaction.FAILED)

        await self.submit(inbound.chat, out, lang, "upload", work)

    async def enqueue_url_upload(
        self, inbound: Inbound, out: Outbound, lang: Lang, urls: tuple[str, ...]
    ) -> None:
        async def work() -> None:
            ctx = await self.context(
                inbound.chat, out, lang, is_group=inbound.is_group, requester=inbound.sender.user_id
            )
            await upload_urls(ctx, urls)

        await self.submit(inbound.chat, out, lang, "upload", work)

    async def enqueue_export(
        self,
        chat: ChatKey,
        out: Outbound,
        lang: Lang,
        requester: str,
        is_group: bool,
        resolution: str | None = None,
        *,
        force: bool = False,
    ) -> None:
        # A render job's payload is what was asked for: resolution, force (see core/exports.py).
        payload = RenderRequest(resolution=resolution, force=force).encode()
        job = self._new_job(chat, JobKind.RENDER, requester=requester, payload=payload)
        await self.store.save_job(job)

        async def work() -> None:
            ctx = await self.context(chat, out, lang, is_group=is_group, requester=requester)
            await ExportFlow(ctx, job).start()

        await self.submit(chat, out, lang, "export", work)

    # Restart -----------------------------------------------------------------------------------

    async def resume(self) -> int:
        """Resume every open job after a restart; returns how many were picked up."""
        resumed = 0
        for job in await self.store.open_jobs():
            out = self._outbounds.get(job.chat.platform)
            if out is None:
                continue
            lang = await self.language(job.chat, job.payload, None)
            resumed += 1
            self.queues.submit(job.chat, self._resume_work(job, out, lang), label=f"resume-{job.kind}")
        if resumed:
            log.info("resumed %d open job(s)", resumed)
        return resumed

    def _resume_work(self, job: Job, out: Outbound, lang: Lang) -> Callable[[], Awaitable[None]]:
        async def work() -> None:
            ctx = await self.context(job.chat, out, lang, is_group=False, requester=job.requester)
            if job.kind is JobKind.RENDER:
                flow = ExportFlow(ctx, job)
                await (flow.resume() if job.state is not JobState.ACCEPTED else flow.start())
            elif job.state is JobState.ACCEPTED:
                # Never sent to the backend: sending it now is its first and only send.
                await TurnRelay(ctx, job).run()
            else:
                await resume_interrupted_turn(ctx, job)

        return work

    async def stop(self) -> None:
        """Stop all work; accepted jobs stay open in the store and :meth:`resume` picks them up."""
        self._stopping = True
        await self.queues.shutdown()
