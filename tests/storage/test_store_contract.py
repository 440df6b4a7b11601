"""The Store contract, run against every implementation so they cannot drift apart.

The ``store`` fixture (``conftest.py``) is parametrized over ``MemoryStore``, ``SqliteStore`` and
``PostgresStore`` (a real local server).
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest

from core.chat import ChatKey
from core.ports import ChatRecord, Job, JobKind, JobState, RenderedDraft, Store
from storage import StoreClosedError
from tests.storage.conftest import AnyStore
from tests.storage.fakes import T0, Clock

GROUP = ChatKey("telegram", "-100123")
TOPIC = ChatKey("telegram", "-100123", "77")
DM = ChatKey("discord", "42")


def full_record(chat: ChatKey = GROUP) -> ChatRecord:
    return ChatRecord(
        chat=chat,
        language="zh-hans",
        skill="nemo-video",
        client_id="client-1",
        token="nmv_secret_token",
        token_expires_at=T0 + timedelta(days=7, microseconds=123),
        anon_user_id="anon-9",
        session_id="sess-1",
        task_id="task-1",
    )


def make_job(job_id: str, *, created: datetime = T0, state: JobState = JobState.ACCEPTED) -> Job:
    return Job(
        job_id=job_id,
        chat=TOPIC,
        kind=JobKind.RENDER,
        state=state,
        created_at=created,
        updated_at=created,
        session_id="sess-1",
        payload="make it shorter",
        render_id="render-5",
        requester="user-3",
        status_message_id="991",
        attempts=2,
        detail="queued",
    )


# Chats


async def test_an_unknown_chat_has_no_record(store: Store) -> None:
    """A chat never saved reads back as None."""
    assert await store.get_chat(GROUP) is None


async def test_a_chat_record_with_every_field_set_round_trips(store: Store) -> None:
    """Every field of a saved chat record comes back equal."""
    await store.save_chat(full_record(TOPIC))
    assert await store.get_chat(TOPIC) == full_record(TOPIC)


async def test_a_chat_record_with_only_defaults_round_trips_its_nones(store: Store) -> None:
    """Unset fields come back as None, not as empty strings."""
    await store.save_chat(ChatRecord(chat=DM))
    assert await store.get_chat(DM) == ChatRecord(chat=DM)


async def test_a_thread_and_its_parent_chat_are_different_chats(store: Store) -> None:
    """A forum topic and its group keep separate records."""
    await store.save_chat(full_record(GROUP))
    assert await store.get_chat(TOPIC) is None
    await store.save_chat(ChatRecord(chat=TOPIC, language="en"))
    assert await store.get_chat(GROUP) == full_record(GROUP)
    assert await store.get_chat(TOPIC) == ChatRecord(chat=TOPIC, language="en")


async def test_the_same_chat_id_on_another_platform_is_another_chat(store: Store) -> None:
    """Chat ids are only unique within a platform."""
    await store.save_chat(full_record(ChatKey("telegram", "42")))
    assert await store.get_chat(ChatKey("discord", "42")) is None


async def test_an_empty_thread_id_is_the_same_chat_as_no_thread(store: Store) -> None:
    """Thread '' and None name one chat, read back with thread None."""
    await store.save_chat(ChatRecord(chat=ChatKey("telegram", "1", ""), skill="s"))
    assert await store.get_chat(ChatKey("telegram", "1")) == ChatRecord(
        chat=ChatKey("telegram", "1"), skill="s"
    )


async def test_saving_a_chat_again_overwrites_every_field(store: Store) -> None:
    """A second save replaces the record, including fields set back to None."""
    await store.save_chat(full_record())
    updated = ChatRecord(chat=GROUP, language="en", session_id="sess-2")
    await store.save_chat(updated)
    assert await store.get_chat(GROUP) == updated


async def test_times_come_back_timezone_aware_in_utc(store: Store) -> None:
    """A time saved in another zone comes back as the same instant, in UTC."""
    shanghai = timezone(timedelta(hours=8))
    await store.save_chat(ChatRecord(chat=DM, token_expires_at=datetime(2025, 3, 2, 8, 0, tzinfo=shanghai)))
    record = await store.get_chat(DM)
    assert record is not None
    assert record.token_expires_at == datetime(2025, 3, 2, 0, 0, tzinfo=UTC)
    assert record.token_expires_at.utcoffset() == timedelta(0)


async def test_a_naive_datetime_is_refused(store: Store) -> None:
    """A time without a zone is an error, not silently read as local or UTC."""
    with pytest.raises(ValueError, match="naive"):
        await store.save_chat(ChatRecord(chat=DM, token_expires_at=datetime(2025, 3, 2)))
    with pytest.raises(ValueError, match="naive"):
        await store.save_job(make_job("j", created=datetime(2025, 3, 2)))
    assert await store.get_chat(DM) is None
    assert await store.get_job("j") is None


# De-duplication


async def test_a_message_is_claimed_exactly_once(store: Store) -> None:
    """The first claim wins and every later one loses."""
    assert await store.claim_message(GROUP, "m1") is True
    assert await store.claim_message(GROUP, "m1") is False
    assert await store.claim_message(GROUP, "m1") is False


async def test_the_same_message_id_in_another_chat_or_thread_is_a_separate_claim(store: Store) -> None:
    """Message ids are scoped to their chat, thread and platform."""
    assert await store.claim_message(GROUP, "m1") is True
    assert await store.claim_message(TOPIC, "m1") is True
    assert await store.claim_message(ChatKey("discord", GROUP.chat_id), "m1") is True
    assert await store.claim_message(GROUP, "m2") is True


async def test_twenty_concurrent_claims_of_one_message_have_exactly_one_winner(store: Store) -> None:
    """Concurrent claims race safely: exactly one returns True."""
    results = await asyncio.gather(*(store.claim_message(GROUP, "m1") for _ in range(20)))
    assert results.count(True) == 1


async def test_a_released_claim_can_be_claimed_again(store: Store) -> None:
    """release_message undoes one claim (an event that could not be stored after all), no other."""
    assert await store.claim_message(GROUP, "m1")
    assert await store.claim_message(GROUP, "m2")
    await store.release_message(GROUP, "m1")
    await store.release_message(GROUP, "never-claimed")  # harmless
    assert await store.claim_message(GROUP, "m1")
    assert not await store.claim_message(GROUP, "m2")


async def test_pruning_forgets_only_claims_older_than_the_cutoff(store: AnyStore, clock: Clock) -> None:
    """Old claims are pruned and can be claimed again; recent ones stay claimed."""
    assert await store.claim_message(GROUP, "old")
    clock.now = T0 + timedelta(hours=2)
    assert await store.claim_message(GROUP, "new")

    assert await store.prune_processed(T0 + timedelta(hours=1)) == 1
    assert await store.prune_processed(T0 + timedelta(hours=1)) == 0
    assert await store.claim_message(GROUP, "new") is False
    assert await store.claim_message(GROUP, "old") is True


# Jobs


async def test_an_unknown_job_is_none(store: Store) -> None:
    """A job id never saved reads back as None."""
    assert await store.get_job("nope") is None


async def test_a_job_with_every_field_set_round_trips(store: Store) -> None:
    """Every field of a saved job comes back equal, with enum members for kind and state."""
    job = make_job("j1", created=T0 + timedelta(microseconds=1))
    await store.save_job(job)
    got = await store.get_job("j1")
    assert got == job
    assert got is not None
    assert type(got.kind) is JobKind
    assert type(got.state) is JobState


async def test_saving_a_job_again_updates_it(store: Store) -> None:
    """A second save of the same job id replaces the stored job."""
    await store.save_job(make_job("j1"))
    later = dataclasses.replace(
        make_job("j1"),
        state=JobState.DONE,
        updated_at=T0 + timedelta(minutes=5),
        render_id=None,
        attempts=3,
        detail="delivered",
    )
    await store.save_job(later)
    assert await store.get_job("j1") == later


async def test_open_jobs_are_the_unfinished_ones_oldest_first(store: Store) -> None:
    """Open jobs come back ordered by creation time, finished ones left out."""
    await store.save_job(make_job("c", created=T0 + timedelta(seconds=3), state=JobState.DELIVERING))
    await store.save_job(make_job("done", created=T0, state=JobState.DONE))
    await store.save_job(make_job("a", created=T0 + timedelta(seconds=1), state=JobState.RUNNING))
    await store.save_job(make_job("failed", created=T0, state=JobState.FAILED))
    await store.save_job(make_job("b", created=T0 + timedelta(seconds=2)))
    assert [job.job_id for job in await store.open_jobs()] == ["a", "b", "c"]


async def test_open_jobs_order_by_instant_not_by_the_zone_they_were_given_in(store: Store) -> None:
    """A job created earlier in a later-looking zone still sorts first."""
    tokyo = timezone(timedelta(hours=9))
    await store.save_job(make_job("second", created=T0 + timedelta(hours=1)))
    await store.save_job(make_job("first", created=(T0 + timedelta(minutes=30)).astimezone(tokyo)))
    assert [job.job_id for job in await store.open_jobs()] == ["first", "second"]


@pytest.mark.parametrize("state", list(JobState))
async def test_open_jobs_hold_a_job_exactly_when_its_state_is_open(store: Store, state: JobState) -> None:
    """open_jobs follows JobState.open for every state."""
    await store.save_job(make_job("j", state=state))
    assert [job.job_id for job in await store.open_jobs()] == (["j"] if state.open else [])


async def test_a_job_that_finishes_leaves_the_open_jobs(store: Store) -> None:
    """Updating a job to done removes it from open_jobs."""
    await store.save_job(make_job("j"))
    await store.save_job(dataclasses.replace(make_job("j"), state=JobState.DONE))
    assert await store.open_jobs() == []


# Usage


async def test_usage_counts_events_by_day_user_and_kind(store: Store) -> None:
    """Usage adds up per day, and can be narrowed to a user, a kind, or both."""
    for user, kind in [("u1", "turn"), ("u1", "turn"), ("u1", "render"), ("u2", "turn")]:
        await store.add_usage(GROUP, user, kind, "2025-03-01")
    await store.add_usage(GROUP, "u1", "turn", "2025-03-02")

    assert await store.usage(GROUP, "2025-03-01") == 4
    assert await store.usage(GROUP, "2025-03-01", user_id="u1") == 3
    assert await store.usage(GROUP, "2025-03-01", kind="turn") == 3
    assert await store.usage(GROUP, "2025-03-01", user_id="u1", kind="turn") == 2
    assert await store.usage(GROUP, "2025-03-01", user_id="u3") == 0
    assert await store.usage(GROUP, "2025-03-02") == 1
    assert await store.usage(GROUP, "2025-03-03") == 0


async def test_a_users_usage_adds_up_over_every_chat_of_the_platform(store: Store) -> None:
    """user_usage sums one user's events over chats and topics of one platform and one day."""
    await store.add_usage(GROUP, "u1", "turn", "2025-03-01")
    await store.add_usage(TOPIC, "u1", "turn", "2025-03-01")
    await store.add_usage(ChatKey("telegram", "555"), "u1", "export", "2025-03-01")
    await store.add_usage(ChatKey("discord", "555"), "u1", "turn", "2025-03-01")  # another platform
    await store.add_usage(GROUP, "u2", "turn", "2025-03-01")
    await store.add_usage(GROUP, "u1", "turn", "2025-03-02")

    assert await store.user_usage("telegram", "u1", "2025-03-01") == 3
    assert await store.user_usage("telegram", "u1", "2025-03-01", kind="turn") == 2
    assert await store.user_usage("discord", "u1", "2025-03-01") == 1
    assert await store.user_usage("telegram", "u3", "2025-03-01") == 0


