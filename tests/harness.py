"""Shared fixtures (a pytest plugin): a running simulator, a NemoBot wired to it, a recording chat."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.bot import NemoBot
from core.chat import ChatKey, Inbound, PlatformLimits, Sender
from core.leases import Fleet
from core.nemo.transport import NemoTransport
from core.ports import Store
from core.settings import Settings
from core.skills import SkillProfile
from simulator import Simulator, SimulatorConfig
from storage import SqliteStore
from tests.fakes import RecordingOutbound

CHAT = ChatKey("test", "100")


def make_settings(api_url: str, data_dir: Path, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "nemo_api_url": api_url,
        "nemobot_data_dir": data_dir,
        "nemo_rate_limit_wait_s": 0.05,
        "nemobot_recovery_first_s": 0.2,
        "nemobot_recovery_next_s": 0.25,
        "nemobot_still_working_s": 30.0,
        "nemo_render_poll_max_s": 0.05,
    }
    values.update(changes)
    return Settings(_env_file=None, **values)


@dataclass
class Harness:
    """Drives a :class:`NemoBot` like a chat would, and records what the chat shows."""

    bot: NemoBot
    out: RecordingOutbound
    sim: Simulator
    store: Store
    requests: list[httpx.Request] = field(default_factory=list)
    _ids: int = 0

    def message(self, text: str = "", *, chat: ChatKey = CHAT, **kwargs: Any) -> Inbound:
        self._ids += 1
        kwargs.setdefault("sender", Sender("u1", "Ada", "en"))
        kwargs.setdefault("message_id", f"m{self._ids}")
        return Inbound(chat=chat, text=text, **kwargs)

    async def say(self, text: str = "", *, chat: ChatKey = CHAT, **kwargs: Any) -> list[str]:
        """Send one message, wait for all its work, and return the texts of messages it produced."""
        before = len(self.out.messages)
        await self.bot.receive(self.message(text, chat=chat, **kwargs))
        await self.bot.wait_idle(chat)
        return [m.text for m in self.out.messages[before:]]

    async def session_id(self, chat: ChatKey = CHAT) -> str:
        record = await self.store.get_chat(chat)
        assert record is not None
        assert record.session_id is not None
        return record.session_id


@pytest.fixture
def sim_config(tmp_path: Path) -> SimulatorConfig:
    return SimulatorConfig.fast(seed=11, data_dir=tmp_path / "sim", initial_credits=10_000)


@pytest.fixture
async def sim(sim_config: SimulatorConfig) -> AsyncIterator[Simulator]:
    simulator = Simulator(sim_config)
    async with simulator.running():
        yield simulator


@pytest.fixture
def limits() -> PlatformLimits:
    return PlatformLimits(max_text=4096, upload_cap=50_000_000, edit_interval_s=0.01)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """The production default, a real SQLite file. Flows run on one store: the contract suite in
    tests/storage proves every store behaves the same, so running each flow per store proves nothing more."""
    sqlite = await SqliteStore.open(tmp_path / "data" / "nemobot.db")
    try:
        yield sqlite
    finally:
        await sqlite.close()


@pytest.fixture
def settings_changes() -> dict[str, Any]:
    return {}


async def build_harness(
    sim: Simulator,
    store: Store,
    tmp_path: Path,
    limits: PlatformLimits,
    http: httpx.AsyncClient,
    *,
    fleet: Fleet | None = None,
    **changes: Any,
) -> Harness:
    assert sim.base_url is not None
    settings = make_settings(sim.base_url, tmp_path / "data", **changes)

    def transport_for(profile: SkillProfile) -> NemoTransport:
        return NemoTransport(http, settings.nemo_api_url, profile.attribution(settings.nemo_skill_platform))

    bot = NemoBot(settings, store, transport_for, fleet=fleet)
    out = RecordingOutbound(limits)
    bot.attach(CHAT.platform, out)
    return Harness(bot, out, sim, store)


@pytest.fixture
async def harness(
    sim: Simulator, store: Store, tmp_path: Path, limits: PlatformLimits, settings_changes: dict[str, Any]
) -> AsyncIterator[Harness]:
    requests: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        requests.append(request)

    async with httpx.AsyncClient(timeout=10.0, event_hooks={"request": [record]}) as http:
        h = await build_harness(sim, store, tmp_path, limits, http, **settings_changes)
        h.requests = requests
        try:
            yield h
        finally:
            await h.bot.stop()
