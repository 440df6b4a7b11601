"""Chat turns through the core against the simulator: streaming, silent edits, drops, errors."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from core.chat import Action
from simulator import Fault, FaultKind, Scenario
from tests.flows.conftest import CHAT, Harness


async def test_streamed_text_is_shown_once_in_one_edited_message(harness: Harness) -> None:
    """Partial chunks and the aggregated final event become one message, text not repeated."""
    harness.sim.force_next_turn(Scenario.CHAT)
    texts = await harness.say("hello there, what can you do?")
    assert len(texts) == 1
    reply = harness.out.messages[-1]
    assert reply.final
    assert len(reply.history) >= 2, "the reply was streamed by edits"
    first_sentence = reply.text.split(".")[0]
    assert reply.text.count(first_sentence) == 1


async def test_a_generation_turn_offers_export_and_translates_gui_language(harness: Harness) -> None:
    """GUI instructions like "click Export" become chat actions, offered as buttons."""
    harness.sim.force_next_turn(Scenario.GENERATION)
    await harness.say("make a 10 second video of a city at night")
    reply = harness.out.messages[-1]
    assert "click" not in reply.text.lower()
    assert Action.EXPORT in reply.buttons
    assert "Video:" in reply.text  # the timeline the agent asked to "preview" is listed


async def test_a_silent_edit_is_summarised_from_the_draft_diff(harness: Harness) -> None:
    """A turn with no text at all reports what changed in the draft."""
    harness.sim.force_next_turn(Scenario.GENERATION)
    await harness.say("make a video of waves")
    harness.sim.force_next_turn(Scenario.SILENT_EDIT)
    texts = await harness.say('add a title "Blue Hour"')
    assert len(texts) == 1
    assert "Blue Hour" in texts[0]
    assert Action.EXPORT in harness.out.messages[-1].buttons


@pytest.mark.parametrize("fault", [FaultKind.SSE_DROP_AFTER_TEXT, FaultKind.SSE_DROP_BEFORE_TEXT])
async def test_a_dropped_stream_is_recovered_from_state_without_a_resend(
    harness: Harness, fault: FaultKind
) -> None:
    """After a drop the bot reads state until it changes, and sends the turn exactly once."""
    harness.sim.force_next_turn(Scenario.GENERATION, faults=[fault])
    texts = await harness.say("make a video of a forest")
    session_id = await harness.session_id()
    assert harness.sim.stats.run_sse_calls(session_id) == 1
    assert "Added a video track" in texts[-1], texts
    assert "title" in texts[-1], "the report waits for post-production to finish"


async def test_a_turn_that_never_changes_anything_after_a_drop_ends_with_a_clear_message(
    harness: Harness,
) -> None:
    """No change after the recovery reads: the user is told, and nothing is re-sent."""
    harness.sim.force_next_turn(Scenario.CHAT, faults=[FaultKind.SSE_DROP_BEFORE_TEXT])
    texts = await harness.say("hello")
    assert harness.sim.stats.run_sse_calls(await harness.session_id()) == 1
    assert texts
    assert "again" in texts[-1].lower()


@pytest.mark.parametrize("settings_changes", [{"nemo_sse_idle_timeout_s": 0.3}])
async def test_heartbeats_only_times_out_with_a_clear_message(harness: Harness) -> None:
    """A stream of nothing but heartbeats ends the turn with a timeout message, never silence."""
    harness.sim.force_next_turn(
        Scenario.CHAT, faults=[Fault(kind=FaultKind.SSE_HEARTBEATS_ONLY, seconds=3.0)]
    )
    texts = await harness.say("hello")
    assert texts
    assert harness.sim.stats.run_sse_calls(await harness.session_id()) == 1


async def test_a_mid_stream_error_is_reported_without_raw_json(harness: Harness) -> None:
    """``{"error": …}`` in the stream ends the turn with a friendly message."""
    harness.sim.force_next_turn(
        Scenario.CHAT, faults=[Fault(kind=FaultKind.SSE_ERROR, message="model exploded")]
    )
    texts = await harness.say("hello")
    assert texts
    assert "{" not in texts[-1]


async def test_insufficient_credits_gives_the_registration_link_with_the_anonymous_id(
    harness: Harness,
) -> None:
    """2001 for an anonymous chat links to registration with ``?bind=anon_…``."""
    harness.sim.force_next_turn(Scenario.CHAT, faults=[FaultKind.INSUFFICIENT_CREDITS])
    texts = await harness.say("make a video of a cat")
    assert "register?bind=anon_" in texts[-1]


async def test_insufficient_credits_mid_turn_also_links_to_registration(harness: Harness) -> None:
    """An in-stream 2001 is the same credits problem, not a generic error."""
    harness.sim.force_next_turn(Scenario.GENERATION, faults=[FaultKind.SSE_CREDITS_ERROR])
    texts = await harness.say("make a video of a cat")
    assert "register?bind=anon_" in texts[-1]


async def test_an_expired_token_is_renewed_and_the_turn_goes_through(harness: Harness) -> None:
    """1001 on a call re-acquires a token with the same client id; the user sees a normal reply."""
    await harness.say("hello")
    record = await harness.store.get_chat(CHAT)
    assert record is not None
    assert record.token
    client_id, old_token = record.client_id, record.token
    harness.sim.expire_token(old_token)
    texts = await harness.say("hello again")
    record = await harness.store.get_chat(CHAT)
    assert record is not None
    assert record.client_id == client_id
    assert record.token != old_token
    assert texts
    assert "token" not in texts[-1].lower()


async def test_a_lost_session_is_replaced_and_the_user_told(harness: Harness) -> None:
    """1002: a fresh session is created, the user hears why, and the turn still runs once."""
    await harness.say("hello")
    old = await harness.session_id()
    harness.sim.delete_session(old)
    texts = await harness.say("hello again")
    new = await harness.session_id()
    assert new != old
    assert harness.sim.stats.run_sse_calls(new) == 1
    assert len(texts) >= 2


async def test_rate_limited_calls_wait_and_retry_once(harness: Harness) -> None:
    """429 on state: wait NEMO_RATE_LIMIT_WAIT_S, retry once, and the user sees the status."""
    await harness.say("make a video of rain")
    harness.sim.faults.add(Fault(kind=FaultKind.RATE_LIMIT, times=1))
    texts = await harness.say("status")
    assert texts
    assert "Timeline" in texts[-1]


async def test_messages_during_a_turn_are_queued_in_order_and_the_user_is_told(harness: Harness) -> None:
    """A second message while a turn runs is queued, announced, and handled after the first."""
    harness.sim.force_next_turn(Scenario.GENERATION)
    await harness.bot.receive(harness.message("make a video of the sea"))
    await harness.bot.receive(harness.message("what did you make?"))
    await harness.bot.wait_idle(CHAT)
    texts = harness.out.texts(CHAT)
    queued = [i for i, text in enumerate(texts) if "queue" in text.lower()]
    assert queued, texts
    assert harness.sim.stats.run_sse_calls(await harness.session_id()) == 2


async def test_different_chats_run_in_parallel(harness: Harness) -> None:
    """Two chats' turns overlap in time rather than waiting for each other."""
    other = CHAT.__class__("test", "200")
    started = asyncio.get_running_loop().time()
    harness.sim.force_next_turn(Scenario.GENERATION)
    await asyncio.gather(
        harness.bot.receive(harness.message("make a video of a dog")),
        harness.bot.receive(harness.message("make a video of a cat", chat=other)),
    )
    await asyncio.gather(harness.bot.wait_idle(CHAT), harness.bot.wait_idle(other))
    assert harness.out.texts(CHAT)
    assert harness.out.texts(other)
    assert asyncio.get_running_loop().time() - started < 20


