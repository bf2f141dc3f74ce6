"""The overview section: what the log is, its size and time span, arrivals over time."""

from __future__ import annotations

from html import escape

from servops.log.schema import BEGIN
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
    weeks = ctx.log.fetchall(
        f"""
        SELECT date_trunc('week', first) AS wk, count(*) FROM (
          SELECT case_id, min({BEGIN}) AS first
          FROM instances GROUP BY case_id)
        GROUP BY wk ORDER BY wk
        """
    )
    chart = bar_chart(
        [w.strftime("%Y-%m-%d") for w, _ in weeks],
        [float(n) for _, n in weeks],
        title=t("New cases per week", "每周新增案例"),
        y_label=t("cases", "案例"),
    )
    notes = "".join(f"<li>{escape(n)}</li>" for n in info.notes)
    html = f"{cards}{chart}" + (
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
