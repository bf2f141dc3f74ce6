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

The overlay is computed by :func:`servops.blueprint.overlay.overlay`.
"""

from __future__ import annotations

from servops.blueprint.bpmn import from_bpmn, read_bpmn, to_bpmn, write_bpmn
from servops.blueprint.conformance import (
    ConformanceResult,
    Deviation,
    ReplayCounts,
    StepConformance,
    check_conformance,
    token_replay,
)
from servops.blueprint.model import (
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
from servops.blueprint.overlay import Overlay, StepOverlay
from servops.blueprint.render import render_html, render_svg, write_html
from servops.blueprint.valuestream import (
    BlueprintValueStream,
    StepValue,
    value_stream,
)

__all__ = [
    "Blueprint",
    "BlueprintValueStream",
    "ConformanceResult",
    "Deviation",
    "FlowLink",
    "LaneSpec",
    "Overlay",
    "PetriNet",
    "ReplayCounts",
    "ServiceStandard",
    "Step",
    "StepConformance",
    "StepOverlay",
    "StepValue",
    "check_conformance",
    "from_bpmn",
    "load_blueprint",
    "parse_blueprint",
    "parse_standard",
    "read_bpmn",
    "render_html",
    "render_svg",
    "to_bpmn",
    "token_replay",
    "value_stream",
    "write_bpmn",
    "write_html",
]
