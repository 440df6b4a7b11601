"""Anonymous tokens, bearer auth (1001), rate limits and claim tokens."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from simulator import Simulator
from tests.simulator.helpers import Api

TOKEN = re.compile(r"^nmv_usr_[A-Za-z0-9_-]{40}$")
AUTHED_CALLS = [
    ("GET", "/api/credits/balance/simple"),
    ("POST", "/api/tasks/me/with-session/nemo_agent"),
    ("GET", "/api/state/nemo_agent/me/1234567890123456789/latest"),
    ("POST", "/run_sse"),
    ("POST", "/api/upload-video/nemo_agent/me/1234567890123456789"),
    ("POST", "/api/render/proxy/lambda"),
    ("GET", "/api/render/proxy/lambda/render_1"),
    ("POST", "/api/auth/claim-token"),
]


async def test_anonymous_token_returns_token_user_expiry_and_100_credits(anon: Api, sim: Simulator) -> None:
    sim.config.initial_credits = 100
    body = await anon.login()
    data = body["data"]
    assert TOKEN.match(data["token"])
    assert re.match(r"^anon_[0-9a-f]+$", data["user_id"])
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", data["expires_at"])
    assert data["credits"] == 100


async def test_anonymous_token_without_client_id_is_a_400_code_envelope(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/auth/anonymous-token")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 400
    assert body["data"] is None
    assert "X-Client-Id" in body["message"]


async def test_same_client_id_gets_a_fresh_token_for_the_same_account(anon: Api, sim: Simulator) -> None:
    first = (await anon.login("device-A"))["data"]
    second = (await anon.login("device-A"))["data"]
    assert second["user_id"] == first["user_id"]
    assert second["token"] != first["token"]
    assert sim.stats.accounts_created == 1
    assert sim.stats.tokens_issued == 2


async def test_a_new_client_id_gets_a_new_account(anon: Api) -> None:
    first = (await anon.login("device-A"))["data"]
    second = (await anon.login("device-B"))["data"]
    assert second["user_id"] != first["user_id"]


async def test_rate_limit_policy_refuses_a_second_token_while_the_first_lives(
    anon: Api, sim: Simulator
) -> None:
    sim.config.known_client_policy = "rate_limit"
    await anon.login("device-A")
    response = await anon.client.post("/api/auth/anonymous-token", headers={"X-Client-Id": "device-A"})
    assert response.status_code == 429
    assert response.json()["code"] == 429


async def test_per_ip_cap_answers_429_after_the_configured_number_of_new_accounts(
    anon: Api, sim: Simulator
) -> None:
    sim.config.new_accounts_per_ip = 2
    await anon.login("a")
    await anon.login("b")
    response = await anon.client.post("/api/auth/anonymous-token", headers={"X-Client-Id": "c"})
    assert (response.status_code, response.json()["code"]) == (429, 429)
    # A known client id is not a new account, so it still gets a token.
    assert (await anon.login("a"))["code"] == 0


@pytest.mark.parametrize(("method", "path"), AUTHED_CALLS)
@pytest.mark.parametrize("authorization", [None, "Bearer nmv_usr_unknown", "Basic abc"])
async def test_missing_or_unknown_token_is_code_1001_on_http_200(
    client: httpx.AsyncClient, method: str, path: str, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = await client.request(method, path, headers=headers, json={})
    assert response.status_code == 200
    assert response.json() == {"code": 1001, "message": "token invalid or expired", "data": None}


async def test_expired_token_is_1001_and_the_same_client_id_gets_the_account_back(
    api: Api, sim: Simulator
) -> None:
    sim.config.token_ttl_seconds = 0.05
    await api.login()  # this token lives 50 ms
    user_id = api.user_id
    await asyncio.sleep(0.1)
    response = await api.client.get("/api/credits/balance/simple")
    assert response.json()["code"] == 1001
    sim.config.token_ttl_seconds = 3600
    await api.login()
    assert api.user_id == user_id
    assert (await api.state())["draft"]["t"] == []  # the old session is still reachable


async def test_http_status_of_an_error_code_is_configurable(api: Api, sim: Simulator) -> None:
    sim.config.error_http_status[1001] = 401
    response = await api.client.get("/api/credits/balance/simple", headers={"Authorization": "Bearer x"})
    assert (response.status_code, response.json()["code"]) == (401, 1001)


async def test_claim_token_is_clm_prefixed_lives_a_week_and_is_reused(api: Api) -> None:
    body = {"task_id": api.task_id, "session_id": api.session_id}
    first = (await api.client.post("/api/auth/claim-token", json=body)).json()
    second = (await api.client.post("/api/auth/claim-token", json=body)).json()
    assert first["code"] == 0
    assert first["data"]["claim_token"].startswith("clm_")
    assert first["data"]["expires_in"] == 604800
    assert second["data"]["claim_token"] == first["data"]["claim_token"]


async def test_claim_token_for_another_users_session_is_1002(api: Api, client: httpx.AsyncClient) -> None:
    body = {"task_id": api.task_id, "session_id": api.session_id}
    await api.login("someone-else")
    response = await client.post("/api/auth/claim-token", json=body)
    assert response.json()["code"] == 1002


async def test_claim_token_with_a_mismatched_task_is_refused(api: Api) -> None:
    body = {"task_id": "task_nope", "session_id": api.session_id}
    response = await api.client.post("/api/auth/claim-token", json=body)
    assert response.json()["code"] == 1002
