"""Upload relay: a large file through the bot's upload path vs ``curl -F`` to the same simulator.

The simulator runs in a child process, so this process's RSS is the bot's alone. A file of
``--mb`` MB (10^6 bytes) is written to a temporary directory (a random 1 MiB block repeated, or a
sparse file with ``--sparse``), then uploaded, in alternating rounds:

* bot: an :class:`~core.chat.Inbound` carrying the console's ``attachment_from_path`` goes through
  ``NemoBot.receive`` → ``core.uploads.upload_attachments`` → ``NemoClient.upload_files`` (streamed
  multipart) on the production HTTP client of ``bots.app``; timed from ``handle`` until the upload's
  HTTP answer arrives (an httpx response hook), so it includes the bot's own flow before the
  transfer (queue, checks, progress message, session lookup). The time until the chat shows "Got
  it" is printed too: the reply waits out the platform's edit interval (1 s here, as on Telegram);
* curl: ``curl -F files=@FILE`` with the same chat's token, session and ``X-Skill-*`` headers,
  timed by curl's own ``time_total`` (no process start-up).

* client: ``NemoClient.upload_files`` with ``UploadSource.from_path`` alone (no chat flow), with
  the same chat's token, to tell the client's cost from the flow's;
* serial: the same, reading the file the way the client did before read-ahead (one chunk, then
  send it, then the next), for the before/after in one run.

Figures: MB/s of each (median and best round), the ratio bot/curl of the medians (target ≥ 0.9;
this VM's throughput varies by ±30 % from round to round, so use several rounds), the bot process's
peak RSS growth during an upload (VmHWM after, reset before, minus VmRSS before; target ≤ 64 MB)
and its CPU seconds per GB. Without curl on PATH the comparison is skipped (and said so).

The simulator stores what it receives (and hashes it); its data directory is on ``/dev/shm`` when
that exists (``--sim-dir`` to choose), and each upload is deleted after its round, so disk
write-back does not decide the figures of either side.

Run: ``.venv/bin/python -m bench.upload_relay [--mb 500] [--rounds 5] [--sparse] [--sim-dir DIR]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench._common import MB, MIB, Row, child_server, peak_rss_mib, print_machine, print_table, reset_peak_rss
from bench._common import rss_mib as rss_now
from bench._outbound import TimedOutbound
from bots.app import http_client
from bots.console import attachment_from_path
from core.bot import NemoBot
from core.chat import ChatKey, Inbound, PlatformLimits, Sender
from core.nemo.auth import StaticToken
from core.nemo.client import NemoClient
from core.nemo.multipart import CHUNK_SIZE, UploadSource
from core.nemo.transport import NemoTransport
from core.settings import Settings
from core.skills import SkillProfile, get_profile
from storage import MemoryStore

CHAT = ChatKey("bench", "upload")
SENDER = Sender("bench-user", "Bench", "en")
LIMITS = PlatformLimits(max_text=4096, upload_cap=50 * MB, edit_interval_s=1.0)
TARGET_RATIO = 0.9
TARGET_RSS_MB = 64.0
SHM = Path("/dev/shm")  # noqa: S108 - a RAM-backed place for the simulator's copies, removed after


@dataclass(frozen=True, slots=True)
class Pass:
    seconds: float  # until the upload's HTTP answer arrived
    cpu_seconds: float | None = None
    rss_growth_mib: float | None = None
    confirmed_s: float | None = None  # until the chat showed "Got it" (bot only)


def make_file(path: Path, size: int, *, sparse: bool) -> None:
    """``size`` bytes: a hole (sparse), or one random MiB repeated (real pages, in the page cache)."""
    with path.open("wb") as handle:
        if sparse:
            handle.truncate(size)
            return
        block = os.urandom(MIB)
        written = 0
        while written < size:
            piece = block[: min(MIB, size - written)]
            handle.write(piece)
            written += len(piece)


class BotUploader:
    """A NemoBot with a recording chat, wired like ``bots.app`` (production HTTP client)."""

    def __init__(self, bot: NemoBot, out: TimedOutbound, http: httpx.AsyncClient) -> None:
        self.bot = bot
        self.out = out
        self._ids = itertools.count(1)
        self._answers: list[float] = []
        hooks = http.event_hooks
        hooks["response"] = [*hooks.get("response", []), self._on_response]
        http.event_hooks = hooks

    async def _on_response(self, response: httpx.Response) -> None:
        if response.request.method == "POST" and "/api/upload-video/" in response.request.url.path:
            self._answers.append(time.perf_counter())

    async def upload(self, path: Path) -> Pass:
        inbound = Inbound(CHAT, SENDER, "", (attachment_from_path(path),), message_id=f"m{next(self._ids)}")
        before_calls = len(self.out.calls)
        rss_before = rss_now()
        reset_peak_rss()
        cpu = time.process_time()
        self._answers.clear()
        started = time.perf_counter()
        await self.bot.receive(inbound)
        await self.bot.wait_idle(CHAT)
        confirmed = time.perf_counter() - started
        cpu = time.process_time() - cpu
        if not self._answers:
            raise RuntimeError("no answer to the upload request was seen")
        seconds = self._answers[-1] - started
        growth = peak_rss_mib() - rss_before if rss_before is not None else None
        finals = [c.text for c in self.out.calls[before_calls:] if c.final and c.kind in ("send", "edit")]
        if not finals or "Got it" not in finals[-1] or path.name not in finals[-1]:
            raise RuntimeError(f"the bot did not confirm the upload: {finals[-1:]!r}")
        return Pass(seconds, cpu, growth, confirmed)


async def curl_upload(curl: str, url: str, headers: dict[str, str], path: Path) -> Pass:
    args = [curl, "-sS", "-w", "\n%{http_code} %{time_total}"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    args += ["-F", f"files=@{path};type=video/mp4", url]
    process = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"curl failed ({process.returncode}): {err.decode().strip()}")
    reply, _, figures = out.decode().rpartition("\n")
    status, total = figures.split()
    body = json.loads(reply)
    if status != "200" or body.get("code") != 0 or not body.get("data", {}).get("files"):
        raise RuntimeError(f"curl upload refused: HTTP {status} {str(body)[:200]}")
    return Pass(float(total))


def _rate(size: int, run: Pass) -> float:
    return size / MB / run.seconds if run.seconds > 0 else math.inf


def _clear_uploads(sim_dir: Path) -> None:
    shutil.rmtree(sim_dir / "uploads", ignore_errors=True)


async def run(megabytes: float, rounds: int, *, sparse: bool, sim_parent: Path | None) -> None:
    size = int(megabytes * MB)
    curl = shutil.which("curl")
    print_machine()
    with (
        tempfile.TemporaryDirectory(prefix="nemobot-bench-upload-") as folder,
        tempfile.TemporaryDirectory(prefix="nemobot-bench-sim-", dir=sim_parent) as sim_folder,
    ):
        root = Path(folder)
        sim_dir = Path(sim_folder)
        print(f"simulator data dir: {sim_dir}")
        path = root / "bench.mp4"
        started = time.perf_counter()
        await asyncio.to_thread(make_file, path, size, sparse=sparse)
        kind = "sparse" if sparse else "random 1 MiB block repeated"
        print(f"file: {size / MB:.0f} MB ({kind}), written in {time.perf_counter() - started:.1f} s")
        config = {
            "preset": "fast",
            "upload_max_bytes": size + MIB,
            "new_accounts_per_ip": 100_000,
            "data_dir": str(sim_dir),
        }
        async with child_server("bench._simproc", config) as sim:
            settings = Settings(
                _env_file=None,
                nemo_api_url=sim.base_url,
                nemobot_data_dir=root / "data",
                nemobot_max_upload_mb=max(500, math.ceil(megabytes)),
            )
            async with http_client(settings) as http:

                def transport_for(profile: SkillProfile) -> NemoTransport:
                    return NemoTransport(
                        http, sim.base_url, profile.attribution(settings.nemo_skill_platform)
                    )

                store = MemoryStore()
                bot = NemoBot(settings, store, transport_for)
                out = TimedOutbound(LIMITS, keep_text=True)
                bot.attach(CHAT.platform, out)
                uploader = BotUploader(bot, out, http)
                warm = root / "warm.mp4"
                warm.write_bytes(b"\0" * 4096)
                await uploader.upload(warm)  # token, session and a pooled connection
                record = await store.get_chat(CHAT)
                assert record is not None
                assert record.token
                assert record.session_id
                headers = {"Authorization": f"Bearer {record.token}"}
                headers |= (
                    get_profile(settings.nemo_skill).attribution(settings.nemo_skill_platform).headers()
                )
                url = f"{sim.base_url}/api/upload-video/nemo_agent/me/{record.session_id}"
                client = NemoClient(
                    transport_for(get_profile(settings.nemo_skill)), StaticToken(record.token)
                )
                runs: dict[str, list[Pass]] = {"bot": [], "client": [], "serial": [], "curl": []}
                for number in range(1, rounds + 1):
                    runs["bot"].append(await uploader.upload(path))
                    await asyncio.to_thread(_clear_uploads, sim_dir)
                    runs["client"].append(await client_upload(client, record.session_id, path))
                    await asyncio.to_thread(_clear_uploads, sim_dir)
                    runs["serial"].append(await client_upload(client, record.session_id, path, serial=True))
                    await asyncio.to_thread(_clear_uploads, sim_dir)
                    if curl is not None:
                        runs["curl"].append(await curl_upload(curl, url, headers, path))
                        await asyncio.to_thread(_clear_uploads, sim_dir)
                    line = "  ".join(
                        f"{name} {_rate(size, done[-1]):6.1f} MB/s" for name, done in runs.items() if done
                    )
                    bot_run = runs["bot"][-1]
                    print(
                        f"  round {number}: {line}  | bot RSS +{bot_run.rss_growth_mib or 0:.1f} MiB,"
                        f" CPU {bot_run.cpu_seconds or 0:.2f} s,"
                        f' "Got it" after {bot_run.confirmed_s or 0:.2f} s'
                    )
                await bot.stop()
    report(size, runs, curl)


async def read_serially(path: Path, chunk_size: int = CHUNK_SIZE) -> AsyncIterator[bytes]:
    """The client's file reader before read-ahead: each chunk read only after the last was sent."""
    handle = await asyncio.to_thread(path.open, "rb")
    try:
        while chunk := await asyncio.to_thread(handle.read, chunk_size):
            yield chunk
    finally:
        await asyncio.to_thread(handle.close)


