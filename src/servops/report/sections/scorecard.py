"""The scorecard section: agents' on-time rate and rating on funnel plots, and a table.

Uses :func:`servops.kpi.scorecard` with the KPI section's per-case table and config
(``ctx.cache["kpi_cases"]`` / ``["kpi_config"]``, else ``ctx.extras["kpi_config"]`` or a
guessed config) and, for ratings, the feedback table of ``ctx.extras["feedback"]`` (read
as the feedback section reads it). Teams get a second table when the log has a team
attribute. The funnel plot is an inline SVG (:func:`funnel_svg`), shared with the web
app's scorecard page.
"""

from __future__ import annotations

import math
from html import escape
from typing import TYPE_CHECKING, Any

from servops.report.charts import PALETTE, nice_ticks

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from servops.kpi.scorecards import ScorecardResult
    from servops.report.builder import ReportContext, Section

__all__ = ["SIGNAL_COLOURS", "build", "funnel_svg", "rating_limits", "scorecard_table"]

#: Point colour per funnel signal.
SIGNAL_COLOURS = {
    "high_998": "#15803d",
    "high_95": "#22c55e",
    "within": PALETTE[0],
    "low_95": "#f97316",
    "low_998": "#b91c1c",
}
_Z95, _Z998 = 1.959964, 3.090232


