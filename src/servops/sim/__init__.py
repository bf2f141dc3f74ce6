"""Digital twin: simulate service processes, discover models from logs, try scenarios.

>>> import servops as so
>>> m = so.sim.load_model(DATA.parent.parent / "docs" / "examples" / "mmc.yaml")
>>> so.sim.simulate(m, cases=500, seed=3).log.n_cases()
500
"""

from __future__ import annotations

from servops.sim.calendars import Calendar, StepFunction
from servops.sim.distributions import Distribution, fit_distribution
from servops.sim.kernel import Kpis
from servops.sim.model import (
    Activity,
    Arrivals,
    Model,
    Pool,
    QueueRule,
    Routing,
    Schedule,
    StaffChange,
    load_model,
    save_model,
)
from servops.sim.run import SimulationResult, simulate

__all__ = [
    "Activity",
    "Arrivals",
    "Calendar",
    "Distribution",
    "Kpis",
    "Model",
    "Pool",
    "QueueRule",
    "Routing",
    "Schedule",
    "SimulationResult",
    "StaffChange",
    "StepFunction",
    "fit_distribution",
    "load_model",
    "save_model",
    "simulate",
]