async def test_usage_of_another_chat_or_thread_is_counted_apart(store: Store) -> None:
    """Usage is per chat key: a topic's events do not count for its group."""
    await store.add_usage(TOPIC, "u1", "turn", "2025-03-01")
    assert await store.usage(GROUP, "2025-03-01") == 0
    assert await store.usage(TOPIC, "2025-03-01") == 1


@pytest.mark.parametrize("day", ["2025-3-1", "2025-02-30", "20250301", "2025-03-01T00:00"])
async def test_a_malformed_day_is_refused(store: Store, day: str) -> None:
    """A day that is not a real YYYY-MM-DD date is an error on write and on read."""
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        await store.add_usage(GROUP, "u1", "turn", day)
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        await store.usage(GROUP, day)


# Copies and lifetime


async def test_records_returned_and_saved_are_copies(store: Store) -> None:
    """Mutating a record after saving it, or after getting it, does not change the store."""
    record, job = full_record(), make_job("j1")
    await store.save_chat(record)
    await store.save_job(job)
    record.token = "changed"
    job.state = JobState.FAILED

    got_record, got_job = await store.get_chat(GROUP), await store.get_job("j1")
    assert got_record is not None
    assert got_job is not None
    got_record.session_id = "changed"
    got_job.attempts = 99
    (await store.open_jobs())[0].detail = "changed"

    assert await store.get_chat(GROUP) == full_record()
    assert await store.get_job("j1") == make_job("j1")


