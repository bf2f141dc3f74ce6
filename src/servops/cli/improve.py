"""``servops improve``: evidence that a change worked (before/after, sample size, A/B)."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from servops.cli._common import JsonOpt, KpiConfigOpt, log_command, progress
from servops.cli._render import emit, fmt_duration, simple_table
from servops.errors import InvalidParameterError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rich.console import Console

    from servops.improve import BeforeAfterPlan
    from servops.improve.intervals import Interval
    from servops.improve.phases import PhaseComparison
    from servops.kpi.config import KpiConfig
    from servops.log import EventLog

__all__ = ["register"]

HELP = (
    "Evidence that a change worked: before/after comparisons, sample size, A/B "
    "tests, KPI targets, improvement projects, SPC phases, interrupted time series, "
    "cost."
)

MetricOpt = Annotated[
    str,
    typer.Option(
        "--metric",
        "-m",
        help="lead_time, first_response, resolution_time (durations) or sla_met, "
        "reopened, fcr (rates), per case as `servops kpi` measures them.",
    ),
]
LevelOpt = Annotated[
    float, typer.Option("--level", help="Confidence level of the intervals.")
]
SeedOpt = Annotated[
    int, typer.Option("--seed", help="Random seed of the bootstrap intervals.")
]


def _summary_and_notes(result: Any, c: Console) -> None:  # noqa: ANN401 - any result with summary and notes
    """Print a result's plain-words summary and its notes (plain text, not markup)."""
    c.print(result.summary, soft_wrap=True, markup=False)
    for note in result.notes:
        c.print(f"note: {note}", style="dim", markup=False)


def _change_at(value: str) -> datetime | date:
    """``2026-09-14`` (a day, in the config's zone) or an ISO time."""
    v = value.strip()
    try:
        return date.fromisoformat(v) if len(v) == 10 else datetime.fromisoformat(v)
    except ValueError:
        msg = (
            f"--change-at must be a date (2026-09-14) or an ISO time "
            f"(2026-09-14T08:00, +02:00 allowed). Got {value!r}."
        )
        raise InvalidParameterError(msg) from None


def _segment(values: list[str] | None) -> dict[str, str]:
    out = {}
    for v in values or []:
        key, sep, val = v.partition("=")
        if not sep or not key:
            msg = f"--segment must be ATTRIBUTE=VALUE (e.g. priority=P2). Got {v!r}."
            raise InvalidParameterError(msg)
        out[key.strip()] = val.strip()
    return out


def _effect(iv: Interval, *, rate: bool) -> list[object]:
    if rate:
        return [f"{100 * x:+.1f} pt" for x in (iv.estimate, iv.low, iv.high)]
    return [fmt_duration(x) for x in (iv.estimate, iv.low, iv.high)]


