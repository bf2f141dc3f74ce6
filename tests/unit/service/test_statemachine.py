"""The ticket state machine: YAML parsing with line numbers, transitions, KPI roles."""

from __future__ import annotations

import pytest

from servops.errors import ConfigError, ConflictError
from servops.kpi.config import ROLES
from servops.service.statemachine import (
    DEFAULT_STATE_MACHINE,
    default_state_machine,
    load_state_machine,
    parse_state_machine,
)

SMALL = """\
initial: new
states:
  new: {category: new}
  working: {category: open, activity: Working}
  waiting: {category: pending}
  done: {category: resolved, activity: Done}
  closed: closed
transitions:
  new: [working, done]
  working: [waiting, done]
  waiting: [working]
  done: [working, closed]
"""


def test_the_default_machine_loads_and_every_state_is_reachable():
    sm = default_state_machine()
    assert sm.initial == "new"
    reached, todo = {sm.initial}, [sm.initial]
    while todo:
        for t in sm.allowed(todo.pop()):
            if t not in reached:
                reached.add(t)
                todo.append(t)
    assert reached == {s.name for s in sm.states}


def test_transitions_and_their_activities():
    sm = parse_state_machine(SMALL, source="small.yaml")
    assert sm.check("new", "working") == "Working"
    assert sm.check("working", "done") == "Done"
    assert sm.check("done", "working") == "Reopened"  # resolved -> open reopens
    assert sm.check("done", "closed") == "Closed"  # default activity from the name
    with pytest.raises(
        ConflictError, match=r"cannot move to 'closed'; allowed: \['working', 'done'\]"
    ):
        sm.check("new", "closed")
    with pytest.raises(ConflictError, match="no ticket state 'nope'"):
        sm.check("new", "nope")


def test_the_kpi_config_uses_the_kpi_role_names():
    sm = parse_state_machine(SMALL)
    cfg = sm.kpi_config()
    assert cfg.resolved == ("Done",)
    assert cfg.closed == ("Closed",)
    assert cfg.reopened == ("Reopened",)
    assert cfg.first_response == ("Agent replied",)
    assert cfg.customer == ("Customer replied",)
    assert [p.start for p in cfg.pauses] == [("Waiting",)]
    assert {"first_response", "customer", "reopened"} <= set(ROLES)


def test_field_activities():
    sm = default_state_machine()
    assert sm.field_activity("priority") == "Priority changed"
    assert sm.field_activity("group_id") == "Group changed"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (
            SMALL.replace("category: pending", "category: paused"),
            r"line 5: states\.waiting\.category: 'paused' is not a category",
        ),
        (
            SMALL.replace("waiting: [working]", "waiting: [workng]"),
            r"line 11: transitions\.waiting\.0: unknown state 'workng'",
        ),
        (
            SMALL.replace("initial: new", "initial: nw"),
            r"line 1: initial: 'nw' is not a state",
        ),
        (
            SMALL + "activities: {resolved: Fixed}\n",
            r"line 13: activities\.resolved: unknown key.*states of those categories",
        ),
        (SMALL + "colour: blue\n", r"line 13: colour: unknown key"),
        (SMALL.replace("  closed: closed\n", ""), r"no state of category \['closed'\]"),
        ("states: [a, b\n", r"line 2: not valid YAML"),
    ],
)
def test_errors_name_the_file_and_line(text, match):
    with pytest.raises(ConfigError, match=match):
        parse_state_machine(text, source="sm.yaml")


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_state_machine(tmp_path / "nope.yaml")
    assert (
        load_state_machine(DEFAULT_STATE_MACHINE).states
        == default_state_machine().states
    )


def test_the_default_machine_is_parsed_once():
    assert default_state_machine() is default_state_machine()
