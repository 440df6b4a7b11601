"""Unwrapping NemoVideo's two response envelopes into data or one typed error.

The backend answers with ``{"code": 0, "data": …}`` on most endpoints and ``{"success": true,
"data": …}`` on the render proxy; HTTP 200 with a non-zero code is an error, error bodies may not be
JSON at all, and whether 400/402/429 arrive as the HTTP status, as ``code`` or both is undocumented,
so both are honoured.
"""

from __future__ import annotations

import json
from typing import Any

from core.nemo.errors import (
    ApiError,
    BackendUnavailable,
    RenderRejected,
    SessionNotFound,
    api_error,
)

# HTTP statuses that carry the same meaning as the backend code of that number.
_STATUS_CODES = frozenset({400, 402, 429})


def _message_of(payload: dict[str, Any]) -> str:
    for key in ("message", "msg", "error", "errorMessage", "detail"):
        value = payload.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, dict) and isinstance(value.get("message"), str):
            return str(value["message"])
    return ""


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _status_error(status: int, message: str) -> Exception:
    if status >= 500:
        return BackendUnavailable(f"backend error HTTP {status}")
    if status in _STATUS_CODES:
        return api_error(status, message, http_status=status)
    if status == 404 and "session not found" in message.lower():
        return SessionNotFound(1002, message, http_status=status)
    return ApiError(status, message or f"HTTP {status}", http_status=status)


def unwrap(status: int, body: bytes) -> Any:
    """Return the payload of a response, or raise the error it carries."""
    try:
        payload: Any = json.loads(body) if body.strip() else None
    except ValueError:
        if 200 <= status < 300:
            raise BackendUnavailable("backend sent an unreadable response") from None
        raise _status_error(status, "") from None

    if isinstance(payload, dict):
        code = _as_int(payload.get("code"))
        if "code" in payload and code is not None:
            if code != 0:
                error = api_error(code, _message_of(payload), http_status=status)
                # A 5xx whose body merely echoes a generic code (`{"code": 500, …}`) is an outage,
                # not a refusal: callers must see BackendUnavailable (e.g. to look a render up).
                if status >= 500 and type(error) is ApiError:
                    raise _status_error(status, error.message)
                raise error
            if status >= 400:
                raise _status_error(status, _message_of(payload))
            return payload.get("data")
        if isinstance(payload.get("success"), bool):
            if not payload["success"]:
                message = _message_of(payload)
                # 400 here is the render proxy refusing the request (e.g. an empty draft), not the
                # anonymous-token call's missing X-Client-Id.
                if status in _STATUS_CODES - {400} or status >= 500:
                    raise _status_error(status, message)
                raise RenderRejected(status, message or "request rejected", http_status=status)
            if status >= 400:
                raise _status_error(status, _message_of(payload))
            return payload.get("data", {k: v for k, v in payload.items() if k != "success"})
        if status >= 400:
            raise _status_error(status, _message_of(payload))
        return payload

    if status >= 400:
        raise _status_error(status, "")
    if payload is None:
        raise BackendUnavailable("backend sent an empty response")
    return payload
