"""Which foreign column holds which canonical field, given or guessed.

The canonical fields are ``case_id``, ``activity``, ``timestamp`` (end), ``start_timestamp``,
``resource`` and ``lifecycle``. XES keys, Disco/Celonis exports and common ticket-system
names are recognised; anything else can be given explicitly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "CANONICAL_FIELDS",
    "ENABLED_NAMES",
    "ColumnMap",
    "fold_name",
    "guess_columns",
]

CANONICAL_FIELDS = (
    "case_id",
    "activity",
    "timestamp",
    "start_timestamp",
    "resource",
    "lifecycle",
)

#: Names of an optional column holding when each activity instance was *enabled* (could
#: have started): servops' simulated logs write ``enabled_timestamp``; Prosimos and Simod
#: logs ``enable_time``. Kept as an attribute under its own name and used by
#: :func:`servops.log.schema.enabled_column` when it holds timestamps.
ENABLED_NAMES = (
    "enabled_timestamp",
    "enable_timestamp",
    "enabled_time",
    "enable_time",
    "enablement_time",
    "enablement_timestamp",
)

# Most specific first. Names are compared after folding case and separators.
_CANDIDATES: dict[str, tuple[str, ...]] = {
    "case_id": (
        "case:concept:name",
        "case_id",
        "caseid",
        "case id",
        "case",
        "case_concept.name",
        "case number",
        "ticket_id",
        "ticket id",
        "ticket",
        "ticket number",
        "incident_id",
        "incident id",
        "incident",
        "incident number",
        "request_id",
        "request id",
        "order_id",
        "order id",
        "claim_id",
        "claim id",
        "work order",
        "workorder_id",
        "patient",
        "patient id",
        "patient_id",
        "number",
        "工单号",
        "工单id",
        "事件单号",
        "工单编号",
        "案例id",
        "单号",
        "订单号",
    ),
    "activity": (
        "concept:name",
        "activity",
        "activity name",
        "event_concept.name",
        "event_activitynameen",
        "activity_id",
        "task",
        "step",
        "event",
        "action",
        "status",
        "state",
        "incident_state",
        "活动",
        "环节",
        "步骤",
        "状态",
        "操作",
        "动作",
    ),
    "timestamp": (
        "time:timestamp",
        "timestamp",
        "complete timestamp",
        "complete_timestamp",
        "end_timestamp",
        "end timestamp",
        "end time",
        "end_time",
        "endtime",
        "completed",
        "completed at",
        "event_time.timestamp",
        "sys_updated_at",
        "updated_at",
        "datetime",
        "date time",
        "time",
        "date",
        "ts",
        "time stamp",
        "event time",
        "event_time",
        "modified",
        "modified at",
        "last modified",
        "changed at",
        "时间",
        "完成时间",
        "结束时间",
        "更新时间",
        "操作时间",
        "处理时间",
        "发生时间",
        "时间戳",
    ),
    "start_timestamp": (
        "start_timestamp",
        "start timestamp",
        "start time",
        "start_time",
        "starttime",
        "started at",
        "start",
        "开始时间",
    ),
    "resource": (
        "org:resource",
        "resource",
        "event_org.resource",
        "agent",
        "assignee",
        "assigned_to",
        "assigned to",
        "user",
        "employee",
        "performer",
        "operator",
        "handler",
        "org:group",
        "group",
        "处理人",
        "操作人",
        "经办人",
        "负责人",
        "人员",
        "坐席",
    ),
    "lifecycle": (
        "lifecycle:transition",
        "lifecycle",
        "event_lifecycle.transition",
        "transition",
        "lifecycle_transition",
    ),
}


def _fold(name: str) -> str:
    return re.sub(r"[\s_\-]+", " ", name.strip().lower())


def fold_name(name: str) -> str:
    """A column name as names are compared: lower case, runs of separators one space.

    Examples
    --------
    >>> fold_name("Enable_Time")
    'enable time'
    """
    return _fold(name)


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """Names of the source columns that hold the canonical fields.

    A field left ``None`` is guessed from the source's column names. An ``activity`` of the
    form ``"a+b"`` (when no column has that literal name) joins columns ``a`` and ``b`` with
    ``+`` as PM4Py's classifiers do, e.g. ``"concept:name+lifecycle:transition"``.

    Examples
    --------
    >>> ColumnMap(case_id="ticket", activity="step", timestamp="ts").case_id
    'ticket'
    """

    case_id: str | None = None
    activity: str | None = None
    timestamp: str | None = None
    start_timestamp: str | None = None
    resource: str | None = None
    lifecycle: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        """Return ``{canonical field: source column}``."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def guess_columns(
    names: Sequence[str], given: ColumnMap | None = None
) -> tuple[ColumnMap, list[str]]:
    """Fill the fields of ``given`` that are ``None`` from the column ``names``.

    Returns the completed map and the canonical fields that were guessed. A column is used
    for at most one field; explicit choices are never overridden.

    Examples
    --------
    >>> cmap, guessed = guess_columns(["Case ID", "Activity", "Complete Timestamp"])
    >>> (cmap.case_id, cmap.activity, cmap.timestamp, guessed)
    ('Case ID', 'Activity', 'Complete Timestamp', ['case_id', 'activity', 'timestamp'])
    """
    given = given or ColumnMap()
    folded: dict[str, str] = {}
    for n in names:
        folded.setdefault(_fold(n), n)
    used = {v for v in given.as_dict().values() if v}
    chosen: dict[str, str] = {}
    guessed: list[str] = []
    for field in CANONICAL_FIELDS:
        if getattr(given, field) is not None:
            continue
        for cand in _CANDIDATES[field]:
            col = folded.get(_fold(cand))
            if col is not None and col not in used:
                chosen[field] = col
                used.add(col)
                guessed.append(field)
                break
    return replace(given, **chosen), guessed
