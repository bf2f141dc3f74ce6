"""SLA timers of the work-order service: a clock per ticket and metric, and the worker tick.

**One definition.** Policies, calendars, activity roles and pauses are a
:class:`~servops.kpi.config.KpiConfig`, the same one ``servops sla`` reads; business time
is :class:`~servops.kpi.calendar.BusinessCalendar` (``business_seconds`` and its inverse
``instant_after``). A ticket's clocks are a pure function of its events (:func:`replay`),
following the definitions of :mod:`servops.kpi.cases`:

* the policy is the first whose ``when`` fits the ticket's attributes (channel, priority,
  category, group, organisation, state, custom attributes: the case attributes of the
  service's event log); a change of them re-targets the clocks with the business time
  elapsed so far kept (measured on the old calendar up to the change);
* **first response** runs from creation to the first first-response activity (or the
  resolution or close, if earlier; a reopen before any response resumes it);
* **resolution** runs from creation to the resolution (or close); it stops while the
  ticket is paused (the config's ``pauses``: from a start activity to an end activity,
  or to the ticket's next event); a reopen resumes it from where it stopped;
* **next update** (periodic update, :mod:`servops.service.escalation`) starts at each
  public staff reply and restarts at the next one; paused like resolution; it ends with
  the resolution.

A clock has met its target when the business time elapsed is at most the target, as in
``servops sla``; :func:`outcome` gives the same met / breached / pending as that report.

**Rows and the worker.** :func:`sync_ticket` writes the clocks to ``sla_timers`` (due and
warning instants of the running ones, nothing for paused or stopped ones); call it in the
transaction of every ticket change. :func:`tick` selects running rows whose ``warn_at`` or
``due_at`` has passed through their partial indexes with ``FOR UPDATE SKIP LOCKED``,
writes the warning or breach as an event on the ticket (with the audit chain, through
:mod:`servops.service.events` and :mod:`servops.service.tickets`), queues the escalation
rules in ``escalations`` and carries out the queued ones that are due. Everything is in
the database: a tick that finds nothing to do changes nothing, two workers never fire
the same row, and a new process simply continues.
"""

from __future__ import annotations

import copy
import functools
import itertools
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from servops.errors import InvalidParameterError
from servops.kpi.calendar import ALWAYS, BusinessCalendar
from servops.service.escalation import METRICS, EscalationConfig

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from sqlalchemy import Select
    from sqlalchemy.orm import Session
    from sqlalchemy.sql.dml import ReturningInsert, ReturningUpdate

    from servops.kpi.config import KpiConfig, SlaPolicy
    from servops.service.models import Event, SlaTimer

__all__ = [
    "ACTIVITIES",
    "Clock",
    "TickResult",
    "TicketEvent",
    "TimerConfig",
    "match_policy",
    "outcome",
    "replay",
    "sync_appended",
    "sync_ticket",
    "tick",
]

Stage = Literal["running", "paused", "met", "breached", "cancelled"]

_AFTER = 0.001  # seconds of business time past the target that make a breach

#: Activities of the events the worker writes.
ACTIVITIES = {
    "warning": "SLA warning",
    "breach": "SLA breached",
    "escalation": "SLA escalation",
}


@dataclass(frozen=True, slots=True)
class TimerConfig:
    """What the timers need: the KPI/SLA config and the escalation rules.

    ``kpi`` gives the activity roles, pauses, calendars and SLA policies (for the service:
    the policies of its SLA YAML with the roles of
    :meth:`~servops.service.statemachine.StateMachine.kpi_config`).
    """

    kpi: KpiConfig
    escalation: EscalationConfig = field(default_factory=EscalationConfig)


@dataclass(frozen=True, slots=True)
class TicketEvent:
    """One event of a ticket as the timers see it.

    ``changes`` are the case attributes the event sets (for the creation event: all of
    them), by their names in the event log (``priority``, ``group`` as the group's name…).
    """

    at: datetime
    activity: str
    changes: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Clock:
    """The state of one metric's clock after a ticket's events.

    Attributes
    ----------
    metric
        ``first_response``, ``next_update`` or ``resolution``.
    policy
        The SLA policy in force (``None``: no policy applies; no row is kept).
    target_s
        Its target in business seconds (``None``: the policy has none for the metric).
    stage
        ``running``, ``paused``, ``met``, ``breached`` (stopped late) or ``cancelled``.
    started_at
        When the clock (for next update: the current cycle) started.
    elapsed_s
        Business seconds elapsed up to ``since`` (running) or in all (otherwise).
    since
        When the current running stretch began (``None`` unless running).
    paused_s
        Business seconds spent paused.
    stopped_at
        When it stopped (met, breached or cancelled).
    due_at, warn_at
        When the target (and the warning share of it) will be reached if it keeps
        running (``None`` unless running).
    paused_since
        When the current pause began (``None`` unless paused).
    """

    metric: str
    policy: str | None
    target_s: float | None
    stage: Stage
    started_at: datetime
    elapsed_s: float
    since: datetime | None
    paused_s: float
    stopped_at: datetime | None
    due_at: datetime | None
    warn_at: datetime | None
    paused_since: datetime | None = None

    def paused_at(self, at: datetime, calendar: BusinessCalendar) -> float:
        """Business seconds spent paused by ``at`` (for a paused clock, measured on)."""
        if self.stage != "paused" or self.paused_since is None:
            return self.paused_s
        return self.paused_s + _bs(calendar, self.paused_since, at)

    def elapsed_at(self, at: datetime, calendar: BusinessCalendar) -> float:
        """Business seconds elapsed by ``at`` (for a running clock, measured on)."""
        if self.stage != "running" or self.since is None:
            return self.elapsed_s
        return self.elapsed_s + _bs(calendar, self.since, at)


def _ts(t: datetime) -> float:
    return t.timestamp()


def _dt(s: float) -> datetime | None:
    return None if not math.isfinite(s) else datetime.fromtimestamp(s, UTC)


