"""The aiohttp application: route table plus one middleware that counts requests and injects faults."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

from aiohttp import web

from simulator import routes_auth, routes_cdn, routes_chat, routes_project, routes_render
from simulator.backend import BACKEND, Backend
from simulator.envelopes import Code, EnvelopeError, code_error, dumps
from simulator.faults import REQUEST_LEVEL_KINDS, Endpoint, Fault, FaultKind
from simulator.guards import bearer_token, has_skill_headers

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_UNATTRIBUTED = frozenset({Endpoint.RENDER_RESULT, Endpoint.CDN})  # plain CDN links, no headers expected
_GATEWAY_PAGE = (
    "<html><head><title>{0}</title></head><body><center><h1>{0}</h1></center>"
    "<hr><center>nginx</center></body></html>"
)
ENDPOINTS = web.AppKey("endpoints", dict[str, Endpoint])  # route pattern -> endpoint
_REASONS = {502: "502 Bad Gateway", 503: "503 Service Temporarily Unavailable", 504: "504 Gateway Time-out"}


def _endpoint(request: web.Request) -> Endpoint | None:
    resource = request.match_info.route.resource
    return request.app[ENDPOINTS].get(resource.canonical) if resource is not None else None


async def _count_run_sse_session(request: web.Request, backend: Backend) -> None:
    # Count every attempt, even one that a fault or validation rejects: "no re-send" tests need it.
    try:
        body = json.loads(await request.read() or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError):
        return
    if isinstance(body, dict):
        session_id = body.get("session_id", body.get("sessionId"))
        if isinstance(session_id, str):
            backend.stats.run_sse_by_session[session_id] += 1


def _fault_response(backend: Backend, fault: Fault) -> web.Response:
    match fault.kind:
        case FaultKind.MALFORMED_JSON:
            return web.Response(status=200, text='{"code":0,"data":{"tok', content_type="application/json")
        case FaultKind.WRONG_CONTENT_TYPE:
            page = "<!doctype html><html><body><h1>NemoVideo is under maintenance</h1></body></html>"
            return web.Response(status=200, text=page, content_type="text/html")
        case FaultKind.RATE_LIMIT:
            return code_error(backend.config, Code.RATE_LIMITED, "rate limited, retry later")
        case _ if fault.status in _REASONS:
            return web.Response(
                status=fault.status,
                text=_GATEWAY_PAGE.format(_REASONS[fault.status]),
                content_type="text/html",
            )
        case _:
            body = dumps({"code": fault.status, "message": fault.message, "data": None})
            return web.Response(status=fault.status, text=body, content_type="application/json")


@web.middleware
async def simulate(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count the request, fire request-level faults, and turn EnvelopeErrors into answers."""
    backend = request.app[BACKEND]
    endpoint = _endpoint(request)
    if endpoint is None:
        return await handler(request)
    backend.stats.requests[endpoint] += 1
    if endpoint not in _UNATTRIBUTED and not has_skill_headers(request):
        backend.stats.missing_skill_headers[endpoint] += 1
    elif endpoint not in _UNATTRIBUTED:
        source = request.headers["X-Skill-Source"].strip()
        backend.stats.skill_sources[source] += 1
        known = backend.config.known_skills
        if known is not None and source not in known:
            backend.stats.unknown_skill_sources[source] += 1
    if endpoint is Endpoint.RUN_SSE:
        await _count_run_sse_session(request, backend)

    delay = backend.faults.take(FaultKind.DELAY, endpoint)
    if delay is not None:
        backend.stats.faults_fired[delay.kind] += 1
        await asyncio.sleep(delay.seconds)
    token = bearer_token(request)
    # An expiry fault waits for a request that carries a token to expire.
    kinds = REQUEST_LEVEL_KINDS - {FaultKind.DELAY} - (set() if token else {FaultKind.TOKEN_EXPIRED})
    fault = backend.faults.take(frozenset(kinds), endpoint)
    if fault is not None:
        backend.stats.faults_fired[fault.kind] += 1
        if fault.kind is FaultKind.TOKEN_EXPIRED and token is not None:
            backend.accounts.expire_token(token)
        elif not fault.after_handler:
            return _fault_response(backend, fault)

    try:
        response = await handler(request)
    except EnvelopeError as error:
        response = error.response
    # A stream already on the wire cannot be swapped for an error.
    swap = fault is not None and fault.after_handler and fault.kind is not FaultKind.TOKEN_EXPIRED
    if fault is not None and swap and not response.prepared:
        return _fault_response(backend, fault)
    return response


async def _index(request: web.Request) -> web.Response:
    return web.json_response({"service": "nemovideo-simulator", "api_base": str(request.url.origin())})


def build_app(backend: Backend) -> web.Application:
    """The simulator's aiohttp app; uploads are streamed, so the body cap only bounds JSON bodies."""
    app = web.Application(middlewares=[simulate], client_max_size=backend.config.json_body_max_bytes)
    app[BACKEND] = backend
    routes: list[tuple[str, str, Handler, Endpoint]] = [
        ("POST", "/api/auth/anonymous-token", routes_auth.anonymous_token, Endpoint.ANONYMOUS_TOKEN),
        ("POST", "/api/auth/claim-token", routes_auth.claim_token, Endpoint.CLAIM_TOKEN),
        (
            "POST",
            "/api/tasks/me/with-session/nemo_agent",
            routes_project.create_session,
            Endpoint.CREATE_SESSION,
        ),
        ("POST", "/run_sse", routes_chat.run_sse, Endpoint.RUN_SSE),
        ("POST", "/api/upload-video/nemo_agent/{user}/{session_id}", routes_project.upload, Endpoint.UPLOAD),
        ("GET", "/api/credits/balance/simple", routes_project.credits_balance, Endpoint.CREDITS),
        (
            "GET",
            "/api/state/nemo_agent/{user}/{session_id}/latest",
            routes_project.session_state,
            Endpoint.STATE,
        ),
        ("POST", "/api/render/proxy/lambda", routes_render.submit, Endpoint.RENDER_SUBMIT),
        ("GET", "/api/render/proxy/lambda/{render_id}", routes_render.status, Endpoint.RENDER_STATUS),
        ("POST", "/api/render/proxy/lambda/{render_id}/cancel", routes_render.cancel, Endpoint.RENDER_CANCEL),
        ("GET", "/api/render/proxy/{render_id}/download", routes_render.download, Endpoint.RENDER_DOWNLOAD),
        ("GET", "/render-result/{render_id}.mp4", routes_cdn.render_result, Endpoint.RENDER_RESULT),
        ("GET", "/cdn/generated/{name}", routes_cdn.generated_media, Endpoint.CDN),
        ("GET", "/cdn/uploads/{batch}/{name}", routes_cdn.uploaded_media, Endpoint.CDN),
    ]
    endpoints: dict[str, Endpoint] = {}
    for method, path, handler, endpoint in routes:
        route = (
            app.router.add_get(path, handler)
            if method == "GET"
            else app.router.add_route(method, path, handler)
        )
        endpoints[route.resource.canonical if route.resource else path] = endpoint
    app[ENDPOINTS] = endpoints
    app.router.add_get("/", _index)
    return app
