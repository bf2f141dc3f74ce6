"""Filters: narrow a log to a time window, attribute values, variants, paths or activities.

Every filter returns a new :class:`~servops.EventLog` built with :meth:`EventLog.where`
(a view: nothing is copied) and can be chained. Case filters keep or drop whole cases;
:func:`time_window` with ``mode="trim"`` and :func:`min_activity_frequency` drop events.
Each filter sees the log as filtered so far, so order matters (as in Disco): keeping the
top 5 variants and then cases through ``Escalate`` differs from the reverse.

Values are written into the SQL as quoted literals; column names are checked against
the log's columns first.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from servops._validation import check_choice, check_interval
from servops.errors import InvalidParameterError
from servops.log.engine import quote
from servops.log.schema import CORE_COLUMNS, INSTANCE_ORDER, INSTANCE_ORDER_KEYS

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from servops.log.eventlog import EventLog

__all__ = [
    "attribute_values",
    "ends_with",
    "min_activity_frequency",
    "starts_with",
    "through_activity",
    "time_window",
    "top_variants",
]

WindowMode = Literal["contained", "intersecting", "started", "completed", "trim"]


def _lit(value: object) -> str:
    """Quote a Python value as an SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def _lits(values: Iterable[object]) -> str:
    out = ", ".join(_lit(v) for v in values)
    if not out:
        msg = "a filter needs at least one value; got none."
        raise InvalidParameterError(msg)
    return out


def _ts(value: datetime | str, name: str) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return f"CAST({_lit(value.isoformat())} AS TIMESTAMPTZ)"
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError as exc:
        msg = (
            f"The {name!r} time must be an ISO 8601 date or timestamp such as "
            f"'2012-01-31' or '2012-01-31T08:00:00+01:00'. Got {value!r} instead."
        )
        raise InvalidParameterError(msg) from exc
    return _ts(parsed, name)


def _cases(log: EventLog, where: str, level: str = "events") -> str:
    src = log.events_sql if level == "events" else log.instances_sql
    return f"case_id IN (SELECT case_id FROM {src} AS f WHERE {where})"


def time_window(
    log: EventLog,
    start: datetime | str | None = None,
    end: datetime | str | None = None,
    *,
    mode: WindowMode = "contained",
) -> EventLog:
    """Keep cases (or events) by time.

    Parameters
    ----------
    log
        The event log.
    start, end
        The window ``[start, end)``; either may be ``None`` (open). Naive values are UTC.
    mode
        ``"contained"``: cases that start and end inside the window; ``"intersecting"``:
        cases with any time inside it; ``"started"`` / ``"completed"``: cases that
        start / end inside it; ``"trim"``: events inside it (cases cut at the edges).

    Examples
    --------
    >>> from servops.log.filters import time_window
    >>> time_window(tiny_log, "2024-01-09", "2024-01-10").n_cases()
    2
    >>> time_window(tiny_log, end="2024-01-09", mode="started").n_cases()
    2
    """
    check_choice(
        mode,
        "mode",
        "time_window",
        ["contained", "intersecting", "started", "completed", "trim"],
    )
    lo = _ts(start, "start") if start is not None else None
    hi = _ts(end, "end") if end is not None else None
    if lo is None and hi is None:
        return log

    def inside(expr: str) -> str:
        parts = []
        if lo is not None:
            parts.append(f"{expr} >= {lo}")
        if hi is not None:
            parts.append(f"{expr} < {hi}")
        return " AND ".join(parts)

    first = 'coalesce(start_timestamp, "timestamp")'
    if mode == "trim":
        return log.where(inside('"timestamp"'))
    span = (
        f'SELECT case_id, min({first}) AS s, max("timestamp") AS e '
        f"FROM {log.events_sql} AS f GROUP BY case_id"
    )
    if mode == "contained":
        cond = inside("s") + " AND " + inside("e")
    elif mode == "started":
        cond = inside("s")
    elif mode == "completed":
        cond = inside("e")
    else:
        parts = []
        if lo is not None:
            parts.append(f"e >= {lo}")
        if hi is not None:
            parts.append(f"s < {hi}")
        cond = " AND ".join(parts)
    return log.where(f"case_id IN (SELECT case_id FROM ({span}) AS w WHERE {cond})")


def _column(log: EventLog, name: str) -> str:
    if name in CORE_COLUMNS or name in log.attributes:
        return quote(name)
    msg = (
        f"no column {name!r} in this log. Columns: "
        f"{sorted(set(CORE_COLUMNS) | set(log.attributes))}"
    )
    raise InvalidParameterError(msg)


