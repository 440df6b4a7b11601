"""Export delivery lag: from the simulator finishing a render to the link reaching the chat.

``--renders`` chats (default 50) each generate a video through the core (``NemoBot`` + the
simulator, in this process), then all send ``/export`` at once: the real ``ExportFlow`` with the
real poll cadence (2 s, ×1.5, capped at ``NEMO_RENDER_POLL_MAX_S``, default 8 s). The simulator's
render durations are set per session, evenly spread over ``--min-s``..``--max-s`` (default 1–20 s
of real time, standing in for 5–60 s renders that would take too long to wait for).

For each render: completion = the simulator's submit time + its duration (``time.monotonic()``, the
clock the simulator's render store uses); delivery = the first ``send_video`` (MP4 attached, its
caption carries the link) or text with the link. Polls = ``GET /api/render/proxy/lambda/<id>``
requests, counted by an httpx request hook on the bot's (production) HTTP client.

Figures: lag median and max (target median ≤ 5 s), the lag's two parts (waiting for the next poll,
then download + delivery), polls per job and the average time between a job's polls (target ≥ 3 s,
i.e. at most one poll per 3 s). It also projects, from the cadence alone, what real 5–60 s renders
would see with the current cadence and with alternatives.

Run: ``.venv/bin/python -m bench.export_lag [--renders 50] [--min-s 1] [--max-s 20]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench._common import MB, Row, print_machine, print_table
from bench._outbound import Call, TimedOutbound
from bots.app import http_client
from core.bot import NemoBot
from core.chat import ChatKey, Inbound, PlatformLimits, Sender
from core.nemo.client import poll_delays
from core.nemo.transport import NemoTransport
from core.settings import Settings
from core.skills import SkillProfile
from simulator import Simulator, SimulatorConfig
from simulator.renders import RenderFate, RenderJob, RenderStore
from storage import MemoryStore

PLATFORM = "bench"
TARGET_MEDIAN_S = 5.0
TARGET_POLL_GAP_S = 3.0
_STATUS_PREFIX = "/api/render/proxy/lambda/"


class TimedRenders(RenderStore):
    """The simulator's render store, with a chosen duration per session and a record of each job."""

    def __init__(self, config: SimulatorConfig) -> None:
        super().__init__(config)
        self.durations: dict[str, float] = {}
        self.jobs: dict[str, RenderJob] = {}

    def submit(
        self,
        *,
        render_id: str,
        user_id: str,
        session_id: str,
        draft: dict[str, Any],
        output: dict[str, Any],
        fate: RenderFate,
    ) -> RenderJob:
        job = super().submit(
            render_id=render_id,
            user_id=user_id,
            session_id=session_id,
            draft=draft,
            output=output,
            fate=fate,
        )
        if session_id in self.durations:
            job.duration = self.durations[session_id]
        self.jobs[session_id] = job
        return job


class PollCounter:
    """An httpx request hook: when each render-status poll was sent, by render id."""

    def __init__(self) -> None:
        self.polls: defaultdict[str, list[float]] = defaultdict(list)

    async def __call__(self, request: httpx.Request) -> None:
        path = request.url.path
        if request.method == "GET" and path.startswith(_STATUS_PREFIX):
            render_id = path[len(_STATUS_PREFIX) :]
            if "/" not in render_id:
                self.polls[render_id].append(time.monotonic())


@dataclass(frozen=True, slots=True)
class Render:
    duration: float
    completed_at: float
    submitted_at: float
    delivered_at: float | None
    polls: list[float]

    @property
    def lag(self) -> float | None:
        return None if self.delivered_at is None else self.delivered_at - self.completed_at

    @property
    def poll_wait(self) -> float | None:
        return self.polls[-1] - self.completed_at if self.polls else None

    @property
    def poll_gap(self) -> float:
        """Average time between this job's polls (from its submission to its last poll)."""
        return (self.polls[-1] - self.submitted_at) / len(self.polls) if self.polls else float("inf")


def spread(count: int, low: float, high: float, seed: int = 7) -> list[float]:
    """``count`` durations evenly spaced over low..high, in a seeded random order."""
    step = (high - low) / max(1, count - 1)
    values = [low + step * index for index in range(count)]
    random.Random(seed).shuffle(values)
    return values


