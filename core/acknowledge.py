"""Reactions on the user's own message: 👀 when work is accepted, ✅ or ❌ when it ends.

They are a courtesy, so they are sent only where the platform offers them (an optional
:class:`~core.ports.Reactor`) and never fail the work they decorate.
"""

from __future__ import annotations

import logging

from core.chat import MessageRef
from core.ports import Outbound, PlatformError, Reaction, Reactor

log = logging.getLogger(__name__)


async def acknowledge(out: Outbound, origin: MessageRef | None, reaction: Reaction) -> None:
    """Set ``reaction`` on ``origin`` where the platform can; refusals are logged and ignored."""
    if origin is None or not isinstance(out, Reactor):
        return
    try:
        await out.react(origin, reaction)
    except PlatformError as exc:
        log.debug("reaction %s in %s skipped: %s", reaction, origin.chat, exc)
