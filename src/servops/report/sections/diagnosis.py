"""The diagnosis section: the narrative that opens the report, in the seeds' order.

现状分析 → 问题识别 → 目标设定 → 方案（what-if）→ 效果评估: current state, problems ranked
by impact with their evidence, targets and their status, what-if options from the twin,
improvement projects and their measured effects. Written from
:func:`servops.improve.diagnose` and the results the other sections left in
``ctx.cache`` (the KPI section's per-case table and config, the improvement section's
target status and project evaluations, the twin section's what-ifs), so each figure is
the one its linked section shows. Every sentence links to the anchor that proves it, and
only to sections this report has. Built last (``SECTION_MODULES``), shown first
(``Section.lead``).
"""

from __future__ import annotations

from dataclasses import replace
from html import escape
from typing import TYPE_CHECKING

from servops.improve.diagnosis import diagnose
from servops.report.narrative import (
    Claim,
    WhatIf,
    impact_definition,
    problem_claim,
    project_claims,
    state_claims,
    target_claim,
    twin_caveat,
    whatif_claim,
)
from servops.report.sections.improve import TARGETS_ANCHOR, project_anchor

if TYPE_CHECKING:
    from servops.improve.diagnosis import Diagnosis
    from servops.report.builder import ReportContext, Section

__all__ = ["build", "narrative_claims"]

#: The numbered parts of the narrative, in the seeds' order.
_PARTS = {
    "state": ("Current state", "现状分析"),
    "problems": ("Problems, ranked by impact", "问题识别（按影响排序）"),
    "targets": ("Targets", "目标设定"),
    "whatif": ("What-if options from the twin", "孪生模型的情景方案"),
    "projects": (
        "Improvement projects and their measured effects",
        "改进项目及其效果评估",
    ),
}


def narrative_claims(
    d: Diagnosis,
    whatifs: list[WhatIf] | None = None,
) -> dict[str, list[Claim]]:
    """The narrative's claims by part, from a diagnosis (and what-ifs, default its own)."""
    return {
        "state": state_claims(d.state),
        "problems": [problem_claim(p) for p in d.problems],
        "targets": [target_claim(s, TARGETS_ANCHOR) for s in d.targets],
        "whatif": [
            whatif_claim(w) for w in (d.whatifs if whatifs is None else whatifs)
        ],
        "projects": [
            c
            for ev in d.projects
            for c in project_claims(ev, project_anchor(ev.project.id))
        ],
    }


def _section_of(anchor: str) -> str:
    """The section an anchor lies in (``process-time`` -> ``process``)."""
    if anchor == TARGETS_ANCHOR or anchor.startswith("project-"):
        return "improve"
    return anchor.split("-", 1)[0]


def build(ctx: ReportContext) -> Section | None:
    """The narrative: current state, problems, targets, what-ifs, projects."""
    from servops.report.builder import Section

    built = set(ctx.cache.get("section_ids", ()))
    cases = ctx.cache.get("kpi_cases")
    cfg = ctx.cache.get("kpi_config")
    if "kpi" not in built or cases is None or cfg is None:
        return None
    t = ctx.t
    # the twin section's run: its options, tied to the problems they address
    d = diagnose(ctx.log, config=cfg, cases=cases, twin=ctx.cache.get("twin_run"))
    d = replace(
        d,
        targets=tuple(ctx.cache.get("target_status", ())),
        projects=tuple(ctx.cache.get("project_evaluations", ())),
    )
    claims = narrative_claims(d)
    ctx.cache["diagnosis"] = d
    html: list[str] = []
    number = 0
    for key, (en, zh) in _PARTS.items():
        # a claim whose proof is not in this report is not made
        items = [c for c in claims[key] if _section_of(c.anchor) in built]
        if not items:
            continue
        number += 1
        html.append(f"<h3>{number}. {escape(t(en, zh))}</h3>")
        if key == "problems":
            rule = impact_definition()
            html.append(f'<p class="note">{escape(rule.text(ctx.lang))}</p>')
        caveat = twin_caveat(ctx.cache.get("twin_verdict"))
        if key == "whatif" and caveat is not None:
            html.append(f'<p class="warn">{escape(caveat.text(ctx.lang))}</p>')
        tag = "ol" if key == "problems" else "ul"
        lis = "".join(
            f'<li class="claim">{escape(c.text(ctx.lang))} '
            f'<a class="proof" href="#{escape(c.anchor)}">{escape(t("evidence", "证据"))}'
            "</a></li>"
            for c in items
        )
        html.append(f'<{tag} class="narrative">{lis}</{tag}>')
    top = next(iter(claims["problems"]), None)
    summary = (
        t("Largest problem: ", "最大的问题：") + top.text(ctx.lang)
        if top is not None
        else t("No problem above the impact threshold.", "没有超过影响阈值的问题。")
    )
    return Section(
        id="diagnosis",
        title=t("Diagnosis", "诊断"),
        html="".join(html),
        summary=summary,
        lead=True,
    )
