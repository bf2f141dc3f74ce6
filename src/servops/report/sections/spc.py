"""The SPC section: control charts of KPI series with zones and signals, and the alerts.

Charts the resolution (or lead) time per period on an I-MR chart and, where the log
has them, first-response time and the SLA-breach (or reopen) rate; every chart shows
the zones A/B/C (±1σ, ±2σ, ±3σ), the limits and the points where a Nelson/Minitab test
fired. Periods the log covers only partly (censored) are drawn as hollow grey points
outside the limits' span: they are not charted, so they raise no alert. Lower limits of
times are clipped at 0, and the caption says so. Uses ``ctx.cache["kpi_cases"]`` / ``["kpi_config"]`` when the KPI section left
them there, else ``ctx.extras["kpi_config"]`` (or a guessed config).
"""

from __future__ import annotations

import math
from html import escape
from typing import TYPE_CHECKING

from servops.errors import InvalidParameterError
from servops.log.periods import log_period
from servops.report.charts import PALETTE, nice_ticks
from servops.spc.alerts import Alert, alert_summary, kpi_chart_alerts
from servops.spc.series import KpiChart, chart_kpi

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pyarrow as pa

    from servops.kpi import KpiConfig
    from servops.report.builder import ReportContext, Section
    from servops.spc.charts import ChartPart
    from servops.spc.series import Period

__all__ = ["build", "control_chart_svg"]

_ZONE_FILL = ("#dcfce7", "#fef9c3", "#fee2e2")  # C (±1σ), B (1–2σ), A (2–3σ)


def _fmt(v: float) -> str:
    a = abs(v)
    if a >= 1e4:
        return f"{v / 1e3:.3g}k"
    return f"{v:.3g}"


