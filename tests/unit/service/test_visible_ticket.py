"""access.visible_ticket: the ticket by number or id as the caller may see it, read with the
newest config versions in one statement (so a change after it asks for nothing else)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from servops.errors import NotFoundError
from servops.service import access, config_store, models
from servops.service.access import Principal
from servops.service.db import make_engine, make_sessionmaker
from servops.service.tickets import Actor, create_ticket, update_ticket

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AGENT = Actor(None, "agent", "Ana")


def _who(role: str, user_id: int = 1, org: int | None = None) -> Principal:
    return Principal(user_id, role, org, frozenset(), "token")  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def db(pg_url):
    engine = make_engine(pg_url)
    sessions = make_sessionmaker(engine)
    with sessions() as s, s.begin():
        orgs = [models.Organisation(name=n) for n in ("Acme", "Globex")]
        s.add_all(orgs)
        s.flush()
        users = [
            models.User(
                email=f"{n}@example.test",
                name=n,
                role="customer",
                organisation_id=o,
                active=True,
                skills=[],
            )
            for n, o in (("acme", orgs[0].id), ("loner", None))
        ]
        s.add_all(users)
        s.flush()
        tickets = {
            key: create_ticket(
                s,
                subject=key,
                customer_id=cust,
                organisation_id=org,
                now=lambda: AT,
            )
            for key, cust, org in (
                ("acme", users[0].id, orgs[0].id),
                ("globex", None, orgs[1].id),
                ("loner", users[1].id, None),
            )
        }
        ids = {
            "org": {"acme": orgs[0].id, "globex": orgs[1].id},
            "user": {"acme": users[0].id, "loner": users[1].id},
            "ticket": {k: (t.id, t.number) for k, t in tickets.items()},
        }
    yield engine, sessions, ids
    engine.dispose()


def test_staff_see_every_ticket_by_number_or_id(db) -> None:
    _, sessions, ids = db
    agent = _who("agent")
    with sessions() as s:
        for tid, number in ids["ticket"].values():
            assert access.visible_ticket(s, number, agent).id == tid
            assert access.visible_ticket(s, str(tid), agent).number == number
        with pytest.raises(NotFoundError, match="no ticket 'T-999999'"):
            access.visible_ticket(s, "T-999999", agent)
        with pytest.raises(NotFoundError, match="no ticket '99999999999'"):
            access.visible_ticket(s, "99999999999", agent)  # beyond an integer


def test_customers_see_their_organisations_or_their_own_tickets(db) -> None:
    _, sessions, ids = db
    acme = _who("customer", ids["user"]["acme"], ids["org"]["acme"])
    loner = _who("customer", ids["user"]["loner"])
    t = ids["ticket"]
    with sessions() as s:
        assert access.visible_ticket(s, t["acme"][1], acme).id == t["acme"][0]
        assert access.visible_ticket(s, t["loner"][1], loner).id == t["loner"][0]
        for who, other in ((acme, "globex"), (acme, "loner"), (loner, "acme")):
            for ref in (t[other][1], str(t[other][0])):
                with pytest.raises(NotFoundError):
                    access.visible_ticket(s, ref, who)


@pytest.mark.parametrize("pinged", [True, False])
def test_the_versions_come_with_the_ticket_and_a_change_asks_nothing_more(
    db, pinged
) -> None:
    engine, sessions, ids = db
    tid, number = ids["ticket"]["globex"]
    with sessions() as s, s.begin():
        stored = config_store.save(s, "routing", "strategy: round_robin\n", None)
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(statement)

    with sessions() as s, s.begin():
        if not pinged:  # a statement first: the pre-ping's answer is no longer current
            s.execute(sa.text("SELECT 1"))
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            ticket = access.visible_ticket(s, number, _who("agent"), lock=True)
            assert config_store.latest_ids(s) == {"routing": stored.id}
            new = "P1" if ticket.priority == "P2" else "P2"  # a change in each run
            update_ticket(
                s,
                ticket,
                {"priority": new},
                actor=AGENT,
                now=lambda: AT,
                machine=config_store.live_state_machine(s),
            )
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
    # the ticket (with the versions unless the pool's pre-ping read them with the
    # BEGIN), UPDATE, the chain's head, INSERT event (it takes the append lock): 4 (5
    # with the versions asked for by a statement of their own)
    assert len(seen) == 4, "\n".join(seen)
    assert "FOR UPDATE OF tickets" in seen[0]
    assert sum("config_versions" in q for q in seen) == (0 if pinged else 1)
    with sessions() as s:
        assert s.get(models.Ticket, tid).priority == new


def test_a_version_stored_later_in_the_transaction_is_not_overwritten(db) -> None:
    _, sessions, ids = db
    _, number = ids["ticket"]["acme"]
    with sessions() as s, s.begin():
        before = config_store.latest_ids(s)
        stored = config_store.save(s, "routing", "strategy: least_loaded\n", None)
        assert config_store.latest_ids(s)["routing"] == stored.id != before["routing"]
        access.visible_ticket(s, number, _who("agent"))
        assert config_store.latest_ids(s)["routing"] == stored.id
