"""Plain API calls over loopback: headers on every call, envelopes, errors and links."""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from core.nemo.auth import StaticToken
from core.nemo.client import NemoClient
from core.nemo.errors import (
    BackendUnavailable,
    ExportNotAllowed,
    SessionNotFound,
)
from core.nemo.models import SessionInfo, SkillAttribution
from core.nemo.multipart import UploadSource
from core.nemo.transport import NemoTransport
from simulator import Endpoint, Fault, FaultKind, Scenario, Simulator
from tests.nemo.helpers import (
    SKILL_HEADERS,
    WEB_URL,
    RequestLog,
    exportable_draft,
    run_turn,
    wait_render,
)

TOKEN_PATH = "/api/auth/anonymous-token"
CDN_PREFIXES = ("/render-result/", "/cdn/")


async def test_every_api_call_of_a_full_workflow_carries_authorization_and_attribution(
    client: NemoClient, sim: Simulator, sent: RequestLog, tmp_path: Path
) -> None:
    """Token, session, turn, uploads, credits, state, render, download, claim: all attributed."""
    sim.config.generation_seconds = sim.config.music_seconds = 10
    info = await client.create_session()
    sim.force_next_turn(Scenario.GENERATION, session_id=info.session_id)
    await run_turn(client, info.session_id, "generate a 4 second video of a desert")
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00" * 2048)
    await client.upload_files(info.session_id, [UploadSource.from_path(clip)])
    await client.upload_urls(info.session_id, ["https://media.example/song.mp3"])
    await client.credits()
    state = await client.state(info.session_id)
    submitted = await client.submit_render(info.session_id, state.draft)
    done = await wait_render(client, submitted.render_id)
    assert done.output_url is not None
    await client.download_render(done.render_id, done.output_url, tmp_path / "cdn.mp4")
    await client.download_render(done.render_id, None, tmp_path / "proxy.mp4")
    await client.claim_link(info.task_id, info.session_id)
    cancelled = await client.submit_render(info.session_id, state.draft)
    await client.cancel_render(cancelled.render_id)

    assert not sim.stats.missing_skill_headers
    hit = {endpoint for endpoint, count in sim.stats.requests.items() if count}
    assert hit >= set(Endpoint) - {Endpoint.CDN}
    api_requests = [r for r in sent.requests if not r.url.path.startswith(CDN_PREFIXES)]
    assert len(api_requests) >= 12
    for request in api_requests:
        assert all(request.headers.get(name) for name in SKILL_HEADERS), request.url
        if request.url.path != TOKEN_PATH:
            assert request.headers["Authorization"].startswith("Bearer nmv_usr_"), request.url
    (cdn,) = [r for r in sent.requests if r.url.path.startswith("/render-result/")]
    assert "Authorization" not in cdn.headers  # the API token never goes to a CDN


async def test_a_session_is_created_with_its_name_and_language(client: NemoClient, sim: Simulator) -> None:
    """``create_session`` sends task_name and language and returns task id, session id and anon user."""
    info = await client.create_session("Holiday", "zh-CN")
    assert info.session_id.isdigit()
    assert info.task_id
    assert info.user_id is not None
    assert info.user_id.startswith("anon_")
    stored = sim.backend.sessions.get(info.session_id)
    assert stored is not None
    assert (stored.task_name, stored.language) == ("Holiday", "zh-CN")


