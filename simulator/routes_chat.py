"""POST /run_sse: an ADK-style request in, a `text/event-stream` of ADK events out."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from simulator.envelopes import Code, JsonObject, code_error, dumps, read_json_object
from simulator.faults import TURN_KINDS, Endpoint
from simulator.guards import backend_of, find_session, origin, require_account, skill_source
from simulator.sse_events import FrameKind
from simulator.turns import Turn

APP_NAME = "nemo_agent"
# google-genai `Part` fields (both casings): genai models forbid unknown keys, so ADK answers 422.
_PART_FIELDS = (
    "text",
    "thought",
    "thought_signature",
    "inline_data",
    "file_data",
    "function_call",
    "function_response",
    "executable_code",
    "code_execution_result",
    "video_metadata",
    "media_resolution",
    "part_metadata",
)


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(word.title() for word in rest)


PART_KEYS = frozenset(_PART_FIELDS) | {_camel(field) for field in _PART_FIELDS}
CONTENT_KEYS = frozenset({"parts", "role"})


@dataclass(frozen=True, slots=True)
class RunRequest:
    app_name: str
    user_id: str
    session_id: str
    text: str
    streaming: bool


def _field(body: JsonObject, snake: str) -> Any:
    """ADK's request model has `populate_by_name`: snake_case or camelCase both work."""
    return body.get(snake, body.get(_camel(snake)))


def _invalid(loc: str, message: str, kind: str = "missing") -> web.Response:
    detail = [{"type": kind, "loc": ["body", *loc.split(".")], "msg": message}]
    return web.json_response({"detail": detail}, status=422, dumps=dumps)


def parse_run_request(body: JsonObject | None) -> RunRequest | web.Response:
    """Validate like FastAPI + pydantic would, answering 422 with a `detail` list."""
    if body is None:
        return _invalid("body", "Input should be a valid JSON object", "model_attributes_type")
    values = {}
    for name in ("app_name", "user_id", "session_id"):
        value = _field(body, name)
        if not isinstance(value, str):
            return _invalid(name, "Field required")
        values[name] = value
    message = _field(body, "new_message")
    if not isinstance(message, dict) or not isinstance(message.get("parts"), list):
        return _invalid("new_message.parts", "Field required")
    if extra := set(message) - CONTENT_KEYS:
        return _invalid(
            f"new_message.{sorted(extra)[0]}", "Extra inputs are not permitted", "extra_forbidden"
        )
    texts = []
    for part in message["parts"]:
        if not isinstance(part, dict):
            return _invalid("new_message.parts", "Input should be a valid dictionary", "model_type")
        if extra := set(part) - PART_KEYS:
            return _invalid(
                f"new_message.parts.{sorted(extra)[0]}", "Extra inputs are not permitted", "extra_forbidden"
            )
        if isinstance(part.get("text"), str) and not part.get("thought"):
            texts.append(part["text"])
    return RunRequest(
        values["app_name"],
        values["user_id"],
        values["session_id"],
        "\n".join(texts),
        bool(body.get("streaming")),
    )


async def run_sse(request: web.Request) -> web.StreamResponse:
    backend = backend_of(request)
    account = require_account(request)
    parsed = parse_run_request(await read_json_object(request))
    if isinstance(parsed, web.Response):
        return parsed
    session = find_session(backend, Endpoint.RUN_SSE, account, parsed.session_id)
    if session is None or parsed.app_name != APP_NAME or parsed.user_id not in ("me", account.user_id):
        if backend.config.missing_session_reply == "code_1002":
            return code_error(
                backend.config, Code.SESSION_NOT_FOUND, f"session not found: {parsed.session_id}"
            )
        return web.json_response({"detail": f"Session not found: {parsed.session_id}"}, status=404)
    faults = backend.faults.take_all(TURN_KINDS, Endpoint.RUN_SSE, session.session_id)
    for fault in faults:
        backend.stats.faults_fired[fault.kind] += 1
    plan, rng = backend.plan(session, parsed.text, faults, skill_source(request))
    turn = backend.start_turn(
        session=session,
        account=account,
        text=parsed.text,
        plan=plan,
        rng=rng,
        base_url=origin(request),
        streaming_requested=parsed.streaming,
    )
    if turn is None:
        return code_error(backend.config, Code.INSUFFICIENT_CREDITS, "insufficient credits")
    return await _stream(request, turn)


async def _stream(request: web.Request, turn: Turn) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )
    await response.prepare(request)
    drop = turn.plan.drop
    # A silent turn has no text to wait for; its first tool call is the "first output" instead.
    silent = turn.plan.silent
    try:
        while (frame := await turn.queue.get()) is not None:
            if drop == "before_text" and frame.kind is not FrameKind.HEARTBEAT:
                return _drop(request, response, turn)
            await response.write(frame.data)
            if drop == "after_text" and (frame.has_final_text or (silent and frame.has_tool_call)):
                return _drop(request, response, turn)
    except (ConnectionResetError, asyncio.CancelledError):
        turn.detach()  # the client left; the turn goes on server-side
        raise
    await response.write_eof()
    return response


def _drop(request: web.Request, response: web.StreamResponse, turn: Turn) -> web.StreamResponse:
    """Cut the connection without ending the chunked body, as a proxy timeout would."""
    turn.detach()
    backend_of(request).stats.sse_drops += 1
    if request.transport is not None:
        with contextlib.suppress(OSError):
            request.transport.close()  # close() flushes what was written; abort() would not
    return response
