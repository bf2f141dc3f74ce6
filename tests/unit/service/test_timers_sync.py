"""The API's SLA sync (kept replay + the transaction's events, Core writes) = full replay.

:func:`~servops.service.timers.sync_appended` (what the API's before-commit hook calls)
must leave exactly the ``sla_timers`` rows :func:`~servops.service.timers.sync_ticket`
(every event replayed, ORM writes) leaves: after every committed change of random
tickets, a full sync in a second session must find nothing to change, to the version.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from servops.api.sla import install_timer_sync
from servops.kpi.config import config_from_dict
from servops.service import models, timers
from servops.service.db import make_engine, make_sessionmaker
from servops.service.escalation import escalation_from_dict
from servops.service.events import appended_events
from servops.service.statemachine import default_state_machine
from servops.service.tickets import (
    Actor,
    add_comment,
    create_ticket,
    get_ticket,
    transition,
    update_ticket,
)
from servops.service.timers import TimerConfig, sync_ticket, tick
from tests.unit.service.test_timers_db import _people  # noqa: F401 (autouse: the same people)

AMS = "Europe/Amsterdam"
MACHINE = default_state_machine()
SLA = config_from_dict(
    {
        "calendars": {
            "office": {"timezone": AMS, "hours": {"mon-fri": "09:00-17:00"}},
            "late": {"timezone": AMS, "hours": {"mon-sat": "07:00-21:00"}},
        },
        "sla": [
            {
                "name": "P1",
                "when": {"priority": "P1"},
                "first_response": "30m",
                "resolution": "2h",
                "calendar": "office",
            },
            {
                "name": "L2",
                "when": {"group": "L2"},
                "first_response": "1h",
                "resolution": "4h",
                "calendar": "late",
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
KPI = replace(MACHINE.kpi_config(), policies=SLA.policies, calendars=SLA.calendars)
ESC = escalation_from_dict(
    {
        "warn_at": "50%",
        "next_update": {"P1": "1h", "*": "4h"},
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
                "after": "30m",
            },
        ],
    }
)
CFG = TimerConfig(KPI, ESC)
AGENT = Actor(7, "agent", "Ana")
CUSTOMER = Actor(8, "customer", "Carl")
T0 = datetime(2026, 3, 2, 7, tzinfo=UTC)  # a Monday, 08:00 in Amsterdam
STATES = dict(MACHINE.transitions)


def at(t: datetime):
    return lambda: t


@pytest.fixture(scope="module")
def engine(pg_url):
    eng = make_engine(pg_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="module")
def api(engine):
    """Sessions as the API's: the SLA hook syncs with :func:`sync_appended`."""
    factory = make_sessionmaker(engine)
    install_timer_sync(factory, CFG)
    return factory


@pytest.fixture(scope="module")
def plain(engine):
    """Sessions without the hook: another process's worker, and the full replay."""
    return make_sessionmaker(engine)


def _rows(session, tid):
    t = models.SlaTimer.__table__
    return sorted(
        tuple(r)
        for r in session.execute(
            sa.select(*[c for c in t.c if c.name != "id"]).where(t.c.ticket_id == tid)
        )
    )


def _assert_full_replay_changes_nothing(plain, tid):
    with plain() as s, s.begin():
        fast = _rows(s, tid)
        sync_ticket(s, tid, CFG)
        full = _rows(s, tid)
        s.rollback()
    assert fast == full, tid
    return fast


def _n_events(plain, tid):
    with plain() as s:
        q = sa.select(sa.func.count()).where(models.Event.ticket_id == tid)
        return s.execute(q).scalar_one()


def _change(s, rng, tid, when):
    """One random change of ticket ``tid`` (in session ``s``)."""
    ticket = get_ticket(s, tid)
    op = str(rng.choice(["prio", "group", "reply", "customer", "state", "state"]))
    if op == "prio":
        new = str(rng.choice(["P1", "P2", "P3"]))
        update_ticket(s, ticket, {"priority": new}, now=at(when))
    elif op == "group":
        gid = rng.choice([1, 2, None])
        if gid is not None and rng.random() < 0.5:
            s.get(models.Group, int(gid))  # loaded, as routing loads it: no names query
        update_ticket(s, ticket, {"group_id": gid}, now=at(when))
    elif op == "reply":
        add_comment(s, ticket, "on it", actor=AGENT, now=at(when))
    elif op == "customer":
        add_comment(s, ticket, "any news?", actor=CUSTOMER, now=at(when))
    else:
        to = STATES[ticket.state]
        transition(s, ticket, str(rng.choice(to)), actor=AGENT, now=at(when))


def _create(s, rng, when):
    t = create_ticket(
        s,
        subject="printer",
        priority=str(rng.choice(["P1", "P2", "P3"])),
        group_id=rng.choice([1, 2, None]),
        actor=CUSTOMER,
        now=at(when),
    )
    return t.id


