"""Process-mining commands: what the process looks like and where the time goes.

``servops dfg``, ``variants``, ``activities``, ``bottlenecks``, ``rework``,
``handovers`` and ``map``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer

from servops.cli._common import JsonOpt, KpiConfigOpt, log_command
from servops.cli._render import emit, err_console, fmt_duration, simple_table
from servops.cli.kpi import StatesOpt
from servops.errors import InvalidParameterError

if TYPE_CHECKING:
    from rich.console import Console

    from servops.log import EventLog
    from servops.report.builder import Lang
    from servops.report.process_map import Mode


__all__ = ["register"]

TopOpt = Annotated[int | None, typer.Option("--top", help="Show only the top N rows.")]


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _states(log: EventLog, states: str | None) -> EventLog:
    """The log in state mode (repeated statuses merged) when ``--states`` is given."""
    from servops.mining.states import (
        STATE_LOG_HINT,
        collapse_states,
        repeated_state_share,
    )

    if states is not None:
        out = collapse_states(log, None if states == "activity" else states)
        err_console.print(f"[dim]note: {out.meta.notes[-1]}[/]")
        return out
    share = repeated_state_share(log)
    if share is not None and share > STATE_LOG_HINT:
        err_console.print(
            f"[yellow]note: {share:.0%} of the events repeat the previous activity of "
            "their case: a status/audit-log export? Then repeats are not rework; try "
            "--states activity (or --states COLUMN).[/]"
        )
    return log


def dfg(log: EventLog, top: TopOpt = None, json: JsonOpt = False) -> None:
    """Directly-follows graph: activity and edge frequencies, transition times."""
    from servops.mining import discover_dfg

    result = discover_dfg(log)

    def render(c: Console) -> None:
        edges = result.edges[:top] if top else result.edges
        c.print(
            simple_table(
                f"Directly-follows graph ({len(result.nodes)} activities, "
                f"{len(result.edges)} edges, {result.n_cases:,} cases)",
                ["source", "target", "frequency", "cases", "mean", "median", "p90"],
                [
                    [
                        e.source,
                        e.target,
                        e.frequency,
                        e.cases,
                        fmt_duration(e.mean_s),
                        fmt_duration(e.median_s),
                        fmt_duration(e.p90_s),
                    ]
                    for e in edges
                ],
            )
        )
        c.print(
            simple_table(
                "Start activities",
                ["activity", "cases"],
                list(result.start_activities.items()),
            )
        )
        c.print(
            simple_table(
                "End activities",
                ["activity", "cases"],
                list(result.end_activities.items()),
            )
        )

    emit(result, as_json=json, render=render)


def variants(
    log: EventLog,
    top: TopOpt = None,
    coverage: Annotated[
        float | None,
        typer.Option(
            "--coverage",
            help="Show the fewest variants covering this share of cases (0-1).",
        ),
    ] = None,
    states: StatesOpt = None,
    json: JsonOpt = False,
) -> None:
    """Variants (activity sequences), most frequent first, with shares and durations."""
    from servops.mining import variants as find_variants

    result = find_variants(_states(log, states))
    chosen = result.variants
    if coverage is not None:
        chosen = result.coverage(coverage)
    if top is not None:
        chosen = chosen[:top]

    def render(c: Console) -> None:
        cum = 0.0
        rows = []
        for i, v in enumerate(chosen, 1):
            cum += v.share
            acts = " → ".join(v.activities)
            rows.append(
                [
                    i,
                    v.cases,
                    _pct(v.share),
                    _pct(cum),
                    fmt_duration(v.median_duration_s),
                    acts if len(acts) < 110 else acts[:107] + "…",
                ]
            )
        c.print(
            simple_table(
                f"{len(result.variants):,} variants of {result.n_cases:,} cases",
                ["#", "cases", "share", "cumulative", "median duration", "activities"],
                rows,
            )
        )

    emit([v.to_dict() for v in chosen], as_json=json, render=render)


def activities(
    log: EventLog,
    states: StatesOpt = None,
    config: KpiConfigOpt = None,
    json: JsonOpt = False,
) -> None:
    """Per activity: frequency, cases, resources, service and waiting time.

    Activities are ranked by the team's waiting; waiting on the customer's side (pauses,
    the resolved-to-closed window, customer turns: from the KPI config, -c, or guessed)
    is shown apart, as in `servops bottlenecks`. With --states, the time in each status
    instead (until the next change of status), with the customer-side statuses marked.
    """
    from servops.kpi import load_config
    from servops.mining import activity_times

    if states is not None:
        _state_times(log, states, config, as_json=json)
        return
    cfg = load_config(config, log)
    result = activity_times(log, customer_side=cfg.customer_side())

    def render(c: Console) -> None:
        if result.note:
            err_console.print(f"[yellow]{result.note}[/]")
        est = " (estimated)" if result.time_basis == "estimated" else ""
        cd = result.case_duration
        c.print(
            f"Case duration: mean {fmt_duration(cd.mean_s)}, median "
            f"{fmt_duration(cd.median_s)}, p90 {fmt_duration(cd.p90_s)} "
            f"over {cd.count:,} cases"
        )
        c.print(
            simple_table(
                f"Where the time goes{est}, by the team's waiting",
                [
                    "activity",
                    "frequency",
                    "cases",
                    "resources",
                    "mean service",
                    "mean waiting",
                    "team wait",
                    "customer-side",
                ],
                [
                    [
                        a.activity,
                        a.frequency,
                        a.cases,
                        a.resources,
                        fmt_duration(a.service_mean_s),
                        fmt_duration(a.waiting_mean_s),
                        fmt_duration(a.team_wait_total_s),
                        fmt_duration(a.customer_wait_total_s),
                    ]
                    for a in result.activities
                ],
            )
        )

    emit(result, as_json=json, render=render)


def _state_times(
    log: EventLog, states: str, config: Path | None, *, as_json: bool
) -> None:
    from servops.kpi import load_config
    from servops.kpi.config import StateMode
    from servops.mining.states import state_times

    column = None if states == "activity" else states
    cfg = load_config(config, log, states=StateMode(column=column))
    result = state_times(log, column, roles=cfg.state_roles())

    def render(c: Console) -> None:
        for n in result.notes:
            err_console.print(f"[dim]note: {n}[/]")
        c.print(
            f"{result.cases:,} cases; {_pct(result.customer_share)} of the time in "
            "statuses is on the customer's side (waiting for the customer, "
            "resolved awaiting closure)."
        )
        c.print(
            simple_table(
                "Time in each status (until the next change of status)",
                ["status", "role", "stays", "cases", "median", "p90", "share of time"],
                [
                    [
                        x.state,
                        x.role,
                        x.stays,
                        x.cases,
                        fmt_duration(x.median_s),
                        fmt_duration(x.p90_s),
                        _pct(x.share_of_time),
                    ]
                    for x in result.states
                ],
            )
        )

    emit(result, as_json=as_json, render=render)


def bottlenecks(
    log: EventLog,
    value_adding: Annotated[
        list[str] | None,
        typer.Option(
            "--value-adding",
            metavar="ACTIVITY",
            help="An activity whose processing adds value (repeat); default: all.",
        ),
    ] = None,
    top: TopOpt = 10,
    config: KpiConfigOpt = None,
    states: StatesOpt = None,
    json: JsonOpt = False,
) -> None:
    """Activities and transitions ranked by the team's waiting; value stream and PCE.

    Waiting on the customer's side (pauses, the resolved-to-closed window, customer
    turns: from the KPI config, -c, or guessed) is shown apart.
    """
    from servops.kpi import load_config
    from servops.mining import bottlenecks as find_bottlenecks

    log = _states(log, states)
    cfg = load_config(config, log)
    result = find_bottlenecks(
        log, value_adding=value_adding, top=top, customer_side=cfg.customer_side()
    )

    def render(c: Console) -> None:
        if result.note:
            err_console.print(f"[yellow]{result.note}[/]")
        vs = result.value_stream
        c.print(
            simple_table(
                "Value stream (mean per case)",
                ["measure", "value"],
                [
                    ["lead time", fmt_duration(vs.lead_time_mean_s)],
                    ["processing time", fmt_duration(vs.processing_time_mean_s)],
                    ["waiting time", fmt_duration(vs.waiting_time_mean_s)],
                    [
                        "  of it the team's",
                        fmt_duration(vs.team_waiting_time_mean_s),
                    ],
                    [
                        "  of it customer-side",
                        fmt_duration(vs.customer_time_mean_s),
                    ],
                    ["value-adding time", fmt_duration(vs.value_adding_time_mean_s)],
                    ["process cycle efficiency", _pct(vs.pce)],
                    [
                        "PCE without customer-side time",
                        _pct(vs.pce_without_customer),
                    ],
                ],
            )
        )
        c.print(
            simple_table(
                "Activities by the team's waiting before them",
                [
                    "activity",
                    "frequency",
                    "mean wait",
                    "team wait",
                    "customer-side",
                    "share of lead time",
                ],
                [
                    [
                        a.activity,
                        a.frequency,
                        fmt_duration(a.waiting_mean_s),
                        fmt_duration(a.team_wait_total_s),
                        fmt_duration(a.customer_wait_total_s),
                        _pct(a.share_of_lead_time),
                    ]
                    for a in result.activities
                ],
            )
        )
        c.print(
            simple_table(
                "Transitions by time added",
                [
                    "source",
                    "target",
                    "frequency",
                    "mean",
                    "total",
                    "share of lead time",
                    "side",
                ],
                [
                    [
                        t.source,
                        t.target,
                        t.frequency,
                        fmt_duration(t.mean_s),
                        fmt_duration(t.total_s),
                        _pct(t.share_of_lead_time),
                        "customer" if t.customer_side else "team",
                    ]
                    for t in result.transitions
                ],
            )
        )

    emit(result, as_json=json, render=render)


def rework(log: EventLog, states: StatesOpt = None, json: JsonOpt = False) -> None:
    """Repeated activities and loops per case, and the time they cost.

    On a status/audit-log export give --states: a status repeated by an update of
    another field is not rework.
    """
    from servops.mining import rework as find_rework

    result = find_rework(_states(log, states))

    def render(c: Console) -> None:
        c.print(
            f"{result.cases_with_rework:,} of {result.cases:,} cases "
            f"({_pct(result.share_with_rework)}) repeat an activity; repeats take "
            f"{_pct(result.share_of_lead_time)} of all lead time. Mean duration with "
            f"rework {fmt_duration(result.mean_duration_with_rework_s)}, without "
            f"{fmt_duration(result.mean_duration_without_rework_s)}."
        )
        c.print(
            simple_table(
                "Rework by activity",
                [
                    "activity",
                    "cases with rework",
                    "extra executions",
                    "self-loops",
                    "time in repeats",
                ],
                [
                    [
                        a.activity,
                        a.cases_with_rework,
                        a.extra_executions,
                        a.self_loops,
                        fmt_duration(a.rework_time_s),
                    ]
                    for a in result.activities
                ],
            )
        )

    emit(result, as_json=json, render=render)


def handovers(
    log: EventLog,
    by: Annotated[
        str,
        typer.Option(
            "--by",
            help="'resource' or an attribute grouping resources (e.g. org:group).",
        ),
    ] = "resource",
    top: TopOpt = 20,
    config: KpiConfigOpt = None,
    json: JsonOpt = False,
) -> None:
    """Handover-of-work network between resources or groups.

    Automatic steps and the customer's own turns (ignored resources and customer
    activities of the KPI config, -c, or guessed: system, customer...) are left out.
    """
    from servops.kpi import load_config
    from servops.mining import handovers as find_handovers

    cfg = load_config(config, log)
    result = find_handovers(
        log,
        by=by,
        ignore_resources=cfg.ignore_resources,
        ignore_activities=cfg.customer_activities,
    )

    def render(c: Console) -> None:
        rows = result.handovers[:top] if top else result.handovers
        c.print(
            simple_table(
                f"Handovers between {by} values ("
                + (
                    "–"
                    if result.mean_handovers_per_case is None
                    else f"{result.mean_handovers_per_case:.2f}"
                )
                + " per case)",
                ["from", "to", "frequency", "cases", "mean time"],
                [
                    [h.source, h.target, h.frequency, h.cases, fmt_duration(h.mean_s)]
                    for h in rows
                ],
            )
        )

    emit(result, as_json=json, render=render)


def process_map(
    log: EventLog,
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="Where to write: .html (interactive) or .svg (static).",
        ),
    ] = Path("process-map.html"),
    mode: Annotated[
        str, typer.Option("--mode", help="SVG only: 'frequency' or 'performance'.")
    ] = "frequency",
    activities: Annotated[
        int | None,
        typer.Option(
            "--activities", help="SVG only: show the N most frequent activities."
        ),
    ] = None,
    paths: Annotated[
        float,
        typer.Option(
            "--paths", help="SVG only: share (0-1) of the extra paths to show."
        ),
    ] = 0.3,
    lang: Annotated[str, typer.Option("--lang", help="en or zh.")] = "en",
    json: JsonOpt = False,
) -> None:
    """Write the process map: interactive HTML (sliders, hover) or a static SVG."""
    from servops.report.process_map import write_map

    if mode not in ("frequency", "performance"):
        msg = f"--mode must be 'frequency' or 'performance'; got {mode!r}."
        raise InvalidParameterError(msg)
    if lang not in ("en", "zh"):
        msg = f"--lang must be 'en' or 'zh'; got {lang!r}."
        raise InvalidParameterError(msg)
    path = write_map(
        log,
        output,
        mode=cast("Mode", mode),
        activities=activities,
        paths=paths,
        lang=cast("Lang", lang),
    )
    emit(
        {"output": str(path), "bytes": path.stat().st_size},
        as_json=json,
        render=lambda c: c.print(f"Wrote {path} ({path.stat().st_size:,} bytes)."),
    )


def register(app: typer.Typer) -> None:
    """Add the commands of this module to ``app``."""
    app.command("dfg")(log_command(dfg))
    app.command("variants")(log_command(variants))
    app.command("activities")(log_command(activities))
    app.command("bottlenecks")(log_command(bottlenecks))
    app.command("rework")(log_command(rework))
    app.command("handovers")(log_command(handovers))
    app.command("map")(log_command(process_map))
