"""DFG and variants: hand-computed examples, invariants and bad input."""

from __future__ import annotations

import itertools

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import servops as so
from servops.errors import InvalidParameterError
from tests.unit.mining.conftest import make_log


def test_dfg_tiny_by_hand(tiny_log):
    dfg = so.mining.discover_dfg(tiny_log)
    assert dfg.frequencies() == {
        ("Register", "Triage"): 4,
        ("Triage", "Resolve"): 2,
        ("Resolve", "Close"): 4,
        ("Triage", "Escalate"): 1,
        ("Escalate", "Resolve"): 1,
        ("Register", "Resolve"): 1,
    }
    assert dfg.start_activities == {"Register": 5}
    assert dfg.end_activities == {"Close": 4, "Triage": 1}
    nodes = {n.activity: (n.frequency, n.cases) for n in dfg.nodes}
    assert nodes["Register"] == (5, 5)
    assert nodes["Escalate"] == (1, 1)
    rc = next(e for e in dfg.edges if (e.source, e.target) == ("Resolve", "Close"))
    # c1 60m, c2 60m, c3 20m, c4 30m
    assert rc.mean_s == pytest.approx((3600 + 3600 + 1200 + 1800) / 4)
    assert rc.median_s == pytest.approx(2700.0)
    assert rc.min_s == 1200.0
    assert rc.max_s == 3600.0
    assert rc.p90_s == pytest.approx(3600.0)
    assert rc.cases == 4


def test_dfg_json_shape(tiny_log):
    d = so.mining.discover_dfg(tiny_log).to_dict()
    assert set(d) == {"nodes", "edges", "start_activities", "end_activities"}
    assert set(d["nodes"][0]) == {"activity", "frequency"}
    assert set(d["edges"][0]) == {
        "source",
        "target",
        "frequency",
        "mean_s",
        "median_s",
        "min_s",
        "max_s",
        "p90_s",
    }


def test_dfg_with_start_times_uses_waiting(interval_log):
    dfg = so.mining.discover_dfg(interval_log)
    e = {(x.source, x.target): x for x in dfg.edges}
    # A: a ends 09:10, b starts 09:30 -> 20 min; B: a ends 09:00, b starts 09:00 -> 0
    assert e[("a", "b")].frequency == 2
    assert e[("a", "b")].mean_s == pytest.approx(600.0)
    # b ends 10:00 after c started 09:40: overlap -> 0
    assert e[("b", "c")].mean_s == 0.0
    assert e[("c", "d")].mean_s == 2400.0


def test_equal_timestamps_keep_file_order():
    log = make_log(
        [
            ("1", "x", "2024-01-01 10:00"),
            ("1", "y", "2024-01-01 10:00"),
            ("2", "y", "2024-01-01 10:00"),
            ("2", "x", "2024-01-01 10:00"),
        ]
    )
    assert so.mining.discover_dfg(log).frequencies() == {("x", "y"): 1, ("y", "x"): 1}
    assert so.mining.variants(log).counts() == {("x", "y"): 1, ("y", "x"): 1}


def test_variants_tiny(tiny_log):
    v = so.mining.variants(tiny_log)
    assert len(v) == 4
    assert v.variants[0].activities == ("Register", "Triage", "Resolve", "Close")
    assert v.variants[0].cases == 2
    assert v.variants[0].share == pytest.approx(0.4)
    assert v.variants[0].mean_duration_s == 5400.0  # c1 2 h, c3 1 h
    assert v.variants[0].median_duration_s == 5400.0
    assert [x.cases for x in v.top(2)] == [2, 1]
    assert sum(x.cases for x in v.coverage(1.0)) == 5
    assert len(v.coverage(0.4)) == 1
    assert set(v.variants[0].to_dict()) == {
        "activities",
        "cases",
        "share",
        "mean_duration_s",
        "median_duration_s",
    }
    assert len(so.mining.variants(tiny_log, top=2)) == 2


def test_variants_bad_input(tiny_log):
    with pytest.raises(InvalidParameterError, match="'top' parameter of variants"):
        so.mining.variants(tiny_log, top=0)
    with pytest.raises(InvalidParameterError, match="'share' parameter"):
        so.mining.variants(tiny_log).coverage(1.5)


_acts = st.sampled_from(["a", "b", "c"])


@st.composite
def _logs(draw):
    n_cases = draw(st.integers(1, 6))
    rows = []
    for c in range(n_cases):
        n = draw(st.integers(1, 5))
        for i in range(n):
            minute = draw(st.integers(0, 30))
            rows.append((f"c{c}", draw(_acts), f"2024-01-01 10:{minute:02d}", i))
    return rows


