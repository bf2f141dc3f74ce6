"""Per-step measures of a log against a blueprint, in one SQL pass.

Every activity instance is mapped to its blueprint step (or left unmapped) and placed in
its case: the completion of the event before it, the case start, the resource before it,
and which occurrence of its step it is. Overlay, conformance and value stream all read
these rows, so the three agree on what "waiting", "rework" and "met the standard" mean:

* *lead* of an instance: from the completion of the case's previous event to its own
  completion (for the first event: its own duration, else 0);
* *processing*: ``timestamp - start_timestamp`` when the log has start times;
* *waiting*: lead minus processing; the part of it that is the customer's (the wait
  before a customer turn or a closing step, after a pause start or a resolution) is
  told apart by :class:`servops.mining.CustomerSide`, the one labelling bottlenecks,
  the value stream and activity times use;
* *rework*: occurrences of a step after its first in a case;
* *handover*: an instance whose resource differs from the previous event's resource;
* a *standard* is measured at the completion of the step's first occurrence (or on every
  occurrence for ``duration`` standards), from the reference the standard names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from servops.log.engine import seconds_between
from servops.log.schema import INSTANCE_ORDER, case_arrival
from servops.mining._sequence import mostly_customer

if TYPE_CHECKING:
    from servops.blueprint.model import Blueprint
    from servops.log import EventLog
    from servops.mining.bottlenecks import CustomerSide

__all__ = [
    "CaseTotals",
    "StepStats",
    "case_totals",
    "mapping_sql",
    "step_stats",
    "step_variants",
]

#: Marks an activity that maps to no step in a variant.
UNMAPPED = "\x1e"
_SEP = "\x1f"


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def mapping_sql(bp: Blueprint) -> str:
    """A subquery ``(activity, step)`` mapping log activities to step ids."""
    pairs = bp.activity_map()
    if not pairs:
        return (
            "(SELECT CAST(NULL AS VARCHAR) AS activity, CAST(NULL AS VARCHAR) AS step "
            "WHERE 1 = 0)"
        )
    rows = ", ".join(f"({_lit(a)}, {_lit(s)})" for a, s in pairs.items())
    return f"(SELECT * FROM (VALUES {rows}) AS v(activity, step))"


def _instances_sql(bp: Blueprint, arrival: str) -> str:
    """Instances with step, case context and occurrence number (a subquery).

    ``arrival``: the log's :func:`servops.log.schema.case_arrival` (the case start).
    """
    ts, st = '"timestamp"', "start_timestamp"
    order = f"PARTITION BY i.case_id ORDER BY i.{ts}, i.event_index"
    return f"""(
      SELECT b.*,
        CASE WHEN b.step IS NULL THEN NULL ELSE row_number() OVER (
          PARTITION BY b.case_id, b.step ORDER BY b.ts, b.event_index) END AS occ
      FROM (
        SELECT i.case_id, i.activity, m.step, i.{ts} AS ts, i.{st} AS st,
          i.resource, i.event_index,
          lag(i.{ts}) OVER ({order}) AS prev_ts,
          lag(i.resource) OVER ({order}) AS prev_res,
          lag(i.activity) OVER ({order}) AS prev_activity,
          {arrival} OVER (PARTITION BY i.case_id) AS case_start,
          max(i.{ts}) OVER (PARTITION BY i.case_id) AS case_end
        FROM instances i LEFT JOIN {mapping_sql(bp)} m ON i.activity = m.activity
      ) b
    )"""


@dataclass(frozen=True, slots=True)
class StepStats:
    """What the log says about one step (or ``(unmapped)`` activities)."""

    step: str
    cases: int
    instances: int
    repeat_cases: int
    lead_s: float
    waiting_s: float
    processing_s: float
    first_lead_s: float
    rework_s: float
    first_wait_s: float
    va_processing_s: float
    handovers: int
    handover_wait_s: float
    measured: int
    met: int
    customer_wait_s: float = 0.0

    @property
    def mean_wait_s(self) -> float:
        """Mean waiting before an instance of the step, in seconds."""
        return self.waiting_s / self.instances if self.instances else 0.0

    @property
    def team_wait_s(self) -> float:
        """Waiting before the step that is the team's (not the customer's), seconds."""
        return self.waiting_s - self.customer_wait_s

    @property
    def mean_customer_wait_s(self) -> float:
        """Mean customer-side waiting before an instance of the step, in seconds."""
        return self.customer_wait_s / self.instances if self.instances else 0.0

    @property
    def mean_team_wait_s(self) -> float:
        """Mean team waiting before an instance of the step, in seconds."""
        return self.team_wait_s / self.instances if self.instances else 0.0

    @property
    def customer_side(self) -> bool:
        """Whether most of the waiting before the step is the customer's."""
        return mostly_customer(self.customer_wait_s, self.waiting_s)

    @property
    def attainment(self) -> float | None:
        """Share of measured cases (instances) that met the standard."""
        return self.met / self.measured if self.measured else None


