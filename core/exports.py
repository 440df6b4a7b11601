"""Export: check the draft, submit the render once, poll it, and deliver the MP4 as a new message.

The render job is stored before anything is sent, and its id is stored before it is submitted, so
a restart polls the same render instead of starting a second one. The delivery is recorded (job
done, render remembered) as soon as the platform accepted the video or link, before the cosmetic
edit of the progress card, so a restart never sends the same result twice. An export of a draft
that has not changed since its last successful render hands that render out again (``/export
force`` renders anew).

A render job's ``payload`` is a :class:`RenderRequest`: the resolution asked for, whether the user
forced a new render, and the fingerprint of the submitted draft (so a resumed job can remember it).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import logging
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from core.chat import Action, Button, ChatAction, MessageRef
from core.chat_context import ChatContext, chat_action_kept_alive
from core.explain import explain
from core.i18n import labelled, t
from core.metrics import METRICS
from core.nemo.client import new_render_id, poll_delays, render_output
from core.nemo.draft import is_exportable
from core.nemo.errors import ApiError, BackendUnavailable, DownloadRefused, NemoError, RenderRejected
from core.nemo.models import RenderStatus
from core.netguard import NetGuard
from core.ports import (
    CardState,
    ChatUnavailable,
    Job,
    JobState,
    PlatformError,
    RenderedDraft,
    ReplySender,
    UploadCapByChat,
    VideoReplySender,
)
from core.redact import redact_for_chat
from core.replies import StreamingReply, progress_bar, send_safely

log = logging.getLogger(__name__)


_FORCE_WORDS = frozenset({"force", "again", "anew", "重新"})
_FINGERPRINT = "draft:"


def forces_new_render(args: str) -> bool:
    """True for ``/export force`` (or ``again``): render anew even a draft rendered before."""
    return any(word in _FORCE_WORDS for word in args.lower().split())


def draft_fingerprint(draft: object, output: Mapping[str, str]) -> str:
    """A stable hash of the draft JSON and the output asked for: equal drafts rendered the same way
    (whatever their key order) hash equal; the same draft at another resolution does not."""
    canonical = json.dumps(
        {"draft": draft, "output": dict(output)},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class RenderRequest:
    """What a render job's payload records, as space-separated words: ``"2160p force draft:<hex>"``.

    A bare resolution (what jobs stored before) reads as just that.
    """

    resolution: str | None = None
    force: bool = False
    fingerprint: str | None = None

    def encode(self) -> str:
        words = [self.resolution or "", "force" if self.force else ""]
        if self.fingerprint:
            words.append(_FINGERPRINT + self.fingerprint)
        return " ".join(word for word in words if word)

    @classmethod
    def decode(cls, payload: str) -> RenderRequest:
        resolution: str | None = None
        force = False
        fingerprint: str | None = None
        for word in payload.split():
            if word == "force":
                force = True
            elif word.startswith(_FINGERPRINT):
                fingerprint = word[len(_FINGERPRINT) :]
            else:
                resolution = word
        return cls(resolution, force, fingerprint)


class RenderFailed(Exception):
    """The backend reported the render as failed (after its one retry)."""


class ExportFlow:
    """Drives one render job from submission to delivery; also resumes a stored job."""

    def __init__(self, ctx: ChatContext, job: Job) -> None:
        self.ctx = ctx
        self.job = job
        self.request = RenderRequest.decode(job.payload)
        self.card = StreamingReply(
            ctx.out,
            ctx.chat,
            is_group=ctx.is_group,
            card_title=t(ctx.lang, "card_export"),
            requester=job.requester,
            running_buttons=labelled(ctx.lang, Action.CANCEL),
        )

    async def _save(self, state: JobState | None = None, **changes: object) -> None:
        if state is not None:
            self.job.state = state
        for name, value in changes.items():
            setattr(self.job, name, value)
        self.job.updated_at = datetime.now(UTC)
        await self.ctx.store.save_job(self.job)

    async def start(self) -> None:
        """A new export request: check the draft is exportable, then render and deliver."""
        ctx = self.ctx
        try:
            session_id = await ctx.session_id()
            state = await ctx.account.client.state(session_id)
        except NemoError as exc:
            await self._fail(explain(exc, ctx.account, ctx.lang))
            return
        if not is_exportable(state.draft):
            await send_safely(ctx.out, ctx.chat, t(ctx.lang, "export_not_ready"))
            await self._save(JobState.DONE, detail="nothing to export")
            return
        if not self.request.force and await self._hand_out_again(session_id, state.draft):
            return
        await self._save(JobState.RUNNING, session_id=session_id)
        self.card.update(t(ctx.lang, "export_started"))
        await self._render(state.draft, resume=False)

    async def _hand_out_again(self, session_id: str, draft: object) -> bool:
        """Deliver the last render again when ``draft`` is the one it rendered; False to render anew."""
        ctx = self.ctx
        last = await ctx.store.last_render(ctx.chat, session_id)
        fingerprint = draft_fingerprint(draft, render_output(self.request.resolution))
        if last is None or last.fingerprint != fingerprint:
            return False
        try:
            # Asked afresh: the CDN link may have expired since; a render the backend forgot is redone.
            status = await ctx.account.client.render_status(last.render_id)
        except NemoError as exc:
            log.info("the last render of %s cannot be looked up, rendering anew: %s", ctx.chat, exc)
            return False
        if status.phase != "completed":
            return False
        self.request = dataclasses.replace(self.request, fingerprint=fingerprint)
        await self._save(
            JobState.RUNNING, session_id=session_id, render_id=last.render_id, payload=self.request.encode()
        )
        await send_safely(ctx.out, ctx.chat, t(ctx.lang, "export_unchanged"))
        try:
            async with chat_action_kept_alive(ctx.out, ctx.chat, ChatAction.UPLOAD_VIDEO, 5.0):
                await self._deliver(status)
        except asyncio.CancelledError:
            await self._cancelled()
            raise
        except ChatUnavailable as exc:
            log.info("export in %s cannot be delivered: %s", ctx.chat, exc)
            await self._save(JobState.FAILED, detail="chat unavailable")
        return True

    async def resume(self) -> None:
        """After a restart: keep polling the stored render id (submitting only if it never arrived)."""
        self.card.update(t(self.ctx.lang, "export_resumed"))
        await self._render(None, resume=True)

    async def _render(self, draft: object, *, resume: bool) -> None:
        ctx = self.ctx
        try:
            async with chat_action_kept_alive(ctx.out, ctx.chat, ChatAction.UPLOAD_VIDEO, 5.0):
                status = await self._render_with_retry(draft, resume=resume)
                await self._deliver(status)
        except asyncio.CancelledError:
            await self._cancelled()
            raise
        except RenderFailed as exc:
            await self._fail(t(ctx.lang, "export_failed", reason=str(exc) or "-"))
        except ChatUnavailable as exc:
            # Nobody to deliver to (blocked, kicked): close the job rather than retry forever.
            log.info("export in %s cannot be delivered: %s", ctx.chat, exc)
            await self._save(JobState.FAILED, detail="chat unavailable")
        except NemoError as exc:
            await self._fail(explain(exc, ctx.account, ctx.lang))

    async def _render_with_retry(self, draft: object, *, resume: bool) -> RenderStatus:
        """One render, and on failure (refused or failed) one more with a new id."""
        try:
            status = await self._submit_and_poll(draft, resume=resume)
        except RenderRejected as exc:
            status = RenderStatus(self.job.render_id or "", "failed", error=exc.message)
        if status.phase == "completed":
            return status
        if self.job.attempts >= 2:
            raise RenderFailed(status.error or status.phase)
        self.card.update(t(self.ctx.lang, "export_failed_retrying"))
        status = await self._submit_and_poll(None, resume=False)
        if status.phase != "completed":
            raise RenderFailed(status.error or status.phase)
        return status

    def _session_id(self) -> str:
        if self.job.session_id is None:
            raise BackendUnavailable("the export lost its session")
        return self.job.session_id

    async def _submit_and_poll(self, draft: object, *, resume: bool) -> RenderStatus:
        client = self.ctx.account.client
        if resume and self.job.render_id:
            try:
                known: RenderStatus | None = await client.render_status(self.job.render_id)
            except ApiError:
                known = None  # it never reached the backend: submit it now, under the same id
            if known is not None and known.phase != "unknown":
                return await self._poll(known)
        else:
            await self._save(render_id=new_render_id(), attempts=self.job.attempts + 1)
        if draft is None:
            draft = (await client.state(self._session_id())).draft
        assert self.job.render_id is not None
        output = render_output(self.request.resolution)
        self.request = dataclasses.replace(self.request, fingerprint=draft_fingerprint(draft, output))
        await self._save(payload=self.request.encode())
        status = await client.submit_render(
            self._session_id(), draft, render_id=self.job.render_id, output=output
        )
        return await self._poll(status)

    async def _poll(self, status: RenderStatus) -> RenderStatus:
        client = self.ctx.account.client
        settings = self.ctx.settings
        loop = asyncio.get_running_loop()
        deadline = loop.time() + settings.nemobot_render_max_s
        delays = poll_delays(start=2.0, factor=1.5, cap=settings.nemo_render_poll_max_s)
        failures = 0
        while not status.finished:
            if loop.time() >= deadline:
                raise RenderFailed(t(self.ctx.lang, "export_stuck"))
            if status.progress is not None:
                self.card.update(
                    t(
                        self.ctx.lang,
                        "export_progress",
                        percent=status.progress,
                        bar=progress_bar(status.progress),
                    ),
                    percent=status.progress,
                )
            await self.ctx.sleep(next(delays))
            try:
                status = await client.render_status(status.render_id)
                failures = 0
            except BackendUnavailable:
                # Polling is a read: retrying the same id is safe; only give up after a while.
                failures += 1
                if failures >= 5:
                    raise
        return status

    async def _deliver(self, status: RenderStatus) -> None:
        ctx = self.ctx
        client = ctx.account.client
        await self._save(JobState.DELIVERING)
        self.card.update(t(ctx.lang, "export_progress", percent=100, bar=progress_bar(100)), percent=100)
        # The proxy download URL answers only with the API token: never a link for users. Without
        # a CDN URL the project's web-editor (claim) link stands in.
        claim = await self._claim_link()
        public = client.public_link(status)
        link = public or claim or client.web_url
        web = t(ctx.lang, "web_link", link=claim) if claim and public else ""
        caption = t(ctx.lang, "export_done_file", link=link) + (f"\n{web}" if web else "")
        cap = (
            ctx.out.upload_cap_for(ctx.chat)
            if isinstance(ctx.out, UploadCapByChat)
            else ctx.out.limits.upload_cap
        )
        settings = ctx.settings
        guard = NetGuard.for_backend(settings.nemo_api_url, settings.nemobot_trusted_hosts)
        sent = False
        announced: list[int] = []  # the real size of a file over the cap, where the server said it
        with tempfile.TemporaryDirectory(prefix="nemobot-render-") as folder:
            # A name the bot chose (from its own job id): identifiers from the backend never become
            # file-system paths, and two exports never share a name (the console keeps each one).
            path = Path(folder) / f"nemo-video-{self.job.job_id[:12]}.mp4"
            try:
                size = await client.download_render(
                    status.render_id,
                    status.output_url,
                    path,
                    max_bytes=cap,
                    guard=guard,
                    total_s=settings.nemobot_render_max_s,
                    on_size=announced.append,
                )
            except DownloadRefused as exc:
                log.warning("the render of %s is sent as a link only: %s", ctx.chat, exc)
                size = 0
            except NemoError as exc:
                log.info("render download failed, sending the link instead: %s", exc)
                size = 0
            if size > 0:
                try:
                    await self._send_video(path, caption)
                    sent = True
                except ChatUnavailable:
                    raise
                except PlatformError as exc:
                    log.info("sending the video failed, sending the link instead: %s", exc)
        if not sent:
            if size == -1:
                # An unknown size is left empty and the text drops its brackets; never "?".
                real = f"{announced[0] / 1_000_000:.1f} MB" if announced else ""
                limit = f"{cap / 1_000_000:.0f} MB"
                body = t(ctx.lang, "export_too_big", size=real, limit=limit, link=link)
            elif size == 0:
                body = t(ctx.lang, "export_download_failed", link=link)
            else:
                body = t(ctx.lang, "export_done", link=link)
            await self._send_text(body + (f"\n{web}" if web else ""))
        # The platform took the result: record it before anything cosmetic, so a restart from here
        # on never sends it again.
        await self._delivered(status)
        # The result is its own message now: remove the progress card (no "finished" under it).
        await self.card.discard(t(ctx.lang, "export_delivered"))

    async def _delivered(self, status: RenderStatus) -> None:
        await self._save(JobState.DONE, detail="delivered")
        if self.job.session_id and self.request.fingerprint:
            await self.ctx.store.remember_render(
                RenderedDraft(
                    chat=self.ctx.chat,
                    session_id=self.job.session_id,
                    fingerprint=self.request.fingerprint,
                    render_id=status.render_id,
                    output_url=status.output_url,
                    rendered_at=datetime.now(UTC),
                )
            )

    def _reply_to(self) -> MessageRef | None:
        """In a group, the result replies to the /export (or the button's message) that asked."""
        return self.ctx.origin if self.ctx.is_group else None

    async def _send_video(self, path: Path, caption: str) -> None:
        out, origin, buttons = self.ctx.out, self._reply_to(), self._new_project_button()
        if origin is not None and isinstance(out, VideoReplySender):
            await out.send_video_reply(origin, path, caption=caption, buttons=buttons)
        else:
            await out.send_video(self.ctx.chat, path, caption=caption, buttons=buttons)

    async def _send_text(self, text: str) -> None:
        out, origin, buttons = self.ctx.out, self._reply_to(), self._new_project_button()
        if origin is not None and isinstance(out, ReplySender):
            try:
                await out.send_reply(origin, redact_for_chat(text), buttons=buttons)
                return
            except ChatUnavailable:
                raise
            except PlatformError as exc:
                log.info("replying with the export result failed, sending it plainly: %s", exc)
        await send_safely(out, self.ctx.chat, text, buttons=buttons)

    def _new_project_button(self) -> tuple[Button, ...]:
        # The result pings whoever asked for it (Discord mentions the button's requester).
        return labelled(self.ctx.lang, Action.NEW, requester=self.job.requester)

    async def _claim_link(self) -> str:
        record = self.ctx.account.record
        if not record.task_id or not self.job.session_id:
            return ""
        try:
            return await self.ctx.account.client.claim_link(record.task_id, self.job.session_id)
        except NemoError as exc:
            log.info("claim link unavailable: %s", exc)
            return ""

    async def _fail(self, message: str) -> None:
        METRICS.failed("export")
        await self.card.finish(message, state=CardState.FAILED) if self.card.started else await send_safely(
            self.ctx.out, self.ctx.chat, message
        )
        await self._save(JobState.FAILED, detail=message[:500])

    async def _cancelled(self) -> None:
        if self.ctx.stopping():
            await self.card.abandon()
            return

        async def tell() -> None:
            if self.job.render_id:
                with contextlib.suppress(NemoError):
                    await self.ctx.account.client.cancel_render(self.job.render_id)
            await self.card.finish(t(self.ctx.lang, "export_cancelled"), state=CardState.CANCELLED)
            await self._save(JobState.CANCELLED, detail="cancelled by the user")

        with contextlib.suppress(Exception):
            await asyncio.shield(tell())
