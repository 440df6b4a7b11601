"""Per-chat NemoVideo credentials and sessions.

With the operator's ``NEMO_TOKEN`` every chat uses that token; without it each chat gets its own
anonymous account, bound to a client id that is generated once and persisted. Sessions are created
lazily in the chat's language and replaced when the backend says they are gone (1002) or on ``/new``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from core.chat import ChatKey
from core.i18n import Lang, session_language
from core.keyed_locks import KeyedLocks
from core.nemo.auth import AnonymousTokens, StaticToken, TokenSource
from core.nemo.client import NemoClient
from core.nemo.models import AnonymousToken, SessionInfo
from core.nemo.transport import NemoTransport
from core.ports import ChatRecord, Store
from core.settings import Settings
from core.skills import SkillProfile, get_profile


@dataclass(slots=True)
class ChatAccount:
    """A chat's record, its NemoVideo client (with that chat's credentials) and its skill profile."""

    record: ChatRecord
    client: NemoClient
    profile: SkillProfile

    @property
    def anonymous(self) -> bool:
        return not isinstance(self.client.tokens, StaticToken)


class Accounts:
    """Builds a :class:`ChatAccount` for a chat and keeps its session alive."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        transport_for: Callable[[SkillProfile], NemoTransport],
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._settings = settings
        self._store = store
        self._transport_for = transport_for
        self._sleep = sleep
        self._session_locks = KeyedLocks()
        self._record_locks = KeyedLocks()
        # One token source per chat, so concurrent calls share renewals.
        self._tokens: dict[tuple[ChatKey, str], TokenSource] = {}

    async def record(self, chat: ChatKey) -> ChatRecord:
        return await self._store.get_chat(chat) or ChatRecord(chat=chat)

    async def update(self, chat: ChatKey, **changes: object) -> ChatRecord:
        """Change some fields of a chat's record, re-reading it first so concurrent updates of other
        fields (a token renewed while a session is created) are never overwritten."""
        async with self._record_locks.hold(chat):
            record = await self.record(chat)
            for name, value in changes.items():
                setattr(record, name, value)
            await self._store.save_chat(record)
            return record

    async def account(self, chat: ChatKey, *, record: ChatRecord | None = None) -> ChatAccount:
        """The chat's account; ``record`` is the chat's record when the caller has just read it."""
        record = record if record is not None else await self.record(chat)
        profile = get_profile(record.skill or self._settings.nemo_skill)
        transport = self._transport_for(profile)
        tokens = await self._token_source(record, transport)
        client = NemoClient(
            transport,
            tokens,
            web_url=self._settings.nemo_web_url,
            rate_limit_wait_s=self._settings.nemo_rate_limit_wait_s,
            sse_max_s=self._settings.nemo_sse_max_s,
            sse_idle_timeout_s=self._settings.nemo_sse_idle_timeout_s,
            sleep=self._sleep,
        )
        return ChatAccount(record=record, client=client, profile=profile)

    async def _token_source(self, record: ChatRecord, transport: NemoTransport) -> TokenSource:
        if record.user_token:
            return StaticToken(record.user_token)
        if self._settings.nemo_token is not None:
            return StaticToken(self._settings.nemo_token.get_secret_value())
        if record.client_id is None:
            record.client_id = (await self.update(record.chat, client_id=str(uuid.uuid4()))).client_id
        assert record.client_id is not None
        key = (record.chat, record.client_id)
        source = self._tokens.get(key)
        if source is None:
            current = None
            if record.token:
                current = AnonymousToken(record.token, record.anon_user_id, record.token_expires_at, None)
            chat = record.chat

            async def remember(token: AnonymousToken) -> None:
                changes: dict[str, object] = {"token": token.token, "token_expires_at": token.expires_at}
                if token.user_id:
                    changes["anon_user_id"] = token.user_id
                await self.update(chat, **changes)

            async def remember_client_id(client_id: str) -> None:
                await self.update(chat, client_id=client_id)

            source = AnonymousTokens(
                transport,
                record.client_id,
                current=current,
                on_token=remember,
                on_client_id=remember_client_id,
                rate_limit_wait_s=self._settings.nemo_rate_limit_wait_s,
                sleep=self._sleep,
            )
            self._tokens[key] = source
        return source

    async def ensure_session(self, account: ChatAccount, lang: Lang, *, fresh: bool = False) -> str:
        """The chat's session id, creating a session first when there is none (or ``fresh``)."""
        if account.record.session_id and not fresh:
            return account.record.session_id  # read when the work started; the chat's lane is serial
        async with self._session_locks.hold(account.record.chat):
            record = await self.record(account.record.chat)
            if record.session_id and not fresh:
                account.record = record
                return record.session_id
            info: SessionInfo = await account.client.create_session(language=session_language(lang))
            changes: dict[str, object] = {"session_id": info.session_id, "task_id": info.task_id}
            if info.user_id and info.user_id.startswith("anon_"):
                changes["anon_user_id"] = info.user_id
            account.record = await self.update(record.chat, **changes)
            return info.session_id
