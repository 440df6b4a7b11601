"""Albums (media groups) arrive as one update per file; the core should see them as one message.

Parts sharing a ``media_group_id`` are gathered until the album has been quiet for ``wait_s`` (at
most three times that in all), then handed over as one :class:`~core.chat.Inbound` with several
attachments. A later message of the same chat first delivers the album, so order is kept.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace

from core.chat import ChatKey, Inbound
from core.inbound import CoreUnavailable

log = logging.getLogger(__name__)

_MAX_WAITS = 3

AlbumKey = tuple[ChatKey, str]


@dataclass(slots=True)
class _Album:
    first_seen: float
    parts: list[tuple[int, Inbound]] = field(default_factory=list)
    update_ids: list[int] = field(default_factory=list)
    timer: asyncio.Task[None] | None = None


def merge(group_id: str, parts: Sequence[tuple[int, Inbound]]) -> Inbound:
    """One message for the whole album: files in order, the caption (usually on the first part)
    as text, addressed if any part was, and one de-duplication key for the group."""
    ordered = [inbound for _order, inbound in sorted(parts, key=lambda part: part[0])]
    first = ordered[0]
    text = next((inbound.text for inbound in ordered if inbound.text.strip()), "")
    return replace(
        first,
        text=text,
        attachments=tuple(a for inbound in ordered for a in inbound.attachments),
        addressed=any(inbound.addressed for inbound in ordered),
        message_id=f"{first.chat.chat_id}:album:{group_id}",
    )


class AlbumCollector:
    """Buffers album parts per (chat, media group) and delivers each album once.

    ``deliver`` hands the merged message to the core; ``accepted`` is told the update ids of an
    album once it has been delivered (the poller confirms them to Telegram only then).
    """

    def __init__(
        self,
        deliver: Callable[[Inbound], Awaitable[None]],
        *,
        wait_s: float,
        accepted: Callable[[Sequence[int]], None] = lambda _ids: None,
        refused: Callable[[Sequence[int]], None] = lambda _ids: None,
    ) -> None:
        self._deliver = deliver
        self._wait_s = wait_s
        self._accepted = accepted
        self._refused = refused
        self._albums: dict[AlbumKey, _Album] = {}
        self._delivering: dict[ChatKey, set[asyncio.Task[None]]] = {}

    def add(self, group_id: str, inbound: Inbound, *, order: int, update_id: int) -> None:
        """Buffer one part; the album is delivered once no part has come for ``wait_s``."""
        loop = asyncio.get_running_loop()
        key = (inbound.chat, group_id)
        album = self._albums.get(key)
        if album is None:
            album = self._albums[key] = _Album(first_seen=loop.time())
        album.parts.append((order, inbound))
        album.update_ids.append(update_id)
        if album.timer is not None:
            album.timer.cancel()
        deadline = album.first_seen + self._wait_s * _MAX_WAITS
        delay = max(0.0, min(self._wait_s, deadline - loop.time()))
        album.timer = asyncio.create_task(self._deliver_later(key, delay), name=f"album:{inbound.chat}")

    async def settle(self, chat: ChatKey) -> None:
        """Deliver this chat's albums now and wait for any being delivered (before a later message)."""
        for key in [key for key in self._albums if key[0] == chat]:
            await self._deliver_now(key)
        tasks = list(self._delivering.get(chat, ()))
        if tasks:
            await asyncio.wait(tasks)

    async def flush_all(self) -> None:
        """Deliver everything still buffered (used when the adapter stops)."""
        for key in list(self._albums):
            await self._deliver_now(key)
        tasks = [task for group in self._delivering.values() for task in group]
        if tasks:
            await asyncio.wait(tasks)

    async def _deliver_now(self, key: AlbumKey) -> None:
        album = self._albums.pop(key, None)
        if album is None:
            return
        if album.timer is not None:
            album.timer.cancel()  # it is asleep: the album was still in the buffer
        await self._hand_over(key, album)

    async def _deliver_later(self, key: AlbumKey, delay: float) -> None:
        await asyncio.sleep(delay)
        album = self._albums.pop(key, None)
        if album is None:
            return
        task = asyncio.current_task()
        assert task is not None
        chat = key[0]
        self._delivering.setdefault(chat, set()).add(task)
        try:
            await self._hand_over(key, album)
        finally:
            running = self._delivering.get(chat, set())
            running.discard(task)
            if not running:
                self._delivering.pop(chat, None)

    async def _hand_over(self, key: AlbumKey, album: _Album) -> None:
        try:
            await self._deliver(merge(key[1], album.parts))
        except CoreUnavailable:
            # Not stored: Telegram keeps (and later re-sends) every part of it.
            self._refused(album.update_ids)
            return
        except BaseException:
            self._accepted(album.update_ids)
            raise
        self._accepted(album.update_ids)
