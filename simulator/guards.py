"""Checks shared by the routes: bearer auth, attribution headers, session lookup."""

from __future__ import annotations

from aiohttp import web

from simulator.accounts import Account
from simulator.backend import BACKEND, Backend
from simulator.envelopes import Code, EnvelopeError, code_error
from simulator.faults import Endpoint, FaultKind
from simulator.sessions import Session

SKILL_HEADERS = ("X-Skill-Source", "X-Skill-Version", "X-Skill-Platform")
TOKEN_INVALID_MESSAGE = "token invalid or expired"


def backend_of(request: web.Request) -> Backend:
    return request.app[BACKEND]


def has_skill_headers(request: web.Request) -> bool:
    return all(request.headers.get(name, "").strip() for name in SKILL_HEADERS)


def skill_source(request: web.Request) -> str:
    return request.headers.get("X-Skill-Source", "").strip()


def is_attributed(request: web.Request) -> bool:
    """All three X-Skill-* headers present, and the source one of the known skills."""
    known = backend_of(request).config.known_skills
    return has_skill_headers(request) and (known is None or skill_source(request) in known)


def bearer_token(request: web.Request) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def require_account(request: web.Request) -> Account:
    """The caller's account, or a 1001 answer (missing, unknown or expired token)."""
    backend = backend_of(request)
    token = bearer_token(request)
    account = backend.accounts.authenticate(token) if token else None
    if account is None:
        raise EnvelopeError(code_error(backend.config, Code.TOKEN_INVALID, TOKEN_INVALID_MESSAGE))
    return account


def user_segment_matches(request: web.Request, account: Account) -> bool:
    """Paths carry `me` (v1.0+) or, in older clients, the real user id."""
    return request.match_info.get("user", "me") in ("me", account.user_id)


def find_session(backend: Backend, endpoint: Endpoint, account: Account, session_id: str) -> Session | None:
    """The caller's session; a SESSION_GONE fault deletes it first."""
    if backend.faults.take(FaultKind.SESSION_GONE, endpoint, session_id) is not None:
        backend.stats.faults_fired[FaultKind.SESSION_GONE] += 1
        backend.sessions.delete(session_id)
    return backend.sessions.find(account.user_id, session_id)


def require_session(request: web.Request, endpoint: Endpoint, account: Account, session_id: str) -> Session:
    backend = backend_of(request)
    session = find_session(backend, endpoint, account, session_id)
    if session is None or not user_segment_matches(request, account):
        raise EnvelopeError(
            code_error(backend.config, Code.SESSION_NOT_FOUND, f"session not found: {session_id}")
        )
    return session


def origin(request: web.Request) -> str:
    """Where this simulator is reachable for the caller; CDN-like links point back here."""
    return str(request.url.origin())