def before_after_cmd(
    log: EventLog,
    change_at: Annotated[
        str,
        typer.Option(
            "--change-at",
            help="When the change took effect: a date (2026-09-14, in the config's time "
            "zone) or an ISO time. Cases arriving from then on are 'after'.",
        ),
    ],
    metric: MetricOpt,
    config: KpiConfigOpt = None,
    segment: Annotated[
        list[str] | None,
        typer.Option(
            "--segment",
            help="Only cases with ATTRIBUTE=VALUE (repeatable), e.g. priority=P2.",
        ),
    ] = None,
    adjust_by: Annotated[
        str | None,
        typer.Option(
            "--adjust-by",
            help="Attribute to standardise the case mix over (default: priority, "
            "else channel, else category).",
        ),
    ] = None,
    level: LevelOpt = 0.95,
    seed: SeedOpt = 0,
    dependence: Annotated[
        str,
        typer.Option(
            "--dependence",
            help="What the bootstrap resamples: day (blocks of consecutive arrival "
            "days, for cases that share a queue), week, or none (cases "
            "independently; rates by Newcombe's interval).",
        ),
    ] = "day",
    json: JsonOpt = False,
) -> None:
    """Compare a KPI for cases arriving before vs after a change.

    Differences of mean, median and p90 or of a rate (block bootstrap over arrival
    days by default), the change in volume and case mix, and a case-mix-adjusted
    difference, with a summary in plain words.
    """
    from servops.improve import before_after

    with progress("comparing"):
        r = before_after(
            log,
            _change_at(change_at),
            metric,
            segment=_segment(segment),
            config=_kpi(log, config),
            adjust_by=adjust_by,
            level=level,
            seed=seed,
            dependence=dependence,  # type: ignore[arg-type]  # checked by before_after
        )

    def render(c: Console) -> None:
        c.print(r.summary, soft_wrap=True)
        rate = r.kind == "rate"
        rows = [[name, *_effect(iv, rate=rate)] for name, iv in r.effects.items()]
        # a statistic open cases leave unknown: named, its reason among the notes
        rows += [[name, "not measurable", "", ""] for name in r.not_measurable]
        if r.adjusted is not None:
            rows.append(
                [
                    f"{r.adjusted.statistic}, same {r.adjusted.by} mix",
                    *_effect(r.adjusted.difference, rate=rate),
                ]
            )
        pct = f"{round(100 * level)} %"
        c.print(
            simple_table(
                f"Change after - before ({pct} CI)",
                ["statistic", "difference", "low", "high"],
                rows,
            )
        )
        if r.resampling is not None:
            rs = r.resampling
            c.print(
                f"[dim]resampled: {rs.method}"
                + (
                    f", blocks of {rs.block} {rs.dependence}(s), {rs.periods_before} "
                    f"before and {rs.periods_after} after"
                    if rs.block is not None
                    else ", cases independently"
                )
                + "[/]"
            )
        for note in r.notes:
            c.print(f"[dim]note: {note}[/]")
        for name, why in r.not_measurable.items():
            c.print(f"[dim]not measurable: {name}: {why}[/]")

    emit(r, as_json=json, render=render)


CasesPerDayOpt = Annotated[
    float | None,
    typer.Option(
        "--cases-per-day",
        help="Plan a before/after instead of an A/B test: measured cases a day.",
    ),
]
DesignEffectOpt = Annotated[
    float,
    typer.Option(
        "--design-effect",
        help="Before/after: variance of a day-based mean against the case-by-case "
        "one (1: days add no variation of their own).",
    ),
]
DaysOpt = Annotated[
    int | None,
    typer.Option(
        "--days", help="Before/after: the power at this many days a side instead."
    ),
]
AlphaOpt = Annotated[
    float, typer.Option("--alpha", help="Two-sided significance level.")
]
PowerOpt = Annotated[
    float, typer.Option("--power", help="Chance of detecting a real effect.")
]


def _render_plan(r: BeforeAfterPlan, c: Console) -> None:
    """A before/after plan in words."""
    if r.binding == "given":
        head = f"{r.days} days a side ({r.cases} cases) give power {r.power:.0%}"
    else:
        head = (
            f"{r.days} days a side ({r.cases} cases) detect the difference with "
            f"power {r.power:.0%} (target {r.target_power:.0%})"
        )
    c.print(
        f"{head} at alpha {r.alpha:g} (two-sided), before_after's day blocks: "
        f"blocks of {r.block} day(s) most often, {r.blocks:.3g} a side; "
        f"{r.p_widened:.0%} of the block lengths the rule may read leave fewer "
        "than 10 blocks (a widened interval). A randomised test judged case by case "
        f"needs {r.case_by_case} cases a side.",
        soft_wrap=True,
    )
    if r.binding == "min_blocks":
        c.print(
            "[dim]note: the days are set by the blocks needed, not by the power, "
            "which exceeds the target.[/]"
        )


