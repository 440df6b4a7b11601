"""The NemoVideo API client: one object per set of credentials, over a shared httpx client."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import httpx

from core.nemo.auth import TokenSource, retry_refused
from core.nemo.envelope import unwrap
from core.nemo.errors import (
    ApiError,
    BackendUnavailable,
    DownloadRefused,
    RenderRejected,
)
from core.nemo.models import ClaimToken, Credits, RenderStatus, SessionInfo, SessionState, UploadResult
from core.nemo.multipart import MultipartBody, UploadSource
from core.nemo.parsing import (
    parse_claim_token,
    parse_credits,
    parse_render_status,
    parse_session,
    parse_state,
    parse_upload,
)
from core.nemo.transport import NemoTransport, translating_transport_errors
from core.nemo.turn import TurnStream
from core.netguard import NetGuard, UnsafeUrl, host_of

log = logging.getLogger(__name__)

T = TypeVar("T")
APP_NAME = "nemo_agent"
DEFAULT_OUTPUT: Mapping[str, str] = {"format": "mp4", "quality": "high"}
# What every published skill sends as `task_name` when it creates a session.
TASK_NAME = "project"
_ERROR_BODY_MAX = 64 * 1024
_MAX_REDIRECTS = 5
# Uploads of hundreds of MB take a while in total, so there is no overall limit; but each phase
# is bounded: a backend that stops reading the body (write) or never answers once it has it (read)
# ends the upload with an error instead of holding the chat's queue forever.
UPLOAD_TIMEOUT = httpx.Timeout(connect=30.0, write=120.0, read=600.0, pool=60.0)
_MP4_HEAD = 8


def looks_like_mp4(head: bytes) -> bool:
    """An ISO-BMFF file (MP4) starts with a box whose type, at offset 4, is ``ftyp``."""
    return len(head) >= _MP4_HEAD and head[4:8] == b"ftyp"


def render_output(resolution: str | None = None) -> dict[str, str]:
    """The render body's ``output``: mp4/high, plus ``resolution`` (e.g. ``"1080p"``) when asked for."""
    output = dict(DEFAULT_OUTPUT)
    if resolution:
        output["resolution"] = resolution
    return output


def new_render_id() -> str:
    """A fresh client-chosen render id (the backend refuses a duplicate)."""
    return f"render_{uuid.uuid4().hex}"


def poll_delays(start: float = 2.0, factor: float = 1.5, cap: float = 30.0) -> Iterator[float]:
    """Render poll cadence: fast at first (renders often take ~30 s), backing off to ``cap``."""
    delay = min(start, cap)
    while True:
        yield delay
        delay = min(delay * factor, cap)


