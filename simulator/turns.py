"""Running one chat turn as a background task, decoupled from the HTTP stream that asked for it.

The turn pushes SSE frames into a queue that the `/run_sse` handler drains. If the client
goes away (or a drop fault cuts it off) the turn is *detached*: it keeps running, changing
state and spending credits, exactly like the real backend is assumed to (docs §4.6).
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from simulator.accounts import Account, AccountStore
from simulator.config import SimulatorConfig
from simulator.ids import IdFactory
from simulator.sessions import Session
from simulator.sse_events import EventFactory, SseFrame, error_frame, heartbeat_frame
from simulator.stats import Stats
from simulator.turn_plan import TurnPlan

JsonObject = dict[str, Any]
NOISE_TEXT = "I encountered a temporary issue. Please try again if anything looks off."
_CJK = re.compile(r"[\u4e00-\u9fff]")


class TurnAbortedError(Exception):
    """The turn ended early (a mid-stream error); its reserved credits go back."""


@dataclass(slots=True)
class Turn:
    """A turn in flight: frames for the stream, and whether anyone is still listening."""

    session_id: str
    plan: TurnPlan
    queue: asyncio.Queue[SseFrame | None] = field(default_factory=asyncio.Queue)
    detached: bool = False
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def detach(self) -> None:
        """Nobody reads the stream any more; the turn goes on without it."""
        self.detached = True
        while not self.queue.empty():
            self.queue.get_nowait()


class TurnContext:
    """What a scenario script can do: talk, call tools, take time, and edit the session."""

    def __init__(
        self,
        turn: Turn,
        *,
        session: Session,
        text: str,
        config: SimulatorConfig,
        rng: random.Random,
        base_url: str,
        streaming_requested: bool,
        stats: Stats | None = None,
    ) -> None:
        self.turn = turn
        self.stats = stats
        self.session = session
        self.text = text
        self.config = config
        self.rng = rng
        self.ids = IdFactory(rng)
        self.base_url = base_url
        self.chinese = bool(_CJK.search(text)) or session.language.lower().startswith("zh")
        self.events = EventFactory(self.ids, self.ids.invocation_id())
        self._partials = config.partials == "always" or (
            config.partials == "when_requested" and streaming_requested
        )
        self._heartbeats = rng.randrange(1000)
        self._fault_fired = False

    @property
    def plan(self) -> TurnPlan:
        return self.turn.plan

    def pick(self, english: str, chinese: str) -> str:
        return chinese if self.chinese else english

    def emit(self, frame: SseFrame) -> None:
        if not self.turn.detached:
            self.turn.queue.put_nowait(frame)
        if (frame.has_final_text or frame.has_tool_call) and not self._fault_fired:
            self._maybe_fail()

    def _maybe_fail(self) -> None:
        # Mid-stream failures strike right after the first visible output, like a tool crashing.
        if self.plan.credits_error:
            self._fault_fired = True
            self.emit(error_frame("insufficient credits", code="2001"))
            raise TurnAbortedError("insufficient credits")
        if self.plan.error_message is not None:
            self._fault_fired = True
            self.emit(error_frame(self.plan.error_message))
            raise TurnAbortedError(self.plan.error_message)

    async def say(self, text: str) -> None:
        """Partial chunks (when enabled), then one aggregated final text event."""
        if self._partials:
            for chunk in _chunks(text, self.rng.randint(3, 5)):
                self.emit(self.events.partial_text(chunk))
                if self.stats is not None and not self.turn.detached:
                    self.stats.partial_events += 1
                await asyncio.sleep(self.config.scaled(self.config.partial_chunk_seconds))
        self.emit(self.events.final_text(text))

    def think(self, text: str) -> None:
        if self.plan.thoughts:
            self.emit(self.events.thought(text))

    def call_tool(self, name: str, args: JsonObject) -> str:
        call_id = self.ids.function_call_id()
        self.emit(self.events.function_call(call_id, name, args))
        return call_id

    def tool_result(self, call_id: str, name: str, response: JsonObject) -> None:
        self.emit(self.events.function_response(call_id, name, response))

    async def work(self, simulated_seconds: float) -> None:
        """Take simulated time, with heartbeats at the (scaled) heartbeat interval."""
        interval = self.config.scaled(self.config.heartbeat_interval_seconds)
        await self._wait_with_heartbeats(self.config.scaled(simulated_seconds), interval)

    async def heartbeats_only(self, seconds: float) -> None:
        # A fault's wall-clock stretch of nothing but keep-alives, so make sure some are sent.
        interval = min(self.config.scaled(self.config.heartbeat_interval_seconds) or 0.05, 1.0)
        await self._wait_with_heartbeats(seconds, interval)

    async def _wait_with_heartbeats(self, total: float, interval: float) -> None:
        remaining = total
        while interval > 0 and remaining > interval:
            await asyncio.sleep(interval)
            remaining -= interval
            self.emit(heartbeat_frame(self._heartbeats))
            self._heartbeats += 1
        await asyncio.sleep(remaining)

    def cdn(self, path: str) -> str:
        return f"{self.base_url}/cdn/{path}"


def _chunks(text: str, count: int) -> list[str]:
    """Split text into roughly `count` pieces that concatenate back to it exactly."""
    size = max(1, -(-len(text) // count))
    pieces, start = [], 0
    while start < len(text):
        end = min(len(text), start + size)
        if not _CJK.search(text[start:end]):
            space = text.find(" ", end)  # end Latin chunks at a nearby word boundary
            if space == -1:
                end = len(text)
            elif space - end <= 12:
                end = space + 1
        pieces.append(text[start:end])
        start = end
    return pieces


Script = Callable[[TurnContext], Awaitable[None]]


async def run_turn(
    ctx: TurnContext, script: Script, *, account: Account, accounts: AccountStore, stats: Stats
) -> None:
    """Play the script; consume the reserved credits on success, give them back on failure."""
    turn = ctx.turn
    try:
        if turn.plan.heartbeats_only_seconds > 0:
            await ctx.heartbeats_only(turn.plan.heartbeats_only_seconds)
        await script(ctx)
        if turn.plan.noise:
            await ctx.say(NOISE_TEXT)
    except TurnAbortedError:
        accounts.release(account, turn.plan.cost)
        stats.turns_aborted += 1
    except asyncio.CancelledError:
        accounts.release(account, turn.plan.cost)
        raise
    else:
        accounts.consume(account, turn.plan.cost)
        stats.turns_completed += 1
    finally:
        if not turn.detached:
            turn.queue.put_nowait(None)
        turn.done.set()
