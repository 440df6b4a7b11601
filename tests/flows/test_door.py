"""The rules behind the door, through the core's inbound API: who may stop or reset a group's work,
a durable /cancel, caps per user across chats, storing before acknowledging, uploads cut by a
restart, and work that fails unexpectedly telling its chat."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.bot import NemoBot
from core.chat import Action, Attachment, ChatKey, Inbound, Sender
from core.i18n import t
from core.inbound import CoreUnavailable, Press
from core.ports import JobKind, JobState, Store
from simulator import Endpoint, Fault, FaultKind, Scenario, Simulator
from storage import MemoryStore
from tests.fakes import RecordingOutbound
from tests.harness import CHAT, Harness, build_harness

GROUP = ChatKey("test", "-500")
ADA = Sender("ada", "Ada", "en")
BOB = Sender("bob", "Bob", "en")
MODERATOR = Sender("mo", "Mo", "en", is_chat_admin=True)
QUIET = Fault(kind=FaultKind.SSE_HEARTBEATS_ONLY, seconds=5.0)


async def _until(predicate: Callable[[], bool], seconds: float = 10.0) -> None:
    """Poll a condition the simulator or the recording chat reaches (neither offers an event for it)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.01)


async def _group_says(harness: Harness, sender: Sender, text: str) -> list[str]:
    """One group message; returns what the chat showed while it was handled (not waiting for work)."""
    before = len(harness.out.messages)
    await harness.bot.receive(harness.message(text, chat=GROUP, sender=sender, is_group=True))
    return [m.text for m in harness.out.messages[before:]]


async def _ada_runs_a_turn(harness: Harness) -> None:
    harness.sim.force_next_turn(Scenario.CHAT, faults=[QUIET])
    await _group_says(harness, ADA, "make a video of the sea")
    await _until(lambda: harness.sim.stats.turns_started == 1)


class TestWhoMayResetAGroup:
    @pytest.fixture
    def settings_changes(self) -> dict[str, Any]:
        return {"nemobot_admins": "test:boss"}

    @pytest.mark.parametrize("command", ["/cancel", "/new", "/skill music", "/lang zh"])
    async def test_another_member_cannot_stop_or_reset_someone_elses_work(
        self, harness: Harness, command: str
    ) -> None:
        """Bob's /cancel, /new, /skill or /lang while Ada's turn runs is refused, and changes nothing."""
        await _ada_runs_a_turn(harness)
        texts = await _group_says(harness, BOB, command)
        assert texts == [t("en", "reset_not_allowed")]
        assert harness.bot.busy(GROUP), "Ada's turn still runs"
        record = await harness.store.get_chat(GROUP)
        assert record is None or (record.language, record.skill) == (None, None)
        await harness.bot.interrupt(GROUP)

    @pytest.mark.parametrize("who", [ADA, MODERATOR, Sender("boss", "Boss", "en")])
    async def test_the_requester_a_chat_admin_or_a_bot_admin_may_cancel(
        self, harness: Harness, who: Sender
    ) -> None:
        """The same /cancel works for whoever started the work, a moderator and a bot admin."""
        await _ada_runs_a_turn(harness)
        await _group_says(harness, who, "/cancel")
        await harness.bot.wait_idle(GROUP)
        assert not harness.bot.busy(GROUP)
        assert t("en", "reset_not_allowed") not in harness.out.texts(GROUP)

    async def test_the_cancel_button_follows_the_same_rule(self, harness: Harness) -> None:
        """A press is judged like the typed command: Bob's is refused, the moderator's is not."""
        await _ada_runs_a_turn(harness)
        await harness.bot.press(Press(GROUP, Action.CANCEL, BOB, is_group=True, press_id="p1"))
        assert harness.out.texts(GROUP)[-1] == t("en", "reset_not_allowed")
        assert harness.bot.busy(GROUP)
        await harness.bot.press(Press(GROUP, Action.CANCEL, MODERATOR, is_group=True, press_id="p2"))
        await harness.bot.wait_idle(GROUP)
        assert not harness.bot.busy(GROUP)

    async def test_with_no_work_running_anyone_may_reset(self, harness: Harness) -> None:
        """Nothing to protect: Bob's /lang applies."""
        texts = await _group_says(harness, BOB, "/lang zh")
        assert texts == [t("zh", "lang_switched")]

    async def test_in_a_private_chat_the_rule_does_not_apply(self, harness: Harness) -> None:
        """A private chat has one member: /cancel always works there."""
        harness.sim.force_next_turn(Scenario.CHAT, faults=[QUIET])
        await harness.bot.receive(harness.message("make a video of the sea", sender=ADA))
        await _until(lambda: harness.sim.stats.turns_started == 1)
        await harness.bot.receive(harness.message("/cancel", sender=BOB))
        await harness.bot.wait_idle(CHAT)
        assert t("en", "reset_not_allowed") not in harness.out.texts(CHAT)