def funnel_svg(
    points: Sequence[tuple[str, float, float, str | None]],
    limits: Mapping[str, Sequence[float]],
    center: float,
    *,
    title: str,
    x_label: str,
    y_label: str,
    fmt: Callable[[float], str],
    legend: Sequence[str] = ("desk", "95% limits", "99.8% limits"),
    y_max: float | None = None,
    width: int = 760,
    height: int = 320,
) -> str:
    """A funnel plot: points ``(label, n, value, signal)`` with control-limit curves.

    ``limits`` has ``n`` and the curves ``lower_998``, ``lower_95``, ``upper_95``,
    ``upper_998`` (values at each ``n``). Each point is labelled and has a tooltip.
    ``y_max`` caps the axis (1.0 for rates) unless a point lies above it.
    """
    if not points:
        return f'<p class="empty">{escape(title)}: –</p>'
    ns = [float(x) for x in limits.get("n", [])]
    curves = {k: [float(v) for v in limits.get(k, [])] for k in limits if k != "n"}
    x_max = max([p[1] for p in points] + ns + [1.0])
    # the y range covers the points and the 99.8 % limits from the smallest agent's n
    # on: the limits at n = 1 would squash the interesting part of the plot
    n_min = min(p[1] for p in points)
    ys = [p[2] for p in points] + [center]
    for k in ("lower_998", "upper_998"):
        ys += [
            v
            for x, v in zip(ns, curves.get(k, []), strict=False)
            if math.isfinite(v) and x >= n_min
        ]
    y_lo, y_hi = min(ys), max(ys)
    if y_hi - y_lo < 1e-9:  # all points on the desk line: a band around it
        pad = 0.05 * (abs(y_hi) or 1.0)
        y_lo, y_hi = y_lo - pad, y_hi + pad
    if y_max is not None:
        y_hi = min(y_hi, max(y_max, *(p[2] for p in points)))
    ticks = nice_ticks(y_lo, y_hi)
    lo, hi = ticks[0], ticks[-1]
    xt = nice_ticks(0.0, x_max)
    # room on the right for the labels of the points with the most tickets
    left, right, top, bottom = 60, 90, 24, 48
    pw, ph = width - left - right, height - top - bottom

    def px(x: float) -> float:
        return left + pw * x / (xt[-1] or 1.0)

    def py(v: float) -> float:
        v = min(max(v, lo), hi)
        return top + ph - ph * (v - lo) / ((hi - lo) or 1.0)

    parts = [
        f'<line x1="{left}" y1="{py(t):.1f}" x2="{left + pw}" y2="{py(t):.1f}" '
        f'class="grid"/><text x="{left - 6}" y="{py(t) + 4:.1f}" text-anchor="end" '
        f'class="tick">{escape(fmt(t))}</text>'
        for t in ticks
    ]
    parts += [
        f'<text x="{px(t):.1f}" y="{top + ph + 16}" text-anchor="middle" '
        f'class="tick">{int(t) if t == int(t) else t:g}</text>'
        for t in xt
    ]
    styles = {
        "lower_95": (PALETTE[3], "5 3"),
        "upper_95": (PALETTE[3], "5 3"),
        "lower_998": (PALETTE[1], "2 3"),
        "upper_998": (PALETTE[1], "2 3"),
    }
    for key, (colour, dash) in styles.items():
        vals = curves.get(key, [])
        pts = " ".join(
            f"{px(x):.1f},{py(v):.1f}"
            for x, v in zip(ns, vals, strict=False)
            if math.isfinite(v) and lo <= v <= hi
        )
        if pts:
            parts.append(
                f'<polyline points="{pts}" fill="none" stroke="{colour}" '
                f'stroke-width="1.3" stroke-dasharray="{dash}"/>'
            )
    parts.append(
        f'<line x1="{left}" y1="{py(center):.1f}" x2="{left + pw}" y2="{py(center):.1f}"'
        f' stroke="{PALETTE[7]}" stroke-width="1.2"/>'
    )
    for label, n, v, signal in points:
        colour = SIGNAL_COLOURS.get(signal or "within", PALETTE[0])
        parts.append(
            f'<circle cx="{px(n):.1f}" cy="{py(v):.1f}" r="5" fill="{colour}" '
            f'fill-opacity="0.85"><title>{escape(label)}: {escape(fmt(v))}, n = '
            f"{n:g}</title></circle>"
            f'<text x="{px(n) + 7:.1f}" y="{py(v) + 4:.1f}" class="lbl">'
            f"{escape(label[:16])}</text>"
        )
    parts.append(
        f'<text x="{left + pw / 2}" y="{height - 6}" text-anchor="middle" '
        f'class="axis">{escape(x_label)}</text>'
        f'<text x="14" y="{top + ph / 2}" transform="rotate(-90 14 {top + ph / 2})" '
        f'text-anchor="middle" class="axis">{escape(y_label)}</text>'
    )
    for idx, (text, colour, dash) in enumerate(
        zip(
            legend,
            (PALETTE[7], PALETTE[3], PALETTE[1]),
            ("", "5 3", "2 3"),
            strict=False,
        )
    ):
        x = left + 8 + 120 * idx
        parts.append(
            f'<line x1="{x}" y1="{top - 10}" x2="{x + 18}" y2="{top - 10}" '
            f'stroke="{colour}" stroke-width="1.5" stroke-dasharray="{dash}"/>'
            f'<text x="{x + 22}" y="{top - 6}" class="tick">{escape(text)}</text>'
        )
    return (
        f'<figure class="chart"><figcaption>{escape(title)}</figcaption>'
        f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"{''.join(parts)}</svg></figure>"
    )


def rating_limits(result: ScorecardResult) -> dict[str, list[float]] | None:
    """Normal control limits of a mean rating around the desk mean, by number of answers."""
    mu, sd = result.desk.get("rating_mean"), result.desk.get("rating_sd")
    counts = [r["ratings"] for r in result.rows.to_pylist()]
    if mu is None or sd is None or not counts:
        return None
    top = max(counts)
    ns = (
        list(range(1, top + 1))
        if top <= 400
        else [1 + (top - 1) * i / 299 for i in range(300)]
    )
    out: dict[str, list[float]] = {"n": [float(n) for n in ns]}
    for key, z in (
        ("lower_998", -_Z998),
        ("lower_95", -_Z95),
        ("upper_95", _Z95),
        ("upper_998", _Z998),
    ):
        out[key] = [mu + z * sd / math.sqrt(n) for n in ns]
    return out


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.1f}%"


def _num(v: float | None) -> str:
    return "–" if v is None else f"{v:.2f}"


