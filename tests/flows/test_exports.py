"""Export through the core: readiness check, render, delivery as a new message, retries."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from core.chat import Action, MessageRef, PlatformLimits
from core.exports import RenderRequest, forces_new_render
from simulator import Endpoint, Fault, FaultKind, Scenario, SimulatorConfig
from tests.flows.conftest import Harness
from tests.harness import CHAT


async def _generate(harness: Harness) -> None:
    harness.sim.force_next_turn(Scenario.GENERATION)
    await harness.say("make a 10 second video of a lighthouse")


async def test_export_before_anything_is_on_the_timeline_says_what_to_do_first(harness: Harness) -> None:
    """An empty draft is not sent to the renderer; the user is told what to do."""
    texts = await harness.say("export")
    assert harness.sim.stats.render_submissions == 0
    assert texts
    assert "timeline" in texts[-1].lower()


async def test_export_delivers_the_mp4_as_a_new_message_with_links(harness: Harness) -> None:
    """A finished render arrives as a video message carrying the link and the claim-token web link."""
    await _generate(harness)
    await harness.say("/export")
    videos = [m for m in harness.out.messages if m.video is not None]
    assert len(videos) == 1
    video = videos[0]
    assert video.video_bytes > 0
    assert "render-result" in video.text
    assert "workspace/claim?ct=clm_" in video.text
    assert "nmv_usr_" not in video.text
    assert harness.sim.stats.render_submissions == 1


@pytest.mark.parametrize("phrase", ["export", "导出", "send me the video", "download"])
async def test_export_phrases_in_both_languages_start_a_render(harness: Harness, phrase: str) -> None:
    """Whole-message export intents, English and Chinese, go to the renderer, not the agent."""
    await _generate(harness)
    turns = harness.sim.stats.turns_started
    await harness.say(phrase)
    assert harness.sim.stats.render_submissions == 1
    assert harness.sim.stats.turns_started == turns


async def test_an_edit_that_mentions_export_goes_to_the_agent(harness: Harness) -> None:
    """ "add a title then export" is an instruction for the agent, not an export."""
    await _generate(harness)
    await harness.say("add a title then export")
    assert harness.sim.stats.render_submissions == 0


class TestRenderOverTheUploadCap:
    """A platform that takes 1 MB uploads and a 3 MB render."""

    @pytest.fixture
    def sim_config(self, tmp_path):
        return SimulatorConfig.fast(
            seed=5, data_dir=tmp_path / "sim", initial_credits=10_000, render_output_bytes=3_000_000
        )

    @pytest.fixture
    def limits(self) -> PlatformLimits:
        return PlatformLimits(max_text=4096, upload_cap=1_000_000, edit_interval_s=0.01)

    async def test_it_is_delivered_as_a_link_in_a_new_message(self, harness: Harness) -> None:
        """Over the platform's cap, the result is a new text message with the link, never a failed upload."""
        await _generate(harness)
        texts = await harness.say("/export")
        assert not [m for m in harness.out.messages if m.video is not None]
        delivered = [text for text in texts if "render-result" in text]
        assert delivered
        assert Action.NEW in next(m for m in harness.out.messages if m.text == delivered[0]).buttons


async def test_a_failed_render_is_retried_once_with_a_new_id(harness: Harness) -> None:
    """Render failure → one more render with a new id, then the video."""
    await _generate(harness)
    harness.sim.faults.add(Fault(kind=FaultKind.RENDER_FAIL, endpoint=Endpoint.RENDER_SUBMIT, times=1))
    await harness.say("/export")
    assert harness.sim.stats.render_submissions == 2
    assert any("render-result" in text for text in harness.out.texts())


async def test_a_render_failing_twice_ends_with_a_clear_error(harness: Harness) -> None:
    """Two failures: no third attempt, and the user gets a plain explanation."""
    await _generate(harness)
    harness.sim.faults.add(Fault(kind=FaultKind.RENDER_FAIL, endpoint=Endpoint.RENDER_SUBMIT, times=2))
    texts = await harness.say("/export")
    assert harness.sim.stats.render_submissions == 2
    assert texts
    assert "{" not in texts[-1]
    assert "render-result" not in " ".join(texts)


