"""A synthetic IT service-desk log with problems planted where the analyses should find them.

Tickets arrive by channel (phone, email, chat, portal) with a weekday × hour profile. Two
agent pools work Monday–Friday 08:00–18:00 (UTC): first level (L1-01…L1-06) and second
level (L2-01…L2-03). Work is scheduled on the earliest free agent in order of readiness,
and work that does not fit in the day carries over to the next working day. Each work
activity has a start and an end; ``Ticket created``, ``Escalated to L2``, ``Waiting for
customer``, ``Customer replied``, ``Resolved``, ``Reopened`` and ``Closed`` are instants.

Planted problems (what the report should surface):

1. **Overloaded second level**: about a third of tickets escalate to a three-person L2 team
   running at 92–97 % utilisation (``benchmarks/sim_twin_relaxation.py``), so escalated
   tickets wait days and breach their SLA.
2. **Reopen loop in Access**: password-reset fixes in category ``Access`` fail often; the
   ticket is reopened and worked again.
3. **Email inbox sweeps**: email tickets get their first response only at the next two-hourly
   inbox sweep, so email first-response times are long.
4. **A new agent**: ``L1-06`` works slower and his tickets reopen more often.

Planted improvement (what before/after should find and size): with ``improve_at``, a
new password-reset procedure cuts the reopen chance of ``Access`` tickets created from
that moment (``"midway"``: 08:00 on the first working day after the middle ticket
arrived) by :data:`REOPEN_CUT` = 20 points (0.30 → 0.10; 0.45 → 0.25 for ``L1-06``).
By construction the true effect on the Access reopen rate is −20 points whatever the
queues do. ``servops demo`` plants it; the generator's default does not. (Not a change
to staffing or the email sweep: the desk's L1 and L2 backlogs grow and swing over the
weeks of the log with no change at all — first responses' weekly median rises from
about 20 min to 2 h — so a waiting-time effect cannot be told from that drift by a
before/after comparison; a reopen chance has no such memory.)

Survey answers (0–10, NPS style) follow what happened to the ticket, with comments in
English and Chinese that name the problem.

The desk is warmed up: it runs two weeks (``warmup``) before the log's window, so the
first week meets the queues the later ones do (an empty desk made the first week's
times short and its control charts flag it). The log is an export of the tickets opened
in the window, all their events until three days after the last one was opened; the
warm-up tickets are left out, though their work kept the agents busy.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

import numpy as np
import pyarrow as pa

from servops._validation import as_rng, check_interval
from servops.errors import InvalidParameterError

if TYPE_CHECKING:
    from servops._typing import Seed

__all__ = ["DemoData", "generate_service_desk"]

DAY_START, DAY_END = 8, 18
CHANNELS = ("phone", "email", "chat", "portal")
CHANNEL_P = (0.35, 0.30, 0.20, 0.15)
CATEGORIES = ("Access", "Hardware", "Software", "Network", "Billing")
CATEGORY_P = (0.30, 0.20, 0.25, 0.15, 0.10)
ESCALATE_P = {
    "Access": 0.15,
    "Hardware": 0.45,
    "Software": 0.35,
    "Network": 0.60,
    "Billing": 0.20,
}
PRIORITIES = ("P1", "P2", "P3", "P4")
#: The planted improvement: points off the Access reopen chance (see ``improve_at``).
REOPEN_CUT = 0.20
# hourly arrival weights 0..23 (UTC) and weekday weights Mon..Sun
HOUR_W = np.array(
    [1, 1, 1, 1, 1, 2, 4, 8, 14, 16, 15, 13, 10, 12, 13, 12, 10, 8, 5, 3, 2, 2, 1, 1],
    dtype=float,
)
WEEKDAY_W = np.array([1.35, 1.15, 1.05, 1.0, 0.9, 0.25, 0.2])


@dataclass(frozen=True, slots=True)
class DemoData:
    """The generated log (one row per activity instance) and survey responses."""

    events: pa.Table
    feedback: pa.Table
    improved_at: datetime | None = None


def _next_work_moment(t: datetime) -> datetime:
    """The first instant at or after ``t`` inside working hours."""
    while True:
        if t.weekday() >= 5:
            t = datetime(t.year, t.month, t.day, DAY_START, tzinfo=UTC) + timedelta(
                days=7 - t.weekday()
            )
            continue
        if t.hour < DAY_START:
            return t.replace(hour=DAY_START, minute=0, second=0, microsecond=0)
        if t.hour >= DAY_END:
            t = (t + timedelta(days=1)).replace(
                hour=DAY_START, minute=0, second=0, microsecond=0
            )
            continue
        return t


def _add_work(t: datetime, minutes: float) -> datetime:
    """``t`` plus ``minutes`` of working time (carrying over nights and weekends)."""
    t = _next_work_moment(t)
    left = timedelta(minutes=minutes)
    while True:
        day_end = t.replace(hour=DAY_END, minute=0, second=0, microsecond=0)
        if t + left <= day_end:
            return t + left
        left -= day_end - t
        t = _next_work_moment(day_end)


@dataclass(slots=True)
class _Ticket:
    id: str
    channel: str
    category: str
    segment: str
    priority: str
    created: datetime
    escalated: bool = False
    reopens: int = 0
    waited_customer: bool = False
    agent: str = ""
    resolved: datetime | None = None


class _Pool:
    def __init__(self, names: list[str]) -> None:
        self.free = [(datetime.min.replace(tzinfo=UTC), n) for n in names]
        heapq.heapify(self.free)

    def take(
        self, ready: datetime, minutes: float, speed: dict[str, float]
    ) -> tuple[str, datetime, datetime]:
        free_at, name = heapq.heappop(self.free)
        start = _next_work_moment(max(ready, free_at))
        end = _add_work(start, minutes * speed.get(name, 1.0))
        heapq.heappush(self.free, (end, name))
        return name, start, end


_COMMENTS = {
    "wait": [
        ("en", "Took days before anyone from second level looked at it."),
        ("en", "Far too long waiting for an answer, nobody updated me."),
        ("zh", "等了好几天才有人处理，效率太低了。"),
        ("zh", "升级到二线以后一直没有回复，等待时间太长。"),
    ],
    "reopen": [
        ("en", "The password reset did not work, I had to open the ticket again."),
        ("en", "They closed it but the problem came back the next day."),
        ("zh", "密码重置根本没用，问题又出现了，只好重新打开工单。"),
        ("zh", "关闭了工单但问题没有解决，又要重新联系客服。"),
    ],
    "email": [
        ("en", "Sent an email and got no first response for hours."),
        ("zh", "发了邮件好几个小时都没有回复。"),
    ],
    "good": [
        ("en", "Quick and friendly help, solved on the first call."),
        ("en", "Great support, the agent was patient and knew the answer."),
        ("zh", "客服很耐心，很快就解决了，非常满意。"),
        ("zh", "响应及时，服务专业，点赞！"),
    ],
    "ok": [
        ("en", "Fine, it got fixed eventually."),
        ("zh", "问题解决了，还可以。"),
        ("en", "Okay service."),
    ],
}


def generate_service_desk(
    *,
    cases: int = 3000,
    seed: Seed = 7,
    start: datetime = datetime(2026, 9, 7, tzinfo=UTC),
    survey_rate: float = 0.35,
    improve_at: datetime | Literal["midway"] | None = None,
    warmup: timedelta = timedelta(weeks=2),
) -> DemoData:
    """Generate the demo service-desk log and survey responses.

    Parameters
    ----------
    cases
        Number of tickets (arrivals continue until this many have arrived).
    seed
        Random seed; the same seed gives the same data.
    start
        Monday on which arrivals start (UTC).
    survey_rate
        Share of resolved tickets that answer the survey.
    improve_at
        From when ``Access`` tickets get the new password-reset procedure (reopen
        chance :data:`REOPEN_CUT` lower; by creation time): a moment, ``"midway"``
        (08:00 on the first working day after the middle ticket arrived; the middle
        ticket's arrival when the log ends before that) or ``None`` (never). The
        result's ``improved_at`` says when.
    warmup
        The desk runs this long before ``start`` (arrivals, queues, agents), so that the
        log's first weeks are as busy as the later ones rather than starting from an
        empty desk. The log is what a ticket tool's export "tickets opened from
        ``start``" holds: the tickets created from ``start`` on with all their events;
        warm-up tickets are left out (their work still occupies the agents), so no
        case is cut at the start and ``cases`` tickets are in the log.

    Examples
    --------
    >>> data = generate_service_desk(cases=50, seed=1)
    >>> len(set(data.events.column("case_id").to_pylist()))
    50
    """
    check_interval(cases, "cases", "generate_service_desk", low=1, closed="left")
    check_interval(
        survey_rate,
        "survey_rate",
        "generate_service_desk",
        low=0,
        high=1,
        closed="both",
    )
    rng = as_rng(seed)
    per_hour = HOUR_W / HOUR_W.sum()
    # ~75 tickets per average weekday
    base_rate = 75.0 / (WEEKDAY_W[:5].mean())
    l1 = _Pool([f"L1-{i:02d}" for i in range(1, 7)])
    l2 = _Pool([f"L2-{i:02d}" for i in range(1, 4)])
    speed = {"L1-06": 1.6}
    rows: dict[str, list[object]] = {
        k: []
        for k in (
            "case_id",
            "activity",
            "start_timestamp",
            "timestamp",
            "resource",
            "channel",
            "priority",
            "segment",
            "category",
        )
    }
    if warmup < timedelta(0):
        msg = (
            "The 'warmup' parameter of generate_service_desk must be a timedelta of "
            f"at least 0. Got {warmup!r} instead."
        )
        raise InvalidParameterError(msg)
    # Arrivals: a non-homogeneous Poisson process by hour, from the warm-up's start.
    warm: list[datetime] = []
    arrivals: list[datetime] = []
    t = start - warmup
    while len(arrivals) < cases:
        lam = base_rate * WEEKDAY_W[t.weekday()] * per_hour[t.hour]
        n = int(rng.poisson(lam))
        (warm if t < start else arrivals).extend(
            t + timedelta(seconds=float(s)) for s in np.sort(rng.uniform(0, 3600, n))
        )
        t += timedelta(hours=1)
    arrivals = arrivals[:cases]
    horizon = arrivals[-1] + timedelta(days=3)
    improved = _improvement_moment(improve_at, arrivals)

    # Each ticket is a small state machine; steps are scheduled in order of readiness.
    heap: list[tuple[datetime, int, int, str]] = []
    tickets: list[_Ticket] = []
    for i, at in enumerate([*warm, *arrivals]):
        channel = str(rng.choice(CHANNELS, p=CHANNEL_P))
        category = str(rng.choice(CATEGORIES, p=CATEGORY_P))
        segment = "VIP" if rng.random() < 0.1 else "standard"
        pr = rng.choice(
            PRIORITIES,
            p=(0.05, 0.2, 0.5, 0.25) if segment == "standard" else (0.2, 0.4, 0.3, 0.1),
        )
        tk = _Ticket(
            id=f"INC-{i - len(warm) + 1:05d}"
            if i >= len(warm)
            else f"WARM-{i + 1:05d}",
            channel=channel,
            category=category,
            segment=segment,
            priority=str(pr),
            created=at,
        )
        tickets.append(tk)
        heapq.heappush(heap, (at, i, i, "create"))
    seq = len(tickets)

    def emit(
        tk: _Ticket, act: str, st: datetime | None, end: datetime, res: str
    ) -> None:
        if end > horizon or tk.created < start:  # warm-up tickets are not extracted
            return
        for k, v in (
            ("case_id", tk.id),
            ("activity", act),
            ("start_timestamp", st),
            ("timestamp", end),
            ("resource", res),
            ("channel", tk.channel),
            ("priority", tk.priority),
            ("segment", tk.segment),
            ("category", tk.category),
        ):
            rows[k].append(v)

    def push(at: datetime, i: int, step: str) -> None:
        nonlocal seq
        seq += 1
        if at <= horizon:
            heapq.heappush(heap, (at, seq, i, step))

    while heap:
        at, _, i, step = heapq.heappop(heap)
        tk = tickets[i]
        if step == "create":
            emit(tk, "Ticket created", None, at, "system")
            ready = at
            if tk.channel == "email":  # inbox swept every two working hours
                ready = _next_work_moment(at)
                ready = ready.replace(minute=0, second=0, microsecond=0) + timedelta(
                    hours=2 - (ready.hour % 2)
                )
            push(ready, i, "first_response")
        elif step == "first_response":
            agent, s, e = l1.take(at, float(rng.gamma(2.0, 2.5)), speed)
            tk.agent = agent
            emit(tk, "First response", s, e, agent)
            push(e, i, "l1_work")
        elif step == "l1_work":
            agent, s, e = l1.take(at, float(rng.lognormal(np.log(18), 0.5)), speed)
            tk.agent = agent
            emit(tk, "L1 work", s, e, agent)
            esc_p = ESCALATE_P[tk.category] if not tk.escalated else 0.0
            if tk.reopens == 0 and rng.random() < esc_p:
                tk.escalated = True
                emit(tk, "Escalated to L2", None, e, agent)
                push(e, i, "l2_work")
            elif not tk.waited_customer and rng.random() < 0.18:
                push(e, i, "wait_customer")
            else:
                push(e, i, "resolve")
        elif step == "l2_work":
            agent, s, e = l2.take(at, float(rng.lognormal(np.log(40), 0.6)), {})
            tk.agent = agent
            emit(tk, "L2 work", s, e, agent)
            if not tk.waited_customer and rng.random() < 0.25:
                push(e, i, "wait_customer")
            else:
                push(e, i, "resolve")
        elif step == "wait_customer":
            tk.waited_customer = True
            emit(tk, "Waiting for customer", None, at, tk.agent)
            reply = at + timedelta(hours=float(rng.exponential(20.0)))
            emit(tk, "Customer replied", None, reply, "customer")
            push(reply, i, "l2_work" if tk.escalated else "l1_work")
        elif step == "resolve":
            emit(tk, "Resolved", None, at, tk.agent)
            tk.resolved = at
            p_reopen = 0.05
            if tk.category == "Access":
                p_reopen = 0.30
                if improved is not None and tk.created >= improved:
                    p_reopen -= REOPEN_CUT
            if tk.agent == "L1-06":
                p_reopen += 0.15
            if tk.reopens < 2 and rng.random() < p_reopen:
                tk.reopens += 1
                push(at + timedelta(hours=float(rng.uniform(4, 60))), i, "reopen")
            else:
                push(at + timedelta(days=2), i, "close")
        elif step == "reopen":
            emit(tk, "Reopened", None, at, "customer")
            tk.resolved = None
            push(at, i, "l1_work")
        elif step == "close":
            emit(tk, "Closed", None, at, "system")

    events = pa.table(
        {
            "case_id": pa.array(rows["case_id"], pa.string()),
            "activity": pa.array(rows["activity"], pa.string()),
            "start_timestamp": pa.array(
                rows["start_timestamp"], pa.timestamp("us", tz="UTC")
            ),
            "timestamp": pa.array(rows["timestamp"], pa.timestamp("us", tz="UTC")),
            "resource": pa.array(rows["resource"], pa.string()),
            "channel": pa.array(rows["channel"], pa.string()),
            "priority": pa.array(rows["priority"], pa.string()),
            "segment": pa.array(rows["segment"], pa.string()),
            "category": pa.array(rows["category"], pa.string()),
        }
    )
    order = np.lexsort(
        (
            np.arange(events.num_rows),
            events.column("timestamp").to_numpy(),
            np.array(events.column("case_id").to_pylist()),
        )
    )
    events = events.take(pa.array(order))
    return DemoData(
        events=events,
        feedback=_survey(tickets[len(warm) :], rng, survey_rate, horizon),
        improved_at=improved,
    )


def _improvement_moment(
    when: datetime | Literal["midway"] | None, arrivals: list[datetime]
) -> datetime | None:
    """The moment the planted improvement starts (see :func:`generate_service_desk`)."""
    if when is None:
        return None
    if when == "midway":
        mid = arrivals[len(arrivals) // 2]
        morning = _next_work_moment(
            (mid + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        )
        # a log shorter than that has its change at the middle ticket itself
        return morning if morning < arrivals[-1] else mid
    if when.tzinfo is None:
        msg = (
            "The 'improve_at' parameter of generate_service_desk must be an aware "
            f"datetime, 'midway' or None. Got {when!r} instead."
        )
        raise InvalidParameterError(msg)
    return when


def _survey(
    tickets: list[_Ticket],
    rng: np.random.Generator,
    rate: float,
    horizon: datetime,
) -> pa.Table:
    out: dict[str, list[object]] = {
        "case_id": [],
        "score": [],
        "comment": [],
        "submitted_at": [],
        "language": [],
    }
    for tk in tickets:
        resolved = tk.resolved
        if not isinstance(resolved, datetime) or rng.random() >= rate:
            continue
        created = tk.created
        hours = (resolved - created).total_seconds() / 3600
        score = 9.2 - 0.045 * min(hours, 120) - 2.6 * tk.reopens
        score += -0.8 if tk.escalated else 0.3
        score += rng.normal(0, 1.1)
        score = int(np.clip(round(score), 0, 10))
        if tk.reopens:
            kind = "reopen"
        elif hours > 48:
            kind = "wait"
        elif tk.channel == "email" and hours > 8 and rng.random() < 0.5:
            kind = "email"
        elif score >= 9:
            kind = "good"
        else:
            kind = "ok" if score >= 7 or not tk.escalated else "wait"
        comment = ""
        lang = ""
        if rng.random() < 0.75:
            lang, comment = _COMMENTS[kind][int(rng.integers(len(_COMMENTS[kind])))]
        submitted = resolved + timedelta(hours=float(rng.uniform(1, 30)))
        if submitted > horizon:
            continue
        out["case_id"].append(tk.id)
        out["score"].append(score)
        out["comment"].append(comment or None)
        out["submitted_at"].append(submitted)
        out["language"].append(lang or None)
    return pa.table(
        {
            "case_id": pa.array(out["case_id"], pa.string()),
            "score": pa.array(out["score"], pa.int64()),
            "comment": pa.array(out["comment"], pa.string()),
            "submitted_at": pa.array(out["submitted_at"], pa.timestamp("us", tz="UTC")),
        }
    )
