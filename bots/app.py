"""The composition root: the one place that picks real adapters and wires them into the core."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx

from bots.startup import open_store_retrying
from core.nemo.transport import NemoTransport
from core.ports import Store
from core.service import NemoBot
from core.settings import Settings, SettingsError
from core.skills import SkillProfile
from storage import FernetTokens, StoreLocation, StoreUrlError, load_or_create_key, parse_store_url


def http_client(settings: Settings) -> httpx.AsyncClient:
    """The shared HTTP client for NemoVideo; per-call timeouts override the default where needed."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.nemo_http_timeout_s),
        # Every running turn holds one connection for its whole stream: the pool must be larger than
        # the number of concurrent turns, or other calls queue behind them (bench/RESULTS.md).
        limits=httpx.Limits(max_connections=2000, max_keepalive_connections=100),
        follow_redirects=True,
        headers={"User-Agent": "nemobot/0.1"},
    )


def store_location(settings: Settings) -> StoreLocation:
    """Where ``DATABASE_URL`` (or, unset, ``NEMOBOT_DATA_DIR``) puts the store."""
    url = settings.database_url.get_secret_value() if settings.database_url else None
    try:
        return parse_store_url(url, settings.nemobot_data_dir)
    except StoreUrlError as exc:
        raise SettingsError(f"DATABASE_URL: {exc}") from None


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


@contextlib.asynccontextmanager
async def running_bot(settings: Settings, *, store: Store | None = None) -> AsyncIterator[NemoBot]:
    """A :class:`NemoBot` with an HTTP client, closed on exit, over ``store`` (which the caller
    keeps and closes) or over one :func:`opened_store` opens for it."""
    if store is None:
        async with opened_store(settings) as own, running_bot(settings, store=own) as bot:
            yield bot
        return
    async with http_client(settings) as http:

        def transport_for(profile: SkillProfile) -> NemoTransport:
            return NemoTransport(
                http, settings.nemo_api_url, profile.attribution(settings.nemo_skill_platform)
            )

        bot = NemoBot(settings, store, transport_for)
        try:
            yield bot
        finally:
            await bot.stop()
