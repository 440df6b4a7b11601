"""Footprint: time from process start to ready, and idle RSS, of ``python -m bots console``.

A simulator runs in a child process (``NEMO_API_URL`` points at it). The console is spawned with
stdin a pipe (non-interactive mode), a temporary data directory and a temporary working
directory (so no ``.env`` is read); ``NEMO_*``/``NEMOBOT_*`` variables of the caller are dropped.
Ready = its first output line (the welcome) is read; its VmRSS is read from /proc at that moment
and again after ``--idle-s`` seconds of idling. Closing stdin ends it.

The first run starts from an empty data directory (key and database created); the others reuse it,
like a restart. ``--importtime`` adds one ``python -X importtime`` run and lists the costliest
imports, and the interpreter's own start (``python -c pass``) is shown for scale.

Run: ``.venv/bin/python -m bench.footprint [--runs 5] [--idle-s 2] [--importtime]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench._common import PYTHON, Row, child_server, print_machine, print_table, status_kib

TARGET_RSS_MB = 80.0
TARGET_READY_S = 2.0
REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class Start:
    ready_s: float
    rss_ready_mib: float
    rss_idle_mib: float
    peak_mib: float
    first_line: str


def _environment(api_url: str, data_dir: Path) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("NEMO_", "NEMOBOT_", "TELEGRAM_", "DISCORD_"))
    }
    env["PYTHONPATH"] = str(REPO)
    env["NEMO_API_URL"] = api_url
    env["NEMOBOT_DATA_DIR"] = str(data_dir)
    return env


async def start_console(api_url: str, data_dir: Path, cwd: Path, idle_s: float, *extra: str) -> Start:
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        PYTHON,
        *extra,
        "-m",
        "bots",
        "console",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_environment(api_url, data_dir),
        cwd=cwd,
    )
    assert process.stdout is not None
    assert process.stdin is not None
    try:
        async with asyncio.timeout(60):
            line = (await process.stdout.readline()).decode()
        ready = time.perf_counter() - started
        if not line:
            _, err = await process.communicate()
            raise RuntimeError(f"the console exited before its welcome: {err.decode()[-2000:]}")
        rss_ready = (status_kib("VmRSS", process.pid) or 0) / 1024
        await asyncio.sleep(idle_s)
        rss_idle = (status_kib("VmRSS", process.pid) or 0) / 1024
        peak = (status_kib("VmHWM", process.pid) or 0) / 1024
        process.stdin.close()
        async with asyncio.timeout(30):
            await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return Start(ready, rss_ready, rss_idle, peak, line.strip())


async def interpreter_start() -> tuple[float, float]:
    """Seconds and RSS (MiB) of a bare ``python -c`` that reports its own VmRSS."""
    started = time.perf_counter()
    code = (
        "import pathlib;print([l for l in pathlib.Path('/proc/self/status').read_text().splitlines()"
        " if l.startswith('VmRSS')][0])"
    )
    process = await asyncio.create_subprocess_exec(PYTHON, "-c", code, stdout=asyncio.subprocess.PIPE)
    out, _ = await process.communicate()
    seconds = time.perf_counter() - started
    return seconds, int(out.split()[1]) / 1024


async def import_times(api_url: str, data_dir: Path, cwd: Path) -> None:
    """One run under ``-X importtime``; prints the packages that cost the most (own import time)."""
    process = await asyncio.create_subprocess_exec(
        PYTHON,
        "-X",
        "importtime",
        "-m",
        "bots",
        "console",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_environment(api_url, data_dir),
        cwd=cwd,
    )
    assert process.stdin is not None
    process.stdin.close()
    _, err = await process.communicate()
    packages: dict[str, int] = {}
    total = 0
    for line in err.decode().splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        self_us, _cumulative, name = line[len("import time:") :].split("|", 2)
        top = name.strip().split(".")[0]
        packages[top] = packages.get(top, 0) + int(self_us)
        total += int(self_us)
    print(f"\n  -X importtime: {total / 1000:.0f} ms importing; packages by own import time:")
    for name, micros in sorted(packages.items(), key=lambda item: -item[1])[:15]:
        print(f"    {name:<24} {micros / 1000:7.1f} ms")


async def run(runs: int, idle_s: float, importtime: bool) -> None:
    print_machine()
    with tempfile.TemporaryDirectory(prefix="nemobot-bench-footprint-") as folder:
        root = Path(folder)
        cwd = root / "cwd"
        cwd.mkdir()
        async with child_server("bench._simproc", {"preset": "demo"}) as sim:
            bare_s, bare_rss = await interpreter_start()
            starts: list[Start] = []
            for number in range(1, runs + 1):
                starts.append(await start_console(sim.base_url, root / "data", cwd, idle_s))
                start = starts[-1]
                fresh = " (empty data dir)" if number == 1 else ""
                print(
                    f"  run {number}{fresh}: ready {start.ready_s:.2f} s,"
                    f" RSS {start.rss_ready_mib:.1f} MiB at ready, {start.rss_idle_mib:.1f} MiB idle"
                )
            if importtime:
                await import_times(sim.base_url, root / "data", cwd)
    print(f"  first line: {starts[0].first_line[:90]!r}")
    ready = [s.ready_s for s in starts]
    idle = [s.rss_idle_mib for s in starts]
    median_ready = statistics.median(ready)
    worst_idle = max(idle)
    rows = [
        Row(
            "start → ready, median",
            f"{median_ready:.2f} s",
            f"≤ {TARGET_READY_S:g} s",
            median_ready <= TARGET_READY_S,
        ),
        Row("start → ready, max", f"{max(ready):.2f} s"),
        Row("start → ready, first (empty data dir)", f"{ready[0]:.2f} s"),
        Row(
            "idle RSS, max over runs",
            f"{worst_idle:.1f} MiB",
            f"≤ {TARGET_RSS_MB:g} MB",
            worst_idle <= TARGET_RSS_MB,
        ),
        Row("RSS at ready, median", f"{statistics.median(s.rss_ready_mib for s in starts):.1f} MiB"),
        Row("peak RSS (VmHWM), max", f"{max(s.peak_mib for s in starts):.1f} MiB"),
        Row("bare interpreter: start, RSS", f"{bare_s:.2f} s, {bare_rss:.1f} MiB"),
    ]
    print_table(f"footprint of `python -m bots console`, {runs} run(s), idle {idle_s:g} s", rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5, help="console starts (default 5)")
    parser.add_argument("--idle-s", type=float, default=2.0, help="idle time before the idle RSS reading")
    parser.add_argument("--importtime", action="store_true", help="also list the costliest imports")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(max(1, args.runs), args.idle_s, args.importtime))


if __name__ == "__main__":
    main()
