"""Chat turns over ``/run_sse``: events, transcript, heartbeats, errors, timeouts and no re-sends."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest

from core.nemo.client import NemoClient
from core.nemo.errors import (
    AgentError,
    BackendUnavailable,
    InsufficientCredits,
    RateLimited,
    SessionNotFound,
    StreamDropped,
    StreamTimedOut,
)
from core.nemo.events import AgentEvent, Heartbeat, TextChunk, ToolCall, ToolResult
from core.nemo.models import SessionInfo
from core.nemo.transport import NemoTransport
from core.nemo.turn import TurnStream
from simulator import Endpoint, Fault, FaultKind, Scenario, Simulator
from tests.nemo.helpers import (
    RATE_LIMIT_WAIT_S,
    SKILL_HEADERS,
    STATIC_TOKEN,
    RecordingSleep,
    RequestLog,
    bytes_source,
    drain,
    final_texts,
    mock_client,
    read_turn_into,
    run_turn,
    sse_response,
)

# The simulator's canned trailing noise (simulator/turns.py), which the transcript drops.
NOISE = "I encountered a temporary issue. Please try again if anything looks off."


def adk(*parts: dict[str, object], partial: bool = False, role: str = "model") -> bytes:
    """One ADK event as an SSE frame."""
    event: dict[str, object] = {
        "content": {"parts": list(parts), "role": role},
        "author": "nemo_agent",
        "actions": {"stateDelta": {}, "artifactDelta": {}, "requestedAuthConfigs": {}},
    }
    if partial:
        event["partial"] = True
    return f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode()


def typed(payload: dict[str, object]) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()


async def mock_turn(body: bytes, *, seed: int | None = None) -> tuple[TurnStream, list[AgentEvent]]:
    """Run one turn against a canned SSE body (optionally trickled in 1–7 byte pieces)."""
    client, http = mock_client(lambda request: sse_response(body, seed=seed))
    async with http:
        return await run_turn(client, "1", "hi")


async def upload_a_clip(client: NemoClient, session: SessionInfo) -> None:
    await client.upload_files(session.session_id, [bytes_source("clip.mp4", b"\x00" * 1024)])


# Text, thoughts, tools ----------------------------------------------------------------------------


async def test_streamed_text_reaches_the_transcript_exactly_once(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """Partials stream first, the aggregated final replaces them: the final text appears once."""
    sim.force_next_turn(Scenario.CHAT, session_id=session.session_id, noise=False)
    turn, events = await run_turn(client, session.session_id, "what can you do?")
    partials = [e.text for e in events if isinstance(e, TextChunk) and e.partial]
    (final,) = final_texts(events)
    assert len(partials) >= 2
    assert "".join(partials) == final
    assert turn.transcript.text == final
    assert turn.transcript.finish() == final
    assert turn.finished
    assert not turn.silent


async def test_thoughts_are_never_shown(client: NemoClient, session: SessionInfo, sim: Simulator) -> None:
    """``thought`` parts produce no TextChunk and stay out of the transcript."""
    sim.force_next_turn(Scenario.CHAT, session_id=session.session_id, thoughts=True, noise=False)
    turn, events = await run_turn(client, session.session_id, "hello")
    thought = "The user is chatting; no tool needed."
    assert all(thought not in e.text for e in events if isinstance(e, TextChunk))
    assert thought not in turn.transcript.text
    assert turn.transcript.text.startswith("Hi! I'm Nemo")


async def test_tool_calls_are_absorbed_and_every_final_text_shown_once(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """Tool calls and results are events, never transcript text; each of the three replies appears once."""
    sim.config.generation_seconds = sim.config.music_seconds = 10
    sim.force_next_turn(Scenario.GENERATION, session_id=session.session_id, noise=False)
    turn, events = await run_turn(client, session.session_id, "generate a 4 second video of a desert")
    names = [call.name for call in turn.tool_calls]
    assert names == ["generate_video_with_seedance", "generate_music", "edit_multitrack"]
    assert [e.name for e in events if isinstance(e, ToolResult)] == names
    assert [e.name for e in events if isinstance(e, ToolCall)] == names
    finals = final_texts(events)
    assert len(finals) == 3
    assert turn.transcript.text == "\n\n".join(finals)
    for text in finals:
        assert turn.transcript.text.count(text) == 1
    for name in names:
        assert name not in turn.transcript.text


async def test_trailing_backend_noise_is_dropped_from_the_finished_text(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """The canned "I encountered a temporary issue" after a real reply is left out by ``finish()``."""
    sim.force_next_turn(Scenario.CHAT, session_id=session.session_id, noise=True)
    turn, _ = await run_turn(client, session.session_id, "hello")
    assert turn.transcript.text.endswith(NOISE)
    assert NOISE not in turn.transcript.finish()
    assert turn.transcript.finish().startswith("Hi! I'm Nemo")


async def test_the_turn_request_is_the_adk_body_with_attribution(
    client: NemoClient, session: SessionInfo, sent: RequestLog
) -> None:
    """POST /run_sse sends snake_case ADK fields, user ``me``, Accept: text/event-stream and X-Skill-*."""
    await run_turn(client, session.session_id, "hello there")
    (request,) = sent.to("/run_sse")
    assert json.loads(request.content) == {
        "app_name": "nemo_agent",
        "user_id": "me",
        "session_id": session.session_id,
        "new_message": {"parts": [{"text": "hello there"}]},
        "streaming": True,  # ADK's switch for token-level partials
    }
    assert request.headers["Accept"] == "text/event-stream"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Authorization"].startswith("Bearer nmv_usr_")
    assert all(request.headers[name] for name in SKILL_HEADERS)


async def test_iterating_a_turn_outside_async_with_is_refused(
    client: NemoClient, session: SessionInfo
) -> None:
    """A TurnStream must be entered before it is iterated."""
    with pytest.raises(RuntimeError):
        client.turn(session.session_id, "hi").__aiter__()


# Heartbeats ---------------------------------------------------------------------------------------


async def test_every_heartbeat_form_is_accepted_as_liveness() -> None:
    """Comments, blank data, ``data: heartbeat``, typed heartbeat and ``event: heartbeat`` end nothing."""
    body = (
        b": keep-alive\n\n"
        b"data:\n\n"
        b'data: {"type":"heartbeat"}\n\n'
        b"event: heartbeat\n\n"
        b"data: heartbeat\n\n" + adk({"text": "Still here."}) + b'data: "heartbeat"\n\n'
    )
    turn, events = await mock_turn(body)
    assert events == [
        Heartbeat(),
        Heartbeat(),
        Heartbeat(),
        Heartbeat(),
        TextChunk("Still here.", False, "nemo_agent"),
        Heartbeat(),
    ]
    assert turn.transcript.text == "Still here."
    assert turn.finished


async def test_heartbeats_from_the_simulator_do_not_disturb_a_turn(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """A stretch of the simulator's rotating keep-alives before the reply is read through."""
    sim.force_next_turn(
        Scenario.CHAT,
        session_id=session.session_id,
        noise=False,
        faults=[Fault(kind=FaultKind.SSE_HEARTBEATS_ONLY, seconds=0.3)],
    )
    turn, events = await run_turn(client, session.session_id, "hello")
    assert sum(isinstance(e, Heartbeat) for e in events) >= 3
    assert turn.transcript.text.startswith("Hi! I'm Nemo")


