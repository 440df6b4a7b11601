"""The composition root: the one place that picks real adapters and wires them into the core."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx

from core.nemo.transport import NemoTransport
from core.service import NemoBot
from core.settings import Settings
from core.skills import SkillProfile
from storage import FernetTokens, load_or_create_key, open_store


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


@contextlib.asynccontextmanager
async def running_bot(settings: Settings) -> AsyncIterator[NemoBot]:
    """A :class:`NemoBot` with SQLite storage and an HTTP client, closed on exit."""
    configured_key = settings.nemobot_secret_key.get_secret_value() if settings.nemobot_secret_key else None
    cipher = FernetTokens(load_or_create_key(settings.nemobot_data_dir, configured_key))
    store = await open_store(
        settings.nemobot_data_dir,
        cipher=cipher,
        busy_timeout_ms=round(settings.nemobot_db_busy_timeout_s * 1000),
    )
    try:
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
    finally:
        await store.close()
