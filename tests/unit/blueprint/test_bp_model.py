"""The blueprint model: parsing, validation messages, standards, the compiled Petri net."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from servops.blueprint import load_blueprint, parse_blueprint, parse_standard
from servops.errors import ConfigError
from tests.unit.blueprint._logs import SEQ, seq

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "docs" / "examples" / "helpdesk-blueprint.yaml"
DEMO = ROOT / "src" / "servops" / "demo" / "blueprint.yaml"


def _places(net):
    """Each place as (producers, consumers): a name-free view of the net."""
    return sorted(
        (tuple(sorted(net.producers(p))), tuple(sorted(net.consumers(p))))
        for p in net.places
    )


def test_sequence_compiles_to_a_chain():
    net = seq().petri_net()
    assert net.transitions == ("a", "b", "c")
    assert _places(net) == [
        (("a",), ("b",)),
        (("b",), ("c",)),
        (("c",), ("end",)),
        (("start",), ("a",)),
    ]
    assert net.initial == ("source",) and net.final == ("sink",)
    assert net.notes == ()


def test_choice_shares_a_place_and_loop_feeds_back():
    bp = parse_blueprint("""
name: x
steps:
  - {id: a, name: A, lane: customer, activities: [A]}
  - {id: b, name: B, lane: frontstage, activities: [B]}
  - {id: c, name: C, lane: backstage, activities: [C]}
flow:
  - start -> a -> b | c
  - b -> a
  - c -> end
""")
    net = bp.petri_net()
    assert _places(net) == [
        (("a",), ("b", "c")),
        (("c",), ("end",)),
        (("start", "b"), ("a",)),
    ] or _places(net) == [
        (("a",), ("b", "c")),
        (("b", "start"), ("a",)),
        (("c",), ("end",)),
    ]
    assert bp.loop_steps() == {"a", "b"}
    assert net.notes == ()


def test_parallel_split_and_join():
    bp = parse_blueprint("""
name: x
steps:
  - {id: a, name: A, lane: customer, activities: [A]}
  - {id: b, name: B, lane: frontstage, activities: [B]}
  - {id: c, name: C, lane: backstage, activities: [C]}
  - {id: d, name: D, lane: support, activities: [D]}
flow: ["start -> a -> b & c", "b & c -> d -> end"]
""")
    net = bp.petri_net()
    assert len(net.outputs["a"]) == 2 and len(net.inputs["d"]) == 2
    assert _places(net) == [
        (("a",), ("b",)),
        (("a",), ("c",)),
        (("b",), ("d",)),
        (("c",), ("d",)),
        (("d",), ("end",)),
        (("start",), ("a",)),
    ]


def test_non_free_choice_flow_is_noted():
    bp = parse_blueprint("""
name: x
steps:
  - {id: a, name: A, lane: customer, activities: [A]}
  - {id: b, name: B, lane: frontstage, activities: [B]}
  - {id: c, name: C, lane: backstage, activities: [C]}
flow: ["start -> a -> b | c", "b -> c -> end"]
""")
    (note,) = bp.petri_net().notes
    assert "b -> b" in note


def test_implicit_start_end_and_default_sequence():
    bp = parse_blueprint("""
name: x
steps:
  - {name: Ask here, lane: customer, activities: [A]}
  - {id: b, name: B, lane: Front stage, activities: [B]}
