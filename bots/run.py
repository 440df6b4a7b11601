"""``nemobot run``: the chat platforms that are configured, in one process, over one core."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Protocol

from pydantic import ValidationError

from bots.app import running_bot
from core.inbound import Core
from core.settings import Settings, SettingsError, settings_error

log = logging.getLogger(__name__)

_HOUSEKEEPING_EVERY_S = 3600.0


class Adapter(Protocol):
    """What ``run`` needs from a platform adapter."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def configured_adapters(core: Core, settings: Settings) -> list[Adapter]:
    """The adapters whose token is set; raises :class:`SettingsError` on a bad platform setting."""
    from bots.discord_bot.adapter import DiscordAdapter
    from bots.discord_bot.settings import DiscordSettings
    from bots.telegram.adapter import TelegramAdapter
    from bots.telegram.settings import TelegramSettings

    try:
        telegram = TelegramSettings()
        discord = DiscordSettings()
    except ValidationError as exc:
        raise settings_error(exc) from exc
    adapters: list[Adapter] = []
    if telegram.enabled:
        adapters.append(TelegramAdapter(core, telegram))
    if discord.enabled:
        adapters.append(DiscordAdapter(core, discord, data_dir=settings.nemobot_data_dir))
    return adapters


async def _housekeeping(core: Core) -> None:
    while True:
        try:
            await core.housekeep()
        except Exception:  # broad on purpose: upkeep must not stop the bot; logged, tried again
            log.warning("housekeeping failed", exc_info=True)
        await asyncio.sleep(_HOUSEKEEPING_EVERY_S)


async def run_platforms(settings: Settings) -> int:
    """Run until SIGINT/SIGTERM. Returns the process exit code."""
    async with running_bot(settings) as core:
        adapters = configured_adapters(core, settings)
        if not adapters:
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
        try:
            for adapter in adapters:
                await adapter.start()
                started.append(adapter)
            resumed = await core.resume()
            log.info("nemobot is running (%d platform(s), %d job(s) resumed)", len(started), resumed)
            await stop.wait()
            log.info("stopping")
        finally:
            housekeeping.cancel()
            # Stop taking messages first, then let the core park its jobs for the next start.
            for adapter in reversed(started):
                with contextlib.suppress(Exception):
                    await adapter.stop()
            await core.stop()
    return 0