def _bs(cal: BusinessCalendar, a: datetime, b: datetime) -> float:
    """Business seconds from ``a`` to ``b`` (0 when ``b <= a``)."""
    if b <= a:
        return 0.0
    if cal.is_always_open:
        return _ts(b) - _ts(a)
    return float(cal.business_seconds([_ts(a)], [_ts(b)])[0])


def _instants_after(
    cal: BusinessCalendar, start: float, amounts: tuple[float, float]
) -> tuple[float, float]:
    """``cal.instant_after(start, a)`` of each amount, with one ``cal.windows`` call.

    The windows of a longer span begin with those of a shorter one (the same days from
    the same first one), so the running sums, and the first window in which each amount
    is reached, are those :meth:`~servops.kpi.calendar.BusinessCalendar.instant_after`
    finds: the same floats. The span is the one it takes for the largest amount.
    """
    import numpy as np

    out = [start if a <= 0 else math.nan for a in amounts]
    todo = [k for k, a in enumerate(amounts) if a > 0]
    weekly = cal.weekly_seconds
    if todo and cal.is_always_open:
        for k in todo:
            out[k] = start + amounts[k]
        todo = []
    span = (max((amounts[k] for k in todo), default=0.0) / (weekly or 1) + 2.0) * 7
    span *= 86_400
    while todo and weekly and span < 50 * 366 * 86_400:
        ws, we = cal.windows(start, start + span)
        open_from = np.maximum(ws, start)
        dur = np.clip(we - open_from, 0.0, None)
        cum = np.cumsum(dur)
        for k in list(todo):
            i = int(np.searchsorted(cum, amounts[k], side="left"))
            if i < cum.size:
                out[k] = float(open_from[i] + amounts[k] - (cum[i] - dur[i]))
                todo.remove(k)
        span *= 2
    for k in todo:  # never open again (no hours, or 50 years of holidays)
        out[k] = math.inf
    return out[0], out[1]


def match_policy(
    policies: Sequence[SlaPolicy], attributes: Mapping[str, object]
) -> SlaPolicy | None:
    """The first policy whose ``when`` fits the attributes (as ``servops sla`` matches).

    Each ``when`` key must be present and its value, as text, among the allowed ones; an
    empty ``when`` fits every ticket.
    """
    for p in policies:
        if all(
            attributes.get(k) is not None and str(attributes.get(k)) in vs
            for k, vs in p.when
        ):
            return p
    return None


@dataclass(slots=True)
class _Run:
    """A metric's clock while replaying (mutable; :class:`Clock` is the result)."""

    metric: str
    started: datetime | None = None
    elapsed: float = 0.0
    since: datetime | None = None  # start of the running stretch
    paused_since: datetime | None = None
    paused_s: float = 0.0
    stopped_at: datetime | None = None
    cancelled: bool = False
    done: bool = False  # first response given (first_response only)

    @property
    def active(self) -> bool:
        return self.started is not None and self.stopped_at is None

    def begin(self, at: datetime, *, paused: bool) -> None:
        self.started, self.elapsed, self.paused_s = at, 0.0, 0.0
        self.stopped_at, self.cancelled = None, False
        self.since, self.paused_since = (None, at) if paused else (at, None)

    def settle(self, at: datetime, cal: BusinessCalendar) -> None:
        """Fold the running stretch (or pause) up to ``at`` into the totals."""
        if self.since is not None:
            self.elapsed += _bs(cal, self.since, at)
            self.since = at
        if self.paused_since is not None:
            self.paused_s += _bs(cal, self.paused_since, at)
            self.paused_since = at

    def stop(
        self, at: datetime, cal: BusinessCalendar, *, cancel: bool = False
    ) -> None:
        if not self.active:
            return
        self.settle(at, cal)
        self.since = self.paused_since = None
        self.stopped_at, self.cancelled = at, cancel

    def resume_from_stop(self, *, paused: bool) -> None:
        """Run on from where it stopped (a reopen): the time since counts."""
        if self.started is None or self.stopped_at is None:
            return
        at = self.stopped_at
        self.stopped_at, self.cancelled = None, False
        self.since, self.paused_since = (None, at) if paused else (at, None)

    def set_paused(self, at: datetime, cal: BusinessCalendar, *, paused: bool) -> None:
        if not self.active:
            return
        self.settle(at, cal)
        if paused and self.since is not None:
            self.since, self.paused_since = None, at
        elif not paused and self.paused_since is not None:
            self.since, self.paused_since = at, None


def replay(
    events: Sequence[TicketEvent],
    config: TimerConfig,
) -> dict[str, Clock]:
    """The clocks of one ticket after its events (the first is its creation).

    Returns one :class:`Clock` per metric that has a target under the ticket's current
    policy, or was running under an earlier one (then ``cancelled``). Empty when no
    policy applies.

    Examples
    --------
    >>> from datetime import timedelta
    >>> from servops.kpi.config import config_from_dict
    >>> kpi = config_from_dict(
    ...     {
    ...         "activities": {"first_response": "Reply", "resolved": "Resolve"},
    ...         "sla": [{"name": "std", "first_response": "1h", "resolution": "8h"}],
    ...     }
    ... )
    >>> t0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
    >>> clocks = replay(
    ...     [
    ...         TicketEvent(t0, "Created"),
    ...         TicketEvent(t0 + timedelta(minutes=90), "Reply"),
    ...     ],
    ...     TimerConfig(kpi),
    ... )
    >>> clocks["first_response"].stage, clocks["first_response"].elapsed_s
    ('breached', 5400.0)
    >>> clocks["resolution"].stage, clocks["resolution"].due_at.hour
    ('running', 17)
    """
    state = _Replay(config)
    state.feed(events)
    return state.clocks()