""")
    assert bp.step_ids == ["ask_here", "b"]
    assert bp.edges() == [("start", "ask_here"), ("ask_here", "b"), ("b", "end")]
    assert bp.step("b").lane == "frontstage"


def test_examples_load_and_map_their_logs_activities():
    bp = load_blueprint(EXAMPLE)
    assert bp.step("take").moment_of_truth
    take, close = bp.step("take").standard, bp.step("close").standard
    assert take is not None and close is not None
    assert take.target == 0.9
    assert (close.reference, close.ref_step) == ("step", "resolve")
    assert bp.activity_map()["Take in charge ticket"] == "take"
    assert bp.order()[0] == "report"
    demo = load_blueprint(DEMO)
    assert set(demo.activity_map()) == {
        "Ticket created",
        "First response",
        "L1 work",
        "Escalated to L2",
        "L2 work",
        "Waiting for customer",
        "Customer replied",
        "Resolved",
        "Reopened",
        "Closed",
    }


@pytest.mark.parametrize(
    ("text", "seconds", "reference", "target"),
    [
        ("respond within 30 min", 1800, "case_start", None),
        ("Resolve within 8 h of case start in 90% of cases", 28800, "case_start", 0.9),
        ("within 2 hours after previous step", 7200, "previous", None),
        ("takes at most 15 min", 900, "duration", None),
        ("answer in under 20 s", 20, "case_start", None),
        ("within 1.5 days", 129600, "case_start", None),
        ("30分钟内响应", 1800, "case_start", None),
        ("2小时内解决，95%", 7200, "case_start", 0.95),
    ],
)
def test_standards_parse(text, seconds, reference, target):
    s = parse_standard(text)
    assert s.limit == timedelta(seconds=seconds)
    assert s.reference == reference
    assert s.target == target


def test_standard_from_a_step():
    s = parse_standard("within 1 h after Triage", steps=["triage"])
    assert (s.reference, s.ref_step) == ("step", "triage")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("respond quickly", "cannot read the service standard 'respond quickly'"),
        ("within 0 min", "must be positive"),
        ("within 1 h after lunch", "measures from 'lunch'"),
        ("within 1 h in 150% of cases", "target share"),
    ],
)
def test_bad_standards(text, match):
    with pytest.raises(ConfigError, match=match):
        parse_standard(text)


@pytest.mark.parametrize(
    ("yaml_text", "match"),
    [
        ("name: x\nsteps: []\n", r"'steps' must be a non-empty list"),
        (
            "steps:\n  - {id: a, name: A, lane: customer}\n",
            "missing required key 'name'",
        ),
        (
            "name: x\nsteps:\n  - {id: a, name: A, lane: kitchen}\n",
            r"steps\[0\]\.lane \(<string>, line 3\): unknown lane 'kitchen'",
        ),
        (
            "name: x\nsteps:\n  - {id: a, name: A, lane: customer, colour: red}\n",
            "unknown key 'colour'",
        ),
        (
            "name: x\nsteps:\n  - {id: a, name: A, lane: customer, activities: [A]}\n"
            "  - {id: a, name: B, lane: customer, activities: [B]}\n",
            r"line 4\): duplicate step id 'a'",
        ),
        (
            "name: x\nsteps:\n  - {id: a, name: A, lane: customer, activities: [A]}\n"
            "  - {id: b, name: B, lane: customer, activities: [A]}\n",
            "'A' is mapped to both 'a' and 'b'",
        ),
        (
            "name: x\nsteps:\n  - {id: a, name: A, lane: customer, activities: [A]}\n"
            "flow:\n  - start -> a -> z\n",
            r"flow\[0\] \(<string>, line 5\): unknown step 'z'",
        ),
        (
            "name: x\nsteps:\n  - {id: a, name: A, lane: customer, activities: [A]}\n"
            "flow:\n  - a\n",
            "a flow statement is text like",
        ),
        (
            "name: x\nsteps:\n  - {id: a, name: A, lane: customer, activities: [A]}\n"
            "  - {id: b, name: B, lane: customer}\n",
            "step 'b' is in the flow but maps no log activity",
        ),
        (
            "name: x\nsteps:\n  - {id: a, name: A, lane: customer, activities: [A]}\n"
            "  - {id: b, name: B, lane: customer, activities: [B]}\n"
            "flow: ['start -> a -> end']\n",
            "step 'b' maps log activities",
        ),
        (
            "name: x\nsteps:\n  - {id: a, name: A, lane: customer, activities: [A],\n"
            "     standard: soon}\n",
            r"steps\[0\]\.standard \(<string>, line 4\)",
        ),
        (
            "name: x\nsteps:\n  - {id: a, name: A, lane: customer, activities: [A],"
            " moment_of_truth: maybe}\n",
            "'moment_of_truth' must be true or false",
        ),
        (
            "name: x\nsteps:\n  - {id: a, name: A, lane: customer, activities: [A]}\n"
            "  - {id: b, name: B, lane: customer, activities: [B]}\n"
            "  - {id: c, name: C, lane: customer, activities: [C]}\n"
            "flow: ['start -> a -> b & c', 'a -> c', 'b -> end', 'c -> end']\n",
            "starts a parallel split",
        ),
        ("name: x\nsteps: [\n", "not valid YAML"),
        ("name: x\nsteps:\n  - {id: start, name: A, lane: customer}\n", "reserved"),
        (
            "name: x\nsteps:\n  - {id: a, name: A, lane: customer, activities: [A]}\n"
            "flow: ['a -> a']\n",
            "no case can finish",
        ),
    ],
)
def test_bad_blueprints_name_key_value_and_line(yaml_text, match):
    with pytest.raises(ConfigError, match=match):
        parse_blueprint(yaml_text)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="blueprint file not found"):
        load_blueprint(tmp_path / "nope.yaml")


def test_to_dict_round_trips_the_flow():
    d = seq().to_dict()
    assert d["flow"] == ["start -> a", "a -> b", "b -> c", "c -> end"]
    again = parse_blueprint(
        {
            **d,
            "lanes": None,
            "steps": [
                {
                    k: v
                    for k, v in s.items()
                    if k in ("id", "name", "lane", "activities")
                }
                for s in d["steps"]
            ],
        }
    )
    assert again.edges() == seq().edges()
    assert SEQ.strip().startswith("name")
