"""Where a chat's NemoVideo token comes from: the operator's token, or an anonymous one."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeVar

from core.nemo.errors import AnonymousCeiling, AuthError, BackendUnavailable, ClientIdMissing, RateLimited
from core.nemo.models import AnonymousToken
from core.nemo.transport import NemoTransport

log = logging.getLogger(__name__)

# Renew a little before the stated expiry rather than fail a user's call on it.
_EXPIRY_MARGIN = timedelta(minutes=5)


class TokenSource(Protocol):
    """Supplies the bearer token for a chat and renews it when the backend says 1001."""

    async def get(self) -> str:
        """The token to use now."""
        ...

    async def renew(self, rejected: str) -> str:
        """A replacement for ``rejected``; raises :class:`AuthError` when none can be had."""
        ...

    @property
    def anonymous_user_id(self) -> str | None:
        """The ``anon_…`` id of an anonymous account (for the registration ``?bind=`` link)."""
        ...


class StaticToken:
    """A token configured by the operator or a user; it cannot be renewed by the bot."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "StaticToken(<redacted>)"

    async def get(self) -> str:
        return self._token

    async def renew(self, rejected: str) -> str:
        raise AuthError(1001, "the configured NemoVideo token was rejected")

    @property
    def anonymous_user_id(self) -> str | None:
        return None


async def request_anonymous_token(transport: NemoTransport, client_id: str) -> AnonymousToken:
    """``POST /api/auth/anonymous-token`` with the chat's stable ``X-Client-Id``."""
    data = await transport.call(
        "POST", "/api/auth/anonymous-token", token=None, headers={"X-Client-Id": client_id}
    )
    if not isinstance(data, dict) or not isinstance(data.get("token"), str):
        raise BackendUnavailable("anonymous-token response had no token")
    expires_at: datetime | None = None
    raw_expiry = data.get("expires_at")
    if isinstance(raw_expiry, str):
        try:
            expires_at = datetime.fromisoformat(raw_expiry.replace("Z", "+00:00"))
        except ValueError:
            expires_at = None
    credits = data.get("credits")
    user_id = data.get("user_id")
    return AnonymousToken(
        token=data["token"],
        user_id=user_id if isinstance(user_id, str) else None,
        expires_at=expires_at,
        credits=credits if isinstance(credits, int) and not isinstance(credits, bool) else None,
    )


class AnonymousTokens:
    """An anonymous account bound to one persisted client id.

    The first call acquires a token; a rejected or expired token is re-acquired with the *same*
    client id (a new id per call would burn the per-IP quota). A 429 is waited out once. A 400
    "missing client id" (the stored id was blank or unusable) is answered as the skills say: a new
    id is generated, handed to ``on_client_id`` to persist, and the request made once more. Each
    new token is handed to ``on_token`` so the caller can persist it.
    """

    def __init__(
        self,
        transport: NemoTransport,
        client_id: str,
        *,
        current: AnonymousToken | None = None,
        on_token: Callable[[AnonymousToken], Awaitable[None]] | None = None,
        on_client_id: Callable[[str], Awaitable[None]] | None = None,
        rate_limit_wait_s: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._transport = transport
        self.client_id = client_id
        self._current = current
        self._on_token = on_token
        self._on_client_id = on_client_id
        self._wait = rate_limit_wait_s
        self._sleep = sleep
        self._now = now
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"AnonymousTokens(client_id={self.client_id!r})"

    @property
    def anonymous_user_id(self) -> str | None:
        return self._current.user_id if self._current else None

    def _usable(self, token: AnonymousToken | None) -> bool:
        if token is None:
            return False
        return token.expires_at is None or token.expires_at - _EXPIRY_MARGIN > self._now()

    async def get(self) -> str:
        async with self._lock:
            if not self._usable(self._current):
                await self._acquire()
            assert self._current is not None
            return self._current.token

    async def renew(self, rejected: str) -> str:
        async with self._lock:
            # Another caller may already have replaced the rejected token.
            if self._current is None or self._current.token == rejected:
                await self._acquire()
            assert self._current is not None
            return self._current.token

    async def _request(self) -> AnonymousToken:
        try:
            return await request_anonymous_token(self._transport, self.client_id)
        except ClientIdMissing:
            self.client_id = str(uuid.uuid4())
            log.warning("the backend refused the stored client id; using a newly generated one")
            if self._on_client_id is not None:
                await self._on_client_id(self.client_id)
            return await request_anonymous_token(self._transport, self.client_id)

    async def _acquire(self) -> None:
        try:
            token = await self._request()
        except RateLimited:
            await self._sleep(self._wait)
            try:
                token = await self._request()
            except RateLimited as exc:
                log.warning(
                    "NemoVideo refused a new anonymous account twice (429): the backend allows about "
                    "10 anonymous accounts per server IP per week, so new chats cannot start. Set "
                    "NEMO_TOKEN to an operator token (see the README) or ask users to use /token."
                )
                raise AnonymousCeiling(exc.code, exc.message, http_status=exc.http_status) from exc
        if token.user_id is None and self._current is not None:
            # Later docs elide user_id; the same client id keeps the same anonymous account.
            token = AnonymousToken(token.token, self._current.user_id, token.expires_at, token.credits)
        self._current = token
        if self._on_token is not None:
            await self._on_token(token)


T = TypeVar("T")


async def retry_refused(
    tokens: TokenSource,
    send: Callable[[str], Awaitable[T]],
    *,
    rate_limit_wait_s: float,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """``send(token)``, repeated only when the backend *refused* it, so nothing ran: once with a renewed
    token after a 1001, once after waiting ``rate_limit_wait_s`` after a 429. The one retry rule for
    every call, a chat turn's opening included (a refused turn was never accepted, so asking again is
    not a re-send); anything else is raised as it is.
    """
    renewed = waited = False
    token = await tokens.get()
    while True:
        try:
            return await send(token)
        except AuthError:
            if renewed:
                raise
            renewed = True
            token = await tokens.renew(token)
        except RateLimited:
            if waited:
                raise
            waited = True
            await sleep(rate_limit_wait_s)
