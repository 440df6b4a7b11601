"""The simulated service's state in one place: accounts, sessions, renders, faults, stats, turns."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from aiohttp import web

from simulator import draft as drafts
from simulator.accounts import Account, AccountStore
from simulator.config import SimulatorConfig
from simulator.faults import Fault, FaultPlan
from simulator.ids import IdFactory
from simulator.renders import RenderStore
from simulator.sessions import Session, SessionStore
from simulator.sse_scenarios import SCRIPTS
from simulator.stats import Stats
from simulator.turn_plan import ForcedTurn, TurnPlan, plan_turn, strip_triggers
from simulator.turns import Turn, TurnContext, run_turn


class Backend:
    """Everything the routes share. One instance per simulator; built without I/O."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        # Where uploads are stored; chosen when the server starts (a temp dir unless configured).
        self.data_dir: Path | None = config.data_dir
        self.ids = IdFactory(random.Random(f"ids/{config.seed}"))
        self.accounts = AccountStore(config, self.ids)
        self.sessions = SessionStore(self.ids)
        self.renders = RenderStore(config)
        self.faults = FaultPlan()
        self.stats = Stats()
        # CDN key "<batch>/<name>" -> file on disk, for uploaded media.
        self.uploaded_files: dict[str, Path] = {}
        self._forced: list[ForcedTurn] = []
        self._tasks: set[asyncio.Task[None]] = set()

    def upload_dir(self, *parts: str) -> Path:
        if self.data_dir is None:
            raise RuntimeError("the simulator has not been started")
        return self.data_dir.joinpath("uploads", *parts)

    def force_next_turn(self, forced: ForcedTurn) -> None:
        self._forced.append(forced)

    def _take_forced(self, session_id: str) -> ForcedTurn | None:
        for forced in self._forced:
            if forced.session_id in (None, session_id):
                self._forced.remove(forced)
                return forced
        return None

    def plan(
        self, session: Session, text: str, faults: list[Fault], skill: str = ""
    ) -> tuple[TurnPlan, random.Random]:
        """Decide the turn; its rng (seed, session, turn number) drives everything it does later."""
        session.turns += 1
        rng = random.Random(f"turn/{self.config.seed}/{session.session_id}/{session.turns}")
        uploaded = {
            str(info.get("file_type")) for info in session.video_infos if info.get("source") == "upload"
        }
        plan = plan_turn(
            text,
            has_timeline=drafts.is_exportable(session.draft),
            uploaded_types=uploaded,
            config=self.config,
            rng=rng,
            forced=self._take_forced(session.session_id),
            faults=faults,
            skill=skill or session.skill,
        )
        return plan, rng

    def start_turn(
        self,
        *,
        session: Session,
        account: Account,
        text: str,
        plan: TurnPlan,
        rng: random.Random,
        base_url: str,
        streaming_requested: bool,
    ) -> Turn | None:
        """Reserve the turn's credits and start it; None when the account cannot pay (2001)."""
        if plan.refuse_for_credits or not self.accounts.reserve(account, plan.cost):
            return None
        turn = Turn(session.session_id, plan)
        ctx = TurnContext(
            turn,
            session=session,
            text=strip_triggers(text),
            config=self.config,
            rng=rng,
            base_url=base_url,
            streaming_requested=streaming_requested,
            stats=self.stats,
        )
        self.stats.turns_started += 1
        script = SCRIPTS[plan.scenario]
        task = asyncio.create_task(
            run_turn(ctx, script, account=account, accounts=self.accounts, stats=self.stats)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return turn

    async def wait_idle(self, seconds: float = 30.0) -> None:
        """Wait until no turn is running (e.g. a turn that continued after its stream dropped)."""
        async with asyncio.timeout(seconds):
            while self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)

    async def shutdown(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


BACKEND = web.AppKey("backend", Backend)
