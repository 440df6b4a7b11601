"""SSE relay at scale: many concurrent chats, each streaming a long turn through the core.

A child process serves the simulator with the bench's own ``/run_sse`` in front of it (see
:mod:`bench._simproc`): every turn is ``--events`` ADK partial text events of 11 characters, one every
``--interval-ms`` per chat, with a heartbeat every ``--heartbeat-every`` events, then the aggregated
final event. Token, session and state requests are the simulator's. This process runs the real
core: ``NemoBot`` with ``MemoryStore``, the production HTTP client of ``bots.app`` (unless
``--max-connections`` widens its pool), and an in-process Outbound that records when each
send/edit happens, with ``--edit-interval`` (default 0: no deliberate coalescing).

Each chat first runs a one-event warm-up turn (anonymous token, session), then all chats start
their measured turn at random moments within ``--ramp-s`` (seeded, so runs compare).

Figures, for the measured turns:

* relay overhead per text event, from its receipt to the first outbound call that shows it:
  receipt is when httpx-sse hands the message to the core's parser (``core.nemo.turn``'s
  ``parse_sse_message`` is wrapped here to note the time; target p99 ≤ 20 ms), and, as an upper
  bound that includes the socket and the event loop's queue, from the server's send time (same
  ``CLOCK_MONOTONIC`` on one machine);
* CPU time of this process per event (``time.process_time()``; target ≤ 0.1 ms), counted per text
  event received (conservative: heartbeats, the state read, the final reply and typing pulses are included
  in the cost, not in the count) and per SSE event;
* RSS growth (target ≤ 150 MB): VmHWM minus VmRSS before the warm-up (all chats' state included),
  and during the measured turns alone;
* stalls: how many turns finished, the longest turn and its lateness against the server's schedule.

Run: ``.venv/bin/python -m bench.sse_relay [--chats 100] [--events 200] [--interval-ms 100]``
``[--max-connections N] [--edit-interval 0] [--profile]``.
"""

from __future__ import annotations

import argparse
import array
import asyncio
import contextlib
import cProfile
import io
import itertools
import pstats
import random
import resource
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

import core.nemo.turn as turn_module
from bench._common import (
    Row,
    child_server,
    cpu_seconds,
    peak_rss_mib,
    percentile,
    print_machine,
    print_table,
    reset_peak_rss,
    rss_mib,
)
from bench._simproc import CHUNK_CHARS, chunk_text
from bots.app import http_client
from core.chat import Button, ChatAction, ChatKey, Inbound, MessageRef, PlatformLimits, Sender
from core.nemo.events import AgentEvent, TextChunk
from core.nemo.transport import NemoTransport
from core.service import NemoBot
from core.settings import Settings
from core.skills import SkillProfile
from storage import MemoryStore

PLATFORM = "bench"
TARGET_P99_MS = 20.0
TARGET_CPU_MS = 0.1
TARGET_RSS_MB = 150.0
_KIND = {"send": 0, "edit": 1, "video": 2, "action": 3}


class ArrayOutbound:
    """An Outbound that records each call in flat arrays (16 bytes a call), keeping final texts."""

    def __init__(self, limits: PlatformLimits) -> None:
        self._limits = limits
        self._ids = itertools.count(1)
        self.at = array.array("d")
        self.chat = array.array("l")
        self.length = array.array("l")
        self.kind = array.array("b")
        self.finals: dict[int, list[tuple[float, str]]] = {}

    @property
    def limits(self) -> PlatformLimits:
        return self._limits

    def _record(self, chat: ChatKey, kind: str, text: str, final: bool) -> None:
        now = time.monotonic()
        number = int(chat.chat_id)
        self.at.append(now)
        self.chat.append(number)
        self.length.append(len(text))
        self.kind.append(_KIND[kind])
        if final:
            self.finals.setdefault(number, []).append((now, text))

    async def send_text(
        self, chat: ChatKey, text: str, *, buttons: Sequence[Button] = (), final: bool = True
    ) -> MessageRef:
        self._record(chat, "send", text, final)
        return MessageRef(chat, str(next(self._ids)))

    async def edit_text(
        self, ref: MessageRef, text: str, *, buttons: Sequence[Button] = (), final: bool = False
    ) -> None:
        self._record(ref.chat, "edit", text, final)

    async def send_video(
        self, chat: ChatKey, path: Path, *, caption: str, buttons: Sequence[Button] = ()
    ) -> MessageRef:
        self._record(chat, "video", caption, True)
        return MessageRef(chat, str(next(self._ids)))

    async def chat_action(self, chat: ChatKey, action: ChatAction) -> None:
        self._record(chat, "action", "", False)


