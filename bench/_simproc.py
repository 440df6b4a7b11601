"""The simulator in a child process, for benchmarks that must measure the bot's process alone.

``python -m bench._simproc --config '{"preset": "fast", "upload_max_bytes": 600000000}'`` serves the
simulator on a free loopback port and prints ``READY http://127.0.0.1:PORT`` once listening. SIGTERM
stops it and removes its temporary data directory.

With ``--sse-events N`` it also answers ``/run_sse`` itself for turns whose text is
``bench run c<chat>`` (``bench warm c<chat>`` is a one-event turn that sets a chat up): N ADK-shaped
partial text events of 11 characters each (``c0001s0001 ``), one every ``--sse-interval-ms``, a
heartbeat every ``--sse-heartbeat-every`` events, then (after ``--sse-final-pause-ms``) the
aggregated final event. With ``--sse-wait-max-s`` the turn then waits, as for a tool call, a
seeded random 30–120 s (``--sse-wait-min-s``/``--sse-wait-max-s``) with a heartbeat every
``--sse-wait-heartbeat-s``, before that final event (the realistic profile). Every other turn,
and every other endpoint, is the simulator's. The send time (``time.monotonic()``, the same clock in
every process on Linux) of each text event is kept and served as JSON at ``GET /bench/sendtimes``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import re
import signal
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from simulator import Simulator, SimulatorConfig
from simulator.sse_events import HEARTBEATS

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_BENCH_TURN = re.compile(r"\bbench (warm|run) c(\d+)\b")
CHUNK_CHARS = 11  # len("c0001s0001 ")


def chunk_text(chat: int, seq: int) -> str:
    """The text of event ``seq`` of chat ``chat``: fixed width, so a message's length names its last event."""
    return f"c{chat:04d}s{seq:04d} "


def _event(text: str, chat: int, seq: int, *, partial: bool) -> bytes:
    body = {
        "content": {"parts": [{"text": text}], "role": "model"},
        "partial": partial,
        "author": "nemo_agent",
        "invocationId": f"e-bench-{chat}",
        "id": f"{chat}-{seq}",
        "timestamp": round(time.time(), 3),
    }
    if not partial:
        body["finishReason"] = "STOP"
    return f"data: {json.dumps(body, separators=(',', ':'))}\n\n".encode()


class SseSource:
    """The bench's own turn stream: many small text events at a steady pace."""

    def __init__(
        self,
        events: int,
        interval_s: float,
        heartbeat_every: int,
        final_pause_s: float = 0.0,
        wait_s: tuple[float, float] = (0.0, 0.0),
        wait_heartbeat_s: float = 15.0,
    ) -> None:
        self.events = events
        self.interval_s = interval_s
        self.heartbeat_every = heartbeat_every
        self.final_pause_s = final_pause_s
        self.wait_s = wait_s
        self.wait_heartbeat_s = wait_heartbeat_s
        self.sent: dict[int, list[float]] = {}
        self.dropped = 0

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == "POST" and request.path == "/run_sse":
            body = await request.json()
            parts = body.get("new_message", {}).get("parts", []) if isinstance(body, dict) else []
            text = " ".join(p.get("text", "") for p in parts if isinstance(p, dict))
            match = _BENCH_TURN.search(text)
            if match is not None and request.headers.get("Authorization", "").startswith("Bearer "):
                return await self._stream(request, warm=match.group(1) == "warm", chat=int(match.group(2)))
        return await handler(request)

    async def _stream(self, request: web.Request, *, warm: bool, chat: int) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        if warm:
            await response.write(_event("ready", chat, 0, partial=True))
            await response.write(_event("ready", chat, 0, partial=False))
            await response.write_eof()
            return response
        times = self.sent.setdefault(chat, [])
        times.clear()
        loop = asyncio.get_running_loop()
        start = loop.time()
        beats = 0
        try:
            for seq in range(1, self.events + 1):
                delay = start + seq * self.interval_s - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                if self.heartbeat_every and seq % self.heartbeat_every == 0:
                    await response.write(HEARTBEATS[beats % len(HEARTBEATS)])
                    beats += 1
                frame = _event(chunk_text(chat, seq), chat, seq, partial=True)
                times.append(time.monotonic())
                await response.write(frame)
            full = "".join(chunk_text(chat, seq) for seq in range(1, self.events + 1))
            await self._tool_wait(response, chat, beats)
            if self.final_pause_s > 0:  # the agent is done talking but the turn goes on a while
                await asyncio.sleep(self.final_pause_s)
            await response.write(_event(full, chat, self.events + 1, partial=False))
            await response.write_eof()
        except ConnectionResetError:
            self.dropped += 1  # the client went away (it gave up, or it was stopped)
        return response

    async def _tool_wait(self, response: web.StreamResponse, chat: int, beats: int) -> None:
        """The agent runs a tool: only heartbeats for a while (seeded per chat, so runs compare)."""
        low, high = self.wait_s
        if high <= 0:
            return
        loop = asyncio.get_running_loop()
        until = loop.time() + random.Random(chat).uniform(low, high)
        while (left := until - loop.time()) > 0:
            await asyncio.sleep(min(left, self.wait_heartbeat_s))
            if until - loop.time() > 0:
                await response.write(HEARTBEATS[beats % len(HEARTBEATS)])
                beats += 1

    async def sendtimes(self, request: web.Request) -> web.Response:
        return web.json_response({str(chat): times for chat, times in self.sent.items()})


