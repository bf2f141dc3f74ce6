"""``servops forecast``, ``staff`` and ``schedule``: how many people, when, on which shifts."""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from servops._paths import DEFAULT_WORKSPACE
from servops.cli._common import DbOpt, JsonOpt, log_command, progress
from servops.cli._render import emit, fmt_duration, simple_table, table_from_rows
from servops.errors import InvalidParameterError

if TYPE_CHECKING:
    import numpy as np
    from rich.console import Console

    from servops.forecast import ArrivalForecast, ArrivalSeries, Model
    from servops.log import EventLog
    from servops.staffing import ServiceTarget, StaffingPlan

__all__ = ["register"]

IntervalOpt = Annotated[
    str, typer.Option("--interval", help="Interval length: 15m, 30m, 1h, 1d.")
]
TargetOpt = Annotated[
    str | None,
    typer.Option(
        "--target",
        help="Service level target: 80/20s = 80 % within 20 s, 90%/2h; 'none' for "
        "ASA/occupancy only (default 80/20s).",
        show_default=False,
    ),
]
SlaConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="KPI/SLA YAML: staff for its SLA first-response time (instead of --target).",
        show_default=False,
    ),
]
SlaLevelOpt = Annotated[
    str,
    typer.Option(
        "--sla-level", help="With -c: share that must meet the SLA, e.g. 90%."
    ),
]
IsaOpt = Annotated[
    bool,
    typer.Option(
        "--isa",
        help="Also staff by simulation (iterative staffing algorithm): for tickets and "
        "handle times long against the interval.",
    ),
]
AhtOpt = Annotated[
    str | None,
    typer.Option(
        "--aht", help="Average handle time, e.g. 180s (default: from the log)."
    ),
]
AsaOpt = Annotated[
    str | None, typer.Option("--asa", help="Average speed of answer target, e.g. 30s.")
]
OccOpt = Annotated[
    float | None, typer.Option("--max-occupancy", help="Occupancy cap, e.g. 0.85.")
]
AbandonOpt = Annotated[
    float | None,
    typer.Option(
        "--max-abandon", help="Abandonment cap, e.g. 0.05 (needs --patience)."
    ),
]
PatienceOpt = Annotated[
    str | None,
    typer.Option("--patience", help="Mean caller patience, e.g. 120s: Erlang A."),
]
ShrinkOpt = Annotated[
    float,
    typer.Option("--shrinkage", help="Share of paid time off the queue, e.g. 0.3."),
]
SimOpt = Annotated[
    bool,
    typer.Option("--simulate", help="Check the plan in the simulator, per interval."),
]
RunsOpt = Annotated[int, typer.Option("--runs", help="Simulation replications.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Simulation seed.")]
ModelOpt = Annotated[
    str, typer.Option("--model", help="Forecast model: mstl, ets or seasonal_naive.")
]
HistoryOpt = Annotated[
    str, typer.Option("--history", help="History to fit on, e.g. 12w, or 'all'.")
]
HolidaysOpt = Annotated[
    str | None,
    typer.Option("--holidays", help="Holiday dates, comma-separated (2024-12-25,…)."),
]


# -- parsing -------------------------------------------------------------------------------
def _seconds(text: str, name: str) -> float:
    from servops._durations import parse_duration

    return parse_duration(text, name, error=InvalidParameterError).total_seconds()


def _service_target(
    target: str | None,
    config: Path | None,
    sla_level: str,
    *,
    owner: str,
    log: EventLog | None = None,
) -> ServiceTarget | None:
    """``--target 80/20s`` or ``-c kpi.yaml`` (its SLA first response); 'none': no SL."""
    from servops.staffing import parse_service_target, service_target_from_sla

    if config is not None:
        if target is not None:
            msg = (
                f"{owner}: give --target or -c/--config (its SLA first-response target), "
                "not both."
            )
            raise InvalidParameterError(msg)
        from servops.kpi import load_config

        level = parse_service_target(f"{sla_level}/0s", "--sla-level").level
        return service_target_from_sla(load_config(config), level=level, log=log)
    if target is not None and target.strip().lower() == "none":
        return None
    return parse_service_target(target or "80/20s")


def _holidays(text: str | None) -> list[date]:
    if not text:
        return []
    try:
        return [date.fromisoformat(d.strip()) for d in text.split(",") if d.strip()]
    except ValueError:
        msg = f"--holidays must be ISO dates separated by commas; got {text!r}."
        raise InvalidParameterError(msg) from None


