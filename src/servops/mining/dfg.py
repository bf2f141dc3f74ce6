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

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from servops.log.engine import quantile, seconds_between
from servops.mining._sequence import continue_with, sequence_sql

if TYPE_CHECKING:
    from servops.log import EventLog

__all__ = ["Dfg", "DfgEdge", "DfgNode", "discover_dfg"]


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

    One query: a window over the activity instances gives each its successor; one
    aggregate takes the counts and transition times per edge, another the cases per
    edge and per activity (grouping sets). Node frequencies and the number of cases
    follow from the edge rows.

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
    d = seconds_between("end_ts", "greatest(next_start, end_ts)")
    rows = log.fetchall(
        continue_with(
            f"""
        WITH seq AS ({sequence_sql()}),
        pairs AS (
          SELECT case_id, activity, next_activity, pos = 1 AS is_first,
            CASE WHEN next_activity IS NULL THEN NULL ELSE {d} END AS d
          FROM seq
        ),
        stats AS (
          SELECT activity, next_activity, count(*) AS n,
            sum(CASE WHEN is_first THEN 1 ELSE 0 END) AS starts,
            avg(d) AS mean_s, {quantile("d", 0.5)} AS median_s, min(d) AS min_s,
            max(d) AS max_s, {quantile("d", 0.9)} AS p90_s
          FROM pairs GROUP BY activity, next_activity
        ),
        per_case AS (
          SELECT activity, next_activity, GROUPING(next_activity) AS is_node
          FROM pairs GROUP BY GROUPING SETS (
            (case_id, activity, next_activity), (case_id, activity))
        ),
        cases AS (
          SELECT activity, next_activity, is_node, count(*) AS cases
          FROM per_case GROUP BY activity, next_activity, is_node
        )
        SELECT c.is_node, c.activity, c.next_activity, c.cases, s.n, s.starts,
          s.mean_s, s.median_s, s.min_s, s.max_s, s.p90_s
        FROM cases c LEFT JOIN stats s ON c.is_node = 0 AND s.activity = c.activity
          AND s.next_activity IS NOT DISTINCT FROM c.next_activity
        """
        )
    )
    edges: list[DfgEdge] = []
    starts: dict[str, int] = {}
    ends: dict[str, int] = {}
    node_freq: dict[str, int] = {}
    node_cases: dict[str, int] = {}
    for is_node, src, tgt, cases, n, first, mean, med, lo, hi, p90 in rows:
        if is_node:
            node_cases[str(src)] = int(cases)
            continue
        node_freq[str(src)] = node_freq.get(str(src), 0) + int(n)
        if first:
            starts[src] = starts.get(src, 0) + int(first)
        if tgt is None:
            ends[src] = int(n)
            continue
        edges.append(
            DfgEdge(
                str(src),
                str(tgt),
                int(n),
                int(cases),
                float(mean),
                float(med),
                float(lo),
                float(hi),
                float(p90),
            )
        )
    n_cases = sum(starts.values())
    edges.sort(key=lambda e: (-e.frequency, e.source, e.target))
    return Dfg(
        nodes=tuple(
            DfgNode(a, n, node_cases[a])
            for a, n in sorted(node_freq.items(), key=lambda kv: (-kv[1], kv[0]))
        ),
        edges=tuple(edges),
        start_activities=dict(sorted(starts.items(), key=lambda kv: (-kv[1], kv[0]))),
        end_activities=dict(sorted(ends.items(), key=lambda kv: (-kv[1], kv[0]))),
        n_cases=n_cases,
    )