async def test_cancel_marks_the_running_and_the_dropped_jobs_cancelled_in_the_store(
    harness: Harness, tmp_path: Path
) -> None:
    """/cancel stores its decision at once: a restart resumes none of the cancelled work."""
    harness.sim.force_next_turn(Scenario.CHAT, faults=[QUIET])
    await harness.bot.receive(harness.message("make a video of the sea"))
    await _until(lambda: harness.sim.stats.turns_started == 1)
    await harness.bot.receive(harness.message("then add music"))
    await harness.bot.receive(harness.message("/export"))
    kinds = sorted(job.kind for job in await harness.store.open_jobs())
    assert kinds == [JobKind.RENDER, JobKind.TURN, JobKind.TURN]

    await harness.bot.receive(harness.message("/cancel"))
    assert await harness.store.open_jobs() == [], "stored as cancelled before /cancel answered"
    assert t("en", "cancelled_queue", count=2) in harness.out.texts()
    await harness.bot.wait_idle(CHAT)
    await harness.bot.stop()

    async with httpx.AsyncClient() as http:
        again = await build_harness(harness.sim, harness.store, tmp_path, harness.out.limits, http)
        assert await again.bot.resume() == 0
        await again.bot.stop()
    assert harness.sim.stats.turns_started == 1


async def test_a_double_tapped_export_renders_once(harness: Harness) -> None:
    """Two Export presses (two press ids, as two taps have) while the first is on its way: one render."""
    harness.sim.force_next_turn(Scenario.GENERATION)
    await harness.say("make a 5 second video of a harbour")
    for press_id in ("tap-1", "tap-2"):
        await harness.bot.press(Press(CHAT, Action.EXPORT, ADA, press_id=press_id))
    await harness.bot.wait_idle(CHAT)
    assert harness.sim.stats.render_submissions == 1
    assert t("en", "export_in_progress") in harness.out.texts()


class TestCapsPerUser:
    @pytest.fixture
    async def settings_changes(self, sim: Simulator) -> dict[str, Any]:
        async with httpx.AsyncClient() as http:
            response = await http.post(
                f"{sim.base_url}/api/auth/anonymous-token", headers={"X-Client-Id": "operator"}
            )
        token = response.json()["data"]["token"]
        return {"nemo_token": token, "nemobot_turns_per_day": 2, "nemobot_admins": "test:boss"}

    async def test_a_users_daily_cap_counts_every_chat_and_topic_together(self, harness: Harness) -> None:
        """One turn in a chat and one in a topic elsewhere use the cap; the third chat is refused."""
        await harness.say("hello", sender=ADA)
        await harness.say("hello", chat=ChatKey("test", "-700", "9"), sender=ADA)
        started = harness.sim.stats.turns_started
        texts = await harness.say("hello", chat=ChatKey("test", "-800"), sender=ADA)
        assert "limit of 2" in texts[-1]
        assert harness.sim.stats.turns_started == started

    async def test_exports_count_against_the_cap(self, harness: Harness) -> None:
        """A turn and an export use the cap of two; the next turn is refused."""
        harness.sim.force_next_turn(Scenario.GENERATION)
        await harness.say("make a 5 second video of a harbour", sender=ADA)
        await harness.say("/export", sender=ADA)
        texts = await harness.say("now add music", sender=ADA)
        assert "limit of 2" in texts[-1]

    async def test_admin_usage_is_not_posted_in_a_group(self, harness: Harness) -> None:
        """The report names every chat and user: a group gets a pointer to the private chat instead."""
        boss = Sender("boss", "Boss", "en")
        await harness.say("hello", sender=ADA)
        in_group = await harness.say("/admin usage", chat=GROUP, sender=boss, is_group=True)
        assert in_group == [t("en", "admin_usage_private")]
        in_private = await harness.say("/admin usage", sender=boss)
        assert "ada" in in_private[-1]


