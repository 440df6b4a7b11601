"""Serial within a chat, parallel across chats: one worker task per busy chat, in arrival order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from core.chat import ChatKey
from core.metrics import tracked

log = logging.getLogger(__name__)

Work = Callable[[], Awaitable[None]]


@dataclass(slots=True)
class _ChatLane:
    pending: deque[tuple[str, Work]] = field(default_factory=deque)
    current: asyncio.Task[None] | None = None
    current_label: str = ""
    idle: asyncio.Event = field(default_factory=asyncio.Event)


class ChatQueues:
    """Runs each chat's work one item at a time; different chats run concurrently.

    Lanes exist only while a chat has work, so thousands of quiet chats cost nothing. A failing item
    never stops its lane (the work itself is expected to report errors to the chat).
    """

    def __init__(self) -> None:
        self._lanes: dict[ChatKey, _ChatLane] = {}

    def busy(self, chat: ChatKey) -> int:
        """How many items are ahead of a new one in this chat (running + waiting)."""
        lane = self._lanes.get(chat)
        if lane is None:
            return 0
        return len(lane.pending) + (1 if lane.current is not None else 0)

    def depth(self) -> int:
        """Work items running or waiting, across all chats (the queue depth a host watches)."""
        return sum(len(lane.pending) + (lane.current is not None) for lane in self._lanes.values())

    def current_label(self, chat: ChatKey) -> str | None:
        lane = self._lanes.get(chat)
        return lane.current_label if lane is not None and lane.current is not None else None

    def submit(self, chat: ChatKey, work: Work, *, label: str = "") -> int:
        """Queue ``work``; returns how many items were ahead of it."""
        lane = self._lanes.get(chat)
        if lane is None:
            lane = self._lanes[chat] = _ChatLane()
        ahead = len(lane.pending) + (1 if lane.current is not None else 0)
        lane.pending.append((label, tracked(chat, label, work)))  # counted, timed and logged
        lane.idle.clear()
        if lane.current is None:
            self._start_next(chat, lane)
        return ahead

    def _start_next(self, chat: ChatKey, lane: _ChatLane) -> None:
        if not lane.pending:
            lane.current = None
            lane.idle.set()
            del self._lanes[chat]
            return
        label, work = lane.pending.popleft()
        lane.current_label = label
        lane.current = asyncio.create_task(self._run(work), name=f"chat:{chat}:{label}")
        lane.current.add_done_callback(lambda _task: self._start_next(chat, lane))

    @staticmethod
    async def _run(work: Work) -> None:
        try:
            await work()
        except asyncio.CancelledError:
            raise
        except Exception:  # broad on purpose: one broad catch per work item: logged, the lane goes on
            log.exception("chat work failed")

    def cancel(self, chat: ChatKey, *, drop_pending: bool = True) -> tuple[bool, int]:
        """Cancel the running item (and by default the waiting ones): (was running, dropped count)."""
        lane = self._lanes.get(chat)
        if lane is None:
            return False, 0
        dropped = 0
        if drop_pending:
            dropped = len(lane.pending)
            lane.pending.clear()
        running = lane.current is not None and not lane.current.done()
        if running and lane.current is not None:
            lane.current.cancel()
        return running, dropped

    async def wait_idle(self, chat: ChatKey) -> None:
        """Return once the chat has nothing running or waiting."""
        lane = self._lanes.get(chat)
        if lane is not None:
            await lane.idle.wait()

    async def shutdown(self) -> None:
        """Cancel everything (used when the process stops; accepted jobs stay in the store)."""
        tasks = [lane.current for lane in self._lanes.values() if lane.current is not None]
        for lane in self._lanes.values():
            lane.pending.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
