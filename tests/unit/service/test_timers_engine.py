"""The SLA clock engine without a database: hand-computed cases and parity with kpi.sla."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servops.errors import ConfigError
from servops.kpi.calendar import BusinessCalendar
from servops.kpi.cases import case_metrics
from servops.kpi.config import config_from_dict
from servops.log import EventLog
from servops.service.escalation import escalation_from_dict
from servops.service.statemachine import default_state_machine
from servops.service.timers import (
    TicketEvent,
    TimerConfig,
    _instants_after,
    match_policy,
    outcome,
    replay,
)

AMS = "Europe/Amsterdam"
H = 3600.0
MS = timedelta(milliseconds=1)  # due: the first instant past the target
MACHINE = default_state_machine()
ROLES = MACHINE.kpi_config()
CAL = BusinessCalendar.from_spec(
    {"timezone": AMS, "hours": {"mon-fri": "09:00-17:00"}}, name="office"
)
POLICIES = config_from_dict(
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
KPI = replace(ROLES, policies=POLICIES.policies, calendars=POLICIES.calendars)
CFG = TimerConfig(KPI, escalation_from_dict({"next_update": {"*": "4h"}}))

CREATED = MACHINE.activity("created")
REPLY = MACHINE.activity("first_response")
CUSTOMER = MACHINE.activity("customer")
WAIT = MACHINE.state("waiting_for_customer").activity
HOLD = MACHINE.state("on_hold").activity
OPEN = MACHINE.state("open").activity
RESOLVED = MACHINE.state("resolved").activity
CLOSED = MACHINE.state("closed").activity
REOPENED = MACHINE.activity("reopened")
NOTE = MACHINE.activity("internal")
PRIO = MACHINE.field_activity("priority")


def ams(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(y, mo, d, h, mi, s, tzinfo=ZoneInfo(AMS)).astimezone(UTC)


def created(at, priority="P3"):
    return TicketEvent(at, CREATED, {"priority": priority, "state": "new"})


def test_instant_after_is_the_inverse_of_business_seconds():
    fri_16 = ams(2026, 3, 6, 16).timestamp()
    # 1 h on Friday, the rest on Monday from 09:00
    assert CAL.instant_after(fri_16, 3 * H) == ams(2026, 3, 9, 11).timestamp()
    assert CAL.instant_after(fri_16, 0) == fri_16
    sat = ams(2026, 3, 7, 12).timestamp()
    assert CAL.instant_after(sat, 1) == ams(2026, 3, 9, 9, 0, 1).timestamp()
    closed = BusinessCalendar.from_spec({"timezone": "UTC", "hours": {"mon": "closed"}})
    assert closed.instant_after(sat, 1) == float("inf")


@settings(max_examples=60, deadline=None)
@given(
    start=st.floats(0, 400 * 86400),
    seconds=st.floats(1, 300 * H),
)
def test_instant_after_property(start, seconds):
    cal = BusinessCalendar.from_spec(
        {
            "timezone": AMS,
            "hours": {"mon-fri": "08:00-12:00, 13:00-18:00", "sat": "10:00-12:00"},
            "holidays": ["2026-04-03", "2026-12-25"],
        }
    )
    a = datetime(2026, 1, 1, tzinfo=UTC).timestamp() + start
    t = cal.instant_after(a, seconds)
    assert cal.business_seconds([a], [t])[0] == pytest.approx(seconds, abs=1e-3)
    # the first such instant: a second earlier is not enough yet
    assert cal.business_seconds([a], [t - 1])[0] < seconds


def test_pause_across_a_night_and_a_weekend():
    # Thu 16:00 created; Thu 16:30 waiting for customer; the customer replies Mon 10:00;
    # resolved Mon 11:00. Office hours 9-17 (Amsterdam).
    ev = [
        created(ams(2026, 3, 5, 16)),
        TicketEvent(ams(2026, 3, 5, 16, 15), REPLY),
        TicketEvent(ams(2026, 3, 5, 16, 30), WAIT, {"state": "waiting_for_customer"}),
    ]
    paused = replay(ev, CFG)["resolution"]
    assert paused.stage == "paused"
    assert paused.elapsed_s == 0.5 * H
    assert paused.due_at is None
    ev.append(TicketEvent(ams(2026, 3, 9, 10), CUSTOMER))
    running = replay(ev, CFG)["resolution"]
    assert running.stage == "running"
    # paused Thu 16:30-17:00, Fri 9-17, Mon 9-10 = 9.5 business hours
    assert running.paused_s == 9.5 * H
    # 8 h target, 0.5 h used: due 7.5 business hours after Mon 10:00 -> Tue 09:30
    assert running.due_at == ams(2026, 3, 10, 9, 30) + MS
    assert running.warn_at == ams(2026, 3, 9, 15, 54)  # 80 %: 6.4 h - 0.5 h from 10:00
    ev.append(TicketEvent(ams(2026, 3, 9, 11), RESOLVED, {"state": "resolved"}))
    done = replay(ev, CFG)
    assert done["resolution"].stage == "met"
    assert done["resolution"].elapsed_s == 1.5 * H
    assert done["first_response"].stage == "met"
    assert done["first_response"].elapsed_s == 0.25 * H
    assert done["next_update"].stage == "cancelled"


def test_priority_change_mid_way_keeps_the_elapsed_time():
    ev = [
        created(ams(2026, 3, 9, 9)),
        TicketEvent(ams(2026, 3, 9, 9, 10), REPLY),
        TicketEvent(ams(2026, 3, 9, 10), PRIO, {"priority": "P1"}),
    ]
    res = replay(ev, CFG)["resolution"]
    assert res.policy == "P1"
    assert res.target_s == 2 * H
    assert res.elapsed_s == 1 * H  # kept from the standard policy
    assert res.due_at == ams(2026, 3, 9, 11) + MS
    # back to standard: the same hour counts against 8 h
    ev.append(TicketEvent(ams(2026, 3, 9, 10, 30), PRIO, {"priority": "P3"}))
    res = replay(ev, CFG)["resolution"]
    assert res.policy == "standard"
    # 1.5 h used of 8 h at 10:30: 17:00 is closing time, so due when it opens
    assert res.due_at == ams(2026, 3, 10, 9) + MS


def test_retarget_to_another_calendar_keeps_time_measured_on_the_old_one():
    kpi = replace(
        KPI,
        policies=(
            replace(KPI.policies[0], calendar=BusinessCalendar()),  # P1 24x7
            KPI.policies[1],
        ),
    )
    ev = [
        created(ams(2026, 3, 6, 16)),  # Fri 16:00 standard (office hours)
        TicketEvent(ams(2026, 3, 7, 12), PRIO, {"priority": "P1"}),  # Sat 12:00
    ]
    res = replay(ev, TimerConfig(kpi))["resolution"]
    assert res.elapsed_s == 1 * H  # Fri 16-17 on the office calendar
    assert res.due_at == ams(2026, 3, 7, 13) + MS  # 1 h left, clock time from Sat 12:00


def test_reopen_resumes_resolution_from_where_it_stopped():
    ev = [
        created(ams(2026, 3, 9, 9)),
        TicketEvent(ams(2026, 3, 9, 10), RESOLVED),
        TicketEvent(ams(2026, 3, 9, 12), REOPENED),
    ]
    res = replay(ev, CFG)["resolution"]
    assert res.stage == "running"
    assert res.elapsed_s == 1 * H  # counted up to the resolution ...
    assert res.since == ams(2026, 3, 9, 10)  # ... and on from it, as servops sla does
    assert res.due_at == ams(2026, 3, 10, 9) + MS  # 17:00 is closing time
    fr = replay(ev, CFG)["first_response"]
    assert fr.stage == "running"  # no reply yet: the reopen resumes it too


def test_next_update_cycles_restart_on_each_reply_and_pause():
    ev = [
        created(ams(2026, 3, 9, 9)),
        TicketEvent(ams(2026, 3, 9, 9, 30), REPLY),
        TicketEvent(ams(2026, 3, 9, 12), REPLY),
    ]
    nu = replay(ev, CFG)["next_update"]
    assert nu.started_at == ams(2026, 3, 9, 12)
    assert nu.due_at == ams(2026, 3, 9, 16) + MS
    ev.append(TicketEvent(ams(2026, 3, 9, 13), HOLD))
    assert replay(ev, CFG)["next_update"].stage == "paused"


def test_no_policy_no_clocks_and_policy_matching():
    kpi = replace(KPI, policies=KPI.policies[:1])  # only P1
    assert replay([created(ams(2026, 3, 9, 9), "P3")], TimerConfig(kpi)) == {}
    p1 = match_policy(KPI.policies, {"priority": "P1"})
    std = match_policy(KPI.policies, {})
    assert (p1.name if p1 else None, std.name if std else None) == ("P1", "standard")
    # losing the policy cancels the running clocks
    ev = [
        created(ams(2026, 3, 9, 9), "P1"),
        TicketEvent(ams(2026, 3, 9, 10), PRIO, {"priority": "P3"}),
    ]
    clocks = replay(ev, TimerConfig(kpi))
    assert {c.stage for c in clocks.values()} == {"cancelled"}


def test_outcome_rules():
    t = ams(2026, 3, 9, 12)
    fri_17 = ams(2026, 3, 6, 17)

    def oc(stage, elapsed, since=None, as_of=t):
        return outcome(
            stage,
            elapsed_s=elapsed,
            target_s=10.0,
            since=since,
            as_of=as_of,
            calendar=CAL,
        )

    assert oc("met", 10) == "met"
    assert oc("breached", 11) == "breached"
    assert oc("running", 0, t - timedelta(seconds=10)) == "pending"
    assert oc("running", 0, t - timedelta(seconds=11)) == "breached"
    assert oc("paused", 11) == "breached"
    assert oc("paused", 1) == "pending"
    # at the end of opening hours the clock stands still over the weekend
    assert oc("running", 0, fri_17 - timedelta(seconds=10), ams(2026, 3, 8, 12)) == (
        "pending"
    )
    assert (
        outcome(
            "cancelled", elapsed_s=1, target_s=10, since=None, as_of=t, calendar=CAL
        )
        is None
    )


def test_deadline_at_closing_time_falls_due_when_opening():
    ev = [created(ams(2026, 3, 6, 9))]  # Fri 09:00, 8 h: deadline Fri 17:00
    res = replay(ev, CFG)["resolution"]
    assert res.due_at is not None
    assert ams(2026, 3, 9, 9) < res.due_at < ams(2026, 3, 9, 9, 0, 1)


def test_escalation_config_errors():
    with pytest.raises(ConfigError, match="warn_at"):
        escalation_from_dict({"warn_at": "180%"})
    with pytest.raises(ConfigError, match=r"rules\[0\] \(x\)\.action"):
        escalation_from_dict({"rules": [{"name": "x", "on": "breach", "action": "x"}]})
    with pytest.raises(ConfigError, match="needs 'group'"):
        escalation_from_dict({"rules": [{"on": "breach", "action": "reassign"}]})
    with pytest.raises(ConfigError, match="needs 'priorities'"):
        escalation_from_dict({"rules": [{"on": "breach", "action": "raise_priority"}]})
    with pytest.raises(ConfigError, match="unknown key"):
        escalation_from_dict({"rules": [{"on": "breach", "action": "notify", "x": 1}]})
    with pytest.raises(ConfigError, match="unit"):
        escalation_from_dict({"next_update": {"*": 5}})


# ---------------------------------------------------------------- parity with kpi

#: Moves of a random ticket: (activity, attribute change or None), by current state.
_MOVES: dict[str, list[tuple[str, str | None]]] = {
    "new": [(REPLY, None), (NOTE, None), (WAIT, "waiting_for_customer"),
            (RESOLVED, "resolved"), (PRIO, None)],
    "open": [(REPLY, None), (NOTE, None), (WAIT, "waiting_for_customer"),
             (HOLD, "on_hold"), (RESOLVED, "resolved"), (CLOSED, "closed"),
             (PRIO, None)],
    "waiting_for_customer": [(CUSTOMER, None), (OPEN, "open"), (HOLD, "on_hold"),
                             (RESOLVED, "resolved"), (NOTE, None)],
    "on_hold": [(OPEN, "open"), (WAIT, "waiting_for_customer"), (NOTE, None)],
    "resolved": [(REOPENED, "open"), (CLOSED, "closed")],
    "closed": [(REOPENED, "open")],
}  # fmt: skip


def _random_ticket(rng, start):
    t = start
    state, prio = "new", str(rng.choice(["P1", "P3"]))
    events = [TicketEvent(t, CREATED, {"priority": prio, "state": state})]
    for _ in range(int(rng.integers(0, 9))):
        t = t + timedelta(minutes=float(rng.exponential(300)) + 1)
        act, to = _MOVES[state][int(rng.integers(len(_MOVES[state])))]
        changes: dict[str, object] = {}
        if act == PRIO:
            prio = "P1" if prio == "P3" else "P3"
            changes["priority"] = prio
        if to is not None:
            state = to
            changes["state"] = to
        events.append(TicketEvent(t, act, changes))
    return events, prio


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31))
def test_outcome_equals_servops_sla_on_the_event_log(seed):
    rng = np.random.default_rng(seed)
    start = ams(2026, 3, 2, 8) + timedelta(minutes=int(rng.integers(0, 7 * 24 * 60)))
    tickets = [_random_ticket(rng, start + timedelta(hours=i)) for i in range(12)]
    as_of = max(ev[-1].at for ev, _ in tickets) + timedelta(hours=1)
    rows: dict[str, list[object]] = {
        "case_id": [], "activity": [], "timestamp": [], "priority": []
    }  # fmt: skip
    for i, (events, prio) in enumerate(tickets):
        for e in events:
            rows["case_id"].append(f"T{i}")
            rows["activity"].append(e.activity)
            rows["timestamp"].append(e.at)
            rows["priority"].append(prio)  # the log joins the ticket's current value
    log = EventLog.from_arrow(pa.table(rows))
    kpi = case_metrics(log, KPI, as_of=as_of).to_pylist()
    by_case = {r["case_id"]: r for r in kpi}
    for i, (events, _) in enumerate(tickets):
        ref = by_case[f"T{i}"]
        clocks = replay(events, CFG)
        for metric, prefix in (
            ("first_response", "response"),
            ("resolution", "resolution"),
        ):
            c = clocks[metric]
            assert c.policy == ref["sla_policy"]
            assert c.target_s == ref[f"{prefix}_target_s"]
            assert c.elapsed_at(as_of, CAL) == pytest.approx(
                ref[f"{prefix}_elapsed_s"], abs=1e-6
            ), (metric, events)
            got = outcome(
                c.stage,
                elapsed_s=c.elapsed_s,
                target_s=c.target_s,
                since=c.since,
                as_of=as_of,
                calendar=CAL,
            )
            assert (got == "breached") == ref[f"{prefix}_breached"], (metric, events)
        paused = clocks["resolution"].paused_at(as_of, CAL)
        assert paused == pytest.approx(ref["paused_s"], abs=1e-6), events


_CALENDARS = [
    BusinessCalendar.from_spec({"timezone": AMS, "hours": {"mon-fri": "09:00-17:00"}}),
    BusinessCalendar.from_spec(
        {
            "timezone": "America/New_York",
            "hours": {"mon-fri": ["08:00-12:00", "13:00-17:30"], "sat": "10:00-14:00"},
            "holidays": ["2026-03-09", "2026-03-10", "2026-11-26", "2026-12-25"],
        }
    ),
    BusinessCalendar.from_spec(
        {"timezone": "UTC", "hours": {"mon-sun": "00:00-24:00"}}
    ),
    BusinessCalendar.from_spec({"timezone": AMS, "hours": {"sun": "10:00-11:00"}}),
]


@settings(max_examples=200, deadline=None)
@given(
    cal=st.sampled_from(_CALENDARS),
    minutes=st.integers(0, 365 * 24 * 60),
    a=st.floats(-3600, 30 * 86_400),
    b=st.floats(-3600, 30 * 86_400),
)
def test_instants_after_are_instant_after_bit_for_bit(cal, minutes, a, b):
    start = (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)).timestamp()
    start += 0.123  # not on a minute
    got = _instants_after(cal, start, (a, b))
    assert got == (cal.instant_after(start, a), cal.instant_after(start, b))
