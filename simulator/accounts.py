"""Anonymous accounts, bearer tokens, claim tokens and credits."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from simulator.config import SimulatorConfig
from simulator.ids import IdFactory


@dataclass(slots=True)
class Account:
    """One anonymous user: `available` credits can be spent, `frozen` ones are reserved by running turns."""

    user_id: str
    client_id: str
    available: int
    frozen: int = 0
    scopes: tuple[str, ...] = ("read", "write", "upload")

    @property
    def total(self) -> int:
        return self.available + self.frozen


@dataclass(slots=True)
class Token:
    """A bearer token `nmv_usr_…`; several may be live for one account."""

    value: str
    user_id: str
    expires_at: float

    def expired(self, now: float) -> bool:
        return now >= self.expires_at


@dataclass(slots=True)
class ClaimToken:
    value: str
    user_id: str
    session_id: str
    expires_at: float


class RateLimitedError(Exception):
    """The anonymous-token quota (per client id or per IP) is used up."""


@dataclass(slots=True)
class _ClientRecord:
    user_id: str
    tokens: list[str] = field(default_factory=list)


class AccountStore:
    """Accounts keyed by user id, found through tokens or the client id that created them."""

    def __init__(
        self, config: SimulatorConfig, ids: IdFactory, clock: Callable[[], float] = time.time
    ) -> None:
        self._config = config
        self._ids = ids
        self._clock = clock
        self._accounts: dict[str, Account] = {}
        self._tokens: dict[str, Token] = {}
        self._clients: dict[str, _ClientRecord] = {}
        self._new_accounts_by_ip: defaultdict[str, list[float]] = defaultdict(list)
        self._claims: dict[tuple[str, str], ClaimToken] = {}

    def get(self, user_id: str) -> Account | None:
        return self._accounts.get(user_id)

    def issue_anonymous(self, client_id: str, ip: str) -> tuple[Account, Token, bool]:
        """A fresh token for the client's account, creating the account on first sight.

        Returns (account, token, created). A known client id keeps its account (and credits):
        re-asking after a 1001 is exactly what the docs tell clients to do.
        """
        now = self._clock()
        record = self._clients.get(client_id)
        if record is not None:
            if self._config.known_client_policy == "rate_limit" and self._has_live_token(record, now):
                raise RateLimitedError("one token per client id per 7 days")
            account = self._accounts[record.user_id]
            created = False
        else:
            window_start = now - self._config.token_ttl_seconds
            recent = [t for t in self._new_accounts_by_ip[ip] if t > window_start]
            if len(recent) >= self._config.new_accounts_per_ip:
                raise RateLimitedError("too many anonymous tokens from this IP")
            recent.append(now)
            self._new_accounts_by_ip[ip] = recent
            account = Account(
                user_id=self._ids.user_id(), client_id=client_id, available=self._config.initial_credits
            )
            self._accounts[account.user_id] = account
            record = _ClientRecord(user_id=account.user_id)
            self._clients[client_id] = record
            created = True
        token = Token(self._ids.token(), account.user_id, now + self._config.token_ttl_seconds)
        self._tokens[token.value] = token
        record.tokens.append(token.value)
        return account, token, created

    def _has_live_token(self, record: _ClientRecord, now: float) -> bool:
        return any(not self._tokens[value].expired(now) for value in record.tokens)

    def authenticate(self, token_value: str) -> Account | None:
        token = self._tokens.get(token_value)
        if token is None or token.expired(self._clock()):
            return None
        return self._accounts.get(token.user_id)

    def expire_token(self, token_value: str) -> None:
        token = self._tokens.get(token_value)
        if token is not None:
            token.expires_at = self._clock()

    def set_credits(self, user_id: str, available: int) -> None:
        self._accounts[user_id].available = available

    # Credits: a turn reserves its cost up front, then consumes it or gives it back.

    @staticmethod
    def reserve(account: Account, amount: int) -> bool:
        if account.available < amount:
            return False
        account.available -= amount
        account.frozen += amount
        return True

    @staticmethod
    def consume(account: Account, amount: int) -> None:
        account.frozen -= amount

    @staticmethod
    def release(account: Account, amount: int) -> None:
        account.frozen -= amount
        account.available += amount

    def claim_token(self, account: Account, session_id: str) -> ClaimToken:
        """A browser-only token for one session; reused while it lives (the docs call it reusable)."""
        now = self._clock()
        key = (account.user_id, session_id)
        claim = self._claims.get(key)
        if claim is None or now >= claim.expires_at:
            expires_at = now + self._config.claim_token_ttl_seconds
            claim = ClaimToken(self._ids.claim_token(), account.user_id, session_id, expires_at)
            self._claims[key] = claim
        return claim