@pytest.mark.property
@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31))
def test_sync_appended_rows_equal_a_full_replay(api, plain, seed):
    rng = np.random.default_rng(seed)
    when = T0 + timedelta(minutes=int(rng.integers(0, 7 * 24 * 60)))
    tids: list[int] = []
    kept: set[int] = set()  # tickets whose replay this process keeps
    reads: list[int] = []
    stored = timers._stored_events

    def counted(session, ticket_id, **kw):
        reads.append(ticket_id)
        return stored(session, ticket_id, **kw)

    timers._stored_events = counted
    try:
        for _ in range(int(rng.integers(8, 20))):
            # minutes to days apart: across nights, weekends and deadlines
            when += timedelta(minutes=float(rng.exponential(240)) + 1)
            kind = rng.random()
            reads.clear()
            if not tids or kind < 0.15:
                with api.begin() as s:
                    tids.append(_create(s, rng, when))
                    if rng.random() < 0.3:  # two changes in one transaction
                        _change(s, rng, tids[-1], when)
                assert reads == []
                kept.add(tids[-1])
            elif kind < 0.25:
                # a worker: in this process (hook) or another (no hook, no replay kept)
                hooked = rng.random() < 0.5
                with (api if hooked else plain).begin() as s:
                    done = tick(s, when, CFG)
                touched = {d["ticket_id"] for d in done.details}
                # the hook syncs (and keeps) what it touched; another process's
                # events leave this one's kept replay behind
                kept = kept | touched if hooked else kept - touched
            elif kind < 0.3:
                timers._SNAPSHOTS.clear()  # a restarted process
                kept.clear()
            else:
                tid = tids[int(rng.integers(len(tids)))]
                n = _n_events(plain, tid)
                with api.begin() as s:
                    _change(s, rng, tid, when)
                    if rng.random() < 0.2:
                        _change(s, rng, tid, when + timedelta(minutes=1))
                # a kept replay is continued; otherwise all events are read once
                changed = _n_events(plain, tid) > n
                assert reads == ([] if tid in kept or not changed else [tid])
                if changed:
                    kept.add(tid)
            for tid in tids:
                _assert_full_replay_changes_nothing(plain, tid)
    finally:
        timers._stored_events = stored


def test_a_change_replays_only_its_own_events(api, plain, monkeypatch):
    with api.begin() as s:
        tid = _create(s, np.random.default_rng(1), T0 + timedelta(hours=2))
    rows = _assert_full_replay_changes_nothing(plain, tid)
    assert {r[1] for r in rows} == {"first_response", "resolution"}

    def no_read(*_a, **_k):
        msg = "read every event again"
        raise AssertionError(msg)

    monkeypatch.setattr(timers, "_stored_events", no_read)
    with api.begin() as s:
        add_comment(
            s, get_ticket(s, tid), "on it", actor=AGENT, now=at(T0 + timedelta(hours=3))
        )
    with api.begin() as s:
        update_ticket(
            s, get_ticket(s, tid), {"priority": "P1"}, now=at(T0 + timedelta(hours=4))
        )
    monkeypatch.undo()
    rows = _assert_full_replay_changes_nothing(plain, tid)
    assert {r[1]: r[7] for r in rows}["next_update"] == "running"


def test_a_change_by_another_process_is_read_in_full(api, plain, monkeypatch):
    with api.begin() as s:
        tid = _create(s, np.random.default_rng(2), T0 + timedelta(hours=2))
    with plain.begin() as s:  # no hook: the kept replay does not know this event
        add_comment(
            s, get_ticket(s, tid), "on it", actor=AGENT, now=at(T0 + timedelta(hours=3))
        )
        sync_ticket(s, tid, CFG)
    reads: list[int] = []
    stored = timers._stored_events

    def counted(session, ticket_id, **kw):
        reads.append(ticket_id)
        return stored(session, ticket_id, **kw)

    monkeypatch.setattr(timers, "_stored_events", counted)
    with api.begin() as s:
        transition(
            s,
            get_ticket(s, tid),
            "resolved",
            actor=AGENT,
            now=at(T0 + timedelta(hours=5)),
        )
    assert reads == [tid]
    rows = {r[1]: r for r in _assert_full_replay_changes_nothing(plain, tid)}
    assert rows["first_response"][7] == "met"
    assert rows["resolution"][7] == "met"


def test_the_hooks_take_the_events_from_the_append(api):
    with api() as s:
        tid = _create(s, np.random.default_rng(3), T0 + timedelta(hours=2))
        evs = appended_events(s)
        assert [e.seq for e in evs] == list(range(1, len(evs) + 1))
        assert all(e.id > 0 and e in s and e not in s.new for e in evs)
        s.commit()
        assert appended_events(s) == []
        add_comment(
            s, get_ticket(s, tid), "on it", actor=AGENT, now=at(T0 + timedelta(hours=3))
        )
        [reply] = appended_events(s)
        assert (reply.ticket_id, reply.seq) == (tid, len(evs) + 1)
        s.rollback()
        assert appended_events(s) == []
        stored = s.execute(
            sa.select(sa.func.count()).where(models.Event.ticket_id == tid)
        ).scalar_one()
        assert stored == len(evs)
