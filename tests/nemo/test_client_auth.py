"""Authentication against the simulator: anonymous tokens, client ids, 1001 renewal and 429 waits."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from core.nemo.auth import AnonymousTokens, StaticToken, request_anonymous_token
from core.nemo.client import NemoClient
from core.nemo.errors import AuthError, ClientIdMissing, RateLimited
from core.nemo.models import AnonymousToken, SessionInfo
from core.nemo.transport import NemoTransport
from simulator import Endpoint, Fault, FaultKind, Simulator
from tests.nemo.helpers import RATE_LIMIT_WAIT_S, SKILL_HEADERS, WEB_URL, RecordingSleep, RequestLog

TOKEN_PATH = "/api/auth/anonymous-token"


def account_of(sim: Simulator, token: str) -> tuple[str, str]:
    """(user id, client id) of the account a token belongs to, as the simulator sees it."""
    account = sim.backend.accounts.authenticate(token)
    assert account is not None, "token not live"
    return account.user_id, account.client_id


async def test_the_anonymous_token_call_sends_the_client_id_and_attribution(
    client: NemoClient, tokens: AnonymousTokens, client_id: str, sent: RequestLog, sim: Simulator
) -> None:
    """The first call fetches a token with X-Client-Id and the X-Skill-* headers, and no Authorization."""
    await client.credits()
    (request,) = sent.to(TOKEN_PATH)
    assert request.headers["X-Client-Id"] == client_id
    assert all(request.headers[name] for name in SKILL_HEADERS)
    assert "Authorization" not in request.headers
    token = await tokens.get()
    assert token.startswith("nmv_usr_")
    assert account_of(sim, token)[1] == client_id


async def test_the_anonymous_token_endpoint_answers_400_without_a_client_id(
    http: httpx.AsyncClient, transport: NemoTransport
) -> None:
    """Raw, the endpoint answers 400 without X-Client-Id; the client maps that to ClientIdMissing."""
    response = await http.post(transport.url(TOKEN_PATH), headers=transport.headers(None))
    assert response.status_code == 400
    assert response.json()["code"] == 400
    with pytest.raises(ClientIdMissing):
        await transport.call("POST", TOKEN_PATH, token=None)


async def test_the_token_response_is_parsed_with_user_id_expiry_and_credits(transport: NemoTransport) -> None:
    """``request_anonymous_token`` reads token, anon user id, expiry and the 100-style credit grant."""
    token = await request_anonymous_token(transport, "client-parse")
    assert token.token.startswith("nmv_usr_")
    assert token.user_id is not None
    assert token.user_id.startswith("anon_")
    assert token.expires_at is not None
    assert token.expires_at.tzinfo is not None
    assert token.credits == 1000


async def test_one_token_serves_every_call_and_is_handed_to_on_token_once(
    client: NemoClient, session: SessionInfo, sent: RequestLog, issued: list[AnonymousToken]
) -> None:
    """Several calls share one token: one anonymous-token request, one on_token callback."""
    await client.credits()
    await client.state(session.session_id)
    assert len(sent.to(TOKEN_PATH)) == 1
    assert len(issued) == 1
    assert issued[0].user_id == session.user_id


async def test_a_persisted_token_is_reused_without_asking_for_a_new_one(
    transport: NemoTransport, sim: Simulator, sent: RequestLog
) -> None:
    """A token loaded from storage (``current=``) is used as is; no anonymous-token call is made."""
    stored = await request_anonymous_token(transport, "client-stored")
    sent.requests.clear()
    tokens = AnonymousTokens(transport, "client-stored", current=stored)
    client = NemoClient(transport, tokens)
    await client.credits()
    assert sent.to(TOKEN_PATH) == []
    assert sent.requests[0].headers["Authorization"] == f"Bearer {stored.token}"
    assert tokens.anonymous_user_id == stored.user_id


async def test_a_persisted_client_id_gets_back_the_same_anonymous_account(
    transport: NemoTransport, sim: Simulator, sent: RequestLog
) -> None:
    """After a restart with only the client id kept, the new token belongs to the same anon user."""
    first = AnonymousTokens(transport, "persisted-client")
    before = account_of(sim, await first.get())
    restarted = AnonymousTokens(transport, "persisted-client")
    after = account_of(sim, await restarted.get())
    assert after == before == (first.anonymous_user_id, "persisted-client")
    assert sim.stats.accounts_created == 1
    assert {r.headers["X-Client-Id"] for r in sent.to(TOKEN_PATH)} == {"persisted-client"}


async def test_a_persisted_token_past_its_expiry_is_replaced_before_use(
    transport: NemoTransport, sim: Simulator, sent: RequestLog, issued: list[AnonymousToken]
) -> None:
    """A stored token whose ``expires_at`` has passed is re-acquired (same client id) before any call."""
    stored = await request_anonymous_token(transport, "stale-client")
    stale = AnonymousToken(stored.token, stored.user_id, datetime.now(UTC) - timedelta(hours=1), None)
    sent.requests.clear()

    async def remember(token: AnonymousToken) -> None:
        issued.append(token)

    tokens = AnonymousTokens(transport, "stale-client", current=stale, on_token=remember)
    await NemoClient(transport, tokens).credits()
    assert len(sent.to(TOKEN_PATH)) == 1
    assert sim.stats.requests[Endpoint.CREDITS] == 1  # no 1001 round trip was needed
    assert issued[0].token != stored.token
    assert issued[0].user_id == stored.user_id


async def test_an_expired_token_is_renewed_with_the_same_client_id_and_the_call_succeeds(
    client: NemoClient,
    tokens: AnonymousTokens,
    session: SessionInfo,
    sim: Simulator,
    sent: RequestLog,
    client_id: str,
    issued: list[AnonymousToken],
) -> None:
    """A 1001 mid-session re-acquires a token for the same client id and anon user, then retries once."""
    old = await tokens.get()
    sim.expire_token(old)
    sent.requests.clear()

    state = await client.state(session.session_id)

    assert state.draft is not None
    new = await tokens.get()
    assert new != old
    assert account_of(sim, new) == (session.user_id, client_id)
    assert [r.headers["X-Client-Id"] for r in sent.to(TOKEN_PATH)] == [client_id]
    assert sim.stats.requests[Endpoint.STATE] == 2  # the refused call and exactly one retry
    assert sim.stats.accounts_created == 1
    assert [token.token for token in issued] == [old, new]
    assert issued[1].user_id == session.user_id


async def test_a_token_expiry_fault_is_recovered_by_one_retry(
    client: NemoClient, session: SessionInfo, sim: Simulator, tokens: AnonymousTokens, client_id: str
) -> None:
    """FaultKind.TOKEN_EXPIRED on the credits call: renewed token, same client id, two requests in all."""
    old = await tokens.get()
    sim.faults.add(Fault(kind=FaultKind.TOKEN_EXPIRED, endpoint=Endpoint.CREDITS))
    credits = await client.credits()
    assert credits.available == 1000
    assert sim.stats.requests[Endpoint.CREDITS] == 2
    assert sim.stats.faults_fired[FaultKind.TOKEN_EXPIRED] == 1
    new = await tokens.get()
    assert new != old
    assert account_of(sim, new)[1] == client_id


async def test_a_second_1001_in_a_row_is_raised(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """When the renewed token is refused too, the AuthError reaches the caller after one retry."""
    sim.faults.add(Fault(kind=FaultKind.TOKEN_EXPIRED, endpoint=Endpoint.STATE, times=2))
    with pytest.raises(AuthError):
        await client.state(session.session_id)
    assert sim.stats.requests[Endpoint.STATE] == 2


async def test_a_static_token_that_is_refused_raises_auth_error(
    transport: NemoTransport, sim: Simulator, sent: RequestLog
) -> None:
    """An operator token cannot be renewed: 1001 becomes AuthError, with no anonymous-token call."""
    token = await request_anonymous_token(transport, "operator")
    sim.expire_token(token.token)
    sent.requests.clear()
    client = NemoClient(transport, StaticToken(token.token))
    with pytest.raises(AuthError) as raised:
        await client.credits()
    assert raised.value.code == 1001
    assert sent.to(TOKEN_PATH) == []
    assert sim.stats.requests[Endpoint.CREDITS] == 1


async def test_a_static_token_never_shows_in_its_repr() -> None:
    """``repr(StaticToken)`` is redacted."""
    assert "nmv_usr_secret" not in repr(StaticToken("nmv_usr_secret"))


async def test_a_429_waits_the_configured_time_and_retries_once(
    client: NemoClient, session: SessionInfo, sim: Simulator, sleeps: RecordingSleep
) -> None:
    """One 429 costs one wait of NEMO_RATE_LIMIT_WAIT_S and one retry, then the call succeeds."""
    sim.faults.add(Fault(kind=FaultKind.RATE_LIMIT, endpoint=Endpoint.CREDITS))
    credits = await client.credits()
    assert credits.total == 1000
    assert sleeps.calls == [RATE_LIMIT_WAIT_S]
    assert sim.stats.requests[Endpoint.CREDITS] == 2


async def test_a_second_429_raises_rate_limited(
    client: NemoClient, session: SessionInfo, sim: Simulator, sleeps: RecordingSleep
) -> None:
    """Two 429s in a row: one wait, one retry, then RateLimited."""
    sim.faults.add(Fault(kind=FaultKind.RATE_LIMIT, endpoint=Endpoint.STATE, times=2))
    with pytest.raises(RateLimited):
        await client.state(session.session_id)
    assert sleeps.calls == [RATE_LIMIT_WAIT_S]
    assert sim.stats.requests[Endpoint.STATE] == 2


async def test_a_429_carried_only_as_a_code_is_waited_out_too(
    client: NemoClient, session: SessionInfo, sim: Simulator, sleeps: RecordingSleep
) -> None:
    """HTTP 200 with ``code: 429`` is the same rate limit as HTTP 429."""
    sim.config.error_http_status = {}
    sim.faults.add(Fault(kind=FaultKind.RATE_LIMIT, endpoint=Endpoint.CREDITS, times=2))
    with pytest.raises(RateLimited) as raised:
        await client.credits()
    assert raised.value.http_status == 200
    assert sleeps.calls == [RATE_LIMIT_WAIT_S]


async def test_a_429_on_the_anonymous_token_call_is_waited_out_once(
    client: NemoClient, sim: Simulator, sleeps: RecordingSleep, issued: list[AnonymousToken]
) -> None:
    """Token acquisition waits once after a 429, asks again with the same client id, and proceeds."""
    sim.faults.add(Fault(kind=FaultKind.RATE_LIMIT, endpoint=Endpoint.ANONYMOUS_TOKEN))
    info = await client.create_session()
    assert info.session_id
    assert sleeps.calls == [RATE_LIMIT_WAIT_S]
    assert sim.stats.requests[Endpoint.ANONYMOUS_TOKEN] == 2
    assert len(issued) == 1


async def test_two_429s_on_the_anonymous_token_call_raise_rate_limited(
    client: NemoClient, sim: Simulator, sleeps: RecordingSleep, issued: list[AnonymousToken]
) -> None:
    """A second 429 for the token is not waited out again: RateLimited, and no call is made."""
    sim.faults.add(Fault(kind=FaultKind.RATE_LIMIT, endpoint=Endpoint.ANONYMOUS_TOKEN, times=2))
    with pytest.raises(RateLimited):
        await client.credits()
    assert sleeps.calls == [RATE_LIMIT_WAIT_S]
    assert sim.stats.requests[Endpoint.CREDITS] == 0
    assert issued == []


async def test_the_per_client_token_quota_429_surfaces_as_rate_limited(
    transport: NemoTransport, sim: Simulator, sleeps: RecordingSleep
) -> None:
    """With the strict one-token-per-client policy a second acquisition is refused (wait, retry, raise)."""
    sim.config.known_client_policy = "rate_limit"
    await request_anonymous_token(transport, "quota-client")
    tokens = AnonymousTokens(transport, "quota-client", rate_limit_wait_s=RATE_LIMIT_WAIT_S, sleep=sleeps)
    with pytest.raises(RateLimited):
        await tokens.get()
    assert sleeps.calls == [RATE_LIMIT_WAIT_S]


async def test_concurrent_calls_renew_a_rejected_token_only_once(
    client: NemoClient, tokens: AnonymousTokens, session: SessionInfo, sim: Simulator, sent: RequestLog
) -> None:
    """Two calls hit by the same expiry share one renewal (the token source is locked)."""
    sim.expire_token(await tokens.get())
    sent.requests.clear()
    await asyncio.gather(client.credits(), client.state(session.session_id))
    assert len(sent.to(TOKEN_PATH)) == 1


async def test_the_register_link_binds_the_anonymous_user(client: NemoClient, session: SessionInfo) -> None:
    """``register_link`` carries ``?bind=anon_…`` once a token was acquired."""
    assert client.register_link() == f"{WEB_URL}/register?bind={session.user_id}"
    assert NemoClient(client.transport, StaticToken("nmv_usr_x"), web_url=WEB_URL).register_link() == (
        f"{WEB_URL}/register"
    )


async def test_a_400_for_a_missing_client_id_generates_one_persists_it_and_retries_once(
    transport: NemoTransport, sim: Simulator, sent: RequestLog
) -> None:
    """A blank stored client id draws 400; a fresh UUID is generated, handed over, and used once."""
    persisted: list[str] = []

    async def remember(client_id: str) -> None:
        persisted.append(client_id)

    tokens = AnonymousTokens(transport, "", on_client_id=remember)
    token = await tokens.get()
    [new_id] = persisted
    assert tokens.client_id == new_id
    assert len(new_id) == 36
    assert account_of(sim, token)[1] == new_id
    assert [r.headers.get("X-Client-Id", "") for r in sent.to(TOKEN_PATH)] == ["", new_id]


async def test_an_unusable_client_id_is_replaced_the_same_way(
    transport: NemoTransport, sent: RequestLog
) -> None:
    """Over 64 characters the backend refuses it with 400 as well: one new id, one more request."""
    tokens = AnonymousTokens(transport, "x" * 100)
    await tokens.get()
    assert len(sent.to(TOKEN_PATH)) == 2
    assert tokens.client_id != "x" * 100


async def test_the_bind_id_falls_back_to_the_state_answer(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """With no user id from the token or session answers, the state's ``user_id`` feeds ``?bind=``."""
    bare = NemoClient(client.transport, StaticToken("nmv_usr_x"), web_url=WEB_URL)
    bare.state_user_id = "anon_from_state"
    assert bare.register_link() == f"{WEB_URL}/register?bind=anon_from_state"
    bare.state_user_id = "usr_registered"  # a registered user id is never a bind id
    assert bare.register_link() == f"{WEB_URL}/register"
    await client.state(session.session_id)
    assert client.state_user_id == session.user_id
