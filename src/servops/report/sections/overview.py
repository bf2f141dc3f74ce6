"""The overview section: what the log is, its size and time span, arrivals over time.

Weekly arrivals are cut in the log's time zone by :mod:`servops.log.periods` (weeks with
no arrival show 0; a week the log covers only partly is labelled so), and the log's
data-shape warnings (:func:`servops.log.shape.shape_warnings`: outlier dates, a single
cohort, weeks with 1–2 cases) are shown first.
"""

from __future__ import annotations

from html import escape

from servops.log.engine import epoch_s
from servops.log.periods import (
    bucket_sql,
    key_starts,
    log_censored,
    log_span,
    period_grid,
    period_label,
)
from servops.log.schema import case_arrival
from servops.log.shape import shape_warnings
from servops.report.builder import ReportContext, Section
from servops.report.charts import bar_chart, kpi_cards

__all__ = ["build"]


def build(ctx: ReportContext) -> Section:
    """Log size, span and weekly case arrivals."""
    info = ctx.log.info()
    t = ctx.t
    cards = kpi_cards(
        [
            (t("Cases", "案例数"), f"{info.cases:,}"),
            (t("Events", "事件数"), f"{info.events:,}"),
            (t("Activities", "活动数"), f"{info.activities:,}"),
            (t("Resources", "资源数"), f"{info.resources:,}"),
            (t("Variants", "变体数"), f"{info.variants:,}"),
            (t("From", "起始"), info.start.strftime("%Y-%m-%d") if info.start else "–"),
            (t("To", "截止"), info.end.strftime("%Y-%m-%d") if info.end else "–"),
        ]
    )
    tz = ctx.log.meta.timezone or "UTC"
    first, last = log_span(ctx.log, tz)
    labels: list[str] = []
    counts: list[float] = []
    if first is not None and last is not None:
        key = bucket_sql("e", "week", tz, first.year - 1, last.year + 1)
        rows = ctx.log.fetchall(
            f"""
            SELECT {key} AS wk, count(*) FROM (
              SELECT {epoch_s(case_arrival(ctx.log.attributes))} AS e
              FROM instances GROUP BY case_id)
            GROUP BY wk
            """
        )
        per_week = dict(
            zip(
                key_starts([int(r[0]) for r in rows], "week"),
                (r[1] for r in rows),
                strict=True,
            )
        )
        grid = period_grid(first, last, "week")
        partial = t(" (partial)", "（不完整）")
        for wk, cut in zip(grid, log_censored(ctx.log, grid, "week", tz), strict=True):
            labels.append(period_label(wk, "week") + (partial if cut else ""))
            counts.append(float(per_week.get(wk, 0)))
    chart = bar_chart(
        labels,
        counts,
        title=t("New cases per week", "每周新增案例") + f" ({tz})",
        y_label=t("cases", "案例"),
    )
    warnings = shape_warnings(ctx.log, by="week", timezone=tz)
    warn_html = "".join(
        f'<p class="warn">{escape(t("Warning: ", "注意："))}{escape(w.message)}</p>'
        for w in warnings
    )
    notes = "".join(f"<li>{escape(n)}</li>" for n in info.notes)
    html = f"{warn_html}{cards}{chart}" + (
        f"<details><summary>{t('How the log was read', '日志读取说明')}</summary>"
        f"<ul>{notes}</ul></details>"
        if notes
        else ""
    )
    return Section(
        id="overview",
        title=t("Overview", "概览"),
        html=html,
        summary=t(
            f"{info.cases:,} case{'s' if info.cases != 1 else ''} and {info.events:,} "
            f"event{'s' if info.events != 1 else ''} from {escape(info.source)}.",
            f"来自 {escape(info.source)} 的 {info.cases:,} 个案例、{info.events:,} 个事件。",
        ),
    )