@dataclass(frozen=True, slots=True)
class CaseTotals:
    """Case count and total lead time (sum of case durations)."""

    cases: int
    lead_s: float


def step_stats(
    log: EventLog, bp: Blueprint, *, customer_side: CustomerSide | None = None
) -> dict[str, StepStats]:
    """Per-step measures (see the module docstring); key ``""`` holds unmapped events.

    ``customer_side`` says which waits are the customer's
    (:meth:`servops.kpi.KpiConfig.customer_side`); without it all waiting is the team's.
    """
    has_start = log.has_start_times
    cust = customer_side.sql() if customer_side else "false"
    refs = sorted(
        {s.standard.ref_step for s in bp.steps if s.standard and s.standard.ref_step}
    )
    ref_cols = "".join(
        f", min(CASE WHEN step = {_lit(r)} THEN ts END) OVER (PARTITION BY case_id) "
        f"AS ref{k}"
        for k, r in enumerate(refs)
    )
    prev = "coalesce(prev_ts, coalesce(st, ts))"
    lead = seconds_between(prev, "ts")
    proc_real = f"coalesce({seconds_between('st', 'ts')}, 0)" if has_start else "0"
    # Without start times, a step's designed work_time (capped at the gap) is its
    # processing time; the rest of the gap is waiting.
    work_cases = " ".join(
        f"WHEN {_lit(s.id)} THEN {s.work_time.total_seconds()}"
        for s in bp.steps
        if s.work_time is not None
    )
    if has_start:
        proc = f"CASE WHEN st IS NOT NULL THEN {proc_real} ELSE 0 END"
    elif work_cases:
        proc = f"least({lead}, CASE step {work_cases} ELSE 0 END)"
    else:
        proc = "0"
    elapsed_cases = []
    limit_cases = []
    for s in bp.steps:
        std = s.standard
        if std is None:
            continue
        if std.reference == "duration":
            expr = (
                f"CASE WHEN st IS NOT NULL THEN {seconds_between('st', 'ts')} END"
                if has_start
                else "NULL"
            )
        else:
            if std.reference == "case_start":
                origin = "case_start"
            elif std.reference == "previous":
                origin = prev
            else:
                origin = f"ref{refs.index(str(std.ref_step))}"
            expr = (
                f"CASE WHEN occ = 1 AND {origin} <= ts THEN "
                f"{seconds_between(origin, 'ts')} END"
            )
        elapsed_cases.append(f"WHEN {_lit(s.id)} THEN {expr}")
        limit_cases.append(f"WHEN {_lit(s.id)} THEN {std.limit.total_seconds()}")
    elapsed = f"CASE step {' '.join(elapsed_cases)} END" if elapsed_cases else "NULL"
    limit = f"CASE step {' '.join(limit_cases)} END" if limit_cases else "NULL"
    va_steps = [s.id for s in bp.steps if s.value_adding]
    va = (
        f"step IN ({', '.join(_lit(v) for v in va_steps)}) AND occ = 1"
        if va_steps
        else "FALSE"
    )
    sql = f"""
    SELECT coalesce(step, '') AS step,
      count(DISTINCT case_id), count(*),
      count(DISTINCT CASE WHEN occ > 1 THEN case_id END),
      coalesce(sum(lead), 0), coalesce(sum(greatest(lead - proc, 0)), 0), coalesce(sum(proc), 0),
      coalesce(sum(CASE WHEN occ = 1 OR occ IS NULL THEN lead END), 0),
      coalesce(sum(CASE WHEN occ > 1 THEN lead END), 0),
      coalesce(sum(CASE WHEN occ = 1 OR occ IS NULL THEN greatest(lead - proc, 0) END), 0),
      coalesce(sum(CASE WHEN {va} THEN proc END), 0),
      count(CASE WHEN handover THEN 1 END),
      coalesce(sum(CASE WHEN handover THEN greatest(lead - proc, 0) END), 0),
      count(elapsed), count(CASE WHEN elapsed <= lim THEN 1 END),
      coalesce(sum(CASE WHEN {cust} THEN greatest(lead - proc, 0) END), 0)
    FROM (
      SELECT x.*, {lead} AS lead, {proc} AS proc, {elapsed} AS elapsed, {limit} AS lim,
        (resource IS NOT NULL AND prev_res IS NOT NULL AND resource <> prev_res)
          AS handover
      FROM (SELECT *{ref_cols}
            FROM {_instances_sql(bp, case_arrival(log.attributes))}) x
    ) y
    GROUP BY 1
    """
    out: dict[str, StepStats] = {}
    for r in log.fetchall(sql):
        out[str(r[0])] = StepStats(
            step=str(r[0]),
            cases=int(r[1]),
            instances=int(r[2]),
            repeat_cases=int(r[3]),
            lead_s=float(r[4]),
            waiting_s=float(r[5]),
            processing_s=float(r[6]),
            first_lead_s=float(r[7]),
            rework_s=float(r[8]),
            first_wait_s=float(r[9]),
            va_processing_s=float(r[10]),
            handovers=int(r[11]),
            handover_wait_s=float(r[12]),
            measured=int(r[13]),
            met=int(r[14]),
            customer_wait_s=float(r[15]),
        )
    return out