async def test_credits_and_state_come_out_of_the_code_envelope(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """Credits read available/frozen/total; state reads video_infos and the draft verbatim."""
    credits = await client.credits()
    assert (credits.available, credits.frozen, credits.total) == (1000, 0, 1000)
    state = await client.state(session.session_id)
    assert state.video_infos == ()
    assert state.draft == sim.session_state(session.session_id)["draft"]
    assert state.raw["session_id"] == session.session_id


async def test_credits_show_the_frozen_reservation_while_a_turn_runs(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """A running generation freezes its 100 credits; the total stays the same."""
    sim.config.generation_seconds = 10
    sim.force_next_turn(Scenario.GENERATION, session_id=session.session_id)
    async with client.turn(session.session_id, "generate a clip of the sea") as turn:
        async for _ in turn:
            credits = await client.credits()
            assert (credits.available, credits.frozen, credits.total) == (900, 100, 1000)
            break
    await sim.wait_idle()
    assert (await client.credits()).total == 900


async def test_http_200_with_a_non_zero_code_raises_the_typed_error(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """The simulator's 1002 on HTTP 200 for a deleted session becomes SessionNotFound."""
    sim.delete_session(session.session_id)
    with pytest.raises(SessionNotFound) as raised:
        await client.state(session.session_id)
    assert (raised.value.code, raised.value.http_status) == (1002, 200)


async def test_a_session_that_disappears_mid_project_is_session_not_found(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """FaultKind.SESSION_GONE on an upload makes the backend answer 1002, which is not retried."""
    sim.faults.add(Fault(kind=FaultKind.SESSION_GONE, endpoint=Endpoint.UPLOAD))
    with pytest.raises(SessionNotFound):
        await client.upload_urls(session.session_id, ["https://media.example/a.mp4"])
    assert sim.stats.requests[Endpoint.UPLOAD] == 1


@pytest.mark.parametrize(
    "fault",
    [
        Fault(kind=FaultKind.WRONG_CONTENT_TYPE),
        Fault(kind=FaultKind.MALFORMED_JSON),
        Fault(kind=FaultKind.HTTP_500),
        Fault(kind=FaultKind.HTTP_500, status=502),
        Fault(kind=FaultKind.HTTP_500, status=503),
    ],
    ids=["html-200", "truncated-json", "500-json", "502-html", "503-html"],
)
async def test_unusable_answers_mean_the_backend_is_unavailable(
    client: NemoClient, session: SessionInfo, sim: Simulator, fault: Fault
) -> None:
    """HTML maintenance pages, truncated JSON and 5xx all raise BackendUnavailable, without a retry."""
    fault.endpoint = Endpoint.CREDITS
    sim.faults.add(fault)
    with pytest.raises(BackendUnavailable):
        await client.credits()
    assert sim.stats.requests[Endpoint.CREDITS] == 1
    assert (await client.credits()).available == 1000  # the next call is fine again


async def test_a_refused_connection_is_backend_unavailable_with_its_cause(http: httpx.AsyncClient) -> None:
    """Nothing listening on the port: BackendUnavailable, with httpx's ConnectError as ``__cause__``."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    transport = NemoTransport(http, f"http://127.0.0.1:{port}", SkillAttribution("nemo-video", "1.9", "x"))
    client = NemoClient(transport, StaticToken("nmv_usr_unused"))
    with pytest.raises(BackendUnavailable) as raised:
        await client.credits()
    assert isinstance(raised.value.__cause__, httpx.ConnectError)
    assert "nmv_usr_unused" not in str(raised.value)


async def test_a_call_that_times_out_is_backend_unavailable(sim: Simulator) -> None:
    """A reply slower than the HTTP timeout raises BackendUnavailable caused by httpx's timeout."""
    sim.faults.add(Fault(kind=FaultKind.DELAY, endpoint=Endpoint.ANONYMOUS_TOKEN, seconds=0.5))
    async with httpx.AsyncClient(timeout=0.1) as slow:
        assert sim.base_url is not None
        transport = NemoTransport(slow, sim.base_url, SkillAttribution("nemo-video", "1.9", "x"))
        with pytest.raises(BackendUnavailable) as raised:
            await transport.call("POST", TOKEN_PATH, token=None, headers={"X-Client-Id": "slow"})
    assert isinstance(raised.value.__cause__, httpx.TimeoutException)


async def test_export_without_attribution_is_refused_with_402(
    http: httpx.AsyncClient, sim: Simulator, session: SessionInfo, client: NemoClient
) -> None:
    """A client whose X-Skill-* headers are blank gets the render proxy's 402: ExportNotAllowed."""
    assert sim.base_url is not None
    bare = NemoClient(NemoTransport(http, sim.base_url, SkillAttribution("", "", "")), client.tokens)
    with pytest.raises(ExportNotAllowed) as raised:
        await bare.submit_render(session.session_id, exportable_draft(), render_id="render_blocked")
    assert raised.value.http_status == 402
    assert sim.stats.render_submissions == 0
    assert sim.stats.missing_skill_headers[Endpoint.RENDER_SUBMIT] == 1


async def test_the_claim_link_carries_a_claim_token_and_never_the_api_token(
    client: NemoClient, session: SessionInfo
) -> None:
    """``claim_link`` is ``{web}/workspace/claim?ct=clm_…`` with no ``nmv_usr_`` anywhere."""
    link = await client.claim_link(session.task_id, session.session_id)
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{WEB_URL}/workspace/claim"
    (claim,) = parse_qs(parts.query)["ct"]
    assert claim.startswith("clm_")
    assert link == f"{WEB_URL}/workspace/claim?ct={claim}"
    assert "nmv_usr_" not in link
    assert await client.tokens.get() not in link


async def test_the_claim_token_is_reusable_for_the_same_session(
    client: NemoClient, session: SessionInfo
) -> None:
    """Asking twice gives the same live claim token with its TTL."""
    first = await client.claim_token(session.task_id, session.session_id)
    second = await client.claim_token(session.task_id, session.session_id)
    assert first.token == second.token
    assert first.expires_in == 7 * 24 * 3600
    assert "clm_" not in repr(first)
