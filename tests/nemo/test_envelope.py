"""``core.nemo.envelope.unwrap``: both envelopes, every error code, and bodies that are not JSON."""

from __future__ import annotations

import json

import pytest

from core.nemo.envelope import unwrap
from core.nemo.errors import (
    ApiError,
    AuthError,
    BackendUnavailable,
    ClientIdMissing,
    ExportNotAllowed,
    FileTooLarge,
    InsufficientCredits,
    RateLimited,
    RenderRejected,
    SessionNotFound,
    UnsupportedFileType,
)

CODES: list[tuple[int, type[ApiError]]] = [
    (1001, AuthError),
    (1002, SessionNotFound),
    (2001, InsufficientCredits),
    (4001, UnsupportedFileType),
    (4002, FileTooLarge),
    (400, ClientIdMissing),
    (402, ExportNotAllowed),
    (429, RateLimited),
]


def body(value: object) -> bytes:
    return json.dumps(value).encode()


def test_the_code_envelope_yields_its_data() -> None:
    """``{"code": 0, "data": …}`` unwraps to the data."""
    assert unwrap(200, body({"code": 0, "data": {"available": 5}})) == {"available": 5}


def test_a_string_zero_code_is_success_too() -> None:
    """A code sent as the string ``"0"`` still means success."""
    assert unwrap(200, body({"code": "0", "message": "ok", "data": [1]})) == [1]


def test_the_success_envelope_yields_its_data() -> None:
    """``{"success": true, "data": …}`` unwraps to the data."""
    assert unwrap(200, body({"success": True, "data": {"id": "r1"}})) == {"id": "r1"}


def test_a_success_envelope_without_data_yields_the_rest_of_the_body() -> None:
    """A top-level render poll body (``success`` plus fields) keeps its fields."""
    assert unwrap(200, body({"success": True, "status": "completed"})) == {"status": "completed"}


def test_a_bare_json_body_is_the_payload() -> None:
    """A body with neither envelope is taken as the payload itself."""
    assert unwrap(200, body({"taskId": "r1", "status": "pending"})) == {"taskId": "r1", "status": "pending"}


@pytest.mark.parametrize(("code", "error"), CODES)
def test_http_200_with_a_non_zero_code_raises_the_typed_error(code: int, error: type[ApiError]) -> None:
    """HTTP 200 carrying a non-zero ``code`` is an error of that code's class."""
    with pytest.raises(error) as raised:
        unwrap(200, body({"code": code, "message": "nope", "data": None}))
    assert raised.value.code == code
    assert raised.value.message == "nope"
    assert raised.value.http_status == 200


@pytest.mark.parametrize(("code", "error"), CODES)
def test_the_same_code_as_an_http_status_raises_the_same_error(code: int, error: type[ApiError]) -> None:
    """A code that also rides on the HTTP status (400/402/429 or otherwise) maps identically."""
    status = code if code < 600 else 400
    with pytest.raises(error):
        unwrap(status, body({"code": code, "message": "nope", "data": None}))


@pytest.mark.parametrize(
    ("status", "error"), [(400, ClientIdMissing), (402, ExportNotAllowed), (429, RateLimited)]
)
def test_a_bare_http_status_without_a_body_maps_to_its_error(status: int, error: type[ApiError]) -> None:
    """400, 402 and 429 as HTTP statuses mean the same as the codes, even with an empty or HTML body."""
    with pytest.raises(error):
        unwrap(status, b"")
    with pytest.raises(error):
        unwrap(status, b"<html>Too Many Requests</html>")


def test_an_unknown_code_raises_a_plain_api_error() -> None:
    """A code nobody documented is still an error, of the base class."""
    with pytest.raises(ApiError) as raised:
        unwrap(200, body({"code": 3005, "msg": "quota"}))
    assert type(raised.value) is ApiError
    assert raised.value.code == 3005
    assert raised.value.message == "quota"


def test_a_failed_success_envelope_is_a_rejection() -> None:
    """``{"success": false, "error": …}`` (e.g. a duplicate render id) raises RenderRejected."""
    with pytest.raises(RenderRejected) as raised:
        unwrap(409, body({"success": False, "error": "duplicate render id"}))
    assert raised.value.message == "duplicate render id"


def test_a_failed_success_envelope_with_402_is_an_export_block() -> None:
    """The render proxy's 402 is the plan/attribution block, not a generic rejection."""
    with pytest.raises(ExportNotAllowed):
        unwrap(402, body({"success": False, "error": "free plan"}))


def test_adk_session_not_found_404_maps_to_session_not_found() -> None:
    """ADK's ``404 {"detail": "Session not found: …"}`` is the same as code 1002."""
    with pytest.raises(SessionNotFound):
        unwrap(404, body({"detail": "Session not found: 123"}))


@pytest.mark.parametrize(
    "raw",
    [
        b"<!doctype html><html><body>maintenance</body></html>",
        b'{"code":0,"data":{"tok',
        b"",
    ],
    ids=["html", "truncated-json", "empty"],
)
def test_an_unreadable_success_body_means_the_backend_is_unavailable(raw: bytes) -> None:
    """HTTP 200 with HTML, truncated JSON or nothing at all is BackendUnavailable, not a crash."""
    with pytest.raises(BackendUnavailable):
        unwrap(200, raw)


@pytest.mark.parametrize(
    "raw",
    [
        b"<html><head><title>502 Bad Gateway</title></head></html>",
        b'{"code":500,"message":"internal error","data":null}',
        b'{"detail":"upstream failed"}',
        b"",
    ],
    ids=["html", "code-envelope", "detail", "empty"],
)
def test_any_5xx_means_the_backend_is_unavailable(raw: bytes) -> None:
    """A 5xx is BackendUnavailable whatever its body says."""
    for status in (500, 502, 503, 504):
        with pytest.raises(BackendUnavailable):
            unwrap(status, raw)


def test_an_error_status_with_a_zero_code_is_still_an_error() -> None:
    """A 4xx that claims ``code: 0`` does not pass as success."""
    with pytest.raises(ApiError) as raised:
        unwrap(403, body({"code": 0, "message": "forbidden"}))
    assert raised.value.http_status == 403


@pytest.mark.parametrize("key", ["message", "msg", "error", "errorMessage", "detail"])
def test_the_error_message_is_read_from_any_usual_key(key: str) -> None:
    """The human message comes from message, msg, error, errorMessage or detail."""
    with pytest.raises(ApiError) as raised:
        unwrap(200, body({"code": 2001, key: "not enough credits"}))
    assert raised.value.message == "not enough credits"
