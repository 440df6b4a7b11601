"""After a restart in the middle of a turn: report what the editor did, never send the turn again."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from core.chat import Action
from core.context import ChatContext
from core.i18n import t
from core.nemo.draft import diff_drafts
from core.nemo.errors import NemoError
from core.ports import Job, JobState
from core.replies import send_safely

log = logging.getLogger(__name__)


async def resume_interrupted_turn(ctx: ChatContext, job: Job) -> None:
    """A turn was running when the process stopped: compare the draft with the one stored before it."""
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
    bullets = "\n".join(f"• {line}" for line in changes) if changes else t(ctx.lang, "no_visible_change")
    await send_safely(
        ctx.out,
        ctx.chat,
        t(ctx.lang, "restarted_during_turn", changes=bullets),
        buttons=(Action.STATUS, Action.EXPORT) if changes else (Action.STATUS,),
    )
    job.state = JobState.DONE
    job.updated_at = datetime.now(UTC)
    job.detail = "reported after restart"
    await ctx.store.save_job(job)
