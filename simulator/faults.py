"""Scriptable failures: what can go wrong, where, and how many times."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Endpoint(StrEnum):
    """Every route the simulator serves; used to aim faults and to key the stats."""

    ANONYMOUS_TOKEN = "anonymous_token"
    CLAIM_TOKEN = "claim_token"
    CREATE_SESSION = "create_session"
    RUN_SSE = "run_sse"
    UPLOAD = "upload"
    CREDITS = "credits"
    STATE = "state"
    RENDER_SUBMIT = "render_submit"
    RENDER_STATUS = "render_status"
    RENDER_CANCEL = "render_cancel"
    RENDER_DOWNLOAD = "render_download"
    RENDER_RESULT = "render_result"
    CDN = "cdn"


class FaultKind(StrEnum):
    """The failures the simulator can inject.

    Request-level kinds act before the handler on any endpoint; the rest act where they make
    sense (named in each comment) and are ignored elsewhere.
    """

    # Any endpoint, before (or with `after_handler`, after) the handler runs.
    HTTP_500 = "http_500"  # `Fault.status` picks the 5xx; 502/503/504 get an HTML proxy page
    MALFORMED_JSON = "malformed_json"  # HTTP 200, application/json, truncated body
    WRONG_CONTENT_TYPE = "wrong_content_type"  # HTTP 200 text/html maintenance page
    DELAY = "delay"  # sleep `Fault.seconds` (wall clock), then answer normally
    RATE_LIMIT = "rate_limit"  # code 429
    TOKEN_EXPIRED = "token_expired"  # the caller's token expires now, so the request gets 1001
    # Endpoints that name a session (run_sse, upload, state, render submit, claim).
    SESSION_GONE = "session_gone"  # the session is deleted, so the request gets 1002 / 404
    # /run_sse only.
    INSUFFICIENT_CREDITS = "insufficient_credits"  # code 2001 before the stream starts
    SSE_CREDITS_ERROR = "sse_credits_error"  # `data: {"error":..., "errorCode":"2001"}` mid-turn
    SSE_ERROR = "sse_error"  # `data: {"error": Fault.message}` after the first output, then close
    SSE_DROP_BEFORE_TEXT = "sse_drop_before_text"  # abrupt close before any event; turn goes on
    SSE_DROP_AFTER_TEXT = "sse_drop_after_text"  # abrupt close after the first text; turn goes on
    SSE_HEARTBEATS_ONLY = "sse_heartbeats_only"  # only heartbeats for `Fault.seconds`, then the turn
    # Render submit: decides the fate of the job it creates.
    RENDER_FAIL = "render_fail"  # the job ends `failed` with an `error`
    RENDER_STUCK = "render_stuck"  # the job stays `processing` forever


REQUEST_LEVEL_KINDS = frozenset(
    {
        FaultKind.HTTP_500,
        FaultKind.MALFORMED_JSON,
        FaultKind.WRONG_CONTENT_TYPE,
        FaultKind.DELAY,
        FaultKind.RATE_LIMIT,
        FaultKind.TOKEN_EXPIRED,
    }
)

TURN_KINDS = frozenset(
    {
        FaultKind.INSUFFICIENT_CREDITS,
        FaultKind.SSE_CREDITS_ERROR,
        FaultKind.SSE_ERROR,
        FaultKind.SSE_DROP_BEFORE_TEXT,
        FaultKind.SSE_DROP_AFTER_TEXT,
        FaultKind.SSE_HEARTBEATS_ONLY,
    }
)


@dataclass(slots=True)
class Fault:
    """One scripted failure.

    `endpoint=None` matches every endpoint where the kind applies; `session_id` narrows a
    session-scoped kind to one session; `times=None` never runs out.
    """

    kind: FaultKind
    endpoint: Endpoint | None = None
    times: int | None = 1
    status: int = 500
    seconds: float = 0.0
    message: str = "internal error: model backend unavailable"
    session_id: str | None = None
    # HTTP_500 only: run the handler (its side effects happen) and replace its answer.
    after_handler: bool = False


class FaultPlan:
    """The faults waiting to fire, in the order they were added."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        self._faults.append(fault)
        return fault

    def clear(self) -> None:
        self._faults.clear()

    @property
    def pending(self) -> tuple[Fault, ...]:
        return tuple(self._faults)

    def take(
        self,
        kinds: frozenset[FaultKind] | FaultKind,
        endpoint: Endpoint,
        session_id: str | None = None,
    ) -> Fault | None:
        """Fire the first matching fault, using up one of its `times`."""
        wanted = frozenset({kinds}) if isinstance(kinds, FaultKind) else kinds
        for fault in self._faults:
            if fault.kind not in wanted:
                continue
            if fault.endpoint is not None and fault.endpoint is not endpoint:
                continue
            if fault.session_id is not None and fault.session_id != session_id:
                continue
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
            return fault
        return None

    def take_all(
        self, kinds: frozenset[FaultKind], endpoint: Endpoint, session_id: str | None
    ) -> list[Fault]:
        """Fire at most one fault of each kind in `kinds`."""
        fired = (self.take(kind, endpoint, session_id) for kind in sorted(kinds))
        return [fault for fault in fired if fault is not None]
