"""``servops kpi``, ``sla`` and ``why``: service KPIs, SLA attainment, root causes."""

from __future__ import annotations

from pathlib import Path
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    Literal,
    cast,
)

import typer

from servops.cli._common import JsonOpt, log_command, progress
from servops.cli._common import KpiConfigOpt as ConfigOpt
from servops.cli._render import emit, err_console, fmt_duration, simple_table
from servops.errors import InvalidParameterError

if TYPE_CHECKING:
    from rich.console import Console

    from servops.kpi.causes import Outcome
    from servops.kpi.config import KpiConfig
    from servops.log import EventLog

__all__ = ["register"]

StatesOpt = Annotated[
    str | None,
    typer.Option(
        "--states",
        help=(
            "Read the log as a status/audit-log export (one row per status change or "
            "update): 'activity' when the activity column holds the status, else the "
            "status column. Repeated statuses are merged; leaving a resolved/closed "
            "status is a reopen."
        ),
    ),
]
HandoverByOpt = Annotated[
    str | None,
    typer.Option(
        "--handover-by",
        help="Column reassignments are counted on (default resource; e.g. a group).",
    ),
]


def service_config(log: EventLog) -> KpiConfig | None:
    """The state machine's KPI roles for a log read from the live service, else None.

    A log read by :func:`servops.service.events.read_service_log` carries them
    (:attr:`~servops.EventLog.default_config`: the machine stored in the service when
    the log was read), and :func:`servops.kpi.load_config` uses them when no config is
    given. A log that names the service as its source but carries none (its handle
    was rebuilt elsewhere) gets the roles of the machine last read from that service
    here, else the packaged machine's.
    """
    from servops.kpi.config import KpiConfig
    from servops.service.events import (
        is_service_log,
        service_kpi_config,
        service_state_machine,
    )

    if isinstance(log.default_config, KpiConfig):
        return log.default_config
    if not is_service_log(log):
        return None
    return service_kpi_config(service_state_machine(log))


def _config(
    log: EventLog,
    path: Path | None,
    *,
    states: str | None = None,
    handover_by: str | None = None,
) -> KpiConfig:
    from servops.kpi import load_config
    from servops.kpi.config import StateMode

    mode = None
    if states is not None:
        mode = StateMode(column=None if states == "activity" else states)
    if path is None and mode is None and log.default_config is None:
        log = log.with_default_config(service_config(log))
    cfg = load_config(path, log, states=mode, handover_by=handover_by)
    for note in cfg.notes:
        err_console.print(f"[dim]note: {note}[/]")
    if cfg.states is None:
        from servops.mining.states import STATE_LOG_HINT, repeated_state_share

        share = repeated_state_share(log)
        if share is not None and share > STATE_LOG_HINT:
            err_console.print(
                f"[yellow]note: {share:.0%} of the events repeat the previous activity "
                "of their case: this looks like a status/audit-log export; try "
                "--states activity (or --states COLUMN).[/]"
            )
    return cfg


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.1f}%"


def _rate(row: dict[str, Any], key: str, unmeasurable: dict[str, str]) -> str:
    """A rate, or ``n/a`` when the configuration cannot measure it."""
    if key in unmeasurable:
        return "n/a"
    return _pct(row[key])


def business_hours(seconds: float | None) -> str:
    """Business time for people: ``3.5 business h`` (business days differ by calendar).

    Examples
    --------
    >>> business_hours(12600), business_hours(None)
    ('3.5 business h', '–')
    """
    if seconds is None:
        return "–"
    return f"{seconds / 3600:.1f} business h"


def _time(seconds: float | None, *, business: bool) -> str:
    return business_hours(seconds) if business else fmt_duration(seconds)


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
    states: StatesOpt = None,
    handover_by: HandoverByOpt = None,
    json: JsonOpt = False,
) -> None:
    """KPIs per period and segment.

    Arrivals, throughput, backlog, lead / first-response / resolution times,
    first-contact resolution, reopen rate, handovers and SLA attainment. A rate the
    log cannot measure prints as n/a (JSON null) with the reason.
    """
    if by not in ("day", "week", "month", "all"):
        msg = f"--by must be one of day, week, month, all; got {by!r}."
        raise InvalidParameterError(msg)
    cfg = _config(log, config, states=states, handover_by=handover_by)
    period = None if by == "all" else cast("Literal['day', 'week', 'month']", by)
    from servops.kpi import compute_kpis

    with progress("computing KPIs", con=log.con):
        table = compute_kpis(log, cfg, by=period, segment=segment)
    unmeasurable = cfg.unmeasurable()
    rows = [{**r, "not_measured": unmeasurable} for r in table.to_pylist()]

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
                (r["period"] + ("*" if r["censored"] else ""))
                if r["period"]
                else "all",
                r["segment"] or "",
                r["cases"],
                r["closed"],
                r["backlog"],
                fmt_duration(r["lead_time_median_s"]),
                fmt_duration(r["first_response_median_s"]),
                fmt_duration(r["resolution_time_p90_s"]),
                _rate(r, "sla_attainment", unmeasurable),
                _rate(r, "reopen_rate", unmeasurable),
                _rate(r, "fcr_rate", unmeasurable),
            ]
            for r in rows
        ]
        c.print(simple_table("Service KPIs", head, body))
        if any(r["censored"] for r in rows):
            c.print(
                "[dim]* partial: the log starts or ends within that period (censored); "
                "do not compare it with whole periods[/]"
            )
        for key, why in unmeasurable.items():
            c.print(f"[dim]n/a {key.replace('_', ' ')}: {why}[/]")

    emit(rows, as_json=json, render=render)


