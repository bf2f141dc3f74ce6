"""Conformance: known deviations on tiny logs, hand-computed fitness, PM4Py parity."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servops.blueprint import (
    check_conformance,
    load_blueprint,
    parse_blueprint,
    token_replay,
)
from tests.paths import shared_log
from tests.unit.blueprint._logs import SEQ, make_log, seq
from tests.unit.blueprint.test_bp_model import EXAMPLE

KNOWN = {
    "c1": ["A", "B", "C"],  # fits
    "c2": ["A", "C"],  # skipped b
    "c3": ["B", "A", "C"],  # wrong order: b before a
    "c4": ["A", "B", "B", "C"],  # rework b
    "c5": ["A", "X", "B", "C"],  # unexpected X
    "c6": ["A", "B"],  # skipped c
}


def test_tiny_log_gives_exactly_the_known_deviations():
    r = check_conformance(make_log(KNOWN), seq())
    got = {(d.kind, d.step): d.cases for d in r.deviations}
    assert got == {
        ("skipped", "b"): 1,
        ("wrong_order", "b"): 1,
        ("rework", "b"): 1,
        ("unexpected", "X"): 1,
        ("skipped", "c"): 1,
    }
    # hand count: p = c = 23 tokens, m = r = 4 (see the comments above)
    assert (r.tokens.produced, r.tokens.consumed) == (23, 23)
    assert (r.tokens.missing, r.tokens.remaining) == (4, 4)
    assert r.fitness == pytest.approx(1 - 4 / 23)
    assert (r.cases, r.fitting_cases, r.variants) == (6, 2, 6)


def test_a_fitting_log_has_fitness_one_and_no_deviations():
    r = check_conformance(make_log({"x": ["A", "B", "C"], "y": ["A", "B", "C"]}), seq())
    assert r.fitness == 1.0 and r.deviations == () and r.variants == 1


def test_designed_loops_are_not_rework_but_other_repeats_are():
    bp = parse_blueprint("""
name: loop
steps:
  - {id: a, name: A, lane: customer, activities: [A]}
  - {id: b, name: B, lane: frontstage, activities: [B]}
  - {id: c, name: C, lane: backstage, activities: [C]}
flow: ["start -> a -> b -> c | a", "c -> end"]
""")
    r = check_conformance(
        make_log({"1": ["A", "B", "A", "B", "C"], "2": ["A", "B", "C", "C"]}), bp
    )
    assert {(d.kind, d.step, d.cases) for d in r.deviations} == {("rework", "c", 1)}
    assert r.steps[0].repeat_cases == 1


def test_skips_inside_a_choice_name_the_exit_step():
    bp = load_blueprint(EXAMPLE)
    log = make_log(
        {
            "1": ["Assign seriousness", "Take in charge ticket", "Closed"],
            "2": ["Take in charge ticket", "Resolve ticket", "Closed"],
        }
    )
    got = {(d.kind, d.step) for d in check_conformance(log, bp).deviations}
    assert got == {("skipped", "resolve"), ("skipped", "assign")}


def test_standard_attainment_per_step():
    bp = parse_blueprint(
        SEQ.replace(
            "activities: [C]}", "activities: [C], standard: within 2 h of case start}"
        ).replace(
            "activities: [B]}",
            "activities: [B], standard: within 30 min after previous step}",
        )
    )
    r = check_conformance(make_log(KNOWN), bp)
    steps = {s.step: s for s in r.steps}
    # C completes 2 h, 1 h, 2 h, 3 h, 3 h after case start; c6 has no C
    assert (steps["c"].measured, steps["c"].met) == (5, 3)
    assert steps["c"].standard_attainment == pytest.approx(0.6)
    # B comes 1 h after the event before it, except in c3 where it opens the case
    assert (steps["b"].measured, steps["b"].met) == (5, 1)
    assert steps["a"].standard_attainment is None
    assert r.to_dict()["steps"][2]["standard_attainment"] == pytest.approx(0.6)


def test_json_shape():
    d = check_conformance(make_log(KNOWN), seq()).to_dict()
    assert {"fitness", "cases", "deviations", "steps"} <= set(d)
    assert {"kind", "step", "cases"} <= set(d["deviations"][0])
    assert {"step", "cases", "standard_attainment"} <= set(d["steps"][0])


traces = st.lists(st.lists(st.sampled_from("abcx"), max_size=6), min_size=1, max_size=8)


@settings(max_examples=60, deadline=None)
@given(traces)
def test_replaying_variants_equals_replaying_cases(ts):
    net = seq().petri_net()
    each = [token_replay(net, [(t, 1)])[0] for t in ts]
    grouped: dict[tuple[str, ...], int] = {}
    for t in ts:
        grouped[tuple(t)] = grouped.get(tuple(t), 0) + 1
    total, _ = token_replay(net, list(grouped.items()))
    assert total.missing == sum(e.missing for e in each)
    assert total.remaining == sum(e.remaining for e in each)
    assert total.produced == sum(e.produced for e in each)
    assert 0.0 <= total.fitness <= 1.0
    assert (total.fitness == 1.0) == all(e.missing == e.remaining == 0 for e in each)


# -- PM4Py parity (test extra) -----------------------------------------------------------
def _pm4py_fitness(net, variants) -> float:
    pm4py = pytest.importorskip("pm4py")
    import pandas as pd
    from pm4py.objects.petri_net.obj import Marking, PetriNet
    from pm4py.objects.petri_net.utils import petri_utils

    pn = PetriNet("bp")
    places = {p: PetriNet.Place(p) for p in net.places}
    for p in places.values():
        pn.places.add(p)
    for t in net.transitions:
        tr = PetriNet.Transition(t, t)
        pn.transitions.add(tr)
        for p in net.inputs[t]:
            petri_utils.add_arc_from_to(places[p], tr, pn)
        for p in net.outputs[t]:
            petri_utils.add_arc_from_to(tr, places[p], pn)
    im = Marking({places[p]: 1 for p in net.initial})
    fm = Marking({places[p]: 1 for p in net.final})
    rows = []
    k = 0
    for trace, n in variants:
        for _ in range(n):
            k += 1
            rows += [
                {
                    "case:concept:name": f"c{k}",
                    "concept:name": a,
                    "time:timestamp": pd.Timestamp("2024-01-01", tz="UTC")
                    + pd.Timedelta(minutes=i),
                }
                for i, a in enumerate(trace)
            ]
    df = pd.DataFrame(rows)
    return float(
        pm4py.fitness_token_based_replay(
            df,
            pn,
            im,
            fm,
            activity_key="concept:name",
            case_id_key="case:concept:name",
            timestamp_key="time:timestamp",
        )["log_fitness"]
    )


def test_tiny_log_fitness_equals_pm4py():
    bp = seq()
    variants = [([bp.activity_map().get(a, a) for a in t], 1) for t in KNOWN.values()]
    ours, _ = token_replay(bp.petri_net(), variants)
    assert ours.fitness == pytest.approx(
        _pm4py_fitness(bp.petri_net(), variants), abs=1e-12
    )


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(["a", "b", "c", "d", "x"]), min_size=1, max_size=7),
        min_size=1,
        max_size=5,
    )
)
def test_random_traces_on_a_choice_loop_net_equal_pm4py(ts):
    bp = parse_blueprint("""
