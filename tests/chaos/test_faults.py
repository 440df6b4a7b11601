"""Chaos: inject one fault per scenario through the simulator, the HTTP layer or the chat platform,
and count what the user got. Required: nothing lost, nothing sent twice, every turn answered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.chat import Button, ChatKey, MessageRef, PlatformLimits
from core.ports import ChatUnavailable, Job, JobKind, JobState, PlatformRateLimited
from simulator import Endpoint, Fault, FaultKind, Scenario, Simulator, SimulatorConfig
from storage import MemoryStore
from tests.chaos.ledger import LEDGER, Outcome
from tests.fakes import RecordingOutbound
from tests.harness import CHAT, Harness, build_harness


class JobRecordingStore(MemoryStore):
    """A MemoryStore that remembers every job it saw, to count accepted work."""

    def __init__(self) -> None:
        super().__init__()
        self.jobs: dict[str, Job] = {}

    async def save_job(self, job: Job) -> None:
        await super().save_job(job)
        self.jobs[job.job_id] = job


class FaultyTransport(httpx.AsyncBaseTransport):
    """Refuses the connection for the first ``times`` requests whose path contains ``needle``."""

    def __init__(self, needle: str = "", times: int = 0) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.needle, self.times = needle, times

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.times > 0 and self.needle and self.needle in request.url.path:
            self.times -= 1
            raise httpx.ConnectError("connection refused (injected)", request=request)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


class FlakyPlatform(RecordingOutbound):
    """A chat platform that answers 429 to some sends/edits, or refuses the chat altogether."""

    def __init__(self, limits: PlatformLimits, *, rate_limit_every: int = 0, forbidden: bool = False) -> None:
        super().__init__(limits)
        self.rate_limit_every, self.forbidden, self.calls, self.refusals = rate_limit_every, forbidden, 0, 0

    def _maybe_fail(self) -> None:
        self.calls += 1
        if self.forbidden:
            self.refusals += 1
            raise ChatUnavailable("Forbidden: bot was blocked by the user")
        if self.rate_limit_every and self.calls % self.rate_limit_every == 0:
            self.refusals += 1
            raise PlatformRateLimited(0.05)

    async def send_text(
        self, chat: ChatKey, text: str, *, buttons: Sequence[Button] = (), final: bool = True
    ) -> MessageRef:
        self._maybe_fail()
        return await super().send_text(chat, text, buttons=buttons, final=final)

    async def edit_text(
        self, ref: MessageRef, text: str, *, buttons: Sequence[Button] = (), final: bool = False
    ) -> None:
        self._maybe_fail()
        await super().edit_text(ref, text, buttons=buttons, final=final)


Inject = Callable[[Harness, Simulator, FaultyTransport], Awaitable[None] | None]


@dataclass(frozen=True)
class Case:
    name: str
    inject: Inject
    messages: tuple[str, ...] = ("make a video of a lake", "/export")
    warm_up: bool = True  # generate first (without faults) so /export has something to render
    settings: dict[str, Any] = field(default_factory=dict)
    platform: dict[str, Any] = field(default_factory=dict)
    sim: dict[str, Any] = field(default_factory=dict)


def sim_fault(kind: FaultKind, endpoint: Endpoint | None = None, **kwargs: Any) -> Inject:
    def inject(h: Harness, sim: Simulator, net: FaultyTransport) -> None:
        sim.faults.add(Fault(kind=kind, endpoint=endpoint, **kwargs))

    return inject


def refuse(path: str) -> Inject:
    def inject(h: Harness, sim: Simulator, net: FaultyTransport) -> None:
        net.needle, net.times = path, 1

    return inject


def no_fault(h: Harness, sim: Simulator, net: FaultyTransport) -> None:
    return None


async def expire_token(h: Harness, sim: Simulator, net: FaultyTransport) -> None:
    record = await h.store.get_chat(CHAT)
    assert record is not None
    assert record.token is not None
    sim.expire_token(record.token)


async def lose_session(h: Harness, sim: Simulator, net: FaultyTransport) -> None:
    sim.delete_session(await h.session_id())


ENDPOINT_PATHS = {
    Endpoint.CREATE_SESSION: "/api/tasks/",
    Endpoint.RUN_SSE: "/run_sse",
    Endpoint.UPLOAD: "/api/upload-video/",
    Endpoint.CREDITS: "/api/credits/",
    Endpoint.STATE: "/api/state/",
    Endpoint.RENDER_SUBMIT: "/api/render/proxy/lambda",
    Endpoint.RENDER_STATUS: "/api/render/proxy/lambda/",
    Endpoint.CLAIM_TOKEN: "/api/auth/claim-token",
    Endpoint.RENDER_RESULT: "/render-result/",
}

CASES: list[Case] = [
    Case("sse drop before first text", sim_fault(FaultKind.SSE_DROP_BEFORE_TEXT, Endpoint.RUN_SSE)),
    Case("sse drop after first text", sim_fault(FaultKind.SSE_DROP_AFTER_TEXT, Endpoint.RUN_SSE)),
    Case("mid-stream error", sim_fault(FaultKind.SSE_ERROR, Endpoint.RUN_SSE)),
    Case(
        "heartbeats only until the idle timeout",
        sim_fault(FaultKind.SSE_HEARTBEATS_ONLY, Endpoint.RUN_SSE, seconds=2.0),
        settings={"nemo_sse_idle_timeout_s": 0.4},
    ),
    Case("1001 token expired mid-session", expire_token),
    Case("1002 session gone", lose_session),
    Case("2001 before the turn", sim_fault(FaultKind.INSUFFICIENT_CREDITS, Endpoint.RUN_SSE)),
    Case("2001 mid-turn", sim_fault(FaultKind.SSE_CREDITS_ERROR, Endpoint.RUN_SSE)),
    Case("429 on the token call", sim_fault(FaultKind.RATE_LIMIT, Endpoint.ANONYMOUS_TOKEN), warm_up=False),
    Case("429 on state", sim_fault(FaultKind.RATE_LIMIT, Endpoint.STATE)),
    Case("429 on render submit", sim_fault(FaultKind.RATE_LIMIT, Endpoint.RENDER_SUBMIT)),
    Case("render fails once", sim_fault(FaultKind.RENDER_FAIL, Endpoint.RENDER_SUBMIT)),
    Case("render fails twice", sim_fault(FaultKind.RENDER_FAIL, Endpoint.RENDER_SUBMIT, times=2)),
    Case(
        "render stuck",
        sim_fault(FaultKind.RENDER_STUCK, Endpoint.RENDER_SUBMIT),
        settings={"nemobot_render_max_s": 1.0},
    ),
    Case(
        "malformed JSON on credits",
        sim_fault(FaultKind.MALFORMED_JSON, Endpoint.STATE),
        messages=("/credits", "/status"),
    ),
    Case("wrong content type on state", sim_fault(FaultKind.WRONG_CONTENT_TYPE, Endpoint.STATE)),
    Case("slow responses", sim_fault(FaultKind.DELAY, None, seconds=0.3, times=4)),
    Case(
        "render submit answered 500 after it was accepted",
        sim_fault(FaultKind.HTTP_500, Endpoint.RENDER_SUBMIT, after_handler=True),
    ),
    Case("platform 429 on sends and edits", no_fault, platform={"rate_limit_every": 3}),
    Case("forbidden chat", no_fault, platform={"forbidden": True}, warm_up=False),
    *[
        Case(f"5xx on {endpoint.value}", sim_fault(FaultKind.HTTP_500, endpoint, status=status))
        for endpoint, status in [
            (Endpoint.CREATE_SESSION, 502),
            (Endpoint.RUN_SSE, 500),
            (Endpoint.STATE, 503),
            (Endpoint.CREDITS, 500),
            (Endpoint.RENDER_SUBMIT, 500),
            (Endpoint.RENDER_STATUS, 504),
            (Endpoint.CLAIM_TOKEN, 500),
            (Endpoint.RENDER_RESULT, 500),
            (Endpoint.ANONYMOUS_TOKEN, 502),
        ]
    ],
    *[
        Case(f"connection refused on {endpoint.value}", refuse(path))
        for endpoint, path in ENDPOINT_PATHS.items()
    ],
]


@dataclass
class Run:
    harness: Harness
    store: JobRecordingStore
    out: RecordingOutbound


@pytest.fixture
async def chaos_sim(tmp_path: Path) -> AsyncIterator[Simulator]:
    sim = Simulator(SimulatorConfig.fast(seed=21, data_dir=tmp_path / "sim", initial_credits=100_000))
    async with sim.running():
        yield sim


async def _run_case(case: Case, sim: Simulator, tmp_path: Path) -> Outcome:
    for name, value in case.sim.items():
        setattr(sim.config, name, value)
    net = FaultyTransport()
    limits = PlatformLimits(max_text=4096, upload_cap=50_000_000, edit_interval_s=0.01)
    store = JobRecordingStore()
    async with httpx.AsyncClient(transport=net, timeout=5.0) as http:
        harness = await build_harness(sim, store, tmp_path, limits, http, **case.settings)
        out = FlakyPlatform(limits, **case.platform)
        harness.bot.attach(CHAT.platform, out)
        harness.out = out
        if case.warm_up:
            sim.force_next_turn(Scenario.GENERATION)
            await harness.say("make a video of the sea")
        baseline_turns = sim.stats.turns_started
        baseline_renders = sim.stats.render_submissions
        known_jobs = set(store.jobs)
        injected = case.inject(harness, sim, net)
        if injected is not None:
            await injected
        for text in case.messages:
            before = len(out.messages)
            await asyncio.wait_for(harness.say(text), 30)
            if not case.platform.get("forbidden"):
                assert len(out.messages) > before, f"{case.name}: no reply to {text!r}"
                assert out.messages[-1].final, f"{case.name}: the last reply to {text!r} was never finalised"
        await sim.wait_idle()
        await harness.bot.stop()
    new_jobs = [job for job_id, job in store.jobs.items() if job_id not in known_jobs]
    turns = [job for job in new_jobs if job.kind is JobKind.TURN]
    renders = [job for job in new_jobs if job.kind is JobKind.RENDER]
    return Outcome(
        fault=case.name,
        turns_accepted=sum(1 for job in turns if job.state is not JobState.ACCEPTED),
        turns_sent=sim.stats.turns_started - baseline_turns,
        exports_requested=len(renders),
        render_attempts=sum(job.attempts for job in renders),
        render_submissions=sim.stats.render_submissions - baseline_renders,
        deliveries=sum(1 for m in out.messages if m.video is not None or "render-result" in m.text),
        unanswered=0,
        open_jobs=sum(1 for job in new_jobs if job.state.open),
    )


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_a_fault_loses_nothing_and_duplicates_nothing(
    case: Case, chaos_sim: Simulator, tmp_path: Path
) -> None:
    """Each fault: 0 open jobs, 0 duplicate /run_sse sends, 0 duplicate exports, every message answered."""
    outcome = await _run_case(case, chaos_sim, tmp_path)
    LEDGER.add(outcome)
    assert outcome.open_jobs == 0, outcome
    assert outcome.duplicate_sends == 0, outcome
    assert outcome.duplicate_exports == 0, outcome
    assert outcome.render_attempts <= 2 * max(1, outcome.exports_requested), outcome
