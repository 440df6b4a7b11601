"""The render proxy (`success` envelope): submit, poll, cancel, download."""

from __future__ import annotations

from aiohttp import web

from simulator import draft as drafts
from simulator.backend import Backend
from simulator.envelopes import read_json_object, success_error, success_ok
from simulator.faults import Endpoint, FaultKind
from simulator.guards import (
    SKILL_HEADERS,
    backend_of,
    find_session,
    is_attributed,
    origin,
    require_account,
)
from simulator.renders import DuplicateRenderError, RenderFate, RenderJob, RenderStatus
from simulator.routes_cdn import stream_mp4

EXPORT_BLOCKED = (
    "export requires skill attribution headers ({}) naming a known skill; free-plan export is blocked"
).format(", ".join(SKILL_HEADERS))


def _export_blocked(backend: Backend) -> web.Response:
    return success_error(EXPORT_BLOCKED, backend.config.http_status_for(402))


async def submit(request: web.Request) -> web.Response:
    backend = backend_of(request)
    account = require_account(request)
    if backend.config.require_skill_headers_for_export and not is_attributed(request):
        return _export_blocked(backend)
    body = await read_json_object(request)
    if body is None:
        return success_error("body must be a JSON object", 400)
    render_id, session_id, draft = body.get("id"), body.get("sessionId"), body.get("draft")
    if not isinstance(render_id, str) or not render_id:
        return success_error("id is required", 400)
    if (
        not isinstance(session_id, str)
        or find_session(backend, Endpoint.RENDER_SUBMIT, account, session_id) is None
    ):
        return success_error(f"session not found: {session_id}", 404)
    if not isinstance(draft, dict) or not drafts.is_exportable(draft):
        return success_error("draft has no track with segments; nothing to render", 400)
    output = body.get("output")
    output = dict(output) if isinstance(output, dict) else {"format": "mp4", "quality": "high"}
    fate: RenderFate = "complete"
    fault = backend.faults.take(
        frozenset({FaultKind.RENDER_FAIL, FaultKind.RENDER_STUCK}), Endpoint.RENDER_SUBMIT
    )
    if fault is not None:
        backend.stats.faults_fired[fault.kind] += 1
        fate = "fail" if fault.kind is FaultKind.RENDER_FAIL else "stuck"
    try:
        job = backend.renders.submit(
            render_id=render_id,
            user_id=account.user_id,
            session_id=session_id,
            draft=draft,
            output=output,
            fate=fate,
        )
    except DuplicateRenderError:
        return success_error("duplicate render id", backend.config.duplicate_render_http_status)
    backend.stats.render_submissions += 1
    return success_ok({"id": job.render_id, "status": RenderStatus.PENDING.value, "progress": 5})


def _job_or_404(request: web.Request) -> RenderJob | web.Response:
    backend = backend_of(request)
    account = require_account(request)
    job = backend.renders.get(request.match_info["render_id"], account.user_id)
    return job if job is not None else success_error("render not found", 404)


async def status(request: web.Request) -> web.Response:
    job = _job_or_404(request)
    if isinstance(job, web.Response):
        return job
    return web.json_response(backend_of(request).renders.view(job, origin(request)))


async def cancel(request: web.Request) -> web.Response:
    job = _job_or_404(request)
    if isinstance(job, web.Response):
        return job
    renders = backend_of(request).renders
    if not renders.cancel(job):
        return success_error("render already finished", 409)
    state, progress, error = renders.status(job)
    return success_ok({"id": job.render_id, "status": state.value, "progress": progress, "error": error})


async def download(request: web.Request) -> web.StreamResponse:
    backend = backend_of(request)
    job = _job_or_404(request)
    if isinstance(job, web.Response):
        return job
    if backend.config.require_skill_headers_for_export and not is_attributed(request):
        return _export_blocked(backend)
    if backend.renders.status(job)[0] is not RenderStatus.COMPLETED:
        return success_error("render not completed", 409)
    return await stream_mp4(request, backend.renders.mp4(job), f"{job.render_id}.mp4")
