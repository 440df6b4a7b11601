"""CDN-like, unauthenticated file routes: render results, generated clips and uploaded files."""

from __future__ import annotations

import re

from aiohttp import web

from simulator.guards import backend_of
from simulator.media import Mp4File, build_mp4
from simulator.renders import RenderStatus

_GENERATED = re.compile(r"^[0-9a-f]{16}_(\d{2,5})x(\d{2,5})_(\d{1,7})\.mp4$")


async def stream_mp4(request: web.Request, mp4: Mp4File, filename: str) -> web.StreamResponse:
    """Send an MP4 chunk by chunk, so a padded multi-megabyte file never sits in memory."""
    response = web.StreamResponse(
        headers={"Content-Type": "video/mp4", "Content-Disposition": f'inline; filename="{filename}"'}
    )
    response.content_length = mp4.size
    await response.prepare(request)
    if request.method != "HEAD":
        for chunk in mp4.chunks():
            await response.write(chunk)
    await response.write_eof()
    return response


async def render_result(request: web.Request) -> web.StreamResponse:
    backend = backend_of(request)
    job = backend.renders.get(request.match_info["render_id"])
    if job is None or backend.renders.status(job)[0] is not RenderStatus.COMPLETED:
        raise web.HTTPNotFound(text="Not Found")
    return await stream_mp4(request, backend.renders.mp4(job), f"{job.render_id}.mp4")


async def generated_media(request: web.Request) -> web.StreamResponse:
    match = _GENERATED.match(request.match_info["name"])
    if match is None:
        raise web.HTTPNotFound(text="Not Found")
    width, height, duration_ms = (int(group) for group in match.groups())
    return await stream_mp4(request, build_mp4(width, height, duration_ms), request.match_info["name"])


async def uploaded_media(request: web.Request) -> web.FileResponse:
    key = f"{request.match_info['batch']}/{request.match_info['name']}"
    path = backend_of(request).uploaded_files.get(key)
    if path is None or not path.exists():
        raise web.HTTPNotFound(text="Not Found")
    return web.FileResponse(path)
