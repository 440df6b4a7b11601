"""Queued work: every job the bot accepts, stored before it starts, run one at a time per chat.

Routing and commands hand work here; nothing else touches the per-chat queues. A job is saved
before the event that caused it is acknowledged, a /cancel marks what it stops as cancelled in the
store (so no restart resumes it), and any work that fails unexpectedly tells its chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from core.acknowledge import acknowledge
from core.chat import Attachment, ChatKey, MessageRef, Sender
from core.chat_context import ChatContext
from core.chat_queue import ChatQueues, Item
from core.credentials import Accounts
from core.explain import explain
from core.exports import ExportFlow, RenderRequest
from core.gate import Gate
from core.i18n import Lang, t
from core.inbound import CoreUnavailable
from core.intents import parse_command
from core.keyed_locks import KeyedLocks
from core.leases import CHAT_LEASES, Fleet, chat_lease, role_lease
from core.nemo.errors import NemoError
from core.ports import (
    ChatRecord,
    Job,
    JobKind,
    JobState,
    Outbound,
    PlatformError,
    Reaction,
    ReopensFiles,
    Store,
)
from core.replies import send_safely
from core.settings import Settings
from core.turns import TurnRelay, resume_interrupted_turn
from core.uploads import upload_attachments, upload_urls

log = logging.getLogger(__name__)

# A turn's ``detail`` before it is sent: the links to import first (JSON list after the marker).
_LINKS_FIRST = "links-first:"


@dataclass(frozen=True, slots=True)
class Request:
    """One accepted message or press: where to answer, in which language, who asked, and the chat's
    record as read once when the event arrived (``None``: the chat is new)."""

    chat: ChatKey
    out: Outbound
    lang: Lang
    sender: Sender
    is_group: bool = False
    record: ChatRecord | None = None
    # True when ``out`` answers only the sender (a Discord ephemeral reply).
    private: bool = False
    # Where answers only the sender should see go (refusals), where the platform has such replies.
    aside: Outbound | None = None
    # The user's message that asked (reactions, and the reply a slow result quotes).
    origin: MessageRef | None = None

    @property
    def user_token(self) -> str | None:
        return self.record.user_token if self.record is not None else None


Outbounds = Mapping[str, Outbound]
LanguageOf = Callable[[ChatKey], Awaitable[Lang]]


class Work:
    """The one owner of queued work: jobs, caps on turns and exports, cancel, and resume.

    With a :class:`~core.leases.Fleet` the work of a chat runs on the worker process holding the
    chat's lease (see :mod:`core.leases`); :meth:`dispatch` is that worker's look at the store.
    """

    def __init__(
        self,
        settings: Settings,
        store: Store,
        accounts: Accounts,
        gate: Gate,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        fleet: Fleet | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._accounts = accounts
        self._gate = gate
        self._sleep = sleep
        self._queues = ChatQueues()
        self._stopping = False
        self._starting_exports: set[ChatKey] = set()
        self._fleet = fleet
        self._chat_locks = KeyedLocks()
        self._held: set[ChatKey] = set()  # chats whose lease this worker holds
        # When each held chat's lease was last taken, on a counter: a renewal that started before a
        # take did not see that lease, and must not count it as lost.
        self._takes = 0
        self._taken_at: dict[ChatKey, int] = {}
        self._handed_over: set[ChatKey] = set()  # chats whose lease was lost while work ran here
        self._local: dict[str, tuple[Job, float]] = {}  # job id → (job, when queued here)
        self._outbounds: Outbounds = {}
        self._language: LanguageOf | None = None
        self._dispatcher: asyncio.Task[None] | None = None

    # Building blocks ---------------------------------------------------------------------------

    async def context(
        self, chat: ChatKey, out: Outbound, lang: Lang, *, is_group: bool, origin: MessageRef | None = None
    ) -> ChatContext:
        """The collaborators of one piece of work. The record is read when the work starts: it may
        have changed while the work waited (a session created by the work before it)."""
        return ChatContext(
            chat=chat,
            lang=lang,
            out=out,
            account=await self._accounts.account(chat),
            accounts=self._accounts,
            store=self._store,
            settings=self._settings,
            is_group=is_group,
            origin=origin,
            sleep=self._sleep,
            stopping=lambda: self._stopping or chat in self._handed_over,
            still_ours=lambda: self._still_ours(chat),
        )

    @staticmethod
    def new_job(chat: ChatKey, kind: JobKind, *, payload: str = "", requester: str | None = None) -> Job:
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

    async def allowed(self, req: Request, kind: str) -> bool:
        """Daily caps on a shared operator token (turns and exports, per user across every chat);
        counts the event when it is allowed. Storage failing here means the event is not accepted."""
        try:
            allowance = await self._gate.allowance(req.chat, req.sender.user_id, req.user_token)
            if not allowance.exhausted:
                await self._gate.record_use(req.chat, req.sender.user_id, kind)
                return True
        except Exception as exc:  # broad on purpose: any store failure means "not accepted"
            log.error("counting a %s in %s failed: %s", kind, req.chat, exc)
            raise CoreUnavailable(t(req.lang, "storage_unavailable")) from exc
        cap = (
            allowance.user_cap
            if allowance.user_left is not None and allowance.user_left <= 0
            else allowance.chat_cap
        )
        await send_safely(req.out, req.chat, t(req.lang, "daily_limit", cap=cap))
        return False

    async def submit(
        self,
        req: Request,
        label: str,
        work: Callable[[], Awaitable[None]],
        *,
        job: Job | None = None,
        requester: str | None = None,
    ) -> None:
        """Queue ``work`` in the chat's lane; the chat hears when it waits, and when it fails.

        In a fleet, a stored job runs here only while this worker holds the chat (jobs other workers
        stored for it first go ahead of it); otherwise it stays stored for the chat's holder."""
        item = Item(self._guarded(req.chat, req.out, req.lang, work), label, requester, job)
        if self._fleet is not None and job is not None:
            async with self._chat_locks.hold(req.chat):
                if not await self._hold(req.chat):
                    return
                ahead = await self._pull(req.chat, own=item)
        else:
            ahead = self._queues.submit(req.chat, item)
        if ahead:
            await send_safely(req.out, req.chat, t(req.lang, "queued", ahead=ahead))

    def _guarded(
        self, chat: ChatKey, out: Outbound, lang: Lang, work: Callable[[], Awaitable[None]]
    ) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            try:
                await work()
            except asyncio.CancelledError:
                raise
            except Exception:  # broad on purpose: one catch per work item: logged, the chat told
                log.exception("work in %s failed", chat)
                await send_safely(out, chat, t(lang, "error_generic"))

        return run

    # Kinds of work -----------------------------------------------------------------------------

    async def turn(self, req: Request, text: str, *, urls: tuple[str, ...] = ()) -> None:
        """A chat turn (with the links to import first); stored before it is queued."""
        if not await self.allowed(req, "turn"):
            return
        job = self.new_job(req.chat, JobKind.TURN, payload=text, requester=req.sender.user_id)
        if urls:
            # Stored with the turn, so a restart imports them before sending it.
            job.detail = _LINKS_FIRST + json.dumps(list(urls))
        await self._accepted(req, job)
        await acknowledge(req.out, req.origin, Reaction.SEEN)
        await self.submit(
            req, "turn", lambda: self._run_turn(req, job, urls), job=job, requester=job.requester
        )

    async def _run_turn(self, req: Request, job: Job, urls: tuple[str, ...]) -> None:
        ctx = await self.context(req.chat, req.out, req.lang, is_group=req.is_group, origin=req.origin)
        await self._links_then_turn(ctx, job, urls)

    async def _links_then_turn(self, ctx: ChatContext, job: Job, urls: tuple[str, ...]) -> None:
        if urls and not await upload_urls(ctx, urls):
            await self._end(job, JobState.FAILED, "the links could not be imported")
            return
        job.detail = ""
        await TurnRelay(ctx, job).run()

    async def upload(self, req: Request, attachments: tuple[Attachment, ...], *, caption: str) -> None:
        """Files (and the caption instruction for them), stored as an upload job before queueing."""
        instruction = caption if caption and parse_command(caption) is None else ""
        names = [a.name for a in attachments]
        payload: dict[str, object] = {"files": names, "caption": instruction}
        if all(a.ref is not None for a in attachments):
            # What another worker needs to open the files again (a fleet's holder of this chat).
            payload["refs"] = [_attachment_fields(a) for a in attachments]
        job = self.new_job(
            req.chat, JobKind.UPLOAD, payload=json.dumps(payload), requester=req.sender.user_id
        )
        await self._accepted(req, job)
        await acknowledge(req.out, req.origin, Reaction.SEEN)

        async def work() -> None:
            await self._run_upload(req, job, attachments, instruction)

        await self.submit(req, "upload", work, job=job, requester=job.requester)

    async def _run_upload(
        self, req: Request, job: Job, attachments: tuple[Attachment, ...], instruction: str
    ) -> None:
        ctx = await self.context(req.chat, req.out, req.lang, is_group=req.is_group, origin=req.origin)
        # Started: a restart or takeover from here on asks for the files instead of opening them again.
        await self._mark(job, JobState.RUNNING)
        received = await upload_attachments(ctx, attachments, on_progress_message=self._noting(job))
        if not received or not instruction or not await self.allowed(req, "turn"):
            await self._end(job, JobState.DONE if received else JobState.FAILED)
            # No turn follows (its end would react): the upload itself is the end.
            await acknowledge(req.out, req.origin, Reaction.DONE if received else Reaction.FAILED)
            return
        # The caption is the instruction for what was just uploaded: the same job runs it.
        job.kind = JobKind.TURN
        job.payload = instruction
        await TurnRelay(ctx, job).run()

    def _noting(self, job: Job) -> Callable[[MessageRef], Awaitable[None]]:
        async def note(ref: MessageRef) -> None:
            # Remembered so a restart can turn "Uploading… 34%" into a clear word on what to resend.
            job.status_message_id = ref.message_id
            job.state = JobState.RUNNING
            job.updated_at = datetime.now(UTC)
            await self._store.save_job(job)

        return note

    async def url_upload(self, req: Request, urls: tuple[str, ...]) -> None:
        """Media imported by link; stored, so a restart imports them again."""
        job = self.new_job(
            req.chat, JobKind.UPLOAD, payload=json.dumps({"urls": list(urls)}), requester=req.sender.user_id
        )
        await self._accepted(req, job)

        async def work() -> None:
            ctx = await self.context(req.chat, req.out, req.lang, is_group=req.is_group)
            ok = await upload_urls(ctx, urls)
            await self._end(job, JobState.DONE if ok else JobState.FAILED)

        await self.submit(req, "upload", work, job=job, requester=job.requester)

    async def export(self, req: Request, *, resolution: str | None = None, force: bool = False) -> None:
        """A render (at ``resolution``, else the backend's default; ``force``: even of a draft
        rendered before), counted against the daily caps like a turn; stored before it is queued.

        While one is running or waiting in the chat, another (a double tap) starts nothing."""
        # Checked and marked before the first await: two taps handled concurrently see each other.
        if req.chat in self._starting_exports:
            await send_safely(req.out, req.chat, t(req.lang, "export_in_progress"))
            return
        self._starting_exports.add(req.chat)
        try:
            if await self._exporting(req.chat):
                await send_safely(req.out, req.chat, t(req.lang, "export_in_progress"))
                return
            if not await self.allowed(req, "export"):
                return
            # A render job's payload is what was asked for: resolution, force (see core/exports.py).
            payload = RenderRequest(resolution=resolution, force=force).encode()
            job = self.new_job(req.chat, JobKind.RENDER, payload=payload, requester=req.sender.user_id)
            await self._accepted(req, job)

            async def work() -> None:
                ctx = await self.context(
                    req.chat, req.out, req.lang, is_group=req.is_group, origin=req.origin
                )
                await ExportFlow(ctx, job).start()

            await self.submit(req, "export", work, job=job, requester=job.requester)
        finally:
            self._starting_exports.discard(req.chat)

    async def _exporting(self, chat: ChatKey) -> bool:
        if any(label.endswith("export") for label in self._queues.labels(chat)):
            return True
        return any(job.chat == chat and job.kind is JobKind.RENDER for job in await self._store.open_jobs())

    async def new_session(self, req: Request) -> None:
        """``/new``: a fresh backend session, in order after the chat's earlier work."""

        async def work() -> None:
            ctx = await self.context(req.chat, req.out, req.lang, is_group=req.is_group)
            try:
                await ctx.session_id(fresh=True)
            except NemoError as exc:
                await send_safely(req.out, req.chat, explain(exc, ctx.account, req.lang))
                return
            await send_safely(req.out, req.chat, t(req.lang, "session_new"))

        await self.submit(req, "new", work, requester=req.sender.user_id)

    async def _accepted(self, req: Request, job: Job) -> None:
        """Store a new job; if that fails the event was not accepted (:class:`CoreUnavailable`)."""
        try:
            await self._store.save_job(job)
        except Exception as exc:  # broad on purpose: any store failure means "not accepted"
            log.error("storing a %s job in %s failed: %s", job.kind, job.chat, exc)
            raise CoreUnavailable(t(req.lang, "storage_unavailable")) from exc

    async def _mark(self, job: Job, state: JobState) -> None:
        job.state = state
        job.updated_at = datetime.now(UTC)
        await self._store.save_job(job)

    async def _end(self, job: Job, state: JobState, detail: str = "") -> None:
        job.state = state
        job.updated_at = datetime.now(UTC)
        if detail:
            job.detail = detail
        await self._store.save_job(job)

    # Who, cancel, wait -------------------------------------------------------------------------

    async def requesters(self, chat: ChatKey) -> set[str]:
        """Who asked for the work running, waiting or stored open in this chat."""
        stored = {job.requester for job in await self._store.open_jobs() if job.chat == chat}
        return self._queues.requesters(chat) | {r for r in stored if r is not None}

    def busy(self, chat: ChatKey) -> bool:
        return self._queues.busy(chat) > 0

    def queue_depth(self) -> int:
        """Work items running or waiting across all chats (``nemobot_queue_depth`` on /metrics)."""
        return self._queues.depth()

    async def cancel(self, chat: ChatKey) -> tuple[bool, int]:
        """Stop the running work and drop the waiting work; their jobs are stored as cancelled at
        once, so no restart resumes them. Returns (was running, dropped count)."""
        running, dropped = self._queues.cancel(chat)
        for item in [*dropped, *([running] if running is not None else [])]:
            if item.job is not None and item.job.state.open:
                await self._end(item.job, JobState.CANCELLED, "cancelled by the user")
        was_running, count = running is not None, len(dropped)
        if self._fleet is not None:
            # Work another worker runs or has yet to take: cancelled in the store, where its holder
            # sees it on its next look and stops it.
            for job in await self._store.open_jobs(chat):
                was_running = was_running or job.state is not JobState.ACCEPTED
                count += job.state is JobState.ACCEPTED
                await self._end(job, JobState.CANCELLED, "cancelled by the user")
        return was_running, count

    async def wait_idle(self, chat: ChatKey) -> None:
        await self._queues.wait_idle(chat)

    # Restart -----------------------------------------------------------------------------------

    async def resume(self, outbounds: Outbounds, language: LanguageOf) -> int:
        """Resume every open job after a restart; returns how many were picked up. In a fleet only
        the chats no live worker holds are taken (the first :meth:`dispatch`)."""
        self._outbounds, self._language = outbounds, language
        if self._fleet is not None:
            resumed = await self.dispatch()
            self._dispatcher = asyncio.create_task(self.dispatch_forever(), name="fleet-dispatch")
        else:
            resumed = 0
            for job in await self._store.open_jobs():
                item = await self._resumed_item(job)
                if item is not None:
                    self._queues.submit(job.chat, item)
                    resumed += 1
        if resumed:
            log.info("resumed %d open job(s)", resumed)
        return resumed

    async def _resumed_item(self, job: Job) -> Item | None:
        """The queue item that resumes a stored job (None: its platform is not attached here)."""
        out = self._outbounds.get(job.chat.platform)
        if out is None or self._language is None:
            return None
        lang = await self._language(job.chat)
        req = Request(job.chat, out, lang, Sender(job.requester or ""))
        return Item(
            self._guarded(job.chat, out, lang, self._resumed(req, job)),
            f"resume-{'export' if job.kind is JobKind.RENDER else job.kind}",
            job.requester,
            job,
        )

    # Fleet ---------------------------------------------------------------------------------------

    async def _hold(self, chat: ChatKey) -> bool:
        """Take (or extend) the chat's lease: True when this worker may run the chat's work."""
        assert self._fleet is not None
        if await self._store.take_lease(chat_lease(chat), self._fleet.worker_id, self._fleet.lease_s):
            self._takes += 1
            self._taken_at[chat] = self._takes
            self._held.add(chat)
            self._handed_over.discard(chat)
            return True
        return False

    async def _still_ours(self, chat: ChatKey) -> bool:
        """Renew the chat's lease right before a send that must happen once: the send then starts
        a whole lease ahead of any takeover (without a fleet there is nothing to check)."""
        if self._fleet is None:
            return True
        if chat in self._handed_over:
            return False
        if await self._hold(chat):
            return True
        await self._lost(chat)
        return False

    async def _pull(self, chat: ChatKey, *, own: Item | None = None) -> int:
        """Queue the chat's stored open jobs not queued here yet, oldest first (``own``, the job this
        worker just stored, with the work it built); returns how many items are ahead of the last."""
        ahead = 0
        for job in await self._store.open_jobs(chat):
            if job.job_id in self._local:
                continue
            item = own if own is not None and own.job is not None and own.job.job_id == job.job_id else None
            item = item or await self._resumed_item(job)
            if item is None or item.job is None:
                continue
            self._local[job.job_id] = (item.job, asyncio.get_running_loop().time())
            ahead = self._queues.submit(chat, replace(item, work=self._forgetting(job.job_id, item.work)))
        return ahead

    def _forgetting(self, job_id: str, work: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            try:
                await work()
            finally:
                self._local.pop(job_id, None)

        return run

    async def dispatch(self) -> int:
        """One look at the store: renew this worker's leases (work of a chat lost meanwhile stops
        here), stop work cancelled by another worker, take the chats with open jobs that no live
        worker holds, queue what was stored for held chats, and give idle chats back. Returns how
        many jobs were queued."""
        fleet = self._fleet
        if fleet is None:
            return 0
        me = fleet.worker_id
        await self._renew()
        looked_at = asyncio.get_running_loop().time()
        stored = await self._store.open_jobs()
        open_ids = {job.job_id for job in stored}
        for job, queued_at in list(self._local.values()):
            # Ended in the store but open here: cancelled through another worker.
            if queued_at < looked_at and job.state.open and job.job_id not in open_ids:
                log.info("job %s in %s was cancelled elsewhere; stopping it here", job.job_id, job.chat)
                # Its running turn says "cancelled" itself; jobs still open are queued again below.
                self._stop_here(job.chat)
        waiting = {job.chat for job in stored if job.job_id not in self._local}
        live = await self._store.live_leases(CHAT_LEASES)
        queued = 0
        for chat in sorted(waiting, key=str):
            if live.get(chat_lease(chat), me) != me:
                continue
            async with self._chat_locks.hold(chat):
                if await self._hold(chat):
                    before = len(self._local)
                    await self._pull(chat)
                    queued += len(self._local) - before
        busy_chats = {job.chat for job in stored}
        for chat in list(self._held):
            async with self._chat_locks.hold(chat):
                if not self._queues.busy(chat) and chat not in busy_chats:
                    await self._store.release_lease(chat_lease(chat), me)
                    self._held.discard(chat)
                    self._taken_at.pop(chat, None)
        return queued

    async def _lost(self, chat: ChatKey) -> None:
        """The chat's lease expired and another worker took it: stop its work here without ending
        its jobs (the new holder resumes them by reading state)."""
        log.warning("lost the lease of %s to another worker; leaving its work to it", chat)
        self._held.discard(chat)
        self._taken_at.pop(chat, None)
        self._handed_over.add(chat)
        self._stop_here(chat)

    def _stop_here(self, chat: ChatKey) -> None:
        """Stop the chat's work in this process only; the store is left as it is."""
        running, dropped = self._queues.cancel(chat)
        for item in [*dropped, *([running] if running is not None else [])]:
            if item.job is not None:
                self._local.pop(item.job.job_id, None)

    async def take_role(self, role: str) -> str | None:
        """Hold a fleet-wide role (renewed with the chats): None when it is this worker's, else the
        id of the live worker that has it. Without a fleet the one process always has it."""
        if self._fleet is None:
            return None
        name = role_lease(role)
        if await self._store.take_lease(name, self._fleet.worker_id, self._fleet.lease_s):
            return None
        return (await self._store.live_leases(name)).get(name, "another worker")

    async def dispatch_forever(self) -> None:
        """Look at the store every ``poll_s`` until stopped (a failed look is logged and retried).

        Leases are renewed by a loop of their own beside it: a scan of a busy store can take longer
        than a lease, and renewals waiting behind it would hand this worker's chats over."""
        fleet = self._fleet
        if fleet is None:
            return
        renewals = asyncio.create_task(self._renew_forever(fleet.renew_every_s), name="fleet-renew")
        try:
            while not self._stopping:
                await asyncio.sleep(fleet.poll_s)
                try:
                    await self.dispatch()
                except Exception:  # broad on purpose: the store may be briefly away; try again next tick
                    log.warning("fleet dispatch failed", exc_info=True)
        finally:
            renewals.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewals

    async def _renew_forever(self, every_s: float) -> None:
        while not self._stopping:
            await asyncio.sleep(every_s)
            try:
                await self._renew()
            except Exception:  # broad on purpose: the store may be briefly away; try again next tick
                log.warning("fleet lease renewal failed", exc_info=True)

    async def _renew(self) -> None:
        """Extend every lease this worker holds (cheap: one UPDATE); chats lost meanwhile stop here."""
        assert self._fleet is not None
        started = self._takes
        kept = set(await self._store.renew_leases(self._fleet.worker_id, self._fleet.lease_s))
        # A chat taken while the renewal ran was not in it, yet is held (its take set a fresh lease).
        lost = [c for c in self._held if chat_lease(c) not in kept and self._taken_at.get(c, 0) <= started]
        for chat in lost:
            await self._lost(chat)

    def _resumed(self, req: Request, job: Job) -> Callable[[], Awaitable[None]]:
        async def work() -> None:
            ctx = await self.context(job.chat, req.out, req.lang, is_group=False)
            if job.kind is JobKind.RENDER:
                flow = ExportFlow(ctx, job)
                await (flow.resume() if job.state is not JobState.ACCEPTED else flow.start())
            elif job.kind is JobKind.UPLOAD:
                reopened = _reopened(ctx.out, job) if job.state is JobState.ACCEPTED else None
                if reopened is not None:
                    # Stored by another worker and not started: run it here, files opened by id.
                    caption = str(_json_object(job.payload).get("caption") or "")
                    await self._run_upload(req, job, reopened, caption)
                else:
                    await self._resume_upload(ctx, job)
            elif job.state is JobState.ACCEPTED:
                # Never sent to the backend: sending it now is its first and only send.
                await self._links_then_turn(ctx, job, _stored_links(job.detail))
            else:
                await resume_interrupted_turn(ctx, job)

        return work

    async def _resume_upload(self, ctx: ChatContext, job: Job) -> None:
        """An upload cut by a restart: links are imported again; files must be sent again (the
        platform's file handle did not survive), and the user is told exactly which."""
        payload = _json_object(job.payload)
        urls = tuple(str(url) for url in _strings(payload.get("urls")))
        if urls:
            ok = await upload_urls(ctx, urls)
            await self._end(job, JobState.DONE if ok else JobState.FAILED, "links imported after a restart")
            return
        files = ", ".join(_strings(payload.get("files"))) or "—"
        caption = str(payload.get("caption") or "")
        text = t(ctx.lang, "upload_interrupted", files=files)
        if caption:
            text += "\n" + t(ctx.lang, "upload_interrupted_caption", caption=caption[:300])
        if job.status_message_id is not None and job.status_message_id:
            try:
                await ctx.out.edit_text(MessageRef(ctx.chat, job.status_message_id), text, final=True)
            except PlatformError:
                await send_safely(ctx.out, ctx.chat, text)
        else:
            await send_safely(ctx.out, ctx.chat, text)
        await self._end(job, JobState.FAILED, "interrupted by a restart; the user was asked to resend")

    async def stop(self) -> None:
        """Stop all work; accepted jobs stay open in the store and :meth:`resume` picks them up (in a
        fleet, the chats are given back at once so another worker takes them without waiting)."""
        self._stopping = True
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatcher
        await self._queues.shutdown()
        if self._fleet is not None:
            for chat in list(self._held):
                with contextlib.suppress(Exception):
                    await self._store.release_lease(chat_lease(chat), self._fleet.worker_id)
            self._held.clear()
            self._taken_at.clear()


def _json_object(payload: str) -> dict[str, object]:
    try:
        value = json.loads(payload) if payload.startswith("{") else None
    except ValueError:
        value = None
    return value if isinstance(value, dict) else {}


def _strings(value: object) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []


def _stored_links(detail: str) -> tuple[str, ...]:
    """The links a turn waiting to be sent must import first (stored in its ``detail``)."""
    if not detail.startswith(_LINKS_FIRST):
        return ()
    try:
        urls = json.loads(detail.removeprefix(_LINKS_FIRST))
    except ValueError:
        return ()
    return tuple(str(url) for url in urls) if isinstance(urls, list) else ()


def _attachment_fields(attachment: Attachment) -> dict[str, object]:
    return {
        "name": attachment.name,
        "mime": attachment.mime_type,
        "size": attachment.size,
        "kind": attachment.kind,
        "ref": attachment.ref,
    }


def _reopened(out: Outbound, job: Job) -> tuple[Attachment, ...] | None:
    """The stored upload's files, opened again through the platform by their ids; None when the job
    has no ids or the platform cannot (then the user is asked to send them again)."""
    refs = _json_object(job.payload).get("refs")
    if not isinstance(out, ReopensFiles) or not isinstance(refs, list) or not refs:
        return None
    attachments: list[Attachment] = []
    for item in refs:
        if not isinstance(item, dict) or not isinstance(item.get("ref"), str):
            return None
        size = item.get("size")
        mime = item.get("mime")
        attachments.append(
            Attachment(
                str(item.get("name") or "file"),
                mime if isinstance(mime, str) else None,
                size if isinstance(size, int) else None,
                open=out.reopen(item["ref"]),
                kind=str(item.get("kind") or "document"),
                ref=item["ref"],
            )
        )
    return tuple(attachments)
