"""POST /api/auth/anonymous-token and POST /api/auth/claim-token."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from simulator.accounts import RateLimitedError
from simulator.envelopes import Code, code_error, code_ok, read_json_object
from simulator.faults import Endpoint
from simulator.guards import backend_of, require_account, require_session

MAX_CLIENT_ID_LENGTH = 64


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def anonymous_token(request: web.Request) -> web.Response:
    backend = backend_of(request)
    client_id = request.headers.get("X-Client-Id", "").strip()
    if not client_id or len(client_id) > MAX_CLIENT_ID_LENGTH:
        return code_error(
            backend.config, Code.BAD_REQUEST, "X-Client-Id header is required (at most 64 characters)"
        )
    try:
        account, token, created = backend.accounts.issue_anonymous(client_id, request.remote or "unknown")
    except RateLimitedError as error:
        return code_error(backend.config, Code.RATE_LIMITED, f"rate limited: {error}")
    backend.stats.tokens_issued += 1
    backend.stats.accounts_created += int(created)
    data: dict[str, object] = {
        "token": token.value,
        "user_id": account.user_id,
        "expires_at": _iso(token.expires_at),
        "credits": account.available,
    }
    if backend.config.elide_user_ids:
        del data["user_id"]
    return code_ok(data)


async def claim_token(request: web.Request) -> web.Response:
    backend = backend_of(request)
    account = require_account(request)
    body = await read_json_object(request)
    if (
        body is None
        or not isinstance(body.get("session_id"), str)
        or not isinstance(body.get("task_id"), str)
    ):
        return code_error(backend.config, Code.BAD_REQUEST, "body must be {task_id, session_id}")
    session = require_session(request, Endpoint.CLAIM_TOKEN, account, body["session_id"])
    if session.task_id != body["task_id"]:
        return code_error(backend.config, Code.SESSION_NOT_FOUND, "task does not belong to this session")
    claim = backend.accounts.claim_token(account, session.session_id)
    return code_ok({"claim_token": claim.value, "expires_in": backend.config.claim_token_ttl_seconds})
