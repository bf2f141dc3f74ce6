"""A/B experiments in the live service: salted-hash arms, B group, attribute in the log."""

from __future__ import annotations

import math

from scipy import stats

from servops.service.experiments import Experiment, arm

SALT = "9f2c1e0b7a6d5c4b3a29"
N = 400
SHARE = 0.3


def _put(world, text):
    return world.call(
        "admin",
        "PUT",
        "/routing/config",
        content=text,
        headers={"Content-Type": "text/plain"},
    )


def test_bad_share_is_422_naming_the_line(world) -> None:
    text = (
        "strategy: least_loaded\n"
        "experiments:\n"
        "  - name: triage\n"
        "    share: 1.5\n"
        f"    salt: {SALT}\n"
    )
    r = _put(world, text)
    assert r.status_code == 422, r.text
    assert "line 4" in r.text and "share" in r.text and "1.5" in r.text
    short = "experiments:\n  - {name: triage, share: 0.5, salt: short}\n"
    r = _put(world, short)
    assert r.status_code == 422 and "salt" in r.text, r.text
    missing = f"experiments:\n  - {{name: t, share: 0.5, salt: {SALT}, group: Nope}}\n"
    r = _put(world, missing)
    assert r.status_code == 422 and "'Nope'" in r.text, r.text


def test_share_group_attribute_and_ab_test(world) -> None:
    from servops.improve import ab_test
    from servops.service import tickets
    from servops.service.config_store import live_state_machine
    from servops.service.db import make_engine, make_sessionmaker
    from servops.service.events import read_service_log

    r = world.call(
        "admin", "POST", "/groups", json={"name": "Triage B", "member_ids": []}
    )
    assert r.status_code == 201, r.text
    b_group = r.json()["id"]
    text = (
        "strategy: least_loaded\n"
        "experiments:\n"
        "  - name: triage\n"
        f"    share: {SHARE}\n"
        f"    salt: {SALT}\n"
        "    when: {channel: [web]}\n"
        "    group: Triage B\n"
    )
    r = _put(world, text)
    assert r.status_code == 200, r.text
    assert r.json()["experiments"] == ["triage"]
    # through the API: the arm is an attribute, B tickets land in the B group
    via_api = [
        world.call(
            "agent", "POST", "/tickets", json={"subject": f"s{i}", "channel": "web"}
        ).json()
        for i in range(20)
    ]
    exp = Experiment(name="triage", share=SHARE, salt=SALT)
    for t in via_api:
        a = t["attributes"]["ab_triage"]
        assert a == arm(exp, t["number"])  # recomputed: the same
        assert (t["group_id"] == b_group) == (a == "B")
    other = world.call(
        "agent", "POST", "/tickets", json={"subject": "e", "channel": "email"}
    ).json()
    assert "ab_triage" not in other["attributes"]  # `when` does not match
    # many tickets through the service layer (fast); half are resolved for the metric
    engine = make_engine(world.url)
    try:
        with make_sessionmaker(engine)() as s:
            for i in range(N):
                t = tickets.create_ticket(
                    s,
                    subject=f"bulk {i}",
                    channel="web",
                    machine=live_state_machine(s),
                    now=world.clock,
                )
                if i % 2 == 0:
                    world.clock.advance(minutes=1)
                    tickets.transition(
                        s,
                        t,
                        "resolved",
                        machine=live_state_machine(s),
                        now=world.clock,
                    )
            s.commit()
    finally:
        engine.dispose()
    log = read_service_log(world.url)
    rows = log.fetchall("SELECT DISTINCT case_id, ab_triage FROM events")
    got = {n: a for n, a in rows if a is not None}
    assert len(got) == N + len(via_api)
    assert all(a == arm(exp, n) for n, a in got.items())
    n_b = sum(a == "B" for a in got.values())
    lo, hi = stats.binom.interval(0.999, len(got), SHARE)
    assert lo <= n_b <= hi, (n_b, lo, hi)
    assert math.isclose(n_b / len(got), SHARE, abs_tol=0.1)
    res = ab_test(
        log, "ab_triage", "lead_time", control="A", treatment="B", expected_share=SHARE
    )
    assert (res.n_control, res.n_treatment) == (len(got) - n_b, n_b)
    # the log carries the state machine's roles (the command below reads it with
    # them too): lead time runs to Closed and no ticket is closed yet, so every one
    # is open (both arms), right-censored, not measured to its last event
    assert res.measured_control + res.measured_treatment == 0
    assert res.open_control + res.open_treatment == len(got)
    assert res.open_control > 0 and res.open_treatment > 0
    assert res.srm_p_value is not None and res.srm_p_value > 0.001  # no ratio mismatch
    # the documented command on the live database gives the same split
    import json

    from typer.testing import CliRunner

    from servops.cli.main import app

    out = CliRunner().invoke(
        app,
        [
            "improve",
            "ab",
            world.url,
            "--variant-column",
            "ab_triage",
            "-m",
            "lead_time",
            "--control",
            "A",
            "--expected-share",
            str(SHARE),
            "--json",
        ],
    )
    assert out.exit_code == 0, out.output
    d = json.loads(out.stdout)
    assert (d["n_control"], d["n_treatment"]) == (len(got) - n_b, n_b)
    # the command reads the live log with the state machine's roles: lead time runs
    # to Closed, and no ticket is closed yet, so every one is still open
    assert d["open_control"] + d["open_treatment"] == len(got)
    assert d["measured_control"] + d["measured_treatment"] == 0
    assert (d["open_control"], d["open_treatment"]) == (
        res.open_control,
        res.open_treatment,
    )
