"""Handover of work: who passes cases to whom (van der Aalst, Reijers & Song, 2005).

Within a case, when an activity instance by resource ``r1`` is directly followed by one
by ``r2 ≠ r1``, work is handed over from ``r1`` to ``r2``. Counting these over all cases
gives the handover network; grouping resources by an attribute (a team, a role,
``org:group``) gives the network between groups. The handover time is the transition
time of :mod:`servops.mining.dfg` (end of the first to start of the second, ≥ 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from servops.errors import InvalidParameterError
from servops.log.engine import quantile, quote, seconds_between
from servops.mining._sequence import ORDER, continue_with

if TYPE_CHECKING:
    from collections.abc import Sequence

    from servops.log import EventLog

__all__ = ["Handover", "HandoverResult", "handovers"]


def _literal_list(values: Sequence[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


@dataclass(frozen=True, slots=True)
class Handover:
    """Work handed from ``source`` to ``target``: how often, in which cases, how long.

    Times are in seconds.
    """

    source: str
    target: str
    frequency: int
    cases: int
    mean_s: float
    median_s: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "source": self.source,
            "target": self.target,
            "frequency": self.frequency,
            "cases": self.cases,
            "mean_s": self.mean_s,
            "median_s": self.median_s,
        }


@dataclass(frozen=True, slots=True)
class HandoverResult:
    """The handover network: who (or which group) hands work to whom."""

    by: str
    handovers: tuple[Handover, ...]
    work: dict[str, int]
    cases: int
    mean_handovers_per_case: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; ``work`` counts activity instances per resource or group."""
        return {
            "by": self.by,
            "cases": self.cases,
            "mean_handovers_per_case": self.mean_handovers_per_case,
            "work": dict(self.work),
            "handovers": [h.to_dict() for h in self.handovers],
        }


def handovers(
    log: EventLog,
    *,
    by: str = "resource",
    ignore_resources: Sequence[str] = (),
    ignore_activities: Sequence[str] = (),
) -> HandoverResult:
    """Count handovers of work between resources, or between groups of them.

    Parameters
    ----------
    log
        The event log.
    by
        ``"resource"``, or an attribute naming a group (e.g. ``"org:group"``).
    ignore_resources, ignore_activities
        Events left out of the network: automatic steps (``system``) and the
        customer's own turns are not work handed over
        (:meth:`servops.kpi.KpiConfig.ignore_resources`, ``customer_activities``).

    Returns
    -------
    HandoverResult
        Handovers sorted by frequency, and the work per resource or group.

    Raises
    ------
    InvalidParameterError
        ``by`` is neither ``"resource"`` nor an attribute of the log.

    Examples
    --------
    >>> h = so.mining.handovers(tiny_log)
    >>> [(x.source, x.target, x.frequency) for x in h.handovers[:2]]
    [('alice', 'bob', 4), ('bob', 'alice', 2)]
    """
    if by != "resource" and by not in log.attributes:
        msg = (
            "The 'by' parameter of handovers must be 'resource' or an attribute of "
            f"the log. Got {by!r} instead. Attributes: {sorted(log.attributes)}"
        )
        raise InvalidParameterError(msg)
    who = "resource" if by == "resource" else f"CAST({quote(by)} AS VARCHAR)"
    keep = " AND ".join(
        [
            "TRUE",
            *(
                [
                    "(resource IS NULL OR resource NOT IN "
                    f"({_literal_list(ignore_resources)}))"
                ]
                if ignore_resources
                else []
            ),
            *(
                [f"activity NOT IN ({_literal_list(ignore_activities)})"]
                if ignore_activities
                else []
            ),
        ]
    )
    d = seconds_between("end_ts", "greatest(next_start, end_ts)")
    rows = log.fetchall(
        continue_with(
            f"""
        WITH s AS (
          SELECT case_id, {who} AS who, "timestamp" AS end_ts,
            lead({who}) OVER w AS next_who,
            lead(coalesce(start_timestamp, "timestamp")) OVER w AS next_start
          FROM instances WHERE {keep}
          WINDOW w AS (PARTITION BY case_id ORDER BY {ORDER})
        ), h AS (
          SELECT case_id, who, next_who, {d} AS d FROM s
          WHERE who IS NOT NULL AND next_who IS NOT NULL AND who <> next_who
        )
        SELECT who, next_who, count(*), count(DISTINCT case_id), avg(d),
          {quantile("d", 0.5)}
        FROM h GROUP BY who, next_who ORDER BY 3 DESC, 1, 2
        """
        )
    )
    work = {
        str(w): int(n)
        for w, n in log.fetchall(
            f"SELECT {who} AS w, count(*) FROM instances WHERE {who} IS NOT NULL "
            f"AND {keep} GROUP BY w ORDER BY 2 DESC, 1"
        )
    }
    cases = int(log.fetchone("SELECT count(DISTINCT case_id) FROM instances")[0])
    total = sum(int(r[2]) for r in rows)
    return HandoverResult(
        by=by,
        handovers=tuple(
            Handover(str(a), str(b), int(n), int(c), float(m), float(md))
            for a, b, n, c, m, md in rows
        ),
        work=work,
        cases=cases,
        mean_handovers_per_case=total / cases if cases else None,
    )
