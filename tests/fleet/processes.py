"""Real ``nemobot run`` worker processes of a fleet, the round-robin balancer in front of their
Telegram webhooks, and Telegram's side of webhook delivery: shared by tests/fleet and bench/fleet.py."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
from aiohttp import web

from simulator import Simulator
from tests.telegram.fake_bot_api import FakeBotApi
from tests.telegram.harness import FAST_GROUP_INTERVAL_S, FAST_PRIVATE_INTERVAL_S
from tests.telegram.updates import Json

ROOT = Path(__file__).resolve().parents[2]
SECRET = "fleet-webhook-secret"
HOOK_PATH = "/tg/hook"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Worker:
    """One ``nemobot run`` process and its log."""

    def __init__(self, name: str, port: int, process: asyncio.subprocess.Process) -> None:
        self.name, self.port, self.process = name, port, process
        self.lines: list[str] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for line in self.process.stderr:
            self.lines.append(line.decode(errors="replace"))

    @property
    def alive(self) -> bool:
        return self.process.returncode is None

    async def kill(self) -> None:
        if self.alive:
            self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        await self._reader

    async def stop(self) -> str:
        if self.alive:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                await self.kill()
        await self._reader
        return "".join(self.lines)


async def start_worker(
    name: str,
    sim: Simulator,
    fake: FakeBotApi,
    url: str,
    key: str,
    data: Path,
    *,
    lease_s: float = 3.0,
    poll_s: float = 0.5,
    extra_env: dict[str, str] | None = None,
) -> Worker:
    """``nemobot run`` as worker ``name`` of a fleet on ``url``, Telegram by webhook on a free port."""
    assert sim.base_url is not None
    port = free_port()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("NEMO", "TELEGRAM", "DISCORD", "DATABASE"))
    }
    env.update(
        NEMO_API_URL=sim.base_url,
        NEMOBOT_DATA_DIR=str(data / name),
        NEMOBOT_SECRET_KEY=key,
        DATABASE_URL=url,
        NEMOBOT_WORKER_ID=name,
        # A dead worker's chats are taken over ~3 s after its last renewal; shorter leases expire
        # under a loaded test machine's pauses, handing live workers' chats over needlessly.
        NEMOBOT_LEASE_S=str(lease_s),
        NEMOBOT_POLL_S=str(poll_s),
        NEMOBOT_RECOVERY_FIRST_S="0.2",
        NEMOBOT_RECOVERY_NEXT_S="0.25",
        NEMO_RENDER_POLL_MAX_S="0.1",
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_API_BASE_URL=fake.base_url,
        TELEGRAM_FILE_BASE_URL=fake.file_base_url,
        TELEGRAM_WEBHOOK_URL="https://bot.example.test" + HOOK_PATH,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        TELEGRAM_WEBHOOK_LISTEN="127.0.0.1",
        TELEGRAM_WEBHOOK_PORT=str(port),
        TELEGRAM_EDIT_INTERVAL_S=str(FAST_PRIVATE_INTERVAL_S),
        TELEGRAM_GROUP_EDIT_INTERVAL_S=str(FAST_GROUP_INTERVAL_S),
    )
    env.update(extra_env or {})
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bots", "run",
        cwd=str(ROOT), env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    return Worker(name, port, process)


class RoundRobin:
    """The load balancer: each webhook POST goes to the next live worker (a refused connection
    counts as a failed health check and the next worker is tried, as a balancer would)."""

    def __init__(self, workers: list[Worker]) -> None:
        self.workers = workers
        self._next = itertools.cycle(range(len(workers)))
        self.session: aiohttp.ClientSession | None = None

    async def forward(self, request: web.Request) -> web.Response:
        assert self.session is not None
        body = await request.read()
        headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
        for _ in range(len(self.workers)):
            worker = self.workers[next(self._next)]
            if not worker.alive:
                continue
            try:
                url = f"http://127.0.0.1:{worker.port}{HOOK_PATH}"
                async with self.session.post(url, data=body, headers=headers) as answer:
                    return web.Response(status=answer.status)
            except aiohttp.ClientError:
                continue
        return web.Response(status=502)


class WebhookSender:
    """Telegram's side of webhook delivery: POST each update until a 200, as Telegram retries."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session, self.url = session, url
        self.accepted = 0
        self._ids = itertools.count(1)

    async def deliver(self, update: Json) -> None:
        update["update_id"] = next(self._ids)
        for _ in range(200):
            try:
                async with self.session.post(self.url, json=update) as answer:
                    if answer.status == 200:
                        self.accepted += 1
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
        raise AssertionError("an update was never accepted")
