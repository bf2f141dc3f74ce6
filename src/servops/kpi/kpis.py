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
statement over the per-case metrics of :func:`~servops.kpi.case_metrics`.
"""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal

import pyarrow as pa
import pyarrow.compute as pc

from servops._validation import check_choice
from servops.errors import InvalidParameterError
from servops.kpi.cases import (
    METRIC_COLUMNS,
    SLA_AGGREGATES,
    attribute_columns,
    case_ctes,
    case_metrics,
    resolve_config,
    sql_lit,
    state_log,
)
from servops.log.engine import epoch_s, quantile, quote
from servops.log.periods import (
    key_dates,
    local_day_sql,
    log_censored,
    log_span,
    period_grid,
    period_key_sql,
)
from servops.log.schema import enabled_column

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

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
        ``censored`` (the log covers the period only partly: it starts or ends
        within it; such periods are not comparable with whole ones),
        ``cases``, ``closed``, ``backlog``, ``responded``, ``resolved``,
        ``lead_time_{mean,median,p90}_s``, ``first_response_…_s``,
        ``resolution_time_…_s``, ``fcr_rate``, ``reopen_rate``, ``reassigned_rate``,
        ``handovers_mean``, ``sla_cases``, ``sla_breaches``, ``sla_attainment``,
        ``sla_response_attainment``, ``sla_resolution_attainment``.

    Notes
    -----
    Without SLA policies (and without ``cases``) the whole computation is one SQL
    statement from the instances to the (period, segment) groups: the per-case rows
    never leave DuckDB. With SLA policies the business-time arithmetic of
    :func:`case_metrics` runs first and its table is aggregated.

    Examples
    --------
    >>> row = so.kpi.compute_kpis(tiny_log, by=None).to_pylist()[0]
    >>> row["cases"], row["closed"], row["backlog"], row["lead_time_median_s"]
    (5, 4, 1, 6300.0)
    """
    if by is not None:
        check_choice(by, "by", "compute_kpis", ("day", "week", "month"))
    cfg = resolve_config(config, log)
    log = state_log(log, cfg)
    con = log.con

    span: tuple[datetime | None, datetime | None] | None = None  # the UTC log_span

    def censor(starts: list[datetime]) -> list[bool]:
        if by is None:
            return []
        return log_censored(log, starts, by, cfg.timezone, span=span)

    def per_case_sql(
        source: str, keep: str, first_year: int, last_year: int, as_of: str | None
    ) -> str:
        # integer period keys by arithmetic (no per-row time-zone lookup), in three
        # steps so that each expression reads a plain column
        stamps = {
            "in": "arrived_at",
            "fr": "first_response_at",
            "res": "resolved_at",
            "cl": "closed_at",
            # a case's SLA outcome counts in the period it closed in; a case still
            # open whose outcome is decided (already late, or every target met)
            # counts at the end of the data, as in sla_report
            "sl": "CAST(NULL AS TIMESTAMPTZ)"
            if as_of is None
            else "CASE WHEN closed_at IS NOT NULL THEN closed_at "
            "WHEN sla_status IN ('met', 'breached') "
            f"THEN CAST({as_of} AS TIMESTAMPTZ) END",
        }
        epochs = ", ".join(f"{epoch_s(c)} AS __e_{k}" for k, c in stamps.items())
        days = ", ".join(
            f"{local_day_sql(f'__e_{k}', cfg.timezone, first_year, last_year)} "
            f"AS __d_{k}"
            for k in stamps
        )
        keys = ", ".join(
            f"{period_key_sql(f'__d_{k}', by, first_year, last_year)} AS p_{k}"
            for k in stamps
        )
        return (
            f"pc AS (\n  SELECT {keep}, {keys}, {seg_sql()} AS seg FROM (\n"
            f"    SELECT *, {days} FROM (SELECT *, {epochs} FROM {source})))"
        )

    def seg_sql() -> str:
        if segment is None:
            return "''"
        return f"coalesce(CAST({quote(segment)} AS VARCHAR), '(missing)')"

    if cases is None:
        attr_cols = attribute_columns(log)
        attrs = sorted(attr_cols.values())
        check_segment([*METRIC_COLUMNS, *attrs], segment, "compute_kpis", attrs)
        if not cfg.policies and segment not in _SLA_COLUMNS:
            # one statement, per-case rows stay inside DuckDB; only the segment
            # attribute is carried through the per-case pass
            wanted = {a: c for a, c in attr_cols.items() if c == segment}
            span = log_span(log, "UTC")
            years = _years(*span)
            enabled = enabled_column(log.attributes)
            ctes = case_ctes(cfg, wanted, enabled=enabled)
            per_case = f"WITH {ctes}, " + per_case_sql(
                "m", f"{_KEEP_CLOCK}, {_NO_SLA}", *years, None
            )
            groups = log.query(f"SELECT * FROM (\n{_groups_sql(per_case)}\n)")
            return _fill_grid(
                con, groups.to_arrow_table(), by=by, segment=segment, censor=censor
            )
        table = case_metrics(log, cfg, attributes=[segment] if segment else [])
    else:
        table = cases
        attrs = [c for c in cases.column_names if c not in METRIC_COLUMNS]
        check_segment(cases.column_names, segment, "compute_kpis", attrs)
    stamps = [
        table.column(c)
        for c in ("arrived_at", "first_response_at", "resolved_at", "closed_at")
    ]
    lows = [pc.min(s).as_py() for s in stamps]
    highs = [pc.max(s).as_py() for s in stamps]
    years = _years(
        min((x for x in lows if x is not None), default=None),
        max((x for x in highs if x is not None), default=None),
    )
    last = log.fetchone('SELECT max("timestamp") FROM events')[0]
    as_of = "NULL" if last is None else sql_lit(last.isoformat())  # no events: NULL
    with registered(con, table) as src:
        per_case = "WITH " + per_case_sql(
            src, f"{_KEEP_CLOCK}, {_KEEP_SLA}", *years, as_of
        )
        groups_table = con.sql(_groups_sql(per_case)).to_arrow_table()
    return _fill_grid(con, groups_table, by=by, segment=segment, censor=censor)