class NemoClient:
    """Typed calls to every NemoVideo endpoint for one set of credentials.

    Every call sends ``Authorization`` and the three ``X-Skill-*`` headers. A 1001 is answered by
    renewing the token (same client id) and repeating the call once; a 429 by waiting
    ``rate_limit_wait_s`` and repeating once. Chat turns (:meth:`turn`) are never repeated once the
    backend has accepted them.
    """

    def __init__(
        self,
        transport: NemoTransport,
        tokens: TokenSource,
        *,
        web_url: str = "https://nemovideo.com",
        rate_limit_wait_s: float = 30.0,
        sse_max_s: float = 900.0,
        sse_idle_timeout_s: float = 600.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.transport = transport
        self.tokens = tokens
        self.web_url = web_url.rstrip("/")
        self._rate_limit_wait_s = rate_limit_wait_s
        self._sse_max_s = sse_max_s
        self._sse_idle_s = sse_idle_timeout_s
        self._sleep = sleep
        # The account's user id as the state endpoint reports it: later docs elide it from the
        # token and create-session answers ("get <id> from create-session or state response").
        self.state_user_id: str | None = None

    async def _with_retries(self, send: Callable[[str], Awaitable[T]]) -> T:
        return await retry_refused(
            self.tokens, send, rate_limit_wait_s=self._rate_limit_wait_s, sleep=self._sleep
        )

    async def _call(self, method: str, path: str, *, json: object = None) -> Any:
        return await self._with_retries(
            lambda token: self.transport.call(method, path, token=token, json=json)
        )

    # Sessions and chat -------------------------------------------------------------------------

    async def create_session(self, task_name: str = TASK_NAME, language: str = "en") -> SessionInfo:
        data = await self._call(
            "POST",
            f"/api/tasks/me/with-session/{APP_NAME}",
            json={"task_name": task_name, "language": language},
        )
        return parse_session(data)

    def turn(self, session_id: str, text: str) -> TurnStream:
        """A chat turn; use as ``async with client.turn(sid, text) as turn: async for ev in turn``."""
        body: dict[str, object] = {
            "app_name": APP_NAME,
            "user_id": "me",
            "session_id": session_id,
            "new_message": {"parts": [{"text": text}]},
            # ADK's RunAgentRequest field: token-level partial events, so replies stream as typed.
            "streaming": True,
        }
        return TurnStream(
            self.transport,
            self.tokens,
            body,
            max_s=self._sse_max_s,
            idle_timeout_s=self._sse_idle_s,
            rate_limit_wait_s=self._rate_limit_wait_s,
            sleep=self._sleep,
        )

    async def state(self, session_id: str) -> SessionState:
        data = await self._call("GET", f"/api/state/{APP_NAME}/me/{quote(session_id)}/latest")
        state = parse_state(data)
        if state.user_id:
            self.state_user_id = state.user_id
        return state

    async def credits(self) -> Credits:
        return parse_credits(await self._call("GET", "/api/credits/balance/simple"))

    # Uploads -----------------------------------------------------------------------------------

    async def upload_files(
        self,
        session_id: str,
        sources: Sequence[UploadSource],
        *,
        progress: Callable[[int], None] | None = None,
    ) -> UploadResult:
        """Upload one or more files in one multipart request (field ``files``), streamed."""
        path = f"/api/upload-video/{APP_NAME}/me/{quote(session_id)}"

        async def send(token: str) -> Any:
            body = MultipartBody(sources)
            return await self.transport.call(
                "POST",
                path,
                token=token,
                content=body.stream(progress),
                headers=body.headers,
                request_timeout=UPLOAD_TIMEOUT,
            )

        return parse_upload(await self._with_retries(send))

    async def upload_urls(self, session_id: str, urls: Sequence[str]) -> UploadResult:
        """Import media by URL (the backend fetches it)."""
        data = await self._call(
            "POST",
            f"/api/upload-video/{APP_NAME}/me/{quote(session_id)}",
            json={"urls": list(urls), "source_type": "url"},
        )
        return parse_upload(data)

    # Export ------------------------------------------------------------------------------------

    def public_link(self, status: RenderStatus) -> str | None:
        """A link to the finished video a user can open: the CDN ``output_url``, or None.

        The proxy download URL is never offered: it answers only with the API token.
        """
        return status.output_url

    async def render_status(self, render_id: str) -> RenderStatus:
        data = await self._call("GET", f"/api/render/proxy/lambda/{quote(render_id)}")
        return parse_render_status(data, render_id)

    async def submit_render(
        self,
        session_id: str,
        draft: object,
        *,
        render_id: str | None = None,
        output: Mapping[str, str] | None = None,
    ) -> RenderStatus:
        """Submit an export (``sessionId`` camelCase, the draft verbatim).

        With no ``render_id`` a fresh id is chosen, and a refused submission is retried once with a
        new id. A caller that stores ids first passes ``render_id`` and gets exactly one attempt.
        When the submission's fate is unknown (the connection failed after sending) the id is looked
        up instead of submitting again, so one export never becomes two.
        """
        attempts = 1 if render_id is not None else 2
        for attempt in range(attempts):
            current_id = render_id or new_render_id()
            body = {
                "id": current_id,
                "sessionId": session_id,
                "draft": draft,
                "output": dict(output or DEFAULT_OUTPUT),
            }
            try:
                data = await self._call("POST", "/api/render/proxy/lambda", json=body)
            except RenderRejected as exc:
                if attempt + 1 >= attempts:
                    raise
                log.warning("render submission refused, retrying with a new id: %s", exc.message)
                continue
            except BackendUnavailable:
                try:
                    return await self.render_status(current_id)
                except ApiError:
                    raise BackendUnavailable("the export could not be submitted") from None
            return parse_render_status(data, current_id)
        raise AssertionError("unreachable")

    async def cancel_render(self, render_id: str) -> None:
        await self._call("POST", f"/api/render/proxy/lambda/{quote(render_id)}/cancel")

    async def download_render(
        self,
        render_id: str,
        output_url: str | None,
        destination: Path,
        *,
        max_bytes: int | None = None,
        guard: NetGuard | None = None,
        total_s: float | None = None,
        on_size: Callable[[int], None] | None = None,
    ) -> int:
        """Stream a finished render to ``destination``: the CDN URL first, the proxy as fallback.

        Returns the byte count. ``max_bytes`` stops early (returns -1) when the file would be larger;
        ``on_size`` then hears the file's real size where the server announced it.
        ``guard`` checks every URL (and every redirect) before it is fetched; ``total_s`` bounds the
        whole download, so a CDN that trickles bytes cannot hold the chat's queue. A file that does
        not start like an MP4 (``ftyp`` at offset 4) raises :class:`DownloadRefused` and is deleted.
        """
        try:
            async with asyncio.timeout(total_s):
                if output_url:
                    try:
                        return await self._download(output_url, None, destination, max_bytes, guard, on_size)
                    except (BackendUnavailable, ApiError) as exc:
                        log.info("render download from the CDN failed, trying the proxy: %s", exc)
                proxy_url = self.transport.url(f"/api/render/proxy/{quote(render_id, safe='')}/download")
                # The proxy needs the token: a 1001 renews it and a 429 waits, like any other call.
                return await self._with_retries(
                    lambda token: self._download(proxy_url, token, destination, max_bytes, guard, on_size)
                )
        except TimeoutError:
            await asyncio.to_thread(destination.unlink, missing_ok=True)
            raise BackendUnavailable("the render download took too long") from None

    async def _download(
        self,
        url: str,
        token: str | None,
        destination: Path,
        max_bytes: int | None,
        guard: NetGuard | None,
        on_size: Callable[[int], None] | None = None,
    ) -> int:
        headers = self.transport.headers(token) if token is not None else {}
        first_host = host_of(url)
        for _hop in range(_MAX_REDIRECTS + 1):
            if guard is not None:
                try:
                    await guard.check(url)
                except UnsafeUrl as exc:
                    raise DownloadRefused(f"render download refused: {exc}") from None
            with translating_transport_errors("render download"):
                async with self.transport.http.stream(
                    "GET", url, headers=headers, timeout=httpx.Timeout(60.0), follow_redirects=False
                ) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = str(response.url.join(response.headers["location"]))
                        if host_of(url) != first_host:
                            headers = {}  # the token is for the backend, never for another host
                        continue
                    return await self._save_download(response, destination, max_bytes, on_size)
        raise BackendUnavailable("render download: too many redirects")

    async def _save_download(
        self,
        response: httpx.Response,
        destination: Path,
        max_bytes: int | None,
        on_size: Callable[[int], None] | None = None,
    ) -> int:
        content_type = response.headers.get("content-type", "")
        if response.status_code != 200 or "json" in content_type:
            # An error answer (possibly HTTP 200 + `code`, e.g. 1001) is never saved as the video:
            # read a bounded prefix and raise what it carries.
            body = b""
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > _ERROR_BODY_MAX:
                    break
            unwrap(response.status_code, body)
            raise BackendUnavailable(f"render download answered {content_type}, not a file")
        length = response.headers.get("content-length")
        if max_bytes is not None and length and length.isdigit() and int(length) > max_bytes:
            if on_size is not None:
                on_size(int(length))
            return -1
        written = 0
        head = b""
        try:
            # Chunks are small and land in the page cache; a thread hop per chunk would cost more.
            with destination.open("wb") as handle:
                async for chunk in response.aiter_bytes():
                    if len(head) < _MP4_HEAD:
                        head += chunk[: _MP4_HEAD - len(head)]
                        if len(head) >= _MP4_HEAD and not looks_like_mp4(head):
                            raise DownloadRefused("the render download is not an MP4")
                    written += len(chunk)
                    if max_bytes is not None and written > max_bytes:
                        break
                    handle.write(chunk)
            if written and not looks_like_mp4(head):
                raise DownloadRefused("the render download is not an MP4")
        except BaseException:
            # Never leave a truncated or refused file behind.
            await asyncio.to_thread(destination.unlink, missing_ok=True)
            raise
        if max_bytes is not None and written > max_bytes:
            await asyncio.to_thread(destination.unlink, missing_ok=True)
            return -1
        return written

    # Links -------------------------------------------------------------------------------------

    async def claim_token(self, task_id: str, session_id: str) -> ClaimToken:
        data = await self._call(
            "POST", "/api/auth/claim-token", json={"task_id": task_id, "session_id": session_id}
        )
        return parse_claim_token(data)

    async def claim_link(self, task_id: str, session_id: str) -> str:
        """The browser link to the project; carries a ``clm_`` claim token, never the API token."""
        claim = await self.claim_token(task_id, session_id)
        return f"{self.web_url}/workspace/claim?{urlencode({'ct': claim.token})}"

    def register_link(self, anon_id: str | None = None) -> str:
        """Where an anonymous user goes to register (``?bind=`` keeps their anonymous work).

        ``anon_id`` stands in when the token source has not seen the id yet (a stored one); the id
        the state endpoint reported is the last resort (token answers may elide it).
        """
        from_state = self.state_user_id if (self.state_user_id or "").startswith("anon_") else None
        anon_id = self.tokens.anonymous_user_id or anon_id or from_state
        if anon_id:
            return f"{self.web_url}/register?{urlencode({'bind': anon_id})}"
        return f"{self.web_url}/register"
