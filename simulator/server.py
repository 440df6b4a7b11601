"""Running the simulator as a standalone server (`nemobot simulator`, `python -m simulator`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from simulator.config import SimulatorConfig
from simulator.harness import Simulator

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765

log = logging.getLogger(__name__)


async def serve(
    host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, config: SimulatorConfig | None = None
) -> None:
    """Serve until cancelled, logging the base URL once listening."""
    simulator = Simulator(config or SimulatorConfig.demo())
    async with simulator.running(host, port) as base_url:
        log.info("NemoVideo simulator listening on %s (data dir %s)", base_url, simulator.data_dir)
        await asyncio.Event().wait()


def serve_forever(
    host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, config: SimulatorConfig | None = None
) -> None:
    """Blocking entry point for a CLI; Ctrl-C or SIGTERM stop it cleanly (temp data removed)."""

    async def main() -> None:
        task = asyncio.current_task()
        assert task is not None
        with contextlib.suppress(NotImplementedError):  # no signal handlers on some platforms
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await serve(host, port, config)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
