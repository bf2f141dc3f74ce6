"""``servops simulate`` and ``servops twin discover|validate``: the digital twin."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from servops.cli._common import JsonOpt, log_command, progress
from servops.cli._render import emit, fmt_duration, simple_table
from servops.errors import InvalidParameterError

if TYPE_CHECKING:
    from rich.console import Console

    from servops.log import EventLog

__all__ = ["register"]

twin_app = typer.Typer(
    help="Discover a simulation model from a log, and check it.", no_args_is_help=True
)


def _parse_until(value: str | None) -> datetime | timedelta | None:
    """``2012-03-14T00:00`` (a moment) or ``30d`` / ``12h`` / ``90m`` (after the start)."""
    if value is None:
        return None
    from servops._durations import parse_duration

    v = value.strip()
    try:
        return datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        pass
    try:
        return parse_duration(v, "--until", bare_unit=None)
    except InvalidParameterError:
        msg = (
            f"--until: expected a date-time such as 2012-03-14T00:00Z or a duration such "
            f"as 30d, 12h, 90m; got {value!r}."
        )
        raise InvalidParameterError(msg) from None


def write_log_csv(log: EventLog, path: Path) -> None:
    """Write a (simulated) log as CSV with canonical column names."""
    from servops.log.engine import quote

    cols = [
        "case_id",
        "activity",
        "start_timestamp",
        "timestamp",
        "resource",
        *log.attributes,
    ]

    def col(c: str) -> str:
        if (
            c in ("start_timestamp", "timestamp")
            or "TIMESTAMP" in log.attributes.get(c, "").upper()
        ):  # ISO 8601 UTC, read back by any tool
            return f"strftime({quote(c)}, '%Y-%m-%dT%H:%M:%S.%fZ') AS {quote(c)}"
        return quote(c)

    sel = ", ".join(col(c) for c in cols)
    target = str(path).replace("'", "''")
    log.con.execute(
        f"COPY (SELECT {sel} FROM {log.events_sql} ORDER BY event_index) "
        f"TO '{target}' (HEADER, DELIMITER ',')"
    )


def simulate_cmd(
    model: Annotated[
        Path,
        typer.Argument(metavar="MODEL", help="Model YAML file.", show_default=False),
    ],
    cases: Annotated[
        int | None, typer.Option("--cases", "-n", help="Cases to simulate.")
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until",
            help="Stop at a date-time (2012-03-14T00:00Z) or after a duration "
            "(30d, 12h).",
        ),
    ] = None,
    scenario: Annotated[
        Path | None,
        typer.Option(
            "--scenario", "-s", help="Scenario YAML: compare it with the baseline."
        ),
    ] = None,
    replications: Annotated[
        int,
        typer.Option(
            "--replications", "-r", help="Independent replications (95% CIs)."
        ),
    ] = 5,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 1,
    warmup: Annotated[
        int, typer.Option("--warmup", help="Leave the first N cases out of the KPIs.")
    ] = 0,
    workers: Annotated[
        int, typer.Option("--workers", help="Processes for replications.")
    ] = 1,
    log_out: Annotated[
        Path | None,
        typer.Option(
            "--log-out", help="Write the simulated log (scenario's, if given) as CSV."
        ),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Simulate a model: KPIs with 95% confidence intervals.

    With --scenario: baseline against scenario, and the difference with its interval.
    """
    from servops.sim import load_model, simulate
    from servops.sim.replications import compare, replicate, replication_seeds
    from servops.sim.scenario import apply_scenario, load_scenario

    base = load_model(model)
    horizon = _parse_until(until)
    kw: dict[str, Any] = {
        "replications": replications,
        "cases": cases,
        "until": horizon,
        "seed": seed,
        "warmup": warmup,
        "workers": workers,
    }
    target = base
    result: Any
    with progress("simulating"):
        if scenario is not None:
            sc = load_scenario(scenario)
            target = apply_scenario(base, sc)
            result = compare(base, target, scenario_name=sc.name, **kw)
        else:
            result = replicate(base, **kw)
        if log_out is not None:
            run = simulate(
                target,
                cases=cases,
                until=horizon,
                seed=replication_seeds(seed, 1)[0],
                warmup=warmup,
            )
            write_log_csv(run.log, log_out)
    data = result.to_dict()
    if log_out is not None:
        data["log_out"] = str(log_out)

    def render(c: Console) -> None:
        if scenario is None:
            _render_one(c, data, str(model))
            return
        diff = data["difference"]
        rows = []
        for key in (
            "cases",
            "mean_cycle_time_s",
            "p90_cycle_time_s",
            "mean_waiting_time_s",
            "throughput_per_hour",
            "sla_attainment",
        ):
            b, s, d = (
                data["baseline"].get(key),
                data["scenario"].get(key),
                diff.get(key),
            )
            if b is None or d is None:
                continue
            rows.append(
                [
                    key,
                    _fmt(key, b),
                    _fmt(key, s),
                    _fmt(key, d["mean"]),
                    f"[{_fmt(key, d['ci95'][0])}, {_fmt(key, d['ci95'][1])}]",
                ]
            )
        for pool, u in data["baseline"].get("utilization", {}).items():
            su = data["scenario"].get("utilization", {}).get(pool)
            du = diff.get("utilization", {}).get(pool, {})
            rows.append(
                [
                    f"utilization {pool}",
                    _pct(u),
                    _pct(su),
                    _pct(du.get("mean")),
                    f"[{_pct(du.get('ci95', [None])[0])}, "
                    f"{_pct(du.get('ci95', [None, None])[1])}]",
                ]
            )
        c.print(
            simple_table(
                f"{data['scenario_name']} vs baseline ({replications} replications)",
                ["KPI", "baseline", "scenario", "difference", "95% CI"],
                rows,
            )
        )

    emit(data, as_json=json, render=render)