def control_chart_svg(
    part: ChartPart,
    labels: Sequence[str],
    *,
    title: str,
    y_label: str = "",
    width: int = 760,
    height: int = 260,
    partial_before: Sequence[tuple[str, float]] = (),
    partial_after: Sequence[tuple[str, float]] = (),
    partial_note: str = "partial period (censored): not charted",
) -> str:
    """Draw one control chart: zones, center line, limits, points, signals ringed.

    Parameters
    ----------
    part
        A chart of a :class:`~servops.spc.ChartResult` (limits may vary per point).
    labels
        One x label per point.
    title, y_label
        Caption and axis title (escaped here).
    partial_before, partial_after
        ``(label, value)`` of censored periods before and after the charted ones:
        drawn as hollow grey points, outside the limits' span.
    partial_note
        Their tooltip.
    """
    n = len(part.points)
    if n == 0:
        return f'<p class="empty">{escape(title)}: –</p>'
    nb, na = len(partial_before), len(partial_after)
    slots = nb + n + na
    pts = [float(v) for v in part.points]
    c = [float(v) for v in part.center]
    sd = [float(v) for v in part.sigma]
    lcl = [float(v) for v in part.lcl]
    ucl = [float(v) for v in part.ucl]
    k = float(part.rules.k.get(1, 3.0)) if part.name != "cusum" else 0.0
    extra = [v for _, v in (*partial_before, *partial_after)]
    vals = [v for v in pts + lcl + ucl + c + extra if math.isfinite(v)]
    if part.lower is not None:
        vals += [float(v) for v in part.lower if math.isfinite(v)]
    ticks = nice_ticks(min(vals), max(vals)) if vals else [0.0, 1.0]
    lo, hi = ticks[0], ticks[-1]
    left, right, top, bottom = 56, 96, 12, 54
    pw, ph = width - left - right, height - top - bottom

    def slot_x(j: int) -> float:
        return left + (pw * j / (slots - 1) if slots > 1 else pw / 2)

    def px(i: int) -> float:
        return slot_x(i + nb)

    def py(v: float) -> float:
        v = min(max(v, lo), hi)
        return top + ph - ph * (v - lo) / ((hi - lo) or 1.0)

    parts: list[str] = []
    # zones: bands between center ± a·σ and center ± b·σ, clipped to the limits
    if part.name != "cusum" and k > 0:
        for z, (a, b) in enumerate(((0.0, 1.0), (1.0, 2.0), (2.0, k))):
            if b <= a:
                continue
            for sign in (1, -1):
                edge1 = []
                edge2 = []
                for i in range(n):
                    y1 = c[i] + sign * a * sd[i]
                    y2 = c[i] + sign * b * sd[i]
                    lim_lo, lim_hi = lcl[i], ucl[i]
                    y1 = min(max(y1, lim_lo), lim_hi)
                    y2 = min(max(y2, lim_lo), lim_hi)
                    if not (math.isfinite(y1) and math.isfinite(y2)):
                        continue
                    edge1.append(f"{px(i):.1f},{py(y1):.1f}")
                    edge2.append(f"{px(i):.1f},{py(y2):.1f}")
                if n == 1 and edge1:
                    x0, x1 = left + pw / 2 - 20, left + pw / 2 + 20
                    y1s, y2s = edge1[0].split(",")[1], edge2[0].split(",")[1]
                    edge1 = [f"{x0:.1f},{y1s}", f"{x1:.1f},{y1s}"]
                    edge2 = [f"{x0:.1f},{y2s}", f"{x1:.1f},{y2s}"]
                if edge1:
                    poly = " ".join(edge1 + edge2[::-1])
                    parts.append(
                        f'<polygon points="{poly}" fill="{_ZONE_FILL[z]}" '
                        f'class="zone zone-{"CBA"[z]}"/>'
                    )
    parts.extend(
        f'<line x1="{left}" y1="{py(t):.1f}" x2="{left + pw}" y2="{py(t):.1f}" '
        f'class="grid"/><text x="{left - 6}" y="{py(t) + 4:.1f}" text-anchor="end" '
        f'class="tick">{_fmt(t)}</text>'
        for t in ticks
    )

    def line(values: list[float], color: str, dash: str, cls: str) -> None:
        seg = [
            f"{px(i):.1f},{py(v):.1f}" for i, v in enumerate(values) if math.isfinite(v)
        ]
        if len(seg) == 1:
            x, y = seg[0].split(",")
            seg = [f"{float(x) - 20:.1f},{y}", f"{float(x) + 20:.1f},{y}"]
        if seg:
            parts.append(
                f'<polyline points="{" ".join(seg)}" fill="none" '
                f'stroke="{color}" stroke-width="1.4" stroke-dasharray="{dash}" '
                f'class="{cls}"/>'
            )

    line(c, PALETTE[2], "0", "center")
    line(ucl, PALETTE[1], "6 3", "limit ucl")
    line(lcl, PALETTE[1], "6 3", "limit lcl")
    for name, vals_last in (("UCL", ucl[-1]), ("CL", c[-1]), ("LCL", lcl[-1])):
        if math.isfinite(vals_last):
            parts.append(
                f'<text x="{left + pw + 4}" y="{py(vals_last) + 4:.1f}" '
                f'class="tick">{name} {_fmt(vals_last)}</text>'
            )
    series = [pts] if part.lower is None else [pts, [float(v) for v in part.lower]]
    for s in series:
        seg: list[list[str]] = [[]]
        for i, v in enumerate(s):
            if not math.isfinite(v):
                seg.append([])
                continue
            seg[-1].append(f"{px(i):.1f},{py(v):.1f}")
        parts.extend(
            f'<polyline points="{" ".join(sg)}" fill="none" stroke="{PALETTE[0]}" '
            f'stroke-width="1.5"/>'
            for sg in seg
            if len(sg) > 1
        )
        if n <= 200:
            parts.extend(
                f'<circle cx="{px(i):.1f}" cy="{py(v):.1f}" r="2.3" fill="{PALETTE[0]}">'
                f"<title>{escape(str(labels[i]))}: {_fmt(v)}</title></circle>"
                for i, v in enumerate(s)
                if math.isfinite(v)
            )
    by_point: dict[int, list[int]] = {}
    for sig in part.signals:
        by_point.setdefault(sig.index, []).append(sig.test)
    for i, tests in sorted(by_point.items()):
        v = float(part.points[i]) if math.isfinite(part.points[i]) else 0.0
        if part.lower is not None and not v > ucl[i]:
            v = float(part.lower[i])
        tip = f"{labels[i]}: {_fmt(v)} — test {', '.join(map(str, sorted(set(tests))))}"
        parts.append(
            f'<circle cx="{px(i):.1f}" cy="{py(v):.1f}" r="5.5" fill="{PALETTE[1]}" '
            f'fill-opacity="0.25" stroke="{PALETTE[1]}" stroke-width="2" class="signal">'
            f"<title>{escape(tip)}</title></circle>"
            f'<text x="{px(i):.1f}" y="{py(v) - 8:.1f}" text-anchor="middle" '
            f'class="tick" fill="{PALETTE[1]}">{escape(",".join(map(str, sorted(set(tests)))))}'
            f"</text>"
        )
    marks = [
        *((j, lab, v) for j, (lab, v) in enumerate(partial_before)),
        *((nb + n + j, lab, v) for j, (lab, v) in enumerate(partial_after)),
    ]
    for j, lab, v in marks:
        if not math.isfinite(v):
            continue
        parts.append(
            f'<circle cx="{slot_x(j):.1f}" cy="{py(v):.1f}" r="3.2" fill="none" '
            f'stroke="#9ca3af" stroke-width="1.5" stroke-dasharray="2 1.5" '
            f'class="censored"><title>{escape(lab)}: {_fmt(v)} — '
            f"{escape(partial_note)}</title></circle>"
        )
    step = max(1, math.ceil(n / 16))
    parts.extend(
        f'<text transform="translate({px(i):.1f},{top + ph + 10}) rotate(35)" '
        f'class="tick">{escape(str(labels[i])[:18])}</text>'
        for i in range(0, n, step)
    )
    parts.extend(
        f'<text transform="translate({slot_x(j):.1f},{top + ph + 10}) rotate(35)" '
        f'class="tick" fill="#9ca3af">{escape(lab[:18])}</text>'
        for j, lab, _ in marks
    )
    if y_label:
        parts.append(
            f'<text x="12" y="{top + ph / 2}" transform="rotate(-90 12 '
            f'{top + ph / 2})" class="axis">{escape(y_label)}</text>'
        )
    body = "".join(parts)
    return (
        f'<figure class="chart control-chart"><figcaption>{escape(title)}</figcaption>'
        f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">{body}</svg>'
        f"</figure>"
    )


