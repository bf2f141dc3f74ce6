"""The customer-feedback section: scores, sentiment, theme Pareto and drivers.

Input: ``ctx.extras["feedback"]`` — a pyarrow Table or a file path — with column names in
``ctx.extras.get("feedback_columns")`` (keys ``text``, ``score``, ``case``, ``date``). Without
that mapping a table may already use the canonical names ``comment``, ``score``,
``case_id``, ``submitted_at``. Scores on 0–10 are read as NPS, on 1–5 as CSAT. Responses
link to the report's log through the case id, adding process drivers.
"""

from __future__ import annotations

import math
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from servops.report.builder import ReportContext, Section
from servops.report.charts import bar_chart, kpi_cards, line_chart

if TYPE_CHECKING:
    import pyarrow as pa

    from servops.feedback import FeedbackAnalysis

__all__ = ["build"]

_CANON = {
    "text": "comment",
    "score": "score",
    "case": "case_id",
    "date": "submitted_at",
}


def _load(ctx: ReportContext) -> pa.Table | None:
    from servops.feedback import prepare_feedback, read_feedback

    src = ctx.extras.get("feedback")
    if src is None:
        return None
    given: dict[str, Any] = dict(ctx.extras.get("feedback_columns") or {})
    if isinstance(src, str | Path):
        names = [str(c) for c in read_feedback(src).column_names]
    else:
        import pyarrow as pa

        src = src if isinstance(src, pa.Table) else pa.table(src)
        names = src.column_names
    cols: dict[str, str | None] = {
        k: given.get(k) or (v if v in names else None) for k, v in _CANON.items()
    }
    # Canonical names map onto themselves: prepare_feedback leaves them in place.
    if isinstance(src, str | Path):
        return read_feedback(
            src,
            text=cols["text"],
            score=cols["score"],
            case=cols["case"],
            date=cols["date"],
        )
    return prepare_feedback(
        src,
        text=cols["text"],
        score=cols["score"],
        case=cols["case"],
        date=cols["date"],
    )


def _f(v: float | None, digits: int = 1) -> str:
    if v is None or not math.isfinite(v):
        return "–"
    return f"{v:.{digits}f}"


def build(ctx: ReportContext) -> Section | None:
    """Scores with CIs, trend, sentiment mix, negative-theme Pareto and drivers."""
    from servops.feedback import analyze_feedback

    table = _load(ctx)
    if table is None or table.num_rows == 0:
        return None
    t = ctx.t
    log = ctx.log if "case_id" in table.column_names else None
    a = ctx.cache.get("feedback.analysis")
    if a is None:
        a = analyze_feedback(table, log=log)
        ctx.cache["feedback.analysis"] = a
    parts = [
        _cards(ctx, a),
        _trend(ctx, a),
        _pareto(ctx, a),
        _drivers(ctx, a),
        _examples(ctx, a),
    ]
    summary = ""
    if a.score:
        if a.scale == "nps":
            summary = t(
                f"NPS {_f(a.score['nps'])} from {a.score['n']:,} responses.",
                f"NPS {_f(a.score['nps'])}（{a.score['n']:,} 份答卷）。",
            )
        else:
            summary = t(
                f"CSAT {_f(a.score['csat'])}% from {a.score['n']:,} responses.",
                f"CSAT {_f(a.score['csat'])}%（{a.score['n']:,} 份答卷）。",
            )
    note = t(
        "Sentiment comes from servops' default model (trained on lexicons and comments "
        "written for servops; about 0.79–0.81 accuracy on public review sets): treat single "
        "labels with care, and train your own with <code>servops feedback train</code>.",
        "情感来自 servops 默认模型（基于词典与自写评论训练，公开评论集上准确率约 0.79–0.81），"
        "单条标签仅供参考；可用 <code>servops feedback train</code> 训练自己的模型。",
    )
    return Section(
        id="feedback",
        title=t("Customer feedback", "客户反馈"),
        html="".join(p for p in parts if p) + f'<p class="note">{note}</p>',
        summary=summary,
    )


def _cards(ctx: ReportContext, a: FeedbackAnalysis) -> str:
    t = ctx.t
    items: list[tuple[str, str]] = []
    notes: list[str] = []
    if a.score:
        s = a.score
        if a.scale == "nps":
            items.append(("NPS", _f(s["nps"])))
            notes.append(
                t(
                    f"95% CI {_f(s['ci_low'])} … {_f(s['ci_high'])}",
                    f"95% 置信区间 {_f(s['ci_low'])} … {_f(s['ci_high'])}",
                )
            )
            n = max(s["n"], 1)
            items.append(
                (
                    t("Promoters / detractors", "推荐者 / 贬损者"),
                    f"{100 * s['promoters'] / n:.0f}% / {100 * s['detractors'] / n:.0f}%",
                )
            )
            notes.append("")
        else:
            items.append(("CSAT", f"{_f(s['csat'])}%"))
            notes.append(
                t(
                    f"95% CI {_f(s['ci_low'])} … {_f(s['ci_high'])}",
                    f"95% 置信区间 {_f(s['ci_low'])} … {_f(s['ci_high'])}",
                )
            )
            items.append((t("Mean rating", "平均评分"), _f(s["mean"], 2)))
            notes.append("")
        items.append((t("Responses", "答卷"), f"{s['n']:,}"))
        notes.append("")
    if a.sentiment:
        total = sum(a.sentiment.values())
        items.append(
            (
                t("Negative comments", "负面评论"),
                f"{100 * a.sentiment.get('negative', 0) / max(total, 1):.0f}%",
            )
        )
        notes.append(
            ", ".join(f"{k} {v:,}" for k, v in a.languages.items() if k != "unknown")
        )
    return kpi_cards(items, notes=notes)