def _model(name: str) -> Model:
    from servops.forecast.arrivals import MODELS

    if name not in MODELS:
        msg = f"--model must be one of {list(MODELS)}; got {name!r}."
        raise InvalidParameterError(msg)
    return cast("Model", name)


def _history(text: str) -> timedelta | None:
    from servops.forecast import parse_duration

    return None if text.strip().lower() == "all" else parse_duration(text, "--history")


def _arrivals(spec: str, interval: str, db: Path) -> ArrivalSeries:
    """A counts file (interval_start + calls/arrivals) or a log (file or stored name)."""
    return _arrivals_and_log(spec, interval, db)[0]


def _arrivals_and_log(
    spec: str, interval: str, db: Path
) -> tuple[ArrivalSeries, EventLog | None]:
    """The arrivals, and the log they come from (None for a counts file)."""
    from servops.forecast import arrival_counts, read_counts
    from servops.io.files import read_columns
    from servops.sources import open_log

    header = read_columns(Path(spec))
    if "interval_start" in header:
        return read_counts(spec, interval=interval), None
    with progress("reading log"):
        log = open_log(spec, db=db)
    return arrival_counts(log, interval=interval), log


def _forecast(
    series: ArrivalSeries, horizon: str, model: str, history: str, holidays: str | None
) -> ArrivalForecast:
    from servops.forecast import ArrivalForecaster, parse_duration

    with progress("forecasting"):
        return (
            ArrivalForecaster(
                _model(model),
                history=_history(history),
                holidays=_holidays(holidays),
            )
            .fit(series)
            .predict(parse_duration(horizon, "--horizon"))
        )


def _plan(
    calls: np.ndarray,
    aht_per_interval: np.ndarray | None,
    *,
    interval_s: float,
    aht: str | None,
    target: ServiceTarget | None,
    asa: str | None,
    max_occupancy: float | None,
    max_abandon: float | None,
    patience: str | None,
    shrinkage: float,
    starts: np.ndarray | None,
) -> StaffingPlan:
    import numpy as np

    from servops.staffing import staffing_requirements

    sl, thr = (None, None) if target is None else (target.level, target.threshold_s)
    if aht is not None:
        aht_arg: float | np.ndarray = _seconds(aht, "--aht")
    elif aht_per_interval is not None and np.isfinite(aht_per_interval).any():
        aht_arg = aht_per_interval
    else:
        msg = (
            "--aht is needed: the arrivals carry no handle time (the log has no start "
            "times). Give e.g. --aht 180s."
        )
        raise InvalidParameterError(msg)
    return staffing_requirements(
        calls,
        interval=interval_s,
        aht=aht_arg,
        service_level=sl,
        threshold=thr,
        asa=None if asa is None else _seconds(asa, "--asa"),
        max_occupancy=max_occupancy,
        max_abandon=max_abandon,
        patience=None if patience is None else _seconds(patience, "--patience"),
        shrinkage=shrinkage,
        interval_start=starts,
    )


def _simulate(
    plan: StaffingPlan,
    *,
    agents_on_queue: np.ndarray,
    target: ServiceTarget | None,
    patience: str | None,
    runs: int,
    seed: int,
    start: datetime | None,
) -> list[dict[str, Any]]:
    from servops.staffing import simulate_plan

    with progress("simulating"):
        table = simulate_plan(
            plan,
            agents_on_queue=agents_on_queue,
            threshold=0.0 if target is None else target.threshold_s,
            patience=None if patience is None else _seconds(patience, "--patience"),
            runs=runs,
            seed=seed,
            start=start,
        )
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows


