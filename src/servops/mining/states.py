"""Status and audit-log exports: one row per status change or field update.

ServiceNow's ``sys_audit`` / incident exports, Jira issue histories and BPIC 2013/2014
(VINST statuses) record a case's *status* on every update, so the same status repeats
whenever another field changes (a note, a reassignment, a priority). Read as an ordinary
event log, every repeat is a "repeated activity" (rework) and every gap is attributed to
the status entered next. In *state mode* instead:

* consecutive rows of a case with the same status are **one stay** in that status
  (:func:`collapse_states` keeps the row where the case entered it);
* the time in a status runs from entering it **until the next change of status**
  (:func:`state_times`); the case's last status has no end and is not timed;
* a configured change of status (e.g. ``Resolved → Active``) is a **reopen**
  (``states.reopen`` in the KPI config; :mod:`servops.kpi.cases` counts it).

:func:`repeated_state_share` tells how much of a log repeats the previous status of its
case: a high share (the CLI notes it above 20 %) suggests the log is of this shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from servops.errors import InvalidParameterError
from servops.log.engine import quantile, quote, seconds_between

if TYPE_CHECKING:
    from collections.abc import Sequence

    from servops.log import EventLog

__all__ = [
    "StateTime",
    "StateTimesResult",
    "collapse_states",
    "repeated_state_share",
    "state_times",
]

#: Share of repeated statuses above which a log looks like a status/audit export.
STATE_LOG_HINT = 0.2
_ORDER = 'PARTITION BY case_id ORDER BY "timestamp", event_index'


def _state_expr(log: EventLog, column: str | None, owner: str) -> str:
    if column is None or column == "activity":
        return "activity"
    if column not in log.attributes:
        msg = (
            f"The 'column' parameter of {owner} must be 'activity' or an attribute of "
            f"the log holding the status. Got {column!r} instead. Attributes: "
            f"{sorted(log.attributes)}"
        )
        raise InvalidParameterError(msg)
    return f"CAST({quote(column)} AS VARCHAR)"


def repeated_state_share(log: EventLog, column: str | None = None) -> float | None:
    """Share of events whose status equals the previous event's in the same case.

    ``None`` for a log with no two events in a case.

    Examples
    --------
    >>> repeated_state_share(tiny_log)
    0.0
    """
    state = _state_expr(log, column, "repeated_state_share")
    row = log.fetchone(
        f"""SELECT count(prev), count(CASE WHEN prev = s THEN 1 END) FROM (
          SELECT {state} AS s, lag({state}) OVER ({_ORDER}) AS prev FROM events)"""
    )
    return int(row[1]) / int(row[0]) if row[0] else None


def collapse_states(
    log: EventLog,
    column: str | None = None,
    *,
    keep_changes_of: Sequence[str] = (),
) -> EventLog:
    """The log of status entries: repeated consecutive identical statuses merged.

    Parameters
    ----------
    log
        A status or audit-log export (one row per update).
    column
        The attribute holding the status; ``None`` when the activity column does. The
        status becomes the activity of the result.
    keep_changes_of
        Attributes whose change also keeps a row (e.g. the assignment group, so that
        reassignments within a status can still be counted).

    Returns
    -------
    EventLog
        An in-memory log with one event per entry into a status (its first row), the
        attributes of that row, and no start times. Rows with no status are left out
        and counted in ``meta.notes``.

    Examples
    --------
    >>> log = collapse_states(tiny_log)
    >>> log.n_events() == tiny_log.n_events()  # no status repeats in tiny_log
    True
    """
    import pyarrow as pa

    from servops.io import ColumnMap
    from servops.log.read import read_log

    state = _state_expr(log, column, "collapse_states")
    for k in keep_changes_of:
        if k != "resource":
            _state_expr(log, k, "collapse_states")
    attrs = [a for a in log.attributes if a != column]
    changed = " OR ".join(
        [
            "__prev IS NULL OR __prev <> __state",
            *(
                f"{quote(k)} IS DISTINCT FROM lag({quote(k)}) OVER ({_ORDER})"
                for k in keep_changes_of
            ),
        ]
    )
    sel = "".join(f", {quote(a)}" for a in attrs)
    table = log.query(
        f"""SELECT case_id, __state AS activity, "timestamp", resource{sel},
          CAST(NULL AS TIMESTAMPTZ) AS __no_start, CAST(NULL AS VARCHAR) AS __no_lc
        FROM (
          SELECT *, ({changed}) AS __keep FROM (
            SELECT *, {state} AS __state, lag({state}) OVER ({_ORDER}) AS __prev
            FROM events WHERE {state} IS NOT NULL))
        WHERE __keep ORDER BY case_id, "timestamp", event_index"""
    ).to_arrow_table()
    dropped = int(log.fetchone(f"SELECT count(*) FROM events WHERE {state} IS NULL")[0])
    if table.num_rows == 0:
        msg = log.nothing_message("status rows") if dropped else "the log is empty"
        raise InvalidParameterError(msg)
    tz = log.meta.timezone or "UTC"
    table = table.set_column(
        table.column_names.index("__no_start"),
        "__no_start",
        pa.nulls(table.num_rows, pa.timestamp("us", tz=tz)),
    )
    out = read_log(
        table,
        columns=ColumnMap(
            case_id="case_id",
            activity="activity",
            timestamp="timestamp",
            start_timestamp="__no_start",
            resource="resource",
            lifecycle="__no_lc",
        ),
        timezone=tz,
    )
    merged = log.n_events() - dropped - table.num_rows
    notes = [
        f"state mode: {merged:,} repeated status rows merged into the stay before them"
    ]
    if dropped:
        notes.append(f"state mode: {dropped:,} rows with no status left out")
    return out.with_meta(
        source=log.meta.source,
        name=log.meta.name,
        has_start=False,
        lifecycle_mode="none",
        notes=(*log.meta.notes, *notes),
    )


@dataclass(frozen=True, slots=True)
class StateTime:
    """Stays in one status and how long they lasted (seconds, until the next change)."""

    state: str
    role: str
    stays: int
    cases: int
    timed: int
    mean_s: float | None
    median_s: float | None
    p90_s: float | None
    total_s: float | None
    share_of_time: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "state": self.state,
            "role": self.role,
            "stays": self.stays,
            "cases": self.cases,
            "timed": self.timed,
            "mean_s": self.mean_s,
            "median_s": self.median_s,
            "p90_s": self.p90_s,
            "total_s": self.total_s,
            "share_of_time": self.share_of_time,
        }


@dataclass(frozen=True, slots=True)
class StateTimesResult:
    """Time in each status, most total time first.

    ``customer_side_s``: the time in ``pause``, ``customer`` and ``resolved`` statuses
    (waiting on the customer or a third party, and the auto-close window).
    """

    states: tuple[StateTime, ...]
    cases: int
    total_s: float
    customer_side_s: float
    notes: tuple[str, ...] = ()

    @property
    def customer_share(self) -> float | None:
        """Share of the timed stays on the customer's side (pauses, auto-close)."""
        return self.customer_side_s / self.total_s if self.total_s > 0 else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "cases": self.cases,
            "total_s": self.total_s,
            "customer_side_s": self.customer_side_s,
            "customer_share": self.customer_share,
            "states": [s.to_dict() for s in self.states],
            "notes": list(self.notes),
        }


