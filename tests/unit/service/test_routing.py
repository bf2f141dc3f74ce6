"""Routing logic without a database: rules in order, agent choice, capacity, skills."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servops.errors import ConfigError
from servops.service.routing import (
    AgentLoad,
    RoutingConfig,
    Rule,
    TicketFacts,
    check_conditions,
    choose_group,
    pick_agent,
)


def _chosen(rules: list[Rule], facts: TicketFacts) -> int:
    rule = choose_group(rules, facts)
    assert rule is not None
    return rule.group_id


def test_first_matching_rule_by_position_wins() -> None:
    rules = [
        Rule(id=1, position=20, name="catch-all", conditions={}, group_id=9),
        Rule(
            id=2,
            position=10,
            name="bills",
            conditions={"keywords": ["invoice", "发票"]},
            group_id=2,
        ),
        Rule(
            id=3,
            position=5,
            name="vip",
            conditions={"organisation_id": [7]},
            group_id=3,
        ),
        Rule(id=4, position=1, name="off", conditions={}, group_id=4, active=False),
    ]
    assert _chosen(rules, TicketFacts(subject="My INVOICE is wrong")) == 2
    assert _chosen(rules, TicketFacts(subject="x", text="请开发票")) == 2
    assert _chosen(rules, TicketFacts(subject="invoice", organisation_id=7)) == 3
    assert _chosen(rules, TicketFacts(subject="hello")) == 9
    assert choose_group(rules[1:3], TicketFacts(subject="hello")) is None


def test_all_conditions_must_hold() -> None:
    r = Rule(
        id=1,
        position=1,
        name="r",
        conditions={"category": ["billing"], "channel": ["email", "phone"]},
        group_id=1,
    )
    assert r.matches(TicketFacts(category="billing", channel="phone"))
    assert not r.matches(TicketFacts(category="billing", channel="web"))
    assert not r.matches(TicketFacts(category="tech", channel="email"))


def test_conditions_are_validated() -> None:
    assert check_conditions({"channel": "email"}) == {"channel": ["email"]}
    with pytest.raises(ConfigError, match="unknown condition 'colour'"):
        check_conditions({"colour": ["red"]})
    with pytest.raises(ConfigError, match="non-empty list"):
        check_conditions({"channel": []})
    with pytest.raises(ConfigError, match="object"):
        check_conditions(["channel"])


def test_least_loaded_capacity_and_skills() -> None:
    agents = [
        AgentLoad(1, open_tickets=2, capacity=2),  # full
        AgentLoad(2, open_tickets=1, capacity=5, skills=frozenset({"fr"})),
        AgentLoad(3, open_tickets=1),
        AgentLoad(4, open_tickets=4, skills=frozenset({"fr", "billing"})),
    ]
    assert pick_agent(agents, strategy="least_loaded") == 2  # tie 2 vs 3 → lower id
    assert pick_agent(agents, strategy="least_loaded", skills=frozenset({"fr"})) == 2
    assert (
        pick_agent(agents, strategy="least_loaded", skills=frozenset({"fr", "billing"}))
        == 4
    )
    assert pick_agent(agents, strategy="least_loaded", skills=frozenset({"de"})) is None
    assert pick_agent(agents[:1], strategy="least_loaded") is None  # waits in the queue


def test_round_robin_cycles_over_eligible_agents() -> None:
    agents = [AgentLoad(i, capacity=None) for i in (3, 5, 8)]
    seq, last = [], None
    for _ in range(7):
        last = pick_agent(agents, strategy="round_robin", last_assignee=last)
        seq.append(last)
    assert seq == [3, 5, 8, 3, 5, 8, 3]
    full = [AgentLoad(3), AgentLoad(5, open_tickets=1, capacity=1), AgentLoad(8)]
    assert pick_agent(full, strategy="round_robin", last_assignee=3) == 8


@given(
    st.lists(
        st.tuples(st.integers(0, 10), st.one_of(st.none(), st.integers(0, 10))),
        min_size=0,
        max_size=8,
    ),
    st.sampled_from(["least_loaded", "round_robin"]),
    st.one_of(st.none(), st.integers(0, 9)),
)
def test_never_beyond_capacity(loads, strategy, last) -> None:
    agents = [
        AgentLoad(i, open_tickets=n, capacity=c) for i, (n, c) in enumerate(loads)
    ]
    got = pick_agent(agents, strategy=strategy, last_assignee=last)
    room = [
        a.user_id for a in agents if a.capacity is None or a.open_tickets < a.capacity
    ]
    if not room:
        assert got is None
    else:
        assert got in room
        if strategy == "least_loaded":
            assert agents[got].open_tickets == min(agents[i].open_tickets for i in room)


def test_routing_config_yaml() -> None:
    cfg = RoutingConfig.from_yaml(
        "strategy: round_robin\ngroups: {Billing: least_loaded}\nskills: {billing: [finance]}\n"
    )
    assert cfg.strategy == "round_robin"
    assert cfg.groups == {"Billing": "least_loaded"}
    assert cfg.skills == {"billing": frozenset({"finance"})}
    with pytest.raises(ConfigError, match="unknown strategy 'random'"):
        RoutingConfig.from_yaml("strategy: random")
    with pytest.raises(ConfigError, match="unknown keys"):
        RoutingConfig.from_yaml("stratgy: round_robin")
    with pytest.raises(ConfigError):
        pick_agent([], strategy="fastest")  # type: ignore[arg-type]
