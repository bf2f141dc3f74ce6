"""The improvement section: KPI targets and their status, projects and their evidence.

Inputs: ``ctx.extras["targets"]`` (a targets YAML path, :class:`~servops.improve.Target`
objects, or their :class:`~servops.improve.TargetStatus` already computed) and
``ctx.extras["projects"]`` (a projects YAML path, :class:`~servops.improve.Project`
objects, or their :class:`~servops.improve.ProjectEvaluation`); the section is left out
without either.
Targets are judged by :func:`servops.improve.target_status` and projects by
:func:`servops.improve.evaluate_projects` (before/after around each change, windowed);
both results are left in ``ctx.cache`` (``"target_status"``, ``"project_evaluations"``)
for the diagnosis narrative, which links to the anchors made here
(``improve-targets``, ``project-<id>``).
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from servops._durations import format_duration
from servops.improve.beforeafter import DURATION_METRICS, metric_label
from servops.improve.projects import ProjectEvaluation, evaluate_projects
from servops.improve.targets import TargetStatus, target_status
from servops.report.charts import kpi_cards
from servops.report.narrative import METRIC_ZH, STAT_ZH, anchor_id

if TYPE_CHECKING:
    from servops.improve.intervals import Interval
    from servops.improve.projects import MetricEvidence
    from servops.kpi import KpiConfig
    from servops.report.builder import ReportContext, Section

__all__ = ["TARGETS_ANCHOR", "build", "project_anchor"]

#: Anchor of the targets table.
TARGETS_ANCHOR = "improve-targets"


def project_anchor(project_id: str) -> str:
    """The anchor of a project's block in the report."""
    return "project-" + anchor_id(project_id)


def _value(value: float | None, metric: str) -> str:
    if value is None:
        return "n/a"
    if metric in DURATION_METRICS:
        return format_duration(value)
    return f"{100 * value:.1f} %"


def _diff(iv: Interval | None, metric: str) -> str:
    if iv is None:
        return "n/a"
    if metric in DURATION_METRICS:
        return (
            f"{format_duration(iv.estimate)} ({format_duration(iv.low)} – "
            f"{format_duration(iv.high)})"
        )
    return (
        f"{100 * iv.estimate:+.1f} ({100 * iv.low:+.1f} – {100 * iv.high:+.1f}) pt"
    ).replace("-", "\N{MINUS SIGN}")


def _change(value: float, metric: str) -> str:
    """A signed change: a duration, or rate points."""
    if metric in DURATION_METRICS:
        return format_duration(value)
    return f"{100 * value:+.1f} pt".replace("-", "\N{MINUS SIGN}")


def _config(ctx: ReportContext) -> KpiConfig:
    from servops.kpi import KpiConfig, load_config

    cached = ctx.cache.get("kpi_config")
    if isinstance(cached, KpiConfig):
        return cached
    given = ctx.extras.get("kpi_config")
    return given if isinstance(given, KpiConfig) else load_config(given, ctx.log)


def _targets_html(ctx: ReportContext, statuses: tuple[TargetStatus, ...]) -> str:
    t = ctx.t
    head = [
        t("target", "目标"),
        t("perspective", "视角"),
        t("metric", "指标"),
        t("segment", "细分"),
        t("baseline", "基线"),
        t("now", "当前"),
        t("target value", "目标值"),
        t("deadline", "截止"),
        t("projected (interval)", "预测（区间）"),
        t("status", "状态"),
    ]
    rows = []
    for s in statuses:
        tg = s.target
        m = tg.metric
        proj = (
            "n/a"
            if s.projected is None
            else f"{_value(s.projected, m)} ({_value(s.projected_low, m)} – "
            f"{_value(s.projected_high, m)})"
        )
        stat = "" if tg.statistic == "rate" else f"{tg.statistic} "
        cells = [
            tg.name,
            tg.perspective or "",
            stat + metric_label(m),
            ", ".join(f"{k} = {v}" for k, v in tg.segment.items()),
            _value(s.baseline, m),
            _value(s.current, m),
            _value(tg.value, m),
            tg.deadline.isoformat(),
            proj,
            s.status,
        ]
        rows.append(
            "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in cells) + "</tr>"
        )
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    return (
        f'<h3 id="{TARGETS_ANCHOR}">{escape(t("Targets", "目标"))}</h3>'
        f'<table class="data"><thead><tr>{th}</tr></thead><tbody>{"".join(rows)}'
        "</tbody></table>"
        + "".join(f'<p class="note">{escape(s.summary)}</p>' for s in statuses)
    )