@dataclass(slots=True)
class Receipts:
    """When the core's SSE parser received each bench text event: (chat * 10000 + seq, time)."""

    key: array.array[int] = field(default_factory=lambda: array.array("l"))
    at: array.array[float] = field(default_factory=lambda: array.array("d"))


def install_parse_hook(receipts: Receipts) -> Callable[[], None]:
    """Note the time each bench text event reaches ``parse_sse_message``; returns the undo."""
    namespace = vars(turn_module)
    original: Callable[[str, str], list[AgentEvent]] = namespace["parse_sse_message"]

    def noted(data: str, event: str = "") -> list[AgentEvent]:
        now = time.monotonic()
        events = original(data, event)
        if len(events) == 1:
            first = events[0]
            if type(first) is TextChunk and first.partial and len(first.text) == CHUNK_CHARS:
                text = first.text
                receipts.key.append(int(text[1:5]) * 10000 + int(text[6:10]))
                receipts.at.append(now)
        return events

    namespace["parse_sse_message"] = noted

    def undo() -> None:
        namespace["parse_sse_message"] = original

    return undo


def _raise_open_files() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _client(settings: Settings, max_connections: int) -> httpx.AsyncClient:
    if max_connections <= 0:
        return http_client(settings)  # exactly what the bot runs with
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.nemo_http_timeout_s),
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        follow_redirects=True,
        headers={"User-Agent": "nemobot/0.1"},
    )


@dataclass(slots=True)
class Options:
    chats: int
    events: int
    interval_ms: float
    heartbeat_every: int
    ramp_s: float
    edit_interval: float
    max_connections: int
    profile: bool
    timeout_s: float
    warm_concurrency: int


@dataclass(slots=True)
class Measured:
    started: dict[int, float]
    cpu_s: float
    wall_s: float
    server_cpu_s: float | None
    rss_baseline: float | None
    rss_before_main: float | None
    peak_warm: float
    peak_main: float
    finished_in_time: bool


async def _warm_up(bot: NemoBot, out: ArrayOutbound, chats: int, concurrency: int) -> int:
    """One short turn per chat (token, session), ``concurrency`` chats at a time (so the simulator's
    listen backlog of 128 never overflows); returns how many chats answered "ready"."""
    gate = asyncio.Semaphore(concurrency)

    async def one(number: int) -> None:
        chat = ChatKey(PLATFORM, str(number))
        async with gate:
            await bot.receive(
                Inbound(chat, Sender(f"u{number}", "", "en"), f"bench warm c{number:04d}", message_id="w")
            )
            await bot.wait_idle(chat)

    await asyncio.gather(*(one(number) for number in range(1, chats + 1)))
    return sum(1 for finals in out.finals.values() if finals and finals[-1][1] == "ready")


async def _measured_turns(bot: NemoBot, options: Options, started: dict[int, float]) -> bool:
    # Users arrive at random moments: evenly spaced starts would line every chat's events up on a
    # few phases of the interval and measure bursts of the bench's own making.
    rng = random.Random(42)
    offsets = {number: rng.uniform(0, options.ramp_s) for number in range(1, options.chats + 1)}

    async def one(number: int) -> None:
        await asyncio.sleep(offsets[number])
        chat = ChatKey(PLATFORM, str(number))
        started[number] = time.monotonic()
        await bot.receive(
            Inbound(chat, Sender(f"u{number}", "", "en"), f"bench run c{number:04d}", message_id="r")
        )
        await bot.wait_idle(chat)

    try:
        async with asyncio.timeout(options.timeout_s):
            await asyncio.gather(*(one(number) for number in range(1, options.chats + 1)))
    except TimeoutError:
        return False
    return True