def sample_size_cmd(
    p_control: Annotated[
        float | None,
        typer.Option("--p-control", help="Rate expected without the change (0-1)."),
    ] = None,
    p_treatment: Annotated[
        float | None,
        typer.Option("--p-treatment", help="Rate expected with the change (0-1)."),
    ] = None,
    delta: Annotated[
        str | None,
        typer.Option(
            "--delta",
            help="For a duration: the difference of means to detect (e.g. 30min).",
        ),
    ] = None,
    sd: Annotated[
        str | None,
        typer.Option("--sd", help="For a duration: its standard deviation (e.g. 2h)."),
    ] = None,
    alpha: AlphaOpt = 0.05,
    power: PowerOpt = 0.8,
    ratio: Annotated[
        float, typer.Option("--ratio", help="Treatment cases per control case.")
    ] = 1.0,
    cases_per_day: CasesPerDayOpt = None,
    design_effect: DesignEffectOpt = 1.0,
    days: DaysOpt = None,
    json: JsonOpt = False,
) -> None:
    """Cases needed per variant before an A/B test (two rates, or two means).

    With --cases-per-day: the days a side a before/after comparison needs (its day
    blocks), and the cases they hold.
    """
    from servops._durations import parse_duration
    from servops.improve import (
        DayBaseline,
        plan_before_after,
        sample_size_means,
        sample_size_proportions,
    )

    rates = p_control is not None and p_treatment is not None
    means = delta is not None and sd is not None
    if rates == means:
        msg = (
            "give --p-control and --p-treatment (rates) or --delta and --sd "
            "(durations), one pair."
        )
        raise typer.BadParameter(msg)
    if cases_per_day is not None:
        if p_control is not None and p_treatment is not None:
            base = DayBaseline(
                "rate",
                p_control,
                math.sqrt(p_control * (1 - p_control)),
                cases_per_day,
                design_effect,
            )
            effect = p_treatment - p_control
        else:
            spread = parse_duration(sd, "--sd").total_seconds()
            base = DayBaseline("mean", 0.0, spread, cases_per_day, design_effect)
            effect = parse_duration(delta, "--delta").total_seconds()
        with progress("planning"):
            plan = plan_before_after(base, effect, alpha=alpha, power=power, days=days)
        emit(plan, as_json=json, render=partial(_render_plan, plan))
        return
    if p_control is not None and p_treatment is not None:
        r = sample_size_proportions(
            p_control, p_treatment, alpha=alpha, power=power, ratio=ratio
        )
    else:
        r = sample_size_means(
            parse_duration(delta, "--delta").total_seconds(),
            parse_duration(sd, "--sd").total_seconds(),
            alpha=alpha,
            power=power,
            ratio=ratio,
        )

    def render(c: Console) -> None:
        c.print(
            f"{r.n_control} control and {r.n_treatment} treatment cases "
            f"({r.total} in all) detect the difference with power {power:.0%} at "
            f"alpha {alpha:g} (two-sided)."
        )

    emit(r, as_json=json, render=render)


def plan_before_after_cmd(
    log: EventLog,
    metric: MetricOpt,
    effect: Annotated[
        str,
        typer.Option(
            "--effect",
            help="The change to detect, after - before: rate points as a fraction "
            "(-0.05) or a duration (30min; its sign does not matter).",
        ),
    ],
    until: Annotated[
        str | None,
        typer.Option(
            "--until",
            help="The baseline is the cases arriving before this date or ISO time "
            "(default: the whole log).",
        ),
    ] = None,
    config: KpiConfigOpt = None,
    segment: SegmentOpt = None,
    alpha: AlphaOpt = 0.05,
    power: PowerOpt = 0.8,
    days: DaysOpt = None,
    json: JsonOpt = False,
) -> None:
    """Days a side a before/after comparison needs, planned from a baseline log.

    The rate or mean, cases a day, the day-to-day variation (design effect) and
    the weekday make-up are read from the log's days; the days a side are the
    fewest with which before-after's day blocks reach the power (at least 10 blocks
    of the block length the rule reads most often).
    """
    from servops._durations import parse_duration
    from servops.improve import day_baseline, plan_before_after
    from servops.improve.beforeafter import RATE_METRICS

    with progress("planning"):
        base = day_baseline(
            log,
            metric,
            until=None if until is None else _change_at(until),
            config=_kpi(log, config),
            segment=_segment(segment),
        )
        if metric in RATE_METRICS:
            try:
                size = float(effect)
            except ValueError:
                msg = (
                    f"--effect of a rate is a fraction, e.g. -0.05 for five points "
                    f"less. Got {effect!r}."
                )
                raise InvalidParameterError(msg) from None
        else:
            size = parse_duration(effect, "--effect").total_seconds()
        plan = plan_before_after(base, size, alpha=alpha, power=power, days=days)

    def render(c: Console) -> None:
        level = (
            f"{100 * base.mean:.1f} %"
            if base.kind == "rate"
            else fmt_duration(base.mean)
        )
        c.print(
            f"baseline: {base.days} days, {base.cases_per_day:.1f} cases a day, "
            f"{metric} {level}, design effect {base.design_effect:.2f}, day-to-day "
            f"correlation {base.day_correlation:.2f}",
            markup=False,
        )
        _render_plan(plan, c)

    emit(
        {"baseline": base.to_dict(), "plan": plan.to_dict()},
        as_json=json,
        render=render,
    )


