"""Session creation, credits, state and uploads: the `code`-envelope project endpoints."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from aiohttp import web

from simulator.envelopes import Code, code_error, code_ok, read_json_object
from simulator.faults import Endpoint
from simulator.guards import backend_of, origin, require_account, require_session
from simulator.uploads import (
    FileTooLargeError,
    NoFilesError,
    StoredUpload,
    UnsupportedFileError,
    fabricate_metadata,
    import_urls,
    receive_multipart,
)


async def create_session(request: web.Request) -> web.Response:
    backend = backend_of(request)
    account = require_account(request)
    body = await read_json_object(request) if request.can_read_body else {}
    if body is None:
        return code_error(backend.config, Code.BAD_REQUEST, "body must be a JSON object")
    task_name = body.get("task_name") if isinstance(body.get("task_name"), str) else "project"
    language = body.get("language") if isinstance(body.get("language"), str) else "en"
    session = backend.sessions.create(
        account.user_id, str(task_name), str(language), skill=request.headers.get("X-Skill-Source", "")
    )
    data = {"task_id": session.task_id, "session_id": session.session_id, "user_id": account.user_id}
    if backend.config.elide_user_ids:
        del data["user_id"]
    return code_ok(data)


async def credits_balance(request: web.Request) -> web.Response:
    account = require_account(request)
    return code_ok({"available": account.available, "frozen": account.frozen, "total": account.total})


async def session_state(request: web.Request) -> web.Response:
    account = require_account(request)
    session = require_session(request, Endpoint.STATE, account, request.match_info["session_id"])
    return code_ok(session.snapshot())


async def upload(request: web.Request) -> web.Response:
    backend = backend_of(request)
    config = backend.config
    account = require_account(request)
    session = require_session(request, Endpoint.UPLOAD, account, request.match_info["session_id"])
    batch = backend.ids.hex(12)
    try:
        if request.content_type == "multipart/form-data":
            directory = backend.upload_dir(session.session_id, batch)
            await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
            try:
                stored = await receive_multipart(
                    await request.multipart(), directory, config.upload_max_bytes
                )
            except BaseException:
                await asyncio.to_thread(_remove_empty, directory)
                raise
            located = [
                (f"{origin(request)}/cdn/uploads/{batch}/{item.path.name}", item)
                for item in stored
                if item.path
            ]
            for _, item in located:
                assert item.path is not None
                backend.uploaded_files[f"{batch}/{item.path.name}"] = item.path
        elif request.content_type == "application/json":
            body = await read_json_object(request)
            if body is None:
                return code_error(config, Code.BAD_REQUEST, "body must be a JSON object")
            located = import_urls(body)
        else:
            return code_error(config, Code.BAD_REQUEST, "expected multipart/form-data or application/json")
    except UnsupportedFileError as error:
        return code_error(config, Code.UNSUPPORTED_FILE_TYPE, str(error))
    except FileTooLargeError as error:
        return code_error(config, Code.FILE_TOO_LARGE, str(error))
    except NoFilesError as error:
        return code_error(config, Code.BAD_REQUEST, str(error))
    files = [_file_entry(config.seed, url, item) for url, item in located]
    session.video_infos.extend({**entry, "source": "upload"} for entry in files)
    backend.stats.uploaded_files += len(files)
    backend.stats.uploaded_bytes += sum(item.size for _, item in located)
    return code_ok({"files": files, "session_state_applied": True})


def _file_entry(seed: int, cdn_url: str, item: StoredUpload) -> dict[str, object]:
    return {
        "filename": item.filename,
        "file_type": item.file_type,
        "cdn_url": cdn_url,
        **fabricate_metadata(seed, item.digest, item.file_type),
        "hash": item.digest,
    }


def _remove_empty(directory: Path) -> None:
    with contextlib.suppress(OSError):
        directory.rmdir()
