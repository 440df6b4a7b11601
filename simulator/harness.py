"""`Simulator`: the in-process handle tests and `nemobot demo` use to run and steer the fake backend."""

from __future__ import annotations

import asyncio
import copy
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import web

from simulator.app import build_app
from simulator.backend import Backend
from simulator.config import SimulatorConfig
from simulator.faults import Endpoint, Fault, FaultKind, FaultPlan
from simulator.stats import Stats
from simulator.turn_plan import EditAction, ForcedTurn, Scenario


class Simulator:
    """A protocol-faithful NemoVideo backend served on loopback.

    ```python
    sim = Simulator(SimulatorConfig.fast(seed=7, data_dir=tmp_path))
    async with sim.running() as base_url:
        sim.faults.add(Fault(kind=FaultKind.HTTP_500, endpoint=Endpoint.CREDITS))
        ...
        assert sim.stats.run_sse_calls(session_id) == 1
    ```
    """

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        self.backend = Backend(self.config)
        self._runner: web.AppRunner | None = None
        self.base_url: str | None = None

    @property
    def faults(self) -> FaultPlan:
        return self.backend.faults

    @property
    def stats(self) -> Stats:
        return self.backend.stats

    @property
    def data_dir(self) -> Path:
        """Where uploads are stored (known once started)."""
        if self.backend.data_dir is None:
            raise RuntimeError("the simulator has not been started")
        return self.backend.data_dir

    def build_app(self) -> web.Application:
        """The aiohttp app, for callers that serve it themselves (e.g. aiohttp's test client)."""
        return build_app(self.backend)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0 = any free port); returns the base URL, e.g. `http://127.0.0.1:54321`."""
        if self._runner is not None:
            raise RuntimeError("simulator already running")
        if self.config.data_dir is None:
            self.backend.data_dir = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="nemovideo-sim-"))
        else:
            await asyncio.to_thread(self.config.data_dir.mkdir, parents=True, exist_ok=True)
        runner = web.AppRunner(self.build_app(), access_log=None, handle_signals=False, shutdown_timeout=0.5)
        self._runner = runner
        try:
            await runner.setup()
            await web.TCPSite(runner, host, port).start()
        except BaseException:
            await self.stop()  # e.g. the port is taken: leave nothing behind
            raise
        bound_host, bound_port = runner.addresses[0][:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        self.base_url = f"http://{shown}:{bound_port}"
        return self.base_url

    async def stop(self) -> None:
        """Stop serving, cancel turns still running and remove a temporary data dir."""
        await self.backend.shutdown()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self.base_url = None
        if self.config.data_dir is None and self.backend.data_dir is not None:
            await asyncio.to_thread(shutil.rmtree, self.backend.data_dir, ignore_errors=True)
            self.backend.data_dir = None

    @asynccontextmanager
    async def running(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
        """`async with sim.running() as base_url:` serve for the duration of the block."""
        base_url = await self.start(host, port)
        try:
            yield base_url
        finally:
            await self.stop()

    # Steering, for tests and demos.

    def force_next_turn(
        self,
        scenario: Scenario | None = None,
        *,
        action: EditAction | None = None,
        faults: Iterable[FaultKind | Fault] = (),
        noise: bool | None = None,
        thoughts: bool | None = None,
        session_id: str | None = None,
    ) -> None:
        """Script the next `/run_sse` turn (of `session_id`, or of any session)."""
        self.backend.force_next_turn(ForcedTurn(scenario, action, noise, thoughts, session_id))
        for item in faults:
            fault = item if isinstance(item, Fault) else Fault(kind=item, seconds=1.0)
            if fault.endpoint is None:
                fault.endpoint = Endpoint.RUN_SSE
            if fault.session_id is None:
                fault.session_id = session_id
            self.faults.add(fault)

    async def wait_idle(self, seconds: float = 30.0) -> None:
        """Wait until every turn, including ones whose stream was dropped, has finished."""
        await self.backend.wait_idle(seconds)

    def session_state(self, session_id: str) -> dict[str, Any]:
        """A copy of a session's state, as the state endpoint would return it."""
        session = self.backend.sessions.get(session_id)
        if session is None:
            raise KeyError(session_id)
        return copy.deepcopy(session.state)

    def delete_session(self, session_id: str) -> bool:
        return self.backend.sessions.delete(session_id)

    def expire_token(self, token: str) -> None:
        self.backend.accounts.expire_token(token)

    def set_credits(self, user_id: str, available: int) -> None:
        self.backend.accounts.set_credits(user_id, available)
