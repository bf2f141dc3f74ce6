"""Events are the log: the events table read as an EventLog, and a replayed real log."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

import servops as so
from servops.errors import ConflictError, LogSchemaError
from servops.kpi import compute_kpis, load_config
from servops.service import models
from servops.service.audit import verify
from servops.service.db import make_engine, make_sessionmaker
from servops.service.events import events_arrow, read_service_log
from servops.service.tickets import (
    Actor,
    add_comment,
    create_ticket,
    import_log,
    transition,
)
from tests.paths import shared_log

AGENT = Actor(None, "agent", "Ana")


def test_an_empty_service_is_a_clear_error(pg_url):
    with pytest.raises(LogSchemaError, match="no events yet"):
        read_service_log(pg_url)


def test_the_events_table_reads_as_a_log_with_ticket_attributes(pg_url):
    engine = make_engine(pg_url, app_role=False)
    with engine.begin() as con:
        con.execute(sa.insert(models.Group).values(id=1, name="L1"))
        con.execute(sa.insert(models.Organisation).values(id=1, name="ACME"))
    t0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
    app = make_engine(pg_url)
    with make_sessionmaker(app)() as s, s.begin():
        for i in range(3):
            clock = functools.partial(
                next, iter(t0 + timedelta(hours=i, minutes=10 * k) for k in range(10))
            )
            t = create_ticket(
                s,
                subject=f"s{i}",
                number=f"L-{i}",
                priority="P1" if i else "P3",
                channel="web",
                group_id=1,
                organisation_id=1,
                attributes={"product": "printer"},
                now=clock,
            )
            transition(s, t, "open", actor=AGENT, now=clock)
            add_comment(s, t, "hi", actor=AGENT, now=clock)
            if i:
                transition(s, t, "resolved", actor=AGENT, now=clock)
    engine.dispose()
    app.dispose()
    log = read_service_log(pg_url)
    assert log.n_cases() == 3
    assert log.n_events() == 11
    assert {"channel", "priority", "group", "organisation", "product"} <= set(
        log.attributes
    )
    rows = log.fetchall(
        'SELECT case_id, activity, timestamp, resource, priority, "group", organisation, product '
        "FROM instances WHERE case_id = 'L-1' ORDER BY timestamp"
    )
    assert [r[1] for r in rows] == [
        "Ticket created",
        "In progress",
        "Agent replied",
        "Resolved",
    ]
    assert rows[0][2] == t0 + timedelta(hours=1)
    assert rows[1][3] == "Ana"
    assert rows[0][4:] == ("P1", "L1", "ACME", "printer")
    # the state machine's KPI config reads the live log
    from servops.service.statemachine import default_state_machine

    kpis = compute_kpis(log, default_state_machine().kpi_config(), by=None).to_pylist()[
        0
    ]
    assert kpis["cases"] == 3
    assert kpis["resolved"] == 2
    assert kpis["first_response_mean_s"] == pytest.approx(20 * 60)


def test_open_log_takes_a_service_url(pg_url):
    assert so.open_log(pg_url).n_cases() == 3


def test_replayed_helpdesk_kpis_equal_the_file(fresh_pg_url):
    url = fresh_pg_url
    path = shared_log("helpdesk.xes.gz")
    file_log = so.read_log(path)
    result = import_log(url, file_log)
    assert (result.tickets, result.events) == (
        file_log.n_cases(),
        file_log.n_events(),
    )
    live = read_service_log(url)
    cfg = load_config(None, file_log)
    # the live log carries the state machine's roles (servops kpi --service reads it
    # so); guessed from its activity names, it reads as the file does
    assert load_config(None, live) is live.default_config
    assert load_config(None, live.with_default_config(None)).to_dict() == cfg.to_dict()
    want = compute_kpis(file_log, cfg, by="month").to_pylist()
    assert compute_kpis(live, cfg, by="month").to_pylist() == want
    assert (
        compute_kpis(live, cfg, by=None, segment="seriousness").to_pylist()
        == compute_kpis(file_log, cfg, by=None, segment="seriousness").to_pylist()
    )
    assert verify(url, key=None).ok
    with pytest.raises(ConflictError, match="already a ticket number"):
        import_log(url, file_log)
    assert events_arrow(url).num_rows == file_log.n_events()


def test_custom_attributes_that_clash_with_columns_are_left_out(fresh_pg_url):
    app = make_engine(fresh_pg_url)
    with make_sessionmaker(app)() as s, s.begin():
        create_ticket(
            s,
            subject="x",
            priority="P1",
            attributes={
                "Priority": "high",
                "Timestamp": "x",
                "Region": "EU",
                "region": "eu",
            },
        )
    app.dispose()
    log = read_service_log(fresh_pg_url)
    assert log.fetchall("SELECT priority FROM events") == [("P1",)]
    lowered = [a.lower() for a in log.attributes]
    assert lowered.count("region") == 1
    assert "timestamp" not in lowered
    assert any("'Priority' left out" in n for n in log.meta.notes)