def _trend(ctx: ReportContext, a: FeedbackAnalysis) -> str:
    if a.trend is None or a.trend.num_rows < 2:
        return ""
    rows = a.trend.to_pylist()
    name = "NPS" if a.scale == "nps" else "CSAT %"
    return line_chart(
        [str(r["period"]) for r in rows],
        {
            name: [r["value"] for r in rows],
            ctx.t("95% CI low", "95% 下限"): [r["ci_low"] for r in rows],
            ctx.t("95% CI high", "95% 上限"): [r["ci_high"] for r in rows],
        },
        title=ctx.t(f"{name} per month", f"每月 {name}"),
        y_label=name,
    )


def _pareto(ctx: ReportContext, a: FeedbackAnalysis) -> str:
    if a.pareto_negative is None or a.pareto_negative.num_rows == 0:
        return ""
    rows = a.pareto_negative.to_pylist()
    key = "name_zh" if ctx.lang == "zh" else "name_en"
    return bar_chart(
        [r[key] for r in rows],
        [float(r["comments"]) for r in rows],
        cumulative=[r["cumulative"] for r in rows],
        title=ctx.t("Themes of negative comments (Pareto)", "负面评论主题（帕累托）"),
        y_label=ctx.t("comments", "评论数"),
    )


def _drivers(ctx: ReportContext, a: FeedbackAnalysis) -> str:
    t = ctx.t
    if a.drivers is None or a.drivers.drivers.num_rows == 0:
        return ""
    rows = [r for r in a.drivers.drivers.to_pylist() if r["impact"] < 0][:10]
    if not rows:
        return ""
    unit = {
        "nps": t("NPS points", "NPS 分"),
        "csat": t("CSAT points", "CSAT 百分点"),
        "mean": t("rating", "评分"),
    }[a.drivers.metric]
    themes: dict[str, str] = {}
    if a.themes is not None:
        themes = {
            r["theme"]: r["name_zh" if ctx.lang == "zh" else "name_en"]
            for r in a.themes.themes.to_pylist()
        }

    def label(d: str) -> str:
        kind, _, name = d.partition(": ")
        if kind == "theme":
            return t("Theme: ", "主题：") + themes.get(name, name)
        return t("Process: ", "流程：") + name

    chart = bar_chart(
        [label(r["driver"]) for r in rows],
        [-r["impact"] for r in rows],
        horizontal=True,
        title=t(
            f"Score lost per driver ({unit}, effect × share)",
            f"各驱动因素造成的失分（{unit}，效应 × 占比）",
        ),
    )
    head = (
        f"<tr><th>{t('Driver', '驱动因素')}</th><th>{t('Responses', '答卷')}</th>"
        f"<th>{t('With', '有')}</th><th>{t('Without', '无')}</th>"
        f"<th>{t('Effect (95% CI)', '效应（95% 区间）')}</th>"
        f"<th>{t('Adjusted', '调整后')}</th></tr>"
    )
    body = "".join(
        f"<tr><td>{escape(label(r['driver']))}</td><td>{r['n_with']:,}</td>"
        f"<td>{_f(r['score_with'])}</td><td>{_f(r['score_without'])}</td>"
        f"<td>{_f(r['effect'])} ({_f(r['ci_low'])} … {_f(r['ci_high'])})</td>"
        f"<td>{_f(r['adjusted'])}</td></tr>"
        for r in rows
    )
    linked = ""
    if a.drivers.linked is not None:
        linked = t(
            f"<p>{a.drivers.linked:,} of {a.drivers.n:,} responses linked to cases.</p>",
            f"<p>{a.drivers.n:,} 份答卷中 {a.drivers.linked:,} 份关联到案例。</p>",
        )
    return (
        f"<h3>{t('What lowers the score most', '最拉低评分的因素')}</h3>{chart}{linked}"
        f'<table class="data">{head}{body}</table>'
    )


def _examples(ctx: ReportContext, a: FeedbackAnalysis) -> str:
    if a.themes is None or a.themes.themes.num_rows == 0:
        return ""
    t = ctx.t
    key = "name_zh" if ctx.lang == "zh" else "name_en"
    items = "".join(
        f"<li><b>{escape(r[key])}</b> ({r['comments']:,}): "
        + " · ".join(f"“{escape(e[:160])}”" for e in r["examples"][:2])
        + "</li>"
        for r in a.themes.themes.to_pylist()[:8]
    )
    kw = ""
    if a.keywords is not None and a.keywords.num_rows:
        kw = (
            f"<p>{t('Keywords', '关键词')}: "
            + ", ".join(
                escape(k) for k in a.keywords.column("keyword").to_pylist()[:15]
            )
            + "</p>"
        )
    return (
        f"<details><summary>{t('Themes with representative comments', '主题与代表性评论')}"
        f"</summary><ul>{items}</ul>{kw}</details>"
    )
