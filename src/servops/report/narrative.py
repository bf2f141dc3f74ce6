"""The diagnostic narrative: sentences in English and Chinese from the diagnosis objects.

Every sentence is a :class:`Claim` built from an object the Python API returns
(:class:`~servops.improve.Diagnosis`, :class:`~servops.improve.TargetStatus`,
:class:`~servops.improve.ProjectEvaluation`, the twin section's what-if results) and
carries the anchor of the report section that proves it. The report's diagnosis section
and ``servops diagnose`` print these sentences, so the wording lives here once.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from servops._durations import format_duration
from servops.improve.beforeafter import DURATION_METRICS, metric_label
from servops.improve.whatif import WhatIf

if TYPE_CHECKING:
    from datetime import datetime

    from servops.improve.diagnosis import CurrentState, Problem
    from servops.improve.intervals import Interval
    from servops.improve.projects import MetricEvidence, ProjectEvaluation
    from servops.improve.targets import TargetStatus

__all__ = [
    "Claim",
    "WhatIf",
    "anchor_id",
    "impact_definition",
    "problem_claim",
    "project_claims",
    "state_claims",
    "target_claim",
    "twin_caveat",
    "whatif_claim",
]

Lang = Literal["en", "zh"]

#: Metric names in Chinese (English comes from :func:`metric_label`).
METRIC_ZH = {
    "lead_time": "交付周期",
    "first_response": "首次响应时间",
    "resolution_time": "解决时长",
    "sla_met": "SLA 达成率",
    "reopened": "重开率",
    "fcr": "首次解决率",
}
STAT_ZH = {"mean": "平均", "median": "中位", "p90": "P90 ", "rate": ""}
_STATUS_ZH = {
    "on track": "进展正常",
    "at risk": "有风险",
    "met": "已达成",
    "missed": "未达成",
    "not measurable": "无法测量",
}
_VERDICT_ZH = {
    "improved": "改善",
    "worsened": "变差",
    "no clear change": "无明显变化",
    "not measurable": "无法测量",
}
_PDCA_ZH = {
    "plan": "计划",
    "do": "实施",
    "check": "检查",
    "act": "处置",
    "closed": "关闭",
}


@dataclass(frozen=True, slots=True)
class Claim:
    """One sentence in both languages and the anchor (``id``) of its proof."""

    en: str
    zh: str
    anchor: str

    def text(self, lang: Lang) -> str:
        """The sentence in ``lang``."""
        return self.zh if lang == "zh" else self.en

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {"en": self.en, "zh": self.zh, "anchor": self.anchor}


def anchor_id(text: str) -> str:
    """An HTML id from free text (a project id): letters, digits, ``-`` and ``_``.

    Examples
    --------
    >>> anchor_id("P-01 L2/email")
    'P-01-L2-email'
    """
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "x"


def _pct(x: float | None) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{100 * x:.1f} %"


def _dur(seconds: float | None) -> str:
    return format_duration(seconds)


def _day(t: datetime | None) -> str:
    return "–" if t is None else t.strftime("%Y-%m-%d")


def impact_definition() -> Claim:
    """What "impact" means (the ranking's rule), in both languages."""
    return Claim(
        en=(
            "Problems are ranked by impact: the share of a total that a problem accounts "
            "for — for waiting and rework, the share of the lead time of all cases; for "
            "an SLA breach cause, the share of all breaches it first explains in the "
            "Pareto of causes."
        ),
        zh=(
            "问题按影响排序。影响是问题在总量中所占的份额：等待和返工按其占全部案例交付周期"
            "的比例；SLA 违约原因按其在原因帕累托图中首先解释的违约占全部违约的比例。"
        ),
        anchor="process",
    )


def state_claims(state: CurrentState) -> list[Claim]:
    """Current state: volume, lead time and first response, SLA attainment."""
    out = [
        Claim(
            en=(
                f"{state.cases:,} cases arrived from {_day(state.first_arrival)} to "
                f"{_day(state.last_arrival)}; {state.open_cases:,} were still open at "
                "the end of the data."
            ),
            zh=(
                f"{_day(state.first_arrival)} 至 {_day(state.last_arrival)} 共到达 "
                f"{state.cases:,} 个案例；数据截止时仍有 {state.open_cases:,} 个未结。"
            ),
            anchor="overview",
        ),
        Claim(
            en=(
                f"The median lead time is {_dur(state.lead_time_median_s)} and the "
                f"median first response {_dur(state.first_response_median_s)}."
            ),
            zh=(
                f"交付周期中位数为 {_dur(state.lead_time_median_s)}，首次响应中位数为 "
                f"{_dur(state.first_response_median_s)}。"
            ),
            anchor="kpi",
        ),
    ]
    if state.sla_attainment is not None:
        out.append(
            Claim(
                en=f"SLA attainment is {_pct(state.sla_attainment)}.",
                zh=f"SLA 达成率为 {_pct(state.sla_attainment)}。",
                anchor="kpi",
            )
        )
    return out


def problem_claim(p: Problem) -> Claim:
    """The sentence stating a problem, its impact and its evidence."""
    f = p.figures
    if p.kind == "waiting":
        basis_en = (
            " (estimated: the log has no start times)"
            if (f.get("time_basis") == "estimated")
            else ""
        )
        basis_zh = (
            "（估算：日志没有开始时间）" if f.get("time_basis") == "estimated" else ""
        )
        return Claim(
            en=(
                f"Waiting before {p.subject} is {_pct(p.impact)} of all lead time"
                f"{basis_en}: {_dur(f['waiting_mean_s'])} on average, "
                f"{f['frequency']:,} times."
            ),
            zh=(
                f"{p.subject} 之前的等待占全部交付周期的 {_pct(p.impact)}{basis_zh}："
                f"共 {f['frequency']:,} 次，平均每次 {_dur(f['waiting_mean_s'])}。"
            ),
            anchor="process-time",
        )
    if p.kind == "rework":
        top = f.get("top_activity")
        return Claim(
            en=(
                f"Repeated work is {_pct(p.impact)} of all lead time: "
                f"{f['cases_with_rework']:,} of {f['cases']:,} cases "
                f"({_pct(f['share_with_rework'])}) repeat an activity"
                + (f", most of the time in {top}" if top else "")
                + f"; they last {_dur(f['mean_duration_with_rework_s'])} on average "
                f"against {_dur(f['mean_duration_without_rework_s'])} without rework."
            ),
            zh=(
                f"返工占全部交付周期的 {_pct(p.impact)}：{f['cases']:,} 个案例中有 "
                f"{f['cases_with_rework']:,} 个（{_pct(f['share_with_rework'])}）重复执行"
                "了活动"
                + (f"，耗时最多的是 {top}" if top else "")
                + f"；有返工案例平均 {_dur(f['mean_duration_with_rework_s'])}，无返工 "
                f"{_dur(f['mean_duration_without_rework_s'])}。"
            ),
            anchor="process-rework",
        )
    ratio = f.get("ratio")
    times_en = f" ({ratio:.1f}× as often)" if ratio is not None else ""
    times_zh = f"（是其 {ratio:.1f} 倍）" if ratio is not None else ""
    return Claim(
        en=(
            f"SLA breach cause “{p.subject}”: {_pct(f['rate'])} of these "
            f"{f['cases']:,} cases breach their SLA against {_pct(f['rate_without'])} "
            f"of the others{times_en}; it first explains {f['explained']:,} of "
            f"{f['breaches']:,} breaches ({_pct(p.impact)})."
        ),
        zh=(
            f"SLA 违约原因“{p.subject}”：这 {f['cases']:,} 个案例的违约率为 "
            f"{_pct(f['rate'])}，其他案例为 {_pct(f['rate_without'])}{times_zh}；"
            f"它首先解释了 {f['breaches']:,} 次违约中的 {f['explained']:,} 次"
            f"（{_pct(p.impact)}）。"
        ),
        anchor="kpi",
    )


def _value(value: float | None, metric: str) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return _dur(value) if metric in DURATION_METRICS else _pct(value)


def target_claim(s: TargetStatus, anchor: str) -> Claim:
    """Where one target stands."""
    tg = s.target
    metric = tg.metric
    stat_en = "" if tg.statistic == "rate" else f"{tg.statistic} "
    what_en = f"{stat_en}{metric_label(metric)}"
    what_zh = f"{STAT_ZH.get(tg.statistic, '')}{METRIC_ZH.get(metric, metric)}"
    deadline = tg.deadline.isoformat()
    proj_en = proj_zh = ""
    if s.projected is not None:
        lo, hi = _value(s.projected_low, metric), _value(s.projected_high, metric)
        level = f"{round(100 * s.level)} %"
        proj_en = (
            f"; the trend projects {_value(s.projected, metric)} at the deadline "
            f"({level} prediction interval {lo} to {hi})"
        )
        proj_zh = (
            f"；按趋势，截止日预计 {_value(s.projected, metric)}（{level} 预测区间 "
            f"{lo} 至 {hi}）"
        )
    return Claim(
        en=(
            f"Target “{tg.name}” ({what_en} {_value(tg.value, metric)} by {deadline}): "
            f"{s.status}; now {_value(s.current, metric)}{proj_en}."
        ),
        zh=(
            f"目标“{tg.name}”（{deadline} 前{' ' if what_zh[:1].isascii() else ''}"
            f"{what_zh}达到 {_value(tg.value, metric)}）："
            f"{_STATUS_ZH.get(s.status, s.status)}；当前 {_value(s.current, metric)}"
            f"{proj_zh}。"
        ),
        anchor=anchor,
    )


def _change(iv_value: float, metric: str) -> str:
    """An unsigned size of a change: ``6.3 h`` or ``12.0 points``."""
    if metric in DURATION_METRICS:
        return _dur(abs(iv_value))
    return f"{100 * abs(iv_value):.1f}"


def _evidence_claim(ev: ProjectEvaluation, m: MetricEvidence, anchor: str) -> Claim:
    p = ev.project
    metric = m.metric
    stat = "" if m.statistic == "rate" else f"{m.statistic} "
    what_en = f"{stat}{metric_label(metric)}"
    what_zh = f"{STAT_ZH.get(m.statistic, '')}{METRIC_ZH.get(metric, metric)}"
    seg_en = (
        " for " + ", ".join(f"{k} = {v}" for k, v in p.segment.items())
        if p.segment
        else ""
    )
    seg_zh = (
        "（" + "，".join(f"{k} = {v}" for k, v in p.segment.items()) + "）"
        if p.segment
        else ""
    )
    day = ev.change_at.strftime("%Y-%m-%d")
    head_en = f"Project {p.id} “{p.title}” ({p.status}): "
    head_zh = f"改进项目 {p.id}“{p.title}”（{_PDCA_ZH.get(p.status, p.status)}）："
    iv: Interval | None = m.effect
    if iv is None:
        return Claim(
            en=f"{head_en}{what_en}{seg_en} is not measurable yet.",
            zh=f"{head_zh}{what_zh}{seg_zh}尚无法测量。",
            anchor=anchor,
        )
    unit_en = "" if metric in DURATION_METRICS else " points"
    unit_zh = "" if metric in DURATION_METRICS else " 个百分点"
    level = f"{round(100 * iv.level)} %"
    ci_en = (
        f"{level} CI {_signed(iv.low, metric)} to {_signed(iv.high, metric)}{unit_en}"
    )
    ci_zh = (
        f"{level} 置信区间 {_signed(iv.low, metric)} 至 "
        f"{_signed(iv.high, metric)}{unit_zh}"
    )
    if m.verdict in ("improved", "worsened"):
        up = iv.estimate > 0
        verb_en = "rose" if up else "fell"
        verb_zh = "上升" if up else "下降"
        body_en = (
            f"{what_en}{seg_en} {verb_en} by {_change(iv.estimate, metric)}{unit_en} "
            f"after {day} ({ci_en}): {m.verdict}"
        )
        body_zh = (
            f"{day} 之后{what_zh}{seg_zh}{verb_zh} {_change(iv.estimate, metric)}"
            f"{unit_zh}（{ci_zh}）：{_VERDICT_ZH[m.verdict]}"
        )
    else:
        body_en = (
            f"{what_en}{seg_en} changed by {_signed(iv.estimate, metric)}{unit_en} "
            f"after {day} ({ci_en}): no clear change"
        )
        body_zh = (
            f"{day} 之后{what_zh}{seg_zh}变化 {_signed(iv.estimate, metric)}{unit_zh}"
            f"（{ci_zh}）：无明显变化"
        )
    exp = m.expected
    if exp is not None and exp.change is not None and m.covers_expected is not None:
        body_en += f"; expected {_signed(exp.change, metric)}{unit_en}, " + (
            "within the interval" if m.covers_expected else "outside the interval"
        )
        body_zh += f"；预期 {_signed(exp.change, metric)}{unit_zh}，" + (
            "在区间内" if m.covers_expected else "在区间外"
        )
    pr = m.prediction
    if pr is not None and pr.predicted is not None and math.isfinite(pr.predicted.mean):
        est = pr.predicted
        pred = (
            f"{_signed(est.mean, metric)} ({level} CI {_signed(est.low, metric)} to "
            f"{_signed(est.high, metric)}{unit_en})"
        )
        pred_zh = (
            f"{_signed(est.mean, metric)}（{level} 置信区间 {_signed(est.low, metric)} "
            f"至 {_signed(est.high, metric)}{unit_zh}）"
        )
        body_en += f"; the twin predicted {pred}: the measured interval " + (
            "covers it" if pr.covers else "does not cover it"
        )
        body_zh += f"；孪生模型预测 {pred_zh}：实测区间" + (
            "覆盖该预测" if pr.covers else "未覆盖该预测"
        )
    return Claim(en=f"{head_en}{body_en}.", zh=f"{head_zh}{body_zh}。", anchor=anchor)


def _signed(value: float, metric: str) -> str:
    sign = "\N{MINUS SIGN}" if value < 0 else "+"
    return sign + _change(value, metric)


def project_claims(ev: ProjectEvaluation, anchor: str) -> list[Claim]:
    """One sentence per metric of a project, and one for late plan steps."""
    out = [_evidence_claim(ev, m, anchor) for m in ev.metrics]
    late = ev.plan.late
    if late:
        out.append(
            Claim(
                en=(
                    f"Project {ev.project.id}: {len(late)} plan step(s) late ("
                    + "; ".join(f"{s.step}, due {s.due}" for s in late)
                    + ")."
                ),
                zh=(
                    f"改进项目 {ev.project.id}：{len(late)} 个计划步骤逾期（"
                    + "；".join(f"{s.step}，截止 {s.due}" for s in late)
                    + "）。"
                ),
                anchor=anchor,
            )
        )
    return out


def whatif_claim(w: WhatIf) -> Claim:
    """One twin scenario's effect on the mean cycle time (and the problem it addresses)."""
    level = f"{round(100 * w.level)} %"
    tie_en = tie_zh = ""
    if w.addresses is not None:
        rank = "" if w.problem_rank is None else f", problem {w.problem_rank}"
        rank_zh = "" if w.problem_rank is None else f"，问题 {w.problem_rank}"
        tie_en = f" (addresses {w.addresses}{rank})"
        tie_zh = f"（针对{_problem_zh(w.addresses)}{rank_zh}）"
    return Claim(
        en=(
            f"What if: {w.label}{tie_en} — the twin's mean cycle time changes by "
            f"{_dur(w.change_s)} ({level} CI {_dur(w.low_s)} to {_dur(w.high_s)})"
            + ("." if w.significant else "; the interval includes no change.")
        ),
        zh=(
            f"情景：{w.label_zh or w.label}{tie_zh}——孪生模型的平均周期变化 "
            f"{_dur(w.change_s)}（{level} 置信区间 {_dur(w.low_s)} 至 {_dur(w.high_s)}）"
            + ("。" if w.significant else "；区间包含零，变化不明确。")
        ),
        anchor="twin",
    )


def _problem_zh(addresses: str) -> str:
    """``waiting before L2`` -> ``L2 之前的等待``; ``rework`` -> ``返工``."""
    head = "waiting before "
    if addresses.startswith(head):
        return f"{addresses[len(head) :]} 之前的等待"
    if addresses == "rework":
        return "返工"
    return addresses


def twin_caveat(verdict: str | None) -> Claim | None:
    """How far to trust the what-ifs, from the twin check's verdict (None: no caveat)."""
    if verdict not in ("questionable", "unfit"):
        return None
    if verdict == "unfit":
        return Claim(
            en=(
                "The twin check rates the twin unfit: these what-ifs are NOT to be "
                "trusted until the model is corrected."
            ),
            zh="孪生检验认为模型不合格：在修正模型之前，以下情景结果不可信。",
            anchor="twin",
        )
    return Claim(
        en=(
            "The twin check rates the twin questionable: read these as directions, "
            "not amounts."
        ),
        zh="孪生检验认为模型存疑：以下结果仅作方向参考。",
        anchor="twin",
    )
