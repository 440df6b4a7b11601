"""Serial within a chat, parallel across chats: one worker task per busy chat, in arrival order."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from core.chat import ChatKey
from core.metrics import tracked
from core.ports import Job

log = logging.getLogger(__name__)

Work = Callable[[], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Item:
    """One piece of queued work: what runs, who asked for it, and the stored job it serves (if any)."""

    work: Work
    label: str = ""
    requester: str | None = None
    job: Job | None = None


@dataclass(slots=True)
class _ChatLane:
    pending: deque[Item] = field(default_factory=deque)
    current: asyncio.Task[None] | None = None
    current_item: Item | None = None
    idle: asyncio.Event = field(default_factory=asyncio.Event)


class ChatQueues:
    """Runs each chat's work one item at a time; different chats run concurrently.

    Lanes exist only while a chat has work, so thousands of quiet chats cost nothing. A failing item
    never stops its lane; :class:`core.work.Work` wraps every item so the chat hears of a failure.
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

    def requesters(self, chat: ChatKey) -> set[str]:
        """Who asked for the work running or waiting in this chat."""
        lane = self._lanes.get(chat)
        if lane is None:
            return set()
        items = [*lane.pending, *([lane.current_item] if lane.current_item is not None else [])]
        return {item.requester for item in items if item.requester is not None}

    def labels(self, chat: ChatKey) -> list[str]:
        """The labels of the work running or waiting in this chat, running first."""
        lane = self._lanes.get(chat)
        if lane is None:
            return []
        current = [lane.current_item.label] if lane.current_item is not None else []
        return current + [item.label for item in lane.pending]

    def submit(self, chat: ChatKey, item: Item) -> int:
        """Queue ``item``; returns how many items were ahead of it."""
        lane = self._lanes.get(chat)
        if lane is None:
            lane = self._lanes[chat] = _ChatLane()
        ahead = len(lane.pending) + (1 if lane.current is not None else 0)
        # Counted, timed and logged (core.metrics) without changing what the item says it is.
        lane.pending.append(dataclasses.replace(item, work=tracked(chat, item.label, item.work)))
        lane.idle.clear()
        if lane.current is None:
            self._start_next(chat, lane)
        return ahead

    def _start_next(self, chat: ChatKey, lane: _ChatLane) -> None:
        if not lane.pending:
            lane.current = None
            lane.current_item = None
            lane.idle.set()
            del self._lanes[chat]
            return
        item = lane.pending.popleft()
        lane.current_item = item
        lane.current = asyncio.create_task(self._run(item.work), name=f"chat:{chat}:{item.label}")
        lane.current.add_done_callback(lambda _task: self._start_next(chat, lane))

    @staticmethod
    async def _run(work: Work) -> None:
        try:
            await work()
        except asyncio.CancelledError:
            raise
        except Exception:  # broad on purpose: last resort (Work already told the chat): the lane goes on
            log.exception("chat work failed")

    def cancel(self, chat: ChatKey) -> tuple[Item | None, list[Item]]:
        """Cancel the running item and drop the waiting ones: (the running item, the dropped items)."""
        lane = self._lanes.get(chat)
        if lane is None:
            return None, []
        dropped = list(lane.pending)
        lane.pending.clear()
        running = None
        if lane.current is not None and not lane.current.done():
            running = lane.current_item
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
