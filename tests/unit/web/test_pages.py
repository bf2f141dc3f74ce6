"""Each page for each role on a real PostgreSQL: what it shows, what it refuses."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests.unit.api.conftest import client_class

if TYPE_CHECKING:
    from tests.unit.web.conftest import Web

STAFF = ("agent", "supervisor", "admin")


def test_queue_pages_for_staff_and_not_for_customers(web: Web) -> None:
    for who in STAFF:
        for path in ("/app/queue", "/app/queue/groups"):
            r = web.login(who).get(path)
            assert r.status_code == 200, (who, path, r.text[:300])
            assert 'id="queue-rows"' in r.text
    r = web.login("customer").get("/app/queue")
    assert r.status_code == 403
    assert "agent" in r.text


def test_portal_for_customers_redirects_staff(web: Web) -> None:
    r = web.login("customer").get("/app/portal")
    assert r.status_code == 200
    assert "My tickets" in r.text
    assert web.login("agent").get("/app/portal").headers["location"] == "/app/queue"


def test_navigation_follows_the_role(web: Web) -> None:
    customer = web.login("customer").get("/app/portal").text
    assert 'href="/app/portal/new"' in customer
    assert 'href="/app/queue"' not in customer
    agent = web.login("agent").get("/app/queue").text
    assert 'href="/app/queue/groups"' in agent
    assert 'href="/app/portal"' not in agent
    assert 'href="/docs"' not in agent
    assert 'href="/docs"' in web.login("admin").get("/app/queue").text


def test_customer_submits_and_sees_own_ticket_not_another_organisations(
    web: Web,
) -> None:
    r = web.post(
        "customer", "/app/portal/new", {"subject": "Printer on fire", "text": "help"}
    )
    assert r.status_code == 201, r.text
    target = r.headers["HX-Redirect"]
    number = target.rsplit("/", 1)[1]
    assert re.fullmatch(r"T-\d+", number)
    page = web.login("customer").get(target)
    assert page.status_code == 200
    assert "Printer on fire" in page.text
    # same organisation: visible; another organisation: 404 (not 403: no existence leak)
    assert web.login("customer_acme2").get(target).status_code == 200
    other = web.login("customer_globex").get(target)
    assert other.status_code == 404
    assert "Printer on fire" not in other.text
    assert number not in web.login("customer_globex").get("/app/portal").text
    assert number in web.login("customer").get("/app/portal").text


def test_form_posts_need_the_csrf_header(web: Web) -> None:
    client = web.login("customer")
    r = client.post(
        "/app/portal/new", data={"subject": "x"}, headers={"HX-Request": "true"}
    )
    assert r.status_code == 403
    assert "CSRF" in r.text


def test_staff_ticket_page_shows_clocks_transitions_and_reply(web: Web) -> None:
    t = web.ticket("customer", subject="VPN down", priority="P2")
    page = web.login("agent").get(f"/app/tickets/{t['number']}")
    assert page.status_code == 200
    html = page.text
    assert 'id="clock-first_response"' in html
    assert 'id="clock-resolution"' in html
    # only the state machine's transitions from "new"
    from servops.service.statemachine import default_state_machine

    allowed = default_state_machine().allowed(t["state"])
    shown = re.findall(r'data-to="([a-z_]+)"', html)
    assert shown == list(allowed)
    assert "closed" not in default_state_machine().allowed("closed")
    assert 'value="internal"' in html
    assert "no triage model is configured" in html


def test_customer_ticket_page_hides_internal_notes_and_clocks(web: Web) -> None:
    t = web.ticket("customer", subject="Invoice wrong")
    ref = t["number"]
    r = web.post(
        "agent",
        f"/app/tickets/{ref}/comments",
        {"body": "secret note", "visibility": "internal"},
    )
    assert r.status_code == 200, r.text
    r = web.post("agent", f"/app/tickets/{ref}/comments", {"body": "We are on it"})
    assert r.status_code == 200
    staff = web.login("agent").get(f"/app/tickets/{ref}").text
    assert "secret note" in staff
    assert "We are on it" in staff
    customer = web.login("customer").get(f"/app/tickets/{ref}").text
    assert "We are on it" in customer
    assert "secret note" not in customer
    assert "clock-first_response" not in customer
    assert 'value="internal"' not in customer
    # a customer cannot post an internal note or move the ticket
    r = web.post(
        "customer",
        f"/app/tickets/{ref}/comments",
        {"body": "psst", "visibility": "internal"},
    )
    assert r.status_code == 403
    r = web.post("customer", f"/app/tickets/{ref}/transition", {"to": "resolved"})
    assert r.status_code == 403


def test_public_reply_stops_the_first_response_clock(web: Web) -> None:
    t = web.ticket("customer", subject="Cannot log in")
    ref = t["number"]
    before = web.login("agent").get(f"/app/tickets/{ref}").text
    assert re.search(
        r'id="clock-first_response" data-metric="first_response" data-stage="running"',
        before,
    )
    r = web.post("agent", f"/app/tickets/{ref}/comments", {"body": "Try again now"})
    assert r.status_code == 200
    assert re.search(
        r'id="clock-first_response" data-metric="first_response" data-stage="met"',
        r.text,
    )
    # an internal note does not stop it
    t2 = web.ticket("customer", subject="Second")
    r = web.post(
        "agent",
        f"/app/tickets/{t2['number']}/comments",
        {"body": "hm", "visibility": "internal"},
    )
    assert 'data-metric="first_response" data-stage="running"' in r.text


def test_transition_to_a_state_the_machine_forbids_is_refused(web: Web) -> None:
    t = web.ticket("customer", subject="Forbidden move")
    ref = t["number"]
    r = web.post("agent", f"/app/tickets/{ref}/transition", {"to": "closed"})
    assert r.status_code == 200
    r = web.post(
        "agent", f"/app/tickets/{ref}/transition", {"to": "waiting_for_customer"}
    )
    assert r.status_code == 409 or r.status_code == 422
    assert "closed" in r.text


def test_resolving_shows_the_survey_link_and_the_survey_page_answers_once(
    web: Web,
) -> None:
    t = web.ticket("customer", subject="Resolve me")
    ref = t["number"]
    r = web.post("agent", f"/app/tickets/{ref}/transition", {"to": "resolved"})
    assert r.status_code == 200, r.text
    m = re.search(r'href="http://testserver(/app/surveys/[A-Za-z0-9_-]+)"', r.text)
    assert m, r.text
    anon = client_class()(web.app)
    page = anon.get(m.group(1))
    assert page.status_code == 200
    assert "Resolve me" in page.text
    done = anon.post(m.group(1), data={"csat": "4", "nps": "9", "comment": "quick"})
    assert done.status_code == 200
    assert "Thank you" in done.text
    again = anon.get(m.group(1))
    assert "has been answered" in again.text
    assert anon.post(m.group(1), data={"csat": "5"}).status_code == 409
    bad = anon.post("/app/surveys/" + "x" * 30, data={"csat": "5"})
    assert bad.status_code == 404
    answers = web.world.call("supervisor", "GET", "/survey-answers").json()
    assert any(a.get("csat") == 4 and a.get("nps") == 9 for a in answers)


@pytest.mark.parametrize("who", ["agent", "supervisor"])
def test_ticket_page_audit_columns_only_for_supervisors(web: Web, who: str) -> None:
    t = web.ticket("customer", subject=f"Audit view {who}")
    html = web.login(who).get(f"/app/tickets/{t['number']}").text
    assert ('class="audit"' in html) == (who == "supervisor")
