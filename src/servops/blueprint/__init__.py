"""Service blueprints tied to data: model, drawing, live overlay, conformance, BPMN.

>>> bp = so.blueprint.parse_blueprint('''
... name: Tiny
... steps:
...   - {id: reg, name: Register, lane: customer, activities: [Register]}
...   - {id: res, name: Resolve, lane: backstage, activities: [Resolve]}
...   - {id: clo, name: Close, lane: frontstage, activities: [Close]}
... ''')
>>> so.blueprint.check_conformance(tiny_log, bp).cases
5
"""

from __future__ import annotations

from servops.blueprint.conformance import (
    ConformanceResult,
    Deviation,
    ReplayCounts,
    StepConformance,
    check_conformance,
    token_replay,
)
from servops.blueprint.model import (
    LANES,
    Blueprint,
    FlowLink,
    LaneSpec,
    PetriNet,
    ServiceStandard,
    Step,
    load_blueprint,
    parse_blueprint,
    parse_standard,
)

__all__ = [
    "LANES",
    "Blueprint",
    "ConformanceResult",
    "Deviation",
    "FlowLink",
    "LaneSpec",
    "PetriNet",
    "ReplayCounts",
    "ServiceStandard",
    "Step",
    "StepConformance",
    "check_conformance",
    "load_blueprint",
    "parse_blueprint",
    "parse_standard",
    "token_replay",
]
