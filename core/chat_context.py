"""What every conversational flow works with: the chat, its language, its platform and account."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from core.chat import ChatAction, ChatKey, MessageRef
from core.credentials import Accounts, ChatAccount
from core.i18n import Lang, t
from core.nemo.errors import SessionNotFound
from core.ports import Outbound, PlatformError, Store
from core.replies import send_safely
from core.settings import Settings

T = TypeVar("T")


async def _yes() -> bool:
    return True


@dataclass(slots=True)
class ChatContext:
    """One chat's collaborators for the duration of a piece of work."""

    chat: ChatKey
    lang: Lang
    out: Outbound
    account: ChatAccount
    accounts: Accounts
    store: Store
    settings: Settings
    is_group: bool = False
    # The user's message that started this work (reactions, and the reply a slow result quotes).
    origin: MessageRef | None = None
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    # True while the process shuts down: cancelled work then stays open in the store for the restart,
    # instead of being reported and closed as a user's /cancel.
    stopping: Callable[[], bool] = lambda: False
    # In a fleet: renews this worker's hold on the chat; False once another worker has taken it
    # over (its lease expired here), when nothing more may be sent to the backend for it.
    still_ours: Callable[[], Awaitable[bool]] = field(default=lambda: _yes())

    async def session_id(self, *, fresh: bool = False) -> str:
        return await self.accounts.ensure_session(self.account, self.lang, fresh=fresh)

    async def in_session(self, call: Callable[[str], Awaitable[T]]) -> T:
        """Run ``call(session_id)``; if the backend says the session is gone, tell the chat and run
        it once more in a fresh session. Only for calls that did nothing (never a chat turn)."""
        try:
            return await call(await self.session_id())
        except SessionNotFound:
            await send_safely(self.out, self.chat, t(self.lang, "session_expired"))
            return await call(await self.session_id(fresh=True))


@contextlib.asynccontextmanager
async def chat_action_kept_alive(
    out: Outbound, chat: ChatKey, action: ChatAction, interval_s: float = 4.5
) -> AsyncIterator[None]:
    """Keep "typing…" (or "sending video…") visible while the body runs; platforms expire it."""
    stop = asyncio.Event()

    async def pulse() -> None:
        while not stop.is_set():
            with contextlib.suppress(PlatformError):
                await out.chat_action(chat, action)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_s)

    task = asyncio.create_task(pulse(), name=f"chat-action:{chat}")
    try:
        yield
    finally:
        stop.set()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