def _fmt(key: str, v: float | None) -> str:
    if v is None:
        return "–"
    if key.endswith("_s"):
        return fmt_duration(v)
    if key == "sla_attainment":
        return _pct(v)
    return f"{v:,.4g}"


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v:.1%}"


def _render_one(c: Console, data: dict[str, Any], title: str) -> None:
    ci = data["ci95"]
    rows = []
    for key in (
        "cases",
        "mean_cycle_time_s",
        "median_cycle_time_s",
        "p90_cycle_time_s",
        "mean_waiting_time_s",
        "throughput_per_hour",
        "sla_attainment",
        "abandonment_rate",
    ):
        v = data.get(key)
        if v is None:
            continue
        lo, hi = ci.get(key, [None, None])
        rows.append([key, _fmt(key, v), f"[{_fmt(key, lo)}, {_fmt(key, hi)}]"])
    for pool, u in data.get("utilization", {}).items():
        lo, hi = ci.get("utilization", {}).get(pool, [None, None])
        rows.append([f"utilization {pool}", _pct(u), f"[{_pct(lo)}, {_pct(hi)}]"])
    c.print(
        simple_table(
            f"{title} ({data['replications']} replications)",
            ["KPI", "mean", "95% CI"],
            rows,
        )
    )


def discover_cmd(
    log: EventLog,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Model YAML to write.")
    ],
    calendars: Annotated[
        bool,
        typer.Option(
            "--calendars/--no-calendars", help="Learn working calendars of pools."
        ),
    ] = True,
    json: JsonOpt = False,
) -> None:
    """Discover a simulation model (arrivals, routing, durations, pools, calendars)."""
    from servops.sim.discover import discover_model
    from servops.sim.model import save_model

    with progress("discovering"):
        model = discover_model(log, calendars=calendars)
    save_model(model, output)
    data = {
        "model": str(output),
        "name": model.name,
        "activities": len(model.activities),
        "pools": {p.name: p.size for p in model.pools.values()},
        "arrivals_per_week": model.arrivals.mean_rate_per_s * 7 * 86400,
        "time_unit": model.time_unit,
        "start": model.start.isoformat(),
        "notes": list(model.notes),
    }

    def render(c: Console) -> None:
        c.print(
            f"Wrote [bold]{output}[/]: {data['activities']} activities, "
            f"{len(model.pools)} pools, {data['arrivals_per_week']:.1f} arrivals a week."
        )
        c.print(
            simple_table(
                "Pools",
                ["pool", "size", "calendar h/week"],
                [
                    [p.name, p.size, p.calendar.hours_per_week]
                    for p in model.pools.values()
                ],
            )
        )
        from rich.markup import escape

        for note in model.notes[1:]:
            style = "yellow" if note.startswith("warning:") else "dim"
            c.print(f"[{style}]{escape(note)}[/{style}]")

    emit(data, as_json=json, render=render)


def validate_cmd(
    log: EventLog,
    simlog: Annotated[
        Path,
        typer.Argument(
            metavar="SIMLOG",
            help="The simulated log (e.g. from simulate --log-out).",
            show_default=False,
        ),
    ],
    json: JsonOpt = False,
) -> None:
    """Is the twin fit? Distances of SIMLOG to LOG, figure ratios and a verdict.

    Simod's log distances beside LOG's own half-vs-half floor; median/p90 cycle time
    and weekly arrivals as twin / real ratios; a verdict (fit, questionable, unfit:
    thresholds in docs/sim.md and in the JSON's verdict_rules).
    """
    from servops.log.read import read_log
    from servops.sim.validate import MEASURES, validate_twin

    with progress("comparing"):
        sim = read_log(simlog)
        result = validate_twin(log, sim)
    data = result.to_dict()

    def render(c: Console) -> None:
        rows = [
            [m, data[m]["distance"], data[m]["half_vs_half"], data[m]["ratio"]]
            for m in MEASURES
        ]
        c.print(
            simple_table(
                "Twin vs real log (lower is better)",
                ["measure", "twin", "half vs half", "ratio"],
                rows,
            )
        )
        figs = data["figures"]

        def show(name: str, v: float | None) -> str:
            if v is None:
                return "n/a"
            return f"{v:.1f}" if name == "arrivals_per_week" else fmt_duration(v)

        c.print(
            simple_table(
                "Twin / real (1 = the same)",
                ["figure", "real", "twin", "ratio"],
                [
                    [
                        n.replace("_", " "),
                        show(n, f["real"]),
                        show(n, f["twin"]),
                        "n/a" if f["ratio"] is None else f"{f['ratio']:.2f}",
                    ]
                    for n, f in figs.items()
                ],
            )
        )
        style = {"fit": "green", "questionable": "yellow", "unfit": "bold red"}
        c.print(
            f"Verdict: [{style[data['verdict']]}]{data['verdict'].upper()}"
            f"[/{style[data['verdict']]}]"
        )
        for reason in data["reasons"]:
            c.print(f"  - {reason}")

    emit(data, as_json=json, render=render)


def register(app: typer.Typer) -> None:
    """Add ``simulate`` and the ``twin`` group to ``app``."""
    app.command("simulate")(simulate_cmd)
    twin_app.command("discover")(log_command(discover_cmd))
    twin_app.command("validate")(log_command(validate_cmd))
    app.add_typer(twin_app, name="twin")
