"""The process section: map, variants, where the time goes, bottlenecks, rework.

Also the handover network. Times are estimates on logs without start times, and the
section says so.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from servops._durations import format_duration
from servops.mining import activity_times, bottlenecks, handovers, rework, variants
from servops.report.charts import bar_chart, kpi_cards
from servops.report.process_map import map_fragment, process_map_data

if TYPE_CHECKING:
    from collections.abc import Sequence

    from servops.kpi import KpiConfig
    from servops.report.builder import ReportContext, Section

__all__ = ["build"]


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], numeric: Sequence[bool]
) -> str:
    head = "".join(
        f'<th class="num">{escape(h)}</th>' if numeric[i] else f"<th>{escape(h)}</th>"
        for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{escape(str(v))}</td>'
            if numeric[i]
            else f"<td>{escape(str(v))}</td>"
            for i, v in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    return f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _kpi_config(ctx: ReportContext) -> KpiConfig:
    """The report's KPI config (given or guessed): customer side, ignored resources."""
    from servops.kpi import KpiConfig, load_config

    given = ctx.extras.get("kpi_config")
    return given if isinstance(given, KpiConfig) else load_config(given, ctx.log)


def build(ctx: ReportContext) -> Section | None:
    """Process map, variants, time profile, bottlenecks, rework and handovers."""
    from servops.report.builder import Section

    log = ctx.log
    t = ctx.t
    if log.n_cases() == 0:
        return None
    data = process_map_data(log)
    var = variants(log)
    cfg = _kpi_config(ctx)
    side = cfg.customer_side()
    # ranked by the team's waiting, as `servops activities` and the bottlenecks below
    times = activity_times(log, customer_side=side)
    bn = bottlenecks(log, top=8, customer_side=side)
    # every activity, for the chart of waiting split into the team's and the customer's
    waits = bottlenecks(log, top=12, customer_side=side).activities
    rw = rework(log)
    # automatic steps and the customer's own turns are not work handed over
    ho = handovers(
        log,
        ignore_resources=cfg.ignore_resources,
        ignore_activities=cfg.customer_activities,
    )
    estimated = times.time_basis == "estimated"
    vs = bn.value_stream

    cards = kpi_cards(
        [
            (t("Variants", "变体"), f"{len(var):,}"),
            (
                t("Top-10 variants cover", "前10个变体覆盖"),
                _pct(sum(v.share for v in var.top(10))),
            ),
            (
                t("Median case duration", "案例时长中位数"),
                format_duration(times.case_duration.median_s),
            ),
            (t("Process cycle efficiency", "流程周期效率"), _pct(vs.pce)),
            (
                t("PCE without customer-side time", "不含客户侧时间的流程周期效率"),
                _pct(vs.pce_without_customer),
            ),
            (t("Cases with rework", "有返工的案例"), _pct(rw.share_with_rework)),
            (
                t("Handovers per case", "每案例交接次数"),
                "–"
                if ho.mean_handovers_per_case is None
                else f"{ho.mean_handovers_per_case:.1f}",
            ),
        ],
        notes=[
            "",
            "",
            "",
            t("estimated", "估算") if estimated else "",
            t("estimated", "估算") if estimated else "",
            "",
            "",
        ],
    )
    warn = ""
    if estimated:
        warn = (
            '<p class="warn">'
            + escape(
                t(
                    "This log has no start times, so waiting and service time cannot be "
                    "measured. Waiting, service, processing time and efficiency below are "
                    "ESTIMATES: an activity is assumed to start when the case was ready "
                    "for it and its resource had finished its previous work.",
                    "此日志没有开始时间，无法测量等待与处理时间。下文的等待时间、处理时间和效率均为"
                    "估算：假定活动在案例就绪且其资源完成上一项工作后开始。",
                )
            )
            + "</p>"
        )

    map_html = f"<h3>{escape(t('Process map', '流程图'))}</h3>" + map_fragment(
        data, lang=ctx.lang
    )

    cum = 0.0
    vrows = []
    for i, v in enumerate(var.top(10), 1):
        cum += v.share
        acts = " → ".join(v.activities)
        vrows.append(
            [
                i,
                f"{v.cases:,}",
                _pct(v.share),
                _pct(cum),
                format_duration(v.median_duration_s),
                acts if len(acts) <= 160 else acts[:157] + "…",
            ]
        )
    variants_html = f"<h3>{escape(t('Variants', '变体'))}</h3>" + _table(
        [
            t("#", "#"),
            t("cases", "案例"),
            t("share", "占比"),
            t("cumulative", "累计"),
            t("median duration", "时长中位数"),
            t("activities", "活动序列"),
        ],
        vrows,
        [True, True, True, True, True, False],
    )

    top_wait = [a for a in waits if a.waiting_total_s]
    basis = t(" (estimated)", "（估算）") if estimated else ""
    time_html = (
        f'<h3 id="process-time">{escape(t("Where the time goes", "时间花在哪里"))}'
        f"{escape(basis)}</h3>"
        + kpi_cards(
            [
                (t("Mean lead time", "平均周期"), format_duration(vs.lead_time_mean_s)),
                (
                    t("Mean processing time", "平均处理时间"),
                    format_duration(vs.processing_time_mean_s),
                ),
                (
                    t("Mean waiting time: the team's", "平均等待时间：团队"),
                    format_duration(vs.team_waiting_time_mean_s),
                ),
                (
                    t("Mean customer-side time", "平均客户侧时间"),
                    format_duration(vs.customer_time_mean_s),
                ),
            ]
        )
        + bar_chart(
            [
                a.activity
                + (t(" (customer side)", "（客户侧）") if a.customer_side else "")
                for a in top_wait
            ],
            [a.waiting_total_s / 3600 for a in top_wait],
            title=t(
                "Total waiting before each activity (hours); the team's first, "
                "customer-side waits (pauses, the resolved-to-closed window) marked",
                "各活动前的总等待时间（小时）：团队等待在前，客户侧等待"
                "（暂停、解决到关闭的窗口）已标出",
            ),
            y_label=t("hours", "小时"),
            horizontal=True,
            highlight=[a.customer_side for a in top_wait],
        )
        + _table(
            [
                t("activity", "活动"),
                t("frequency", "频次"),
                t("cases", "案例"),
                t("resources", "资源"),
                t("mean service", "平均处理"),
                t("mean waiting", "平均等待"),
            ],
            [
                [
                    a.activity
                    + (t(" (customer side)", "（客户侧）") if a.customer_side else ""),
                    f"{a.frequency:,}",
                    f"{a.cases:,}",
                    a.resources,
                    format_duration(a.service_mean_s),
                    format_duration(a.waiting_mean_s),
                ]
                for a in times.activities[:20]
            ],
            [False, True, True, True, True, True],
        )
    )

    bn_html = (
        f"<h3>{escape(t('Bottlenecks: transitions adding the most time', '瓶颈：耗时最多的转移'))}"
        "</h3>"
        + _table(
            [
                t("from", "从"),
                t("to", "到"),
                t("frequency", "频次"),
                t("mean", "平均"),
                t("share of lead time", "占总周期"),
                t("whose time", "谁的时间"),
            ],
            [
                [
                    x.source,
                    x.target,
                    f"{x.frequency:,}",
                    format_duration(x.mean_s),
                    _pct(x.share_of_lead_time),
                    t("customer", "客户") if x.customer_side else t("team", "团队"),
                ]
                for x in bn.transitions
            ],
            [False, False, True, True, True, False],
        )
    )

    rw_text = t(
        f"{rw.cases_with_rework:,} of {rw.cases:,} cases ({_pct(rw.share_with_rework)}) "
        f"repeat an activity; repeats take {_pct(rw.share_of_lead_time)} of all lead "
        f"time. Mean duration with rework {format_duration(rw.mean_duration_with_rework_s)}, "
        f"without {format_duration(rw.mean_duration_without_rework_s)}.",
        f"{rw.cases:,} 个案例中有 {rw.cases_with_rework:,} 个（{_pct(rw.share_with_rework)}）"
        f"重复执行了活动；重复占总周期的 {_pct(rw.share_of_lead_time)}。有返工案例平均时长 "
        f"{format_duration(rw.mean_duration_with_rework_s)}，无返工 "
        f"{format_duration(rw.mean_duration_without_rework_s)}。",
    )
    rw_html = (
        f'<h3 id="process-rework">{escape(t("Rework", "返工"))}</h3>'
        f"<p>{escape(rw_text)}</p>"
    )
    if rw.activities:
        rw_html += _table(
            [
                t("activity", "活动"),
                t("cases with rework", "返工案例"),
                t("extra executions", "额外执行"),
                t("self-loops", "自循环"),
                t("time in repeats", "重复耗时"),
            ],
            [
                [
                    a.activity,
                    f"{a.cases_with_rework:,}",
                    f"{a.extra_executions:,}",
                    f"{a.self_loops:,}",
                    format_duration(a.rework_time_s),
                ]
                for a in rw.activities[:10]
            ],
            [False, True, True, True, True],
        )
    ho_html = ""
    if ho.handovers:
        ho_html = f"<h3>{escape(t('Handovers of work', '工作交接'))}</h3>" + _table(
            [
                t("from", "从"),
                t("to", "到"),
                t("frequency", "频次"),
                t("cases", "案例"),
                t("mean time", "平均间隔"),
            ],
            [
                [
                    h.source,
                    h.target,
                    f"{h.frequency:,}",
                    f"{h.cases:,}",
                    format_duration(h.mean_s),
                ]
                for h in ho.handovers[:10]
            ],
            [False, False, True, True, True],
        )
    top = var.variants[0] if var.variants else None
    summary = t(
        f"{len(var):,} variants; the most common covers {_pct(top.share if top else 0)} "
        f"of cases. Median case duration {format_duration(times.case_duration.median_s)}.",
        f"{len(var):,} 个变体；最常见的覆盖 {_pct(top.share if top else 0)} 的案例。"
        f"案例时长中位数 {format_duration(times.case_duration.median_s)}。",
    )
    return Section(
        id="process",
        title=t(
            "Process: map, variants and where the time goes",
            "流程：流程图、变体与时间分布",
        ),
        html=cards
        + warn
        + map_html
        + variants_html
        + time_html
        + bn_html
        + rw_html
        + ho_html,
        summary=summary,
    )
