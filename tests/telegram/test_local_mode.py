"""TELEGRAM_LOCAL_MODE against a local Bot API server: big files in and out, by path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from simulator import Scenario
from tests.telegram.fake_bot_api import MB
from tests.telegram.harness import TelegramHarness


@pytest.fixture
def telegram_changes() -> dict[str, Any]:
    return {"telegram_local_mode": True}


async def test_a_file_over_twenty_megabytes_is_read_from_the_servers_disk(
    telegram: TelegramHarness, tmp_path: Path
) -> None:
    """25 MB is refused by the cloud API but fine locally; the bytes are read in place, not downloaded."""
    telegram.fake.go_local(tmp_path / "bot-api")
    chat = telegram.updates.private()
    content = bytes(range(256)) * (25 * MB // 256)
    media = telegram.updates.media("video", data=content)
    await telegram.handled(telegram.updates.message(chat, extra=media))
    assert telegram.fake.texts(chat["id"])[-1].startswith("📥")
    assert telegram.sim.stats.uploaded_bytes == len(content)
    assert not [c for c in telegram.fake.calls if c.method == "download"], "no HTTP download in local mode"


async def test_an_export_over_fifty_megabytes_is_sent_as_a_video_by_path(
    telegram: TelegramHarness, tmp_path: Path
) -> None:
    """A 60 MB MP4 goes out as a video (the server reads it from our disk), not as a link."""
    telegram.fake.go_local(tmp_path / "bot-api")
    telegram.sim.config.render_output_bytes = 60 * MB
    chat = telegram.updates.private()
    telegram.sim.force_next_turn(Scenario.GENERATION)
    await telegram.handled(telegram.updates.message(chat, "make a 5 second video of snow"))
    await telegram.handled(telegram.updates.message(chat, "/export"))
    [video] = telegram.fake.sent(chat["id"], "sendVideo")
    assert str(video.params["video"]).startswith("file://")
    assert video.files["video"][1] >= 60 * MB
