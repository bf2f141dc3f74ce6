"""The KPI section: headline cards with trends, KPIs over time, SLA, root causes.

Root causes of breaches come as a table, a Pareto chart and decision-tree leaves.

Input: ``ctx.extras["kpi_config"]`` (a :class:`~servops.kpi.KpiConfig` or a YAML path);
without it the config is guessed from the log's activity names (and the section says
so). The per-case table is left in ``ctx.cache["kpi_cases"]`` for other sections.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from servops._durations import format_duration
from servops.kpi import (
    KpiConfig,
    case_metrics,
    compute_kpis,
    load_config,
    root_causes,
    sla_report,
)
from servops.log.periods import log_period
from servops.report.charts import bar_chart, kpi_cards, line_chart

if TYPE_CHECKING:
    from servops.kpi.causes import Outcome
    from servops.kpi.kpis import Period
    from servops.report.builder import ReportContext, Section

__all__ = ["build"]


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.1f}%"


def _rate(row: dict[str, Any], key: str, unmeasurable: dict[str, str]) -> str:
    """A rate, or ``n/a`` when the KPI config cannot measure it."""
    return "n/a" if key in unmeasurable else _pct(row[key])


def _time(ctx: ReportContext, seconds: float | None, *, business: bool) -> str:
    """Business time in business hours; clock time as a duration."""
    if business and seconds is not None:
        return ctx.t(
            f"{seconds / 3600:.1f} business h", f"{seconds / 3600:.1f} 工作小时"
        )
    return format_duration(seconds)


def _trend(ctx: ReportContext, rows: list[dict[str, Any]], key: str, unit: str) -> str:
    """``▲ 12% vs previous week`` from the last two periods that have a value."""
    vals = [r[key] for r in rows if r.get(key) is not None]
    if len(vals) < 2 or not vals[-2]:
        return ""
    now, before = float(vals[-1]), float(vals[-2])
    if key.endswith(("_rate", "attainment")):
        diff = 100 * (now - before)
        text = f"{diff:+.1f} pt"
    else:
        text = f"{100 * (now - before) / before:+.0f}%"
    arrow = "▲" if now > before else ("▼" if now < before else "=")
    return ctx.t(f"{arrow} {text} vs previous {unit}", f"{arrow} 较上{unit}变化 {text}")


def _table(head: list[str], rows: list[list[str]], numeric: set[int]) -> str:
    th = "".join(
        f'<th class="num">{escape(h)}</th>' if i in numeric else f"<th>{escape(h)}</th>"
        for i, h in enumerate(head)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{escape(c)}</td>'
            if i in numeric
            else f"<td>{escape(c)}</td>"
            for i, c in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    return (
        f'<table class="data"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'
    )


def _config(ctx: ReportContext) -> KpiConfig:
    given = ctx.extras.get("kpi_config")
    if isinstance(given, KpiConfig):
        return given
    return load_config(given, ctx.log)


def build(ctx: ReportContext) -> Section | None:
    """KPI cards with trends, KPIs per period, SLA attainment and root causes."""
    from servops.report.builder import Section

    t = ctx.t
    cfg = _config(ctx)
    cases = case_metrics(ctx.log, cfg)
    if cases.num_rows == 0:
        return None
    ctx.cache["kpi_cases"] = cases
    ctx.cache["kpi_config"] = cfg
    by: Period = log_period(ctx.log)  # the control-chart section's period too
    unit_en = {"day": "day", "week": "week", "month": "month"}[by]
    unit_zh = {"day": "日", "week": "周", "month": "月"}[by]
    unit = t(unit_en, unit_zh)
    total = compute_kpis(ctx.log, cfg, by=None, cases=cases).to_pylist()[0]
    unmeasurable = cfg.unmeasurable()
    rows = compute_kpis(ctx.log, cfg, by=by, cases=cases).to_pylist()
    # periods cut by the log's start or end (censored) are not comparable with whole
    # ones: the trends compare the last two whole periods
    full = [r for r in rows if not r["censored"]]

    items = [
        (t("Cases", "案例数"), f"{total['cases']:,}", ""),
        (t("Open at end", "期末未结"), f"{total['backlog']:,}", ""),
        (
            t("Median lead time", "交付周期中位数"),
            format_duration(total["lead_time_median_s"]),
            _trend(ctx, full, "lead_time_median_s", unit),
        ),
        (
            t("Median first response", "首次响应中位数"),
            format_duration(total["first_response_median_s"]),
            _trend(ctx, full, "first_response_median_s", unit),
        ),
        (
            t("Resolution time p90", "解决时长 P90"),
            format_duration(total["resolution_time_p90_s"]),
            _trend(ctx, full, "resolution_time_p90_s", unit),
        ),
        (
            t("SLA attainment", "SLA 达成率"),
            _rate(total, "sla_attainment", unmeasurable),
            _trend(ctx, full, "sla_attainment", unit)
            if "sla_attainment" not in unmeasurable
            else t("not measurable: ", "无法测量：") + unmeasurable["sla_attainment"],
        ),
        (
            t("Reopen rate", "重开率"),
            _rate(total, "reopen_rate", unmeasurable),
            _trend(ctx, full, "reopen_rate", unit)
            if "reopen_rate" not in unmeasurable
            else t("not measurable: ", "无法测量：") + unmeasurable["reopen_rate"],
        ),
        (
            t("First-contact resolution", "首次解决率"),
            _rate(total, "fcr_rate", unmeasurable),
            _trend(ctx, full, "fcr_rate", unit)
            if "fcr_rate" not in unmeasurable
            else t("not measurable: ", "无法测量：") + unmeasurable["fcr_rate"],
        ),
    ]
    cards = kpi_cards([(a, b) for a, b, _ in items], notes=[c for _, _, c in items])

    partial = t(" (partial)", "（不完整）")
    labels = [str(r["period"]) + (partial if r["censored"] else "") for r in rows]

    def hours(key: str) -> list[float | None]:
        return [None if r[key] is None else r[key] / 3600 for r in rows]

    charts = line_chart(
        labels,
        {
            t("lead time median", "交付周期中位数"): hours("lead_time_median_s"),
            t("resolution p90", "解决时长 P90"): hours("resolution_time_p90_s"),
            t("first response median", "首次响应中位数"): hours(
                "first_response_median_s"
            ),
        },
        title=t(f"Times per {unit_en} (hours)", f"每{unit_zh}时长（小时）"),
        y_label=t("hours", "小时"),
    )
    charts += line_chart(
        labels,
        {
            t("arrived", "到达"): [float(r["cases"]) for r in rows],
            t("closed", "关闭"): [float(r["closed"]) for r in rows],
            t("backlog", "积压"): [float(r["backlog"]) for r in rows],
        },
        title=t(
            f"Arrivals, throughput and backlog per {unit_en}",
            f"每{unit_zh}到达、完成与积压",
        ),
        y_label=t("cases", "案例"),
    )
    parts = [cards, charts]

    if cfg.policies:
        rep = sla_report(ctx.log, cfg, cases=cases)
        parts.append(
            line_chart(
                labels,
                {
                    t("SLA attainment", "SLA 达成率"): [
                        None
                        if r["sla_attainment"] is None
                        else 100 * r["sla_attainment"]
                        for r in rows
                    ]
                },
                title=t(
                    f"SLA attainment per {unit_en} (%)", f"每{unit_zh} SLA 达成率（%）"
                ),
                y_label="%",
            )
        )
        parts.append(
            f"<h3>{t('SLA attainment per policy', '各 SLA 策略达成情况')}</h3>"
        )
        parts.append(
            _table(
                [
                    t("policy", "策略"),
                    t("calendar", "日历"),
                    t("response target", "响应目标"),
                    t("resolution target", "解决目标"),
                    t("cases", "案例"),
                    t("met", "达成"),
                    t("breached", "违约"),
                    t("pending", "未定"),
                    t("attainment", "达成率"),
                ],
                [
                    *(
                        [
                            p["policy"],
                            p["calendar"],
                            _time(
                                ctx,
                                p["first_response_target_s"],
                                business=p["business"],
                            ),
                            _time(
                                ctx, p["resolution_target_s"], business=p["business"]
                            ),
                            f"{p['cases']:,}",
                            f"{p['met']:,}",
                            f"{p['breached']:,}",
                            f"{p['pending']:,}",
                            _pct(p["attainment"]),
                        ]
                        for p in rep.policies
                    ),
                    [
                        t("total", "合计"),
                        "",
                        "",
                        "",
                        f"{rep.total['cases']:,}",
                        f"{rep.total['met']:,}",
                        f"{rep.total['breached']:,}",
                        f"{rep.total['pending']:,}",
                        _pct(rep.attainment),
                    ],
                ],
                {4, 5, 6, 7, 8},
            )
        )
        worst = rep.breaches.slice(0, 10).to_pylist()
        if worst:
            parts.append(
                f"<details><summary>{t('Breaches, most late first', '超时最多的违约')} "
                f"({rep.breaches.num_rows:,})</summary>"
                + _table(
                    [
                        t("case", "案例"),
                        t("policy", "策略"),
                        t("target", "指标"),
                        t("late by", "超出"),
                        t("still open", "仍未结"),
                    ],
                    [
                        [
                            str(b["case_id"]),
                            str(b["policy"]),
                            str(b["metric"]),
                            _time(ctx, b["late_s"], business=b["business"]),
                            t("yes", "是") if b["open"] else "",
                        ]
                        for b in worst
                    ],
                    {3},
                )
                + "</details>"
            )

    outcome: Outcome = "sla_breach" if cfg.policies else "long_lead_time"
    rc = root_causes(ctx.log, outcome, cfg, cases=cases)
    title = (
        t("Why SLAs are breached", "SLA 违约的原因")
        if outcome == "sla_breach"
        else t("What goes with long lead times", "交付周期过长的相关因素")
    )
    parts.append(f"<h3>{title}</h3>")
    parts.append(
        f'<p class="note">{escape(rc.definition)}: {rc.positives:,} / {rc.cases:,} '
        + t(
            "cases. Factors over-represented among them (one-sided Fisher test, "
            f"Benjamini–Hochberg false discovery rate {rc.alpha:.0%}). Associations, "
            "not proof of cause.",
            f"个案例。下列因素在其中显著偏多（单侧 Fisher 检验，Benjamini–Hochberg "
            f"错误发现率 {rc.alpha:.0%}）。这是关联，并非因果证明。",
        )
        + "</p>"
    )
    sig = rc.significant()[:12]
    if sig:
        parts.append(
            _table(
                [
                    t("factor", "因素"),
                    t("cases", "案例"),
                    t("support", "支持度"),
                    t("rate", "发生率"),
                    t("rate without", "无此因素时"),
                    t("lift", "提升度"),
                    t("q-value", "q 值"),
                ],
                [
                    [
                        r["label"],
                        f"{r['cases']:,}",
                        _pct(r["support"]),
                        _pct(r["rate"]),
                        _pct(r["rate_without"]),
                        f"{r['lift']:.2f}",
                        f"{r['q_value']:.2g}",
                    ]
                    for r in sig
                ],
                {1, 2, 3, 4, 5, 6},
            )
        )
    else:
        parts.append(
            f'<p class="empty">{t("No significant factor.", "没有显著因素。")}</p>'
        )
    if rc.pareto:
        parts.append(
            bar_chart(
                [str(p["cause"])[:48] for p in rc.pareto],
                [float(p["cases"]) for p in rc.pareto],
                title=t(
                    "Pareto of causes (cases first explained)",
                    "原因帕累托图（首先解释的案例数）",
                ),
                y_label=t("cases", "案例"),
                cumulative=[float(p["cumulative"]) for p in rc.pareto],
            )
        )
    leaves = rc.tree.get("leaves", []) if rc.tree else []
    if leaves:
        items_html = "".join(
            f"<li>{escape(' ∧ '.join(lf['conditions']) or t('all cases', '全部案例'))}: "
            f"{_pct(lf['rate'])} ({lf['outcome_cases']:,}/{lf['cases']:,})</li>"
            for lf in leaves
        )
        parts.append(
            f"<details><summary>{t('Decision tree (leaves)', '决策树（叶节点）')}</summary>"
            f"<ul>{items_html}</ul></details>"
        )
    if cfg.notes and "kpi_config" not in ctx.extras:
        notes = "".join(f"<li>{escape(n)}</li>" for n in cfg.notes)
        parts.append(
            f"<details><summary>{t('How KPIs were defined', 'KPI 定义说明')}</summary>"
            f"<ul>{notes}</ul></details>"
        )
    summary = t(
        f"{total['cases']:,} cases; median lead time {format_duration(total['lead_time_median_s'])}"
        + (
            f"; SLA attainment {_pct(total['sla_attainment'])}."
            if cfg.policies
            else "."
        ),
        f"{total['cases']:,} 个案例；交付周期中位数 {format_duration(total['lead_time_median_s'])}"
        + (f"；SLA 达成率 {_pct(total['sla_attainment'])}。" if cfg.policies else "。"),
    )
    return Section(
        id="kpi",
        title=t("Service KPIs and SLAs", "服务 KPI 与 SLA"),
        html="".join(parts),
        summary=summary,
    )
