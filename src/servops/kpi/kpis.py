"""KPIs per period and segment: arrivals, throughput, backlog, durations, rates, SLA.

Each row is one period (day, week or month, cut in the config's time zone) and one segment
value. What counts where:

* ``cases`` (arrivals) by the period the case arrived in;
* ``closed`` (throughput), lead time, reopen rate, first-contact resolution, handovers and
  SLA attainment by the period the case closed in;
* first-response and resolution times by the period the response or resolution happened;
* ``backlog``: cases arrived but not closed at the end of the period (work in progress).

Durations are ``<kpi>_<stat>_s`` (``mean``, ``median``, ``p90``), rates are in [0, 1]
(``null`` when nothing was measured), counts are integers. The aggregation is one SQL
statement over the per-case table of :func:`~servops.kpi.case_metrics`.
"""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal

import pyarrow as pa

from servops._validation import check_choice
from servops.errors import InvalidParameterError
from servops.kpi.cases import (
    METRIC_COLUMNS,
    attribute_columns,
    case_metrics,
    resolve_config,
)
from servops.log.engine import local_time, quantile, quote

if TYPE_CHECKING:
    from collections.abc import Iterator

    import duckdb

    from servops._typing import PathLike
    from servops.kpi.config import KpiConfig
    from servops.log import EventLog

__all__ = ["DURATION_KPIS", "Period", "compute_kpis", "registered"]

Period = Literal["day", "week", "month"]
#: Durations reported with mean, median and p90.
DURATION_KPIS = ("lead_time", "first_response", "resolution_time")
_STATS = (("mean", None), ("median", 0.5), ("p90", 0.9))
_names = itertools.count()


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, table: pa.Table) -> Iterator[str]:
    """Expose an Arrow table to SQL on ``con`` under a fresh name, for the block."""
    name = f"__servops_kpi_{next(_names)}"
    con.register(name, table)
    try:
        yield name
    finally:
        con.unregister(name)


def _stats(col: str, prefix: str) -> str:
    parts = []
    for stat, q in _STATS:
        agg = f"avg({col})" if q is None else quantile(col, q)
        parts.append(f"{agg} AS {prefix}_{stat}_s")
    return ", ".join(parts)


