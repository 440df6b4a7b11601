"""The two response envelopes of the NemoVideo API, and its error codes.

`code` envelope (auth, tasks, upload, credits, state): `{"code":0,"data":{...}}`, errors
`{"code":N,"message":"...","data":null}`. `success` envelope (render proxy):
`{"success":true,"data":{...}}`, errors `{"success":false,"error":"..."}`.
"""

from __future__ import annotations

import json
from enum import IntEnum
from typing import Any

from aiohttp import web

from simulator.config import SimulatorConfig

JsonObject = dict[str, Any]


class Code(IntEnum):
    """Error codes of the `code` envelope (docs §3)."""

    OK = 0
    BAD_REQUEST = 400
    EXPORT_BLOCKED = 402
    RATE_LIMITED = 429
    INTERNAL = 500
    TOKEN_INVALID = 1001
    SESSION_NOT_FOUND = 1002
    INSUFFICIENT_CREDITS = 2001
    UNSUPPORTED_FILE_TYPE = 4001
    FILE_TOO_LARGE = 4002


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def code_ok(data: JsonObject) -> web.Response:
    return web.json_response({"code": 0, "data": data}, dumps=dumps)


def code_error(config: SimulatorConfig, code: Code, message: str) -> web.Response:
    body = {"code": int(code), "message": message, "data": None}
    return web.json_response(body, status=config.http_status_for(code), dumps=dumps)


def success_ok(data: JsonObject) -> web.Response:
    return web.json_response({"success": True, "data": data}, dumps=dumps)


def success_error(message: str, status: int) -> web.Response:
    return web.json_response({"success": False, "error": message}, status=status, dumps=dumps)


class EnvelopeError(Exception):
    """Raised by handlers' helpers; the app turns it into the matching response."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.text)
        self.response = response


async def read_json_object(request: web.Request) -> JsonObject | None:
    """The request body as a JSON object, or None when it is missing or not an object."""
    raw = await request.read()
    try:
        value = json.loads(raw) if raw else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None
