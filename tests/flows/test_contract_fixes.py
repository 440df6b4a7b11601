"""The remaining fidelity fixes, through the core and the simulator: the 15-minute cap recovers by
reading state, heartbeats are not a timeout, the first message says it is connecting, the ``?bind=``
id comes from the state answer, no auth-only link is ever shown, and sessions carry ``task_name``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from core.settings import Settings
from simulator import Fault, FaultKind, Scenario
from tests.flows.conftest import Harness

_TRY_AGAIN = re.compile(r"try again|send your request again|再试|再发一次", re.IGNORECASE)


@pytest.fixture
def settings_changes() -> dict[str, Any]:
    # A short cap stands in for the 15 minutes; recovery reads state on its (shortened) schedule.
    return {"nemo_sse_max_s": 0.4, "nemo_sse_idle_timeout_s": 0.4}


async def test_after_the_cap_the_bot_reads_state_and_reports_what_the_backend_finished(
    harness: Harness,
) -> None:
    harness.sim.force_next_turn(
        Scenario.GENERATION, faults=[Fault(kind=FaultKind.SSE_HEARTBEATS_ONLY, seconds=0.6)]
    )
    texts = await harness.say("make a 5 second video of a harbour")
    final = texts[-1]
    assert any("longer than 15 minutes" in shown for shown in harness.out.messages[-1].history)
    assert "Added a video track" in final, final
    assert not _TRY_AGAIN.search(final)
    assert harness.sim.stats.run_sse_calls(await harness.session_id()) == 1, "never re-sent"


async def test_after_the_cap_with_no_change_the_bot_never_says_try_again(harness: Harness) -> None:
    harness.sim.force_next_turn(
        Scenario.CHAT, faults=[Fault(kind=FaultKind.SSE_HEARTBEATS_ONLY, seconds=5.0)]
    )
    texts = await harness.say("hello")
    final = texts[-1]
    assert "may still be working" in final
    assert "/status" in final
    assert not _TRY_AGAIN.search(final), final
    assert harness.sim.stats.run_sse_calls(await harness.session_id()) == 1


def test_heartbeats_only_is_no_shorter_than_the_cap_by_default() -> None:
    settings = Settings(_env_file=None)
    assert settings.nemo_sse_idle_timeout_s >= settings.nemo_sse_max_s == 900


async def test_the_first_message_of_a_chat_shows_connecting_then_ready(harness: Harness) -> None:
    await harness.say("hello")
    history = harness.out.messages[0].history
    assert history[0] == "🔌 Connecting to NemoVideo…"
    assert history[-1].startswith("Hi! I'm Nemo")
    await harness.say("hello again")
    assert all("Connecting" not in text for message in harness.out.messages[1:] for text in message.history)


async def test_the_session_is_created_with_the_contracts_task_name(harness: Harness) -> None:
    await harness.say("hello")
    [create] = [r for r in harness.requests if r.url.path.endswith("/with-session/nemo_agent")]
    assert json.loads(create.content) == {"task_name": "project", "language": "en"}


async def test_the_bind_link_takes_the_user_id_from_the_state_answer(harness: Harness) -> None:
    """Token and session answers elide ``user_id``; the state answer has it, so ?bind= still works."""
    harness.sim.config.elide_user_ids = True
    await harness.say("hello")
    texts = await harness.say("make a video of a forest #sim:no-credits")
    assert re.search(r"/register\?bind=anon_\w+", texts[-1]), texts


async def test_a_render_without_an_output_url_never_shows_the_auth_only_proxy_link(harness: Harness) -> None:
    harness.sim.config.render_output_url = False
    harness.sim.force_next_turn(Scenario.GENERATION)
    await harness.say("make a video of a lighthouse")
    await harness.say("/export")
    [video] = [m for m in harness.out.messages if m.video is not None]
    assert video.video_bytes > 0, "the file still arrives, through the proxy download"
    shown = "\n".join(text for message in harness.out.messages for text in message.history)
    assert "/api/render/proxy" not in shown
    assert "workspace/claim?ct=clm_" in video.text
