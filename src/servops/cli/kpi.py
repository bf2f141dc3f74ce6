"""``servops kpi``, ``sla`` and ``why``: service KPIs, SLA attainment, root causes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    Literal,
    TypeVar,
    cast,
    get_type_hints,
)

import typer

from servops.cli._common import JsonOpt, log_command, progress
from servops.cli._common import KpiConfigOpt as ConfigOpt
from servops.cli._render import emit, err_console, fmt_duration, simple_table
from servops.errors import InvalidParameterError
from servops.kpi import compute_kpis, load_config, root_causes, sla_report
from servops.kpi.causes import OUTCOMES, Outcome
from servops.kpi.config import KpiConfig
from servops.log import EventLog

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["register"]

F = TypeVar("F", bound=Callable[..., Any])


def _typed(func: F) -> F:
    """Resolve string annotations before ``log_command`` copies the signature.

    With ``from __future__ import annotations`` the copied signature would carry strings
    that typer cannot resolve in ``_common``'s namespace, losing help texts and ``-c``.
    """
    func.__annotations__ = get_type_hints(func, include_extras=True)
    return func


def _config(log: EventLog, path: Path | None) -> KpiConfig:
    cfg = load_config(path, log)
    for note in cfg.notes:
        err_console.print(f"[dim]note: {note}[/]")
    return cfg


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.1f}%"


def kpi(
    log: EventLog,
    config: ConfigOpt = None,
    by: Annotated[
        str, typer.Option("--by", help="Period: day, week, month, or all (one row).")
    ] = "week",
    segment: Annotated[
        str | None,
        typer.Option("--segment", help="Case attribute to split by (e.g. priority)."),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """KPIs per period and segment.

    Arrivals, throughput, backlog, lead / first-response / resolution times,
    first-contact resolution, reopen rate, handovers and SLA attainment.
    """
    if by not in ("day", "week", "month", "all"):
        msg = f"--by must be one of day, week, month, all; got {by!r}."
        raise InvalidParameterError(msg)
    cfg = _config(log, config)
    period = None if by == "all" else cast("Literal['day', 'week', 'month']", by)
    with progress("computing KPIs", con=log.con):
        table = compute_kpis(log, cfg, by=period, segment=segment)
    rows = table.to_pylist()

    def render(c: Console) -> None:
        head = [
            "period",
            "segment",
            "cases",
            "closed",
            "backlog",
            "lead p50",
            "1st resp p50",
            "resol. p90",
            "SLA met",
            "reopen",
            "FCR",
        ]
        body = [
            [
                r["period"] or "all",
                r["segment"] or "",
                r["cases"],
                r["closed"],
                r["backlog"],
                fmt_duration(r["lead_time_median_s"]),
                fmt_duration(r["first_response_median_s"]),
                fmt_duration(r["resolution_time_p90_s"]),
                _pct(r["sla_attainment"]),
                _pct(r["reopen_rate"]),
                _pct(r["fcr_rate"]),
            ]
            for r in rows
        ]
        c.print(simple_table("Service KPIs", head, body))

    emit(rows, as_json=json, render=render)


def sla(
    log: EventLog,
    config: ConfigOpt = None,
    limit: Annotated[
        int,
        typer.Option("--limit", help="Breaches shown in the table (JSON lists all)."),
    ] = 20,
    json: JsonOpt = False,
) -> None:
    """SLA attainment per policy and the breaches, latest first, with how late."""
    cfg = _config(log, config)
    with progress("checking SLAs", con=log.con):
        report = sla_report(log, cfg)

    def render(c: Console) -> None:
        for n in report.notes:
            c.print(f"[yellow]{n}[/]")
        c.print(
            simple_table(
                f"SLA attainment ({report.covered:,} of {report.cases:,} cases covered)",
                [
                    "policy",
                    "calendar",
                    "resp. target",
                    "resol. target",
                    "cases",
                    "met",
                    "breached",
                    "pending",
                    "attainment",
                ],
                [
                    [
                        p["policy"],
                        p["calendar"],
                        fmt_duration(p["first_response_target_s"]),
                        fmt_duration(p["resolution_target_s"]),
                        p["cases"],
                        p["met"],
                        p["breached"],
                        p["pending"],
                        _pct(p["attainment"]),
                    ]
                    for p in report.policies
                ],
            )
        )
        b = report.breaches.slice(0, limit).to_pylist()
        if b:
            c.print(
                simple_table(
                    f"Breaches (latest {len(b)} of {report.breaches.num_rows:,})",
                    ["case", "policy", "metric", "target", "elapsed", "late", "open"],
                    [
                        [
                            r["case_id"],
                            r["policy"],
                            r["metric"],
                            fmt_duration(r["target_s"]),
                            fmt_duration(r["elapsed_s"]),
                            fmt_duration(r["late_s"]),
                            "yes" if r["open"] else "",
                        ]
                        for r in b
                    ],
                )
            )

    emit(report, as_json=json, render=render)


def why(
    log: EventLog,
    outcome: Annotated[
        str, typer.Option("--outcome", help="sla_breach, long_lead_time or reopen.")
    ] = "sla_breach",
    config: ConfigOpt = None,
    min_support: Annotated[
        float,
        typer.Option(
            "--min-support",
            help="Least share of cases a factor must have to be tested.",
        ),
    ] = 0.02,
    alpha: Annotated[
        float,
        typer.Option("--alpha", help="False discovery rate (Benjamini–Hochberg)."),
    ] = 0.05,
    depth: Annotated[int, typer.Option("--depth", help="Decision tree depth.")] = 3,
    top: Annotated[int, typer.Option("--top", help="Factors shown in the table.")] = 15,
    json: JsonOpt = False,
) -> None:
    """Root causes: which attributes and process features go with an outcome.

    Support, lift, effect and FDR-controlled significance per factor, a Pareto of
    causes and a small decision tree.
    """
    if outcome not in OUTCOMES:
        msg = f"--outcome must be one of {', '.join(OUTCOMES)}; got {outcome!r}."
        raise InvalidParameterError(msg)
    cfg = _config(log, config)
    with progress("looking for causes", con=log.con):
        result = root_causes(
            log,
            cast("Outcome", outcome),
            cfg,
            min_support=min_support,
            alpha=alpha,
            max_depth=depth,
        )

    def render(c: Console) -> None:
        base = _pct(result.base_rate)
        c.print(
            f"[bold]{result.outcome}[/]: {result.definition}; {result.positives:,} of "
            f"{result.cases:,} cases ({base})."
        )
        for n in result.notes:
            c.print(f"[dim]note: {n}[/]")
        rows = result.factors.slice(0, top).to_pylist()
        c.print(
            simple_table(
                "Factors (significant first)",
                ["factor", "cases", "rate", "without", "lift", "excess", "q", "sig."],
                [
                    [
                        r["label"],
                        r["cases"],
                        _pct(r["rate"]),
                        _pct(r["rate_without"]),
                        round(r["lift"], 2),
                        round(r["excess"], 1),
                        f"{r['q_value']:.2g}",
                        "*" if r["significant"] else "",
                    ]
                    for r in rows
                ],
            )
        )
        if result.pareto:
            c.print(
                simple_table(
                    "Pareto of causes",
                    ["cause", "cases", "share", "cum."],
                    [
                        [
                            p["cause"],
                            p["cases"],
                            _pct(p["share"]),
                            _pct(p["cumulative"]),
                        ]
                        for p in result.pareto
                    ],
                )
            )
        if result.tree:
            c.print("[bold]Decision tree[/]")
            c.print(result.tree["rules"], markup=False)

    emit(result, as_json=json, render=render)


def register(app: typer.Typer) -> None:
    """Add ``kpi``, ``sla`` and ``why`` to ``app``."""
    app.command("kpi")(log_command(_typed(kpi)))
    app.command("sla")(log_command(_typed(sla)))
    app.command("why")(log_command(_typed(why)))
