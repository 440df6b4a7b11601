"""Relaying one chat turn: stream the agent's text, explain silent edits, recover from drops.

Rules from the NemoVideo skills that shape this module: a turn is sent once and never again (a
retry would duplicate work and charge twice); after a dropped stream the state is read (30 s, then
60 s, up to five unchanged reads); a turn that ends without text is an edit done by tools, so the
draft before and after is compared and the change described.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime

from core.acknowledge import acknowledge
from core.chat import Action, ChatAction
from core.chat_context import ChatContext, chat_action_kept_alive
from core.explain import explain
from core.gui_language import IncrementalGuiTranslator, translate_gui
from core.i18n import Lang, labelled, t
from core.metrics import METRICS
from core.nemo.draft import diff_drafts, is_exportable, summarize_media, summarize_tracks
from core.nemo.errors import NemoError, SessionNotFound, StreamDropped, StreamTimedOut
from core.nemo.events import Heartbeat
from core.nemo.models import SessionState
from core.nemo.transcript import TurnTranscript
from core.nemo.turn import TurnStream
from core.ports import Job, JobState, Reaction
from core.replies import StreamingReply, send_safely

log = logging.getLogger(__name__)

AFTER_EDIT_ACTIONS: tuple[Action, ...] = (Action.EXPORT, Action.STATUS)


def describe_changes(before: SessionState | None, after: SessionState, lang: Lang = "en") -> list[str]:
    """Human lines, in the chat's language, for what changed between two states (draft and media)."""
    changes = diff_drafts(before.draft if before else None, after.draft, lang)
    new_media = len(after.video_infos) - (len(before.video_infos) if before else 0)
    if new_media > 0:
        changes.append(t(lang, "changes_new_media", count=new_media))
    return changes


# "Timeline (3 tracks): 1. Video: …" as the agent sometimes writes it inline (in either language).
_INLINE_TIMELINE = re.compile(r"(?:timeline|时间线|时间轴)\s*[(（]\s*\d+\s*(?:tracks?|条轨道)", re.IGNORECASE)
_TRACK_ITEM = r'\d+\.\s*[^:：\n]{1,24}[:：]\s*(?:"[^"\n]*"|“[^”\n]*”|[^\s(（]+)(?:\s*[(（][^)）\n]*[)）])?'
_INLINE_LIST = re.compile(
    rf"{_INLINE_TIMELINE.pattern}\s*[)）]\s*[:：]\s*(?:{_TRACK_ITEM}\s*)+[.。]?[ \t]*", re.IGNORECASE
)


def lists_tracks(text: str) -> bool:
    """Whether the agent's reply already enumerates the timeline (then ours would repeat it)."""
    return _INLINE_TIMELINE.search(text) is not None


def without_inline_timeline(text: str) -> str:
    """The reply without a run-on "Timeline (2 tracks): 1. …" list, which the bot shows below
    instead, one track a line and in the chat's language; text it cannot parse is kept."""
    return _INLINE_LIST.sub("", text)


def _exportable_only(buttons: Sequence[Action], after: SessionState | None) -> list[Action]:
    """No Export button on an empty timeline (it could only answer "nothing to export")."""
    if after is not None and not is_exportable(after.draft):
        return [a for a in buttons if a is not Action.EXPORT]
    return list(buttons)


