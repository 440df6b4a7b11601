"""``bots.app``'s clients: turns stream on their own client (aiohttp transport by default), short
calls on the shared one; every way a stream ends reads the same as over httpx's own transport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bots.app import StreamTransport, http_client, stream_client
from core.nemo.auth import StaticToken, request_anonymous_token
from core.nemo.client import NemoClient
from core.nemo.errors import InsufficientCredits, StreamDropped, StreamTimedOut
from core.nemo.models import SessionInfo
from core.nemo.transport import NemoTransport
from simulator import Fault, FaultKind, Scenario, Simulator, SimulatorConfig
from tests.harness import make_settings
from tests.nemo.helpers import ATTRIBUTION, drain, run_turn


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[Simulator]:
    config = SimulatorConfig.fast(seed=5, data_dir=tmp_path / "sim", initial_credits=1000, thought_rate=0.0)
    simulator = Simulator(config)
    async with simulator.running():
        yield simulator


@pytest.fixture(params=["aiohttp", "httpcore"])
def kind(request: pytest.FixtureRequest) -> StreamTransport:
    value: StreamTransport = request.param
    return value


@pytest.fixture
async def paths() -> dict[str, list[str]]:
    """Request paths per client: ``calls`` and ``streams``."""
    return {"calls": [], "streams": []}


@pytest.fixture
async def client(
    sim: Simulator, tmp_path: Path, kind: StreamTransport, paths: dict[str, list[str]]
) -> AsyncIterator[NemoClient]:
    assert sim.base_url is not None
    settings = make_settings(sim.base_url, tmp_path / "data")
    async with http_client(settings) as http, stream_client(settings, kind) as streams:

        async def note_call(request: httpx.Request) -> None:
            paths["calls"].append(request.url.path)

        async def note_stream(request: httpx.Request) -> None:
            paths["streams"].append(request.url.path)

        http.event_hooks["request"].append(note_call)
        streams.event_hooks["request"].append(note_stream)
        transport = NemoTransport(http, sim.base_url, ATTRIBUTION, stream_http=streams)
        token = await request_anonymous_token(transport, "stream-client-test")
        yield NemoClient(transport, StaticToken(token.token), sse_idle_timeout_s=0.5)


@pytest.fixture
async def session(client: NemoClient) -> SessionInfo:
    return await client.create_session("stream client tests", "en")


async def test_a_turn_streams_on_its_own_client_and_short_calls_on_the_other(
    client: NemoClient, session: SessionInfo, sim: Simulator, paths: dict[str, list[str]]
) -> None:
    sim.force_next_turn(Scenario.CHAT, session_id=session.session_id, noise=False)
    turn, _events = await run_turn(client, session.session_id, "hello")
    assert turn.finished
    assert turn.transcript.text.startswith("Hi! I'm Nemo")
    await client.state(session.session_id)
    assert paths["streams"] == ["/run_sse"]
    assert "/run_sse" not in paths["calls"]
    assert any(path.startswith("/api/state/") for path in paths["calls"])


@pytest.mark.parametrize("fault", [FaultKind.SSE_DROP_BEFORE_TEXT, FaultKind.SSE_DROP_AFTER_TEXT])
async def test_a_dropped_stream_is_reported_once_and_never_re_sent(
    client: NemoClient, session: SessionInfo, sim: Simulator, fault: FaultKind
) -> None:
    sim.force_next_turn(Scenario.CHAT, session_id=session.session_id, faults=[fault])
    with pytest.raises(StreamDropped) as raised:
        await run_turn(client, session.session_id, "hello")
    assert raised.value.saw_text is (fault is FaultKind.SSE_DROP_AFTER_TEXT)
    assert sim.stats.run_sse_calls(session.session_id) == 1


async def test_heartbeats_alone_time_out_as_idle(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    sim.force_next_turn(
        session_id=session.session_id, faults=[Fault(kind=FaultKind.SSE_HEARTBEATS_ONLY, seconds=5.0)]
    )
    with pytest.raises(StreamTimedOut) as raised:
        async with client.turn(session.session_id, "hello") as turn:
            await drain(turn)
    assert raised.value.idle is True


async def test_an_error_answer_instead_of_a_stream_is_unwrapped(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    sim.force_next_turn(session_id=session.session_id, faults=[FaultKind.INSUFFICIENT_CREDITS])
    with pytest.raises(InsufficientCredits):
        await run_turn(client, session.session_id, "hello")