def _signal_text(t: Callable[[str, str], str], s: str | None) -> str:
    return {
        "high_998": t("above 99.8%", "高于 99.8% 限"),
        "high_95": t("above 95%", "高于 95% 限"),
        "within": t("within", "正常"),
        "low_95": t("below 95%", "低于 95% 限"),
        "low_998": t("below 99.8%", "低于 99.8% 限"),
    }.get(s or "", "–")


def scorecard_table(result: ScorecardResult, t: Callable[[str, str], str]) -> str:
    """The scorecard rows as an HTML table (ranked first, unattributed last)."""
    head = [
        t("Rank", "排名"),
        t("Agent", "坐席") if result.by == "agent" else t("Team", "团队"),
        t("Decided", "已判定"),
        t("On time", "准时率"),
        t("Expected", "期望"),
        "O/E",
        t("Adjusted", "调整后"),
        t("Shrunken", "收缩后"),
        t("Funnel", "漏斗"),
        t("Ratings", "评分数"),
        t("Rating", "评分"),
        t("Rating adj.", "调整评分"),
        t("Rating shrunken", "收缩评分"),
        t("Rating funnel", "评分漏斗"),
    ]
    rows = sorted(
        result.rows.to_pylist(),
        key=lambda r: (r["rank"] is None, r["rank"] or 0, r["name"]),
    )
    text = {1, 6, 8, 13}
    th = "".join(
        f'<th scope="col"{"" if i in text else " class=num"}>{escape(h)}</th>'
        for i, h in enumerate(head)
    )
    body = []
    for r in rows:
        cells = [
            "" if r["rank"] is None else str(r["rank"]),
            r["name"],
            f"{r['decided']:,}",
            _pct(r["on_time_rate"]),
            _pct(r["expected_rate"]),
            _num(r["oe_ratio"]),
            _pct(r["adjusted_rate"]),
            _pct(r["shrunken_rate"]),
            _signal_text(t, r["signal"]),
            f"{r['ratings']:,}",
            _num(r["rating_mean"]),
            _num(r["rating_adjusted"]),
            _num(r["rating_shrunken"]),
            _signal_text(t, r["rating_signal"]),
        ]
        body.append(
            "<tr>"
            + "".join(
                f"<td>{escape(c)}</td>"
                if i in text
                else f'<td class="num">{escape(c)}</td>'
                for i, c in enumerate(cells)
            )
            + "</tr>"
        )
    return (
        # a scrollable region is focusable and named, so keyboards can scroll it
        f'<div style="overflow-x:auto" tabindex="0" role="region" '
        f'aria-label="{escape(t("Scorecards", "绩效卡"))}"><table class="data">'
        f"<thead><tr>{th}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def funnel_charts(result: ScorecardResult, t: Callable[[str, str], str]) -> str:
    """The on-time funnel and, with ratings, the rating funnel."""
    rows = result.rows.to_pylist()
    p = result.desk.get("on_time_rate")
    html = ""
    if p is not None:
        adjusted = bool(result.adjust)
        html += funnel_svg(
            [
                (r["name"], float(r["decided"]), float(r["adjusted_rate"]), r["signal"])
                for r in rows
                if r["adjusted_rate"] is not None and r["decided"]
            ],
            result.funnel.to_pydict(),
            float(p),
            title=t(
                "On-time rate by number of decided tickets"
                + (" (case-mix adjusted)" if adjusted else ""),
                "准时率与已判定工单数" + ("（按工单结构调整）" if adjusted else ""),
            ),
            x_label=t("decided tickets", "已判定工单数"),
            y_label=t("on-time rate", "准时率"),
            fmt=lambda v: f"{100 * v:.0f}%",
            y_max=1.0,
            legend=(
                t("desk", "全组"),
                t("95% limits", "95% 控制限"),
                t("99.8% limits", "99.8% 控制限"),
            ),
        )
    lim = rating_limits(result)
    mu = result.desk.get("rating_mean")
    if lim is not None and mu is not None:
        html += funnel_svg(
            [
                (
                    r["name"],
                    float(r["ratings"]),
                    float(r["rating_adjusted"]),
                    r["rating_signal"],
                )
                for r in rows
                if r["rating_adjusted"] is not None
            ],
            lim,
            float(mu),
            title=t("Mean rating by number of answers", "平均评分与评价数"),
            x_label=t("survey answers", "评价数"),
            y_label=t("mean rating", "平均评分"),
            fmt=lambda v: f"{v:.1f}",
            legend=(
                t("desk", "全组"),
                t("95% limits", "95% 控制限"),
                t("99.8% limits", "99.8% 控制限"),
            ),
        )
    return html


def _ratings(ctx: ReportContext) -> Any:  # noqa: ANN401 - a pyarrow Table or None
    cached = ctx.cache.get("feedback.table")
    if cached is not None:
        return cached
    from servops.report.sections.feedback import _load

    table = _load(ctx)
    if table is None or "case_id" not in table.column_names:
        return None
    if "score" not in table.column_names:
        return None
    ctx.cache["feedback.table"] = table
    return table


def build(ctx: ReportContext) -> Section | None:
    """Funnel plots of agents' on-time rate and rating, and the scorecard table."""
    from servops.kpi import KpiConfig, load_config
    from servops.kpi.scorecards import TEAM_COLUMNS, scorecard
    from servops.report.builder import Section

    t = ctx.t
    cfg = ctx.cache.get("kpi_config")
    if not isinstance(cfg, KpiConfig):
        given = ctx.extras.get("kpi_config")
        cfg = given if isinstance(given, KpiConfig) else load_config(given, ctx.log)
    if not cfg.policies:
        return None
    cases = ctx.cache.get("kpi_cases")
    ratings = _ratings(ctx)
    result = scorecard(ctx.log, cfg, ratings=ratings, cases=cases)
    if not result.desk["decided"]:
        return None
    outside = [
        r["name"]
        for r in result.rows.to_pylist()
        if r["signal"] not in (None, "within")
    ]
    d = result.desk
    summary = t(
        f"Desk on time {_pct(d['on_time_rate'])} of {d['decided']:,} decided tickets"
        + (
            f", rating {_num(d['rating_mean'])} from {d['ratings']:,} answers"
            if d["ratings"]
            else ""
        )
        + f"; {len(outside)} agent(s) outside the funnel's 95% limits.",
        f"全组准时率 {_pct(d['on_time_rate'])}（{d['decided']:,} 张已判定工单）"
        + (
            f"，平均评分 {_num(d['rating_mean'])}（{d['ratings']:,} 条评价）"
            if d["ratings"]
            else ""
        )
        + f"；{len(outside)} 名坐席超出漏斗 95% 控制限。",
    )
    intro = t(
        "Each agent is compared with the desk on the same mix of work (observed / "
        "expected on-time tickets given "
        + (", ".join(result.adjust) or "no adjustment")
        + ") and shrunk toward the desk in proportion to how few tickets they have "
        "(empirical Bayes), so a handful of lucky tickets does not top the ranking. "
        "Points outside the dashed lines differ from the desk by more than chance.",
        "每位坐席按相同工单结构（"
        + ("、".join(result.adjust) or "未调整")
        + "）与全组比较（实际/期望准时工单），并按工单量向全组收缩（经验贝叶斯），"
        "少量工单的偶然结果不会排在首位或末位。虚线外的点与全组的差异超出随机波动。",
    )
    parts = [
        f"<p>{escape(intro)}</p>",
        funnel_charts(result, t),
        scorecard_table(result, t),
    ]
    team_col = next((c for c in TEAM_COLUMNS if c in ctx.log.attributes), None)
    if team_col is not None:
        teams = scorecard(
            ctx.log, cfg, by="team", team_column=team_col, ratings=ratings, cases=cases
        )
        parts.append(f"<h3>{escape(t('Teams', '团队'))} ({escape(team_col)})</h3>")
        parts.append(scorecard_table(teams, t))
    parts.append(
        "<ul>" + "".join(f"<li>{escape(n)}</li>" for n in result.notes) + "</ul>"
    )
    return Section(
        id="scorecards",
        title=t("Agent scorecards", "坐席绩效"),
        html="".join(parts),
        summary=summary,
    )
