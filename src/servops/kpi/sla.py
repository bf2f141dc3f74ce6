"""SLA attainment per policy and the list of breaches, with how late each one is.

Policies are matched in order (the first whose ``when`` fits the case applies, as in
Zendesk, ServiceNow and Zammad); targets are measured on the policy's calendar (business
hours with holidays in a time zone, or clock time) and the resolution clock stops while
the case waits (pauses). Attainment counts decided cases only: met or breached. A case
still open at the end of the data is *pending* unless it is already late, then it is a
breach (``open`` = true in the breach list).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from servops.kpi.cases import SLA_AGGREGATES, case_metrics, resolve_config
from servops.kpi.kpis import registered
from servops.log.engine import quantile

if TYPE_CHECKING:
    from servops._typing import PathLike
    from servops.kpi.config import KpiConfig
    from servops.log import EventLog

__all__ = ["SlaReport", "sla_report"]


@dataclass(frozen=True, slots=True)
class SlaReport:
    """Attainment per policy and the breaches.

    Attributes
    ----------
    policies
        One dict per policy (in matching order): ``policy``, ``calendar``, targets,
        ``cases``, ``met``, ``breached``, ``pending``, ``attainment`` (met / decided),
        ``response_attainment``, ``resolution_attainment``, ``late_median_s``.
    breaches
        One row per breached target: ``case_id``, ``policy``, ``metric``
        (``first_response`` or ``resolution``), ``target_s``, ``elapsed_s``, ``late_s``,
        ``open`` (still open at the end of the data), ``arrived_at``, ``business``
        (seconds are business time on the policy's calendar); most late first.
    cases
        Cases in the log.
    covered
        Cases some policy applies to.
    total
        The figures of ``policies`` over all covered cases (the total row):
        ``cases``, ``met``, ``breached``, ``pending``, ``attainment``,
        ``response_attainment``, ``resolution_attainment``.
    notes
        Remarks (e.g. no policy configured).
    """

    policies: tuple[dict[str, Any], ...]
    breaches: pa.Table
    cases: int
    covered: int
    total: dict[str, Any]
    notes: tuple[str, ...] = ()

    @property
    def attainment(self) -> float | None:
        """Met / decided over all policies (``None`` when nothing was decided).

        The same figure as ``compute_kpis(..., by=None)["sla_attainment"]``: both
        aggregate with :data:`servops.kpi.cases.SLA_AGGREGATES`.
        """
        value = self.total.get("attainment")
        return None if value is None else float(value)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "cases": self.cases,
            "covered": self.covered,
            "attainment": self.attainment,
            "total": dict(self.total),
            "policies": [dict(p) for p in self.policies],
            "breaches": self.breaches.to_pylist(),
            "notes": list(self.notes),
        }


def sla_report(
    log: EventLog,
    config: KpiConfig | PathLike | None = None,
    *,
    cases: pa.Table | None = None,
) -> SlaReport:
    """Attainment per SLA policy and every breach with how late it is.

    Parameters
    ----------
    log
        The event log.
    config
        A :class:`KpiConfig` or YAML path with ``sla`` policies.
    cases
        The result of :func:`case_metrics` if already computed.

    Returns
    -------
    SlaReport

    Examples
    --------
    >>> from servops.kpi.config import config_from_dict
    >>> cfg = config_from_dict(
    ...     {
    ...         "activities": {"resolved": "Resolve", "closed": "Close"},
    ...         "sla": [
    ...             {"name": "high", "when": {"priority": "high"}, "resolution": "2h"},
    ...             {"name": "other", "resolution": "8h"},
    ...         ],
    ...     }
    ... )
    >>> rep = so.kpi.sla_report(tiny_log, cfg)
    >>> [(p["policy"], p["met"], p["breached"], p["pending"]) for p in rep.policies]
    [('high', 1, 1, 1), ('other', 2, 0, 0)]
    >>> rep.breaches.column("late_s").to_pylist()  # c2: resolved after 4 h
    [7200.0]
    """
    cfg = resolve_config(config, log)
    table = case_metrics(log, cfg) if cases is None else cases
    notes = (
        ()
        if cfg.policies
        else (
            "no SLA policy configured: give a config with an 'sla' list (see docs/kpi.md)",
        )
    )
    con = log.con
    business = [p.name for p in cfg.policies if not p.calendar.is_always_open]
    with registered(con, table) as src:
        rows = con.execute(f"""
            SELECT sla_policy, count(*),
              count(*) FILTER (WHERE sla_status = 'pending'),
              count(*) FILTER (WHERE response_breached),
              count(*) FILTER (WHERE resolution_breached),
              {quantile("sla_late_s", 0.5)},
              {SLA_AGGREGATES}
            FROM {src} WHERE sla_policy IS NOT NULL
            GROUP BY GROUPING SETS ((sla_policy), ())
        """).fetchall()
        breaches = con.sql(f"""
            SELECT * FROM (
              SELECT case_id, sla_policy AS policy, 'first_response' AS metric,
                response_target_s AS target_s, response_elapsed_s AS elapsed_s,
                response_elapsed_s - response_target_s AS late_s,
                first_response_at IS NULL AND resolved_at IS NULL AND closed_at IS NULL
                  AS open,
                arrived_at
              FROM {src} WHERE response_breached
              UNION ALL
              SELECT case_id, sla_policy, 'resolution', resolution_target_s,
                resolution_elapsed_s, resolution_elapsed_s - resolution_target_s,
                resolved_at IS NULL AND closed_at IS NULL, arrived_at
              FROM {src} WHERE resolution_breached
            ) ORDER BY late_s DESC, case_id, metric
        """).to_arrow_table()
    breaches = breaches.append_column(
        "business",
        pa.array(
            [p in business for p in breaches.column("policy").to_pylist()],
            pa.bool_(),
        ),
    )
    by_name = {r[0]: r for r in rows if r[0] is not None}
    empty = (None, 0, 0, 0, 0, None, 0, 0, None, None, None)
    total = _figures(next((r for r in rows if r[0] is None), empty))
    policies = []
    for p in cfg.policies:
        policies.append(
            {
                "policy": p.name,
                "when": {k: list(v) for k, v in p.when},
                "calendar": p.calendar.name,
                "business": not p.calendar.is_always_open,
                "first_response_target_s": p.first_response_s,
                "resolution_target_s": p.resolution_s,
                **_figures(by_name.get(p.name, empty)),
            }
        )
    return SlaReport(
        policies=tuple(policies),
        breaches=breaches,
        cases=table.num_rows,
        covered=int(total["cases"]),
        total=total,
        notes=notes,
    )


def _figures(r: tuple[Any, ...]) -> dict[str, Any]:
    """Counts and attainment of one row of the per-policy query."""
    decided, breached = int(r[6]), int(r[7])
    return {
        "cases": int(r[1]),
        "met": decided - breached,
        "breached": breached,
        "pending": int(r[2]),
        "attainment": r[8],
        "response_breaches": int(r[3]),
        "resolution_breaches": int(r[4]),
        "response_attainment": r[9],
        "resolution_attainment": r[10],
        "late_median_s": r[5],
    }
