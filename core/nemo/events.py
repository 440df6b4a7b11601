"""Parse one ``/run_sse`` message into typed agent events.

The stream carries Google ADK ``Event`` JSON (camelCase, ``exclude_none``), NemoVideo heartbeats,
and possibly the simplified ``{"type": …}`` shape from the v4.4 API reference. Nothing here does
I/O or keeps state: :func:`parse_sse_message` turns one SSE message into zero or more events and
never raises, because a single odd line must not end a turn that may have cost the user credits.
Protocol text that cannot be understood is dropped (and logged at debug), never shown to users.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TextChunk:
    """Visible agent text.

    ``partial`` marks an ADK token-level fragment; an aggregated non-partial event with the whole
    text follows it, so partials must not simply be concatenated with the final text.
    """

    text: str
    partial: bool
    author: str | None = None


@dataclass(frozen=True, slots=True)
class ToolCall:
    """The agent asked for a tool to run (``functionCall``); never shown verbatim to users."""

    name: str
    call_id: str | None = None
    args: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ToolResult:
    """A tool finished (``functionResponse``); never shown verbatim to users."""

    name: str
    call_id: str | None = None
    response: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """A keep-alive: the agent is still working. Not progress, only liveness."""


@dataclass(frozen=True, slots=True)
class StreamError:
    """The backend reported a failure inside the stream (``error``, ``errorCode``/``errorMessage``)."""

    message: str
    code: str | None = None


AgentEvent = TextChunk | ToolCall | ToolResult | Heartbeat | StreamError

_UNKNOWN_ERROR = "unknown backend error"
# ADK 2025-06 wrote its exception line with an unescaped f-string, so a message containing quotes
# gives invalid JSON; it still starts like this and is worth salvaging.
_BROKEN_ERROR_LINE = re.compile(r'\A\s*\{\s*"error"\s*:(?P<rest>.*)\Z', re.DOTALL)


def parse_sse_message(data: str, event: str = "") -> list[AgentEvent]:
    """Turn one SSE message (its ``data`` and ``event`` fields) into agent events, in order.

    Returns ``[]`` for anything that carries nothing for the user (unknown shapes, non-JSON lines,
    ``{"type": "done"}``). Never raises: every lookup below checks types instead of trusting them.
    """
    if event.strip().lower() == "heartbeat":
        return [Heartbeat()]
    stripped = data.strip()
    if not stripped or stripped.lower() == "heartbeat":
        return [Heartbeat()]
    try:
        obj: object = json.loads(stripped)
    except (ValueError, RecursionError):
        broken = _BROKEN_ERROR_LINE.match(stripped)
        if broken:
            message = broken.group("rest").strip().strip('{}"').strip()
            return [StreamError(message or _UNKNOWN_ERROR)]
        log.debug("non-JSON SSE data dropped: %.200r", stripped)
        return []
    if isinstance(obj, str) and obj.strip().lower() == "heartbeat":
        return [Heartbeat()]
    if not isinstance(obj, Mapping):
        log.debug("SSE JSON that is not an object dropped: %.200r", stripped)
        return []
    kind = obj.get("type")
    # ADK events carry a `content` object; the simplified shape carries strings, so a `type` key
    # next to a content object does not make an ADK event "simplified".
    if isinstance(kind, str) and not isinstance(obj.get("content"), Mapping):
        typed = _parse_typed(kind.strip().lower(), obj)
        if typed is not None:
            return typed
    return _parse_adk(obj)


def _parse_typed(kind: str, obj: Mapping[str, object]) -> list[AgentEvent] | None:
    """The simplified ``{"type": …}`` shape; ``None`` when ``kind`` is not one of its types."""
    if kind == "heartbeat":
        return [Heartbeat()]
    if kind == "done":
        return []
    if kind == "text":
        text = _first_str(obj, "content", "text")
        partial = obj.get("partial") is True
        return [TextChunk(text, partial, _str_or_none(obj.get("author")))] if text else []
    if kind == "tool_call":
        return [ToolCall(_name(obj), _id(obj), _mapping(_first(obj, "args", "arguments")))]
    if kind == "tool_result":
        result = _first(obj, "result", "response")
        response = _mapping(result) if isinstance(result, Mapping) or result is None else {"result": result}
        return [ToolResult(_name(obj), _id(obj), response)]
    if kind == "error":
        error = _first(obj, "message", "error")
        code = _code(obj.get("code"))
        if isinstance(error, Mapping):
            return [_error_from_mapping(error, code)]
        return [StreamError(_error_text(error), code)]
    return None


def _parse_adk(obj: Mapping[str, object]) -> list[AgentEvent]:
    events: list[AgentEvent] = []
    content = obj.get("content")
    if isinstance(content, Mapping):
        author = _str_or_none(obj.get("author"))
        partial = obj.get("partial") is True
        parts = content.get("parts")
        if isinstance(parts, list):
            for part in parts:
                if isinstance(part, Mapping):
                    events.extend(_parse_part(part, author, partial))
    error = obj.get("error")
    code = _first(obj, "errorCode", "error_code")
    message = _first(obj, "errorMessage", "error_message")
    # `"error": false` reads as "no error", like an absent key.
    if error is not None and error is not False:
        found = _error_from_mapping(error) if isinstance(error, Mapping) else _error_of(error)
        # `{"error": "insufficient credits", "errorCode": "2001"}` is one error carrying a code.
        if found.code is None and _present(code):
            found = StreamError(found.message, _code(code))
        events.append(found)
    elif _present(code) or _present(message):
        coded = _code(code)
        text = _error_text(message)
        events.append(StreamError(coded if text == _UNKNOWN_ERROR and coded else text, coded))
    if not events:
        log.debug("SSE event with nothing to show: keys %s", sorted(map(str, obj))[:20])
    return events


def _parse_part(part: Mapping[str, object], author: str | None, partial: bool) -> list[AgentEvent]:
    events: list[AgentEvent] = []
    text = part.get("text")
    # The user's own message is never echoed by ADK; if it ever is, it must not come back as a reply.
    if isinstance(text, str) and text and part.get("thought") is not True and author != "user":
        events.append(TextChunk(text, partial, author))
    call = _first(part, "functionCall", "function_call")
    if isinstance(call, Mapping):
        events.append(ToolCall(_name(call), _id(call), _mapping(call.get("args"))))
    response = _first(part, "functionResponse", "function_response")
    if isinstance(response, Mapping):
        events.append(ToolResult(_name(response), _id(response), _mapping(response.get("response"))))
    return events


def _present(value: object) -> bool:
    return value is not None and value is not False and value != ""


def _error_of(error: object) -> StreamError:
    return StreamError(_error_text(error))


def _error_from_mapping(error: Mapping[str, object], code: str | None = None) -> StreamError:
    message = _first(error, "message", "msg", "detail", "error")
    return StreamError(_error_text(message), _code(error.get("code")) or code)


def _error_text(value: object) -> str:
    """A human error message from a scalar; structured values are not echoed as raw JSON."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return _UNKNOWN_ERROR


def _code(value: object) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return None


def _first(obj: Mapping[str, object], *keys: str) -> object:
    """The value of the first key present with a non-null value (camelCase/snake_case tolerance)."""
    for key in keys:
        value = obj.get(key)
        if value is not None:
            return value
    return None


def _first_str(obj: Mapping[str, object], *keys: str) -> str:
    for key in keys:
        value = obj.get(key)
        if isinstance(value, str):
            return value
    return ""


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _name(obj: Mapping[str, object]) -> str:
    return _first_str(obj, "name")


def _id(obj: Mapping[str, object]) -> str | None:
    value = _first(obj, "id", "call_id", "callId")
    if isinstance(value, str):
        return value
    return _code(value)


def _mapping(value: object) -> dict[str, object]:
    if not isinstance(value, Mapping):
        return {}
    return {str(key): item for key, item in value.items()}
