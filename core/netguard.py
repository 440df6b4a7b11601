"""Which URLs the bot (or the backend on its behalf) may fetch: no private, loopback or link-local
addresses, except hosts the operator trusts.

The backend and its CDN are not trusted with the local machine: a render's ``output_url`` or a URL a
user asks to import could point at ``127.0.0.1:6379``, a cloud metadata service (``169.254.169.254``)
or an office network. :class:`NetGuard` resolves the host and refuses any address that is not
globally routable, before every request and again after every redirect. The configured
``NEMO_API_URL`` host is always allowed (the simulator and a self-hosted backend live on private
addresses), and ``NEMOBOT_TRUSTED_HOSTS`` adds others (e.g. a CDN on a private network).

What this does not stop: a DNS answer that changes between this check and the connection (DNS
rebinding). Closing that needs pinning the connection to the checked address, which httpx does not
offer without a custom transport.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

Resolver = Callable[[str, int], Awaitable[list[str]]]
# A resolver that does not answer within this is treated like one that failed.
RESOLVE_TIMEOUT_S = 10.0


class UnsafeUrl(Exception):
    """The URL is not http(s), or its host is (or resolves to) a non-public address."""


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the system resolver, off the event loop)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def is_public(address: str) -> bool:
    """True for a globally routable unicast address (IPv4-mapped IPv6 is judged as IPv4)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def host_of(url: str) -> str:
    """The URL's host name, lower-case, without brackets or port ("" when there is none)."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


class NetGuard:
    """Checks URLs before the bot fetches them (or hands them to the backend to fetch).

    ``trusted`` hosts (compared by exact, case-insensitive name) skip the address check.
    ``unresolvable_ok`` decides what a name that does not resolve here means: for URL imports the
    backend resolves it, not this machine, so it is let through; for downloads it is refused.
    """

    def __init__(self, trusted: Iterable[str] = (), *, resolver: Resolver = resolve) -> None:
        self._trusted = frozenset(host.strip().lower().strip("[]") for host in trusted if host.strip())
        self._resolve = resolver

    @classmethod
    def for_backend(cls, api_url: str, trusted_hosts: str = "") -> NetGuard:
        """Trust ``api_url``'s host and the comma-separated ``trusted_hosts`` (NEMOBOT_TRUSTED_HOSTS)."""
        return cls([host_of(api_url), *trusted_hosts.replace(";", ",").split(",")])

    def trusts(self, url: str) -> bool:
        return host_of(url) in self._trusted

    async def check(self, url: str, *, unresolvable_ok: bool = False) -> None:
        """Raise :class:`UnsafeUrl` unless ``url`` may be fetched."""
        try:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise UnsafeUrl("not a valid URL") from exc
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UnsafeUrl("only http and https links can be fetched")
        host = parts.hostname.lower()
        if host in self._trusted:
            return
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            try:
                async with asyncio.timeout(RESOLVE_TIMEOUT_S):
                    addresses = await self._resolve(host, port)
            except (OSError, UnicodeError, TimeoutError) as exc:
                if unresolvable_ok:
                    return
                raise UnsafeUrl(f"the host {host} cannot be resolved") from exc
        if not addresses or not all(is_public(address) for address in addresses):
            raise UnsafeUrl(f"the host {host} is on a private or local network")
