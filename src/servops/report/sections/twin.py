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
small so the section costs a few seconds.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

from servops._durations import format_duration as fmt_duration
from servops.errors import ServopsError
from servops.report.builder import ReportContext, Section
from servops.report.charts import bar_chart, kpi_cards
from servops.report.narrative import WhatIf

__all__ = ["build"]


_CASES = 500
_REPLICATIONS = 5
_SEED = 20261121


def _scenarios(model: Any, base: Any, t: Any) -> list[tuple[str, dict[str, Any]]]:  # noqa: ANN401
    """Candidate edits, described for people."""
    out: list[tuple[str, dict[str, Any]]] = []
    util = {
        p: u
        for p, u in base.kpis_mean("utilization").items()
        if u is not None and math.isfinite(u)
    }
    if util:
        pool = max(util, key=lambda p: util[p])
        out.append(
            (
                t(f"One more person in {pool}", f"{pool} 增加一人"),
                {"edits": [{"staff": {"pool": pool, "change": 1}}]},
            )
        )
    work = {
        a: act.duration.mean_s
        for a, act in model.activities.items()
        if act.pool is not None
    }
    work = {a: w for a, w in work.items() if w > 0}
    if work:
        act = max(work, key=lambda a: work[a])
        out.append(
            (
                t(f"{act} 20% faster", f"{act} 提速 20%"),
                {"edits": [{"duration": {"activity": act, "factor": 0.8}}]},
            )
        )
    waits = base.kpis_mean("waiting_by_activity_s")
    # Only waits before staff work: the wait before a system or customer step (an
    # auto-close timer, a customer's reply) is not the team's to halve.
    waits = {
        a: w
        for a, w in waits.items()
        if w and math.isfinite(w) and model.activities[a].pool is not None
    }
    if waits:
        act = max(waits, key=lambda a: waits[a])
        a_model = model.activities[act]
        if a_model.delay is not None or a_model.delay_after:
            out.append(
                (
                    t(f"Halve the waiting before {act}", f"{act} 前等待减半"),
                    {"edits": [{"delay": {"activity": act, "factor": 0.5}}]},
                )
            )

    def self_loop(a: str) -> float:
        rows = [
            model.routing.successors(a),
            *model.routing.after.get(a, {}).values(),
            *model.routing.by_visit.get(a, {}).values(),
        ]
        return float(max(r.get(a, 0.0) for r in rows))

    loops = {a: self_loop(a) for a in model.activities}
    loops = {a: v for a, v in loops.items() if v > 0.05}
    if loops:
        act = max(loops, key=lambda a: loops[a])
        out.append(
            (
                t(f"No repeats of {act}", f"{act} 不再重复"),
                {"edits": [{"routing": {"from": act, "to": act, "p": 0.0}}]},
            )
        )
    return out


class _Base:
    """Means of the baseline replications, by KPI group."""

    def __init__(self, result: Any) -> None:  # noqa: ANN401
        self.data = result.to_dict()

    def kpis_mean(self, key: str) -> dict[str, float]:
        v = self.data.get(key) or {}
        return {k: x for k, x in v.items() if x is not None}


def build(ctx: ReportContext) -> Section | None:
    """Baseline vs the most promising scenarios, with confidence intervals."""
    from servops.sim.discover import discover_model
    from servops.sim.model import load_model
    from servops.sim.replications import compare, replicate
    from servops.sim.scenario import apply_scenario

    t = ctx.t
    given = ctx.extras.get("sim_model")
    try:
        if given is not None:
            model = load_model(given)
            origin = t("the model given", "给定模型")
        else:
            model = discover_model(ctx.log, calendars=True)
            origin = t("discovered from this log", "从本日志发现")
        ctx.cache["sim_model"] = model
        check = None if given is not None else _validate(ctx, model)
        kw: dict[str, Any] = {
            "replications": _REPLICATIONS,
            "cases": _CASES,
            "seed": _SEED,
        }
        base_res = replicate(model, **kw)
        base = _Base(base_res)
        rows = []
        for label, spec in _scenarios(model, base, t):
            try:
                scen = apply_scenario(model, spec)
            except ServopsError:
                continue
            comp = compare(model, scen, scenario_name=label, **kw)
            d = comp.differences().get("mean_cycle_time_s")
            if d is None or not math.isfinite(d.mean):
                continue
            rows.append((label, comp, d))
    except ServopsError:
        return None
    rows.sort(key=lambda r: r[2].mean)
    best = rows[:3]
    # for the diagnosis narrative: the options shown here, and how far to trust them
    ctx.cache["twin_whatifs"] = [
        WhatIf(label, d.mean, d.low, d.high) for label, _, d in best
    ]
    ctx.cache["twin_verdict"] = None if check is None else check.verdict
    est = base_res.estimates()
    ct = est["mean_cycle_time_s"]
    cards = kpi_cards(
        [
            (t("Simulated cases per run", "每次模拟案例数"), f"{_CASES:,}"),
            (t("Replications", "重复次数"), f"{_REPLICATIONS}"),
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
        f"Each scenario ran {_REPLICATIONS} replications of {_CASES} cases with the same "
        f"random numbers as the baseline; a change in bold is outside its 95% interval. "
        f"Try your own with `servops simulate MODEL --scenario S.yaml`.",
        f"模型{origin}：{len(model.activities)} 个活动，{len(model.pools)} 个资源池。"
        f"每个情景以与基线相同的随机数运行 {_REPLICATIONS} 次、每次 {_CASES} 个案例；"
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
    util = base.kpis_mean("utilization")
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


def _validate(ctx: ReportContext, model: Any) -> Any:  # noqa: ANN401
    """The discovered twin against the log (None when it cannot be run)."""
    from servops.sim.run import simulate
    from servops.sim.validate import validate_twin

    log = ctx.log
    end = log.fetchone('SELECT max("timestamp") FROM events')[0]
    try:
        run = simulate(model, cases=log.n_cases(), until=end, seed=_SEED)
        return validate_twin(log, run.log)
    except ServopsError:
        return None