async def run(options: Options) -> None:
    _raise_open_files()
    print_machine()
    schedule_s = options.events * options.interval_ms / 1000
    print(
        f"{options.chats} chats × {options.events} text events every {options.interval_ms:g} ms"
        f" (turn ≈ {schedule_s:.0f} s, ≈ {options.chats / (options.interval_ms / 1000):,.0f} events/s"
        f" at full overlap), heartbeat every {options.heartbeat_every}, ramp {options.ramp_s:g} s,"
        f" edit interval {options.edit_interval:g} s,"
        f" HTTP pool {'bots.app (200)' if options.max_connections <= 0 else options.max_connections}"
    )
    rss_baseline = rss_mib()
    receipts = Receipts()
    undo = install_parse_hook(receipts)
    profiler = cProfile.Profile() if options.profile else None
    extra = (
        "--sse-events",
        str(options.events),
        "--sse-interval-ms",
        str(options.interval_ms),
        "--sse-heartbeat-every",
        str(options.heartbeat_every),
    )
    config = {"preset": "fast", "new_accounts_per_ip": 10_000_000}
    with tempfile.TemporaryDirectory(prefix="nemobot-bench-sse-") as folder:
        async with child_server("bench._simproc", config, *extra) as sim:
            settings = Settings(
                _env_file=None,
                nemo_api_url=sim.base_url,
                nemobot_data_dir=Path(folder) / "data",
            )
            async with _client(settings, options.max_connections) as http:

                def transport_for(profile: SkillProfile) -> NemoTransport:
                    return NemoTransport(
                        http, sim.base_url, profile.attribution(settings.nemo_skill_platform)
                    )

                bot = NemoBot(settings, MemoryStore(), transport_for)
                limits = PlatformLimits(
                    max_text=4096, upload_cap=50_000_000, edit_interval_s=options.edit_interval
                )
                out = ArrayOutbound(limits)
                bot.attach(PLATFORM, out)
                began = time.perf_counter()
                ready = await _warm_up(bot, out, options.chats, options.warm_concurrency)
                print(f"warm-up: {ready}/{options.chats} chats ready in {time.perf_counter() - began:.1f} s")
                peak_warm = peak_rss_mib()
                first_call = len(out.at)
                first_receipt = len(receipts.at)
                out.finals.clear()
                rss_before_main = rss_mib()
                reset_peak_rss()
                server_cpu = cpu_seconds(sim.pid)
                started: dict[int, float] = {}
                cpu = time.process_time()
                wall = time.perf_counter()
                if profiler is not None:
                    profiler.enable()
                finished = await _measured_turns(bot, options, started)
                if profiler is not None:
                    profiler.disable()
                wall = time.perf_counter() - wall
                cpu = time.process_time() - cpu
                peak_main = peak_rss_mib()
                server_after = cpu_seconds(sim.pid)
                measured = Measured(
                    started=started,
                    cpu_s=cpu,
                    wall_s=wall,
                    server_cpu_s=server_after - server_cpu
                    if server_after is not None and server_cpu is not None
                    else None,
                    rss_baseline=rss_baseline,
                    rss_before_main=rss_before_main,
                    peak_warm=peak_warm,
                    peak_main=peak_main,
                    finished_in_time=finished,
                )
                await bot.stop()
                sent = (await http.get(f"{sim.base_url}/bench/sendtimes", timeout=60)).json()
    undo()
    report(options, out, receipts, measured, sent, first_call, first_receipt)
    if profiler is not None:
        print_profile(profiler)