# -- commands ------------------------------------------------------------------------------
def forecast(
    log: EventLog,
    interval: IntervalOpt = "30m",
    horizon: Annotated[
        str, typer.Option("--horizon", help="How far ahead: 14d.")
    ] = "14d",
    model: ModelOpt = "mstl",
    history: HistoryOpt = "12w",
    run_backtest: Annotated[
        bool,
        typer.Option("--backtest/--no-backtest", help="Score against seasonal naive."),
    ] = True,
    windows: Annotated[int, typer.Option("--windows", help="Backtest windows.")] = 4,
    level: Annotated[
        int | None, typer.Option("--level", help="Prediction interval, e.g. 80.")
    ] = None,
    holidays: HolidaysOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the forecast as a counts CSV.")
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Forecast arrivals (and handle time) per interval, scored against seasonal naive."""
    from servops.forecast import (
        ArrivalForecaster,
        arrival_counts,
        backtest,
        parse_duration,
    )

    name = _model(model)
    series = arrival_counts(log, interval=interval)
    hist = _history(history)
    hol = _holidays(holidays)
    with progress("forecasting"):
        fc = (
            ArrivalForecaster(
                name,
                history=hist,
                holidays=hol,
                level=level,
            )
            .fit(series)
            .predict(parse_duration(horizon, "--horizon"))
        )
    bt = None
    bt_note = None
    if run_backtest:
        try:
            with progress("backtesting"):
                bt = backtest(
                    series,
                    horizon=timedelta(days=7),
                    windows=windows,
                    model=name,
                    history=hist,
                    holidays=hol,
                )
        except InvalidParameterError as exc:
            bt_note = str(exc)
    if out is not None:
        with out.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["interval_start", "calls", "aht_s"])
            import numpy as np

            aht = fc.aht_s if fc.aht_s is not None else np.full(fc.mean.size, np.nan)
            for t, c, h in zip(fc.timestamps(), fc.mean, aht, strict=True):
                w.writerow(
                    [
                        str(t).replace("T", " "),
                        f"{c:.4f}",
                        "" if not np.isfinite(h) else f"{h:.1f}",
                    ]
                )
    result = {
        "history": series.to_dict(),
        "forecast": fc.to_dict(),
        "backtest": None if bt is None else bt.to_dict(),
        "backtest_note": bt_note,
    }

    def render(c: Console) -> None:
        c.print(
            f"[bold]{series.source}[/]: {len(series):,} intervals of "
            f"{fmt_duration(series.interval_s)}, {series.counts.sum():,.0f} arrivals"
        )
        if bt is not None:
            verdict = "beats" if bt.mase < bt.mase_baseline else "does NOT beat"
            c.print(
                simple_table(
                    f"Backtest ({len(bt.windows)} × 7 days): {model} {verdict} seasonal naive",
                    ["", model, "seasonal naive"],
                    [
                        ["MASE", bt.mase, bt.mase_baseline],
                        ["sMAPE", bt.smape, bt.smape_baseline],
                        [
                            "daily MASE",
                            bt.daily_mase if bt.daily_mase is not None else "–",
                            bt.daily_mase_baseline
                            if bt.daily_mase_baseline is not None
                            else "–",
                        ],
                    ],
                )
            )
            c.print(
                f"[dim]{bt.zero_share:.0%} of the scored intervals had no arrival.[/]"
            )
        elif bt_note:
            c.print(f"[dim]no backtest: {bt_note}[/]")
        # calendar days of the log's wall clock; a part-day (the forecast starts
        # where the history ends, e.g. at 14:00) is marked, not passed off as a day
        rows = [
            [d.day.isoformat() + ("" if d.complete else " (part)"), d.total]
            for d in fc.per_day()
        ]
        c.print(
            simple_table(
                f"Forecast ({model}), calls per day ({series.timezone})",
                ["day", "calls"],
                rows,
            )
        )
        for n in fc.notes:
            c.print(f"[dim]note: {n}[/]")
        for w in fc.warnings:
            c.print(f"[bold yellow]warning: {w}[/]")
        if out is not None:
            c.print(f"forecast written to {out}")

    emit(result, as_json=json, render=render)


def staff(
    calls: Annotated[
        float | None, typer.Option("--calls", help="Calls in one interval.")
    ] = None,
    arrivals: Annotated[
        str | None,
        typer.Option("--arrivals", help="Counts CSV (interval_start, calls) or a LOG."),
    ] = None,
    interval: IntervalOpt = "30m",
    aht: AhtOpt = None,
    target: TargetOpt = None,
    config: SlaConfigOpt = None,
    sla_level: SlaLevelOpt = "90%",
    asa: AsaOpt = None,
    max_occupancy: OccOpt = None,
    max_abandon: AbandonOpt = None,
    patience: PatienceOpt = None,
    shrinkage: ShrinkOpt = 0.0,
    horizon: Annotated[
        str | None,
        typer.Option(
            "--horizon", help="With --arrivals: staff a forecast this far ahead."
        ),
    ] = None,
    model: ModelOpt = "mstl",
    history: HistoryOpt = "12w",
    simulate: SimOpt = False,
    isa: IsaOpt = False,
    runs: RunsOpt = 10,
    seed: SeedOpt = 0,
    db: DbOpt = Path(DEFAULT_WORKSPACE),
    json: JsonOpt = False,
) -> None:
    """Agents needed to meet a service-level, ASA or occupancy target (Erlang C or A).

    For tickets (long handle times, targets in hours) add --isa: staffing by simulation
    (the iterative staffing algorithm) beside per-interval Erlang, with a note on
    whether per-interval Erlang is valid.
    """
    from servops.forecast.arrivals import _interval_seconds

    if (calls is None) == (arrivals is None):
        msg = "give exactly one of --calls N (one interval) or --arrivals FILE|LOG."
        raise InvalidParameterError(msg)
    iv = _interval_seconds(interval, "staff")
    if calls is not None:
        goal = _service_target(target, config, sla_level, owner="staff")
        if aht is None:
            msg = "--aht is needed with --calls, e.g. --aht 180s."
            raise InvalidParameterError(msg)
        if isa:
            msg = (
                "--isa staffs a day of intervals; give --arrivals FILE|LOG, not --calls "
                "(one interval in steady state is Erlang's case)."
            )
            raise InvalidParameterError(msg)
        _staff_one(
            calls,
            iv,
            aht=aht,
            target=goal,
            asa=asa,
            max_occupancy=max_occupancy,
            max_abandon=max_abandon,
            patience=patience,
            shrinkage=shrinkage,
            simulate=simulate,
            runs=runs,
            seed=seed,
            json=json,
        )
        return
    assert arrivals is not None
    series, source_log = _arrivals_and_log(arrivals, interval, db)
    goal = _service_target(target, config, sla_level, owner="staff", log=source_log)
    if horizon is not None:
        fc = _forecast(series, horizon, model, history, None)
        c_arr, aht_arr, starts, t0 = fc.mean, fc.aht_s, fc.timestamps(), fc.start
    else:
        c_arr, aht_arr, starts, t0 = (
            series.counts,
            series.aht_s,
            series.timestamps(),
            series.start,
        )
    plan = _plan(
        c_arr,
        aht_arr,
        interval_s=series.interval_s,
        aht=aht,
        target=goal,
        asa=asa,
        max_occupancy=max_occupancy,
        max_abandon=max_abandon,
        patience=patience,
        shrinkage=shrinkage,
        starts=starts,
    )
    if isa:
        _staff_isa(plan, goal, patience=patience, runs=runs, seed=seed, json=json)
        return
    rows = plan.rows()
    if simulate:
        sim = _simulate(
            plan,
            agents_on_queue=plan["agents_on_queue"],
            target=goal,
            patience=patience,
            runs=runs,
            seed=seed,
            start=t0,
        )
        for r, s in zip(rows, sim, strict=True):
            r["erlang_service_level"] = s["erlang_service_level"]
            r["simulated_service_level"] = s["simulated_service_level"]

    def render(c: Console) -> None:
        d = plan.to_dict()
        c.print(
            f"{len(plan)} intervals, peak {d['peak_agents']} agents, "
            f"{d['agent_hours']:,.0f} agent-hours ({plan.model})"
        )
        cols = ["interval", "calls", "agents", "SL", "ASA", "occupancy"]
        if simulate:
            cols.append("simulated SL")
        table_rows = []
        for r in rows:
            if r["calls"] == 0 and len(rows) > 96:
                continue
            line = [
                r.get("interval_start", ""),
                round(r["calls"], 1),
                r["agents"],
                f"{r['service_level']:.1%}",
                fmt_duration(r["asa_s"]),
                f"{r['occupancy']:.0%}",
            ]
            if simulate:
                s = r.get("simulated_service_level")
                line.append("–" if s is None else f"{s:.1%}")
            table_rows.append(line)
        c.print(simple_table("Agents per interval", cols, table_rows))

    emit(rows, as_json=json, render=render)


def _staff_one(
    calls: float,
    interval_s: float,
    *,
    aht: str,
    target: ServiceTarget | None,
    asa: str | None,
    max_occupancy: float | None,
    max_abandon: float | None,
    patience: str | None,
    shrinkage: float,
    simulate: bool,
    runs: int,
    seed: int,
    json: bool,
) -> None:
    """``staff --calls N``: one interval in steady state."""
    import numpy as np

    from servops.staffing import steady_state_service_level

    plan = _plan(
        np.array([calls]),
        None,
        interval_s=interval_s,
        aht=aht,
        target=target,
        asa=asa,
        max_occupancy=max_occupancy,
        max_abandon=max_abandon,
        patience=patience,
        shrinkage=shrinkage,
        starts=None,
    )
    row: dict[str, Any] = plan.rows()[0]
    row["model"] = plan.model
    row["shrinkage"] = shrinkage
    if simulate:
        with progress("simulating"):
            row["simulated_service_level"] = steady_state_service_level(
                calls,
                int(plan["agents_on_queue"][0]),
                interval=interval_s,
                aht=float(plan["aht_s"][0]),
                threshold=0.0 if target is None else target.threshold_s,
                patience=None if patience is None else _seconds(patience, "--patience"),
                runs=runs,
                seed=seed,
            )

    def render_one(c: Console) -> None:
        c.print(table_from_rows("Staffing", [row]))

    emit(row, as_json=json, render=render_one)


def _staff_isa(
    plan: StaffingPlan,
    target: ServiceTarget | None,
    *,
    patience: str | None,
    runs: int,
    seed: int,
    json: bool,
) -> None:
    """``staff --isa``: per-interval Erlang and the ISA side by side, both simulated."""
    from servops.staffing import isa_staffing

    if target is None or patience is not None:
        msg = (
            "--isa staffs for a service-level target (--target 90%/2h or -c kpi.yaml) "
            "without abandonment (no --patience)."
        )
        raise InvalidParameterError(msg)
    with progress("staffing by simulation (ISA)"):
        res = isa_staffing(
            plan["calls"],
            interval=plan.interval_s,
            aht=plan["aht_s"],
            target=target,
            shrinkage=plan.shrinkage,
            runs=max(runs, 20),
            seed=seed,
            interval_start=plan.interval_start,
        )
    result = res.to_dict()

    def pct(v: float | None) -> str:
        return "–" if v is None else f"{v:.1%}"

    def render(c: Console) -> None:
        e, i = result["erlang"], result["isa"]
        c.print(f"Target: {target.label()} ({target.source})")
        c.print(
            table_from_rows(
                "Erlang per interval vs ISA (simulated service level, fresh runs)",
                [
                    {
                        "method": "Erlang C per interval",
                        "peak agents": e["peak_agents"],
                        "agent-hours": round(e["agent_hours"], 1),
                        "simulated SL": pct(e["simulated_service_level"]),
                        "intervals short of target": e["intervals_below_target"],
                    },
                    {
                        "method": "ISA (simulation)",
                        "peak agents": i["peak_agents"],
                        "agent-hours": round(i["agent_hours"], 1),
                        "simulated SL": pct(i["simulated_service_level"]),
                        "intervals short of target": i["intervals_below_target"],
                    },
                ],
            )
        )
        busy = [
            r for r in result["rows"] if r["calls"] > 0 or len(result["rows"]) <= 96
        ]
        c.print(
            table_from_rows(
                "Agents per interval",
                [
                    {
                        "interval": r.get("interval_start", "")[:16],
                        "calls": round(r["calls"], 1),
                        "Erlang agents": r["erlang_agents"],
                        "Erlang SL": pct(r["erlang_service_level"]),
                        "Erlang simulated": pct(r["erlang_simulated_service_level"]),
                        "ISA agents": r["isa_agents"],
                        "ISA simulated": pct(r["isa_simulated_service_level"]),
                    }
                    for r in busy
                ],
            )
        )
        for n in result["notes"]:
            c.print(f"[dim]note: {n}[/]")

    emit(result, as_json=json, render=render)


def schedule(
    source: Annotated[
        str,
        typer.Argument(
            metavar="REQUIREMENTS|ARRIVALS|LOG",
            help="A CSV with interval_start + agents (or required), a counts CSV, or a "
            "log (forecast, then staffed).",
            show_default=False,
        ),
    ],
    shifts: Annotated[
        Path | None,
        typer.Option(
            "--shifts", help="Shift templates (YAML); default 8.5 h + 4 h shifts."
        ),
    ] = None,
    interval: IntervalOpt = "30m",
    aht: AhtOpt = None,
    target: TargetOpt = None,
    asa: AsaOpt = None,
    max_occupancy: OccOpt = None,
    patience: PatienceOpt = None,
    shrinkage: ShrinkOpt = 0.0,
    horizon: Annotated[
        str, typer.Option("--horizon", help="With a LOG: forecast this far ahead.")
    ] = "7d",
    model: ModelOpt = "mstl",
    history: HistoryOpt = "12w",
    wrap: Annotated[
        bool, typer.Option("--wrap", help="Cyclic horizon (a typical week).")
    ] = False,
    time_limit: Annotated[
        float, typer.Option("--time-limit", help="Solver time limit, seconds.")
    ] = 30.0,
    simulate: SimOpt = False,
    runs: RunsOpt = 10,
    seed: SeedOpt = 0,
    db: DbOpt = Path(DEFAULT_WORKSPACE),
    json: JsonOpt = False,
) -> None:
    """Cheapest shifts covering the agents needed per interval (MILP, HiGHS)."""
    from servops.forecast import read_counts
    from servops.io.files import read_columns
    from servops.staffing import (
        read_requirements,
        read_shift_templates,
        schedule_shifts,
    )

    goal = _service_target(target, None, "90%", owner="schedule")
    header = read_columns(Path(source))
    plan = None
    req_col = next((c for c in ("agents", "required") if c in header), None)
    if req_col is not None:
        req = read_requirements(source, interval_s=_seconds(interval, "--interval"))
        required, step, start = req.required, req.interval_s, req.start
    else:
        if "interval_start" in header:
            series = read_counts(source, interval=interval)
            c_arr, aht_arr, starts = series.counts, series.aht_s, series.timestamps()
        else:
            series = _arrivals(source, interval, db)
            fc = _forecast(series, horizon, model, history, None)
            c_arr, aht_arr, starts = fc.mean, fc.aht_s, fc.timestamps()
        plan = _plan(
            c_arr,
            aht_arr,
            interval_s=series.interval_s,
            aht=aht,
            target=goal,
            asa=asa,
            max_occupancy=max_occupancy,
            max_abandon=None,
            patience=patience,
            shrinkage=shrinkage,
            starts=starts,
        )
        required = plan["required_fte"]
        step = series.interval_s
        start = starts[0].astype(datetime)
    templates = read_shift_templates(shifts) if shifts is not None else None
    with progress("scheduling"):
        sched = schedule_shifts(
            required,
            start=start,
            interval=timedelta(seconds=step),
            templates=templates,
            wrap=wrap,
            time_limit=time_limit,
        )
    result: dict[str, Any] = sched.to_dict()
    if plan is not None:
        result["requirements"] = {
            k: v for k, v in plan.to_dict().items() if k != "rows"
        }
    if simulate:
        if plan is None:
            msg = (
                "--simulate needs arrivals (a counts CSV or a LOG), not a requirements "
                "file: the simulator needs the calls per interval."
            )
            raise InvalidParameterError(msg)
        on_queue = sched.agents_on_queue(shrinkage)
        sim = _simulate(
            plan,
            agents_on_queue=on_queue,
            target=goal,
            patience=patience,
            runs=runs,
            seed=seed,
            start=start,
        )
        for cov, s in zip(result["coverage"], sim, strict=True):
            cov["agents_on_queue"] = int(s["agents"])
            cov["erlang_service_level"] = s["erlang_service_level"]
            cov["simulated_service_level"] = s["simulated_service_level"]

    def render(c: Console) -> None:
        c.print(
            f"status {sched.status}, cost {sched.total_cost:,.1f}, "
            f"{result['shifts_total']} shifts; over-staffing "
            f"{result['over_agent_hours']:,.1f} agent-h, under-staffing "
            f"{result['under_agent_hours']:,.1f} agent-h (gap {sched.mip_gap:.2%})"
        )
        c.print(
            simple_table(
                "Shifts",
                ["template", "start", "end", "breaks", "count"],
                [
                    [
                        s.template,
                        s.start.strftime("%a %Y-%m-%d %H:%M"),
                        s.end.strftime("%H:%M"),
                        ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in s.breaks),
                        s.count,
                    ]
                    for s in sched.shifts
                ],
            )
        )
        if simulate:
            rows = [
                [
                    r["interval_start"],
                    r["required"],
                    r["scheduled"],
                    f"{r['erlang_service_level']:.1%}",
                    "–"
                    if r["simulated_service_level"] is None
                    else f"{r['simulated_service_level']:.1%}",
                ]
                for r in result["coverage"]
                if r["required"] > 0
            ]
            c.print(
                simple_table(
                    "Erlang vs simulated service level",
                    ["interval", "required", "scheduled", "Erlang SL", "simulated SL"],
                    rows,
                )
            )
        for n in sched.notes:
            c.print(f"[dim]note: {n}[/]")

    emit(result, as_json=json, render=render)


def register(app: typer.Typer) -> None:
    """Add ``forecast``, ``staff`` and ``schedule``."""
    app.command("forecast")(log_command(forecast))
    app.command("staff")(staff)
    app.command("schedule")(schedule)
