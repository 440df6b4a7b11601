"""Upload benchmark: stream an N MB generated file through ``NemoClient.upload_files``.

Starts the simulator in-process on loopback, uploads a file made on the fly by an async generator
(never held in memory), and prints figures, not a verdict:

- throughput in MB/s (a pass without tracemalloc, which slows allocation-heavy code);
- the tracemalloc peak of a second, traced pass (client and simulator share the process);
- the process's RSS growth: VmHWM (peak resident set, reset before the pass where the kernel
  allows it) minus VmRSS before, from ``/proc/self/status``; ``ru_maxrss`` elsewhere.

Run: ``.venv/bin/python -m bench.upload_memory [--mb 100] [--chunk-kb 256] [--unsized]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import resource
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from core.nemo.auth import AnonymousTokens
from core.nemo.client import NemoClient
from core.nemo.models import SkillAttribution
from core.nemo.multipart import UploadSource
from core.nemo.transport import NemoTransport
from simulator import Simulator, SimulatorConfig

MIB = 1024 * 1024
_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


@dataclass(frozen=True, slots=True)
class Pass:
    seconds: float
    rss_before_kib: int | None
    rss_peak_kib: int | None
    traced_peak: int | None


def _status_kib(field: str) -> int | None:
    """A ``Vm*`` figure of this process in KiB, or None off Linux."""
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux ≥ 4.0); False when not allowed."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def _rss_now_kib() -> int | None:
    return _status_kib("VmRSS")


def _rss_peak_kib() -> int | None:
    peak = _status_kib("VmHWM")
    if peak is not None:
        return peak
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


async def generated(total: int, chunk: int) -> AsyncIterator[bytes]:
    """``total`` bytes made chunk by chunk, each chunk a fresh object (like a download stream)."""
    sent = 0
    while sent < total:
        size = min(chunk, total - sent)
        yield bytes([sent // chunk % 251]) * size
        sent += size


async def _upload_once(
    client: NemoClient, session_id: str, total: int, chunk: int, *, sized: bool, traced: bool
) -> Pass:
    source = UploadSource("bench.mp4", "video/mp4", lambda: generated(total, chunk), total if sized else None)
    rss_before = _rss_now_kib()
    _reset_peak_rss()
    if traced:
        tracemalloc.start()
        tracemalloc.reset_peak()
    started = time.perf_counter()
    try:
        result = await client.upload_files(session_id, [source])
        seconds = time.perf_counter() - started
        traced_peak = tracemalloc.get_traced_memory()[1] if traced else None
    finally:
        if traced:
            tracemalloc.stop()
    if not result.files:
        raise RuntimeError("the simulator accepted no file")
    return Pass(seconds, rss_before, _rss_peak_kib(), traced_peak)


def _remove_uploads(sim: Simulator) -> None:
    for path in sim.backend.uploaded_files.values():
        path.unlink(missing_ok=True)
    sim.backend.uploaded_files.clear()


def _report(label: str, run: Pass, total: int) -> None:
    rate = total / MIB / run.seconds if run.seconds > 0 else float("inf")
    print(f"  {label}: {run.seconds:6.2f} s   {rate:8.1f} MB/s")
    if run.rss_before_kib is not None and run.rss_peak_kib is not None:
        growth = (run.rss_peak_kib - run.rss_before_kib) / 1024
        print(
            f"    RSS before {run.rss_before_kib / 1024:7.1f} MiB, peak {run.rss_peak_kib / 1024:7.1f} MiB,"
            f" growth {growth:+7.1f} MiB"
        )
    if run.traced_peak is not None:
        share = run.traced_peak / total * 100
        print(f"    tracemalloc peak {run.traced_peak / MIB:7.2f} MiB ({share:.2f} % of the file)")


async def run(megabytes: int, chunk_kib: int, *, sized: bool) -> None:
    total = megabytes * MIB
    chunk = chunk_kib * 1024
    with tempfile.TemporaryDirectory(prefix="nemobot-bench-") as data_dir:
        config = SimulatorConfig.fast(seed=1, data_dir=Path(data_dir), upload_max_bytes=total + MIB)
        sim = Simulator(config)
        async with sim.running() as base_url, httpx.AsyncClient(timeout=60) as http:
            transport = NemoTransport(http, base_url, SkillAttribution("nemo-video", "bench", "unknown"))
            client = NemoClient(transport, AnonymousTokens(transport, str(uuid.uuid4())))
            session = await client.create_session("upload bench")
            await client.credits()  # warm the connection pool
            print(
                f"upload of {megabytes} MB in {chunk_kib} KiB chunks"
                f" ({'Content-Length' if sized else 'chunked'}), client and simulator in one process"
            )
            plain = await _upload_once(client, session.session_id, total, chunk, sized=sized, traced=False)
            _remove_uploads(sim)
            _report("untraced pass", plain, total)
            traced = await _upload_once(client, session.session_id, total, chunk, sized=sized, traced=True)
            _remove_uploads(sim)
            _report("traced pass  ", traced, total)
            stored = sim.stats.uploaded_bytes / MIB
            print(f"  simulator stored {stored:.0f} MB in {sim.stats.uploaded_files} files")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mb", type=int, default=100, help="file size in MB (default 100)")
    parser.add_argument("--chunk-kb", type=int, default=256, help="generator chunk size in KiB (default 256)")
    parser.add_argument("--unsized", action="store_true", help="send without Content-Length (chunked)")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(args.mb, args.chunk_kb, sized=not args.unsized))


if __name__ == "__main__":
    main()
