"""Directly-follows graph (DFG) with frequencies and transition times.

Activity ``b`` directly follows ``a`` when, within one case, the instance after an
instance of ``a`` is an instance of ``b`` (order of :mod:`servops.mining._sequence`).
An edge's *frequency* counts such pairs, its *cases* the cases with at least one.

The transition time of a pair is ``max(start_b, end_a) − end_a``: on logs without start
times, the time between the two events; with start times, the time ``b`` waited after
``a`` ended (0 when they overlap). This is PM4Py's performance DFG (van der Aalst,
*Process Mining*, 2nd ed., §7.4; PM4Py ``df_statistics.get_dfg_graph``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from servops._validation import check_interval
from servops.log.engine import quantile, seconds_between
from servops.mining._sequence import ORDER, continue_with
from servops.mining.variants import (
    TraceCoding,
    VariantsResult,
    trace_coding,
    variant_stats_sql,
    variants_from_rows,
)

if TYPE_CHECKING:
    from servops.log import EventLog

__all__ = ["Dfg", "DfgEdge", "DfgNode", "discover_dfg", "discover_dfg_and_variants"]


@dataclass(frozen=True, slots=True)
class DfgNode:
    """An activity: how many instances (``frequency``) and in how many cases."""

    activity: str
    frequency: int
    cases: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: ``{"activity", "frequency"}``."""
        return {"activity": self.activity, "frequency": self.frequency}


@dataclass(frozen=True, slots=True)
class DfgEdge:
    """A directly-follows relation with its frequency and transition times (seconds)."""

    source: str
    target: str
    frequency: int
    cases: int
    mean_s: float
    median_s: float
    min_s: float
    max_s: float
    p90_s: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (without ``cases``, as ``servops dfg --json`` prints it)."""
        return {
            "source": self.source,
            "target": self.target,
            "frequency": self.frequency,
            "mean_s": self.mean_s,
            "median_s": self.median_s,
            "min_s": self.min_s,
            "max_s": self.max_s,
            "p90_s": self.p90_s,
        }


@dataclass(frozen=True, slots=True)
class Dfg:
    """A directly-follows graph: nodes, edges, start and end activities.

    Nodes are sorted by frequency (descending) then name; edges likewise.
    """

    nodes: tuple[DfgNode, ...]
    edges: tuple[DfgEdge, ...]
    start_activities: dict[str, int]
    end_activities: dict[str, int]
    n_cases: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: nodes, edges, start and end activities."""
        return {
            "nodes": [n.to_dict() for n in self.nodes],
            "edges": [e.to_dict() for e in self.edges],
            "start_activities": dict(self.start_activities),
            "end_activities": dict(self.end_activities),
        }

    def frequencies(self) -> dict[tuple[str, str], int]:
        """Edge frequencies keyed by ``(source, target)``."""
        return {(e.source, e.target): e.frequency for e in self.edges}


def discover_dfg(log: EventLog) -> Dfg:
    """Discover the directly-follows graph of ``log``, with frequencies and times.

    Parameters
    ----------
    log
        The event log (filtered or not).

    Returns
    -------
    Dfg
        Nodes, edges with frequency and transition-time statistics in seconds (mean,
        median, min, max, 90th percentile), start and end activities with case counts.

    Examples
    --------
    >>> dfg = so.mining.discover_dfg(tiny_log)
    >>> dfg.frequencies()[("Register", "Triage")]
    4
    >>> dfg.start_activities, dfg.end_activities
    ({'Register': 5}, {'Close': 4, 'Triage': 1})
    >>> e = next(e for e in dfg.edges if (e.source, e.target) == ("Triage", "Resolve"))
    >>> e.frequency, e.mean_s, e.median_s
    (2, 1800.0, 1800.0)
    """
    return discover_dfg_and_variants(log)[0]