def _evidence_row(ctx: ReportContext, m: MetricEvidence) -> str:
    t = ctx.t
    ba = m.measured
    before = after = "n/a"
    if ba is not None:
        key = m.statistic
        if m.metric in DURATION_METRICS:
            before = _value(ba.before.stats.get(key), m.metric)
            after = _value(ba.after.stats.get(key), m.metric)
        else:
            before, after = (
                _value(ba.before.value, m.metric),
                _value(ba.after.value, m.metric),
            )
    exp = m.expected
    expected = "–"
    if exp is not None and exp.change is not None:
        expected = _change(exp.change, m.metric)
    covers = (
        "–"
        if m.covers_expected is None
        else (t("yes", "是") if m.covers_expected else t("no", "否"))
    )
    stat = "" if m.statistic == "rate" else f"{m.statistic} "
    cells = [
        stat + metric_label(m.metric),
        before,
        after,
        _diff(m.effect, m.metric),
        m.verdict,
        expected,
        covers,
    ]
    return "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>"


def _plan_html(ctx: ReportContext, m: MetricEvidence) -> str:
    """The evidence plan of an expected change: days needed, so far, the verdict."""
    ep, exp = m.evidence_plan, m.expected
    if ep is None or exp is None:
        return ""
    t = ctx.t
    stat = exp.statistic
    head = t(
        "Evidence plan, "
        + ("" if stat == "rate" else f"{stat} ")
        + f"{metric_label(m.metric)}: ",
        f"证据计划（{STAT_ZH.get(stat, '')}{METRIC_ZH.get(m.metric, m.metric)}）：",
    )
    plan, base = ep.plan, ep.baseline
    if plan is None or base is None:
        body = t("none", "无") + f" ({ep.reason})"
        return f'<p class="note"><b>{escape(head)}</b>{escape(body)}</p>'
    d, change = plan.days, _change(plan.effect, m.metric)
    power, target = plan.power, plan.target_power
    body = t(
        f"{d} days a side find {change} with power {100 * power:.0f} % (target "
        f"{100 * target:.0f} %, α {plan.alpha:g}, {base.cases_per_day:.1f} cases a "
        "day)",
        f"每侧 {d} 天可发现 {change} 的变化，检验力 {100 * power:.0f}%（目标 "
        f"{100 * target:.0f}%，α {plan.alpha:g}，每天 {base.cases_per_day:.1f} 个案例）",
    )
    if ep.days_before is None or ep.days_after is None:
        body += t("; days so far: n/a", "；已有天数：n/a")
    else:
        body += t(
            f"; {ep.days_after} of {d} days after the change so far: ",
            f"；变更后已有 {ep.days_after}/{d} 天：",
        )
        verdict = []
        if ep.enough:
            verdict.append(t("enough", "足够"))
        if ep.more_days and ep.reached_on is not None:
            when = ep.reached_on.isoformat()
            verdict.append(
                t(
                    f"{ep.more_days} more days, from {when}",
                    f"还需 {ep.more_days} 天，{when} 起",
                )
            )
            ends = ep.window_ends
            if ends is not None and ep.reached_on > ends:
                verdict[-1] += t(
                    f" (after the window ends on {ends}: widen the window)",
                    f"（晚于窗口结束日 {ends}：请扩大窗口）",
                )
        if ep.days_before < d:
            verdict.append(
                t(
                    f"only {ep.days_before} days before the change ({d} needed a side)",
                    f"变更前仅 {ep.days_before} 天（每侧需 {d} 天）",
                )
            )
        body += t("; ", "；").join(verdict)
    return f'<p class="note"><b>{escape(head)}</b>{escape(body)}</p>'