class _Replay:
    """The replay of a ticket's events so far; :meth:`feed` more, read :meth:`clocks`.

    Feeding events in two batches leaves exactly the state one batch leaves (the same
    operations in the same order), so a copy kept after one write can take the next
    write's events alone (:func:`sync_appended`).
    """

    __slots__ = (
        "attrs",
        "cal",
        "config",
        "ends",
        "ever",
        "first_response",
        "n",
        "open_pauses",
        "policy",
        "reopened",
        "runs",
    )

    def __init__(self, config: TimerConfig) -> None:
        kpi = config.kpi
        self.config = config
        self.first_response = frozenset(kpi.first_response)
        self.ends = frozenset(kpi.resolved) | frozenset(kpi.closed)
        self.reopened = frozenset(kpi.reopened)
        self.n = 0  # events fed
        self.attrs: dict[str, object] = {}
        self.policy: SlaPolicy | None = None
        self.cal: BusinessCalendar = ALWAYS
        self.runs = {m: _Run(m) for m in METRICS}
        self.ever: set[str] = set()  # metrics that had a target at some point
        # None: ends at the next event
        self.open_pauses: list[frozenset[str] | None] = []

    def copy(self) -> _Replay:
        """An independent copy (the runs, attributes and pauses are not shared)."""
        out = _Replay.__new__(_Replay)
        out.config, out.first_response = self.config, self.first_response
        out.ends, out.reopened, out.n = self.ends, self.reopened, self.n
        out.attrs, out.policy, out.cal = dict(self.attrs), self.policy, self.cal
        out.runs = {m: copy.copy(r) for m, r in self.runs.items()}
        out.ever, out.open_pauses = set(self.ever), list(self.open_pauses)
        return out

    def targets(self, p: SlaPolicy | None) -> dict[str, float | None]:
        if p is None:
            return dict.fromkeys(METRICS)
        return {
            "first_response": p.first_response_s,
            "next_update": self.config.escalation.next_update_s(p.name),
            "resolution": p.resolution_s,
        }

    def feed(self, events: Sequence[TicketEvent]) -> None:
        """Replay ``events`` (the ticket's next ones, in order) on top of the state."""
        kpi = self.config.kpi
        runs = self.runs
        fr, res, nu = runs["first_response"], runs["resolution"], runs["next_update"]
        for ev in events:
            at = ev.at
            first = self.n == 0
            self.n += 1
            if first:
                fr.begin(at, paused=False)
                res.begin(at, paused=False)
            if ev.changes or first:
                self.attrs.update(ev.changes)
                new = match_policy(kpi.policies, self.attrs)
                if first or new is not self.policy:
                    for r in runs.values():
                        r.settle(at, self.cal)  # elapsed so far, on the old calendar
                    self.policy = new
                    self.cal = new.calendar if new is not None else ALWAYS
                    self.ever.update(
                        m for m, v in self.targets(new).items() if v is not None
                    )
            cal = self.cal
            paused_before = bool(self.open_pauses)
            self.open_pauses = [
                p for p in self.open_pauses if p is not None and ev.activity not in p
            ]
            paused = bool(self.open_pauses)
            if paused_before and not paused:
                for m in ("resolution", "next_update"):
                    runs[m].set_paused(at, cal, paused=False)
            if ev.activity in self.reopened:
                if not fr.done:
                    fr.resume_from_stop(paused=False)
                res.resume_from_stop(paused=paused)
            if ev.activity in self.first_response:
                if not fr.done:
                    fr.resume_from_stop(paused=False)
                    fr.stop(at, cal)
                    fr.done = True
                if res.active:
                    nu.stop(at, cal)
                    nu.begin(at, paused=paused)
            if ev.activity in self.ends:
                fr.stop(at, cal)
                res.stop(at, cal)
                nu.stop(at, cal, cancel=True)
            starts = next((p for p in kpi.pauses if ev.activity in p.start), None)
            if starts is not None:
                self.open_pauses.append(frozenset(starts.end) if starts.end else None)
                if not paused:
                    for m in ("resolution", "next_update"):
                        runs[m].set_paused(at, cal, paused=True)

    def clocks(self, before: Mapping[str, Clock] | None = None) -> dict[str, Clock]:
        """The clocks now (empty before any event).

        ``before``: the clocks this state's config gave earlier; a running clock whose
        start of stretch, elapsed time and target are unchanged keeps their due and
        warning instants (the same calendar arithmetic, not done again).
        """
        if self.n == 0:
            return {}
        out: dict[str, Clock] = {}
        goals = self.targets(self.policy)
        warn_share = self.config.escalation.warn_share
        for m, r in self.runs.items():
            target = goals[m]
            if r.started is None or (target is None and m not in self.ever):
                continue
            out[m] = _clock(
                r,
                r.started,
                self.policy,
                target,
                self.cal,
                warn_share,
                before=None if before is None else before.get(m),
            )
        return out


def _clock(
    r: _Run,
    started: datetime,
    policy: SlaPolicy | None,
    target: float | None,
    cal: BusinessCalendar,
    warn_share: float,
    *,
    before: Clock | None = None,
) -> Clock:
    due = warn = None
    stage: Stage
    if target is None or policy is None:
        stage = "cancelled"
    elif r.stopped_at is not None:
        stage = (
            "cancelled"
            if r.cancelled
            else ("met" if r.elapsed <= target else "breached")
        )
    elif r.since is not None:
        stage = "running"
        if (
            before is not None
            and before.stage == "running"
            and before.since == r.since
            and before.elapsed_s == r.elapsed
            and before.target_s == target
            and before.policy == policy.name
        ):
            due, warn = before.due_at, before.warn_at
        else:
            # Breached once MORE than the target has elapsed: a deadline at the end of
            # opening hours falls due when they open again (1 ms of business time later).
            at_due, at_warn = _instants_after(
                cal,
                _ts(r.since),
                (target - r.elapsed + _AFTER, warn_share * target - r.elapsed),
            )
            due, warn = _dt(at_due), _dt(at_warn)
    else:
        stage = "paused"
    return Clock(
        metric=r.metric,
        policy=None if policy is None else policy.name,
        target_s=target,
        stage=stage,
        started_at=started,
        elapsed_s=r.elapsed,
        since=r.since if stage == "running" else None,
        paused_s=r.paused_s,
        stopped_at=r.stopped_at if stage in ("met", "breached", "cancelled") else None,
        due_at=due,
        warn_at=warn,
        paused_since=r.paused_since if stage == "paused" else None,
    )


