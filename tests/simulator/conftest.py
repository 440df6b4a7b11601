"""Fixtures: a fast simulator on loopback and a logged-in client with one session."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from simulator import Simulator, SimulatorConfig
from tests.simulator.helpers import SKILL_HEADERS, Api

# Building an SSL context costs ~40 ms per httpx client; loopback HTTP never uses it, so share one.
_UNUSED_TLS = ssl.create_default_context()


@pytest.fixture
def config(tmp_path: Path) -> SimulatorConfig:
    # thought_rate 0 keeps event lists predictable; tests that want thoughts force them. These
    # tests pin the variants they were written for (v4.4 poll shape, ADK's 404, partials always);
    # test_contract_defaults.py covers the defaults.
    return SimulatorConfig.fast(
        seed=7,
        data_dir=tmp_path,
        time_scale=0.001,
        initial_credits=1000,
        thought_rate=0.0,
        render_poll_shape="v44",
        missing_session_reply="adk_404",
        partials="always",
    )


@pytest.fixture
async def sim(config: SimulatorConfig) -> AsyncIterator[Simulator]:
    simulator = Simulator(config)
    async with simulator.running():
        yield simulator


@pytest.fixture
async def client(sim: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=str(sim.base_url), headers=SKILL_HEADERS, timeout=20, verify=_UNUSED_TLS
    ) as http:
        yield http


@pytest.fixture
def anon(client: httpx.AsyncClient) -> Api:
    """A client with no token yet."""
    return Api(client)


@pytest.fixture
async def api(client: httpx.AsyncClient) -> Api:
    """A client with a token and one session."""
    api = Api(client)
    await api.login()
    await api.new_session()
    return api


@pytest.fixture
async def exportable_api(api: Api, sim: Simulator) -> Api:
    """A session whose draft has a generated clip on it; renders take ~0.15 s."""
    sim.config.render_seconds = 150
    sim.config.generation_seconds = sim.config.music_seconds = 10  # only the resulting draft matters
    await api.turn("generate a 4 second video of a desert")
    return api
