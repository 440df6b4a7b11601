"""Shared by the benchmarks: process figures from /proc, child servers, percentiles and the table.

Nothing here measures anything on its own; each ``bench.<name>`` script decides what to time.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import math
import os
import platform
import resource
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

MB = 1_000_000
MIB = 1024 * 1024
PYTHON = sys.executable  # the interpreter running the bench: .venv/bin/python when run as documented


# Process figures ---------------------------------------------------------------------------------


def status_kib(field: str, pid: int | str = "self") -> int | None:
    """A ``Vm*`` line of ``/proc/<pid>/status`` in KiB (``VmRSS``, ``VmHWM``), or None off Linux."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return None


def rss_mib(pid: int | str = "self") -> float | None:
    kib = status_kib("VmRSS", pid)
    return kib / 1024 if kib is not None else None


def peak_rss_mib() -> float:
    """This process's peak RSS (VmHWM; ``ru_maxrss`` where /proc is missing)."""
    kib = status_kib("VmHWM")
    if kib is None:
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux ≥ 4.0); False when the kernel refuses."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of another process (from /proc/<pid>/stat), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def machine() -> dict[str, str]:
    """What RESULTS.md records about the machine a run came from."""
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count() or "?"),
        "cpu": model,
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def print_machine() -> None:
    info = machine()
    print(
        f"machine: {info['nproc']} CPU ({info['cpu']}), Python {info['python']},"
        f" Linux {info['kernel']}, {info['date']}"
    )


# Statistics -------------------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (``fraction`` in 0..1); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


# The report table -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """One line of a report: a figure, its target (if any) and whether it met it (None: no target)."""

    name: str
    value: str
    target: str = ""
    ok: bool | None = None

    @property
    def verdict(self) -> str:
        return "" if self.ok is None else ("OK" if self.ok else "MISS")


def print_table(title: str, rows: Sequence[Row]) -> None:
    width = max(len(row.name) for row in rows)
    value_width = max(len(row.value) for row in rows)
    target_width = max((len(row.target) for row in rows), default=0)
    print(f"\n{title}")
    print("-" * (width + value_width + target_width + 12))
    for row in rows:
        line = f"  {row.name:<{width}}  {row.value:>{value_width}}"
        if row.target or row.verdict:
            line += f"  {row.target:<{target_width}}  {row.verdict}"
        print(line.rstrip())


# Child servers ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Child:
    """A server started in a child process: its pid and the base URL it printed when ready."""

    process: asyncio.subprocess.Process
    base_url: str

    @property
    def pid(self) -> int:
        return self.process.pid


@contextlib.asynccontextmanager
async def child_server(module: str, config: dict[str, object], *extra: str) -> AsyncIterator[Child]:
    """Run ``python -m <module> --config JSON`` and wait for its ``READY <url>`` line.

    The child is stopped with SIGTERM (then SIGKILL) on exit, so it removes its temporary data.
    """
    process = await asyncio.create_subprocess_exec(
        PYTHON,
        "-m",
        module,
        "--config",
        json.dumps(config),
        *extra,
        stdout=asyncio.subprocess.PIPE,
        stderr=None,
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(30):
            while True:
                line = (await process.stdout.readline()).decode().strip()
                if not line:
                    raise RuntimeError(f"{module} exited before it was ready")
                if line.startswith("READY "):
                    break
        yield Child(process, line.split(" ", 1)[1])
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(10):
                    await process.wait()
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