async def test_a_closed_store_refuses_calls_and_closing_twice_is_harmless(store: Store) -> None:
    """After close every method raises StoreClosedError; close itself may be repeated."""
    await store.close()
    await store.close()
    with pytest.raises(StoreClosedError):
        await store.get_chat(GROUP)
    with pytest.raises(StoreClosedError):
        await store.claim_message(GROUP, "m1")
    with pytest.raises(StoreClosedError):
        await store.open_jobs()


# Render memory


def rendered(fingerprint: str = "fp-1", *, chat: ChatKey = TOPIC, session: str = "sess-1") -> RenderedDraft:
    return RenderedDraft(
        chat=chat,
        session_id=session,
        fingerprint=fingerprint,
        render_id=f"render-{fingerprint}",
        output_url="https://cdn.example/out.mp4",
        rendered_at=datetime(2026, 11, 2, 9, 0, tzinfo=timezone(timedelta(hours=8))),
    )


async def test_the_last_render_reads_back_as_it_was_remembered_in_utc(store: Store) -> None:
    """A remembered render reads back equal (times in UTC); nothing is remembered before."""
    assert await store.last_render(TOPIC, "sess-1") is None
    await store.remember_render(rendered())
    back = await store.last_render(TOPIC, "sess-1")
    assert back == rendered()
    assert back is not None
    assert back.rendered_at.tzinfo == UTC


async def test_a_newer_render_replaces_the_last_one_per_chat_and_session(store: Store) -> None:
    """One render is remembered per chat and session; other chats, threads and sessions stay apart."""
    await store.remember_render(rendered("fp-1"))
    await store.remember_render(rendered("fp-2"))
    await store.remember_render(rendered("fp-other", chat=GROUP))
    await store.remember_render(rendered("fp-new-session", session="sess-2"))
    last = await store.last_render(TOPIC, "sess-1")
    assert last is not None
    assert last.fingerprint == "fp-2"
    group = await store.last_render(GROUP, "sess-1")
    assert group is not None
    assert group.fingerprint == "fp-other"
    assert await store.last_render(DM, "sess-1") is None
    newer = await store.last_render(TOPIC, "sess-2")
    assert newer is not None
    assert newer.render_id == "render-fp-new-session"
