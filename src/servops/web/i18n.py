"""The web app's languages: English and Simplified Chinese, one catalogue per language.

Every string on the pages is a key of :data:`MESSAGES` looked up with :func:`translate`
(``t("nav.queue")`` in the templates). The language is the user's choice (the
``servops_lang`` cookie, set by ``/app/lang/<code>``), else the best of the browser's
``Accept-Language``, else English.

Examples
--------
>>> translate("zh", "nav.queue")
'我的队列'
>>> choose_language(None, "zh-CN,zh;q=0.9,en;q=0.8")
'zh'
>>> choose_language("en", "zh-CN")
'en'
"""

from __future__ import annotations

from typing import Literal, get_args

from servops.errors import InvalidParameterError

__all__ = [
    "LANGUAGES",
    "LANG_COOKIE",
    "MESSAGES",
    "Language",
    "choose_language",
    "translate",
]

Language = Literal["en", "zh"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
LANG_COOKIE = "servops_lang"

#: Language names shown in the switcher (each in its own language).
NATIVE_NAMES: dict[Language, str] = {"en": "English", "zh": "简体中文"}

EN: dict[str, str] = {
    "app.title": "servops service desk",
    "app.skip": "Skip to content",
    "nav.label": "Main",
    "nav.queue": "My queue",
    "nav.group_queue": "My groups' queues",
    "nav.portal": "My tickets",
    "nav.new_ticket": "New ticket",
    "nav.wallboard": "Wallboard",
    "nav.scorecards": "Scorecards",
    "nav.admin": "Admin",
    "nav.api": "API",
    "nav.logout": "Log out",
    "nav.language": "Language",
    "nav.signed_in_as": "Signed in as {name} ({role})",
    "role.customer": "customer",
    "role.agent": "agent",
    "role.supervisor": "supervisor",
    "role.admin": "admin",
    "login.title": "Log in",
    "login.email": "Email",
    "login.password": "Password",
    "login.submit": "Log in",
    "login.failed": "Wrong email or password.",
    "live.connected": "Live",
    "live.reconnecting": "Reconnecting…",
    "error.title": "Something went wrong",
    "error.not_found": "Not found, or you may not see it.",
    "error.forbidden": "You may not open this page.",
    "error.server": "The server failed on this page; the error is logged.",
    "error.back": "Back",
    "sla.none": "No running SLA clock",
    "sla.metric.first_response": "First response",
    "sla.metric.next_update": "Next update",
    "sla.metric.resolution": "Resolution",
    "sla.state.running": "due in",
    "sla.state.warning": "warning",
    "sla.state.breached": "breached",
    "sla.state.paused": "paused",
    "sla.state.met": "met",
    "sla.state.cancelled": "cancelled",
    "sla.state.none": "no clock",
    "state.new": "New",
    "state.open": "Open",
    "state.waiting_for_customer": "Waiting for customer",
    "state.on_hold": "On hold",
    "state.resolved": "Resolved",
    "state.closed": "Closed",
    "queue.title_mine": "My queue",
    "queue.title_groups": "My groups' queues",
    "queue.filter.state": "State",
    "queue.filter.priority": "Priority",
    "queue.filter.group": "Group",
    "queue.filter.channel": "Channel",
    "queue.filter.text": "Search subject or number",
    "queue.filter.any": "Any",
    "queue.filter.apply": "Filter",
    "queue.bulk.legend": "With the ticked tickets",
    "queue.bulk.assign_to": "Agent",
    "queue.bulk.assign": "Assign",
    "queue.bulk.state_to": "State",
    "queue.bulk.change_state": "Change state",
    "queue.bulk.priority_to": "Priority",
    "queue.bulk.change_priority": "Change priority",
    "queue.bulk.done": "{ok} of {total} tickets changed.",
    "queue.bulk.failed": "Ticket {ticket} not changed",
    "queue.count": "{shown} of {total} open tickets, most urgent SLA first",
    "queue.col.select": "Select",
    "queue.col.sla": "SLA",
    "queue.col.ticket": "Ticket",
    "queue.col.subject": "Subject",
    "queue.col.state": "State",
    "queue.col.priority": "Priority",
    "queue.col.channel": "Channel",
    "queue.col.group": "Group",
    "queue.col.assignee": "Assignee",
    "queue.col.created": "Created",
    "queue.select_ticket": "Select ticket {number}",
    "queue.unassigned": "Unassigned",
    "queue.empty": "No open tickets here.",
    "ticket.facts": "Details",
    "ticket.category": "Category",
    "ticket.customer": "Customer",
    "ticket.updated": "Updated",
    "ticket.timeline": "Timeline",
    "ticket.system": "system",
    "ticket.clocks": "SLA clocks",
    "ticket.clocks_none": "No SLA policy applies to this ticket.",
    "ticket.clock.policy": "Policy",
    "ticket.clock.target": "Target (business time)",
    "ticket.clock.elapsed": "Elapsed (business time)",
    "ticket.clock.paused": "Paused (business time)",
    "ticket.clock.due": "Due",
    "ticket.clock.stopped": "Stopped",
    "ticket.actions": "Actions",
    "ticket.move_to": "Move to (as the state machine allows):",
    "ticket.suggestion": "Suggested category",
    "ticket.confidence": "confidence {pct}%",
    "ticket.suggestion_none": "The triage model has no suggestion for this ticket.",
    "ticket.suggestion_off": "n/a: no triage model is configured (servops serve --triage-model).",
    "ticket.survey_link": "Survey link for the customer (single use):",
    "ticket.reply.title": "Reply",
    "ticket.reply.body": "Message",
    "ticket.reply.visibility": "Visibility",
    "ticket.reply.public": "Public reply",
    "ticket.reply.internal": "Internal note",
    "ticket.reply.send": "Send",
    "portal.title": "My tickets",
    "portal.count": "{shown} of {total} tickets, most recently updated first",
    "portal.empty": "You have no tickets yet.",
    "portal.subject": "Subject",
    "portal.text": "Describe the problem",
    "portal.submit": "Submit ticket",
    "survey.title": "How did we do?",
    "survey.about": "About your ticket {ticket}:",
    "survey.already": "This survey has been answered. Thank you!",
    "survey.csat": "Satisfaction (1 = very unhappy, 5 = very happy)",
    "survey.nps": "How likely are you to recommend us (0–10)?",
    "survey.comment": "Comment (optional)",
    "survey.submit": "Send answer",
    "survey.thanks": "Thank you for your answer.",
}

ZH: dict[str, str] = {
    "app.title": "servops 服务台",
    "app.skip": "跳到正文",
    "nav.label": "主导航",
    "nav.queue": "我的队列",
    "nav.group_queue": "我所在组的队列",
    "nav.portal": "我的工单",
    "nav.new_ticket": "新建工单",
    "nav.wallboard": "监控大屏",
    "nav.scorecards": "绩效卡",
    "nav.admin": "管理",
    "nav.api": "API",
    "nav.logout": "退出",
    "nav.language": "语言",
    "nav.signed_in_as": "当前用户：{name}（{role}）",
    "role.customer": "客户",
    "role.agent": "坐席",
    "role.supervisor": "主管",
    "role.admin": "管理员",
    "login.title": "登录",
    "login.email": "电子邮箱",
    "login.password": "密码",
    "login.submit": "登录",
    "login.failed": "邮箱或密码错误。",
    "live.connected": "实时",
    "live.reconnecting": "正在重新连接…",
    "error.title": "出错了",
    "error.not_found": "未找到，或您无权查看。",
    "error.forbidden": "您无权打开此页面。",
    "error.server": "服务器处理此页面时出错，错误已记录。",
    "error.back": "返回",
    "sla.none": "无运行中的 SLA 计时",
    "sla.metric.first_response": "首次响应",
    "sla.metric.next_update": "下次更新",
    "sla.metric.resolution": "解决",
    "sla.state.running": "剩余",
    "sla.state.warning": "预警",
    "sla.state.breached": "已违约",
    "sla.state.paused": "已暂停",
    "sla.state.met": "已达成",
    "sla.state.cancelled": "已取消",
    "sla.state.none": "无计时",
    "state.new": "新建",
    "state.open": "处理中",
    "state.waiting_for_customer": "等待客户",
    "state.on_hold": "挂起",
    "state.resolved": "已解决",
    "state.closed": "已关闭",
    "queue.title_mine": "我的队列",
    "queue.title_groups": "我所在组的队列",
    "queue.filter.state": "状态",
    "queue.filter.priority": "优先级",
    "queue.filter.group": "组",
    "queue.filter.channel": "渠道",
    "queue.filter.text": "搜索主题或编号",
    "queue.filter.any": "全部",
    "queue.filter.apply": "筛选",
    "queue.bulk.legend": "对勾选的工单",
    "queue.bulk.assign_to": "坐席",
    "queue.bulk.assign": "分配",
    "queue.bulk.state_to": "状态",
    "queue.bulk.change_state": "更改状态",
    "queue.bulk.priority_to": "优先级",
    "queue.bulk.change_priority": "更改优先级",
    "queue.bulk.done": "已更改 {ok}/{total} 个工单。",
    "queue.bulk.failed": "工单 {ticket} 未更改",
    "queue.count": "未结工单 {shown}/{total} 个，SLA 最紧急的在前",
    "queue.col.select": "选择",
    "queue.col.sla": "SLA",
    "queue.col.ticket": "工单",
    "queue.col.subject": "主题",
    "queue.col.state": "状态",
    "queue.col.priority": "优先级",
    "queue.col.channel": "渠道",
    "queue.col.group": "组",
    "queue.col.assignee": "处理人",
    "queue.col.created": "创建时间",
    "queue.select_ticket": "选择工单 {number}",
    "queue.unassigned": "未分配",
    "queue.empty": "这里没有未结工单。",
    "ticket.facts": "详情",
    "ticket.category": "类别",
    "ticket.customer": "客户",
    "ticket.updated": "更新时间",
    "ticket.timeline": "时间线",
    "ticket.system": "系统",
    "ticket.clocks": "SLA 计时",
    "ticket.clocks_none": "此工单不适用任何 SLA 策略。",
    "ticket.clock.policy": "策略",
    "ticket.clock.target": "目标（工作时间）",
    "ticket.clock.elapsed": "已用（工作时间）",
    "ticket.clock.paused": "暂停（工作时间）",
    "ticket.clock.due": "到期",
    "ticket.clock.stopped": "停止于",
    "ticket.actions": "操作",
    "ticket.move_to": "转到（状态机允许的状态）：",
    "ticket.suggestion": "建议类别",
    "ticket.confidence": "置信度 {pct}%",
    "ticket.suggestion_none": "分流模型对此工单没有建议。",
    "ticket.suggestion_off": "不适用：未配置分流模型（servops serve --triage-model）。",
    "ticket.survey_link": "发给客户的满意度调查链接（一次有效）：",
    "ticket.reply.title": "回复",
    "ticket.reply.body": "内容",
    "ticket.reply.visibility": "可见范围",
    "ticket.reply.public": "公开回复",
    "ticket.reply.internal": "内部备注",
    "ticket.reply.send": "发送",
    "portal.title": "我的工单",
    "portal.count": "工单 {shown}/{total} 个，最近更新的在前",
    "portal.empty": "您还没有工单。",
    "portal.subject": "主题",
    "portal.text": "问题描述",
    "portal.submit": "提交工单",
    "survey.title": "您对我们的服务满意吗？",
    "survey.about": "关于您的工单 {ticket}：",
    "survey.already": "此调查已回答，谢谢！",
    "survey.csat": "满意度（1 = 非常不满意，5 = 非常满意）",
    "survey.nps": "您向他人推荐我们的可能性（0–10）？",
    "survey.comment": "意见（可选）",
    "survey.submit": "提交",
    "survey.thanks": "感谢您的回答。",
}

MESSAGES: dict[Language, dict[str, str]] = {"en": EN, "zh": ZH}


def translate(lang: Language, key: str, **values: object) -> str:
    """The message ``key`` in ``lang`` with ``{name}`` fields filled from ``values``.

    An unknown key is an error (a test checks every key the templates use exists in
    both languages), never a silent fallback.
    """
    try:
        text = MESSAGES[lang][key]
    except KeyError:
        msg = (
            f"no message {key!r} in the {lang!r} catalogue of servops.web.i18n; "
            "add it to both EN and ZH."
        )
        raise InvalidParameterError(msg) from None
    return text.format(**values) if values else text


def _as_language(code: str) -> Language | None:
    base = code.strip().lower().replace("_", "-").split("-")[0]
    for lang in LANGUAGES:
        if lang == base:
            return lang
    return None


def choose_language(cookie: str | None, accept_language: str | None) -> Language:
    """The page language: the cookie's choice, else the best of ``Accept-Language``, else en."""
    if cookie:
        chosen = _as_language(cookie)
        if chosen is not None:
            return chosen
    best: tuple[float, Language] | None = None
    for part in (accept_language or "").split(","):
        code, _, params = part.partition(";")
        lang = _as_language(code) if code.strip() not in ("", "*") else None
        if lang is None:
            continue
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                continue
        if best is None or q > best[0]:  # ties: the earlier entry wins
            best = (q, lang)
    return best[1] if best is not None and best[0] > 0 else "en"