def outcome(
    stage: str,
    *,
    elapsed_s: float,
    target_s: float | None,
    since: datetime | None,
    as_of: datetime,
    calendar: BusinessCalendar,
) -> Literal["met", "breached", "pending"] | None:
    """Met, breached or pending at ``as_of``, as ``servops sla`` decides it.

    Breached once more business time than the target has elapsed (for a running clock,
    measured on to ``as_of``); met for a stopped clock within its target; otherwise
    pending. ``None`` for a cancelled clock or one without a target.
    """
    if target_s is None or stage == "cancelled":
        return None
    elapsed = elapsed_s
    if stage == "running" and since is not None:
        elapsed += _bs(calendar, since, as_of)
    if elapsed > target_s:
        return "breached"
    return "met" if stage in ("met", "breached") else "pending"


def _attributes_of(
    payload: Mapping[str, Any], names: Mapping[str, dict[int, str]]
) -> dict[str, object]:
    """Case-attribute changes in an event payload (group and organisation ids → names).

    The creation event's ``after`` holds every field; a field change holds ``field`` and
    ``after``; a transition's field is ``state``.
    """
    after = payload.get("after")
    if "field" in payload:
        items: list[tuple[str, Any]] = [(str(payload["field"]), after)]
    elif isinstance(after, dict):
        items = list(after.items())
    else:
        return {}
    changes: dict[str, object] = {}
    for f, v in items:
        if f == "attributes":
            gone = payload.get("before") if "field" in payload else None
            changes.update((str(k), None) for k in dict(gone or {}))
            changes.update((str(k), val) for k, val in dict(v or {}).items())
        elif f in ("group_id", "organisation_id"):
            kind = f.removesuffix("_id")
            changes[kind] = None if v is None else names[kind].get(int(v))
        elif f in ("channel", "priority", "category", "state"):
            changes[f] = v
    return changes


def _names(
    session: Session, wanted: Mapping[str, set[int]] | None = None
) -> dict[str, dict[int, str]]:
    """Group and organisation names by id (all, or only the ``wanted`` ids of each)."""
    from sqlalchemy import select

    from servops.service.models import Group, Organisation

    out: dict[str, dict[int, str]] = {}
    for kind, table in (("group", Group), ("organisation", Organisation)):
        ids = None if wanted is None else wanted.get(kind, set())
        if ids is not None and not ids:
            out[kind] = {}
            continue
        q = select(table.id, table.name)
        if ids is not None:
            q = q.where(table.id.in_(sorted(ids)))
        out[kind] = {int(i): str(n) for i, n in session.execute(q)}
    return out


def _session_names(
    session: Session, wanted: Mapping[str, set[int]]
) -> dict[str, dict[int, str]]:
    """:func:`_names` of the ``wanted`` ids, those the session holds loaded not asked for.

    The routing loads the group it assigns; its row as this transaction sees it is what
    the query would return (after the flush the query would cause).
    """
    from sqlalchemy.orm import object_session
    from sqlalchemy.orm.util import identity_key

    from servops.service.models import Group, Organisation

    found: dict[str, dict[int, str]] = {}
    missing: dict[str, set[int]] = {}
    for kind, model in (("group", Group), ("organisation", Organisation)):
        found[kind], missing[kind] = {}, set()
        for i in wanted.get(kind, ()):
            obj = session.identity_map.get(identity_key(model, i))
            if (
                isinstance(obj, Group | Organisation)
                and object_session(obj) is session
                and "name" in obj.__dict__
                and not session.is_modified(obj)
            ):
                found[kind][i] = str(obj.name)
            else:
                missing[kind].add(i)
    if any(missing.values()):
        for kind, more in _names(session, missing).items():
            found[kind].update(more)
    return found


def _named_ids(payloads: Sequence[Mapping[str, Any]]) -> dict[str, set[int]]:
    """The group and organisation ids the events' payloads set (see :func:`_attributes_of`)."""
    wanted: dict[str, set[int]] = {"group": set(), "organisation": set()}
    for payload in payloads:
        after = payload.get("after")
        if "field" in payload:
            items: Sequence[tuple[Any, Any]] = [(payload["field"], after)]
        elif isinstance(after, dict):
            items = list(after.items())
        else:
            continue
        for f, v in items:
            if f in ("group_id", "organisation_id") and v is not None:
                wanted[str(f).removesuffix("_id")].add(int(v))
    return wanted


def ticket_events(
    session: Session,
    ticket_id: int,
    *,
    names: Mapping[str, dict[int, str]] | None = None,
) -> list[TicketEvent]:
    """A ticket's events as the timers see them, in order."""
    return _stored_events(session, ticket_id, names=names)[0]


def _stored_events(
    session: Session,
    ticket_id: int,
    *,
    names: Mapping[str, dict[int, str]] | None = None,
) -> tuple[list[TicketEvent], tuple[int, str]]:
    """The ticket's events (:func:`ticket_events`) and the ``seq`` and hash of its last."""
    from sqlalchemy import select

    from servops.service.models import Event

    rows = session.execute(
        select(Event.occurred_at, Event.activity, Event.payload, Event.seq, Event.hash)
        .where(Event.ticket_id == ticket_id)
        .order_by(Event.seq)
    ).all()
    lookup = (
        names
        if names is not None
        else _names(session, _named_ids([p or {} for _, _, p, _, _ in rows]))
    )
    events = [
        TicketEvent(at=at, activity=act, changes=_attributes_of(payload or {}, lookup))
        for at, act, payload, _, _ in rows
    ]
    head = (0, "") if not rows else (int(rows[-1][3]), str(rows[-1][4]))
    return events, head


