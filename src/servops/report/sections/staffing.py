"""The staffing section: forecast vs actual, staffing curve, shifts, simulation check.

It shows the simulated service level per interval beside Erlang's prediction.

Options come from ``ctx.extras["staffing"]`` (all optional): ``interval`` ("1h"),
``service_level`` (0.8), ``threshold_s`` (20), ``shrinkage`` (0.3), ``patience_s``,
``aht_s`` (default: the log's mean handle time), ``simulate`` (True), ``runs`` (5).
The section needs three weeks of arrivals (two to fit, one to check).
"""

from __future__ import annotations

import math
from datetime import timedelta
from html import escape
from typing import Any

import numpy as np

from servops.errors import ServopsError
from servops.report.builder import ReportContext, Section
from servops.report.charts import kpi_cards, line_chart

__all__ = ["build"]


def _labels(ts: np.ndarray) -> list[str]:
    return [str(t)[5:16].replace("T", " ") for t in ts.astype("datetime64[m]")]


def build(ctx: ReportContext) -> Section | None:
    """Forecast vs actual, agents per interval, shifts, Erlang vs simulation."""
    from servops.forecast import ArrivalForecaster, arrival_counts, parse_duration
    from servops.staffing import (
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
    sl_target = float(opts.get("service_level", 0.8))
    threshold = float(opts.get("threshold_s", 20.0))
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
            f"{pooled:.1%} answered within {threshold:g} s.",
            f"整周仿真（{int(opts.get('runs', 5))} 次）：{pooled:.1%} 在 {threshold:g} 秒内接通。",
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
        f"Target {sl_target:.0%} answered within {threshold:g} s, AHT {aht / 60:.1f} min "
        f"(from the log's service times), shrinkage {shrinkage:.0%}, "
        + (
            "Erlang A with patience " + f"{float(patience):g} s"
            if patience
            else "Erlang C (no abandonment)"
        )
        + f"; intervals of {step / 60:g} min; default 8.5 h and 4 h shift templates. "
        f"On last week's arrivals MSTL {verdict} the seasonal naive forecast "
        f"(MAE {mae:.2f} vs {mae_naive:.2f}).",
        f"目标 {sl_target:.0%} 在 {threshold:g} 秒内接通，平均处理时长 {aht / 60:.1f} 分钟"
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
        f"{cards}<p>{escape(assumptions)}</p>{chart1}{chart2}{chart3}"
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
