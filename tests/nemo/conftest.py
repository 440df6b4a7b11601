"""Fixtures: the simulator on loopback and the real NemoClient (anonymous tokens) pointed at it."""

from __future__ import annotations

import ssl
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from core.nemo.auth import AnonymousTokens
from core.nemo.client import NemoClient
from core.nemo.models import AnonymousToken, SessionInfo
from core.nemo.transport import NemoTransport
from simulator import Simulator, SimulatorConfig
from tests.nemo.helpers import ATTRIBUTION, RATE_LIMIT_WAIT_S, WEB_URL, RecordingSleep, RequestLog

# Building an SSL context costs ~40 ms per httpx client; loopback HTTP never uses it, so share one.
_UNUSED_TLS = ssl.create_default_context()


@pytest.fixture
def config(tmp_path: Path) -> SimulatorConfig:
    # No thoughts unless a test forces them, so event lists are predictable.
    return SimulatorConfig.fast(seed=11, data_dir=tmp_path / "sim", initial_credits=1000, thought_rate=0.0)


@pytest.fixture
async def sim(config: SimulatorConfig) -> AsyncIterator[Simulator]:
    simulator = Simulator(config)
    async with simulator.running():
        yield simulator


@pytest.fixture
def sent() -> RequestLog:
    """Every request the client sent, as httpx built it."""
    return RequestLog()


@pytest.fixture
async def http(sent: RequestLog) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=20, verify=_UNUSED_TLS, event_hooks={"request": [sent]}) as client:
        yield client


@pytest.fixture
def transport(sim: Simulator, http: httpx.AsyncClient) -> NemoTransport:
    assert sim.base_url is not None
    return NemoTransport(http, sim.base_url, ATTRIBUTION)


@pytest.fixture
def sleeps() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def client_id() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def issued() -> list[AnonymousToken]:
    """Tokens handed to ``on_token`` (what the bot would persist)."""
    return []


@pytest.fixture
def tokens(
    transport: NemoTransport, client_id: str, sleeps: RecordingSleep, issued: list[AnonymousToken]
) -> AnonymousTokens:
    async def remember(token: AnonymousToken) -> None:
        issued.append(token)

    return AnonymousTokens(
        transport, client_id, on_token=remember, rate_limit_wait_s=RATE_LIMIT_WAIT_S, sleep=sleeps
    )


@pytest.fixture
def client(transport: NemoTransport, tokens: AnonymousTokens, sleeps: RecordingSleep) -> NemoClient:
    return NemoClient(transport, tokens, web_url=WEB_URL, rate_limit_wait_s=RATE_LIMIT_WAIT_S, sleep=sleeps)


@pytest.fixture
async def session(client: NemoClient) -> SessionInfo:
    return await client.create_session("nemobot tests", "en")
