"""Lenient readers from the backend's JSON payloads to :mod:`core.nemo.models` values.

The docs disagree on several shapes (render poll responses, elided fields); each reader accepts
every documented variant and raises :class:`BackendUnavailable` only when a required value is absent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from core.nemo.errors import BackendUnavailable
from core.nemo.models import (
    ClaimToken,
    Credits,
    RenderPhase,
    RenderStatus,
    SessionInfo,
    SessionState,
    UploadedFile,
    UploadResult,
)

_PHASES: dict[str, RenderPhase] = {
    "pending": "pending",
    "queued": "pending",
    "submitted": "pending",
    "processing": "processing",
    "rendering": "processing",
    "running": "processing",
    "in_progress": "processing",
    "completed": "completed",
    "complete": "completed",
    "succeeded": "completed",
    "success": "completed",
    "done": "completed",
    "failed": "failed",
    "error": "failed",
    "cancelled": "cancelled",
    "canceled": "cancelled",
}


def _mapping(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise BackendUnavailable(f"unexpected {what} response")
    return cast(Mapping[str, Any], value)


def _str(value: object) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return round(value)
    if isinstance(value, str):
        try:
            return round(float(value))
        except ValueError:
            return None
    return None


def _float(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    return None


def parse_session(data: object) -> SessionInfo:
    payload = _mapping(data, "create-session")
    session_id = _str(payload.get("session_id"))
    if session_id is None:
        raise BackendUnavailable("create-session response had no session_id")
    return SessionInfo(
        task_id=_str(payload.get("task_id")) or "",
        session_id=session_id,
        user_id=_str(payload.get("user_id")),
    )


def parse_credits(data: object) -> Credits:
    payload = _mapping(data, "credits")
    available = _int(payload.get("available")) or 0
    frozen = _int(payload.get("frozen")) or 0
    total = _int(payload.get("total"))
    return Credits(
        available=available, frozen=frozen, total=total if total is not None else available + frozen
    )


def parse_upload(data: object) -> UploadResult:
    payload = _mapping(data, "upload")
    files: list[UploadedFile] = []
    raw_files = payload.get("files")
    for item in raw_files if isinstance(raw_files, list) else []:
        if not isinstance(item, Mapping):
            continue
        files.append(
            UploadedFile(
                filename=_str(item.get("filename")) or _str(item.get("name")) or "file",
                file_type=_str(item.get("file_type")) or _str(item.get("type")) or "file",
                cdn_url=_str(item.get("cdn_url")) or _str(item.get("url")),
                duration=_float(item.get("duration")),
                width=_int(item.get("width")),
                height=_int(item.get("height")),
                fps=_float(item.get("fps")),
            )
        )
    return UploadResult(files=tuple(files))


def parse_state(data: object) -> SessionState:
    payload = _mapping(data, "state")
    state = payload.get("state")
    state_map: Mapping[str, Any] = state if isinstance(state, Mapping) else payload
    infos = state_map.get("video_infos")
    video_infos = tuple(i for i in infos if isinstance(i, Mapping)) if isinstance(infos, list) else ()
    return SessionState(
        video_infos=video_infos,
        draft=state_map.get("draft"),
        user_id=_str(payload.get("user_id")) or _str(state_map.get("user_id")),
        raw=payload,
    )


def parse_render_status(data: object, render_id: str) -> RenderStatus:
    """Read any of the three documented poll shapes (``data.*``, top level, ``output.url``)."""
    payload = _mapping(data, "render")
    inner = payload.get("data")
    body: Mapping[str, Any] = inner if isinstance(inner, Mapping) else payload
    raw_status = _str(body.get("status")) or _str(payload.get("status")) or ""
    phase = _PHASES.get(raw_status.lower(), "unknown")
    output = body.get("output") if isinstance(body.get("output"), Mapping) else payload.get("output")
    output_url = (
        _str(body.get("outputUrl"))
        or _str(payload.get("outputUrl"))
        or _str(body.get("output_url"))
        or (_str(output.get("url")) if isinstance(output, Mapping) else None)
    )
    progress = _int(body.get("progress"))
    if progress is None:
        progress = _int(payload.get("progress"))
    if phase == "completed":
        progress = 100
    error = body.get("error") or payload.get("error")
    return RenderStatus(
        render_id=_str(body.get("id"))
        or _str(body.get("taskId"))
        or _str(payload.get("taskId"))
        or render_id,
        phase=phase,
        progress=None if progress is None else max(0, min(100, progress)),
        output_url=output_url,
        error=error if isinstance(error, str) else None,
    )


def parse_claim_token(data: object) -> ClaimToken:
    payload = _mapping(data, "claim-token")
    token = _str(payload.get("claim_token"))
    if token is None:
        raise BackendUnavailable("claim-token response had no claim_token")
    return ClaimToken(token=token, expires_in=_int(payload.get("expires_in")))