class _FailingStore(MemoryStore):
    """A store whose writes fail while ``failing`` is set (a locked or full disk)."""

    def __init__(self) -> None:
        super().__init__()
        self.failing: set[str] = set()

    async def claim_message(self, chat: ChatKey, message_id: str) -> bool:
        if "claim" in self.failing:
            raise OSError("disk full")
        return await super().claim_message(chat, message_id)

    async def save_job(self, job: Any) -> None:
        if "job" in self.failing or ("running" in self.failing and job.state is JobState.RUNNING):
            raise OSError("disk full")
        await super().save_job(job)


@pytest.fixture
async def flaky(
    sim: Simulator, tmp_path: Path
) -> AsyncIterator[tuple[NemoBot, RecordingOutbound, _FailingStore]]:
    store = _FailingStore()
    async with httpx.AsyncClient() as http:
        harness = await build_harness(sim, store, tmp_path, RecordingOutbound().limits, http)
        try:
            yield harness.bot, harness.out, store
        finally:
            await harness.bot.stop()


@pytest.mark.parametrize("failing", ["claim", "job"])
async def test_an_event_that_cannot_be_stored_is_not_accepted_and_its_redelivery_is(
    flaky: tuple[NemoBot, RecordingOutbound, _FailingStore], failing: str
) -> None:
    """receive raises CoreUnavailable (the adapter then does not acknowledge); the same message
    delivered again once storage works is taken, once."""
    bot, out, store = flaky
    message = Inbound(CHAT, ADA, "hello", message_id="m1")
    store.failing = {failing}
    with pytest.raises(CoreUnavailable) as caught:
        await bot.receive(message)
    assert caught.value.notice == t("en", "storage_unavailable")
    assert await store.open_jobs() == []

    store.failing = set()
    await bot.receive(message)
    await bot.receive(message)  # a second redelivery is a duplicate now
    await bot.wait_idle(CHAT)
    assert len(out.texts()) == 1


async def test_a_press_that_cannot_be_stored_raises_for_the_adapter(
    flaky: tuple[NemoBot, RecordingOutbound, _FailingStore],
) -> None:
    """The same for a button press: not claimed, so the platform's redelivery runs it."""
    bot, out, store = flaky
    press = Press(CHAT, Action.HELP, ADA, press_id="cb-9")
    store.failing = {"claim"}
    with pytest.raises(CoreUnavailable):
        await bot.press(press)
    store.failing = set()
    await bot.press(press)
    assert len(out.texts()) == 1


async def test_a_write_that_fails_mid_turn_tells_the_user(
    flaky: tuple[NemoBot, RecordingOutbound, _FailingStore],
) -> None:
    """Storing the turn as running fails (the disk filled up): the chat hears it, not only the log."""
    bot, out, store = flaky
    store.failing = {"running"}
    await bot.receive(Inbound(CHAT, ADA, "hello", message_id="m1"))
    await bot.wait_idle(CHAT)
    assert out.texts()[-1] == t("en", "error_generic")


async def test_work_that_fails_unexpectedly_tells_the_chat(harness: Harness) -> None:
    """An attachment whose stream breaks in an unforeseen way: the chat hears error_generic."""

    async def broken() -> AsyncIterator[bytes]:
        yield b"\0" * 10
        raise RuntimeError("the adapter's stream broke")

    clip = Attachment("clip.mp4", "video/mp4", 1000, open=broken, kind="video")
    texts = await harness.say(attachments=(clip,))
    assert texts[-1] == t("en", "error_generic")


