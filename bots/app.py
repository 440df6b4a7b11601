"""The composition root: the one place that picks real adapters and wires them into the core."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator
from typing import Literal

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

from bots.startup import open_store_retrying
from core.bot import NemoBot
from core.leases import Fleet, default_worker_id
from core.nemo.transport import NemoTransport
from core.ports import Store
from core.settings import Settings, SettingsError
from core.skills import SkillProfile
from storage import FernetTokens, StoreLocation, StoreUrlError, load_or_create_key, parse_store_url

USER_AGENT = "nemobot/0.1"
# The young generation is collected every 20,000 allocations instead of CPython's 700. Every SSE event
# allocates a dozen short-lived containers (JSON, events), so at thousands of events a second the
# default ran ~30 collections a second and a full one of 100-170 ms every few seconds, each a stall
# for every chat; with these, 10 s at 6,000 events/s spent 100 ms in GC instead of 1,000 ms and ran
# no full collection (bench/RESULTS.md, §2). Cycles are still collected, just in larger batches.
GC_THRESHOLDS = (20_000, 20, 10)
# Running turns at once per process before a new one waits for a connection: far above what one
# process carries (README, "Capacity"), so in practice only file descriptors bound it.
STREAM_CONNECTIONS = 10_000
StreamTransport = Literal["aiohttp", "httpcore"]


def http_client(settings: Settings) -> httpx.AsyncClient:
    """The HTTP client for NemoVideo's short calls and uploads; per-call timeouts override the default.

    Turns stream on their own client (:func:`stream_client`), so this pool only ever waits for
    calls that end.
    """
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.nemo_http_timeout_s),
        limits=httpx.Limits(max_connections=500, max_keepalive_connections=100),
        follow_redirects=True,
        headers={"User-Agent": USER_AGENT},
    )


def store_location(settings: Settings) -> StoreLocation:
    """Where ``DATABASE_URL`` (or, unset, ``NEMOBOT_DATA_DIR``) puts the store."""
    url = settings.database_url.get_secret_value() if settings.database_url else None
    try:
        return parse_store_url(url, settings.nemobot_data_dir)
    except StoreUrlError as exc:
        raise SettingsError(f"DATABASE_URL: {exc}") from None


def stream_client(settings: Settings, transport: StreamTransport = "aiohttp") -> httpx.AsyncClient:
    """The HTTP client for ``/run_sse`` turns: httpx and httpx-sse as the API, its own pool.

    By default the bytes travel over aiohttp (``httpx-aiohttp``): at thousands of SSE events a second
    httpcore + anyio + h11 cost about three times aiohttp's CPU per event (bench/RESULTS.md, §2).
    ``"httpcore"`` is httpx's own transport, kept for the benchmark's comparison.
    """
    timeout = httpx.Timeout(settings.nemo_http_timeout_s)
    headers = {"User-Agent": USER_AGENT}
    if transport == "httpcore":
        limits = httpx.Limits(max_connections=STREAM_CONNECTIONS, max_keepalive_connections=100)
        return httpx.AsyncClient(timeout=timeout, limits=limits, follow_redirects=True, headers=headers)
    ssl_context = httpx.create_ssl_context()  # certifi's CAs, as httpx's own transport uses

    def session() -> aiohttp.ClientSession:
        # Made on the first request, inside the running loop, as aiohttp requires.
        connector = aiohttp.TCPConnector(limit=STREAM_CONNECTIONS, limit_per_host=0, ssl=ssl_context)
        return aiohttp.ClientSession(connector=connector)

    return httpx.AsyncClient(
        transport=AiohttpTransport(client=session),
        timeout=timeout,
        follow_redirects=True,
        headers=headers,
    )


def tune_gc() -> None:
    """Set the process's GC for a long-running relay: start-up objects frozen, larger batches."""
    gc.collect()
    gc.freeze()  # modules, settings, the store: never garbage, no need to traverse them again
    gc.set_threshold(*GC_THRESHOLDS)


@contextlib.asynccontextmanager
async def opened_store(settings: Settings) -> AsyncIterator[Store]:
    """The configured store (``DATABASE_URL``, SQLite by default), migrated, closed on exit. A
    database that cannot be reached yet is retried with backoff (``NEMOBOT_START_RETRIES``)."""
    configured_key = settings.nemobot_secret_key.get_secret_value() if settings.nemobot_secret_key else None
    cipher = FernetTokens(load_or_create_key(settings.nemobot_data_dir, configured_key))
    store = await open_store_retrying(
        store_location(settings),
        cipher,
        retries=settings.nemobot_start_retries,
        busy_timeout_ms=round(settings.nemobot_db_busy_timeout_s * 1000),
    )
    try:
        yield store
    finally:
        await store.close()


def fleet_of(settings: Settings) -> Fleet | None:
    """A PostgreSQL store may be shared by several processes: each is then a worker of a fleet
    (``NEMOBOT_WORKER_ID``, ``NEMOBOT_LEASE_S``, ``NEMOBOT_POLL_S``). SQLite serves one process."""
    if not store_location(settings).postgres_url:
        return None
    worker_id = settings.nemobot_worker_id or default_worker_id()
    return Fleet(worker_id, lease_s=settings.nemobot_lease_s, poll_s=settings.nemobot_poll_s)


@contextlib.asynccontextmanager
async def running_bot(settings: Settings, *, store: Store | None = None) -> AsyncIterator[NemoBot]:
    """A :class:`NemoBot` with its HTTP clients (short calls, and streamed turns on their own pool),
    closed on exit, over ``store`` (which the caller keeps and closes) or over one :func:`opened_store`
    opens for it."""
    if store is None:
        async with opened_store(settings) as own, running_bot(settings, store=own) as bot:
            yield bot
        return
    async with http_client(settings) as http, stream_client(settings) as streams:

        def transport_for(profile: SkillProfile) -> NemoTransport:
            return NemoTransport(
                http,
                settings.nemo_api_url,
                profile.attribution(settings.nemo_skill_platform),
                stream_http=streams,
            )

        bot = NemoBot(settings, store, transport_for, fleet=fleet_of(settings))
        tune_gc()
        try:
            yield bot
        finally:
            await bot.stop()
