"""Request-level faults on any endpoint: 5xx, malformed JSON, wrong content type, delay, 429, 1001, 1002."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from simulator import Endpoint, Fault, FaultKind, Simulator
from tests.simulator.helpers import Api


async def test_http_500_hits_only_its_endpoint_and_only_as_often_as_asked(api: Api, sim: Simulator) -> None:
    sim.faults.add(Fault(kind=FaultKind.HTTP_500, endpoint=Endpoint.CREDITS, times=2))
    assert (await api.client.get(f"/api/state/nemo_agent/me/{api.session_id}/latest")).status_code == 200
    first = await api.client.get("/api/credits/balance/simple")
    second = await api.client.get("/api/credits/balance/simple")
    third = await api.client.get("/api/credits/balance/simple")
    assert [first.status_code, second.status_code, third.status_code] == [500, 500, 200]
    assert first.json()["code"] == 500
    assert sim.faults.pending == ()
    assert sim.stats.faults_fired[FaultKind.HTTP_500] == 2


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_gateway_errors_answer_with_an_html_proxy_page(api: Api, sim: Simulator, status: int) -> None:
    sim.faults.add(Fault(kind=FaultKind.HTTP_500, status=status))
    response = await api.client.get("/api/credits/balance/simple")
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert "nginx" in response.text


async def test_a_fault_without_endpoint_hits_the_next_request_whatever_it_is(
    api: Api, sim: Simulator
) -> None:
    sim.faults.add(Fault(kind=FaultKind.HTTP_500))
    response = await api.client.post("/api/auth/anonymous-token", headers={"X-Client-Id": "x"})
    assert response.status_code == 500


async def test_a_500_after_the_handler_keeps_the_side_effect(exportable_api: Api, sim: Simulator) -> None:
    sim.faults.add(Fault(kind=FaultKind.HTTP_500, endpoint=Endpoint.RENDER_SUBMIT, after_handler=True))
    assert (await exportable_api.submit_render("render_once")).status_code == 500
    retry = await exportable_api.submit_render("render_once")
    assert retry.json() == {"success": False, "error": "duplicate render id"}


async def test_malformed_json_fault_returns_a_truncated_json_body(api: Api, sim: Simulator) -> None:
    sim.faults.add(Fault(kind=FaultKind.MALFORMED_JSON, endpoint=Endpoint.STATE))
    response = await api.client.get(f"/api/state/nemo_agent/me/{api.session_id}/latest")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        response.json()


async def test_wrong_content_type_fault_returns_an_html_page_even_on_run_sse(
    api: Api, sim: Simulator
) -> None:
    sim.faults.add(Fault(kind=FaultKind.WRONG_CONTENT_TYPE, endpoint=Endpoint.RUN_SSE))
    result = await api.turn("hello")
    assert result.status == 200
    assert result.content_type.startswith("text/html")
    assert sim.stats.turns_started == 0


async def test_delay_fault_slows_the_answer_then_answers_normally(api: Api, sim: Simulator) -> None:
    sim.faults.add(Fault(kind=FaultKind.DELAY, endpoint=Endpoint.CREDITS, seconds=0.2))
    started = asyncio.get_running_loop().time()
    response = await api.client.get("/api/credits/balance/simple")
    assert asyncio.get_running_loop().time() - started >= 0.2
    assert response.json()["code"] == 0


async def test_a_delay_longer_than_the_client_timeout_looks_like_a_timeout(api: Api, sim: Simulator) -> None:
    sim.faults.add(Fault(kind=FaultKind.DELAY, endpoint=Endpoint.CREDITS, seconds=0.5))
    with pytest.raises(httpx.ReadTimeout):
        await api.client.get("/api/credits/balance/simple", timeout=0.1)


@pytest.mark.parametrize("endpoint", [Endpoint.ANONYMOUS_TOKEN, Endpoint.CREDITS])
async def test_rate_limit_fault_is_a_429_code_envelope(api: Api, sim: Simulator, endpoint: Endpoint) -> None:
    sim.faults.add(Fault(kind=FaultKind.RATE_LIMIT, endpoint=endpoint))
    if endpoint is Endpoint.ANONYMOUS_TOKEN:
        response = await api.client.post("/api/auth/anonymous-token", headers={"X-Client-Id": "client-1"})
    else:
        response = await api.client.get("/api/credits/balance/simple")
    assert response.status_code == 429
    assert response.json() == {"code": 429, "message": "rate limited, retry later", "data": None}


async def test_token_expired_fault_makes_the_callers_token_invalid_from_then_on(
    api: Api, sim: Simulator
) -> None:
    sim.faults.add(Fault(kind=FaultKind.TOKEN_EXPIRED, endpoint=Endpoint.RUN_SSE))
    result = await api.turn("hello")
    assert json.loads(result.raw)["code"] == 1001
    assert (await api.client.get("/api/credits/balance/simple")).json()["code"] == 1001
    await api.login()  # same client id: same account, fresh token
    assert (await api.state())["draft"]["t"] == []


async def test_session_gone_fault_deletes_the_session(api: Api, sim: Simulator) -> None:
    sim.faults.add(Fault(kind=FaultKind.SESSION_GONE, endpoint=Endpoint.RUN_SSE))
    assert (await api.turn("hello")).status == 404
    response = await api.client.get(f"/api/state/nemo_agent/me/{api.session_id}/latest")
    assert response.json()["code"] == 1002


async def test_session_gone_on_state_is_1002(api: Api, sim: Simulator) -> None:
    sim.faults.add(Fault(kind=FaultKind.SESSION_GONE))
    response = await api.client.get(f"/api/state/nemo_agent/me/{api.session_id}/latest")
    assert response.json()["code"] == 1002


async def test_faults_that_never_run_out_keep_firing(api: Api, sim: Simulator) -> None:
    sim.faults.add(Fault(kind=FaultKind.HTTP_500, endpoint=Endpoint.CREDITS, status=503, times=None))
    for _ in range(3):
        assert (await api.client.get("/api/credits/balance/simple")).status_code == 503
    sim.faults.clear()
    assert (await api.client.get("/api/credits/balance/simple")).status_code == 200


async def test_an_expiry_fault_waits_for_a_request_that_carries_a_token(api: Api, sim: Simulator) -> None:
    sim.faults.add(Fault(kind=FaultKind.TOKEN_EXPIRED))
    no_token = {"X-Client-Id": "other", "Authorization": ""}
    assert (await api.client.post("/api/auth/anonymous-token", headers=no_token)).status_code == 200
    assert len(sim.faults.pending) == 1
    assert (await api.client.get("/api/credits/balance/simple")).json()["code"] == 1001
