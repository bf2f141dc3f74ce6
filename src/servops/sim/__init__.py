"""Digital twin: simulate service processes, discover models from logs, try scenarios.

>>> import servops as so
>>> m = so.sim.load_model(TINY.parents[2] / "docs" / "examples" / "mmc.yaml")
>>> so.sim.simulate(m, cases=500, seed=3).log.n_cases()
500
"""

from __future__ import annotations

from servops.sim.calendars import Calendar, StepFunction
from servops.sim.discover import discover_model
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
from servops.sim.replications import (
    Comparison,
    Estimate,
    ReplicationResult,
    compare,
    replicate,
)
from servops.sim.run import SimulationResult, simulate
from servops.sim.scenario import Scenario, apply_scenario, load_scenario
from servops.sim.schedules import schedule_model, service_level_by_interval
from servops.sim.validate import (
    LogDistances,
    ValidationResult,
    log_distances,
    validate_twin,
)

__all__ = [
    "Activity",
    "Arrivals",
    "Calendar",
    "Comparison",
    "Distribution",
    "Estimate",
    "Kpis",
    "LogDistances",
    "Model",
    "Pool",
    "QueueRule",
    "ReplicationResult",
    "Routing",
    "Scenario",
    "Schedule",
    "SimulationResult",
    "StaffChange",
    "StepFunction",
    "ValidationResult",
    "apply_scenario",
    "compare",
    "discover_model",
    "fit_distribution",
    "load_model",
    "load_scenario",
    "log_distances",
    "replicate",
    "save_model",
    "schedule_model",
    "service_level_by_interval",
    "simulate",
    "validate_twin",
]
