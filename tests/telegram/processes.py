"""A real ``nemobot run`` subprocess against the Telegram fake: the environment it starts with."""

from __future__ import annotations

import os
from pathlib import Path

from simulator import Simulator
from tests.telegram.fake_bot_api import FakeBotApi


def run_env(sim: Simulator, fake: FakeBotApi, data: Path, **settings: str) -> dict[str, str]:
    """This process's environment without any NEMO*/TELEGRAM*/DISCORD* setting of the developer's,
    pointed at ``sim`` and ``fake``, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEMO", "TELEGRAM", "DISCORD"))}
    assert sim.base_url is not None
    env.update(
        NEMO_API_URL=sim.base_url,
        NEMOBOT_DATA_DIR=str(data),
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_API_BASE_URL=fake.base_url,
        TELEGRAM_FILE_BASE_URL=fake.file_base_url,
        TELEGRAM_POLL_TIMEOUT_S="1",
    )
    env.update(settings)
    return env