async def test_an_upload_cut_by_a_restart_says_what_to_resend(
    harness: Harness, tmp_path: Path, store: Store
) -> None:
    """The progress message stops saying "Uploading… n%": it names the files and the instruction."""
    started = asyncio.Event()

    async def stalls() -> AsyncIterator[bytes]:
        yield b"\0" * 4096
        started.set()
        await asyncio.sleep(3600)

    clip = Attachment("clip.mp4", "video/mp4", 100_000, open=stalls, kind="video")
    await harness.bot.receive(harness.message("make it black and white", attachments=(clip,)))
    await asyncio.wait_for(started.wait(), 10)
    await _until(lambda: any("clip" in text for text in harness.out.texts()))
    [job] = await store.open_jobs()
    assert job.kind is JobKind.UPLOAD
    assert job.status_message_id is not None
    await harness.bot.stop()  # the process goes away mid-upload

    async with httpx.AsyncClient() as http:
        again = await build_harness(harness.sim, store, tmp_path, harness.out.limits, http)
        again.out = harness.out
        again.bot.attach(CHAT.platform, harness.out)
        assert await again.bot.resume() == 1
        await again.bot.wait_idle(CHAT)
        await again.bot.stop()

    progress = next(m for m in harness.out.messages if m.ref.message_id == job.status_message_id)
    assert t("en", "upload_interrupted", files="clip.mp4") in progress.text
    assert "make it black and white" in progress.text
    assert await store.open_jobs() == []
    finished = await store.get_job(job.job_id)
    assert finished is not None
    assert finished.state is JobState.FAILED


class _CountingStore(MemoryStore):
    """Counts reads of chat records."""

    def __init__(self) -> None:
        super().__init__()
        self.chat_reads = 0

    async def get_chat(self, chat: ChatKey) -> Any:
        self.chat_reads += 1
        return await super().get_chat(chat)


async def test_an_ordinary_turn_reads_the_chat_record_twice(sim: Simulator, tmp_path: Path) -> None:
    """Once when the message arrives (language, caps, routing) and once when its work starts (the
    record may have changed while it waited); buttons come labelled, so sending reads nothing."""
    store = _CountingStore()
    async with httpx.AsyncClient() as http:
        harness = await build_harness(sim, store, tmp_path, RecordingOutbound().limits, http)
        try:
            await harness.say("hello")  # creates the chat, its client id and its session
            store.chat_reads = 0
            harness.sim.force_next_turn(Scenario.GENERATION)
            await harness.say("make a 5 second video of a harbour")
        finally:
            await harness.bot.stop()
    assert store.chat_reads == 2


async def test_links_queued_with_a_turn_are_imported_after_a_restart_before_it_is_sent(
    harness: Harness, tmp_path: Path, store: Store
) -> None:
    """A turn naming a media link waits behind another when the process stops: the restart imports
    the link, then sends the turn, once."""
    # Briefly quiet: the backend's session is busy until that first stream ends.
    harness.sim.force_next_turn(
        Scenario.CHAT, faults=[Fault(kind=FaultKind.SSE_HEARTBEATS_ONLY, seconds=1.5)]
    )
    await harness.bot.receive(harness.message("make a video of the sea"))
    await _until(lambda: harness.sim.stats.turns_started == 1)
    await harness.bot.receive(harness.message("use https://example.com/media/dance.mp4 as the intro"))
    await harness.bot.stop()
    assert harness.sim.stats.requests[Endpoint.UPLOAD] == 0

    async with httpx.AsyncClient() as http:
        again = await build_harness(harness.sim, store, tmp_path, harness.out.limits, http)
        assert await again.bot.resume() == 2
        await again.bot.wait_idle(CHAT)
        await again.bot.stop()
    assert harness.sim.stats.requests[Endpoint.UPLOAD] == 1
    assert harness.sim.stats.turns_started == 2
    assert any("dance.mp4" in text for text in again.out.texts())
    assert await store.open_jobs() == []
