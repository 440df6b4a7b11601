"""Render downloads as a trust boundary: no private addresses (before and after redirects) except
trusted hosts, only MP4s kept, the whole download bounded in time, the token kept to the backend."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from core.nemo.errors import BackendUnavailable, DownloadRefused
from core.netguard import NetGuard, UnsafeUrl, is_public
from tests.nemo.helpers import MOCK_BASE, STATIC_TOKEN, mock_client

MP4 = b"\x00\x00\x00\x18ftypisom" + b"\x00" * 1000
ADDRESSES = {
    "cdn.public": ["93.184.216.34"],
    "cdn.private": ["10.1.2.3"],
    "cdn.mixed": ["93.184.216.34", "127.0.0.1"],
    "localhost": ["127.0.0.1", "::1"],
}


async def fake_resolve(host: str, port: int) -> list[str]:
    if host not in ADDRESSES:
        raise OSError("name not known")
    return ADDRESSES[host]


def guard(*trusted: str) -> NetGuard:
    return NetGuard(["nemo.mock", *trusted], resolver=fake_resolve)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:6379/",
        "http://localhost/x.mp4",
        "http://10.0.0.8/x.mp4",
        "http://192.168.1.1/x.mp4",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/x.mp4",
        "http://[fe80::1]/x.mp4",
        "http://[::ffff:127.0.0.1]/x.mp4",
        "http://0.0.0.0/x.mp4",
        "http://cdn.private/x.mp4",
        "http://cdn.mixed/x.mp4",
        "http://unknown.invalid/x.mp4",
        "file:///etc/passwd",
        "ftp://cdn.public/x.mp4",
        "http:///no-host",
    ],
)
async def test_the_guard_refuses_local_private_and_odd_urls(url: str) -> None:
    """Loopback, private, link-local, unspecified, mapped and unresolvable hosts, non-http schemes."""
    with pytest.raises(UnsafeUrl):
        await guard().check(url)


async def test_the_guard_lets_public_and_trusted_hosts_through() -> None:
    """A public address passes; the backend's own host and configured hosts pass whatever they resolve to."""
    await guard().check("https://cdn.public/x.mp4")
    await guard().check(f"{MOCK_BASE}/api/render/proxy/r/download")
    await guard("cdn.private").check("http://CDN.private/x.mp4")
    # A URL import is fetched by the backend: a name this machine cannot resolve is its business.
    await guard().check("https://unknown.invalid/x.mp4", unresolvable_ok=True)
    with pytest.raises(UnsafeUrl):
        await guard().check("http://cdn.private/x.mp4", unresolvable_ok=True)


def test_for_backend_trusts_the_api_host_and_the_listed_hosts() -> None:
    """NEMO_API_URL's host and NEMOBOT_TRUSTED_HOSTS (comma-separated) are trusted."""
    trusted = NetGuard.for_backend("http://127.0.0.1:8765", " cdn.lan ; media.lan,")
    assert trusted.trusts("http://127.0.0.1:9999/x")
    assert trusted.trusts("https://CDN.LAN/x")
    assert trusted.trusts("https://media.lan/x")
    assert not trusted.trusts("http://127.0.0.2/x")
    assert not is_public("100.64.0.1")  # carrier-grade NAT is not the internet either


async def test_a_cdn_url_on_a_private_network_is_never_fetched_and_the_proxy_serves(tmp_path: Path) -> None:
    """output_url → 10.x: no request goes there; the trusted proxy delivers the file."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, content=MP4, headers={"content-type": "video/mp4"})

    client, http = mock_client(handler)
    target = tmp_path / "out.mp4"
    async with http:
        size = await client.download_render("r1", "http://cdn.private/r1.mp4", target, guard=guard())
    assert size == len(MP4)
    assert seen == [f"{MOCK_BASE}/api/render/proxy/r1/download"]


async def test_a_redirect_to_a_metadata_address_is_not_followed(tmp_path: Path) -> None:
    """A public CDN answering 302 → 169.254.169.254: the hop is checked and refused before any request."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.host == "cdn.public":
            return httpx.Response(302, headers={"location": "http://169.254.169.254/latest/meta-data/"})
        if request.url.host == "nemo.mock":
            return httpx.Response(302, headers={"location": "http://localhost:6379/"})
        return httpx.Response(200, content=MP4, headers={"content-type": "video/mp4"})

    client, http = mock_client(handler)
    target = tmp_path / "out.mp4"
    async with http:
        with pytest.raises(DownloadRefused):
            await client.download_render("r1", "https://cdn.public/r1.mp4", target, guard=guard())
    assert all("169.254" not in url and "localhost" not in url for url in seen)
    assert not target.exists()


async def test_the_token_is_not_sent_to_another_host_after_a_redirect(tmp_path: Path) -> None:
    """The proxy redirecting to a public CDN: the CDN request carries no Authorization header."""
    auth: dict[str, str | None] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        auth[request.url.host] = request.headers.get("authorization")
        if request.url.host == "nemo.mock":
            return httpx.Response(307, headers={"location": "https://cdn.public/signed/r1.mp4"})
        return httpx.Response(200, content=MP4, headers={"content-type": "video/mp4"})

    client, http = mock_client(handler)
    async with http:
        assert await client.download_render("r1", None, tmp_path / "out.mp4", guard=guard()) == len(MP4)
    assert auth == {"nemo.mock": f"Bearer {STATIC_TOKEN}", "cdn.public": None}


@pytest.mark.parametrize("body", [b"<html><body>Access denied</body></html>", b"\x00" * 4096, b"ftyp"])
async def test_a_download_that_is_not_an_mp4_is_refused_and_deleted(tmp_path: Path, body: bytes) -> None:
    """No ``ftyp`` at offset 4 (an HTML error page served as video/mp4, zeros, a short body): refused."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"content-type": "video/mp4"})

    client, http = mock_client(handler)
    target = tmp_path / "out.mp4"
    async with http:
        with pytest.raises(DownloadRefused):
            await client.download_render("r1", "https://cdn.public/r1.mp4", target, guard=guard())
    assert not target.exists()


async def test_a_trickling_download_is_bounded_in_total(tmp_path: Path) -> None:
    """A CDN sending a byte at a time forever: ``total_s`` ends it, the partial file is removed."""

    class Trickle(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield MP4
            while True:
                await asyncio.sleep(0.01)
                yield b"\x00"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Trickle(), headers={"content-type": "video/mp4"})

    client, http = mock_client(handler)
    target = tmp_path / "out.mp4"
    async with http:
        with pytest.raises(BackendUnavailable, match="too long"):
            await client.download_render("r1", "https://cdn.public/r1.mp4", target, total_s=0.2)
    assert not target.exists()


async def test_a_render_id_with_path_characters_stays_one_url_segment(tmp_path: Path) -> None:
    """A hostile render id cannot walk the proxy URL (``/`` is escaped)."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path.decode())
        return httpx.Response(200, content=MP4, headers={"content-type": "video/mp4"})

    client, http = mock_client(handler)
    async with http:
        await client.download_render("../../etc/passwd", None, tmp_path / "out.mp4")
    assert seen == ["/api/render/proxy/..%2F..%2Fetc%2Fpasswd/download"]