def _period_grid(first: date, last: date, by: Period) -> list[date]:
    out: list[date] = []
    d = first
    while d <= last:  # a loop over periods (hundreds), not over cases
        out.append(d)
        if by == "day":
            d += timedelta(days=1)
        elif by == "week":
            d += timedelta(days=7)
        else:
            d = date(d.year + d.month // 12, d.month % 12 + 1, 1)
    return out


def check_segment(
    columns: list[str], segment: str | None, owner: str, attrs: list[str]
) -> str | None:
    """Check that ``segment`` is one of ``columns`` (attributes or metric columns)."""
    if segment is None:
        return None
    if segment not in columns:
        msg = (
            f"The 'segment' parameter of {owner} must be a case attribute or a column of "
            f"case_metrics. Got {segment!r} instead. Attributes of this log: {attrs} "
            "(also: sla_policy, sla_status, reopened, fcr)."
        )
        raise InvalidParameterError(msg)
    return segment


def compute_kpis(
    log: EventLog,
    config: KpiConfig | PathLike | None = None,
    by: Period | None = "week",
    segment: str | None = None,
    *,
    cases: pa.Table | None = None,
) -> pa.Table:
    """Service KPIs per period (``by``) and segment value.

    Parameters
    ----------
    log
        The event log.
    config
        A :class:`KpiConfig`, a YAML path, or ``None`` to guess (see :func:`load_config`).
    by
        ``"day"``, ``"week"`` (Monday first), ``"month"``, or ``None`` for one row over all.
    segment
        A case attribute (or a column of :func:`case_metrics`) to split by.
    cases
        The result of :func:`case_metrics` if already computed (it is reused).

    Returns
    -------
    pyarrow.Table
        ``period`` (ISO date of the period's first day; ``null`` when ``by`` is None),
        ``segment`` (``null`` when not split; ``"(missing)"`` for empty values),
        ``cases``, ``closed``, ``backlog``, ``responded``, ``resolved``,
        ``lead_time_{mean,median,p90}_s``, ``first_response_…_s``,
        ``resolution_time_…_s``, ``fcr_rate``, ``reopen_rate``, ``reassigned_rate``,
        ``handovers_mean``, ``sla_cases``, ``sla_breaches``, ``sla_attainment``,
        ``sla_response_attainment``, ``sla_resolution_attainment``.

    Examples
    --------
    >>> row = so.kpi.compute_kpis(tiny_log, by=None).to_pylist()[0]
    >>> row["cases"], row["closed"], row["backlog"], row["lead_time_median_s"]
    (5, 4, 1, 6300.0)
    """
    if by is not None:
        check_choice(by, "by", "compute_kpis", ("day", "week", "month"))
    cfg = resolve_config(config, log)
    if cases is None:
        attrs = sorted(attribute_columns(log).values())
        check_segment([*METRIC_COLUMNS, *attrs], segment, "compute_kpis", attrs)
        table = case_metrics(log, cfg, attributes=[segment] if segment else [])
    else:
        table = cases
        attrs = [c for c in cases.column_names if c not in METRIC_COLUMNS]
        check_segment(cases.column_names, segment, "compute_kpis", attrs)
    tz = cfg.timezone

    def period(col: str) -> str:
        if by is None:
            return f"CASE WHEN {col} IS NULL THEN NULL ELSE DATE '1970-01-01' END"
        return f"CAST(date_trunc('{by}', {local_time(col, tz)}) AS DATE)"

    seg = (
        "''"
        if segment is None
        else f"coalesce(CAST({quote(segment)} AS VARCHAR), '(missing)')"
    )
    con = log.con
    keep = (
        "lead_time_s, first_response_s, resolution_time_s, fcr, reopened, handovers, "
        "sla_status, response_breached, resolution_breached"
    )
    with registered(con, table) as src:
        # periods once per case: the time-zone conversion is the costly part
        per_case = con.sql(
            f"SELECT {keep}, {period('arrived_at')} AS p_in, "
            f"{period('first_response_at')} AS p_fr, "
            f"{period('resolved_at')} AS p_res, {period('closed_at')} AS p_cl, "
            f"{seg} AS seg FROM {src}"
        ).to_arrow_table()
    with registered(con, per_case) as cases_name:
        span = con.execute(
            f"SELECT least(min(p_in), min(p_cl)), greatest(max(p_in), max(p_cl)) "
            f"FROM {cases_name}"
        ).fetchall()[0]
        if span[0] is None:
            grid = pa.table({"period": pa.array([], pa.date32())})
        elif by is None:
            grid = pa.table({"period": pa.array([date(1970, 1, 1)], pa.date32())})
        else:
            grid = pa.table(
                {"period": pa.array(_period_grid(span[0], span[1], by), pa.date32())}
            )
        with registered(con, grid) as periods:
            return _aggregate(con, cases_name, periods, by=by, segment=segment)


def _aggregate(
    con: duckdb.DuckDBPyConnection,
    cases: str,
    periods: str,
    *,
    by: Period | None,
    segment: str | None,
) -> pa.Table:
    """The KPI rows from per-case periods (``p_in``, ``p_fr``, ``p_res``, ``p_cl``)."""
    sql = f"""
WITH c AS (SELECT * FROM {cases}), grid AS (
  SELECT g.period, s.seg FROM {periods} g CROSS JOIN (SELECT DISTINCT seg FROM c) s
), arr AS (
  SELECT p_in AS period, seg, count(*) AS cases FROM c GROUP BY p_in, seg
), fr AS (
  SELECT p_fr AS period, seg, count(*) AS responded, {
        _stats("first_response_s", "first_response")
    }
  FROM c WHERE p_fr IS NOT NULL GROUP BY p_fr, seg
), rs AS (
  SELECT p_res AS period, seg, count(*) AS resolved, {
        _stats("resolution_time_s", "resolution_time")
    }
  FROM c WHERE p_res IS NOT NULL GROUP BY p_res, seg
), cl AS (
  SELECT p_cl AS period, seg, count(*) AS closed, {_stats("lead_time_s", "lead_time")},
    avg(CASE WHEN fcr THEN 1.0 WHEN NOT fcr THEN 0.0 END) AS fcr_rate,
    avg(CASE WHEN reopened THEN 1.0 ELSE 0.0 END) AS reopen_rate,
    avg(CASE WHEN handovers > 0 THEN 1.0 ELSE 0.0 END) AS reassigned_rate,
    avg(CAST(handovers AS DOUBLE)) AS handovers_mean,
    count(*) FILTER (WHERE sla_status IN ('met', 'breached')) AS sla_cases,
    count(*) FILTER (WHERE sla_status = 'breached') AS sla_breaches,
    avg(CASE WHEN sla_status = 'met' THEN 1.0 WHEN sla_status = 'breached' THEN 0.0 END)
      AS sla_attainment,
    avg(CASE WHEN response_breached THEN 0.0 WHEN NOT response_breached THEN 1.0 END)
      AS sla_response_attainment,
    avg(CASE WHEN resolution_breached THEN 0.0 WHEN NOT resolution_breached THEN 1.0 END)
      AS sla_resolution_attainment
  FROM c WHERE p_cl IS NOT NULL GROUP BY p_cl, seg
)
SELECT
  {"NULL" if by is None else "CAST(grid.period AS VARCHAR)"} AS period,
  {"NULL" if segment is None else "grid.seg"} AS segment,
  CAST(coalesce(arr.cases, 0) AS BIGINT) AS cases,
  CAST(coalesce(cl.closed, 0) AS BIGINT) AS closed,
  CAST(sum(coalesce(arr.cases, 0) - coalesce(cl.closed, 0)) OVER (
    PARTITION BY grid.seg ORDER BY grid.period ROWS UNBOUNDED PRECEDING) AS BIGINT)
    AS backlog,
  CAST(coalesce(fr.responded, 0) AS BIGINT) AS responded,
  CAST(coalesce(rs.resolved, 0) AS BIGINT) AS resolved,
  lead_time_mean_s, lead_time_median_s, lead_time_p90_s,
  first_response_mean_s, first_response_median_s, first_response_p90_s,
  resolution_time_mean_s, resolution_time_median_s, resolution_time_p90_s,
  fcr_rate, reopen_rate, reassigned_rate, handovers_mean,
  CAST(coalesce(cl.sla_cases, 0) AS BIGINT) AS sla_cases,
  CAST(coalesce(cl.sla_breaches, 0) AS BIGINT) AS sla_breaches,
  sla_attainment, sla_response_attainment, sla_resolution_attainment
FROM grid
LEFT JOIN arr ON arr.period = grid.period AND arr.seg = grid.seg
LEFT JOIN fr ON fr.period = grid.period AND fr.seg = grid.seg
LEFT JOIN rs ON rs.period = grid.period AND rs.seg = grid.seg
LEFT JOIN cl ON cl.period = grid.period AND cl.seg = grid.seg
ORDER BY grid.period, grid.seg
"""
    return con.sql(sql).to_arrow_table()
