"""Platform budget: a burst of streamed replies in many Telegram chats at once, against Telegram's rules.

``--chats`` private chats (default 50) each send one message at the same moment; each reply streams
``--events`` text events, one every ``--interval-ms``, and the final aggregated event comes
``--final-pause-ms`` later (as when the agent goes on with tools after it has spoken), so the whole
text is already on screen when the final version arrives (the bench's own ``/run_sse`` in front of
the simulator, in a child process, see :mod:`bench._simproc`). Each chat is set up first by a one-event
turn, then the flood windows are left to clear before the burst.

``--fake telegram`` (the default, when ``bots/telegram`` and ``tests/telegram/fake_bot_api.py`` are
present) runs the real ``TelegramAdapter`` (python-telegram-bot, its pacer and error mapping) against
the fake Bot API, which answers 429 past 3 messages in 3 s per private chat or 30 a second overall,
and "message is not modified" for an edit that changes nothing. ``--fake core`` runs the core alone
with an in-process Outbound that has Telegram's limits (4096 UTF-16 units, 1 edit/s in a DM) and
counts, without refusing, the calls that would break the same rules.

Figures: 429 answers (target 0), "not modified" answers (target 0), edits per chat per second (the
busiest chat's average over its reply, target ≤ 1 in a DM, and its peak in any 3 s window / 3),
the busiest second across all chats, and how much the pacing stretched the replies.

Run: ``.venv/bin/python -m bench.platform_budget [--chats 50] [--events 60] [--interval-ms 100]``
``[--final-pause-ms 1500] [--fake telegram|core]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import os
import tempfile
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench._common import MB, Row, child_server, print_machine, print_table
from bench._outbound import TimedOutbound
from bench._simproc import chunk_text
from bots.app import http_client
from core.bot import NemoBot
from core.chat import ChatKey, Inbound, PlatformLimits, Sender, utf16_length
from core.nemo.transport import NemoTransport
from core.settings import Settings
from core.skills import SkillProfile
from storage import MemoryStore

TELEGRAM_DM = PlatformLimits(
    max_text=4096,
    upload_cap=50 * MB,
    edit_interval_s=1.0,
    group_edit_interval_s=3.0,
    download_cap=20 * MB,
    text_length=utf16_length,
)
PRIVATE_RULE = (3, 3.0)  # messages per seconds in one private chat (the fake Bot API's rule)
OVERALL_RULE = (30, 1.0)
FIRST_CHAT_ID = 5001


def telegram_fake_available() -> bool:
    root = Path(__file__).resolve().parent.parent
    return (root / "bots" / "telegram" / "__init__.py").is_file() and (
        importlib.util.find_spec("tests.telegram.fake_bot_api") is not None
    )


@dataclass(frozen=True, slots=True)
class Message:
    """A message-producing call as the platform saw it."""

    at: float
    chat_id: int
    method: str  # sendMessage, editMessageText, sendVideo
    status: int
    error: str = ""


@dataclass(frozen=True, slots=True)
class Burst:
    calls: list[Message]
    started: float
    finished: dict[int, float]  # chat id -> when its reply showed the whole text
    chats: int
    setup_errors: list[str]


def _settings(api_url: str, data_dir: Path) -> Settings:
    return Settings(
        _env_file=None,
        nemo_api_url=api_url,
        nemobot_data_dir=data_dir,
    )


def _expected(chat_number: int, events: int) -> str:
    return "".join(chunk_text(chat_number, seq) for seq in range(1, events + 1)).strip()


async def burst_telegram(api_url: str, data_dir: Path, chats: int, events: int, timeout_s: float) -> Burst:
    """The real Telegram adapter against the fake Bot API."""
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    from bots.telegram import TelegramAdapter, TelegramSettings
    from tests.telegram.fake_bot_api import FakeBotApi
    from tests.telegram.updates import Updates, person

    fake = FakeBotApi()
    await fake.start()
    settings = _settings(api_url, data_dir)
    try:
        async with http_client(settings) as http:

            def transport_for(profile: SkillProfile) -> NemoTransport:
                return NemoTransport(http, api_url, profile.attribution("telegram"))

            bot = NemoBot(settings, MemoryStore(), transport_for)
            adapter = TelegramAdapter(
                bot,
                TelegramSettings(
                    _env_file=None,
                    telegram_bot_token=fake.token,
                    telegram_api_base_url=fake.base_url,
                    telegram_file_base_url=fake.file_base_url,
                    telegram_poll_timeout_s=1,
                ),
            )
            await adapter.start()
            try:
                updates = Updates(fake)
                users = {n: person(FIRST_CHAT_ID + n - 1, name=f"User{n}") for n in range(1, chats + 1)}
                rooms = {n: updates.private(users[n]) for n in range(1, chats + 1)}

                def showing(text_of: Callable[[int], str]) -> Callable[[], bool]:
                    return lambda: all(
                        text_of(n) in fake.texts(FIRST_CHAT_ID + n - 1) for n in range(1, chats + 1)
                    )

                for n in range(1, chats + 1):
                    updates.message(rooms[n], f"bench warm c{n:04d}", sender=users[n])
                await fake.wait_for(showing(lambda n: "ready"), within_s=120)
                setup_errors = [call.error for call in fake.calls if call.status != 200]
                await asyncio.sleep(PRIVATE_RULE[1] * 1.5)  # let every flood window clear
                first = len(fake.calls)
                started = time.monotonic()
                for n in range(1, chats + 1):
                    updates.message(rooms[n], f"bench run c{n:04d}", sender=users[n])
                finished: dict[int, float] = {}

                def done() -> bool:
                    for n in range(1, chats + 1):
                        chat_id = FIRST_CHAT_ID + n - 1
                        if chat_id not in finished and _expected(n, events) in fake.texts(chat_id):
                            finished[chat_id] = time.monotonic()
                    return len(finished) == chats

                with contextlib.suppress(TimeoutError):
                    await fake.wait_for(done, within_s=timeout_s)
                    # The whole text is on screen; the turns still end with their final version.
                    async with asyncio.timeout(timeout_s):
                        for n in range(1, chats + 1):
                            await bot.wait_idle(ChatKey("telegram", str(FIRST_CHAT_ID + n - 1)))
                calls = [
                    Message(call.at, call.chat_id or 0, call.method, call.status, call.error)
                    for call in fake.calls[first:]
                    if call.method in ("sendMessage", "editMessageText", "sendVideo")
                ]
                return Burst(calls, started, finished, chats, setup_errors)
            finally:
                await adapter.stop()
                await bot.stop()
    finally:
        await fake.stop()


async def burst_core(api_url: str, data_dir: Path, chats: int, events: int, timeout_s: float) -> Burst:
    """The core alone, with an Outbound that has Telegram's DM limits and refuses nothing."""
    settings = _settings(api_url, data_dir)
    async with http_client(settings) as http:

        def transport_for(profile: SkillProfile) -> NemoTransport:
            return NemoTransport(http, api_url, profile.attribution("telegram"))

        bot = NemoBot(settings, MemoryStore(), transport_for)
        out = TimedOutbound(TELEGRAM_DM, keep_text=True)
        bot.attach("telegram", out)

        async def say(n: int, text: str, message_id: str) -> None:
            chat = ChatKey("telegram", str(FIRST_CHAT_ID + n - 1))
            await bot.receive(Inbound(chat, Sender(f"u{n}", "", "en"), text, message_id=message_id))
            await bot.wait_idle(chat)

        await asyncio.gather(*(say(n, f"bench warm c{n:04d}", "w") for n in range(1, chats + 1)))
        first = len(out.calls)
        started = time.monotonic()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                await asyncio.gather(*(say(n, f"bench run c{n:04d}", "r") for n in range(1, chats + 1)))
        await bot.stop()
    calls: list[Message] = []
    finished: dict[int, float] = {}
    last_text: dict[int, str] = {}
    for call in out.calls[first:]:
        if call.kind not in ("send", "edit", "video"):
            continue
        chat_id = int(call.chat_id)
        method = {"send": "sendMessage", "edit": "editMessageText", "video": "sendVideo"}[call.kind]
        unchanged = call.kind == "edit" and call.final and last_text.get(chat_id) == call.text
        calls.append(
            Message(
                call.at,
                chat_id,
                method,
                400 if unchanged else 200,
                "message is not modified" if unchanged else "",
            )
        )
        if call.text:
            last_text[chat_id] = call.text
        if call.final and call.text == _expected(chat_id - FIRST_CHAT_ID + 1, events):
            finished.setdefault(chat_id, call.at)
    return Burst(_flag_floods(calls), started, finished, chats, [])