name: net
steps:
  - {id: a, name: A, lane: customer, activities: [A]}
  - {id: b, name: B, lane: frontstage, activities: [B]}
  - {id: c, name: C, lane: backstage, activities: [C]}
  - {id: d, name: D, lane: support, activities: [D]}
flow: ["start -> a -> b & c", "b & c -> d", "d -> a | end"]
""")
    net = bp.petri_net()
    variants = [(t, 1) for t in ts]
    ours, _ = token_replay(net, variants)
    assert math.isclose(ours.fitness, _pm4py_fitness(net, variants), abs_tol=1e-12)


def test_helpdesk_fitness_equals_pm4py_token_replay():
    """The issue's check: the helpdesk blueprint's fitness equals PM4Py's."""
    import servops as so

    pm4py = pytest.importorskip("pm4py")
    log = so.read_log(shared_log("helpdesk.xes.gz"))
    bp = load_blueprint(EXAMPLE)
    ours = check_conformance(log, bp)
    net = bp.petri_net()
    from pm4py.objects.petri_net.obj import Marking, PetriNet
    from pm4py.objects.petri_net.utils import petri_utils

    pn = PetriNet("helpdesk")
    places = {p: PetriNet.Place(p) for p in net.places}
    for p in places.values():
        pn.places.add(p)
    for t in net.transitions:
        tr = PetriNet.Transition(t, t)
        pn.transitions.add(tr)
        for p in net.inputs[t]:
            petri_utils.add_arc_from_to(places[p], tr, pn)
        for p in net.outputs[t]:
            petri_utils.add_arc_from_to(tr, places[p], pn)
    df = log.to_pandas()
    amap = bp.activity_map()
    df["concept:name"] = df["activity"].map(lambda a: amap.get(a, a))
    df = pm4py.format_dataframe(
        df, case_id="case_id", activity_key="concept:name", timestamp_key="timestamp"
    )
    theirs = pm4py.fitness_token_based_replay(
        df, pn, Marking({places["source"]: 1}), Marking({places["sink"]: 1})
    )
    assert ours.cases == 4580
    assert ours.fitness == pytest.approx(theirs["log_fitness"], abs=1e-12)
    assert 100 * ours.fitting_cases / ours.cases == pytest.approx(
        theirs["perc_fit_traces"]
    )
    assert ours.fitness == pytest.approx(0.96107253, abs=1e-8)