async def test_only_heartbeats_for_the_idle_limit_is_an_idle_timeout(
    transport: NemoTransport, client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """With ``sse_idle_timeout_s`` 0.3 and only keep-alives flowing, the turn times out as idle."""
    short = NemoClient(transport, client.tokens, sse_idle_timeout_s=0.3, sse_max_s=30)
    sim.force_next_turn(
        session_id=session.session_id, faults=[Fault(kind=FaultKind.SSE_HEARTBEATS_ONLY, seconds=5.0)]
    )
    started = time.monotonic()
    events: list[AgentEvent] = []
    with pytest.raises(StreamTimedOut) as raised:
        await read_turn_into(short.turn(session.session_id, "hello"), events)
    heartbeats = sum(isinstance(event, Heartbeat) for event in events)
    assert raised.value.idle is True
    assert heartbeats >= 2  # keep-alives flowed, yet they are not progress
    assert 0.25 < time.monotonic() - started < 2.0
    assert sim.stats.run_sse_calls(session.session_id) == 1


async def test_a_turn_longer_than_the_hard_cap_times_out(
    transport: NemoTransport, client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """A generation still working at ``sse_max_s`` raises StreamTimedOut(idle=False)."""
    sim.config.generation_seconds = 2500  # 5 s at the fast time scale
    short = NemoClient(transport, client.tokens, sse_max_s=0.4, sse_idle_timeout_s=30)
    sim.force_next_turn(Scenario.GENERATION, session_id=session.session_id)
    started = time.monotonic()
    with pytest.raises(StreamTimedOut) as raised:
        async with short.turn(session.session_id, "generate a video of a forest") as turn:
            await drain(turn)
    assert raised.value.idle is False
    assert 0.35 < time.monotonic() - started < 2.0
    assert turn.transcript.has_text  # the opening reply arrived before the cap
    assert sim.stats.run_sse_calls(session.session_id) == 1


# Errors inside and before the stream --------------------------------------------------------------


async def test_an_error_inside_the_stream_raises_agent_error(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """``data: {"error": …}`` after the first output becomes AgentError carrying the message."""
    sim.force_next_turn(
        Scenario.CHAT,
        session_id=session.session_id,
        faults=[Fault(kind=FaultKind.SSE_ERROR, message="model backend unavailable")],
    )
    seen: list[AgentEvent] = []
    with pytest.raises(AgentError) as raised:
        await read_turn_into(client.turn(session.session_id, "hello"), seen)
    assert "model backend unavailable" in str(raised.value)
    assert any(isinstance(e, TextChunk) for e in seen)  # what came before the error was delivered


async def test_a_credits_error_inside_the_stream_raises_insufficient_credits(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """An in-stream 2001 (``errorCode: "2001"``) is InsufficientCredits, not a generic agent error."""
    sim.force_next_turn(Scenario.CHAT, session_id=session.session_id, faults=[FaultKind.SSE_CREDITS_ERROR])
    with pytest.raises(InsufficientCredits) as raised:
        async with client.turn(session.session_id, "hello") as turn:
            await drain(turn)
    assert raised.value.code == 2001


async def test_a_turn_the_account_cannot_pay_for_is_refused_with_2001(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """With no credits left the turn is refused before streaming: InsufficientCredits, sent once."""
    assert session.user_id is not None
    sim.set_credits(session.user_id, 0)
    with pytest.raises(InsufficientCredits):
        async with client.turn(session.session_id, "hello"):
            pass
    assert sim.stats.run_sse_calls(session.session_id) == 1
    assert sim.stats.turns_started == 0


@pytest.mark.parametrize("reply", ["adk_404", "code_1002"])
async def test_a_missing_session_on_run_sse_is_session_not_found(
    client: NemoClient, session: SessionInfo, sim: Simulator, reply: str
) -> None:
    """Both missing-session replies (ADK 404 ``detail`` and code 1002) raise SessionNotFound."""
    sim.config.missing_session_reply = reply  # type: ignore[assignment]
    sim.delete_session(session.session_id)
    with pytest.raises(SessionNotFound):
        async with client.turn(session.session_id, "hello"):
            pass
    assert sim.stats.run_sse_calls(session.session_id) == 1


async def test_a_non_stream_answer_is_backend_unavailable(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """An HTML page instead of an event stream raises BackendUnavailable and is not re-sent."""
    sim.faults.add(Fault(kind=FaultKind.WRONG_CONTENT_TYPE, endpoint=Endpoint.RUN_SSE))
    with pytest.raises(BackendUnavailable):
        async with client.turn(session.session_id, "hello"):
            pass
    assert sim.stats.run_sse_calls(session.session_id) == 1


# Refusals before acceptance: the only repeat ------------------------------------------------------


async def test_a_1001_refusal_before_acceptance_is_sent_once_more_with_a_new_token(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """The expired token is renewed and the turn asked for again: two requests, one accepted turn."""
    old = await client.tokens.get()
    sim.expire_token(old)
    turn, _ = await run_turn(client, session.session_id, "hello")
    assert turn.transcript.has_text
    assert await client.tokens.get() != old
    assert sim.stats.run_sse_calls(session.session_id) == 2
    assert sim.stats.turns_started == 1


async def test_a_token_expiry_fault_on_run_sse_is_renewed_once(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """FaultKind.TOKEN_EXPIRED on /run_sse: the refusal is retried once and only one turn runs."""
    sim.faults.add(Fault(kind=FaultKind.TOKEN_EXPIRED, endpoint=Endpoint.RUN_SSE))
    turn, _ = await run_turn(client, session.session_id, "hello")
    assert turn.finished
    assert sim.stats.run_sse_calls(session.session_id) == 2
    assert sim.stats.turns_started == 1


async def test_a_429_refusal_before_acceptance_waits_and_asks_once_more(
    client: NemoClient, session: SessionInfo, sim: Simulator, sleeps: RecordingSleep
) -> None:
    """A rate-limited turn waits NEMO_RATE_LIMIT_WAIT_S, is asked for once more, and runs once."""
    sim.faults.add(Fault(kind=FaultKind.RATE_LIMIT, endpoint=Endpoint.RUN_SSE))
    turn, _ = await run_turn(client, session.session_id, "hello")
    assert turn.finished
    assert sleeps.calls == [RATE_LIMIT_WAIT_S]
    assert sim.stats.run_sse_calls(session.session_id) == 2
    assert sim.stats.turns_started == 1


# Drops: never re-sent -----------------------------------------------------------------------------


async def test_a_drop_after_text_is_reported_and_never_re_sent(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """StreamDropped(saw_text=True); one request; the turn finishes server-side and the state changes."""
    sim.config.generation_seconds = sim.config.music_seconds = 10
    before = await client.state(session.session_id)
    sim.force_next_turn(
        Scenario.GENERATION, session_id=session.session_id, faults=[FaultKind.SSE_DROP_AFTER_TEXT]
    )
    with pytest.raises(StreamDropped) as raised:
        async with client.turn(session.session_id, "generate a 4 second video of a lake") as turn:
            await drain(turn)
    assert raised.value.saw_text is True
    assert turn.transcript.has_text
    await sim.wait_idle(10)
    after = await client.state(session.session_id)
    assert after.draft != before.draft
    assert sim.stats.run_sse_calls(session.session_id) == 1
    assert (sim.stats.turns_started, sim.stats.turns_completed, sim.stats.sse_drops) == (1, 1, 1)


async def test_a_drop_before_any_text_is_reported_and_never_re_sent(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """A stream cut before its first event raises StreamDropped(saw_text=False); the turn still completes."""
    sim.config.generation_seconds = sim.config.music_seconds = 10
    sim.force_next_turn(
        Scenario.GENERATION, session_id=session.session_id, faults=[FaultKind.SSE_DROP_BEFORE_TEXT]
    )
    with pytest.raises(StreamDropped) as raised:
        async with client.turn(session.session_id, "generate a 4 second video of a lake") as turn:
            await drain(turn)
    assert raised.value.saw_text is False
    await sim.wait_idle(10)
    assert (await client.state(session.session_id)).draft["t"]  # type: ignore[index]
    assert sim.stats.run_sse_calls(session.session_id) == 1
    assert sim.stats.turns_started == 1


async def test_a_silent_edit_ends_without_text_and_changes_the_state(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """A tools-only turn is ``silent``; the change shows up in the state."""
    await upload_a_clip(client, session)
    before = await client.state(session.session_id)
    sim.force_next_turn(Scenario.SILENT_EDIT, session_id=session.session_id)
    turn, events = await run_turn(client, session.session_id, "add a title")
    assert turn.silent is True
    assert not any(isinstance(e, TextChunk) for e in events)
    assert turn.tool_calls
    after = await client.state(session.session_id)
    assert after.draft != before.draft


async def test_a_turn_is_not_silent_before_it_has_finished(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """``silent`` stays False while the stream is still open."""
    sim.config.generation_seconds = 10
    sim.force_next_turn(Scenario.GENERATION, session_id=session.session_id)
    async with client.turn(session.session_id, "generate a video of a city") as turn:
        async for _ in turn:
            assert turn.silent is False
            break
    await sim.wait_idle(10)


# Shapes the simulator does not emit ---------------------------------------------------------------


async def test_type_keyed_simplified_events_are_understood() -> None:
    """The v4.4 ``{"type": …}`` shape yields text, tool call, tool result and heartbeat events."""
    body = (
        typed({"type": "text", "content": "Generating now."})
        + typed({"type": "tool_call", "name": "generate_video_with_seedance", "args": {"duration": 5}})
        + typed({"type": "heartbeat"})
        + typed(
            {"type": "tool_result", "name": "generate_video_with_seedance", "result": {"status": "success"}}
        )
        + typed({"type": "text", "content": "Your video is ready!"})
        + typed({"type": "done"})
    )
    turn, events = await mock_turn(body)
    assert events == [
        TextChunk("Generating now.", False, None),
        ToolCall("generate_video_with_seedance", None, {"duration": 5}),
        Heartbeat(),
        ToolResult("generate_video_with_seedance", None, {"status": "success"}),
        TextChunk("Your video is ready!", False, None),
    ]
    assert turn.transcript.text == "Generating now.\n\nYour video is ready!"
    assert [call.name for call in turn.tool_calls] == ["generate_video_with_seedance"]


async def test_a_type_keyed_error_event_raises() -> None:
    """``{"type": "error", …}`` ends the turn with AgentError; with code 2001 it is InsufficientCredits."""
    with pytest.raises(AgentError, match="boom"):
        await mock_turn(
            typed({"type": "text", "content": "Hi"}) + typed({"type": "error", "message": "boom"})
        )
    with pytest.raises(InsufficientCredits):
        await mock_turn(typed({"type": "error", "message": "no credits", "code": 2001}))


async def test_a_model_error_code_inside_an_event_raises_agent_error_with_the_code() -> None:
    """ADK's ``errorCode``/``errorMessage`` (e.g. SAFETY) becomes AgentError carrying that code."""
    body = adk({"text": "Partial"}) + b'data: {"errorCode":"SAFETY","errorMessage":"blocked"}\n\n'
    with pytest.raises(AgentError) as raised:
        await mock_turn(body)
    assert raised.value.code == "SAFETY"


def _rich_stream() -> bytes:
    """Partials, a thought, Chinese text, tool events, every heartbeat, CRLF and LF line ends."""
    return (
        b": keep-alive\r\n\r\n"
        + adk({"text": "好的，正在"}, partial=True)
        + adk({"text": "生成视频。"}, partial=True)
        + adk({"text": "好的，正在生成视频。"})
        + adk({"text": "thinking about it", "thought": True})
        + adk(
            {
                "functionCall": {
                    "id": "adk-1",
                    "name": "generate_video_with_seedance",
                    "args": {"prompt": "海"},
                }
            }
        )
        + b"data:\n\n"
        + b'data: {"type":"heartbeat"}\r\n\r\n'
        + b"event: heartbeat\n\n"
        + b"data: heartbeat\n\n"
        + adk(
            {"functionResponse": {"id": "adk-1", "name": "generate_video_with_seedance", "response": {}}},
            role="user",
        )
        + adk({"text": "Your video is ready — 准备好了！"})
    )


@pytest.mark.parametrize("seed", range(6))
async def test_sse_split_across_arbitrary_chunk_boundaries_parses_the_same(seed: int) -> None:
    """The same stream delivered in random 1–7 byte pieces gives the same events and text as in one piece."""
    whole_turn, whole = await mock_turn(_rich_stream())
    trickled_turn, trickled = await mock_turn(_rich_stream(), seed=seed)
    assert trickled == whole
    assert (
        trickled_turn.transcript.text
        == whole_turn.transcript.text
        == ("好的，正在生成视频。\n\nYour video is ready — 准备好了！")
    )
    assert "thinking about it" not in trickled_turn.transcript.text
    assert sum(isinstance(e, Heartbeat) for e in trickled) == 4


async def test_a_turn_request_refused_by_a_mock_backend_with_429_twice_raises(sleeps: RecordingSleep) -> None:
    """Two 429 refusals of the same turn: one wait, then RateLimited; nothing was accepted."""
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(429, json={"code": 429, "message": "slow down"})

    client, http = mock_client(handler, sleep=sleeps, rate_limit_wait_s=RATE_LIMIT_WAIT_S)
    async with http:
        with pytest.raises(RateLimited):
            async with client.turn("1", "hi"):
                pass
    assert len(calls) == 2
    assert sleeps.calls == [RATE_LIMIT_WAIT_S]
    assert calls[0].headers["Authorization"] == f"Bearer {STATIC_TOKEN}"


async def test_leaving_a_turn_early_closes_the_stream(
    client: NemoClient, session: SessionInfo, sim: Simulator
) -> None:
    """Breaking out of a turn closes the connection; the simulator's turn carries on detached."""
    sim.config.generation_seconds = 10
    sim.force_next_turn(Scenario.GENERATION, session_id=session.session_id)
    async with client.turn(session.session_id, "generate a video of a bridge") as turn:
        async for _ in turn:
            break
    await asyncio.wait_for(sim.wait_idle(10), 10)
    assert sim.stats.turns_completed == 1
    assert sim.stats.run_sse_calls(session.session_id) == 1