def _project_html(ctx: ReportContext, ev: ProjectEvaluation) -> str:
    t = ctx.t
    p = ev.project
    head = [
        t("metric", "指标"),
        t("before", "之前"),
        t("after", "之后"),
        t("change (95 % CI)", "变化（95% 置信区间）"),
        t("verdict", "结论"),
        t("expected", "预期"),
        t("CI covers expected", "区间覆盖预期"),
    ]
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join(_evidence_row(ctx, m) for m in ev.metrics)
    seg = ", ".join(f"{k} = {v}" for k, v in p.segment.items()) or t("all", "全部")
    steps = "".join(
        f"<li>{'✔' if s.done else '☐'} {escape(s.step)}"
        f"{escape(' — ' + s.owner) if s.owner else ''}"
        f"{escape(', ' + t('due', '截止') + ' ' + s.due.isoformat()) if s.due else ''}"
        f"{' <b>' + escape(t('late', '逾期')) + '</b>' if s in ev.plan.late else ''}</li>"
        for s in p.plan
    )
    details = "".join(
        f'<p class="note">{escape(m.measured.summary)}</p>'
        for m in ev.metrics
        if m.measured is not None
    ) + "".join(
        f'<p class="note">{escape(m.prediction.summary)}</p>'
        for m in ev.metrics
        if m.prediction is not None
    )
    notes = "".join(
        f"<li>{escape(n)}</li>" for m in ev.metrics for n in (*m.notes,)
    ) + "".join(f"<li>{escape(n)}</li>" for n in ev.notes)
    return (
        f'<h3 id="{project_anchor(p.id)}">{escape(p.id)} · {escape(p.title)} '
        f"({escape(p.status)})</h3>"
        f"<p>{escape(p.change or '')}</p>"
        + kpi_cards(
            [
                (t("Changed at", "变更时间"), ev.change_at.strftime("%Y-%m-%d %H:%M")),
                (t("Segment", "细分"), seg),
                (
                    t("Plan steps done", "已完成步骤"),
                    f"{ev.plan.done}/{ev.plan.done + ev.plan.open}",
                ),
                (t("Late steps", "逾期步骤"), f"{len(ev.plan.late)}"),
            ]
        )
        + f'<table class="data"><thead><tr>{th}</tr></thead><tbody>{body}</tbody>'
        "</table>"
        + "".join(_plan_html(ctx, m) for m in ev.metrics)
        + details
        + (f"<ul>{steps}</ul>" if steps else "")
        + (f'<ul class="note">{notes}</ul>' if notes else "")
    )


def _all(items: object, kind: type) -> bool:
    """Whether ``items`` is a non-empty sequence of ``kind`` (results given, not files)."""
    return (
        isinstance(items, list | tuple)
        and bool(items)
        and all(isinstance(i, kind) for i in items)
    )


def build(ctx: ReportContext) -> Section | None:
    """Targets with their status and projects with their measured effects."""
    from servops.report.builder import Section

    given_t = ctx.extras.get("targets")
    given_p = ctx.extras.get("projects")
    if given_t is None and given_p is None:
        return None
    t = ctx.t
    cfg = _config(ctx)
    parts: list[str] = []
    statuses: tuple[TargetStatus, ...] = ()
    evaluations: tuple[ProjectEvaluation, ...] = ()
    if given_t is not None:
        statuses = (
            tuple(given_t)
            if _all(given_t, TargetStatus)
            else target_status(ctx.log, given_t, config=cfg)
        )
        ctx.cache["target_status"] = statuses
        parts.append(_targets_html(ctx, statuses))
    if given_p is not None:
        evaluations = (
            tuple(given_p)
            if _all(given_p, ProjectEvaluation)
            else evaluate_projects(ctx.log, given_p, config=cfg)
        )
        ctx.cache["project_evaluations"] = evaluations
        how = t(
            "Each project is measured by before/after on the cases arriving within "
            "its window around the change: durations and rates with intervals that "
            "resample whole days (in blocks when the days depend on each other), "
            "volume and case-mix changes named "
            "(servops improve projects). Its evidence plan gives the days a side the "
            "comparison needs to find the expected change, planned on the days "
            "before the change, and how many days after it there are so far.",
            "每个改进项目用变更前后窗口内到达的案例做前后对比：时长与比率的区间"
            "按整天（日间相关时按连续数天的块）重抽样，并列出量与案例构成的变化（servops improve projects）。"
            "证据计划根据变更前的天数，给出发现预期变化所需的每侧天数，"
            "以及变更后目前已有的天数。",
        )
        parts.append(f'<p class="note">{escape(how)}</p>')
        parts.extend(_project_html(ctx, ev) for ev in evaluations)
    counts = {s.status: 0 for s in statuses}
    for s in statuses:
        counts[s.status] += 1
    summary = t(
        f"{len(statuses)} target(s)"
        + (
            " (" + ", ".join(f"{n} {k}" for k, n in counts.items()) + ")"
            if counts
            else ""
        )
        + f"; {len(evaluations)} improvement project(s).",
        f"{len(statuses)} 个目标；{len(evaluations)} 个改进项目。",
    )
    return Section(
        id="improve",
        title=t("Targets and improvement projects", "目标与改进项目"),
        html="".join(parts),
        summary=summary,
    )
