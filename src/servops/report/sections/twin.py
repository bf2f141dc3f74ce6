"""The digital-twin section: baseline against the most promising what-if scenarios.

With ``ctx.extras["sim_model"]`` (a model file, mapping or Model) that model is used;
otherwise one is discovered from the report's log. A few simple scenarios are tried
(one more person in the busiest pool, faster work on the slowest step, skipping the
most repeated step, halving the waits before the most waited-for step), each
replicated with common random numbers, and the ones that shorten cycle time most are
shown with 95 % confidence intervals, beside each pool's utilisation (busy over present
person-time, never above 100 %). A discovered twin is first checked against the log
(:func:`servops.sim.validate_twin`: one run of as many cases as the log, until its end)
and its verdict shown: an unfit twin's what-ifs are marked as not to be trusted. Kept
small so the section costs a few seconds. The runs are
:func:`servops.improve.whatif.twin_whatifs`, the same ones ``servops diagnose --twin``
reports.
"""

from __future__ import annotations

import math
from html import escape

from servops._durations import format_duration as fmt_duration
from servops.errors import ServopsError
from servops.report.builder import ReportContext, Section
from servops.report.charts import bar_chart, kpi_cards

__all__ = ["build"]


def build(ctx: ReportContext) -> Section | None:
    """Baseline vs the most promising scenarios, with confidence intervals."""
    from servops.improve.whatif import twin_whatifs

    t = ctx.t
    given = ctx.extras.get("sim_model")
    try:
        run = twin_whatifs(ctx.log, given)
    except ServopsError:
        return None
    model = run.model
    origin = (
        t("the model given", "给定模型")
        if run.origin == "given"
        else t("discovered from this log", "从本日志发现")
    )
    ctx.cache["sim_model"] = model
    check = run.check
    base_res = run.baseline
    pairs = list(zip(run.options, run.comparisons, strict=True))
    rows = [
        (
            t(w.label, w.label_zh or w.label),
            comp,
            comp.differences()["mean_cycle_time_s"],
        )
        for w, comp in pairs
    ]
    best = rows[:3]
    # for the diagnosis narrative: the options shown here, and how far to trust them
    ctx.cache["twin_run"] = run
    ctx.cache["twin_whatifs"] = list(run.best(3))
    ctx.cache["twin_verdict"] = run.verdict
    est = base_res.estimates()
    ct = est["mean_cycle_time_s"]
    cards = kpi_cards(
        [
            (t("Simulated cases per run", "每次模拟案例数"), f"{run.cases:,}"),
            (t("Replications", "重复次数"), f"{run.replications}"),
            (t("Baseline mean cycle time", "基线平均周期"), fmt_duration(ct.mean)),
            (t("Scenarios tried", "尝试的情景"), f"{len(rows)}"),
        ],
        notes=[
            "",
            "",
            t(
                f"95% CI {fmt_duration(ct.low)} – {fmt_duration(ct.high)}",
                f"95% 置信区间 {fmt_duration(ct.low)} – {fmt_duration(ct.high)}",
            ),
            "",
        ],
    )
    head = (
        f"<tr><th>{escape(t('Scenario', '情景'))}</th>"
        f"<th>{escape(t('Mean cycle time', '平均周期'))}</th>"
        f"<th>{escape(t('Change', '变化'))}</th>"
        f"<th>{escape(t('95% CI of the change', '变化的 95% 置信区间'))}</th>"
        f"<th>{escape(t('Mean wait per step', '每步平均等待'))}</th></tr>"
    )
    body = [
        f"<tr><td>{escape(t('Baseline', '基线'))}</td><td>{fmt_duration(ct.mean)}</td>"
        f"<td>–</td><td>–</td>"
        f"<td>{fmt_duration(est['mean_waiting_time_s'].mean)}</td></tr>"
    ]
    for label, comp, d in best:
        s_est = comp.scenario.estimates()
        sig = d.high < 0 or d.low > 0
        body.append(
            f"<tr><td>{escape(label)}</td>"
            f"<td>{fmt_duration(s_est['mean_cycle_time_s'].mean)}</td>"
            f"<td>{'<b>' if sig else ''}{fmt_duration(d.mean)}{'</b>' if sig else ''}</td>"
            f"<td>{fmt_duration(d.low)} – {fmt_duration(d.high)}</td>"
            f"<td>{fmt_duration(s_est['mean_waiting_time_s'].mean)}</td></tr>"
        )
    table = f'<table class="data">{head}{"".join(body)}</table>'
    chart = bar_chart(
        [t("Baseline", "基线"), *[r[0] for r in best]],
        [
            ct.mean / 3600.0,
            *[
                r[1].scenario.estimates()["mean_cycle_time_s"].mean / 3600.0
                for r in best
            ],
        ],
        title=t("Mean cycle time by scenario (hours)", "各情景平均周期（小时）"),
        horizontal=True,
        highlight=[False, *[r[2].high < 0 for r in best]],
    )
    note = t(
        f"Model {origin}: {len(model.activities)} activities, {len(model.pools)} pools. "
        f"Each scenario ran {run.replications} replications of {run.cases} cases with the same "
        f"random numbers as the baseline; a change in bold is outside its 95% interval. "
        f"Try your own with `servops simulate MODEL --scenario S.yaml`.",
        f"模型{origin}：{len(model.activities)} 个活动，{len(model.pools)} 个资源池。"
        f"每个情景以与基线相同的随机数运行 {run.replications} 次、每次 {run.cases} 个案例；"
        f"加粗的变化在 95% 置信区间之外。可用 `servops simulate MODEL --scenario S.yaml` "
        f"尝试自己的情景。",
    )
    if best:
        top = best[0]
        summary = t(
            f"Most promising what-if: {top[0]} ({fmt_duration(top[2].mean)} "
            f"mean cycle time).",
            f"最有希望的情景：{top[0]}（平均周期变化 {fmt_duration(top[2].mean)}）。",
        )
    else:
        summary = t(
            "No scenario could be built for this model.", "此模型无法构建情景。"
        )
    util = {
        p: float(u)
        for p, u in (base_res.to_dict().get("utilization") or {}).items()
        if u is not None
    }
    pools = ""
    if util:
        pools = (
            f'<table class="data"><tr><th>{escape(t("Pool", "资源池"))}</th>'
            f"<th>{escape(t('Utilisation (baseline)', '利用率（基线）'))}</th></tr>"
            + "".join(
                f"<tr><td>{escape(p)}</td><td>"
                + ("n/a" if not math.isfinite(u) else f"{100 * u:.1f} %")
                + "</td></tr>"
                for p, u in sorted(util.items())
            )
            + "</table>"
        )
    if not util:
        pools = (
            '<p class="note">'
            + escape(
                t(
                    "Utilisation: n/a — the model has no staff pools"
                    + (
                        " (this log has no start times, so no work time is measured: "
                        "all time between its events is modelled as delay)."
                        if not ctx.log.has_start_times
                        else "."
                    ),
                    "利用率：不适用——模型没有人员资源池"
                    + (
                        "（此日志没有开始时间，无法测量工作时间：事件之间的时间都按延迟建模）。"
                        if not ctx.log.has_start_times
                        else "。"
                    ),
                )
            )
            + "</p>"
        )
    fit = ""
    if check is not None:
        verdict = check.verdict
        words = {
            "fit": t("FIT", "合格"),
            "questionable": t("QUESTIONABLE", "存疑"),
            "unfit": t("UNFIT", "不合格"),
        }[verdict]
        advice = {
            "fit": t(
                "The twin reproduces the log: its what-ifs can be trusted within their "
                "intervals.",
                "孪生模型复现了日志：其情景结果在置信区间内可信。",
            ),
            "questionable": t(
                "Read its what-ifs as directions, not amounts.",
                "情景结果仅可作为方向参考，不宜作为数量依据。",
            ),
            "unfit": t(
                "Its what-ifs are NOT to be trusted until the model is corrected "
                "(servops twin discover LOG -o model.yaml, edit, then report with it).",
                "在修正模型之前，情景结果不可信（servops twin discover LOG -o model.yaml，"
                "修改后再用于报告）。",
            ),
        }[verdict]
        ratios = "; ".join(
            f"{f.name.replace('_', ' ')} ×{f.ratio:.2f}"
            for f in check.figures
            if f.ratio is not None
        )
        fit = (
            f'<p class="note"><b>{escape(t("Twin check", "孪生检验"))}: {escape(words)}'
            f"</b> ({escape(t('twin / log', '孪生 / 日志'))}: {escape(ratios)}). "
            f"{escape(' '.join(check.reasons))} {escape(advice)}</p>"
        )
        if verdict == "unfit":
            summary = t(
                f"The twin discovered from this log is unfit ({check.reasons[0]}); "
                f"its what-ifs are not to be trusted.",
                f"从本日志发现的孪生模型不合格（{check.reasons[0]}），情景结果不可信。",
            )
    return Section(
        id="twin",
        title=t("Digital twin: what if?", "数字孪生：情景模拟"),
        html=f'{fit}{cards}{chart}{table}{pools}<p class="note">{escape(note)}</p>',
        summary=summary,  # plain text: the template escapes it
    )
