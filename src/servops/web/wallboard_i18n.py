"""The wallboard's and the scorecard page's strings, added to the web catalogue.

Kept beside the pages that use them (:mod:`servops.web.wallboard`,
:mod:`servops.web.scorecards`); importing this module adds them to
:data:`servops.web.i18n.MESSAGES` once.
"""

from __future__ import annotations

from servops.web.i18n import MESSAGES

__all__ = ["EN", "ZH"]

EN: dict[str, str] = {
    "wallboard.title": "Supervisor wallboard",
    "wallboard.open": "Open tickets",
    "wallboard.at_risk": "At risk",
    "wallboard.breached": "Breached now",
    "wallboard.unassigned": "Unassigned",
    "wallboard.arrivals": "Arrived today",
    "wallboard.by_group": "Open tickets by group",
    "wallboard.group": "Group",
    "wallboard.no_group": "(no group)",
    "wallboard.no_open": "No open tickets.",
    "wallboard.agents": "Agents' load",
    "wallboard.agent": "Agent",
    "wallboard.capacity": "Capacity",
    "wallboard.load": "Load",
    "wallboard.full": "at capacity",
    "wallboard.no_capacity": "no limit",
    "wallboard.as_of": "As of {time}",
    "wallboard.analytics": "Live analyses",
    "wallboard.loading": "Computing the live log's analyses…",
    "wallboard.forecast": "Arrivals today against the forecast",
    "wallboard.forecast_so_far": "{actual} arrived so far; {expected} expected by now ({day} for the day, {model})",
    "wallboard.forecast_na": "Forecast not available: {reason}",
    "wallboard.alerts": "Control-chart alerts (last 7 days)",
    "wallboard.no_alerts": "No control-chart signal in the last 7 days.",
    "wallboard.alert_period": "Period",
    "wallboard.alert_kpi": "KPI",
    "wallboard.alert_message": "Signal",
    "wallboard.map": "Process map, last 7 days",
    "wallboard.no_map": "No cases in the last 7 days.",
    "wallboard.report": "Full report of the live log",
    "wallboard.computed": "Computed at {time}; refreshed when the log changes (at most once a minute).",
    "scorecards.title": "Agent scorecards",
    "scorecards.by_agent": "By agent",
    "scorecards.by_team": "By team",
    "scorecards.desk": "Desk: {rate} on time of {decided} decided tickets; CSAT {rating} from {ratings} answers.",
    "scorecards.none": "No ticket has an SLA decision yet (met or breached): nothing to compare.",
    "scorecards.notes": "How these figures are made",
}

ZH: dict[str, str] = {
    "wallboard.title": "主管监控大屏",
    "wallboard.open": "未关闭工单",
    "wallboard.at_risk": "即将超时",
    "wallboard.breached": "当前已超时",
    "wallboard.unassigned": "未分配",
    "wallboard.arrivals": "今日到达",
    "wallboard.by_group": "各组未关闭工单",
    "wallboard.group": "组",
    "wallboard.no_group": "（无组）",
    "wallboard.no_open": "没有未关闭的工单。",
    "wallboard.agents": "坐席负荷",
    "wallboard.agent": "坐席",
    "wallboard.capacity": "容量",
    "wallboard.load": "负荷",
    "wallboard.full": "已满",
    "wallboard.no_capacity": "不限",
    "wallboard.as_of": "截至 {time}",
    "wallboard.analytics": "实时分析",
    "wallboard.loading": "正在分析实时日志…",
    "wallboard.forecast": "今日到达与预测",
    "wallboard.forecast_so_far": "目前已到达 {actual}；按预测此时应为 {expected}（全天 {day}，{model}）",
    "wallboard.forecast_na": "无法预测：{reason}",
    "wallboard.alerts": "控制图警报（最近 7 天）",
    "wallboard.no_alerts": "最近 7 天没有控制图信号。",
    "wallboard.alert_period": "周期",
    "wallboard.alert_kpi": "指标",
    "wallboard.alert_message": "信号",
    "wallboard.map": "流程图（最近 7 天）",
    "wallboard.no_map": "最近 7 天没有工单。",
    "wallboard.report": "实时日志的完整报告",
    "wallboard.computed": "计算于 {time}；日志变化时刷新（至多每分钟一次）。",
    "scorecards.title": "坐席绩效卡",
    "scorecards.by_agent": "按坐席",
    "scorecards.by_team": "按团队",
    "scorecards.desk": "全组：{decided} 张已判定工单中准时 {rate}；满意度 {rating}（{ratings} 条评价）。",
    "scorecards.none": "还没有已判定（达标或超时）的工单，无法比较。",
    "scorecards.notes": "计算说明",
}

for _lang, _strings in (("en", EN), ("zh", ZH)):
    for _key, _text in _strings.items():
        MESSAGES[_lang].setdefault(_key, _text)  # type: ignore[index]