def _flag_floods(calls: Sequence[Message]) -> list[Message]:
    """Mark with 429 the calls the fake Bot API's flood rules would have refused."""
    windows: dict[int | None, deque[float]] = {}
    flagged: list[Message] = []
    for call in sorted(calls, key=lambda c: c.at):
        if call.status != 200:
            flagged.append(call)
            continue
        refused = False
        for key, (count, window) in ((call.chat_id, PRIVATE_RULE), (None, OVERALL_RULE)):
            times = windows.setdefault(key, deque())
            while times and times[0] <= call.at - window:
                times.popleft()
            if len(times) >= count:
                refused = True
        if refused:
            flagged.append(Message(call.at, call.chat_id, call.method, 429, "Too Many Requests"))
            continue
        for key in (call.chat_id, None):
            windows.setdefault(key, deque()).append(call.at)
        flagged.append(call)
    return flagged


def _peak_in_window(times: Sequence[float], window: float) -> int:
    peak = 0
    start = 0
    for end, moment in enumerate(times):
        while moment - times[start] >= window:
            start += 1
        peak = max(peak, end - start + 1)
    return peak


def report(burst: Burst, mode: str, events: int, interval_ms: float) -> None:
    calls = burst.calls
    rate_limited = sum(1 for c in calls if c.status == 429)
    not_modified = sum(1 for c in calls if c.status == 400 and "not modified" in c.error.lower())
    other_errors = sum(
        1 for c in calls if c.status not in (200, 429) and "not modified" not in c.error.lower()
    )
    per_chat_rate: list[float] = []
    per_chat_peak: list[float] = []
    edits_total = 0
    for chat_id in {c.chat_id for c in calls}:
        edits = sorted(
            c.at for c in calls if c.chat_id == chat_id and c.method == "editMessageText" and c.status == 200
        )
        sends = sorted(c.at for c in calls if c.chat_id == chat_id and c.status == 200)
        edits_total += len(edits)
        if len(edits) >= 2:
            per_chat_rate.append(
                (len(edits) - 1) / (edits[-1] - edits[0]) if edits[-1] > edits[0] else float("inf")
            )
        per_chat_peak.append(_peak_in_window(sends, PRIVATE_RULE[1]) / PRIVATE_RULE[1])
    all_ok = sorted(c.at for c in calls if c.status == 200)
    busiest_second = _peak_in_window(all_ok, 1.0)
    schedule = events * interval_ms / 1000
    durations = [at - burst.started for at in burst.finished.values()]
    worst_rate = max(per_chat_rate, default=0.0)
    rows = [
        Row(
            "replies complete",
            f"{len(burst.finished)}/{burst.chats}",
            "all",
            len(burst.finished) == burst.chats,
        ),
        Row("429 answers", str(rate_limited), "0", rate_limited == 0),
        Row('"message is not modified" answers', str(not_modified), "0", not_modified == 0),
        Row("other error answers", str(other_errors)),
        Row("edits per chat per second, busiest chat", f"{worst_rate:.2f}", "≤ 1 (DM)", worst_rate <= 1.0),
        Row("messages per chat per second, peak 3 s window", f"{max(per_chat_peak, default=0):.2f}"),
        Row("messages in the busiest second, all chats", str(busiest_second), f"Telegram ~{OVERALL_RULE[0]}"),
        Row("edits (per chat)", f"{edits_total} ({edits_total / max(1, burst.chats):.1f})"),
        Row(
            "reply complete after, median / max (stream)",
            f"{sorted(durations)[len(durations) // 2] if durations else float('nan'):.1f} / "
            f"{max(durations, default=float('nan')):.1f} s ({schedule:.1f} s)",
        ),
    ]
    if burst.setup_errors:
        rows.append(Row("error answers during set-up (one-event turns)", str(len(burst.setup_errors))))
    print_table(
        f"platform budget: {burst.chats} DM chats, {mode} fake, {events} events × {interval_ms:g} ms", rows
    )
    for error in sorted(set(burst.setup_errors)):
        print(f"  set-up: {burst.setup_errors.count(error)} × {error[:110]}")