class BenchSimulator(Simulator):
    """The simulator, optionally with the bench's turn stream in front of ``/run_sse``."""

    def __init__(self, config: SimulatorConfig, source: SseSource | None) -> None:
        super().__init__(config)
        self.source = source

    def build_app(self) -> web.Application:
        app = super().build_app()
        if self.source is not None:
            app.middlewares.insert(0, self.source.middleware)
            app.router.add_get("/bench/sendtimes", self.source.sendtimes)
        return app


def make_config(raw: dict[str, Any]) -> SimulatorConfig:
    """``{"preset": "fast"|"demo"|"default", <SimulatorConfig field>: value, …}``."""
    values = dict(raw)
    preset = values.pop("preset", "default")
    if isinstance(values.get("data_dir"), str):
        values["data_dir"] = Path(values["data_dir"])
    if preset == "fast":
        return SimulatorConfig.fast(**values)
    if preset == "demo":
        return SimulatorConfig.demo(**values)
    return SimulatorConfig(**values)


async def serve(config: SimulatorConfig, source: SseSource | None, port: int) -> None:
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    simulator = BenchSimulator(config, source)
    async with simulator.running("127.0.0.1", port) as base_url:
        print(f"READY {base_url}", flush=True)
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="the simulator in a child process, for benchmarks")
    parser.add_argument("--config", default="{}", help="JSON: preset and SimulatorConfig fields")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--sse-events", type=int, default=0, help="serve bench turns of N text events")
    parser.add_argument("--sse-interval-ms", type=float, default=100.0)
    parser.add_argument("--sse-heartbeat-every", type=int, default=10)
    parser.add_argument("--sse-final-pause-ms", type=float, default=0.0, help="wait before the final event")
    parser.add_argument("--sse-wait-min-s", type=float, default=0.0, help="tool wait after the text, least")
    parser.add_argument("--sse-wait-max-s", type=float, default=0.0, help="tool wait, most (0: none)")
    parser.add_argument("--sse-wait-heartbeat-s", type=float, default=15.0, help="heartbeat during the wait")
    args = parser.parse_args(argv)
    source = (
        SseSource(
            args.sse_events,
            args.sse_interval_ms / 1000,
            args.sse_heartbeat_every,
            args.sse_final_pause_ms / 1000,
            (args.sse_wait_min_s, args.sse_wait_max_s),
            args.sse_wait_heartbeat_s,
        )
        if args.sse_events > 0
        else None
    )
    with contextlib.suppress(asyncio.CancelledError, KeyboardInterrupt):
        asyncio.run(serve(make_config(json.loads(args.config)), source, args.port))


if __name__ == "__main__":
    main()