def _row_values(c: Clock, *, fired: bool) -> dict[str, Any]:
    """The ``sla_timers`` columns of a clock (``fired``: the row's breach was fired)."""
    stage: str = c.stage
    if fired and stage in ("running", "paused"):
        stage = "breached"  # fired: the breach event and escalations exist
    return {
        "policy": c.policy,
        "target_seconds": c.target_s if c.target_s is not None else 0.0,
        "started_at": c.started_at,
        "due_at": c.due_at if stage == "running" else None,
        "warn_at": c.warn_at if stage == "running" else None,
        "stage": stage,
        "elapsed_business_seconds": c.elapsed_s,
        "paused_seconds": c.paused_s,
        "last_started_at": c.since,
        "stopped_at": c.stopped_at,
    }


def sync_ticket(
    session: Session,
    ticket_id: int,
    config: TimerConfig,
    *,
    names: Mapping[str, dict[int, str]] | None = None,
) -> dict[str, SlaTimer]:
    """Bring the ticket's ``sla_timers`` rows up to date with its events.

    Call it in the transaction of every change of the ticket (after the change's event
    is appended). A warning or breach the worker has fired stays recorded (``warned_at``,
    ``breached_at``; a fired breach keeps the stage ``breached``), except that a new
    next-update cycle starts afresh. Replays all the ticket's events
    (:func:`sync_appended` is the API's cheaper way to the same rows).

    Returns
    -------
    dict[str, SlaTimer]
        The rows by metric.
    """
    from servops.service.events import lock_ticket

    # The ticket's row first, then its timers: the order every writer takes them in
    # (append_event locks the ticket; the worker's tick locks ticket and timer together).
    lock_ticket(session, ticket_id)
    clocks = replay(ticket_events(session, ticket_id, names=names), config)
    return _write_orm(session, ticket_id, clocks)