async def run(
    chats: int, events: int, interval_ms: float, final_pause_ms: float, mode: str, timeout_s: float
) -> None:
    print_machine()
    if mode == "telegram" and not telegram_fake_available():
        print("bots/telegram or tests/telegram/fake_bot_api.py is missing: running against the core fake")
        mode = "core"
    extra = (
        "--sse-events",
        str(events),
        "--sse-interval-ms",
        str(interval_ms),
        "--sse-final-pause-ms",
        str(final_pause_ms),
    )
    config = {"preset": "fast", "new_accounts_per_ip": 1_000_000}
    with tempfile.TemporaryDirectory(prefix="nemobot-bench-budget-") as folder:
        async with child_server("bench._simproc", config, *extra) as sim:
            runner = burst_telegram if mode == "telegram" else burst_core
            burst = await runner(sim.base_url, Path(folder) / "data", chats, events, timeout_s)
    report(burst, mode, events, interval_ms)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--chats", type=int, default=50, help="private chats in the burst (default 50)")
    parser.add_argument("--events", type=int, default=60, help="text events per reply (default 60)")
    parser.add_argument("--interval-ms", type=float, default=100.0, help="gap between events (default 100)")
    parser.add_argument(
        "--final-pause-ms",
        type=float,
        default=1500.0,
        help="pause between the last text event and the final one (default 1500: the reply is fully shown"
        " by an edit before the final version arrives)",
    )
    parser.add_argument(
        "--fake",
        choices=("telegram", "core"),
        default="telegram",
        help="the Telegram adapter + fake Bot API (default), or the core with Telegram's limits",
    )
    parser.add_argument("--timeout-s", type=float, default=120.0, help="give up waiting after S seconds")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            run(args.chats, args.events, args.interval_ms, args.final_pause_ms, args.fake, args.timeout_s)
        )


if __name__ == "__main__":
    main()