def _delivery(calls: list[Call], after: float) -> float | None:
    for call in calls:
        if call.at < after:
            continue
        if call.kind == "video" or (call.kind == "send" and "Your video is ready" in call.text):
            return call.at
    return None


async def run(count: int, low: float, high: float) -> None:
    print_machine()
    print(
        f"{count} concurrent exports, render durations {low:g}–{high:g} s (real time),"
        " the core's default poll cadence"
    )
    with tempfile.TemporaryDirectory(prefix="nemobot-bench-export-") as folder:
        root = Path(folder)
        config = SimulatorConfig.fast(
            seed=3, data_dir=root / "sim", initial_credits=100_000, new_accounts_per_ip=100_000
        )
        sim = Simulator(config)
        renders = TimedRenders(config)
        sim.backend.renders = renders
        async with sim.running() as base_url:
            settings = Settings(
                _env_file=None,
                nemo_api_url=base_url,
                nemobot_data_dir=root / "data",
            )
            counter = PollCounter()
            http = http_client(settings)
            http.event_hooks = {"request": [counter], "response": []}
            async with http:

                def transport_for(profile: SkillProfile) -> NemoTransport:
                    return NemoTransport(http, base_url, profile.attribution(settings.nemo_skill_platform))

                store = MemoryStore()
                bot = NemoBot(settings, store, transport_for)
                out = TimedOutbound(
                    PlatformLimits(max_text=4096, upload_cap=50 * MB, edit_interval_s=1.0), keep_text=True
                )
                bot.attach(PLATFORM, out)
                chats = [ChatKey(PLATFORM, str(number)) for number in range(1, count + 1)]

                async def say(chat: ChatKey, text: str, message_id: str) -> None:
                    sender = Sender(f"u{chat.chat_id}", "", "en")
                    await bot.receive(Inbound(chat, sender, text, message_id=message_id))
                    await bot.wait_idle(chat)

                began = time.perf_counter()
                prompt = "generate a video of a sunset over the harbour #sim:generate"
                await asyncio.gather(*(say(chat, prompt, "g") for chat in chats))
                sessions: dict[str, str] = {}
                for chat, duration in zip(chats, spread(count, low, high), strict=True):
                    record = await store.get_chat(chat)
                    if record is None or record.session_id is None:
                        raise RuntimeError(f"chat {chat} has no session after its generation")
                    sessions[chat.chat_id] = record.session_id
                    renders.durations[record.session_id] = duration
                print(f"generations: {count} in {time.perf_counter() - began:.1f} s")
                exported = time.monotonic()
                await asyncio.gather(*(say(chat, "/export", "x") for chat in chats))
                wall = time.monotonic() - exported
                await bot.stop()
    results: list[Render] = []
    missing = 0
    for chat in chats:
        job = renders.jobs.get(sessions[chat.chat_id])
        if job is None:
            missing += 1
            continue
        completed = job.started + job.duration
        results.append(
            Render(
                duration=job.duration,
                completed_at=completed,
                submitted_at=job.started,
                delivered_at=_delivery(out.of(chat.chat_id), completed),
                polls=counter.polls.get(job.render_id, []),
            )
        )
    report(results, missing, count, wall, settings.nemo_render_poll_max_s, low, high)