def case_totals(log: EventLog) -> CaseTotals:
    """Number of cases and the sum of case durations (arrival to last end).

    A case arrives at :func:`servops.log.schema.case_arrival`: its earliest enablement
    where the log records one, else its first start.
    """
    row = log.fetchone(
        f"""SELECT count(*), coalesce(sum({seconds_between("s", "e")}), 0) FROM (
              SELECT case_id, {case_arrival(log.attributes)} AS s,
                     max("timestamp") AS e
              FROM instances GROUP BY case_id)"""
    )
    return CaseTotals(int(row[0]), float(row[1]))


def step_variants(log: EventLog, bp: Blueprint) -> list[tuple[tuple[str, ...], int]]:
    """Distinct step sequences and their case counts, most frequent first.

    Unmapped activities appear as ``UNMAPPED + activity``.
    """
    sql = f"""
    SELECT trace, count(*) AS n FROM (
      SELECT i.case_id,
        string_agg(coalesce(m.step, {_lit(UNMAPPED)} || i.activity), {_lit(_SEP)}
                   ORDER BY {INSTANCE_ORDER}) AS trace
      FROM instances i LEFT JOIN {mapping_sql(bp)} m ON i.activity = m.activity
      GROUP BY i.case_id) t
    GROUP BY trace ORDER BY n DESC, trace
    """
    return [(tuple(str(t).split(_SEP)), int(n)) for t, n in log.fetchall(sql)]