def ab_cmd(
    log: EventLog,
    variant_column: Annotated[
        str,
        typer.Option(
            "--variant-column",
            help="Case attribute holding each case's (randomly assigned) variant.",
        ),
    ],
    metric: MetricOpt,
    config: KpiConfigOpt = None,
    control: Annotated[
        str | None,
        typer.Option("--control", help="The control variant (default: first sorted)."),
    ] = None,
    treatment: Annotated[
        str | None,
        typer.Option("--treatment", help="The treatment variant (default: the other)."),
    ] = None,
    alpha: Annotated[
        float, typer.Option("--alpha", help="Significance level (CI at 1 - alpha).")
    ] = 0.05,
    expected_share: Annotated[
        float | None,
        typer.Option(
            "--expected-share",
            help="Planned treatment share (e.g. 0.5): warns of a sample ratio mismatch.",
        ),
    ] = None,
    seed: SeedOpt = 0,
    json: JsonOpt = False,
) -> None:
    """A/B test of a KPI between two variants recorded on the cases.

    Rates: pooled z-test with Newcombe's interval at the fixed horizon, and an
    always-valid sequential test that may be looked at after every case. Durations:
    bootstrap intervals and the Mann-Whitney test.
    """
    from servops.improve import ab_test

    with progress("testing"):
        r = ab_test(
            log,
            variant_column,
            metric,
            control=control,
            treatment=treatment,
            config=_kpi(log, config),
            alpha=alpha,
            expected_share=expected_share,
            seed=seed,
        )

    emit(r, as_json=json, render=partial(_summary_and_notes, r))


def targets_cmd(
    log: EventLog,
    targets: Annotated[
        Path,
        typer.Option(
            "--targets",
            "-t",
            help="Targets YAML: name, metric, statistic, segment, baseline, target, "
            "deadline (docs/improve.md).",
        ),
    ],
    config: KpiConfigOpt = None,
    window_weeks: Annotated[
        int,
        typer.Option("--window", help="Weeks of arrivals the current value covers."),
    ] = 4,
    json: JsonOpt = False,
) -> None:
    """Status of KPI targets: on track, at risk, met or missed, with the trend.

    The trend of the weekly values after the baseline is projected to the deadline
    with a 90 % prediction interval and the chance of meeting the target.
    """
    from servops.improve import load_targets, target_status

    items = load_targets(targets)
    with progress("assessing targets"):
        result = target_status(
            log, items, config=_kpi(log, config), window_weeks=window_weeks
        )

    def render(c: Console) -> None:
        rows = []
        for s in result:
            t = s.target
            rows.append(
                [
                    t.objective or t.perspective or "",
                    t.name,
                    s.status,
                    s.current,
                    t.value,
                    s.projected,
                    None if s.p_meet is None else f"{100 * s.p_meet:.0f} %",
                    t.deadline.isoformat(),
                ]
            )
        c.print(
            simple_table(
                "Targets",
                [
                    "objective",
                    "target",
                    "status",
                    "current",
                    "goal",
                    "projected",
                    "chance",
                    "deadline",
                ],
                [
                    _unit_row(r, s.target.metric)
                    for r, s in zip(rows, result, strict=True)
                ],
            )
        )
        for s in result:
            c.print(s.summary, soft_wrap=True)
            for note in s.notes:
                c.print(f"[dim]note: {note}[/]")

    emit(list(result), as_json=json, render=render)


