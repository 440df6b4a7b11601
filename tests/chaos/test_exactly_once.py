"""Chaos, counted in the ledger: exports asked for twice, and a CDN serving something that is not
a video. Required: one render per unchanged draft, every request answered, never a fake video."""

from __future__ import annotations

from typing import Any

import pytest

from simulator import Endpoint, Fault, FaultKind, Scenario
from tests.chaos.ledger import LEDGER, Outcome
from tests.harness import Harness


async def _generate(harness: Harness) -> None:
    harness.sim.force_next_turn(Scenario.GENERATION)
    await harness.say("make a 10 second video of a harbour")


def _videos(harness: Harness) -> int:
    return len([m for m in harness.out.messages if m.video is not None])


async def test_an_unchanged_draft_exported_three_times_is_rendered_once(harness: Harness) -> None:
    """Three exports (a command, a phrase, the button's action): one render, three deliveries."""
    await _generate(harness)
    for request in ("/export", "export", "export please"):
        await harness.say(request)
    LEDGER.add(
        Outcome(
            "export of an unchanged draft, three times",
            exports_requested=3,
            render_attempts=1,
            render_submissions=harness.sim.stats.render_submissions,
            deliveries=_videos(harness),
            open_jobs=len(await harness.store.open_jobs()),
        )
    )
    assert harness.sim.stats.render_submissions == 1
    assert _videos(harness) == 3


async def test_a_render_download_that_is_not_an_mp4_arrives_as_a_link(harness: Harness) -> None:
    """CDN and proxy both answer an HTML page with status 200: no video message, the link instead."""
    await _generate(harness)
    for endpoint in (Endpoint.RENDER_RESULT, Endpoint.RENDER_DOWNLOAD):
        harness.sim.faults.add(Fault(kind=FaultKind.WRONG_CONTENT_TYPE, endpoint=endpoint))
    texts = await harness.say("/export")
    links = [text for text in texts if "render-result" in text]
    LEDGER.add(
        Outcome(
            "render download is an HTML page, not an MP4",
            exports_requested=1,
            render_attempts=1,
            render_submissions=harness.sim.stats.render_submissions,
            deliveries=len(links) + _videos(harness),
            open_jobs=len(await harness.store.open_jobs()),
        )
    )
    assert _videos(harness) == 0
    assert len(links) == 1


class TestAStalledDownload:
    """The CDN and the proxy both hold the download open far longer than NEMOBOT_RENDER_MAX_S."""

    @pytest.fixture
    def settings_changes(self) -> dict[str, Any]:
        return {"nemobot_render_max_s": 1.5}

    async def test_it_ends_with_the_link_and_frees_the_chat(self, harness: Harness) -> None:
        await _generate(harness)
        for endpoint in (Endpoint.RENDER_RESULT, Endpoint.RENDER_DOWNLOAD):
            harness.sim.faults.add(Fault(kind=FaultKind.DELAY, endpoint=endpoint, seconds=6.0))
        texts = await harness.say("/export")
        links = [text for text in texts if "render-result" in text]
        LEDGER.add(
            Outcome(
                "render download stalls past NEMOBOT_RENDER_MAX_S",
                exports_requested=1,
                render_attempts=1,
                render_submissions=harness.sim.stats.render_submissions,
                deliveries=len(links) + _videos(harness),
                open_jobs=len(await harness.store.open_jobs()),
            )
        )
        assert _videos(harness) == 0
        assert len(links) == 1
        assert not await harness.store.open_jobs()
        harness.sim.force_next_turn(Scenario.CHAT)
        assert await harness.say("hello"), "the chat's queue is free again"
