"""What a host watches: counters the core and adapters bump, and one log line per piece of work.

The numbers live here as plain Python, so core code counts without importing a metrics library;
``bots/ops.py`` turns a :meth:`Metrics.snapshot` into Prometheus text at scrape time. That keeps
``prometheus-client`` (and its process-global registry) at the edge, where the HTTP server is, and
lets tests read the counters directly. Everything runs on the one event loop, so plain ints suffice.

Each turn, upload and export ends with one INFO line: kind, chat key, outcome and duration, never
the message text or a token. With ``NEMOBOT_LOG_FORMAT=json`` those are fields of their own.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from core.chat import ChatKey

log = logging.getLogger("nemobot.activity")

Work = Callable[[], Awaitable[None]]

# Queue labels (core.bot) → the kind a host counts; a resumed job counts as its kind.
_KINDS = {"render": "export", "resume-render": "export", "resume-turn": "turn", "resume-upload": "upload"}

# Buckets for the job-lag histogram, in seconds (queued behind a chat's earlier work).
LAG_BUCKETS: tuple[float, ...] = (0.01, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0)

_failed: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("nemobot_failed", default=None)


def work_kind(label: str) -> str:
    """``turn``, ``upload``, ``export`` … for a queue label."""
    return _KINDS.get(label, label.removeprefix("resume-") or "work")


@dataclass(slots=True)
class Metrics:
    """Running totals since start. Labels stay small and fixed (kinds, outcomes, platforms)."""

    work: Counter[tuple[str, str]] = field(default_factory=Counter)  # (kind, outcome) → count
    work_seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))  # kind → s
    failures: Counter[str] = field(default_factory=Counter)  # kind → failures explained to the user
    sse_events: int = 0
    rate_limited: Counter[str] = field(default_factory=Counter)  # platform → 429s / RetryAfter
    lag_buckets: list[int] = field(default_factory=lambda: [0] * len(LAG_BUCKETS))
    lag_count: int = 0
    lag_sum: float = 0.0

    def observe_lag(self, seconds: float) -> None:
        self.lag_count += 1
        self.lag_sum += seconds
        for i, bound in enumerate(LAG_BUCKETS):
            if seconds <= bound:
                self.lag_buckets[i] += 1

    def failed(self, kind: str) -> None:
        """A turn/upload/export ended in a failure the user was told about (no exception)."""
        self.failures[kind] += 1
        marks = _failed.get()
        if marks is not None:
            marks.append(kind)

    def platform_rate_limited(self, platform: str) -> None:
        self.rate_limited[platform] += 1

    def sse_event(self) -> None:
        self.sse_events += 1


METRICS = Metrics()


def tracked(chat: ChatKey, label: str, work: Work, *, metrics: Metrics = METRICS) -> Work:
    """``work`` wrapped to count it, time it, measure its wait in the queue and log one line."""
    queued = time.monotonic()

    async def run() -> None:
        started = time.monotonic()
        metrics.observe_lag(started - queued)
        kind = work_kind(label)
        marks: list[str] = []
        token = _failed.set(marks)
        outcome = "error"
        try:
            await work()
            outcome = "failed" if marks else "ok"
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        finally:
            _failed.reset(token)
            duration = time.monotonic() - started
            metrics.work[(kind, outcome)] += 1
            metrics.work_seconds[kind] += duration
            log.info(
                "%s chat=%s outcome=%s duration=%.2fs",
                kind,
                chat,
                outcome,
                duration,
                extra={
                    "event": kind,
                    "chat": str(chat),
                    "outcome": outcome,
                    "duration_s": round(duration, 3),
                },
            )

    return run