ByOpt = Annotated[
    str,
    typer.Option(
        "--by",
        help="Periods of the control chart and the time series: day (with "
        "day-of-week effects in the ITS) or week.",
    ),
]
WindowOpt = Annotated[
    str | None,
    typer.Option(
        "--window",
        help="Only periods starting within this long of the change (e.g. 4w); "
        "default: all.",
    ),
]
ChangeAtOpt = Annotated[
    str,
    typer.Option(
        "--change-at",
        help="When the change took effect: a date (in the config's time zone) or an "
        "ISO time.",
    ),
]
SegmentOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--segment",
        help="Only cases with ATTRIBUTE=VALUE (repeatable), e.g. priority=P2.",
    ),
]


def _by(value: str) -> Literal["day", "week"]:
    if value not in ("day", "week"):
        msg = f"--by must be day or week. Got {value!r}."
        raise InvalidParameterError(msg)
    return "day" if value == "day" else "week"


def _window(value: str | None) -> timedelta | None:
    from servops._durations import parse_duration

    return None if value is None else parse_duration(value, "--window")


def _kpi(log: EventLog, config: Path | None) -> KpiConfig | Path | None:
    """The KPI config given, else the service's roles for a live service log.

    A log read from the service (``--service URL``) gets its state machine's activity
    roles (:func:`servops.cli.kpi.service_config`), as the kpi and report commands do:
    guessed from names, its open tickets would count as closed at their last event.
    """
    from servops.cli.kpi import service_config

    return config if config is not None else service_config(log)


def _moment(log: EventLog, value: str, config: KpiConfig | Path | None) -> datetime:
    """``--change-at`` as an aware time: a date or naive time in the config's zone."""
    from zoneinfo import ZoneInfo

    from servops.kpi.cases import resolve_config

    v = _change_at(value)
    zone = ZoneInfo(resolve_config(config, log).timezone)
    if not isinstance(v, datetime):
        v = datetime(v.year, v.month, v.day)
    return v if v.tzinfo is not None else v.replace(tzinfo=zone)


def projects_cmd(
    log: EventLog,
    projects: Annotated[
        Path,
        typer.Option(
            "--projects",
            "-p",
            help="Projects YAML: id, title, change, at, segment, metrics, expected "
            "(optionally predicted_by a twin scenario), plan, status, window "
            "(docs/improve.md).",
        ),
    ],
    config: KpiConfigOpt = None,
    cost: Annotated[
        Path | None,
        typer.Option("--cost", help="Cost model YAML: adds the saving per month."),
    ] = None,
    by: ByOpt = "day",
    twin: Annotated[
        bool,
        typer.Option(
            "--twin/--no-twin", help="Run the twin scenarios of predicted_by effects."
        ),
    ] = True,
    level: LevelOpt = 0.95,
    seed: SeedOpt = 0,
    json: JsonOpt = False,
) -> None:
    """Evaluate improvement projects (PDCA records) on a log.

    Per project: plan progress (late steps); per metric: the before/after effect
    around the change with its verdict against the expected one, the SPC phase
    comparison (limits before and after, sustained shift), the interrupted time series
    (level and trend change), the twin's prediction beside the measured effect, and
    the evidence plan of an expected change (days a side needed at power 0.8, days
    after the change so far, the day they are reached); with --cost the saving per
    month with its interval.
    """
    from servops.improve import evaluate_projects, load_projects

    items = load_projects(projects)
    with progress("evaluating projects"):
        result = evaluate_projects(
            log,
            items,
            config=_kpi(log, config),
            cost_model=cost,
            by=_by(by),
            predict=twin,
            level=level,
            seed=seed,
        )

    def render(c: Console) -> None:
        rows = []
        for ev in result:
            for m in ev.metrics:
                iv = m.effect
                rate = m.measured is not None and m.measured.kind == "rate"
                rows.append(
                    [
                        ev.project.id,
                        ev.project.status,
                        f"{m.statistic} {m.metric}",
                        m.verdict,
                        *(_effect(iv, rate=rate) if iv is not None else ["n/a"] * 3),
                        "yes"
                        if m.phases is not None and m.phases.sustained_shift
                        else "no"
                        if m.phases is not None
                        else "n/a",
                        f"{len(ev.plan.late)} late" if ev.plan.late else "on time",
                    ]
                )
        c.print(
            simple_table(
                f"Projects: change after - before ({round(100 * level)} % CI)",
                [
                    "project",
                    "PDCA",
                    "metric",
                    "verdict",
                    "effect",
                    "low",
                    "high",
                    "SPC shift",
                    "plan",
                ],
                rows,
            )
        )
        for ev in result:
            c.print(ev.summary, soft_wrap=True)
            for m in ev.metrics:
                ep = m.evidence_plan
                if ep is not None and ep.plan is not None:
                    c.print(
                        f"evidence plan: {ep.summary}", soft_wrap=True, markup=False
                    )
                elif ep is not None and m.expected is not None:
                    c.print(
                        f"evidence plan: {ep.summary}",
                        style="dim",
                        soft_wrap=True,
                        markup=False,
                    )
                for note in m.notes:
                    c.print(f"[dim]note: {note}[/]")
            if ev.cost is not None:
                for note in ev.cost.notes:
                    c.print(f"[dim]note: {note}[/]")

    emit(list(result), as_json=json, render=render)