def _coverage(out: ArrayOutbound, first_call: int, events: int) -> dict[int, list[float]]:
    """For each chat, when the chat first showed each event (index 0 = event 1)."""
    covered: dict[int, list[float]] = {}
    for index in range(first_call, len(out.at)):
        if out.kind[index] > 1:
            continue
        chat = out.chat[index]
        shown = covered.setdefault(chat, [])
        count = min(events, (out.length[index] + 1) // CHUNK_CHARS)
        while len(shown) < count:
            shown.append(out.at[index])
    return covered


def report(
    options: Options,
    out: ArrayOutbound,
    receipts: Receipts,
    measured: Measured,
    sent: dict[str, list[float]],
    first_call: int,
    first_receipt: int,
) -> None:
    events = options.events
    expected = {
        number: "".join(chunk_text(number, seq) for seq in range(1, events + 1)).strip()
        for number in range(1, options.chats + 1)
    }
    ok_chats = {n for n, finals in out.finals.items() if finals and finals[-1][1] == expected.get(n)}
    failed = sorted(set(range(1, options.chats + 1)) - ok_chats)
    covered = _coverage(out, first_call, events)
    received: dict[int, float] = {}
    for index in range(first_receipt, len(receipts.at)):
        received.setdefault(receipts.key[index], receipts.at[index])

    from_receipt: list[float] = []
    from_send: list[float] = []
    for number in ok_chats:
        shown = covered.get(number, [])
        server = sent.get(str(number), [])
        for seq in range(1, min(len(shown), events) + 1):
            at = shown[seq - 1]
            got = received.get(number * 10000 + seq)
            if got is not None:
                from_receipt.append((at - got) * 1000)
            if seq <= len(server):
                from_send.append((at - server[seq - 1]) * 1000)

    schedule_s = events * options.interval_ms / 1000
    last_receipt = max(receipts.at[first_receipt:], default=min(measured.started.values(), default=0.0))
    streaming_s = last_receipt - min(measured.started.values(), default=last_receipt)
    durations = [
        finals[-1][0] - measured.started[n]
        for n, finals in out.finals.items()
        if n in ok_chats and n in measured.started
    ]
    # Events the core actually received (a turn that failed to start received none).
    text_events = max(1, len(receipts.at) - first_receipt)
    beats = text_events // options.heartbeat_every if options.heartbeat_every else 0
    all_events = text_events + beats + len(ok_chats)
    cpu_text_ms = measured.cpu_s / text_events * 1000
    cpu_all_ms = measured.cpu_s / all_events * 1000
    overall_growth = (
        max(measured.peak_warm, measured.peak_main) - measured.rss_baseline
        if measured.rss_baseline is not None
        else float("nan")
    )
    main_growth = (
        measured.peak_main - measured.rss_before_main
        if measured.rss_before_main is not None
        else float("nan")
    )
    edits = sum(1 for i in range(first_call, len(out.at)) if out.kind[i] <= 1)
    p99 = percentile(from_receipt, 0.99)
    rows = [
        Row("turns finished with the full text", f"{len(ok_chats)}/{options.chats}", "all", not failed),
        Row(
            "longest turn (schedule)",
            f"{max(durations, default=float('nan')):.1f} s ({schedule_s:.1f} s)",
        ),
        Row(
            "max lateness vs schedule",
            f"{max(durations, default=schedule_s) - schedule_s:.2f} s",
        ),
        Row("relay overhead p50, from receipt", f"{percentile(from_receipt, 0.5):.2f} ms"),
        Row(
            "relay overhead p99, from receipt",
            f"{p99:.2f} ms",
            f"≤ {TARGET_P99_MS:g} ms",
            p99 <= TARGET_P99_MS,
        ),
        Row("relay overhead max, from receipt", f"{max(from_receipt, default=float('nan')):.1f} ms"),
        Row("upper bound p50, from server send", f"{percentile(from_send, 0.5):.2f} ms"),
        Row("upper bound p99, from server send", f"{percentile(from_send, 0.99):.2f} ms"),
        Row(
            "CPU per text event",
            f"{cpu_text_ms:.3f} ms",
            f"≤ {TARGET_CPU_MS:g} ms",
            cpu_text_ms <= TARGET_CPU_MS,
        ),
        Row("CPU per SSE event (incl. heartbeats, final)", f"{cpu_all_ms:.3f} ms"),
        Row("text events received", f"{text_events:,} of {options.chats * events:,}"),
        Row(
            "CPU busy (this process), whole measured phase", f"{measured.cpu_s / measured.wall_s * 100:.0f} %"
        ),
        Row(
            "measured phase wall time (last event received)", f"{measured.wall_s:.1f} s ({streaming_s:.1f} s)"
        ),
        Row(
            "server process CPU busy",
            f"{measured.server_cpu_s / measured.wall_s * 100:.0f} %"
            if measured.server_cpu_s is not None
            else "?",
        ),
        Row(
            "RSS growth, before warm-up → peak",
            f"{overall_growth:.1f} MiB",
            f"≤ {TARGET_RSS_MB:g} MB",
            overall_growth <= TARGET_RSS_MB,
        ),
        Row("RSS growth during the measured turns", f"{main_growth:.1f} MiB"),
        Row("sends + edits (per turn)", f"{edits} ({edits / max(1, options.chats):.0f})"),
    ]
    print_table(
        f"SSE relay: {options.chats} chats × {events} events, interval {options.interval_ms:g} ms,"
        f" edit interval {options.edit_interval:g} s",
        rows,
    )
    if not measured.finished_in_time:
        print(f"note: the turns had not all finished after {options.timeout_s:.0f} s")
    if failed:
        endings: dict[str, int] = {}
        for number in failed:
            finals = out.finals.get(number, [])
            # The core's notice (error, "connection lost"…) ends the final text; keep its last line.
            ending = finals[-1][1].rsplit("\n", 1)[-1][-120:] if finals else "(no final message)"
            endings[ending] = endings.get(ending, 0) + 1
        print(f"failed or unfinished chats: {len(failed)}; how their last message ends:")
        for ending, times in sorted(endings.items(), key=lambda item: -item[1]):
            print(f"  {times:5d} × {ending!r}")


def print_profile(profiler: cProfile.Profile) -> None:
    buffer = io.StringIO()
    stats = pstats.Stats(profiler, stream=buffer)
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_callers(0)
    print("\ncProfile of the measured turns (top 30 by own time):")
    print(buffer.getvalue())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--chats", type=int, default=100, help="concurrent chats (default 100; target size 1000)"
    )
    parser.add_argument("--events", type=int, default=200, help="text events per turn (default 200)")
    parser.add_argument("--interval-ms", type=float, default=100.0, help="gap between a chat's events")
    parser.add_argument("--heartbeat-every", type=int, default=10, help="a heartbeat every N events")
    parser.add_argument("--ramp-s", type=float, default=5.0, help="spread the turns' starts over S seconds")
    parser.add_argument("--edit-interval", type=float, default=0.0, help="PlatformLimits.edit_interval_s")
    parser.add_argument(
        "--max-connections", type=int, default=0, help="HTTP pool size (0: bots.app's client, 200)"
    )
    parser.add_argument(
        "--timeout-s", type=float, default=0.0, help="give up after S s (0: 3× schedule + 60)"
    )
    parser.add_argument(
        "--warm-concurrency", type=int, default=50, help="chats set up at a time (default 50)"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the measured turns (slows them)")
    args = parser.parse_args(argv)
    schedule = args.events * args.interval_ms / 1000
    options = Options(
        chats=args.chats,
        events=args.events,
        interval_ms=args.interval_ms,
        heartbeat_every=args.heartbeat_every,
        ramp_s=args.ramp_s,
        edit_interval=args.edit_interval,
        max_connections=args.max_connections,
        profile=args.profile,
        timeout_s=args.timeout_s or 3 * schedule + args.ramp_s + 60,
        warm_concurrency=max(1, args.warm_concurrency),
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(options))


if __name__ == "__main__":
    main()
