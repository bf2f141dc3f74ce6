"""Staffing: Erlang B, C and A, time-varying staffing (ISA), targets, shift schedules.

>>> import servops as so
>>> so.staffing.agents_for_target(
...     100, interval=1800, aht=180, service_level=0.8, threshold=20
... ).agents
14
"""

from __future__ import annotations

from servops.staffing.erlang import (
    Duration,
    QueueMetrics,
    StaffingResult,
    agents_for_target,
    asa,
    erlang_a,
    erlang_b,
    erlang_c,
    occupancy,
    offered_load,
    service_level,
    with_shrinkage,
)
from servops.staffing.isa import IsaResult, erlang_validity, isa_staffing
from servops.staffing.proof import (
    predicted_service_level,
    simulate_plan,
    simulate_staffing,
    steady_state_service_level,
)
from servops.staffing.requirements import (
    Requirements,
    StaffingPlan,
    read_requirements,
    staffing_requirements,
)
from servops.staffing.schedule import (
    Break,
    ShiftSchedule,
    ShiftTemplate,
    default_templates,
    read_shift_templates,
    schedule_shifts,
)
from servops.staffing.targets import (
    ServiceTarget,
    parse_service_target,
    service_target_from_sla,
)
from servops.staffing.timevarying import SimulatedService, simulate_queue

__all__ = [
    "Break",
    "Duration",
    "IsaResult",
    "QueueMetrics",
    "Requirements",
    "ServiceTarget",
    "ShiftSchedule",
    "ShiftTemplate",
    "SimulatedService",
    "StaffingPlan",
    "StaffingResult",
    "agents_for_target",
    "asa",
    "default_templates",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "erlang_validity",
    "isa_staffing",
    "occupancy",
    "offered_load",
    "parse_service_target",
    "predicted_service_level",
    "read_requirements",
    "read_shift_templates",
    "schedule_shifts",
    "service_level",
    "service_target_from_sla",
    "simulate_plan",
    "simulate_queue",
    "simulate_staffing",
    "staffing_requirements",
    "steady_state_service_level",
    "with_shrinkage",
]