async def test_cancel_stops_relaying_and_says_so_honestly(harness: Harness) -> None:
    """/cancel during a turn ends the relay with an honest message; the chat keeps working."""
    harness.sim.force_next_turn(
        Scenario.GENERATION, faults=[Fault(kind=FaultKind.SSE_HEARTBEATS_ONLY, seconds=5.0)]
    )
    await harness.bot.receive(harness.message("make a video of a train"))
    await asyncio.sleep(0.3)
    await harness.bot.receive(harness.message("/cancel"))
    await harness.bot.wait_idle(CHAT)
    assert any("stop" in text.lower() for text in harness.out.texts(CHAT))
    texts = await harness.say("/cancel")
    assert texts
    assert "nothing" in texts[-1].lower()


async def test_duplicate_platform_messages_are_ignored(harness: Harness) -> None:
    """The same platform message id twice produces one reply and one backend turn."""
    message = harness.message("hello")
    await harness.bot.receive(message)
    await harness.bot.receive(message)
    await harness.bot.wait_idle(CHAT)
    assert harness.sim.stats.run_sse_calls(await harness.session_id()) == 1


async def test_messages_not_addressed_to_the_bot_get_no_reply(harness: Harness) -> None:
    """Group chatter that is not for the bot is ignored entirely."""
    texts = await harness.say("lunch anyone?", addressed=False, is_group=True)
    assert texts == []
    assert harness.sim.stats.turns_started == 0


class TestLongQuietTurns:
    @pytest.fixture
    def settings_changes(self) -> dict[str, Any]:
        return {"nemobot_still_working_s": 0.2}

    async def test_quiet_stretches_update_one_still_working_notice_instead_of_spamming(
        self, harness: Harness
    ) -> None:
        """Heartbeats for a while: one message carries the notice, edited in place, then the answer."""
        harness.sim.force_next_turn(
            Scenario.CHAT, faults=[Fault(kind=FaultKind.SSE_HEARTBEATS_ONLY, seconds=1.0)]
        )
        texts = await harness.say("hello")
        assert len(texts) == 1
        reply = harness.out.messages[-1]
        assert any("Still working" in version for version in reply.history)
        assert "Still working" not in reply.text