def _write_orm(
    session: Session, ticket_id: int, clocks: Mapping[str, Clock]
) -> dict[str, SlaTimer]:
    """Write the clocks to the ticket's rows through the ORM (rows loaded and kept)."""
    from sqlalchemy import select

    from servops.service.events import created_here
    from servops.service.models import SlaTimer

    # a ticket this transaction inserted has no timer rows before its first sync
    rows = (
        {}
        if created_here(session, ticket_id, forget=True)
        else {
            r.metric: r
            for r in session.execute(
                select(SlaTimer)
                .where(SlaTimer.ticket_id == ticket_id)
                .with_for_update()
            ).scalars()
        }
    )
    for metric, c in clocks.items():
        row = rows.get(metric)
        if row is None:
            row = SlaTimer(ticket_id=ticket_id, metric=metric, version=0)
            session.add(row)
            rows[metric] = row
        elif metric == "next_update" and row.started_at != c.started_at:
            row.warned_at = row.breached_at = None
        values = _row_values(c, fired=row.breached_at is not None)
        if any(getattr(row, k, None) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            row.version = (row.version or 0) + 1
    for metric, row in rows.items():
        if metric not in clocks and row.stage in ("running", "paused"):
            row.stage, row.due_at, row.warn_at = "cancelled", None, None
            row.version = (row.version or 0) + 1
    session.flush()
    return rows


_TIMER_COLUMNS = (
    "policy",
    "target_seconds",
    "started_at",
    "due_at",
    "warn_at",
    "stage",
    "elapsed_business_seconds",
    "paused_seconds",
    "last_started_at",
    "stopped_at",
)


@functools.cache
def _read_timers() -> Select[Any]:
    """The ticket's timer rows, locked (``FOR UPDATE``), as :func:`_write_core` reads them."""
    from sqlalchemy import Table, bindparam, select

    from servops.service.models import SlaTimer

    t = SlaTimer.__table__
    assert isinstance(t, Table)
    return (
        select(
            t.c.id,
            t.c.metric,
            t.c.warned_at,
            t.c.breached_at,
            t.c.version,
            *(t.c[k] for k in _TIMER_COLUMNS),
        )
        .where(t.c.ticket_id == bindparam("ticket_id"))
        .with_for_update()
    )


#: The columns :func:`_update_timers` sets (``row_id``: the row's id, ``old_version``:
#: its version before) and :func:`_insert_timers` writes.
_UPDATED = (
    "row_id",
    "old_version",
    "warned_at",
    "breached_at",
    "version",
    *_TIMER_COLUMNS,
)
_INSERTED = ("ticket_id", "metric", "version", *_TIMER_COLUMNS)


@functools.cache
def _update_timers(n: int) -> ReturningUpdate[Any]:
    """One UPDATE of ``n`` timer rows, each only if still at its ``old_version``.

    ``UPDATE sla_timers SET … FROM (VALUES <n rows>) AS v WHERE id = v.row_id AND
    version = v.old_version RETURNING id``: one statement (one round trip) for ``n``
    rows, where an executemany of pg8000 sends the UPDATE once per row; a row at
    another version is not changed (nor returned).
    Parameters ``<column>_<i>`` (built once per ``n``).
    """
    from sqlalchemy import Table, bindparam, column, update, values

    from servops.service.models import SlaTimer

    t = SlaTimer.__table__
    assert isinstance(t, Table)
    kinds = {
        c: t.c[{"row_id": "id", "old_version": "version"}.get(c, c)].type
        for c in _UPDATED
    }
    rows = values(*(column(c, kinds[c]) for c in _UPDATED), name="v").data(
        [
            tuple(bindparam(f"{c}_{i}", type_=kinds[c]) for c in _UPDATED)
            for i in range(n)
        ]
    )
    return (
        update(t)
        .where(t.c.id == rows.c.row_id, t.c.version == rows.c.old_version)
        .values({c: rows.c[c] for c in _UPDATED if c not in ("row_id", "old_version")})
        .returning(t.c.id)
    )


@functools.cache
def _insert_timers(n: int) -> ReturningInsert[Any]:
    """``INSERT INTO sla_timers (…) VALUES <n rows>``: one round trip for ``n`` rows.

    Parameters as :func:`_update_timers`'.
    """
    from sqlalchemy import Table, bindparam, insert

    from servops.service.models import SlaTimer

    t = SlaTimer.__table__
    assert isinstance(t, Table)
    return (
        insert(t)
        .values(
            [
                {c: bindparam(f"{c}_{i}", type_=t.c[c].type) for c in _INSERTED}
                for i in range(n)
            ]
        )
        .returning(t.c.id, t.c.metric)
    )


@functools.cache
def _driver_sql(kind: Literal["update", "insert"], n: int) -> tuple[str, list[str]]:
    """:func:`_update_timers` or :func:`_insert_timers` as pg8000 SQL, parameter order.

    Executed as driver SQL: SQLAlchemy would build the cache key of the statement, one
    parameter per row and column, at every execution (more CPU than the round trips the
    one statement saves). The columns' types have no bind processing under pg8000.
    """
    from sqlalchemy.dialects.postgresql.pg8000 import dialect

    stmt = _update_timers(n) if kind == "update" else _insert_timers(n)
    compiled = stmt.compile(dialect=dialect())  # type: ignore[no-untyped-call]
    assert compiled.positiontup is not None
    return str(compiled), list(compiled.positiontup)


def _execute_rows(
    session: Session,
    kind: Literal["update", "insert"],
    rows: Sequence[Mapping[str, Any]],
) -> list[Any]:
    """Run :func:`_driver_sql` of ``kind`` for ``rows``; the rows it returns."""
    sql, order = _driver_sql(kind, len(rows))
    columns = _UPDATED if kind == "update" else _INSERTED
    named = {f"{c}_{i}": row[c] for i, row in enumerate(rows) for c in columns}
    result = session.connection().exec_driver_sql(sql, tuple(named[k] for k in order))
    return list(result.all())


#: A timer row as :func:`_write_core` knows it: ``id``, ``metric``, ``version``,
#: ``warned_at``, ``breached_at`` and the :data:`_TIMER_COLUMNS`.
_TimerRow = dict[str, Any]


def _write_core(
    session: Session,
    ticket_id: int,
    clocks: Mapping[str, Clock],
    known: Mapping[str, _TimerRow] | None = None,
) -> dict[str, _TimerRow]:
    """:func:`_write_orm` in Core statements: the same rows, without the unit of work.

    Reads the rows (``FOR UPDATE``), then updates the changed ones and inserts the new
    ones, one statement each whatever the number of rows. ``known``: the rows as this
    process wrote them last (:func:`sync_appended`'s snapshot) instead of the read; the
    UPDATE then only changes a row still at the version written, and if any is not
    (someone else wrote it), the rows are read and the write is done again. Returns the
    rows as written.
    """
    from servops.service.events import created_here

    if created_here(session, ticket_id, forget=True):
        rows: dict[str, _TimerRow] = {}
    elif known is not None:
        rows = {m: dict(r) for m, r in known.items()}
    else:
        rows = {
            r.metric: dict(r._mapping)
            for r in session.execute(_read_timers(), {"ticket_id": ticket_id})
        }
    changed: dict[str, dict[str, Any]] = {}
    added: dict[str, dict[str, Any]] = {}
    for metric, c in clocks.items():
        row = rows.get(metric)
        if row is None:
            values = _row_values(c, fired=False)
            added[metric] = {
                "ticket_id": ticket_id,
                "metric": metric,
                "version": 1,
                "warned_at": None,
                "breached_at": None,
                **values,
            }
            continue
        warned_at, breached_at = row["warned_at"], row["breached_at"]
        if metric == "next_update" and row["started_at"] != c.started_at:
            warned_at = breached_at = None
        values = _row_values(c, fired=breached_at is not None)
        if any(row[k] != v for k, v in values.items()):
            changed[metric] = {
                "row_id": row["id"],
                "old_version": row["version"],
                "warned_at": warned_at,
                "breached_at": breached_at,
                "version": (row["version"] or 0) + 1,
                **values,
            }
    for metric, row in rows.items():
        if metric not in clocks and row["stage"] in ("running", "paused"):
            values = {k: row[k] for k in _TIMER_COLUMNS}
            values.update(stage="cancelled", due_at=None, warn_at=None)
            changed[metric] = {
                "row_id": row["id"],
                "old_version": row["version"],
                "warned_at": row["warned_at"],
                "breached_at": row["breached_at"],
                "version": (row["version"] or 0) + 1,
                **values,
            }
    if changed:
        done = _execute_rows(session, "update", list(changed.values()))
        if len(done) != len(changed):
            if known is None:  # pragma: no cover - the rows are locked since the read
                msg = f"the SLA timers of ticket {ticket_id} changed under their lock"
                raise RuntimeError(msg)
            return _write_core(session, ticket_id, clocks)
    if added:
        ids = _execute_rows(session, "insert", list(added.values()))
        for rid, metric in ids:
            added[str(metric)]["row_id"] = int(rid)
    for metric, new in (*changed.items(), *added.items()):
        rows[metric] = {
            "id": new["row_id"],
            "metric": metric,
            **{k: new[k] for k in ("version", "warned_at", "breached_at")},
            **{k: new[k] for k in _TIMER_COLUMNS},
        }
    return rows


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """A ticket's replay after its event ``seq`` (chain ``hash``) under ``config``."""

    config: TimerConfig
    seq: int
    hash: str
    state: _Replay  # never fed: copied before use
    clocks: dict[str, Clock]
    rows: dict[str, _TimerRow] | None = None  # as written (None: by the ORM)


#: Replays kept between writes, by database and ticket id (least recently used last).
_SNAPSHOTS: OrderedDict[tuple[str, int], _Snapshot] = OrderedDict()
_SNAPSHOTS_LOCK = threading.Lock()
_MAX_SNAPSHOTS = 10_000
#: Built-in case attributes; a custom attribute of the same name makes the fast path
#: depend on the key order of the stored payload, so such events are replayed in full.
_BUILTIN = frozenset(
    ("channel", "priority", "category", "state", "group", "organisation")
)


def _take_snapshot(key: tuple[str, int]) -> _Snapshot | None:
    with _SNAPSHOTS_LOCK:
        return _SNAPSHOTS.pop(key, None)


def _keep_snapshot(key: tuple[str, int], snap: _Snapshot) -> None:
    with _SNAPSHOTS_LOCK:
        _SNAPSHOTS[key] = snap
        if len(_SNAPSHOTS) > _MAX_SNAPSHOTS:
            _SNAPSHOTS.popitem(last=False)


def _as_stored(payload: Mapping[str, Any]) -> bool:
    """Whether the timers read the payload as they read its stored JSONB form.

    JSONB keeps text, integers, booleans and nulls as they are; a float may come back
    in another notation (``1e+20`` as an integer), and the order of the keys changes,
    which matters only when a custom attribute shadows a built-in one.
    """
    todo: list[object] = [payload.get("after"), payload.get("before")]
    while todo:
        v = todo.pop()
        if isinstance(v, float):
            return False
        if isinstance(v, dict):
            custom = v.get("attributes")
            if isinstance(custom, dict) and not _BUILTIN.isdisjoint(custom):
                return False
            todo.extend(v.values())
        elif isinstance(v, list):
            todo.extend(v)
    return True


def sync_appended(
    session: Session,
    ticket_id: int,
    config: TimerConfig,
    appended: Sequence[Event],
) -> None:
    """:func:`sync_ticket` for a transaction that appended ``appended`` to the ticket.

    The same rows as :func:`sync_ticket`, at a fraction of the cost: the replay of the
    ticket's earlier events is kept in the process (after each sync, by database and
    ticket) and continued with the new events alone when the first of them is chained
    to the kept one's last (``prev_hash``), the config in force is the same object and
    the new events are the transaction's chain head; a ticket this transaction created
    starts from nothing. Otherwise (another process wrote the ticket, a new config, a
    savepoint rolled back) every event is read and replayed. A running clock whose
    running stretch, elapsed time and target did not change keeps its due and warning
    instants. The rows are written with Core statements unless the session holds them
    as ORM objects (the worker's tick); when the replay continues the kept one, the rows
    as that sync wrote them stand in for reading them (:func:`_write_core`: a changed
    row is written only if still at the version written then, else they are read).
    """
    from servops.service.config_store import database_of
    from servops.service.events import chain_head, lock_ticket
    from servops.service.models import SlaTimer

    lock_ticket(session, ticket_id)
    key = (database_of(session.get_bind().engine.url), ticket_id)
    snap = _take_snapshot(key)
    evs = sorted((e for e in appended if e.ticket_id == ticket_id), key=lambda e: e.seq)
    state: _Replay | None = None
    before: dict[str, Clock] | None = None
    known: dict[str, _TimerRow] | None = None
    if (
        evs
        and chain_head(session, ticket_id) == (evs[-1].seq, evs[-1].hash)
        and all(
            b.seq == a.seq + 1 and b.prev_hash == a.hash
            for a, b in itertools.pairwise(evs)
        )
        and all(_as_stored(e.payload or {}) for e in evs)
    ):
        if evs[0].seq == 1 and not evs[0].prev_hash:
            state = _Replay(config)
        elif (
            snap is not None
            and snap.config is config
            and (snap.seq, snap.hash) == (evs[0].seq - 1, evs[0].prev_hash)
        ):
            state, before, known = snap.state.copy(), snap.clocks, snap.rows
    if state is not None:
        payloads = [e.payload or {} for e in evs]
        names = _session_names(session, _named_ids(payloads))
        state.feed(
            [
                TicketEvent(e.occurred_at, e.activity, _attributes_of(p, names))
                for e, p in zip(evs, payloads, strict=True)
            ]
        )
        head = (evs[-1].seq, evs[-1].hash)
    else:
        events, head = _stored_events(session, ticket_id)
        state = _Replay(config)
        state.feed(events)
    clocks = state.clocks(before)
    rows = None
    if any(
        isinstance(o, SlaTimer) and o.ticket_id == ticket_id
        for o in session.identity_map.values()
    ):
        _write_orm(session, ticket_id, clocks)
    else:
        rows = _write_core(session, ticket_id, clocks, known)
    _keep_snapshot(key, _Snapshot(config, head[0], head[1], state, clocks, rows))


@dataclass(frozen=True, slots=True)
class TickResult:
    """What one tick did: warnings and breaches fired, escalation actions carried out."""

    warned: int = 0
    breached: int = 0
    escalated: int = 0
    details: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "warned": self.warned,
            "breached": self.breached,
            "escalated": self.escalated,
            "details": [dict(d) for d in self.details],
        }