async def client_upload(client: NemoClient, session_id: str, path: Path, *, serial: bool = False) -> Pass:
    """``NemoClient.upload_files`` alone, with ``UploadSource.from_path`` (no chat flow)."""
    source = UploadSource.from_path(path)
    if serial:
        source = UploadSource(source.filename, source.content_type, lambda: read_serially(path), source.size)
    rss_before = rss_now()
    reset_peak_rss()
    cpu = time.process_time()
    started = time.perf_counter()
    result = await client.upload_files(session_id, [source])
    seconds = time.perf_counter() - started
    if not result.files:
        raise RuntimeError("the simulator accepted no file")
    growth = peak_rss_mib() - rss_before if rss_before is not None else None
    return Pass(seconds, time.process_time() - cpu, growth)


def _rates(size: int, runs: list[Pass]) -> tuple[float, float]:
    rates = [_rate(size, run) for run in runs]
    return max(rates), statistics.median(rates)


def report(size: int, runs: dict[str, list[Pass]], curl: str | None) -> None:
    bot_best, bot_median = _rates(size, runs["bot"])
    client_best, client_median = _rates(size, runs["client"])
    serial_best, serial_median = _rates(size, runs["serial"])
    growth = max(r.rss_growth_mib or 0.0 for r in runs["bot"] + runs["client"])
    cpu = statistics.median(r.cpu_seconds or 0.0 for r in runs["bot"])
    rows = [
        Row("bot (core flow) MB/s, median / best", f"{bot_median:.0f} / {bot_best:.0f}"),
        Row("NemoClient.upload_files MB/s, median / best", f"{client_median:.0f} / {client_best:.0f}"),
        Row("  same, serial reads (before read-ahead)", f"{serial_median:.0f} / {serial_best:.0f}"),
    ]
    if curl is None:
        rows.append(Row("curl MB/s", "skipped", "curl not on PATH"))
        rows.append(Row("ratio bot/curl", "skipped", f"≥ {TARGET_RATIO}×"))
    else:
        curl_best, curl_median = _rates(size, runs["curl"])
        ratio = bot_median / curl_median
        rows.append(Row("curl -F MB/s, median / best", f"{curl_median:.0f} / {curl_best:.0f}"))
        rows.append(
            Row("ratio bot/curl, medians", f"{ratio:.2f}×", f"≥ {TARGET_RATIO}×", ratio >= TARGET_RATIO)
        )
        rows.append(Row("ratio bot/curl, bests", f"{bot_best / curl_best:.2f}×"))
    rows.append(
        Row(
            "bot peak RSS growth (max round)",
            f"{growth:.1f} MiB",
            f"≤ {TARGET_RSS_MB:.0f} MB",
            growth <= TARGET_RSS_MB,
        )
    )
    rows.append(Row("bot CPU per GB (median round)", f"{cpu / (size / 1e9):.2f} s"))
    print_table(f"upload relay, {size / MB:.0f} MB, {len(runs['bot'])} round(s)", rows)
    if curl is None:
        print("note: curl is not installed; the bot/curl comparison was skipped (apt-get install curl).")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mb", type=float, default=500.0, help="file size in MB of 10^6 bytes (default 500)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of bot, client, curl (default 5)")
    parser.add_argument("--sparse", action="store_true", help="a sparse file instead of real pages")
    parser.add_argument(
        "--sim-dir",
        type=Path,
        default=SHM if SHM.is_dir() else None,
        help="where the simulator stores uploads (default /dev/shm when present, else the temp dir)",
    )
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(args.mb, max(1, args.rounds), sparse=args.sparse, sim_parent=args.sim_dir))


if __name__ == "__main__":
    main()
