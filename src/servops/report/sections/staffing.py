"""The staffing section: forecast vs actual, staffing curve, shifts, simulation check.

It shows the simulated service level per interval beside Erlang's prediction.

Options come from ``ctx.extras["staffing"]`` (all optional): ``interval`` ("1h"),
``service_level`` (0.9), ``threshold_s`` (default: the first-response time of the KPI
config's SLA policy, else 20), ``shrinkage`` (0.3), ``patience_s``, ``aht_s`` (default:
the log's mean handle time), ``simulate`` (True), ``runs`` (5), ``isa_runs`` (20).
The section needs three weeks of arrivals (two to fit, one to check).

Next week's staffing is shown twice: per-interval Erlang, and the iterative staffing
algorithm (:func:`servops.staffing.isa_staffing`), each with its simulated service level
per interval and a note saying whether per-interval Erlang is valid for this desk.
"""

from __future__ import annotations

import math
from datetime import timedelta
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

from servops._durations import format_duration
from servops.errors import ServopsError
from servops.report.builder import ReportContext, Section
from servops.report.charts import kpi_cards, line_chart

if TYPE_CHECKING:
    from servops.staffing import IsaResult, ServiceTarget

__all__ = ["build"]


def _target(ctx: ReportContext, opts: dict[str, Any]) -> ServiceTarget:
    """The options' target, else the SLA's first response (90 %), else 80 % in 20 s."""
    from servops.kpi import sla_report
    from servops.kpi.cases import resolve_config
    from servops.staffing import ServiceTarget, service_target_from_sla

    level = float(opts.get("service_level", 0.9))
    if "threshold_s" in opts:
        return ServiceTarget(level, float(opts["threshold_s"]), "report options")
    try:
        cfg = ctx.cache.get("kpi_config") or resolve_config(
            ctx.extras.get("kpi_config"), ctx.log
        )
        rep = sla_report(ctx.log, cfg, cases=ctx.cache.get("kpi_cases"))
        counts = {p["policy"]: p["cases"] for p in rep.policies}
        # The same rule as servops staff -c (service_target_from_sla with the log).
        return service_target_from_sla(cfg, level=level, cases=counts)
    except ServopsError:
        return ServiceTarget(float(opts.get("service_level", 0.8)), 20.0, "default")


def _isa_html(ctx: ReportContext, res: IsaResult, labels: list[str]) -> str:
    """Agents and simulated service level: per-interval Erlang vs ISA, and the note."""
    t = ctx.t
    d = res.to_dict()
    e, i = d["erlang"], d["isa"]

    def series(values: np.ndarray) -> list[float | None]:
        return [
            float(v) if math.isfinite(v) and c > 0 else None
            for v, c in zip(values, res.calls, strict=True)
        ]

    agents = line_chart(
        labels,
        {
            t(
                "Erlang per interval", "逐时段 Erlang"
            ): res.erlang_agents_on_queue.astype(float).tolist(),
            t("ISA (simulation)", "ISA（仿真）"): res.agents_on_queue.astype(
                float
            ).tolist(),
        },
        title=t(
            "Agents on the queue: per-interval Erlang vs ISA",
            "在线人数：逐时段 Erlang 与 ISA",
        ),
        y_label=t("agents", "人数"),
    )
    sl = line_chart(
        labels,
        {
            t("Erlang staffing, simulated", "Erlang 排班仿真"): series(
                res.erlang_simulated_service_level
            ),
            t("ISA staffing, simulated", "ISA 排班仿真"): series(
                res.simulated_service_level
            ),
        },
        title=t(
            "Simulated service level per interval (fresh runs)",
            "每时段仿真服务水平（独立仿真）",
        ),
        y_label=t("share answered in time", "及时响应比例"),
        hlines=[(res.target.level, t("target", "目标"), "#888")],
    )

    def pct(v: float | None) -> str:
        return "–" if v is None else f"{v:.1%}"

    verdict = t(
        f"Per-interval Erlang: {e['intervals_below_target']} intervals short of the target "
        f"in simulation ({pct(e['simulated_service_level'])} overall); ISA: "
        f"{i['intervals_below_target']} ({pct(i['simulated_service_level'])}), "
        f"{i['agent_hours']:,.0f} vs {e['agent_hours']:,.0f} agent-hours on the queue. ",
        f"逐时段 Erlang：仿真中 {e['intervals_below_target']} 个时段低于目标"
        f"（总体 {pct(e['simulated_service_level'])}）；ISA：{i['intervals_below_target']} 个"
        f"（{pct(i['simulated_service_level'])}），在线人时 {i['agent_hours']:,.0f} 对 "
        f"{e['agent_hours']:,.0f}。",
    )
    notes = " ".join(res.notes)
    return (
        f"<p>{escape(verdict)}{escape(notes) if ctx.lang == 'en' else ''}</p>"
        f"{agents}{sl}"
    )


