"""SLA timers in PostgreSQL: rows from ticket events, the worker tick, restarts, two workers."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from servops.kpi.cases import case_metrics
from servops.kpi.config import config_from_dict
from servops.service import models
from servops.service.audit import verify
from servops.service.db import make_engine, make_sessionmaker
from servops.service.escalation import escalation_from_dict
from servops.service.events import read_service_log
from servops.service.statemachine import default_state_machine
from servops.service.tickets import (
    Actor,
    add_comment,
    create_ticket,
    get_ticket,
    transition,
    update_ticket,
)
from servops.service.timers import ACTIVITIES, TimerConfig, outcome, sync_ticket, tick

AMS = "Europe/Amsterdam"
MACHINE = default_state_machine()
SLA = config_from_dict(
    {
        "calendars": {"office": {"timezone": AMS, "hours": {"mon-fri": "09:00-17:00"}}},
        "sla": [
            {
                "name": "P1",
                "when": {"priority": "P1"},
                "first_response": "30m",
                "resolution": "2h",
                "calendar": "office",
            },
            {
                "name": "standard",
                "first_response": "2h",
                "resolution": "8h",
                "calendar": "office",
            },
        ],
    }
)
ROLES = MACHINE.kpi_config()
KPI = replace(ROLES, policies=SLA.policies, calendars=SLA.calendars)
CAL = SLA.calendars[0]
ESC = escalation_from_dict(
    {
        "warn_at": "50%",
        "priorities": ["P3", "P2", "P1"],
        "rules": [
            {"name": "tell", "on": "warning", "action": "notify"},
            {
                "name": "to L2",
                "on": "breach",
                "metric": "first_response",
                "action": "reassign",
                "group": "L2",
            },
            {
                "name": "raise",
                "on": "breach",
                "metric": "resolution",
                "action": "raise_priority",
                "after": "1h",
            },
            {
                "name": "boss",
                "on": "breach",
                "metric": "resolution",
                "action": "to_supervisor",
            },
        ],
    }
)
CFG = TimerConfig(KPI, ESC)
AGENT = Actor(7, "agent", "Ana")
CUSTOMER = Actor(8, "customer", "Carl")


def ams(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(y, mo, d, h, mi, tzinfo=ZoneInfo(AMS)).astimezone(UTC)


def at(t: datetime):
    return lambda: t


@pytest.fixture(scope="module")
def engine(pg_url):
    eng = make_engine(pg_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="module")
def sessions(engine):
    return make_sessionmaker(engine)


@pytest.fixture(scope="module", autouse=True)
def _people(pg_url):
    eng = make_engine(pg_url, app_role=False)
    with eng.begin() as con:
        con.execute(
            sa.insert(models.User),
            [
                {"id": 7, "email": "ana@x", "name": "Ana", "role": "agent"},
                {"id": 8, "email": "carl@x", "name": "Carl", "role": "customer"},
                {"id": 9, "email": "sue@x", "name": "Sue", "role": "supervisor"},
            ],
        )
        con.execute(
            sa.insert(models.Group),
            [
                {"id": 1, "name": "L1", "supervisor_id": 9},
                {"id": 2, "name": "L2", "supervisor_id": None},
            ],
        )
    eng.dispose()


def _timers(session, ticket_id):
    rows = session.execute(
        sa.select(models.SlaTimer).where(models.SlaTimer.ticket_id == ticket_id)
    ).scalars()
    return {r.metric: r for r in rows}


def _activities(session, ticket_id):
    return [
        a
        for (a,) in session.execute(
            sa.select(models.Event.activity)
            .where(models.Event.ticket_id == ticket_id)
            .order_by(models.Event.seq)
        )
    ]


def _new_ticket(sessions, when, priority="P3", subject="printer"):
    with sessions.begin() as s:
        t = create_ticket(
            s,
            subject=subject,
            priority=priority,
            group_id=1,
            assignee_id=7,
            actor=CUSTOMER,
            now=at(when),
        )
        sync_ticket(s, t.id, CFG)
        return t.id


def _drain(sessions, when, tid):
    """Tick until nothing is left at ``when``; what was done to ticket ``tid`` by kind."""
    kinds: list[str] = []
    for _ in range(5):
        with sessions.begin() as s:
            r = tick(s, when, CFG)
        kinds += [d["kind"] for d in r.details if d["ticket_id"] == tid]
        if not (r.warned or r.breached or r.escalated):
            break
    return sorted(kinds)


def test_rows_follow_the_ticket_and_pause_over_the_weekend(sessions):
    tid = _new_ticket(sessions, ams(2026, 3, 5, 16))  # Thu 16:00
    with sessions.begin() as s:
        rows = _timers(s, tid)
        assert set(rows) == {"first_response", "resolution"}
        res = rows["resolution"]
        assert (res.stage, res.policy, res.target_seconds) == (
            "running",
            "standard",
            8 * 3600,
        )
        assert res.due_at is not None
        assert (
            ams(2026, 3, 6, 16) < res.due_at < ams(2026, 3, 6, 16, 1)
        )  # Thu 1 + Fri 7 h
        assert res.warn_at == ams(2026, 3, 6, 12)  # 50 % = 4 h: Thu 1 h + Fri 3 h
        ticket = get_ticket(s, tid)
        add_comment(s, ticket, "on it", actor=AGENT, now=at(ams(2026, 3, 5, 16, 15)))
        transition(
            s,
            ticket,
            "waiting_for_customer",
            actor=AGENT,
            now=at(ams(2026, 3, 5, 16, 30)),
        )
        sync_ticket(s, tid, CFG)
    with sessions.begin() as s:
        rows = _timers(s, tid)
        assert rows["first_response"].stage == "met"
        assert rows["resolution"].stage == "paused"
        assert rows["resolution"].due_at is None
    # nothing fires over the weekend while paused
    assert _drain(sessions, ams(2026, 3, 8, 12), tid) == []
    with sessions.begin() as s:
        ticket = get_ticket(s, tid)
        add_comment(
            s, ticket, "here you go", actor=CUSTOMER, now=at(ams(2026, 3, 9, 10))
        )
        sync_ticket(s, tid, CFG)
        res = _timers(s, tid)["resolution"]
        assert res.stage == "running"
        assert res.paused_seconds == 9.5 * 3600
        assert res.elapsed_business_seconds == 0.5 * 3600


def test_tick_warns_breaches_escalates_once(sessions, pg_url):
    tid = _new_ticket(sessions, ams(2026, 3, 10, 9))  # Tue 09:00, standard
    # 10:00: first response warning (50 % of 2 h)
    assert _drain(sessions, ams(2026, 3, 10, 10), tid) == ["escalation", "warning"]
    assert _drain(sessions, ams(2026, 3, 10, 10), tid) == []  # idempotent
    # 11:00:00.001 first response breached -> reassigned to L2
    assert _drain(sessions, ams(2026, 3, 10, 11, 1), tid) == ["breach", "escalation"]
    with sessions.begin() as s:
        acts = _activities(s, tid)
        assert acts.count(ACTIVITIES["warning"]) == 1
        assert acts.count(ACTIVITIES["breach"]) == 1
        assert "Group changed" in acts
        ticket = get_ticket(s, tid)
        assert ticket.group_id == 2
        assert ticket.assignee_id is None
        fr = _timers(s, tid)["first_response"]
        assert fr.stage == "breached"
        assert fr.breached_at is not None
        assert ams(2026, 3, 10, 11) <= fr.breached_at < ams(2026, 3, 10, 11, 1)
    # the resolution deadline (8 h): breach Wed 09:00; 'boss' at once, 'raise' 1 h later
    with sessions.begin() as s:
        # back to L1 so the supervisor rule has someone
        update_ticket(
            s, get_ticket(s, tid), {"group_id": 1}, now=at(ams(2026, 3, 10, 12))
        )
        sync_ticket(s, tid, CFG)
    assert _drain(sessions, ams(2026, 3, 11, 9, 1), tid) == [
        "breach",
        "escalation",
        "escalation",  # the resolution warning's 'tell' (50 % was at 13:00 Tue)
        "warning",
    ]
    with sessions.begin() as s:
        ticket = get_ticket(s, tid)
        assert ticket.assignee_id == 9  # the supervisor of L1
        assert ticket.priority == "P3"  # not yet: 1 h later
        pending = s.execute(
            sa.select(models.Escalation.rule).where(models.Escalation.done.is_(False))
        ).all()
        assert [p[0] for p in pending] == ["raise"]
    assert _drain(sessions, ams(2026, 3, 11, 10, 2), tid) == ["escalation"]
    with sessions.begin() as s:
        ticket = get_ticket(s, tid)
        assert ticket.priority == "P2"
        # re-targeted: the P1 policy needs priority P1; still 'standard' for P2
        assert _timers(s, tid)["resolution"].stage == "breached"
    assert _drain(sessions, ams(2026, 3, 11, 10, 2), tid) == []
    with sessions.begin() as s:
        acts = _activities(s, tid)
        assert acts.count(ACTIVITIES["escalation"]) == 5  # tell x2, to L2, boss, raise
    assert verify(pg_url, key=None).ok


def test_priority_change_retargets_with_elapsed_time_kept(sessions):
    tid = _new_ticket(sessions, ams(2026, 3, 16, 9))  # Mon 09:00
    with sessions.begin() as s:
        update_ticket(
            s, get_ticket(s, tid), {"priority": "P1"}, now=at(ams(2026, 3, 16, 10))
        )
        sync_ticket(s, tid, CFG)
        res = _timers(s, tid)["resolution"]
        assert (res.policy, res.target_seconds) == ("P1", 2 * 3600)
        assert res.elapsed_business_seconds == 3600
        assert ams(2026, 3, 16, 11) < res.due_at < ams(2026, 3, 16, 11, 1)


def test_restart_a_new_engine_picks_up(pg_url, sessions):
    tid = _new_ticket(sessions, ams(2026, 3, 17, 9))
    # a new process: its own engine and sessions, nothing kept in memory
    eng = make_engine(pg_url)
    try:
        fresh = make_sessionmaker(eng)
        with fresh.begin() as s:
            r = tick(s, ams(2026, 3, 17, 10, 1), CFG)
        assert any(d["ticket_id"] == tid and d["kind"] == "warning" for d in r.details)
    finally:
        eng.dispose()
    with sessions.begin() as s:
        assert _timers(s, tid)["first_response"].warned_at is not None


def test_two_workers_do_not_double_fire(sessions):
    tid = _new_ticket(sessions, ams(2026, 3, 18, 9))
    when = ams(2026, 3, 18, 10, 1)
    a = sessions()
    b = sessions()
    try:
        ra = tick(a, when, CFG)  # holds its rows until it commits
        rb = tick(b, when, CFG)  # skips the locked rows
        assert any(d["ticket_id"] == tid for d in ra.details)
        assert not any(d["ticket_id"] == tid for d in rb.details)
        b.commit()
        a.commit()
        rb2 = tick(b, when, CFG)
        assert not any(d["ticket_id"] == tid for d in rb2.details)
        b.commit()
    finally:
        a.close()
        b.close()
    with sessions.begin() as s:
        assert _activities(s, tid).count(ACTIVITIES["warning"]) == 1


def test_outcomes_equal_servops_sla_on_the_live_log(sessions, pg_url):
    t0 = ams(2026, 4, 6, 9)  # a Monday
    plans: list[tuple[str, list[tuple[int, str, str | None]]]] = [
        # (priority, [(minutes after t0, op, arg)])
        ("P3", [(30, "reply", None), (200, "state", "resolved")]),
        ("P1", [(45, "reply", None), (60, "state", "waiting_for_customer"),
                (24 * 60, "customer", None), (25 * 60, "state", "resolved")]),
        ("P3", [(20, "prio", "P1"), (50, "reply", None)]),
        ("P1", [(10, "state", "resolved"), (70, "state", "open"), (80, "reply", None)]),
        ("P3", [(5, "state", "on_hold"), (3 * 24 * 60, "state", "open")]),
    ]  # fmt: skip
    ids = []
    for k, (prio, ops) in enumerate(plans):
        tid = _new_ticket(sessions, t0 + timedelta(minutes=k), prio, f"parity {k}")
        ids.append(tid)
        for minutes, op, arg in ops:
            when = t0 + timedelta(minutes=k + minutes)
            with sessions.begin() as s:
                ticket = get_ticket(s, tid)
                if op == "reply":
                    add_comment(s, ticket, "reply", actor=AGENT, now=at(when))
                elif op == "customer":
                    add_comment(s, ticket, "thanks", actor=CUSTOMER, now=at(when))
                elif op == "prio":
                    update_ticket(s, ticket, {"priority": arg}, now=at(when))
                else:
                    transition(s, ticket, str(arg), actor=AGENT, now=at(when))
                sync_ticket(s, tid, CFG)
    as_of = t0 + timedelta(days=5)
    log = read_service_log(pg_url)
    ref = {r["case_id"]: r for r in case_metrics(log, KPI, as_of=as_of).to_pylist()}
    with sessions.begin() as s:
        for tid in ids:
            number = get_ticket(s, tid).number
            rows = _timers(s, tid)
            for metric, prefix in (
                ("first_response", "response"),
                ("resolution", "resolution"),
            ):
                row = rows[metric]
                got = outcome(
                    row.stage,
                    elapsed_s=row.elapsed_business_seconds,
                    target_s=row.target_seconds,
                    since=row.last_started_at,
                    as_of=as_of,
                    calendar=CAL,
                )
                want = ref[number][f"{prefix}_breached"]
                assert (got == "breached") == want, (number, metric, row.stage)
                assert row.policy == ref[number]["sla_policy"]


def test_a_ticket_being_changed_is_left_for_the_next_tick(sessions):
    tid = _new_ticket(sessions, ams(2026, 3, 19, 9))
    when = ams(2026, 3, 19, 10, 1)  # its first-response warning is due
    api = sessions()
    worker = sessions()
    try:
        ticket = get_ticket(api, tid)
        add_comment(api, ticket, "note", actor=AGENT, public=False, now=at(when))
        # the API holds the ticket's row; the worker skips it instead of waiting
        r = tick(worker, when, CFG)
        assert not any(d["ticket_id"] == tid for d in r.details)
        worker.commit()
        sync_ticket(api, tid, CFG)  # would deadlock if the worker held the timers
        api.commit()
        r = tick(worker, when, CFG)
        assert [d["kind"] for d in r.details if d["ticket_id"] == tid] == [
            "warning",
            "escalation",
        ]
        worker.commit()
    finally:
        api.close()
        worker.close()


def test_sync_twice_changes_nothing(sessions):
    tid = _new_ticket(sessions, ams(2026, 3, 20, 9))
    with sessions.begin() as s:
        before = {m: (r.version, r.due_at) for m, r in _timers(s, tid).items()}
        sync_ticket(s, tid, CFG)
        sync_ticket(s, tid, CFG)
    with sessions.begin() as s:
        after = {m: (r.version, r.due_at) for m, r in _timers(s, tid).items()}
    assert after == before


def test_two_worker_threads_fire_each_timer_once(sessions):
    import threading

    ids = [
        _new_ticket(sessions, ams(2026, 3, 23, 9), subject=f"c{i}") for i in range(12)
    ]
    when = ams(2026, 3, 23, 10, 1)  # every first-response warning is due
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        try:
            barrier.wait()
            for _ in range(8):  # 2 x 8 ticks of 4 rows: more than enough
                with sessions.begin() as s:
                    tick(s, when, CFG, limit=4)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors
    with sessions.begin() as s:
        for tid in ids:
            acts = _activities(s, tid)
            assert acts.count(ACTIVITIES["warning"]) == 1, acts
            assert acts.count(ACTIVITIES["escalation"]) == 1, acts
