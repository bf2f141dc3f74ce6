"""With a trained triage model, a ticket shows the suggested category and its confidence."""

from __future__ import annotations

from servops.triage import train
from tests.unit.api.conftest import Clock, World, client_class, seed_world


def test_ticket_shows_the_classifiers_suggestion(pg_url, tmp_path) -> None:
    from servops.api import ServiceSettings, create_app

    texts = [
        "card declined at the shop",
        "stolen card",
        "信用卡被盗",
        "loan rate too high",
        "late loan payment",
        "贷款利率太高",
    ]
    labels = ["card", "card", "card", "loan", "loan", "loan"]
    clf = train(texts * 3, labels * 3, threshold=0.0)
    path = clf.save(tmp_path / "triage.npz")
    want = clf.suggest_ticket("My card", "was declined at the shop")

    clock = Clock()
    settings = ServiceSettings(
        database_url=pg_url, now=clock, triage_model=path, pool_size=2
    )
    with client_class()(create_app(settings)) as client:
        w = World(client=client, clock=clock, url=pg_url)
        seed_world(pg_url, w)
        t = w.call(
            "customer",
            "POST",
            "/tickets",
            json={"subject": "My card", "text": "was declined at the shop"},
        ).json()
        got = w.call("agent", "GET", f"/tickets/{t['number']}").json()["suggestion"]
    assert got["category"] == want.label == "card"
    assert abs(got["confidence"] - want.confidence) < 1e-3
    assert 0.5 < got["confidence"] <= 1.0