def tick(
    session: Session,
    now: datetime | Callable[[], datetime],
    config: TimerConfig,
    *,
    limit: int = 100,
) -> TickResult:
    """Fire the warnings, breaches and escalations due by ``now``; the caller commits.

    Timer rows are taken together with their ticket's row ``FOR UPDATE SKIP LOCKED`` (at
    most ``limit`` of each kind), so concurrent workers share the work and never fire a
    row twice, and a ticket being changed meanwhile is left for the next tick (the
    ticket is always locked before its timers: no deadlock with the API); a fired row leaves the
    selection (``warned_at`` set, stage ``breached``, escalation ``done``), so running a
    tick again fires nothing new.
    """
    from sqlalchemy import select

    from servops.service.models import Escalation, SlaTimer, Ticket

    at = now() if callable(now) else now
    if at.tzinfo is None:
        msg = f"tick: the clock gave {at!r} without a time zone; give an aware UTC datetime."
        raise InvalidParameterError(msg)
    from servops.service.config_store import tick_config

    # the newest stored SLA version (cached by id); a new one re-targets open clocks
    config = tick_config(session, config)
    esc = config.escalation
    details: list[dict[str, Any]] = []
    warned = breached = escalated = 0
    names: dict[str, dict[int, str]] | None = None

    due = list(
        session.execute(
            select(SlaTimer)
            .join(Ticket, Ticket.id == SlaTimer.ticket_id)
            .where(SlaTimer.stage == "running", SlaTimer.due_at <= at)
            .order_by(SlaTimer.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    warn = list(
        session.execute(
            select(SlaTimer)
            .join(Ticket, Ticket.id == SlaTimer.ticket_id)
            .where(
                SlaTimer.stage == "running",
                SlaTimer.warned_at.is_(None),
                SlaTimer.warn_at <= at,
            )
            .order_by(SlaTimer.warn_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    fired: list[tuple[SlaTimer, str]] = [
        (t, "warning") for t in warn if t.warned_at is None
    ]
    fired += [(t, "breach") for t in due]
    fired.sort(key=lambda x: (x[0].warn_at if x[1] == "warning" else x[0].due_at) or at)
    touched: set[int] = set()
    if fired:
        # one query loads the tickets into the identity map for the events below
        ids = sorted({t.ticket_id for t, _ in fired})
        session.execute(select(Ticket).where(Ticket.id.in_(ids))).scalars().all()
    for timer, kind in fired:
        when = (timer.warn_at if kind == "warning" else timer.due_at) or at
        if kind == "warning":
            if timer.warned_at is not None:
                continue
            timer.warned_at = at
            warned += 1
        else:
            timer.stage, timer.breached_at, timer.due_at, timer.warn_at = (
                "breached",
                when,
                None,
                None,
            )
            timer.warned_at = timer.warned_at or at
            breached += 1
        timer.version = (timer.version or 0) + 1
        _event(session, timer, kind, at=at, when=when)
        touched.add(timer.ticket_id)
        for rule in esc.rules:
            if rule.applies(kind, timer.metric):
                session.add(
                    Escalation(
                        timer_id=timer.id,
                        rule=rule.name,
                        action=rule.action,
                        at=_later(when, rule.after_s, at),
                        done=False,
                    )
                )
        details.append(
            {
                "ticket_id": timer.ticket_id,
                "metric": timer.metric,
                "kind": kind,
                "at": when,
            }
        )
    session.flush()

    queued = list(
        session.execute(
            select(Escalation)
            .where(Escalation.done.is_(False), Escalation.at <= at)
            .order_by(Escalation.at, Escalation.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    for item in queued:
        owner = session.get(SlaTimer, item.timer_id)
        item.done = True
        if owner is None:  # pragma: no cover - foreign key
            continue
        _perform(session, item.rule, item.action, owner, config, at=at)
        touched.add(owner.ticket_id)
        escalated += 1
        details.append(
            {
                "ticket_id": owner.ticket_id,
                "metric": owner.metric,
                "kind": "escalation",
                "rule": item.rule,
                "action": item.action,
            }
        )
    if touched and names is None:
        names = _names(session)
    for ticket_id in sorted(touched):
        sync_ticket(session, ticket_id, config, names=names)
    session.flush()
    return TickResult(
        warned=warned, breached=breached, escalated=escalated, details=tuple(details)
    )


def _later(when: datetime, seconds: float, now: datetime) -> datetime:
    from datetime import timedelta

    return max(when, now) + timedelta(seconds=seconds) if seconds else max(when, now)


def _event(
    session: Session, timer: SlaTimer, kind: str, *, at: datetime, when: datetime
) -> None:
    from servops.service.events import SYSTEM, append_event
    from servops.service.models import Ticket
    from servops.service.tickets import get_ticket

    # append_event locks the ticket's row; the identity map spares a query per event
    ticket = session.get(Ticket, timer.ticket_id) or get_ticket(
        session, timer.ticket_id
    )
    append_event(
        session,
        ticket,
        ACTIVITIES[kind],
        actor=SYSTEM,
        at=at,
        payload={
            "metric": timer.metric,
            "policy": timer.policy,
            "target_s": timer.target_seconds,
            "due_at" if kind == "breach" else "warn_at": when.isoformat(),
        },
    )


def _perform(
    session: Session,
    rule: str,
    action: str,
    timer: SlaTimer,
    config: TimerConfig,
    *,
    at: datetime,
) -> None:
    """Carry out one queued escalation: an ``SLA escalation`` event, then the change.

    The change goes through :func:`servops.service.tickets.update_ticket` (its own
    ``<Field> changed`` events). An action that cannot be done (no such group, no
    supervisor, highest priority already) is said so in the escalation event's payload.
    """
    from sqlalchemy import select

    from servops.service.events import SYSTEM, append_event
    from servops.service.models import Group, Ticket
    from servops.service.tickets import get_ticket, update_ticket

    ticket = session.get(Ticket, timer.ticket_id) or get_ticket(
        session, timer.ticket_id
    )
    r = config.escalation.rule(rule)
    changes: dict[str, Any] = {}
    note: str | None = None
    group = None if ticket.group_id is None else session.get(Group, ticket.group_id)
    if action == "reassign":
        target_name = r.group if r is not None else None
        target = session.execute(
            select(Group).where(Group.name == target_name)
        ).scalar_one_or_none()
        if target is None:
            note = f"no group named {target_name!r}: not reassigned"
        else:
            changes = {"group_id": target.id, "assignee_id": None}
    elif action == "raise_priority":
        order = list(config.escalation.priorities)
        if ticket.priority not in order:
            note = f"priority {ticket.priority!r} is not in {order}: not raised"
        elif order.index(ticket.priority) == len(order) - 1:
            note = f"priority {ticket.priority!r} is the highest already"
        else:
            changes = {"priority": order[order.index(ticket.priority) + 1]}
    elif action == "to_supervisor":
        if group is None or group.supervisor_id is None:
            note = "the ticket's group has no supervisor: not reassigned"
        else:
            changes = {"assignee_id": group.supervisor_id}
    payload: dict[str, Any] = {
        "rule": rule,
        "action": action,
        "metric": timer.metric,
        "policy": timer.policy,
    }
    if action == "notify":
        payload["notify"] = {
            "assignee_id": ticket.assignee_id,
            "group": None if group is None else group.name,
            "supervisor_id": None if group is None else group.supervisor_id,
        }
    if note:
        payload["note"] = note
    append_event(
        session, ticket, ACTIVITIES["escalation"], actor=SYSTEM, at=at, payload=payload
    )
    if changes:
        update_ticket(session, ticket, changes, actor=SYSTEM, now=lambda: at)