_KEEP_CLOCK = (
    "lead_time_s, first_response_s, resolution_time_s, fcr, reopened, handovers"
)
_KEEP_SLA = "sla_status, response_breached, resolution_breached"
_NO_SLA = (
    "CAST(NULL AS VARCHAR) AS sla_status, CAST(NULL AS BOOLEAN) AS response_breached, "
    "CAST(NULL AS BOOLEAN) AS resolution_breached"
)
#: Columns of :func:`case_metrics` that only its SLA arithmetic computes.
_SLA_COLUMNS = frozenset(METRIC_COLUMNS[METRIC_COLUMNS.index("sla_policy") :])


def _years(first: datetime | None, last: datetime | None) -> tuple[int, int]:
    """The UTC years the data spans (any year when there are no data)."""
    if first is None or last is None:
        return 1970, 1970
    return first.year, last.year


def _groups_sql(per_case: str) -> str:
    """KPI aggregates per (period, segment) that occur in the data.

    ``per_case`` is a ``WITH`` clause ending in a CTE ``pc`` with one row per case:
    integer period keys (:func:`~servops.kpi.periods.period_key_sql`) ``p_in``, ``p_fr``, ``p_res``, ``p_cl``, the segment ``seg`` and the metric
    columns. ``in_span`` marks the groups that arrivals or closures define (the period
    grid spans those). The per-case periods are not filtered on before grouping
    (a filter on ``p_cl IS NOT NULL`` is pushed below the projection and converts every
    timestamp to local time twice); the ``null`` period groups are dropped at the end.
    """
    return f"""{per_case}, arr AS (
  SELECT p_in AS period, seg, count(*) AS cases FROM pc GROUP BY p_in, seg
), fr AS (
  SELECT p_fr AS period, seg, count(*) AS responded, {
        _stats("first_response_s", "first_response")
    }
  FROM pc GROUP BY p_fr, seg
), rs AS (
  SELECT p_res AS period, seg, count(*) AS resolved, {
        _stats("resolution_time_s", "resolution_time")
    }
  FROM pc GROUP BY p_res, seg
), cl AS (
  SELECT p_cl AS period, seg, count(*) AS closed, {_stats("lead_time_s", "lead_time")},
    avg(CASE WHEN fcr THEN 1.0 WHEN NOT fcr THEN 0.0 END) AS fcr_rate,
    avg(CASE WHEN reopened THEN 1.0 WHEN NOT reopened THEN 0.0 END) AS reopen_rate,
    avg(CASE WHEN handovers > 0 THEN 1.0 WHEN handovers = 0 THEN 0.0 END)
      AS reassigned_rate,
    avg(CAST(handovers AS DOUBLE)) AS handovers_mean
  FROM pc GROUP BY p_cl, seg
), sl AS (
  SELECT p_sl AS period, seg, {SLA_AGGREGATES}
  FROM pc GROUP BY p_sl, seg
), k AS (
  SELECT period, seg FROM (
    SELECT period, seg FROM arr UNION SELECT period, seg FROM fr
    UNION SELECT period, seg FROM rs UNION SELECT period, seg FROM cl
    UNION SELECT period, seg FROM sl
  ) WHERE period IS NOT NULL
)
SELECT k.period, k.seg,
  arr.cases IS NOT NULL OR cl.closed IS NOT NULL AS in_span,
  arr.cases, cl.closed, fr.responded, rs.resolved,
  lead_time_mean_s, lead_time_median_s, lead_time_p90_s,
  first_response_mean_s, first_response_median_s, first_response_p90_s,
  resolution_time_mean_s, resolution_time_median_s, resolution_time_p90_s,
  fcr_rate, reopen_rate, reassigned_rate, handovers_mean,
  sla_cases, sla_breaches,
  sla_attainment, sla_response_attainment, sla_resolution_attainment
FROM k
LEFT JOIN arr ON arr.period = k.period AND arr.seg = k.seg
LEFT JOIN fr ON fr.period = k.period AND fr.seg = k.seg
LEFT JOIN rs ON rs.period = k.period AND rs.seg = k.seg
LEFT JOIN cl ON cl.period = k.period AND cl.seg = k.seg
LEFT JOIN sl ON sl.period = k.period AND sl.seg = k.seg
"""


