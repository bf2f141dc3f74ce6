"""The blueprint section: the service blueprint with live metrics and its conformance.

Input: ``ctx.extras["blueprint"]``, a blueprint YAML path (or a loaded
:class:`~servops.blueprint.Blueprint`). Optional ``ctx.extras["blueprint_overlay"]``
chooses the colouring (``waiting`` by default, ``frequency`` or ``standard``).
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from servops.report.builder import ReportContext, Section
from servops.report.charts import kpi_cards

if TYPE_CHECKING:
    from servops.blueprint import Blueprint
    from servops.blueprint.render import Lang

__all__ = ["build"]

_KINDS = {
    "skipped": ("skipped", "跳过"),
    "wrong_order": ("wrong order", "顺序错误"),
    "rework": ("rework", "返工"),
    "unexpected": ("not in the blueprint", "蓝图外活动"),
}


def _blueprint(ctx: ReportContext) -> Blueprint | None:
    from servops.blueprint import Blueprint, load_blueprint

    spec = ctx.extras.get("blueprint")
    if spec is None:
        return None
    if isinstance(spec, Blueprint):
        return spec
    if isinstance(spec, str | Path) and Path(spec).suffix.lower() in (".bpmn", ".xml"):
        from servops.blueprint.bpmn import read_bpmn

        return read_bpmn(spec)
    return load_blueprint(spec)


def _step_label(bp: Blueprint, step: str, lang: str) -> str:
    """Step names for a deviation's step field (``a|b`` joins alternatives)."""
    ids = set(bp.step_ids)
    return " | ".join(
        bp.step(s).label(lang) if s in ids else s for s in step.split("|")
    )


def build(ctx: ReportContext) -> Section | None:
    """The blueprint coloured by the log, fitness, deviations and standards."""
    bp = _blueprint(ctx)
    if bp is None:
        return None
    from servops.blueprint import check_conformance
    from servops.blueprint.overlay import overlay
    from servops.blueprint.render import render_svg
    from servops.blueprint.valuestream import value_stream

    t = ctx.t
    metric = ctx.extras.get("blueprint_overlay", "waiting")
    cfg = ctx.cache.get("kpi_config")
    if cfg is None:
        from servops.kpi.cases import resolve_config

        cfg = resolve_config(ctx.extras.get("kpi_config"), ctx.log)
    ov = overlay(ctx.log, bp, metric, customer_side=cfg.customer_side())
    conf = check_conformance(ctx.log, bp)
    vs = value_stream(ctx.log, bp)
    ctx.cache["blueprint.conformance"] = conf
    lang: Lang = "zh" if ctx.lang == "zh" else "both"
    pce = "–" if vs.pce is None else f"{vs.pce:.1%}"
    cards = kpi_cards(
        [
            (t("Fitness to the blueprint", "与蓝图的拟合度"), f"{conf.fitness:.3f}"),
            (
                t("Cases that follow it exactly", "完全符合的案例"),
                f"{conf.fitting_cases / max(conf.cases, 1):.0%}",
            ),
            (t("Process cycle efficiency", "流程周期效率"), pce),
        ],
        notes=[
            t("token replay", "令牌重放"),
            f"{conf.fitting_cases:,} / {conf.cases:,}",
            t("value-adding ÷ lead time", "增值时间 ÷ 周期时间"),
        ],
    )
    metric_note = {
        "waiting": t(
            "Boxes are coloured by the mean wait before each step (green short, "
            "red long).",
            "方框颜色表示各步骤前的平均等待（绿短红长）。",
        ),
        "frequency": t(
            "Boxes are coloured by the share of cases passing each step.",
            "方框颜色表示经过各步骤的案例比例。",
        ),
        "standard": t(
            "Boxes are coloured by service-standard attainment.",
            "方框颜色表示服务标准达成率。",
        ),
    }.get(str(metric), "")
    legend = t(
        " Red badges ✕ count cases that breached a step's standard (thick red border: "
        "where breaches concentrate); purple badges ↻ give the share of cases repeating "
        "the step; ★ moment of truth, Ⓕ fail point, ◷ service standard; dashed boxes "
        "are not recorded in the log.",
        " 红色徽标 ✕ 为未达标案例数（红色粗框为未达标集中处）；紫色徽标 ↻ 为重复该步骤的"
        "案例比例；★ 关键时刻，Ⓕ 失误点，◷ 服务标准；虚线框表示日志中无记录。",
    )
    dev_rows = "".join(
        f"<tr><td>{escape(t(*_KINDS[d.kind]))}</td><td>{escape(_step_label(bp, d.step, ctx.lang))}</td>"
        f"<td class='num'>{d.cases:,}</td><td class='num'>{d.share:.1%}</td></tr>"
        for d in conf.deviations[:12]
    )
    dev_table = (
        f"<h3>{t('Where the real process departs from the design', '实际流程偏离设计之处')}"
        f"</h3><table class='data'><thead><tr><th>{t('Deviation', '偏差')}</th>"
        f"<th>{t('Step', '步骤')}</th><th class='num'>{t('Cases', '案例')}</th>"
        f"<th class='num'>{t('Share', '占比')}</th></tr></thead><tbody>{dev_rows}"
        f"</tbody></table>"
        if conf.deviations
        else f"<p>{t('Every case follows the blueprint.', '所有案例都符合蓝图。')}</p>"
    )
    std_rows = "".join(
        f"<tr><td>{escape(bp.step(s.step).label(ctx.lang))}</td>"
        f"<td>{escape(s.standard or '')}</td><td class='num'>{s.measured:,}</td>"
        f"<td class='num'>{'–' if s.standard_attainment is None else f'{s.standard_attainment:.1%}'}</td>"
        f"<td class='num'>{'' if s.target is None else f'{s.target:.0%}'}</td></tr>"
        for s in conf.steps
        if s.standard
    )
    std_table = (
        f"<h3>{t('Service standards', '服务标准')}</h3><table class='data'><thead><tr>"
        f"<th>{t('Step', '步骤')}</th><th>{t('Standard', '标准')}</th>"
        f"<th class='num'>{t('Measured', '测量数')}</th>"
        f"<th class='num'>{t('Attained', '达成率')}</th>"
        f"<th class='num'>{t('Target', '目标')}</th></tr></thead><tbody>{std_rows}"
        f"</tbody></table>"
        if std_rows
        else ""
    )
    notes = "".join(f"<li>{escape(n)}</li>" for n in (*conf.notes, *vs.notes))
    html = (
        f"{cards}<p class='note'>{escape(metric_note + legend)}</p>"
        f"<div style='overflow-x:auto'>{render_svg(bp, overlay=ov, lang=lang)}</div>"
        f"{dev_table}{std_table}"
        + (
            f"<details><summary>{t('Notes', '说明')}</summary><ul>{notes}</ul></details>"
            if notes
            else ""
        )
    )
    worst = next((d for d in conf.deviations if d.kind != "unexpected"), None)
    summary = t(
        f"Fitness {conf.fitness:.3f} against the blueprint '{bp.name}'"
        + (
            f"; most common deviation: {_KINDS[worst.kind][0]} at {worst.step} "
            f"({worst.cases:,} cases)."
            if worst
            else "."
        ),
        f"与蓝图「{bp.label('zh')}」的拟合度 {conf.fitness:.3f}"
        + (
            f"；最常见偏差：{worst.step} {_KINDS[worst.kind][1]}（{worst.cases:,} 个案例）。"
            if worst
            else "。"
        ),
    )
    return Section(
        id="blueprint",
        title=t("Service blueprint", "服务蓝图"),
        html=html,
        summary=summary,
    )