def sla(
    log: EventLog,
    config: ConfigOpt = None,
    limit: Annotated[
        int,
        typer.Option("--limit", help="Breaches shown in the table (JSON lists all)."),
    ] = 20,
    states: StatesOpt = None,
    json: JsonOpt = False,
) -> None:
    """SLA attainment per policy (and in total) and the breaches, most late first.

    Targets and times on a business calendar print in business hours.
    """
    cfg = _config(log, config, states=states)
    from servops.kpi import sla_report

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
                    *(
                        [
                            p["policy"],
                            p["calendar"],
                            _time(p["first_response_target_s"], business=p["business"]),
                            _time(p["resolution_target_s"], business=p["business"]),
                            p["cases"],
                            p["met"],
                            p["breached"],
                            p["pending"],
                            _pct(p["attainment"]),
                        ]
                        for p in report.policies
                    ),
                    *(
                        [
                            [
                                "total",
                                "",
                                "",
                                "",
                                report.total["cases"],
                                report.total["met"],
                                report.total["breached"],
                                report.total["pending"],
                                _pct(report.attainment),
                            ]
                        ]
                        if report.policies
                        else []
                    ),
                ],
            )
        )
        b = report.breaches.slice(0, limit).to_pylist()
        if b:
            c.print(
                simple_table(
                    f"Breaches, most late first ({len(b)} of "
                    f"{report.breaches.num_rows:,})",
                    ["case", "policy", "metric", "target", "elapsed", "late", "open"],
                    [
                        [
                            r["case_id"],
                            r["policy"],
                            r["metric"],
                            _time(r["target_s"], business=r["business"]),
                            _time(r["elapsed_s"], business=r["business"]),
                            _time(r["late_s"], business=r["business"]),
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
    exclude: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude",
            "-x",
            metavar="FACTOR",
            help=(
                "Leave out an attribute, a factor kind (activity, resource, variant, "
                "handovers, arrival_hour, arrival_weekday) or a factor label (repeat)."
            ),
        ),
    ] = None,
    states: StatesOpt = None,
    handover_by: HandoverByOpt = None,
    json: JsonOpt = False,
) -> None:
    """Root causes: which attributes and process features go with an outcome.

    Support, lift, effect and FDR-controlled significance per factor, a Pareto of
    causes and a small decision tree.
    """
    from servops.kpi import root_causes
    from servops.kpi.causes import OUTCOMES

    if outcome not in OUTCOMES:
        msg = f"--outcome must be one of {', '.join(OUTCOMES)}; got {outcome!r}."
        raise InvalidParameterError(msg)
    cfg = _config(log, config, states=states, handover_by=handover_by)
    with progress("looking for causes", con=log.con):
        result = root_causes(
            log,
            cast("Outcome", outcome),
            cfg,
            min_support=min_support,
            alpha=alpha,
            max_depth=depth,
            exclude=tuple(exclude or ()),
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
            c.print(
                simple_table(
                    "Decision tree leaves (highest rate first)",
                    ["conditions", "cases", "with outcome", "rate"],
                    [
                        [
                            " and ".join(leaf["conditions"]) or "(all cases)",
                            leaf["cases"],
                            leaf["outcome_cases"],
                            _pct(leaf["rate"]),
                        ]
                        for leaf in result.tree["leaves"]
                    ],
                )
            )

    emit(result, as_json=json, render=render)


def register(app: typer.Typer) -> None:
    """Add ``kpi``, ``sla`` and ``why`` to ``app``."""
    app.command("kpi")(log_command(kpi))
    app.command("sla")(log_command(sla))
    app.command("why")(log_command(why))