@settings(max_examples=25, deadline=None)
@given(_logs(), st.randoms())
def test_invariants_and_shuffle(rows, rnd):
    # file order breaks timestamp ties, so keep it: shuffle rows but carry the index
    def build(rs):
        t = pa.table(
            {
                "case": [r[0] for r in rs],
                "act": [r[1] for r in rs],
                "end": [r[2] for r in rs],
            }
        )
        return so.read_log(t, columns=so.ColumnMap("case", "act", "end"))

    log = build(rows)
    dfg = so.mining.discover_dfg(log)
    v = so.mining.variants(log)
    n_cases = len({r[0] for r in rows})
    assert sum(x.cases for x in v.variants) == n_cases
    assert sum(dfg.start_activities.values()) == n_cases
    assert sum(dfg.end_activities.values()) == n_cases
    assert sum(dfg.frequencies().values()) == len(rows) - n_cases
    # a pure-Python reference
    by_case: dict[str, list[tuple[str, int, str]]] = {}
    for i, r in enumerate(rows):
        by_case.setdefault(r[0], []).append((r[2], i, r[1]))
    ref: dict[tuple[str, str], int] = {}
    for seq in by_case.values():
        acts = [a for _, _, a in sorted(seq)]
        for x, y in itertools.pairwise(acts):
            ref[(x, y)] = ref.get((x, y), 0) + 1
    assert dfg.frequencies() == ref
    # cases per edge and per activity
    ref_cases: dict[tuple[str, str], int] = {}
    ref_nodes: dict[str, int] = {}
    for seq in by_case.values():
        acts = [a for _, _, a in sorted(seq)]
        for pair in set(itertools.pairwise(acts)):
            ref_cases[pair] = ref_cases.get(pair, 0) + 1
        for a in set(acts):
            ref_nodes[a] = ref_nodes.get(a, 0) + 1
    assert {(e.source, e.target): e.cases for e in dfg.edges} == ref_cases
    assert {n.activity: n.cases for n in dfg.nodes} == ref_nodes
    # shuffling whole cases (keeping each case's internal order) changes nothing
    cases = list(by_case)
    rnd.shuffle(cases)
    shuffled = [r for c in cases for r in rows if r[0] == c]
    assert so.mining.discover_dfg(build(shuffled)).frequencies() == ref


def test_variants_with_awkward_names_and_ties():
    # names with quotes, separators and non-ASCII survive the one-character encoding;
    # ties in case count are ordered by the activity sequence
    t = "2024-01-01 0{}:00"
    log = make_log(
        [
            ("1", "it's", t.format(1)),
            ("1", "b\x1fc", t.format(2)),
            ("2", "Ärger", t.format(1)),
            ("3", "it's", t.format(1)),
            ("3", "b\x1fc", t.format(2)),
            ("4", "Ärger", t.format(1)),
            ("5", "a", t.format(1)),
        ]
    )
    v = so.mining.variants(log)
    assert [(x.activities, x.cases) for x in v.variants] == [
        (("it's", "b\x1fc"), 2),
        (("Ärger",), 2),
        (("a",), 1),
    ]


@pytest.mark.parametrize(
    "name",
    [
        "sepsis.csv.gz",
        "interval_event_log.csv.gz",  # start and end times: ordered by start, then end
        "repair_example.xes.gz",  # start/complete pairs
    ],
)
def test_case_counts_match_sql_on_real_logs(name):
    from tests.paths import shared_log

    log = so.read_log(shared_log(name))
    dfg = so.mining.discover_dfg(log)
    order = 'coalesce(start_timestamp, "timestamp"), "timestamp", event_index'
    edge_cases = log.fetchall(
        f"""
        WITH s AS (SELECT case_id, activity,
          lead(activity) OVER (PARTITION BY case_id ORDER BY {order}) AS nxt
          FROM instances)
        SELECT activity, nxt, count(DISTINCT case_id) FROM s
        WHERE nxt IS NOT NULL GROUP BY ALL
        """
    )
    assert {(e.source, e.target): e.cases for e in dfg.edges} == {
        (a, b): n for a, b, n in edge_cases
    }
    node_cases = log.fetchall(
        "SELECT activity, count(DISTINCT case_id), count(*) FROM instances GROUP BY 1"
    )
    assert {n.activity: (n.cases, n.frequency) for n in dfg.nodes} == {
        a: (c, f) for a, c, f in node_cases
    }
    assert dfg.n_cases == so.mining.variants(log).n_cases == log.n_cases()


def test_variants_of_an_empty_log():
    from tests.unit.mining.conftest import make_log

    log = make_log([("1", "a", "2024-01-01 09:00")]).where("activity = 'none'")
    assert len(so.mining.variants(log)) == 0
    assert so.mining.discover_dfg(log).edges == ()
