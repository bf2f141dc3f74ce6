"""The live demo: the demo's history in the service, and the digital twin working the desk.

:func:`seed_demo` fills an empty service database: the service-desk history of
``servops demo`` (generated, activities named as the service names them) is bulk-imported
(:func:`servops.service.tickets.import_log`); its agents become users (``L1-01`` … in
group L1, ``L2-01`` … in group L2, the names the log's resources carry), with a
supervisor, three customer organisations with two customers each, and a routing rule
sending new tickets to L1. Every demo user gets an API token.

:func:`twin_actions` discovers a simulation model from that history
(:func:`servops.sim.discover.discover_model`), simulates the coming hours from now (in
the model's week, shifted by whole weeks so weekday and hour patterns line up) and
returns the simulated events of the cases that arrive from now on, in time order.

:class:`DemoDriver` replays them through the HTTP API at ``speed`` times real time: a
customer files the ticket, agents reply, work (internal notes), escalate to L2, wait for
the customer, resolve (a third of the customers then answer the survey), close and
reopen — each as the user the twin chose. So the service's event log grows as the real
desk's would, and every servops analysis runs on it live. A quiet stretch (a night, a
weekend) that would leave the desk idle for more than ``MAX_IDLE_S`` real seconds is
skipped: the demo clock jumps to just before the twin's next event.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import threading
    from collections.abc import Callable

    import httpx

    from servops.log import EventLog

__all__ = [
    "Action",
    "DemoClock",
    "DemoDriver",
    "DemoSetup",
    "history_log",
    "seed_demo",
    "twin_actions",
]

log = logging.getLogger("servops.demo")

ORGANISATIONS = ("Northwind", "Contoso", "Fabrikam")
#: The demo log's activities renamed to the service's (the others are named alike).
RENAME = {"First response": "Agent replied"}
SURVEY_RATE = 0.35
#: Real seconds of waiting for the twin's next event beyond which the demo clock jumps
#: ahead (nights, weekends), to IDLE_S real seconds before that event.
MAX_IDLE_S = 20.0
IDLE_S = 2.0


class DemoClock:
    """The demo's service clock: from ``start`` on, it runs ``speed`` times real time.

    The service, its worker and the twin's replay share it, so the event log holds the
    twin's times (a simulated day takes 24 real minutes at speed 60) and SLA timers run
    on the same clock.
    """

    def __init__(self, speed: float, *, start: datetime | None = None) -> None:
        self.speed = speed
        self.start = start or datetime.now(UTC)
        self._t0 = time.monotonic()
        self._skipped = timedelta(0)

    def __call__(self) -> datetime:
        """The current demo time."""
        return (
            self.start
            + self._skipped
            + timedelta(seconds=(time.monotonic() - self._t0) * self.speed)
        )

    def advance_to(self, t: datetime) -> timedelta:
        """Jump forward to ``t`` (never back); returns the time skipped."""
        gap = t - self()
        if gap <= timedelta(0):
            return timedelta(0)
        self._skipped += gap
        return gap


@dataclass(frozen=True)
class DemoSetup:
    """The demo's users and groups, with a token per user (never written to disk)."""

    tokens: dict[str, str]
    user_ids: dict[str, int]
    customers: tuple[str, ...]
    groups: dict[str, int]
    imported_tickets: int = 0
    imported_events: int = 0
    #: e-mail -> role of every demo user, for logging in to the web app
    logins: dict[str, str] = field(default_factory=dict)


def _monday(t: datetime) -> datetime:
    d = t.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return d - timedelta(days=d.weekday())


