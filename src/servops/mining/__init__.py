"""Process mining: what the process really looks like, and where the time goes.

Directly-follows graphs (:func:`discover_dfg`), variants (:func:`variants`), service
versus waiting time (:func:`activity_times`, :func:`case_durations`), bottlenecks and
the value stream (:func:`bottlenecks`), rework (:func:`rework`) and handovers of work
(:func:`handovers`); status/audit-log exports in state mode (:func:`collapse_states`,
:func:`state_times`). Everything runs as SQL over the log's activity instances.
"""

from __future__ import annotations

from servops.mining.bottlenecks import (
    ActivityBottleneck,
    BottlenecksResult,
    CustomerSide,
    TransitionBottleneck,
    ValueStream,
    bottlenecks,
    value_stream,
)
from servops.mining.dfg import Dfg, DfgEdge, DfgNode, discover_dfg
from servops.mining.handover import Handover, HandoverResult, handovers
from servops.mining.rework import ActivityRework, ReworkResult, rework
from servops.mining.states import (
    StateTime,
    StateTimesResult,
    collapse_states,
    repeated_state_share,
    state_times,
)
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
    "CustomerSide",
    "Dfg",
    "DfgEdge",
    "DfgNode",
    "DurationSummary",
    "Handover",
    "HandoverResult",
    "ReworkResult",
    "StateTime",
    "StateTimesResult",
    "TransitionBottleneck",
    "ValueStream",
    "Variant",
    "VariantsResult",
    "activity_times",
    "bottlenecks",
    "case_durations",
    "collapse_states",
    "discover_dfg",
    "duration_summary",
    "handovers",
    "repeated_state_share",
    "rework",
    "state_times",
    "value_stream",
    "variants",
]
