"""Process mining: what the process really looks like, and where the time goes.

Directly-follows graphs (:func:`discover_dfg`), variants (:func:`variants`), service
versus waiting time (:func:`activity_times`, :func:`case_durations`), bottlenecks and
the value stream (:func:`bottlenecks`), rework (:func:`rework`) and handovers of work
(:func:`handovers`). Everything runs as SQL over the log's activity instances.
"""

from __future__ import annotations

from servops.mining.bottlenecks import (
    ActivityBottleneck,
    BottlenecksResult,
    TransitionBottleneck,
    ValueStream,
    bottlenecks,
)
from servops.mining.dfg import Dfg, DfgEdge, DfgNode, discover_dfg
from servops.mining.handover import Handover, HandoverResult, handovers
from servops.mining.rework import ActivityRework, ReworkResult, rework
from servops.mining.timing import (
    ActivityTime,
    ActivityTimesResult,
    DurationSummary,
    activity_times,
    case_durations,
    duration_summary,
)
from servops.mining.variants import Variant, VariantsResult, variants

__all__ = [
    "ActivityBottleneck",
    "ActivityRework",
    "ActivityTime",
    "ActivityTimesResult",
    "BottlenecksResult",
    "Dfg",
    "DfgEdge",
    "DfgNode",
    "DurationSummary",
    "Handover",
    "HandoverResult",
    "ReworkResult",
    "TransitionBottleneck",
    "ValueStream",
    "Variant",
    "VariantsResult",
    "activity_times",
    "bottlenecks",
    "case_durations",
    "discover_dfg",
    "duration_summary",
    "handovers",
    "rework",
    "variants",
]
