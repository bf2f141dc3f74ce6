"""``servops spc`` and ``servops alerts``: control charts of a numbers file or a log's KPIs.

``servops spc FILE --column X --chart imr`` charts a plain CSV/Parquet column;
``servops spc LOG --kpi lead_time --by day`` charts a KPI series of an event log.
``--json`` prints one object per chart (a list for two-chart kinds such as I-MR):
``{"chart", "center", "ucl", "lcl", "points", "signals": [{"index", "test", "value"…}]…}``;
a KPI chart adds its ``unit``, the ``censored`` periods it left out, ``lcl_clipped`` and
the log's data-shape ``warnings``. ``servops alerts LOG --json`` prints
``{"summary", "alerts" (newest first), "censored_periods", "warnings"}``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from servops._spc_names import CHART_KINDS, DEFAULT_ALERT_KPIS, KPI_NAMES
from servops.cli._common import (
    READING,
    JsonOpt,
    KpiConfigOpt,
    command_signature,
    log_command,
    progress,
    read_options,
    reading_parameters,
)
from servops.cli._render import emit, simple_table
from servops.errors import InvalidParameterError, LogSchemaError

if TYPE_CHECKING:
    from rich.console import Console

    from servops._spc_names import ChartKind
    from servops.log import EventLog
    from servops.log.periods import Period
    from servops.log.shape import ShapeWarning
    from servops.spc.alerts import Alert
    from servops.spc.charts import ChartResult
    from servops.spc.rules import Rules

__all__ = ["alerts", "register", "spc"]

_TWO_CHART = ("imr", "xbar_r", "xbar_s")
_PRESETS = ("minitab", "nelson", "western_electric", "attribute", "test1")

ChartOpt = Annotated[
    str,
    typer.Option(
        "--chart",
        help=f"Chart kind: {', '.join(CHART_KINDS)}. Default: imr for a column; "
        "for a KPI the one that suits it (imr for times, p for rates, c for arrivals).",
        show_default=False,
    ),
]
RulesOpt = Annotated[
    str,
    typer.Option(
        "--rules",
        help="Tests: minitab (all 8, Minitab's K), western_electric, attribute "
        "(1-4), test1.",
    ),
]
KOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--k",
        help="Change a test's K, e.g. --k 2=8 --k 1=2.5 (repeatable).",
        show_default=False,
    ),
]
ByOpt = Annotated[
    str,
    typer.Option(
        "--by",
        help="Period of a KPI series: hour, day, week, month, quarter (local time of "
        "the KPI config's zone). Periods the log covers only partly are left out.",
    ),
]
BaselineOpt = Annotated[
    int | None,
    typer.Option(
        "--baseline",
        help="Fit limits on the first N periods/points (phase I), monitor the "
        "rest (phase II).",
        show_default=False,
    ),
]
SinceOpt = Annotated[
    str | None,
    typer.Option(
        "--since",
        help="Only alerts of the period holding this date (2024-03-01) and later.",
        show_default=False,
    ),
]


def _check_by(by: str) -> Period:
    from servops.log.periods import PERIODS

    if by not in PERIODS:
        msg = f"--by must be one of {', '.join(PERIODS)}. Got {by!r}."
        raise InvalidParameterError(msg)
    return cast("Period", by)


def _warn(c: Console, warnings: list[ShapeWarning]) -> None:
    for w in warnings:
        c.print(f"[yellow]warning: {w.message}[/]")


def _rules(preset: str, ks: list[str] | None) -> Rules:
    if preset not in _PRESETS:
        msg = f"--rules must be one of {list(_PRESETS)}. Got {preset!r}."
        raise InvalidParameterError(msg)
    from servops.spc.rules import Rules

    base = Rules.preset(preset)  # type: ignore[arg-type]
    changes: dict[int, float] = {}
    for item in ks or []:
        test, _, k = item.partition("=")
        try:
            t = int(test)
            changes[t] = float(k) if t == 1 else int(k)
        except ValueError as exc:
            msg = f"--k takes TEST=K, e.g. --k 2=8 or --k 1=2.5. Got {item!r}."
            raise InvalidParameterError(msg) from exc
    return Rules(tests=base.tests, k={**base.k, **changes}) if changes else base


def _lazy_log(func: Callable[..., Any]) -> Callable[..., Any]:
    """Like ``log_command``, but hand the command the source and a log opener.

    ``spc`` reads a plain numbers file itself and opens an event log only for
    ``--kpi``, so the log must not be read before the command knows which it is.
    """
    # the options' types resolved; the opener's (EventLog) is for type checking only
    sig = command_signature(func, "open_source")
    own = [p for n, p in sig.parameters.items() if n != "source"]
    params = reading_parameters()
    source = params[0].replace(
        annotation=Annotated[
            str,
            typer.Argument(
                metavar="FILE|LOG",
                help="A CSV/Parquet file of numbers (with --column), or an event log file or "
                "stored log name (with --kpi).",
                show_default=False,
            ),
        ]
    )
    kw = inspect.Parameter.KEYWORD_ONLY
    new_params = [source, *(p.replace(kind=kw) for p in own), *params[1:]]

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:  # noqa: ANN401
        reading = {k: kwargs.pop(k) for k in READING}

        def opener() -> EventLog:
            from servops.sources import open_log

            with progress("reading log"):
                return open_log(
                    reading["service"] or reading["log_spec"],
                    db=reading["db"],
                    options=read_options(reading),
                )

        return func(reading["log_spec"], opener, **kwargs)

    wrapper.__signature__ = sig.replace(parameters=new_params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in new_params}
    return wrapper


# -- reading a plain numbers file ---------------------------------------------------------
def _read_numbers(path: Path) -> Any:  # noqa: ANN401 - a pyarrow Table
    from servops.io.files import infer_types, read_table

    if not path.is_file():
        msg = (
            f"{str(path)!r} is not a file. servops spc reads a CSV, Excel or Parquet "
            "file of numbers with --column (or a log with --kpi)."
        )
        raise InvalidParameterError(msg)
    table, _ = infer_types(read_table(path, what="series file"))
    return table


def _column(table: Any, col: str, path: Path, role: str) -> Any:  # noqa: ANN401
    """Column ``col`` of ``table``; an error naming the file and the columns if absent."""
    if col not in table.column_names:
        msg = (
            f"{path.name}: no column {col!r} (given as {role}). Available columns: "
            f"{table.column_names}"
        )
        raise LogSchemaError(msg)
    return table.column(col)


def _numeric(table: Any, col: str, path: Path, role: str) -> Any:  # noqa: ANN401
    import numpy as np
    import pyarrow as pa

    arr = _column(table, col, path, role)
    if not (
        pa.types.is_integer(arr.type)
        or pa.types.is_floating(arr.type)
        or pa.types.is_decimal(arr.type)
    ):
        values = arr.to_pylist()
        bad = next(((i, v) for i, v in enumerate(values) if v is not None), (0, None))
        msg = (
            f"{path.name}: column {col!r} (given as {role}) must hold numbers; it is "
            f"{arr.type} (row {bad[0] + 1}: {bad[1]!r}). Hint: clean the column or pick "
            "another."
        )
        raise LogSchemaError(msg)
    return np.asarray(
        arr.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=float
    )


def _file_chart(
    path: Path,
    *,
    column: str | None,
    chart: str,
    subgroup: str | None,
    size: int | None,
    defects: str | None,
    units: str | None,
    rules: Rules,
    sigma: float,
    drop: bool,
    baseline: int | None,
    label: str | None,
) -> tuple[ChartResult, list[str]]:
    import numpy as np

    table = _read_numbers(path)
    notes: list[str] = []
    attribute = chart in ("p", "np", "c", "u")
    value_col = defects if attribute and defects else column
    if value_col is None:
        need = "--defects (or --column)" if attribute else "--column"
        msg = (
            f"servops spc {path.name}: say which column to chart with {need}. "
            f"Available columns: {table.column_names}"
        )
        raise InvalidParameterError(msg)
    values = _numeric(table, value_col, path, "--defects" if defects else "--column")
    keep = ~np.isnan(values)
    sizes = None
    if units is not None:
        sizes = _numeric(table, units, path, "--units")
        keep &= ~np.isnan(sizes)
    groups = None
    if subgroup is not None:
        groups = [
            str(v) for v in _column(table, subgroup, path, "--subgroup").to_pylist()
        ]
    labels = None
    if label is not None:
        labels = [str(v) for v in _column(table, label, path, "--label").to_pylist()]
    dropped = int((~keep).sum())
    if dropped:
        notes.append(f"{dropped} row(s) with an empty value left out")
        values = values[keep]
        sizes = sizes[keep] if sizes is not None else None
        groups = [g for g, k in zip(groups, keep, strict=True) if k] if groups else None
        labels = [g for g, k in zip(labels, keep, strict=True) if k] if labels else None
    subgrouped = chart in ("xbar_r", "xbar_s")
    if subgrouped and groups is None and size is None:
        msg = (
            f"An {chart} chart needs subgroups: --subgroup COL (a column naming each "
            "row's subgroup) or --size N (consecutive rows)."
        )
        raise InvalidParameterError(msg)
    from servops.spc.charts import ControlChart

    cc = ControlChart(
        cast("ChartKind", chart),
        sigma=sigma,
        rules=rules,
        size=None if subgrouped else size,
        drop_out_of_control=drop,
    )
    data: Any = values
    kw: dict[str, Any] = {}
    if subgrouped:
        from servops.spc.charts import as_subgroups

        data = as_subgroups(values, size=None if groups else size, subgroups=groups)
        if groups is not None:
            labels = list(dict.fromkeys(groups))
        elif labels is not None and size is not None:
            labels = labels[::size]
    elif sizes is not None:
        kw["sizes"] = sizes
    if baseline is None:
        cc.fit(data, labels=labels, **kw)
        return cc.result_, notes
    n = len(data)
    if not 2 <= baseline < n:
        msg = f"--baseline must be in [2, {n - 1}] for {n} points. Got {baseline}."
        raise InvalidParameterError(msg)
    kw1 = {k: v[:baseline] for k, v in kw.items()}
    kw2 = {k: v[baseline:] for k, v in kw.items()}
    cc.fit(data[:baseline], labels=labels[:baseline] if labels else None, **kw1)
    notes.append(
        f"limits from the first {baseline} points (phase I); the rest are phase II"
    )
    result = cc.monitor(
        data[baseline:], labels=labels[baseline:] if labels else None, **kw2
    )
    return result, notes


# -- presentation -------------------------------------------------------------------------
def _fmt(v: Any) -> str:  # noqa: ANN401
    if v is None:
        return "–"
    if isinstance(v, list):
        finite = [x for x in v if x is not None]
        if not finite:
            return "–"
        return f"{min(finite):.4g} … {max(finite):.4g}"
    return f"{v:.4g}"


def _render(
    objs: list[dict[str, Any]], title: str, warnings: list[ShapeWarning] | None = None
) -> Callable[[Console], None]:
    unit = objs[0].get("unit") or ""
    u = f" ({unit})" if unit and unit != "share" else ""

    def render(c: Console) -> None:
        rows = [
            [
                o["chart"],
                _fmt(o["lcl"]),
                _fmt(o["center"]),
                _fmt(o["ucl"]),
                sum(p is not None for p in o["points"]),
                len(o["signals"]),
            ]
            for o in objs
        ]
        c.print(
            simple_table(
                title,
                ["chart", f"LCL{u}", f"center{u}", f"UCL{u}", "points", "signals"],
                rows,
            )
        )
        sig_rows = [
            [
                o["chart"],
                s.get("label", s["index"]),
                s["test"],
                f"{s['value']:.4g}",
                s["description"],
            ]
            for o in objs
            for s in o["signals"]
        ]
        if sig_rows:
            c.print(
                simple_table(
                    "Signals",
                    ["chart", "point", "test", f"value{u}", "description"],
                    sig_rows[:200],
                )
            )
            if len(sig_rows) > 200:
                c.print(f"[dim]… {len(sig_rows) - 200} more (use --json)[/]")
        else:
            c.print("No signals: the process looks in statistical control.")
        for note in objs[0].get("notes", []):
            c.print(f"[dim]note: {note}[/]")
        _warn(c, warnings or [])

    return render


def spc(
    source: str,
    open_source: Callable[[], EventLog],
    column: Annotated[
        str | None,
        typer.Option(
            "--column", help="Numeric column of FILE to chart.", show_default=False
        ),
    ] = None,
    chart: ChartOpt = "",
    subgroup: Annotated[
        str | None,
        typer.Option(
            "--subgroup",
            help="Column naming each row's subgroup (X̄ charts).",
            show_default=False,
        ),
    ] = None,
    size: Annotated[
        int | None,
        typer.Option(
            "--size",
            help="Subgroup size: consecutive rows (X̄ charts), or the constant "
            "sample size of p/np/u charts.",
            show_default=False,
        ),
    ] = None,
    defects: Annotated[
        str | None,
        typer.Option(
            "--defects",
            help="Column of defective/defect counts (p, np, c, u charts).",
            show_default=False,
        ),
    ] = None,
    units: Annotated[
        str | None,
        typer.Option(
            "--units",
            help="Column of sample sizes or units inspected (p, np, u charts).",
            show_default=False,
        ),
    ] = None,
    label: Annotated[
        str | None,
        typer.Option(
            "--label",
            help="Column of point labels (dates, batch ids).",
            show_default=False,
        ),
    ] = None,
    kpi: Annotated[
        str | None,
        typer.Option(
            "--kpi",
            help=f"Chart a KPI of an event log: {', '.join(KPI_NAMES)}.",
            show_default=False,
        ),
    ] = None,
    by: ByOpt = "day",
    config: KpiConfigOpt = None,
    baseline: BaselineOpt = None,
    rules: RulesOpt = "minitab",
    k: KOpt = None,
    sigma: Annotated[
        float, typer.Option("--sigma", help="Limits at ± this many σ.")
    ] = 3.0,
    drop_out_of_control: Annotated[
        bool,
        typer.Option(
            "--drop-out-of-control",
            help="Phase I: drop signalling points (test 1) and re-estimate.",
        ),
    ] = False,
    json: JsonOpt = False,
) -> None:
    """Control chart with the Nelson/Minitab tests, of a numbers file or a log's KPI."""
    rule_set = _rules(rules, k)
    if chart and chart not in CHART_KINDS:
        msg = f"--chart must be one of {list(CHART_KINDS)}. Got {chart!r}."
        raise InvalidParameterError(msg)
    period = _check_by(by)
    extra: dict[str, Any] = {}
    warnings: list[ShapeWarning] = []
    if kpi is not None:
        if column or subgroup or defects or units:
            msg = (
                "--kpi charts a KPI of an event log; --column, --subgroup, --defects "
                "and --units are for a plain numbers file. Use one or the other."
            )
            raise InvalidParameterError(msg)
        from servops.spc.series import chart_kpi

        log = open_source()
        with progress("computing KPI series", con=log.con):
            kc = chart_kpi(
                log,
                kpi,
                by=period,
                chart=cast("ChartKind | None", chart or None),
                baseline=baseline,
                config=config,
                rules=rule_set,
                sigma=sigma,
                drop_out_of_control=drop_out_of_control,
            )
        result = kc.latest
        notes = list(kc.notes)
        if kc.phase2 is not None:
            notes.append(
                f"limits from the first {baseline} periods (phase I); the rest "
                "are phase II"
            )
        from servops.log.shape import shape_warnings

        warnings = shape_warnings(log, by=period, timezone=kc.series.timezone)
        extra = {
            "kpi": kc.series.kpi,
            "by": by,
            "unit": kc.series.unit,
            "timezone": kc.series.timezone,
            "censored": list(kc.censored),
            "small_periods": list(kc.small),
            "lcl_clipped": kc.lcl_clipped,
            "warnings": [w.to_dict() for w in warnings],
        }
        title = f"{kc.series.kpi} by {by}: {kc.chart} chart"
    else:
        path = Path(source)
        result, notes = _file_chart(
            path,
            column=column,
            chart=chart or "imr",
            subgroup=subgroup,
            size=size,
            defects=defects,
            units=units,
            rules=rule_set,
            sigma=sigma,
            drop=drop_out_of_control,
            baseline=baseline,
            label=label,
        )
        extra = {"source": path.name, "column": column or defects}
        title = f"{path.name}: {result.kind} chart"
    objs = [{**o, **extra, "notes": notes} for o in result.chart_dicts()]
    data: Any = objs if result.kind in _TWO_CHART else objs[0]
    emit(data, as_json=json, render=_render(objs, title, warnings))