def attribute_values(
    log: EventLog,
    attribute: str,
    values: Sequence[object],
    *,
    level: Literal["case", "event"] = "case",
    keep: bool = True,
) -> EventLog:
    """Keep (or drop) cases having an event whose ``attribute`` is one of ``values``.

    Values are compared as text. With ``level="event"`` only the matching events are
    kept (or dropped).

    Examples
    --------
    >>> from servops.log.filters import attribute_values
    >>> attribute_values(tiny_log, "channel", ["email"]).n_cases()
    2
    >>> attribute_values(tiny_log, "resource", ["carol"], keep=False).n_cases()
    3
    """
    check_choice(level, "level", "attribute_values", ["case", "event"])
    col = _column(log, attribute)
    match = f"CAST({col} AS VARCHAR) IN ({_lits(values)})"
    if level == "event":
        return log.where(match if keep else f"NOT coalesce({match}, false)")
    cases = _cases(log, match)
    return log.where(cases if keep else f"NOT {cases}")


def through_activity(log: EventLog, activities: Sequence[str]) -> EventLog:
    """Keep cases that pass through every one of ``activities``.

    Examples
    --------
    >>> from servops.log.filters import through_activity
    >>> through_activity(tiny_log, ["Escalate"]).n_cases()
    1
    """
    out = log
    for a in activities:
        out = out.where(_cases(out, f"activity = {_lit(a)}", "instances"))
    return out


def _edge_activity(log: EventLog, activities: Sequence[str], *, last: bool) -> EventLog:
    direction = "DESC" if last else "ASC"
    desc = ", ".join(f"{c} {direction}" for c in INSTANCE_ORDER_KEYS)
    pick = (
        f"SELECT case_id, activity, row_number() OVER (PARTITION BY case_id "
        f"ORDER BY {desc}) AS rn FROM {log.instances_sql} AS f"
    )
    return log.where(
        f"case_id IN (SELECT case_id FROM ({pick}) AS p "
        f"WHERE rn = 1 AND activity IN ({_lits(activities)}))"
    )


def starts_with(log: EventLog, activities: Sequence[str]) -> EventLog:
    """Keep cases whose first activity is one of ``activities``.

    Examples
    --------
    >>> from servops.log.filters import starts_with
    >>> starts_with(tiny_log, ["Register"]).n_cases()
    5
    """
    return _edge_activity(log, activities, last=False)


def ends_with(log: EventLog, activities: Sequence[str]) -> EventLog:
    """Keep cases whose last activity is one of ``activities``.

    Examples
    --------
    >>> from servops.log.filters import ends_with
    >>> ends_with(tiny_log, ["Close"]).n_cases()
    4
    """
    return _edge_activity(log, activities, last=True)


def top_variants(log: EventLog, k: int) -> EventLog:
    """Keep the cases of the ``k`` most frequent variants (ties broken by sequence).

    Examples
    --------
    >>> from servops.log.filters import top_variants
    >>> top_variants(tiny_log, 1).n_cases()
    2
    """
    check_interval(k, "k", "top_variants", low=1, closed="left")
    traces = (
        f"SELECT case_id, string_agg(activity, chr(31) ORDER BY {INSTANCE_ORDER}) AS trace "
        f"FROM {log.instances_sql} AS f GROUP BY case_id"
    )
    top = (
        f"SELECT trace FROM ({traces}) AS t GROUP BY trace "
        f"ORDER BY count(*) DESC, trace LIMIT {int(k)}"
    )
    return log.where(
        f"case_id IN (SELECT case_id FROM ({traces}) AS t2 WHERE trace IN ({top}))"
    )


def min_activity_frequency(log: EventLog, n: int) -> EventLog:
    """Drop the events of activities with fewer than ``n`` activity instances.

    Examples
    --------
    >>> from servops.log.filters import min_activity_frequency
    >>> min_activity_frequency(tiny_log, 2).fetchone(
    ...     "SELECT count(DISTINCT activity) FROM instances"
    ... )
    (4,)
    """
    check_interval(n, "n", "min_activity_frequency", low=1, closed="left")
    return log.where(
        f"activity IN (SELECT activity FROM {log.instances_sql} AS f "
        f"GROUP BY activity HAVING count(*) >= {int(n)})"
    )