def report(
    results: list[Render], missing: int, count: int, wall: float, cap: float, low: float, high: float
) -> None:
    lags = [r.lag for r in results if r.lag is not None]
    waits = [r.poll_wait for r in results if r.poll_wait is not None]
    delivery = [r.lag - r.poll_wait for r in results if r.lag is not None and r.poll_wait is not None]
    polls = [len(r.polls) for r in results]
    total_polls = sum(polls)
    span = sum(r.polls[-1] - r.submitted_at for r in results if r.polls)
    mean_gap = span / total_polls if total_polls else float("inf")
    worst_gap = min((r.poll_gap for r in results), default=float("inf"))
    median = statistics.median(lags) if lags else float("nan")
    delivered = len(lags)
    rows = [
        Row("renders delivered", f"{delivered}/{count}", "all", delivered == count and not missing),
        Row("lag median", f"{median:.2f} s", f"≤ {TARGET_MEDIAN_S:g} s", median <= TARGET_MEDIAN_S),
        Row("lag max", f"{max(lags, default=float('nan')):.2f} s"),
        Row(
            "  of which: wait for the next poll, median", f"{statistics.median(waits) if waits else 0:.2f} s"
        ),
        Row(
            "  of which: download + delivery, median",
            f"{statistics.median(delivery) if delivery else 0:.2f} s",
        ),
        Row("  download + delivery, max", f"{max(delivery, default=0):.2f} s"),
        Row(
            "polls per job, mean (max)",
            f"{statistics.mean(polls) if polls else 0:.1f} ({max(polls, default=0)})",
        ),
        Row(
            "time between polls, all jobs",
            f"{mean_gap:.2f} s",
            f"≥ {TARGET_POLL_GAP_S:g} s",
            mean_gap >= TARGET_POLL_GAP_S,
        ),
        Row("time between polls, busiest job", f"{worst_gap:.2f} s"),
        Row("all exports done after", f"{wall:.1f} s"),
    ]
    print_table(f"export lag: {count} renders of {low:g}–{high:g} s, poll cap {cap:g} s", rows)
    by_duration = sorted(results, key=lambda r: r.duration)
    print(
        "\n  duration → lag (polls):  "
        + ", ".join(
            f"{r.duration:.0f}s→{r.lag:.1f}s({len(r.polls)})"
            for r in by_duration[:: max(1, len(by_duration) // 10)]
            if r.lag is not None
        )
    )
    project(cap)


def _schedule(delays: Iterator[float]) -> Callable[[float], tuple[float, int]]:
    """For a cadence, a function: render duration → (seconds until the first poll after it, polls)."""
    times: list[float] = []
    now = 0.0
    while now < 3600:
        now += next(delays)
        times.append(now)

    def after(duration: float) -> tuple[float, int]:
        for index, moment in enumerate(times):
            if moment >= duration:
                return moment - duration, index + 1
        return float("inf"), len(times)

    return after


def project(cap: float) -> None:
    """What each cadence gives real renders of 5–60 s (evenly spread), from the cadence alone.

    The default cap (``NEMO_RENDER_POLL_MAX_S``) is chosen from this table: the thriftiest cap whose
    median wait leaves about a second for delivery under the 5 s target, at ≥ 3 s per poll.
    """
    durations = [5 + 55 * index / 999 for index in range(1000)]
    cadences: dict[str, Iterator[float]] = {f"current: 2 s ×1.5, cap {cap:g} s": poll_delays(2.0, 1.5, cap)}
    for option in (5.0, 6.0, 8.0, 10.0, 12.0, 15.0, 30.0):
        if option != cap:
            cadences[f"2 s ×1.5, cap {option:g} s"] = poll_delays(2.0, 1.5, option)
    cadences["every 3 s"] = poll_delays(3.0, 1.0, 3.0)
    print("\n  projection for real renders of 5–60 s (poll wait only, no delivery time):")
    for name, delays in cadences.items():
        after = _schedule(delays)
        waits, counts = zip(*(after(d) for d in durations), strict=True)
        gap = sum(d + w for d, w in zip(durations, waits, strict=True)) / sum(counts)
        median = statistics.median(waits)
        verdict = "OK" if median <= TARGET_MEDIAN_S and gap >= TARGET_POLL_GAP_S else "MISS"
        print(
            f"    {name:<26} wait median {median:5.2f} s, max {max(waits):5.2f} s,"
            f" mean {sum(counts) / len(counts):4.1f} polls/job, one poll per {gap:4.2f} s  {verdict}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--renders", type=int, default=50, help="concurrent exports, one per chat (default 50)"
    )
    parser.add_argument(
        "--min-s", type=float, default=1.0, help="shortest render in real seconds (default 1)"
    )
    parser.add_argument(
        "--max-s", type=float, default=20.0, help="longest render in real seconds (default 20)"
    )
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(args.renders, args.min_s, args.max_s))


if __name__ == "__main__":
    main()