def _fill_grid(
    con: duckdb.DuckDBPyConnection,
    groups: pa.Table,
    *,
    by: Period | None,
    segment: str | None,
    censor: Callable[[list[datetime]], list[bool]],
) -> pa.Table:
    """Every period of the span × every segment, with the backlog carried forward.

    ``censored`` marks the periods the log covers only partly: ``censor`` flags them
    (:func:`~servops.log.periods.log_censored`).
    """
    groups = groups.set_column(
        groups.column_names.index("period"),
        "period",
        key_dates(groups.column("period"), by),
    )
    with registered(con, groups) as g:
        bounds = con.execute(
            f"SELECT min(period), max(period) FROM {g} WHERE in_span"
        ).fetchall()[0]
        if bounds[0] is None:
            grid = pa.table(
                {
                    "period": pa.array([], pa.date32()),
                    "censored": pa.array([], pa.bool_()),
                }
            )
        elif by is None:
            grid = pa.table(
                {
                    "period": pa.array([date(1970, 1, 1)], pa.date32()),
                    "censored": pa.array([False]),
                }
            )
        else:
            starts = period_grid(bounds[0], bounds[1], by)
            grid = pa.table(
                {
                    "period": pa.array([d.date() for d in starts], pa.date32()),
                    "censored": pa.array(censor(starts), pa.bool_()),
                }
            )
        with registered(con, grid) as periods:
            sql = f"""
WITH grid AS (
  SELECT p.period, p.censored, s.seg FROM {periods} p
  CROSS JOIN (SELECT DISTINCT seg FROM {g} WHERE cases IS NOT NULL) s
)
SELECT
  {"NULL" if by is None else "CAST(grid.period AS VARCHAR)"} AS period,
  {"NULL" if segment is None else "grid.seg"} AS segment,
  grid.censored,
  CAST(coalesce(x.cases, 0) AS BIGINT) AS cases,
  CAST(coalesce(x.closed, 0) AS BIGINT) AS closed,
  CAST(sum(coalesce(x.cases, 0) - coalesce(x.closed, 0)) OVER (
    PARTITION BY grid.seg ORDER BY grid.period ROWS UNBOUNDED PRECEDING) AS BIGINT)
    AS backlog,
  CAST(coalesce(x.responded, 0) AS BIGINT) AS responded,
  CAST(coalesce(x.resolved, 0) AS BIGINT) AS resolved,
  lead_time_mean_s, lead_time_median_s, lead_time_p90_s,
  first_response_mean_s, first_response_median_s, first_response_p90_s,
  resolution_time_mean_s, resolution_time_median_s, resolution_time_p90_s,
  fcr_rate, reopen_rate, reassigned_rate, handovers_mean,
  CAST(coalesce(x.sla_cases, 0) AS BIGINT) AS sla_cases,
  CAST(coalesce(x.sla_breaches, 0) AS BIGINT) AS sla_breaches,
  sla_attainment, sla_response_attainment, sla_resolution_attainment
FROM grid
LEFT JOIN {g} x ON x.period = grid.period AND x.seg = grid.seg
ORDER BY grid.period, grid.seg
"""
            return con.sql(sql).to_arrow_table()