def history_log(*, cases: int, seed: int, now: datetime) -> EventLog:
    """The demo's service-desk history ending around ``now`` (whole weeks before it)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from servops.demo.generator import generate_service_desk
    from servops.log import EventLog

    weeks = max(1, round(cases / 375))  # ~75 tickets per weekday
    data = generate_service_desk(
        cases=cases, seed=seed, start=_monday(now) - timedelta(weeks=weeks)
    )
    t = data.events
    acts = t.column("activity")
    for old, new in RENAME.items():
        acts = pc.if_else(pc.equal(acts, old), pa.scalar(new), acts)
    t = t.set_column(t.schema.get_field_index("activity"), "activity", acts)
    # events after now would be the future: leave them (and nothing else) out
    t = t.filter(
        pc.less_equal(t.column("timestamp"), pa.scalar(now, pa.timestamp("us", "UTC")))
    )
    return EventLog.from_arrow(t)


def seed_demo(
    url: str,
    *,
    cases: int = 1500,
    seed: int = 7,
    now: Callable[[], datetime] | None = None,
    password_hash: str | None = None,
) -> tuple[DemoSetup, EventLog | None]:
    """Fill an empty service database with the demo; reuse it if it holds tickets already.

    ``password_hash`` (:func:`servops.service.access.hash_password`), when given, becomes
    every demo user's password, so people can log in to the web app as any of them.

    Returns the setup and the history log (None when the database was seeded before; the
    twin then learns from the service's own events).
    """
    from sqlalchemy import func, select

    from servops.service import access
    from servops.service.db import make_engine, make_sessionmaker
    from servops.service.models import (
        Group,
        GroupMember,
        Organisation,
        RoutingRule,
        Ticket,
        User,
    )
    from servops.service.tickets import import_log

    t_now = (now or (lambda: datetime.now(UTC)))()
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    history: EventLog | None = None
    n_t = n_e = 0
    try:
        with factory() as s:
            fresh = not s.scalar(select(func.count()).select_from(Ticket))
        if fresh:
            history = history_log(cases=cases, seed=seed, now=t_now)
            res = import_log(url, history)
            n_t, n_e = res.tickets, res.events
        with factory() as s:
            groups: dict[str, int] = {}
            for name in ("L1", "L2"):
                g = s.scalars(select(Group).where(Group.name == name)).first()
                if g is None:
                    g = Group(name=name)
                    s.add(g)
                    s.flush()
                groups[name] = g.id
            people: list[tuple[str, str, int | None]] = [
                (f"L1-{i:02d}", "agent", None) for i in range(1, 7)
            ]
            people += [(f"L2-{i:02d}", "agent", None) for i in range(1, 4)]
            people += [("Supervisor", "supervisor", None)]
            customers: list[str] = []
            for org in ORGANISATIONS:
                o = s.scalars(
                    select(Organisation).where(Organisation.name == org)
                ).first()
                if o is None:
                    o = Organisation(name=org)
                    s.add(o)
                    s.flush()
                for k in (1, 2):
                    people.append((f"{org} customer {k}", "customer", o.id))
                    customers.append(f"{org} customer {k}")
            tokens: dict[str, str] = {}
            ids: dict[str, int] = {}
            logins: dict[str, str] = {}
            scopes = {
                "agent": ["tickets:read", "tickets:write", "alerts"],
                "supervisor": ["tickets:read", "tickets:write", "alerts"],
                "customer": ["tickets:read", "tickets:write"],
            }
            for name, role, org_id in people:
                email = name.lower().replace(" ", ".") + "@demo.servops"
                u = s.scalars(select(User).where(User.email == email)).first()
                if u is None:
                    u = User(
                        email=email,
                        name=name,
                        role=role,
                        organisation_id=org_id,
                        active=True,
                        skills=[],
                        capacity=12 if role == "agent" else None,
                    )
                    s.add(u)
                    s.flush()
                    if role == "agent":
                        s.add(GroupMember(group_id=groups[name[:2]], user_id=u.id))
                    if role == "supervisor":
                        for gid in groups.values():
                            s.add(GroupMember(group_id=gid, user_id=u.id))
                ids[name] = u.id
                logins[email] = role
                if password_hash is not None:
                    u.password_hash = password_hash
                _, tokens[name] = access.create_token(
                    s, u.id, scopes=scopes[role], expires_in=timedelta(days=30), now=now
                )
            if not s.scalars(
                select(RoutingRule).where(RoutingRule.name == "demo: to L1")
            ).first():
                s.add(
                    RoutingRule(
                        position=1000,
                        name="demo: to L1",
                        conditions={},
                        group_id=groups["L1"],
                        active=True,
                    )
                )
            s.commit()
    finally:
        engine.dispose()
    return (
        DemoSetup(
            tokens=tokens,
            user_ids=ids,
            customers=tuple(customers),
            groups=groups,
            imported_tickets=n_t,
            imported_events=n_e,
            logins=logins,
        ),
        history,
    )


@dataclass(frozen=True)
class Action:
    """One simulated event to replay: when, which case, what, by whom, case attributes."""

    at: datetime
    case: str
    activity: str
    resource: str | None
    attributes: dict[str, Any] = field(default_factory=dict)


def twin_actions(
    history: EventLog, *, now: datetime, hours: float = 168.0, seed: int = 11
) -> list[Action]:
    """Simulated events of the cases arriving in the ``hours`` after ``now``, in order."""
    from servops.sim import simulate
    from servops.sim.discover import discover_model

    model = discover_model(history)
    week = timedelta(weeks=1)
    shift = ((now - model.start) // week) * week
    now_m = now - shift
    until = (now_m - model.start) + timedelta(hours=hours)
    run = simulate(model, until=until, seed=seed)
    rows = (
        run.log.query(
            "SELECT case_id, activity, timestamp, resource, channel, priority, category, segment "
            "FROM events ORDER BY timestamp, event_index"
        )
        .to_arrow_table()
        .to_pylist()
    )
    first: dict[str, datetime] = {}
    for r in rows:
        first.setdefault(r["case_id"], r["timestamp"])
    out = []
    for r in rows:
        if first[r["case_id"]] < now_m:
            continue  # arrived before now: the warm-up, not replayed
        out.append(
            Action(
                at=r["timestamp"] + shift,
                case=str(r["case_id"]),
                activity=str(r["activity"]),
                resource=r["resource"],
                attributes={
                    k: r[k]
                    for k in ("channel", "priority", "category", "segment")
                    if r[k]
                },
            )
        )
    return out


@dataclass
class _Case:
    number: str
    customer: str
    state: str = "new"
    assignee: str | None = None


@dataclass
class DemoDriver:
    """Replays twin actions through the API as the demo clock reaches them.

    Attributes
    ----------
    counts
        Actions done per activity; ``skipped`` those the service refused (e.g. a
        transition the state machine does not allow from the ticket's current state).
    """

    client: httpx.Client
    setup: DemoSetup
    seed: int = 11
    counts: dict[str, int] = field(default_factory=dict)
    cases: dict[str, _Case] = field(default_factory=dict)

    def _h(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.setup.tokens[who]}"}

    def _staff(self, a: Action, case: _Case) -> str:
        if a.resource in self.setup.tokens and a.resource not in self.setup.customers:
            return a.resource
        return case.assignee or "Supervisor"

    def _transition(self, case: _Case, to: str, who: str) -> httpx.Response:
        r = self.client.post(
            f"/tickets/{case.number}/transition", json={"to": to}, headers=self._h(who)
        )
        if r.status_code == 200:
            case.state = to
        return r

    def perform(self, a: Action, rng: np.random.Generator) -> bool:
        """Do one action through the API; False when the service refused it."""
        case = self.cases.get(a.case)
        if case is None:
            if a.activity != "Ticket created":
                return False
            who = self.setup.customers[int(rng.integers(len(self.setup.customers)))]
            cat = a.attributes.get("category", "General")
            r = self.client.post(
                "/tickets",
                json={
                    "subject": f"{cat}: help needed",
                    "text": f"Simulated by the digital twin (case {a.case}).",
                    "channel": a.attributes.get("channel", "web"),
                    "priority": a.attributes.get("priority", "P3"),
                    "category": cat,
                    "attributes": {"segment": a.attributes.get("segment")},
                },
                headers=self._h(who),
            )
            if r.status_code != 201:
                return False
            self.cases[a.case] = _Case(r.json()["number"], who)
            return True
        staff = self._staff(a, case)
        if (
            a.resource in self.setup.user_ids
            and staff == a.resource
            and case.assignee != staff
        ):
            r = self.client.post(
                f"/tickets/{case.number}/assign",
                json={"assignee_id": self.setup.user_ids[staff]},
                headers=self._h(staff),
            )
            if r.status_code == 200:
                case.assignee = staff
        act = a.activity
        ok = True
        if act == "Agent replied":
            ok = self._comment(case, staff, "Thanks, we are on it.", public=True)
        elif act.endswith(" work"):
            if case.state != "open":
                self._transition(case, "open", staff)
            ok = self._comment(case, staff, f"{act} done.", public=False)
        elif act == "Escalated to L2":
            r = self.client.post(
                f"/tickets/{case.number}/assign",
                json={"group_id": self.setup.groups["L2"]},
                headers=self._h(staff),
            )
            ok = r.status_code == 200
        elif act == "Waiting for customer":
            ok = (
                self._transition(case, "waiting_for_customer", staff).status_code == 200
            )
        elif act == "Customer replied":
            ok = self._comment(
                case, case.customer, "Here is what you asked for.", public=True
            )
            if case.state == "waiting_for_customer":
                self._transition(case, "open", staff)
        elif act == "Resolved":
            r = self._transition(case, "resolved", staff)
            ok = r.status_code == 200
            url = r.json().get("survey_url") if ok else None
            if url and rng.random() < SURVEY_RATE:
                token = url.rsplit("/", 1)[1]
                nps = int(np.clip(np.round(rng.normal(7.5, 2.0)), 0, 10))
                self.client.post(
                    f"/surveys/{token}",
                    json={"nps": nps, "csat": max(1, min(5, nps // 2))},
                )
        elif act == "Closed":
            ok = self._transition(case, "closed", "Supervisor").status_code == 200
        elif act == "Reopened":
            ok = self._transition(case, "open", "Supervisor").status_code == 200
        else:
            ok = self._comment(case, staff, act, public=False)
        return ok

    def _comment(self, case: _Case, who: str, body: str, *, public: bool) -> bool:
        r = self.client.post(
            f"/tickets/{case.number}/comments",
            json={"body": body, "public": public},
            headers=self._h(who),
        )
        return r.status_code == 201

    def run(
        self, actions: list[Action], *, stop: threading.Event, clock: DemoClock
    ) -> dict[str, int]:
        """Replay ``actions`` as ``clock`` reaches their times, until done or ``stop``."""
        import httpx

        rng = np.random.default_rng(self.seed)
        for a in actions:
            wait = (a.at - clock()).total_seconds() / clock.speed
            if wait > MAX_IDLE_S:
                # a night or a weekend without arrivals: the demo skips it rather than
                # leave a newcomer watching an idle desk for real minutes
                gap = clock.advance_to(a.at - timedelta(seconds=clock.speed * IDLE_S))
                log.info("demo: skipped %s of quiet desk time", gap)
                self.counts["quiet time skipped (h)"] = self.counts.get(
                    "quiet time skipped (h)", 0
                ) + round(gap.total_seconds() / 3600)
                wait = (a.at - clock()).total_seconds() / clock.speed
            if stop.wait(max(0.0, wait)):
                break
            try:
                done = self.perform(a, rng)
            except httpx.HTTPError as exc:
                log.warning("demo: %s on %s failed: %s", a.activity, a.case, exc)
                done = False
            key = a.activity if done else "skipped"
            self.counts[key] = self.counts.get(key, 0) + 1
        return self.counts