def alerts(
    log: EventLog,
    kpi: Annotated[
        list[str] | None,
        typer.Option(
            "--kpi",
            help="KPI to watch (repeatable). Default: "
            f"{', '.join(DEFAULT_ALERT_KPIS)} — those the log can give.",
            show_default=False,
        ),
    ] = None,
    by: ByOpt = "day",
    since: SinceOpt = None,
    config: KpiConfigOpt = None,
    baseline: BaselineOpt = None,
    rules: RulesOpt = "minitab",
    k: KOpt = None,
    json: JsonOpt = False,
) -> None:
    """Alerts from control charts of the log's KPI series, newest first, with a summary."""
    from servops.kpi.cases import resolve_config
    from servops.log.periods import log_censored, log_span, period_grid
    from servops.log.periods import period_label as label
    from servops.log.shape import shape_warnings
    from servops.spc.alerts import alert_summary, log_alerts

    period = _check_by(by)
    with progress("charting KPI series", con=log.con):
        cfg = resolve_config(config, log)
        found: list[Alert] = log_alerts(
            log,
            kpis=kpi or None,
            by=period,
            baseline=baseline,
            config=cfg,
            rules=_rules(rules, k),
            since=since,
        )
        first, last = log_span(log, cfg.timezone)
        grid = [] if first is None or last is None else period_grid(first, last, period)
        cut = [
            label(p, period)
            for p, c in zip(
                grid, log_censored(log, grid, period, cfg.timezone), strict=True
            )
            if c
        ]
        warnings = shape_warnings(log, by=period, timezone=cfg.timezone)
    summary = alert_summary(found, since=since)

    def render(c: Console) -> None:
        if not found:
            c.print(
                "No alerts"
                + (f" since {since}" if since else "")
                + ": every KPI series looks in statistical control."
            )
        else:
            c.print(summary.text())
            c.print(
                simple_table(
                    f"Alerts ({len(found)}), newest first",
                    ["period", "kpi", "test", "message"],
                    [[a.period, a.kpi, a.test, a.message] for a in found[:300]],
                )
            )
            if len(found) > 300:
                c.print(f"[dim]… {len(found) - 300} more (use --json)[/]")
        if cut:
            c.print(
                f"[dim]note: the log covers only part of {by} {' and '.join(cut)} "
                "(censored): not charted, no alerts[/]"
            )
        _warn(c, warnings)

    emit(
        {
            "summary": summary.to_dict(),
            "alerts": [a.to_dict() for a in found],
            "censored_periods": cut,
            "timezone": cfg.timezone,
            "warnings": [w.to_dict() for w in warnings],
        },
        as_json=json,
        render=render,
    )


def register(app: typer.Typer) -> None:
    """Add ``spc`` and ``alerts`` to ``app``."""
    app.command("spc")(_lazy_log(spc))
    app.command("alerts")(log_command(alerts))
