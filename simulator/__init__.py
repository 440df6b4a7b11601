"""A protocol-faithful simulator of the NemoVideo backend (see ../shared/docs/nemovideo-api.md).

Public API: `Simulator` (run and steer it in-process), `SimulatorConfig`, faults (`Fault`,
`FaultKind`, `Endpoint`), `Stats`, turn scripting (`Scenario`, `EditAction`), and
`simulator.server.serve` for a standalone server.
"""

from simulator.config import SimulatorConfig
from simulator.faults import Endpoint, Fault, FaultKind, FaultPlan
from simulator.harness import Simulator
from simulator.stats import Stats
from simulator.turn_plan import EditAction, Scenario

__all__ = [
    "EditAction",
    "Endpoint",
    "Fault",
    "FaultKind",
    "FaultPlan",
    "Scenario",
    "Simulator",
    "SimulatorConfig",
    "Stats",
]