def discover_dfg_and_variants(
    log: EventLog, *, top: int | None = None
) -> tuple[Dfg, VariantsResult]:
    """The directly-follows graph and the variants of ``log``, from one pass.

    One window over the activity instances, partitioned by case, gives each instance
    its successor and each case its trace (and first start and last end). Edge counts
    and transition times are aggregated from the pairs; variants from the traces. How
    many cases contain each activity and edge follows from the variants (every case of
    a variant has the same ones), as do the start and end activities.

    Parameters
    ----------
    log
        The event log (filtered or not).
    top
        Keep only the ``top`` most frequent variants (as :func:`variants` does); the
        graph always counts every case.

    Returns
    -------
    tuple[Dfg, VariantsResult]
        What :func:`discover_dfg` and :func:`servops.mining.variants` return.

    Examples
    --------
    >>> dfg, var = so.mining.discover_dfg_and_variants(tiny_log)
    >>> dfg.frequencies()[("Register", "Triage")], len(var), var.variants[0].cases
    (4, 4, 2)
    """
    if top is not None:
        check_interval(top, "top", "discover_dfg_and_variants", low=1, closed="left")
    coding = trace_coding(log)
    d = seconds_between("end_ts", "greatest(next_start, end_ts)")
    rows = log.fetchall(
        continue_with(
            f"""
        WITH seq AS (
          SELECT case_id, activity, "timestamp" AS end_ts,
            coalesce(start_timestamp, "timestamp") AS start_ts,
            row_number() OVER w AS pos,
            lead(activity) OVER w AS next_activity,
            lead(coalesce(start_timestamp, "timestamp")) OVER w AS next_start,
            {coding.trace_agg(ORDER)} OVER (PARTITION BY case_id) AS trace,
            max("timestamp") OVER (PARTITION BY case_id) AS case_end
          FROM {coding.source}
          WINDOW w AS (PARTITION BY case_id ORDER BY {ORDER})
        ),
        edges AS (
          SELECT activity, next_activity, count(*) AS n,
            avg(d) AS mean_s, {quantile("d", 0.5)} AS median_s, min(d) AS min_s,
            max(d) AS max_s, {quantile("d", 0.9)} AS p90_s
          FROM (
            SELECT activity, next_activity,
              CASE WHEN next_activity IS NULL THEN NULL ELSE {d} END AS d
            FROM seq
          ) GROUP BY activity, next_activity
        ),
        cases AS (
          -- the first instance starts the case (instances are ordered by start)
          SELECT trace, {seconds_between("start_ts", "case_end")} AS dur
          FROM seq WHERE pos = 1
        ),
        vars AS ({variant_stats_sql("cases")})
        SELECT 0 AS kind, activity, next_activity, n, mean_s, median_s, min_s, max_s,
          p90_s, NULL AS total
        FROM edges
        UNION ALL
        SELECT 1, trace, NULL, n, mean_s, median_s, NULL, NULL, NULL, total
        FROM vars
        """
        )
    )
    variant_rows = sorted(
        ((str(r[1]), int(r[3]), r[4], r[5], r[9]) for r in rows if r[0] == 1),
        key=lambda r: (-r[1], r[0]),
    )
    every = variants_from_rows(variant_rows, coding)
    dfg = _graph([r[1:9] for r in rows if r[0] == 0], variant_rows, coding)
    if top is not None:
        every = VariantsResult(every.variants[: int(top)], every.n_cases)
    return dfg, every


def _graph(
    edge_rows: list[tuple[Any, ...]],
    variant_rows: list[tuple[str, int, Any, Any, Any]],
    coding: TraceCoding,
) -> Dfg:
    """Assemble the graph: edges from the pair rows, case counts from the variants."""
    starts: Counter[str] = Counter()
    ends: Counter[str] = Counter()
    node_cases: Counter[str] = Counter()
    edge_cases: Counter[tuple[str, str]] = Counter()
    for trace, n, *_ in variant_rows:
        steps = coding.steps(trace)
        starts[steps[0]] += n
        ends[steps[-1]] += n
        for step in set(steps):
            node_cases[step] += n
        for pair in set(pairwise(steps)):
            edge_cases[pair] += n
    name = coding.name
    node_cases_by = {name(k): v for k, v in node_cases.items()}
    edge_cases_by = {(name(a), name(b)): v for (a, b), v in edge_cases.items()}
    node_freq: Counter[str] = Counter()
    edges: list[DfgEdge] = []
    for src, tgt, n, mean, med, lo, hi, p90 in edge_rows:
        node_freq[str(src)] += int(n)
        if tgt is None:
            continue
        edges.append(
            DfgEdge(
                str(src),
                str(tgt),
                int(n),
                edge_cases_by[str(src), str(tgt)],
                float(mean),
                float(med),
                float(lo),
                float(hi),
                float(p90),
            )
        )
    edges.sort(key=lambda e: (-e.frequency, e.source, e.target))

    def ranked(counts: Counter[str]) -> dict[str, int]:
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    return Dfg(
        nodes=tuple(
            DfgNode(a, n, node_cases_by[a]) for a, n in ranked(node_freq).items()
        ),
        edges=tuple(edges),
        start_activities=ranked(Counter({name(k): v for k, v in starts.items()})),
        end_activities=ranked(Counter({name(k): v for k, v in ends.items()})),
        n_cases=sum(starts.values()),
    )
