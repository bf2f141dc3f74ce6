"""Surveys (single use, expiry, export for servops feedback), inbound alerts, webhooks."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from functools import partial
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import TYPE_CHECKING

import httpx
import pytest

from servops.service.db import make_engine, make_sessionmaker

if TYPE_CHECKING:
    from collections.abc import Callable


def _later(clock: Callable[[], datetime], hours: int) -> datetime:
    return clock() + timedelta(hours=hours)


def _resolve(world, **body):
    t = world.call(
        "customer",
        "POST",
        "/tickets",
        json={"subject": "survey me", "channel": "email", **body},
    ).json()
    r = world.call(
        "agent", "POST", f"/tickets/{t['number']}/transition", json={"to": "resolved"}
    )
    assert r.status_code == 200, r.text
    return t, r.json()["survey_url"]


def test_survey_link_is_single_use_and_feeds_feedback(world) -> None:
    t, url = _resolve(world)
    token = url.rsplit("/", 1)[1]
    r = world.call(None, "GET", f"/surveys/{token}")
    assert r.status_code == 200
    assert r.json()["ticket"] == t["number"]
    assert r.json()["answered"] is False
    r = world.call(None, "POST", f"/surveys/{token}", json={"csat": 6})
    assert r.status_code == 422
    assert "body.csat" in r.json()["detail"]
    r = world.call(
        None,
        "POST",
        f"/surveys/{token}",
        json={"csat": 4, "nps": 9, "comment": "quick and kind"},
    )
    assert r.status_code == 200, r.text
    r = world.call(None, "POST", f"/surveys/{token}", json={"csat": 1})
    assert r.status_code == 409  # single use
    assert world.call(None, "GET", f"/surveys/{'x' * 43}").status_code == 404
    # the answer is an event of the ticket, and a row for servops feedback
    evs = world.call("supervisor", "GET", f"/tickets/{t['number']}/events").json()
    assert evs[-1]["activity"] == "Survey answered"
    rows = world.call("supervisor", "GET", "/survey-answers").json()
    mine = [r for r in rows if r["case_id"] == t["number"]]
    assert mine == [
        {
            "case_id": t["number"],
            "submitted_at": mine[0]["submitted_at"],
            "csat": 4,
            "nps": 9,
            "comment": "quick and kind",
            "channel": "email",
            "priority": "P3",
            "category": None,
            "organisation": "Acme",
            "group": None,
        }
    ]


def test_survey_answers_are_read_by_servops_feedback(world, tmp_path) -> None:
    import pyarrow.csv as pacsv

    from servops.feedback import read_feedback
    from servops.service.surveys import survey_answers

    _, url = _resolve(world)
    world.call(
        None,
        "POST",
        f"/surveys/{url.rsplit('/', 1)[1]}",
        json={"nps": 3, "comment": "too slow"},
    )
    engine = make_engine(world.url)
    try:
        with make_sessionmaker(engine)() as s:
            table = survey_answers(s)
    finally:
        engine.dispose()
    path = tmp_path / "answers.csv"
    pacsv.write_csv(table, path)
    fb = read_feedback(path, text="comment", score="nps", case="case_id")
    assert "too slow" in fb.column("comment").to_pylist()
    assert 3.0 in fb.column("score").to_pylist()


def test_survey_link_expires(world) -> None:
    _, url = _resolve(world)
    world.clock.advance(days=15)
    try:
        r = world.call(
            None, "POST", f"/surveys/{url.rsplit('/', 1)[1]}", json={"csat": 5}
        )
        assert r.status_code == 404
        assert "expired" in r.json()["detail"]
    finally:
        world.clock.advance(days=-15)


def test_alerts_are_deduplicated_by_key(world) -> None:
    alert = {
        "dedup_key": "pump-7/pressure",
        "source": "scada",
        "summary": "pressure high",
        "severity": "warning",
    }
    r1 = world.call("agent", "POST", "/inbound/alerts", json=alert)
    assert r1.status_code == 201, r1.text
    assert r1.json()["created"] is True
    r2 = world.call(
        "agent", "POST", "/inbound/alerts", json={**alert, "severity": "critical"}
    )
    assert r2.status_code == 200
    assert r2.json()["ticket"] == r1.json()["ticket"]
    assert r2.json()["created"] is False
    ref = r1.json()["ticket"]
    t = world.call("agent", "GET", f"/tickets/{ref}").json()
    assert t["priority"] == "P1"  # raised by the critical repeat
    assert t["channel"] == "alert"
    acts = [
        e["activity"]
        for e in world.call("supervisor", "GET", f"/tickets/{ref}/events").json()
    ]
    assert acts.count("Alert repeated") == 1
    # once resolved, the next alert with the key opens a new ticket
    world.call("agent", "POST", f"/tickets/{ref}/transition", json={"to": "resolved"})
    r3 = world.call("agent", "POST", "/inbound/alerts", json=alert)
    assert r3.status_code == 201
    assert r3.json()["ticket"] != ref
    # customers and tokens without the alerts scope may not post alerts
    assert (
        world.call("customer", "POST", "/inbound/alerts", json=alert).status_code == 403
    )


class _Receiver(BaseHTTPRequestHandler):
    got: list[tuple[bytes, str]] = []  # noqa: RUF012
    fail_first = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if _Receiver.fail_first > 0:
            _Receiver.fail_first -= 1
            self.send_response(503)
        else:
            _Receiver.got.append((body, self.headers["X-Servops-Signature"]))
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver():
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    th = threading.Thread(target=server.serve_forever, daemon=True)
    th.start()
    _Receiver.got = []
    yield server
    server.shutdown()
    server.server_close()


def test_webhook_outbox_signs_and_retries(world, receiver) -> None:
    from datetime import timedelta

    from servops.service.webhooks import deliver_due, verify_signature

    port = receiver.server_address[1]
    hook = world.call(
        "admin",
        "POST",
        "/webhooks",
        json={
            "url": f"http://127.0.0.1:{port}/hook",
            "event_types": ["Ticket created", "Resolved"],
        },
    ).json()
    t = world.call("customer", "POST", "/tickets", json={"subject": "hook me"}).json()
    world.call(
        "agent", "POST", f"/tickets/{t['number']}/transition", json={"to": "resolved"}
    )
    deliveries = world.call("admin", "GET", f"/webhooks/{hook['id']}/deliveries").json()
    assert (
        len(deliveries) == 2
    )  # created and resolved; the survey event is not subscribed
    assert {d["status"] for d in deliveries} == {"pending"}

    _Receiver.fail_first = 1
    engine = make_engine(world.url)
    try:
        factory = make_sessionmaker(engine)
        with httpx.Client(timeout=5) as client:
            with factory() as s:
                rep = deliver_due(s, client, now=world.clock)
                s.commit()
            assert (rep.delivered, rep.retried, rep.failed) == (1, 1, 0)
            with factory() as s:  # not due yet: backoff
                assert deliver_due(s, client, now=world.clock).to_dict() == {
                    "delivered": 0,
                    "retried": 0,
                    "failed": 0,
                }
            with factory() as s:
                rep = deliver_due(
                    s, client, now=lambda: world.clock() + timedelta(seconds=11)
                )
                s.commit()
            assert rep.delivered == 1
    finally:
        engine.dispose()
    assert len(_Receiver.got) == 2
    docs = [json.loads(b) for b, _ in _Receiver.got]
    assert {d["activity"] for d in docs} == {"Ticket created", "Resolved"}
    assert {d["ticket"] for d in docs} == {t["number"]}
    for body, sig in _Receiver.got:
        assert verify_signature(hook["secret"], body, sig)
    deliveries = world.call("admin", "GET", f"/webhooks/{hook['id']}/deliveries").json()
    assert {d["status"] for d in deliveries} == {"delivered"}
    assert sorted(d["attempts"] for d in deliveries) == [1, 2]
    world.call("admin", "DELETE", f"/webhooks/{hook['id']}")


def test_webhook_gives_up_after_max_attempts(world) -> None:

    from servops.service.webhooks import deliver_due

    hook = world.call(
        "admin",
        "POST",
        "/webhooks",
        json={"url": "http://127.0.0.1:9/closed", "event_types": ["*"]},
    ).json()
    world.call("customer", "POST", "/tickets", json={"subject": "nobody listens"})
    engine = make_engine(world.url)
    try:
        factory = make_sessionmaker(engine)
        with httpx.Client(timeout=2) as client:
            for i in range(3):
                with factory() as s:
                    deliver_due(
                        s,
                        client,
                        now=partial(_later, world.clock, 2 * i),
                        max_attempts=3,
                    )
                    s.commit()
    finally:
        engine.dispose()
    d = world.call("admin", "GET", f"/webhooks/{hook['id']}/deliveries").json()
    assert [x["status"] for x in d] == ["failed"]
    assert d[0]["attempts"] == 3
    assert "Connect" in d[0]["last_error"]
    world.call("admin", "DELETE", f"/webhooks/{hook['id']}")


def test_worker_delivers_and_signs_checkpoints(world, receiver) -> None:
    import threading

    from servops.api.background import run_worker

    port = receiver.server_address[1]
    hook = world.call(
        "admin",
        "POST",
        "/webhooks",
        json={"url": f"http://127.0.0.1:{port}/w", "event_types": ["Ticket created"]},
    ).json()
    world.call("customer", "POST", "/tickets", json={"subject": "worker"})
    stop = threading.Event()
    threading.Timer(2.0, stop.set).start()
    stats = run_worker(
        world.url, stop=stop, audit_key=b"k" * 32, interval=0.2, now=world.clock
    )
    assert stats.errors == []
    assert stats.delivered >= 1
    assert (
        stats.checkpoints == 1
    )  # the first pass signs one; the next is 10 minutes away
    assert any(b'"Ticket created"' in body for body, _ in _Receiver.got)
    world.call("admin", "DELETE", f"/webhooks/{hook['id']}")


def test_concurrent_alerts_with_one_key_make_one_ticket(world) -> None:
    from concurrent.futures import ThreadPoolExecutor

    alert = {
        "dedup_key": "rack-3/temp",
        "source": "bms",
        "summary": "hot aisle",
        "severity": "info",
    }

    def post(_: int):
        r = world.call("agent", "POST", "/inbound/alerts", json=alert)
        assert r.status_code in (200, 201), r.text
        return r.json()

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(post, range(8)))
    assert len({g["ticket"] for g in got}) == 1
    assert sum(g["created"] for g in got) == 1
    evs = world.call("supervisor", "GET", f"/tickets/{got[0]['ticket']}/events").json()
    assert [e["activity"] for e in evs].count("Alert repeated") == 7