def _bullets(lines: Sequence[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)


class TurnRelay:
    """Runs one turn for a chat and always ends it with a reply or a clear error."""

    def __init__(self, ctx: ChatContext, job: Job) -> None:
        self.ctx = ctx
        self.job = job
        # Settled sentences are translated once; each flush only re-checks the reply's tail.
        self._gui = IncrementalGuiTranslator(ctx.lang)
        self.reply = StreamingReply(
            ctx.out,
            ctx.chat,
            is_group=ctx.is_group,
            transform=self._gui.feed,
            overflow_note=t(ctx.lang, "reply_rest_in_editor"),
            native=True,
            origin=ctx.origin,
            notify_after_s=ctx.settings.nemobot_notify_after_s,
            running_buttons=labelled(ctx.lang, Action.CANCEL),
        )
        self._last_activity = 0.0
        self._transcript: TurnTranscript | None = None
        self._seen_version = 0
        self._quiet_notice = ""

    async def _save(self, state: JobState, detail: str | None = None) -> None:
        self.job.state = state
        self.job.updated_at = datetime.now(UTC)
        if detail is not None:
            self.job.detail = detail
        await self.ctx.store.save_job(self.job)
        if not state.open:
            await acknowledge(
                self.ctx.out, self.ctx.origin, Reaction.DONE if state is JobState.DONE else Reaction.FAILED
            )

    async def run(self) -> None:
        ctx = self.ctx
        try:
            async with chat_action_kept_alive(ctx.out, ctx.chat, ChatAction.TYPING):
                await self._run_once(retry_on_missing_session=True)
        except asyncio.CancelledError:
            await self._finish_cancelled()
            raise

    async def _run_once(self, *, retry_on_missing_session: bool) -> None:
        ctx = self.ctx
        client = ctx.account.client
        before: SessionState | None = None
        try:
            first_contact = ctx.account.record.session_id is None
            if first_contact:
                # Creating the token and session takes a moment: say so rather than pause silently.
                self.reply.update(t(ctx.lang, "connecting"))
            session_id = await ctx.session_id()
            before = await client.state(session_id)
            if first_contact:
                self.reply.update(t(ctx.lang, "connected"))
            self.job.session_id = session_id
            if not await ctx.still_ours():
                # Another worker took the chat over meanwhile: the job is still unsent, and it sends it.
                log.warning("the chat %s was taken over before its turn was sent; leaving it", ctx.chat)
                return
            # The draft before the turn is kept with the job so a restart can still describe changes.
            await self._save(JobState.RUNNING, json.dumps(before.draft, default=str)[:200_000])
            async with client.turn(session_id, self.job.payload) as turn:
                await self._relay(turn)
        except SessionNotFound:
            # Refused before it started (the session expired): nothing ran, so one fresh session and
            # one send is not a re-send.
            if not retry_on_missing_session:
                raise
            await send_safely(ctx.out, ctx.chat, t(ctx.lang, "session_expired"))
            await ctx.session_id(fresh=True)
            await self._run_once(retry_on_missing_session=False)
            return
        except StreamDropped:
            await self._recover(before, t(ctx.lang, "stream_dropped"))
            return
        except StreamTimedOut:
            # The backend may well still be working: watch the state exactly as after a drop.
            await self._recover(
                before, t(ctx.lang, "turn_timeout_checking"), unchanged=t(ctx.lang, "turn_timeout_nochange")
            )
            return
        except NemoError as exc:
            await self._fail(explain(exc, ctx.account, ctx.lang))
            return
        await self._complete(turn, before)

    async def _relay(self, turn: TurnStream) -> None:
        loop = asyncio.get_running_loop()
        self._last_activity = loop.time()
        watchdog = asyncio.create_task(self._still_working_watchdog(), name=f"still-working:{self.ctx.chat}")
        try:
            async for event in turn:
                METRICS.sse_event()
                if isinstance(event, Heartbeat):
                    continue
                self._last_activity = loop.time()
                # Compared by version, not by text: per event this costs the same at 1 MB as at 1 KB.
                if self._quiet_notice or turn.transcript.version != self._seen_version:
                    self._quiet_notice = ""
                    self._transcript = turn.transcript
                    self._seen_version = turn.transcript.version
                    self._show()
        finally:
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog

    @property
    def _visible(self) -> str:
        """The agent's text shown so far."""
        return self._transcript.text if self._transcript is not None else ""

    def _show(self) -> None:
        # Raw text, built when the reply flushes: the reply translates GUI language and joins the
        # transcript once per flush, not on every event.
        notice = self._quiet_notice
        self.reply.update_with(lambda: "\n\n".join(part for part in (self._visible, notice) if part))

    async def _still_working_watchdog(self) -> None:
        """Every quiet stretch of NEMOBOT_STILL_WORKING_S updates one notice (never a new message)."""
        loop = asyncio.get_running_loop()
        period = self.ctx.settings.nemobot_still_working_s
        started = loop.time()
        while True:
            await asyncio.sleep(max(0.05, self._last_activity + period - loop.time()))
            if loop.time() - self._last_activity >= period:
                minutes = max(1, round((loop.time() - started) / 60))
                self._quiet_notice = t(self.ctx.lang, "still_working", minutes=minutes)
                self._show()
                self._last_activity = loop.time()

    async def _complete(self, turn: TurnStream, before: SessionState | None) -> None:
        ctx = self.ctx
        if turn.silent:
            after = await self._read_state()
            changes = describe_changes(before, after, ctx.lang) if after else []
            text = (
                t(ctx.lang, "turn_silent_changes", changes=_bullets(changes))
                if changes
                else t(ctx.lang, "turn_silent_nochange")
            )
            buttons = _exportable_only(AFTER_EDIT_ACTIONS if changes else (), after)
            await self.reply.finish(text, buttons=labelled(ctx.lang, *buttons))
            await self._save(JobState.DONE)
            return
        translation = translate_gui(turn.transcript.finish(), ctx.lang)
        text = translation.text
        buttons = list(translation.actions)
        if turn.tool_calls:
            buttons += [a for a in AFTER_EDIT_ACTIONS if a not in buttons]
        # What the panel the agent pointed at would show, listed here. The timeline appears once
        # per turn: the agent's own run-on list gives way to ours, unless ours cannot be had.
        bare = without_inline_timeline(text) if translation.show_timeline else text
        timeline = translation.show_timeline and not lists_tracks(bare)
        wanted = timeline or translation.show_media or Action.EXPORT in buttons
        state = await self._read_state() if wanted else None
        if state is not None:
            shown = summarize_media(state.video_infos, ctx.lang) if translation.show_media else []
            tracks = summarize_tracks(state.draft, ctx.lang) if timeline else []
            if tracks:
                text = bare
                shown += [line for line in tracks if line not in shown]
            if shown:
                text += "\n\n" + "\n".join(shown)
        await self.reply.finish(text, buttons=labelled(ctx.lang, *_exportable_only(buttons, state)))
        await self._save(JobState.DONE)

    async def _read_state(self) -> SessionState | None:
        session_id = self.job.session_id
        if session_id is None:
            return None
        try:
            return await self.ctx.account.client.state(session_id)
        except NemoError as exc:
            log.info("state read after a turn failed: %s", exc)
            return None

    async def _recover(
        self, before: SessionState | None, notice: str, *, unchanged: str | None = None
    ) -> None:
        """Never re-send: watch the session state until it changes or the patience runs out."""
        ctx = self.ctx
        settings = ctx.settings
        self.reply.update(self._after_shown(notice))
        count = settings.nemobot_recovery_polls
        delays = [settings.nemobot_recovery_first_s] + [settings.nemobot_recovery_next_s] * (count - 1)
        changes: list[str] = []
        for delay in delays:
            await ctx.sleep(delay)
            after = await self._read_state()
            if after is None or before is None:
                continue
            latest = describe_changes(before, after, ctx.lang)
            # Generation runs in two stages: report once the state has stopped changing.
            if latest and latest == changes:
                break
            changes = latest
        if changes:
            text = t(ctx.lang, "stream_recovered", changes=_bullets(changes))
            await self.reply.finish(
                self._after_shown(text), buttons=labelled(self.ctx.lang, *AFTER_EDIT_ACTIONS)
            )
            await self._save(JobState.DONE, "recovered after a dropped stream")
            return
        final = unchanged or t(ctx.lang, "stream_lost")
        await self.reply.finish(self._after_shown(final))
        await self._save(JobState.FAILED, "no change after the stream was lost")

    def _after_shown(self, text: str) -> str:
        """The agent's text shown so far (GUI language translated), then ``text`` below it."""
        shown = self._gui.feed(self._visible) if self._visible else ""
        return "\n\n".join(part for part in (shown, text) if part)

    async def _fail(self, message: str) -> None:
        METRICS.failed("turn")
        await self.reply.finish(self._after_shown(message))
        await self._save(JobState.FAILED, message[:500])

    async def _finish_cancelled(self) -> None:
        if self.ctx.stopping():
            await self.reply.abandon()
            return

        # Shielded: the task is being cancelled, but the user must still hear what happened.
        async def tell() -> None:
            await self.reply.finish(self._after_shown(t(self.ctx.lang, "cancelled")))
            await self._save(JobState.CANCELLED, "cancelled by the user")

        with contextlib.suppress(Exception):
            await asyncio.shield(tell())


async def resume_interrupted_turn(ctx: ChatContext, job: Job) -> None:
    """After a restart in the middle of a turn: compare the draft with the one stored before it and
    report what the editor did; the turn is never sent again."""
    try:
        before = json.loads(job.detail) if job.detail else None
    except ValueError:
        before = None
    changes: list[str] = []
    if job.session_id:
        try:
            state = await ctx.account.client.state(job.session_id)
            changes = diff_drafts(before, state.draft, ctx.lang)
        except NemoError as exc:
            log.info("state read for an interrupted turn failed: %s", exc)
    bullets = _bullets(changes) if changes else t(ctx.lang, "no_visible_change")
    await send_safely(
        ctx.out,
        ctx.chat,
        t(ctx.lang, "restarted_during_turn", changes=bullets),
        buttons=labelled(ctx.lang, Action.STATUS, Action.EXPORT)
        if changes
        else labelled(ctx.lang, Action.STATUS),
    )
    job.state = JobState.DONE
    job.updated_at = datetime.now(UTC)
    job.detail = "reported after restart"
    await ctx.store.save_job(job)