def _partial(
    kc: KpiChart, labels: Sequence[str]
) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """Censored periods of ``kc`` before and after its charted ones, with values."""
    s = kc.series
    shown = set(labels)
    first = next((i for i, p in enumerate(s.periods) if p in shown), 0)
    before: list[tuple[str, float]] = []
    after: list[tuple[str, float]] = []
    for i, p in enumerate(s.periods):
        if p in kc.censored:
            (before if i < first else after).append((p, float(s.values[i])))
    return before, after


def _try(
    ctx: ReportContext, kpi: str, by: Period, metrics: pa.Table, cfg: KpiConfig | None
) -> KpiChart | None:
    try:
        return chart_kpi(ctx.log, kpi, by=by, metrics=metrics, config=cfg)
    except InvalidParameterError:
        return None  # the log cannot give this KPI (no such activity, too few periods)


def build(ctx: ReportContext) -> Section | None:
    """Control charts of the main KPI series, with zones, limits and signals."""
    from servops.report.builder import Section

    t = ctx.t
    metrics = ctx.cache.get("kpi_cases")
    cfg = ctx.cache.get("kpi_config")
    if metrics is None:
        from servops.kpi import case_metrics
        from servops.kpi.cases import resolve_config

        cfg = resolve_config(ctx.extras.get("kpi_config"), ctx.log)
        metrics = case_metrics(ctx.log, cfg)
        ctx.cache["kpi_cases"] = metrics
        ctx.cache["kpi_config"] = cfg
    if metrics.num_rows == 0:
        return None
    by = log_period(ctx.log)  # the KPI section's period too
    names = {
        "resolution_time": t("Resolution time", "解决时间"),
        "lead_time": t("Lead time", "处理周期"),
        "first_response": t("First-response time", "首次响应时间"),
        "sla_breach_rate": t("SLA breach rate", "SLA 违约率"),
        "reopen_rate": t("Reopen rate", "重开率"),
    }
    units = {"h": t("hours", "小时"), "share": t("share of cases", "案例占比")}
    per = {
        "day": t("per day", "每日"),
        "week": t("per week", "每周"),
        "month": t("per month", "每月"),
    }[by]
    picked: list[KpiChart] = []
    for group in (
        ("resolution_time", "lead_time"),
        ("first_response",),
        ("sla_breach_rate", "reopen_rate"),
    ):
        for kpi in group:
            kc = _try(ctx, kpi, by, metrics, cfg)
            if kc is not None and len(kc.phase1.primary.points) >= 3:
                picked.append(kc)
                break
    if not picked:
        return None
    figures: list[str] = []
    alerts: list[Alert] = []
    partial_note = t(
        "partial period (the log starts or ends within it): not charted, no alerts",
        "不完整周期（日志在其中开始或结束）：不参与控制图与警报",
    )
    clipped_note = t(
        " (lower limit clipped at 0: a time cannot be negative)",
        "（下控制限截断为 0：时长不能为负）",
    )
    for j, kc in enumerate(picked):
        r = kc.phase1
        labels = list(r.labels or [str(i) for i in range(len(r.primary.points))])
        name = names.get(kc.series.kpi, kc.series.kpi)
        chart_name = {"imr": "I-MR", "p": "p"}.get(kc.chart, kc.chart)
        before, after = _partial(kc, labels)
        figures.append(
            control_chart_svg(
                r.primary,
                labels,
                title=f"{name} {per} — {chart_name} "
                + t("chart", "控制图")
                + (clipped_note if kc.lcl_clipped else ""),
                y_label=units.get(kc.series.unit, kc.series.unit),
                partial_before=before,
                partial_after=after,
                partial_note=partial_note,
            )
        )
        if j == 0 and len(r.parts) > 1:
            figures.append(
                control_chart_svg(
                    r.parts[1],
                    labels,
                    title=f"{name}: " + t("moving range", "移动极差"),
                    y_label=units.get(kc.series.unit, kc.series.unit),
                    height=200,
                )
            )
        if kc.small:
            shown = ", ".join(kc.small[:6]) + (" …" if len(kc.small) > 6 else "")
            figures.append(
                '<p class="note">'
                + escape(
                    t(
                        f"{len(kc.small)} period(s) with only 1–2 cases ({shown}): "
                        "their values are noise.",
                        f"{len(kc.small)} 个周期仅有 1–2 个案例（{shown}）：其数值主要是噪声。",
                    )
                )
                + "</p>"
            )
        alerts.extend(kpi_chart_alerts(kc))
    alerts.sort(key=lambda a: a.kpi)
    alerts.sort(key=lambda a: a.period, reverse=True)  # newest first
    n_alerts = len(alerts)
    recent = alerts[:15]
    summary_text = ""
    if alerts:
        sm = alert_summary(alerts)
        per_kpi = ", ".join(f"{names.get(k, k)} {v}" for k, v in sm.by_kpi.items())
        per_test = ", ".join(f"{k}: {v}" for k, v in sm.by_test.items())
        newest = sm.newest.period if sm.newest is not None else "–"
        summary_text = t(
            f"By KPI: {per_kpi}. By test: {per_test}. Newest: {newest}.",
            f"按指标：{per_kpi}。按检验：{per_test}。最新：{newest}。",
        )
    rows = "".join(
        f"<tr><td>{escape(a.period)}</td><td>{escape(names.get(a.kpi, a.kpi))}</td>"
        f'<td class="num">{a.test}</td><td>{escape(a.message)}</td></tr>'
        for a in recent
    )
    table = (
        f"<h3>{t('Latest alerts', '最新警报')} ({n_alerts})</h3>"
        f'<p class="note">{escape(summary_text)}</p>'
        f'<table class="data"><thead><tr><th>{t("Period", "周期")}</th>'
        f'<th>{t("KPI", "指标")}</th><th class="num">{t("Test", "检验")}</th>'
        f"<th>{t('Message', '说明')}</th></tr></thead><tbody>{rows}</tbody></table>"
        if alerts
        else f"<p>{t('No signals: every series is in statistical control.', '无信号：各序列处于统计受控状态。')}</p>"
    )
    legend = t(
        "Shaded zones: C (within 1σ, green), B (1–2σ, yellow), A (2–3σ, red). Dashed "
        "lines are the 3σ control limits from the whole period (phase I); ringed points "
        "are where a Nelson/Minitab test fired (the number says which: 1 beyond 3σ, 2 "
        "nine on one side, 3 six rising/falling, 4 fourteen alternating, 5 two of three "
        "beyond 2σ, 6 four of five beyond 1σ, 7 fifteen within 1σ, 8 eight beyond 1σ). "
        "Rates use a p chart with tests 1–4.",
        "阴影区：C 区（1σ 内，绿）、B 区（1–2σ，黄）、A 区（2–3σ，红）。虚线为按全期数据估计的 "
        "3σ 控制限（第一阶段）；圈出的点表示触发了 Nelson/Minitab 检验（数字为检验编号：1 超出 3σ；"
        "2 连续九点在同侧；3 连续六点上升或下降；4 连续十四点交替；5 三点中两点超出 2σ；"
        "6 五点中四点超出 1σ；7 连续十五点在 1σ 内；8 连续八点超出 1σ）。比率使用 p 图及检验 1–4。",
    )
    html = f'<p class="note">{escape(legend)}</p>' + "".join(figures) + table
    main = picked[0]
    n_sig = len({s.index for s in main.phase1.primary.signals})
    summary = t(
        f"{names.get(main.series.kpi, main.series.kpi)} {per}: {n_sig} period(s) with "
        f"signals; {n_alerts} alert(s) across {len(picked)} KPI chart(s).",
        f"{names.get(main.series.kpi, main.series.kpi)}（{per}）：{n_sig} 个周期出现信号；"
        f"{len(picked)} 张控制图共 {n_alerts} 条警报。",
    )
    return Section(
        id="spc",
        title=t("Statistical process control", "统计过程控制"),
        html=html,
        summary=summary,
    )