def state_times(
    log: EventLog,
    column: str | None = None,
    *,
    roles: dict[str, str] | None = None,
) -> StateTimesResult:
    """Time in each status: from entering it until the case's next change of status.

    Parameters
    ----------
    log
        A status log (repeats are merged here, so the raw export can be given).
    column
        The attribute holding the status; ``None`` when the activity column does.
    roles
        Status → role: ``"pause"`` (the SLA clock stops: waiting for the customer or
        a vendor), ``"customer"`` (a customer turn), ``"resolved"`` (the auto-close
        window after a resolution), ``"closed"``; other statuses are ``"team"``.
        :meth:`servops.kpi.KpiConfig.state_roles` derives it from a KPI config.

    Returns
    -------
    StateTimesResult

    Examples
    --------
    >>> r = state_times(tiny_log)
    >>> reg = next(s for s in r.states if s.state == "Register")
    >>> reg.stays, reg.timed, reg.role
    (5, 5, 'team')
    """
    state = _state_expr(log, column, "state_times")
    roles = roles or {}
    dur = seconds_between("entered", "left_at")
    rows = log.fetchall(
        f"""WITH e AS (
          SELECT case_id, "timestamp", event_index, {state} AS s,
            lag({state}) OVER ({_ORDER}) AS prev
          FROM events WHERE {state} IS NOT NULL
        ), st AS (
          SELECT case_id, s, "timestamp" AS entered,
            lead("timestamp") OVER ({_ORDER}) AS left_at
          FROM e WHERE prev IS NULL OR prev <> s
        ), d AS (SELECT case_id, s, {dur} AS d FROM st)
        SELECT s, count(*), count(DISTINCT case_id), count(d), avg(d),
          {quantile("d", 0.5)}, {quantile("d", 0.9)}, sum(d)
        FROM d GROUP BY s ORDER BY sum(d) DESC NULLS LAST, count(*) DESC, s"""
    )
    total = float(sum(float(r[7] or 0.0) for r in rows))
    cases = int(
        log.fetchone(
            f"SELECT count(DISTINCT case_id) FROM events WHERE {state} IS NOT NULL"
        )[0]
    )
    states = tuple(
        StateTime(
            state=str(r[0]),
            role=roles.get(str(r[0]), "team"),
            stays=int(r[1]),
            cases=int(r[2]),
            timed=int(r[3]),
            mean_s=None if r[4] is None else float(r[4]),
            median_s=None if r[5] is None else float(r[5]),
            p90_s=None if r[6] is None else float(r[6]),
            total_s=None if r[7] is None else float(r[7]),
            share_of_time=float(r[7]) / total if r[7] is not None and total else None,
        )
        for r in rows
    )
    customer = sum(
        s.total_s or 0.0 for s in states if s.role in ("pause", "customer", "resolved")
    )
    notes: list[str] = []
    if not roles:
        notes.append(
            "no KPI config given: no status is marked as customer-side "
            "(waiting for the customer, the resolved-to-closed window)"
        )
    return StateTimesResult(
        states=states,
        cases=cases,
        total_s=total,
        customer_side_s=float(customer),
        notes=tuple(notes),
    )