def phases_cmd(
    log: EventLog,
    change_at: ChangeAtOpt,
    metric: MetricOpt,
    config: KpiConfigOpt = None,
    segment: SegmentOpt = None,
    by: ByOpt = "week",
    window: WindowOpt = None,
    run_length: Annotated[
        int,
        typer.Option(
            "--run", help="Points in a row on one side of the before centre line."
        ),
    ] = 9,
    html: Annotated[
        Path | None,
        typer.Option("--html", help="Also write the two-phase control chart (HTML)."),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """SPC phase comparison: control limits before and after a change.

    Each phase gets its own limits; the points after the change are also tested
    against the before limits for a sustained shift (Nelson test 2: --run points in a
    row on one side of the before centre line) and points beyond them.
    """
    from servops.improve.phases import metric_phases

    with progress("charting"):
        r = metric_phases(
            log,
            metric,
            _moment(log, change_at, _kpi(log, config)),
            by=_by(by),
            segment=_segment(segment),
            config=_kpi(log, config),
            window=_window(window),
            run_length=run_length,
        )
    if html is not None:
        _write_phase_chart(r, html)

    def render(c: Console) -> None:
        c.print(r.summary, soft_wrap=True)
        rows = [
            [name, float(p.lcl[0]), float(p.center[0]), float(p.ucl[0]), n]
            for name, p, n in (
                ("before", r.before.primary, r.change_index),
                ("after", r.after.primary, len(r.labels) - r.change_index),
            )
        ]
        c.print(
            simple_table("Limits per phase", ["phase", "LCL", "CL", "UCL", "n"], rows)
        )
        for note in r.notes:
            c.print(f"[dim]note: {note}[/]")
        if html is not None:
            c.print(f"chart: {html}")

    emit(r, as_json=json, render=render)


def _write_phase_chart(r: PhaseComparison, path: Path) -> None:
    """One self-contained HTML page with the two-phase chart (the report's SVG chart)."""
    from html import escape

    from servops.report.sections.spc import control_chart_svg

    title = r.summary.split(":")[0]
    svg = control_chart_svg(
        r.chart,
        list(r.labels),
        title=f"{title}: before | after from {r.labels[r.change_index]} (rings: after "
        "points tested against the before limits)",
        y_label=r.unit,
    )
    page = (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head><body>{svg}"
        f"<p>{escape(r.summary)}</p></body></html>"
    )
    path.write_text(page, encoding="utf-8")


def its_cmd(
    log: EventLog,
    change_at: ChangeAtOpt,
    metric: MetricOpt,
    config: KpiConfigOpt = None,
    segment: SegmentOpt = None,
    by: ByOpt = "week",
    window: WindowOpt = None,
    maxlags: Annotated[
        int | None,
        typer.Option("--lags", help="Newey-West lags (default: 4 (n/100)^(2/9))."),
    ] = None,
    inference: Annotated[
        str,
        typer.Option(
            "--inference",
            help="bootstrap (AR(1) bootstrap-t critical values, the default) or t "
            "(Student's t, as statsmodels).",
        ),
    ] = "bootstrap",
    level: LevelOpt = 0.95,
    seed: SeedOpt = 0,
    json: JsonOpt = False,
) -> None:
    """Interrupted time series: level and trend change of a KPI at a change.

    Segmented regression of the KPI per period with Newey-West standard errors (and
    day-of-week effects for daily series).
    """
    from servops.improve.its import metric_its

    if inference not in ("bootstrap", "t"):
        msg = f"--inference must be bootstrap or t. Got {inference!r}."
        raise InvalidParameterError(msg)
    with progress("fitting"):
        r = metric_its(
            log,
            metric,
            _moment(log, change_at, _kpi(log, config)),
            by=_by(by),
            segment=_segment(segment),
            config=_kpi(log, config),
            window=_window(window),
            maxlags=maxlags,
            level=level,
            inference="t" if inference == "t" else "bootstrap",
            seed=seed,
        )

    def render(c: Console) -> None:
        c.print(r.summary, soft_wrap=True)
        rows = [
            [name, float(p), float(s)]
            for name, p, s in zip(r.names, r.params, r.se, strict=True)
        ]
        c.print(
            simple_table(
                f"Segmented regression ({r.n} {r.period}s, {r.lags} Newey-West lags, "
                f"unit {r.unit})",
                ["coefficient", "estimate", "HAC se"],
                rows,
            )
        )
        for note in r.notes:
            c.print(f"[dim]note: {note}[/]")

    emit(r, as_json=json, render=render)


def cost_cmd(
    log: EventLog,
    cost: Annotated[
        Path,
        typer.Option(
            "--cost",
            help="Cost model YAML: per_agent_hour, per_ticket, per_breach, "
            "per_waiting_hour, currency.",
        ),
    ],
    change_at: ChangeAtOpt,
    config: KpiConfigOpt = None,
    segment: SegmentOpt = None,
    running_cost: Annotated[
        float | None,
        typer.Option(
            "--running-cost", help="The change's own cost per month: the net saving."
        ),
    ] = None,
    level: LevelOpt = 0.95,
    seed: SeedOpt = 0,
    dependence: Annotated[
        str,
        typer.Option(
            "--dependence",
            help="What the bootstrap resamples: day (blocks of consecutive arrival "
            "days, for cases that share a queue), week, or none (cases "
            "independently).",
        ),
    ] = "day",
    json: JsonOpt = False,
) -> None:
    """What a change saves per month under a cost model, with a bootstrap interval.

    The per-case difference is resampled in blocks of arrival days by default, as
    before-after resamples durations.
    """
    from servops.improve.cost import cost_saving

    with progress("costing"):
        r = cost_saving(
            log,
            cost,
            _change_at(change_at),
            segment=_segment(segment),
            config=_kpi(log, config),
            running_cost_per_month=running_cost,
            level=level,
            seed=seed,
            dependence=dependence,  # type: ignore[arg-type]  # checked by cost_saving
        )

    emit(r, as_json=json, render=partial(_summary_and_notes, r))


def _unit_row(row: Sequence[object], metric: str) -> list[object]:
    from servops.improve.beforeafter import DURATION_METRICS

    def fmt(v: object) -> object:
        if not isinstance(v, float):
            return v
        return fmt_duration(v) if metric in DURATION_METRICS else f"{100 * v:.1f} %"

    return [*row[:3], *(fmt(v) for v in row[3:6]), *row[6:]]


def register(app: typer.Typer) -> None:
    """Add the ``improve`` command group to ``app``."""
    sub = typer.Typer(no_args_is_help=True, help=HELP)
    sub.command("before-after")(log_command(before_after_cmd))
    sub.command("sample-size")(sample_size_cmd)
    sub.command("plan-before-after")(log_command(plan_before_after_cmd))
    sub.command("ab")(log_command(ab_cmd))
    sub.command("targets")(log_command(targets_cmd))
    sub.command("projects")(log_command(projects_cmd))
    sub.command("phases")(log_command(phases_cmd))
    sub.command("its")(log_command(its_cmd))
    sub.command("cost")(log_command(cost_cmd))
    app.add_typer(sub, name="improve")
