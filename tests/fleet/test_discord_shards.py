"""Discord in a fleet: each process connects its own shards of the gateway (DISCORD_SHARD_IDS of
DISCORD_SHARD_COUNT), and still answers in the channels its shard receives."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bots.discord_bot.settings import DiscordSettings
from simulator import Simulator
from tests.discord_bot.conftest import World, running_stack, sim, world  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("fake_options")


@pytest.fixture
def fake_options() -> dict[str, object]:
    from tests.discord_bot.conftest import FAST_BUDGET

    return dict(FAST_BUDGET)


async def test_a_process_identifies_only_its_shards(sim: Simulator, world: World, tmp_path: Path) -> None:  # noqa: F811
    async with running_stack(sim, world, tmp_path / "data", discord_shard_count=2, discord_shard_ids=(1,)):
        assert [identify.get("shard") for identify in world.discord.identifies] == [[1, 2]]


def test_shard_settings_must_fit_the_count() -> None:
    parsed = DiscordSettings(_env_file=None, discord_shard_ids="0, 2", discord_shard_count=4)
    assert parsed.discord_shard_ids == (0, 2)
    assert parsed.sharded
    with pytest.raises(ValidationError, match="between 0 and DISCORD_SHARD_COUNT - 1"):
        DiscordSettings(_env_file=None, discord_shard_ids="2", discord_shard_count=2)
    with pytest.raises(ValidationError, match="needs DISCORD_SHARD_COUNT"):
        DiscordSettings(_env_file=None, discord_shard_ids="1")
    assert not DiscordSettings(_env_file=None).sharded
    assert DiscordSettings(_env_file=None, discord_shard_count="").discord_shard_count is None  # .env.example
