"""``nemobot run``: the chat platforms that are configured, in one process, over one core."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from typing import Protocol

from pydantic import ValidationError

from bots.app import opened_store, running_bot
from bots.ops import OpsServer
from bots.startup import start_each
from core.inbound import Core
from core.settings import Settings, SettingsError, settings_error

log = logging.getLogger(__name__)

_HOUSEKEEPING_EVERY_S = 3600.0


class Adapter(Protocol):
    """What ``run`` needs from a platform adapter."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def configured_platforms(core: Core, settings: Settings) -> dict[str, Callable[[], Adapter]]:
    """A factory per platform whose token is set; raises :class:`SettingsError` on a bad setting."""
    from bots.discord_bot.adapter import DiscordAdapter
    from bots.discord_bot.settings import DiscordSettings
    from bots.telegram.adapter import TelegramAdapter
    from bots.telegram.settings import TelegramSettings

    try:
        telegram = TelegramSettings()
        discord = DiscordSettings()
    except ValidationError as exc:
        raise settings_error(exc) from exc
    factories: dict[str, Callable[[], Adapter]] = {}
    if telegram.enabled:
        factories["telegram"] = lambda: TelegramAdapter(core, telegram)
    if discord.enabled:
        factories["discord"] = lambda: DiscordAdapter(core, discord, data_dir=settings.nemobot_data_dir)
    return factories


def is_up(adapter: Adapter) -> bool:
    """Whether a started platform is still connected (adapters without ``is_up`` count as up)."""
    check = getattr(adapter, "is_up", None)
    return bool(check()) if callable(check) else True


def permanent_start_error(exc: BaseException) -> bool:
    """A start-up error that waiting cannot fix: a rejected token or a bad setting."""
    import discord

    from bots.discord_bot.adapter import DiscordStartError

    if isinstance(exc, SettingsError):
        return True
    return isinstance(exc, DiscordStartError) and isinstance(exc.__cause__, discord.LoginFailure)


async def _housekeeping(core: Core) -> None:
    while True:
        try:
            await core.housekeep()
        except Exception:  # broad on purpose: upkeep must not stop the bot; logged, tried again
            log.warning("housekeeping failed", exc_info=True)
        await asyncio.sleep(_HOUSEKEEPING_EVERY_S)


async def run_platforms(settings: Settings) -> int:
    """Run until SIGINT/SIGTERM. Returns the process exit code."""
    async with opened_store(settings) as store, running_bot(settings, store=store) as core:
        platforms = configured_platforms(core, settings)
        if not platforms:
            raise SettingsError(
                "Nothing to run: set TELEGRAM_BOT_TOKEN and/or DISCORD_BOT_TOKEN "
                "(or try `nemobot demo` to chat in the terminal)."
            )
        started: list[Adapter] = []
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, stop.set)
        housekeeping = asyncio.create_task(_housekeeping(core), name="housekeeping")
        ops: OpsServer | None = None
        up: dict[str, Adapter] = {}  # the platforms that started, for /healthz
        try:
            if settings.nemobot_ops_port:
                # Up before the platforms, so /healthz says 503 (not "connection refused") meanwhile.
                ops = OpsServer(store, core.queue_depth, lambda: [n for n, a in up.items() if is_up(a)])
                await ops.start(settings.nemobot_ops_host, settings.nemobot_ops_port)
            running = await start_each(
                platforms, permanent=permanent_start_error, retries=settings.nemobot_start_retries
            )
            started.extend(running.values())
            up.update(running)
            if not started:
                log.error("no platform started; stopping")
                return 1
            resumed = await core.resume()
            log.info("nemobot is running (%d platform(s), %d job(s) resumed)", len(started), resumed)
            await stop.wait()
            log.info("stopping")
        finally:
            housekeeping.cancel()
            if ops is not None:
                await ops.stop()
            # Stop taking messages first, then let the core park its jobs for the next start.
            for adapter in reversed(started):
                with contextlib.suppress(Exception):
                    await adapter.stop()
            await core.stop()
    return 0