async def test_export_blocked_by_plan_says_register_not_credits(harness: Harness) -> None:
    """402 is a plan problem: the message says register/upgrade and does not talk about credits."""
    await _generate(harness)
    harness.sim.faults.add(Fault(kind=FaultKind.HTTP_500, endpoint=Endpoint.RENDER_SUBMIT, status=402))
    texts = await harness.say("/export")
    assert "register" in texts[-1].lower()


async def test_exporting_an_unchanged_draft_again_hands_out_the_same_render(harness: Harness) -> None:
    """Second /export of the same draft: the video again, no second render; the user is told why."""
    await _generate(harness)
    await harness.say("/export")
    texts = await harness.say("export")
    assert harness.sim.stats.render_submissions == 1
    assert len([m for m in harness.out.messages if m.video is not None]) == 2
    assert any("/export force" in text for text in texts)


async def test_a_changed_draft_or_export_force_renders_anew(harness: Harness) -> None:
    """An edit changes the draft's fingerprint (new render); ``/export force`` renders even unchanged."""
    await _generate(harness)
    await harness.say("/export")
    harness.sim.force_next_turn(Scenario.EDIT)
    await harness.say("add a title 'Harbour'")
    await harness.say("/export")
    assert harness.sim.stats.render_submissions == 2
    await harness.say("/export force")
    assert harness.sim.stats.render_submissions == 3
    await harness.say("/export again")
    assert harness.sim.stats.render_submissions == 4
    assert len([m for m in harness.out.messages if m.video is not None]) == 4


async def test_a_render_the_backend_forgot_is_rendered_anew(harness: Harness) -> None:
    """The remembered render id is unknown to the backend now: a new render instead of a dead link."""
    await _generate(harness)
    await harness.say("/export")
    last = await harness.store.last_render(CHAT, await harness.session_id())
    assert last is not None
    await harness.store.remember_render(dataclasses.replace(last, render_id="render_unknown_to_the_backend"))
    await harness.say("/export")
    assert harness.sim.stats.render_submissions == 2


async def test_a_delivery_is_recorded_before_the_progress_card_is_edited(harness: Harness) -> None:
    """When the final card edit happens, the job is already done and the render remembered."""
    await _generate(harness)
    seen: list[tuple[str, bool]] = []
    edit = harness.out.edit_text

    async def spying_edit(ref: MessageRef, text: str, **kwargs: Any) -> None:
        if text.startswith("✅ Export finished"):
            jobs = await harness.store.open_jobs()
            remembered = await harness.store.last_render(CHAT, await harness.session_id())
            seen.append((text, not jobs and remembered is not None))
        await edit(ref, text, **kwargs)

    harness.out.edit_text = spying_edit  # type: ignore[method-assign]
    await harness.say("/export")
    assert seen
    assert all(recorded for _text, recorded in seen)


async def test_the_local_file_name_is_the_bots_own_never_the_backends_render_id(harness: Harness) -> None:
    """The video file is named by the bot (``nemo-video-<job>``), not after the render id, so no
    identifier from the backend ever becomes a file-system path."""
    await _generate(harness)
    await harness.say("/export")
    [video] = [m for m in harness.out.messages if m.video is not None]
    assert video.video is not None
    assert video.video.name.startswith("nemo-video-")
    assert "render_" not in video.video.name


async def test_the_same_draft_at_another_resolution_is_rendered_anew_then_remembered(
    harness: Harness,
) -> None:
    """The fingerprint covers the output asked for: 1080p then 4K are two renders; 4K again is none."""
    await _generate(harness)
    await harness.say("/export")
    await harness.say("/export 4k")
    assert harness.sim.stats.render_submissions == 2
    await harness.say("/export 4k")
    assert harness.sim.stats.render_submissions == 2
    await harness.say("/export force 4k")
    assert harness.sim.stats.render_submissions == 3


def test_a_render_request_reads_back_what_it_wrote_and_old_payloads_still_read() -> None:
    request = RenderRequest(resolution="2160p", force=True, fingerprint="ab12")
    assert RenderRequest.decode(request.encode()) == request
    assert RenderRequest.decode("1080p") == RenderRequest(resolution="1080p")
    assert RenderRequest.decode("") == RenderRequest()
    assert forces_new_render("force")
    assert forces_new_render("4k AGAIN")
    assert not forces_new_render("4k")
