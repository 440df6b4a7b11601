"""The HTTP edge of the NemoVideo client: headers, one JSON call, and exception translation."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import h11
import httpcore
import httpx

from core.nemo.envelope import unwrap
from core.nemo.errors import BackendUnavailable
from core.nemo.models import SkillAttribution

JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


@contextmanager
def translating_transport_errors(what: str) -> Iterator[None]:
    """Turn httpx's transport failures into :class:`BackendUnavailable`, once, keeping the cause."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise BackendUnavailable(f"{what}: the backend timed out") from exc
    except (httpx.TransportError, httpcore.ProtocolError, h11.ProtocolError) as exc:
        # str(exc) can hold a URL; never one with a secret (tokens travel in headers only).
        # httpcore and h11 protocol errors can escape httpx's own mapping while a request body is
        # being sent (a body shorter than its Content-Length); they are failures of this call too.
        raise BackendUnavailable(f"{what}: {type(exc).__name__}") from exc


class NemoTransport:
    """Sends authenticated, attributed requests to the NemoVideo API over an injected client.

    The caller owns the :class:`httpx.AsyncClient` (its lifetime, limits and transport), as httpx-sse
    recommends; tests pass a client pointed at the simulator. ``stream_http``, when given, carries
    the long ``/run_sse`` turns on a pool of their own: each running turn holds a connection for its
    whole stream, and sharing one pool would let many turns starve the short calls (bench/RESULTS.md).
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        attribution: SkillAttribution,
        *,
        stream_http: httpx.AsyncClient | None = None,
    ) -> None:
        self.http = http
        self.stream_http = stream_http if stream_http is not None else http
        self.base_url = base_url.rstrip("/")
        self.attribution = attribution

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def headers(self, token: str | None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        headers = self.attribution.headers()
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if extra:
            headers.update(extra)
        return headers

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None,
        json: object = None,
        content: AsyncIterator[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
        request_timeout: httpx.Timeout | None = None,
    ) -> Any:
        """One request; returns the unwrapped payload or raises a :class:`~core.nemo.errors.NemoError`."""
        request_headers = self.headers(token, JSON_HEADERS if json is not None else None)
        if headers:
            request_headers.update(headers)
        with translating_transport_errors(f"{method} {path.split('?')[0]}"):
            response = await self.http.request(
                method,
                self.url(path),
                json=json,
                content=content,
                headers=request_headers,
                timeout=request_timeout if request_timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
        return unwrap(response.status_code, response.content)