def _labels(ts: np.ndarray) -> list[str]:
    return [str(t)[5:16].replace("T", " ") for t in ts.astype("datetime64[m]")]


def build(ctx: ReportContext) -> Section | None:
    """Forecast vs actual, agents per interval, shifts, Erlang vs simulation."""
    from servops.forecast import ArrivalForecaster, arrival_counts, parse_duration
    from servops.staffing import (
        isa_staffing,
        schedule_shifts,
        simulate_staffing,
        staffing_requirements,
    )

    t = ctx.t
    opts: dict[str, Any] = dict(ctx.extras.get("staffing") or {})
    interval = parse_duration(opts.get("interval", "1h"), "interval")
    try:
        series = arrival_counts(ctx.log, interval=interval)
    except ServopsError:
        return None
    step = series.interval_s
    week = int(7 * 86400 // step)
    if len(series) < 3 * week or series.counts.sum() < 3 * 7:
        return None
    target = _target(ctx, opts)
    sl_target, threshold = target.level, target.threshold_s
    shrinkage = float(opts.get("shrinkage", 0.3))
    patience = opts.get("patience_s")
    aht = opts.get("aht_s") or series.mean_aht_s()
    if aht is None:
        return None  # no handle time in the log and none configured
    aht = float(aht)

    # 1. Forecast vs actual: fit without the last week, forecast it, compare.
    train = series.slice(0, len(series) - week)
    actual = series.counts[len(series) - week :]
    fc_mstl = ArrivalForecaster("mstl").fit(train).predict(week)
    fc_naive = ArrivalForecaster("seasonal_naive").fit(train).predict(week)
    mae = float(np.mean(np.abs(actual - fc_mstl.mean)))
    mae_naive = float(np.mean(np.abs(actual - fc_naive.mean)))
    chart1 = line_chart(
        _labels(fc_mstl.timestamps()),
        {
            t("actual", "实际"): actual.tolist(),
            "MSTL": fc_mstl.mean.round(2).tolist(),
            t("seasonal naive", "季节朴素"): fc_naive.mean.tolist(),
        },
        title=t(
            "Arrivals per interval: last week, forecast vs actual",
            "每时段到达量：最近一周预测与实际",
        ),
        y_label=t("arrivals", "到达数"),
    )
    verdict = t("beats", "优于") if mae < mae_naive else t("does not beat", "未优于")

    # 2. Staffing curve for the coming week.
    fc = ArrivalForecaster("mstl").fit(series).predict(week)
    plan = staffing_requirements(
        fc.mean,
        interval=step,
        aht=aht,
        service_level=sl_target,
        threshold=threshold,
        patience=patience,
        shrinkage=shrinkage,
        interval_start=fc.timestamps(),
    )
    labels = _labels(fc.timestamps())
    chart2 = line_chart(
        labels,
        {
            t("agents to schedule", "需排班人数"): plan["agents"]
            .astype(float)
            .tolist(),
            t("agents on the queue", "在线人数"): plan["agents_on_queue"]
            .astype(float)
            .tolist(),
            t("offered load (Erlangs)", "话务量 (Erlang)"): plan["load_erlangs"]
            .round(2)
            .tolist(),
        },
        title=t(
            "Staffing curve: agents needed per interval next week",
            "人员需求曲线：下周每时段所需人数",
        ),
        y_label=t("agents", "人数"),
    )

    # 2b. The same week staffed by simulation (ISA), beside per-interval Erlang.
    isa_html = ""
    if patience is None:
        res = isa_staffing(
            fc.mean,
            interval=step,
            aht=aht,
            target=target,
            shrinkage=shrinkage,
            runs=int(opts.get("isa_runs", 20)),
            seed=1,
            interval_start=fc.timestamps(),
        )
        isa_html = _isa_html(ctx, res, labels)
    else:
        isa_html = (
            "<p>"
            + escape(
                t(
                    "No ISA staffing: it models no abandonment, and a patience is set.",
                    "未做 ISA 排班：该方法不考虑放弃，而已设置耐心时间。",
                )
            )
            + "</p>"
        )

    # 3. Shift schedule covering the requirement.
    sched = schedule_shifts(
        plan["required_fte"],
        start=fc.start,
        interval=timedelta(seconds=step),
        time_limit=20.0,
    )
    chart3 = line_chart(
        labels,
        {
            t("required", "需求"): sched.required.round(2).tolist(),
            t("scheduled", "排班"): sched.scheduled.tolist(),
        },
        title=t("Schedule coverage: scheduled vs required", "排班覆盖：排班与需求"),
        y_label=t("agents", "人数"),
    )
    sd = sched.to_dict()
    by_day: dict[str, int] = {}
    for s in sched.shifts:
        key = s.start.strftime("%a %m-%d")
        by_day[key] = by_day.get(key, 0) + s.count
    day_rows = "".join(
        f"<tr><td>{escape(k)}</td><td>{v}</td></tr>" for k, v in by_day.items()
    )
    shift_table = (
        f"<table><thead><tr><th>{t('day', '日期')}</th><th>{t('shifts', '班次数')}"
        f"</th></tr></thead><tbody>{day_rows}</tbody></table>"
    )

    # 4. Proof by simulation: the schedule's agents on the queue, per interval.
    sim_html = ""
    sim_note = ""
    if opts.get("simulate", True):
        on_queue = sched.agents_on_queue(shrinkage)
        table = simulate_staffing(
            fc.mean,
            on_queue,
            interval=step,
            aht=aht,
            threshold=threshold,
            patience=patience,
            runs=int(opts.get("runs", 5)),
            seed=1,
            start=fc.start,
        )
        erl = np.asarray(table.column("erlang_service_level").to_numpy(), float)
        sim = np.asarray(
            table.column("simulated_service_level").to_numpy(zero_copy_only=False),
            float,
        )
        busy = fc.mean >= 0.5
        sim_html = line_chart(
            labels,
            {
                "Erlang": [
                    float(v) if b else None for v, b in zip(erl, busy, strict=True)
                ],
                t("simulated", "仿真"): [
                    float(v) if b and math.isfinite(v) else None
                    for v, b in zip(sim, busy, strict=True)
                ],
            },
            title=t(
                "Service level per interval: Erlang prediction vs simulation",
                "每时段服务水平：Erlang 预测与仿真",
            ),
            y_label=t("share answered in time", "及时接通比例"),
            hlines=[(sl_target, t("target", "目标"), "#888")],
        )
        offered = np.asarray(table.column("simulated_offered").to_numpy(), float)
        ok = np.isfinite(sim) & (offered > 0)
        pooled = (
            float(np.sum(sim[ok] * offered[ok]) / offered[ok].sum())
            if ok.any()
            else math.nan
        )
        sim_note = t(
            f"Simulated over the week ({int(opts.get('runs', 5))} runs): "
            f"{pooled:.1%} answered within {format_duration(threshold)}.",
            f"整周仿真（{int(opts.get('runs', 5))} 次）：{pooled:.1%} 在 "
            f"{format_duration(threshold)} 内响应。",
        )

    cards = kpi_cards(
        [
            (
                t("Forecast MAE vs naive", "预测 MAE 对比朴素"),
                f"{mae:.2f} / {mae_naive:.2f}",
            ),
            (t("Peak agents", "峰值人数"), f"{int(plan['agents'].max(initial=0))}"),
            (
                t("Agent-hours needed", "所需人时"),
                f"{float(plan['required_fte'].sum() * step / 3600):,.0f}",
            ),
            (t("Shifts", "班次"), f"{sd['shifts_total']}"),
            (t("Over-staffing", "超配人时"), f"{sd['over_agent_hours']:,.0f} h"),
            (t("Under-staffing", "缺配人时"), f"{sd['under_agent_hours']:,.0f} h"),
        ]
    )
    assumptions = t(
        f"Target {sl_target:.0%} answered within {format_duration(threshold)} "
        f"({target.source}), AHT {aht / 60:.1f} min "
        f"(from the log's service times), shrinkage {shrinkage:.0%}, "
        + (
            "Erlang A with patience " + f"{float(patience):g} s"
            if patience
            else "Erlang C (no abandonment)"
        )
        + f"; intervals of {step / 60:g} min; default 8.5 h and 4 h shift templates. "
        f"On last week's arrivals MSTL {verdict} the seasonal naive forecast "
        f"(MAE {mae:.2f} vs {mae_naive:.2f}).",
        f"目标 {sl_target:.0%} 在 {format_duration(threshold)} 内响应，平均处理时长 {aht / 60:.1f} 分钟"
        f"（来自日志的服务时间），缩减率 {shrinkage:.0%}，"
        + (
            "Erlang A（耐心 " + f"{float(patience):g} 秒）"
            if patience
            else "Erlang C（不考虑放弃）"
        )
        + f"；时段 {step / 60:g} 分钟；默认 8.5 小时与 4 小时班次。"
        f"在最近一周的到达上，MSTL {verdict}季节朴素预测"
        f"（MAE {mae:.2f} 对 {mae_naive:.2f}）。",
    )
    html = (
        f"{cards}<p>{escape(assumptions)}</p>{chart1}{chart2}{isa_html}{chart3}"
        f"<details><summary>{t('Shifts per day', '每日班次')}</summary>{shift_table}"
        f"</details>{sim_html}" + (f"<p>{escape(sim_note)}</p>" if sim_note else "")
    )
    return Section(
        id="staffing",
        title=t("Forecast and staffing", "预测与排班"),
        html=html,
        summary=t(
            f"Next week needs up to {int(plan['agents'].max(initial=0))} agents; "
            f"{sd['shifts_total']} shifts cover it.",
            f"下周最多需要 {int(plan['agents'].max(initial=0))} 人；{sd['shifts_total']} 个班次可覆盖。",
        ),
    )
