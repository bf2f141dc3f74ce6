"""Scorecards: hand-computed adjustment and shrinkage, funnel limits, simulation checks."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import betabinom, binom, norm, spearmanr

import servops as so
from servops.errors import InvalidParameterError, LogSchemaError
from servops.kpi import scorecard, sla_report
from servops.kpi.config import config_from_dict
from servops.kpi.scorecards import (
    funnel_limits,
    normal_between_variance,
    shrunken_rates,
)

CFG = config_from_dict(
    {
        "activities": {"resolved": "Resolved", "closed": "Closed"},
        "handovers": {"ignore_resources": ["system"]},
        "sla": [{"name": "all", "resolution": "1h"}],
    },
    source="test",
)
T0 = datetime(2024, 1, 8, 9, tzinfo=UTC)


def tickets(
    spec: list[tuple[str, str, bool]], extra: dict[str, list[str]] | None = None
):
    """A log: one ticket per (agent, priority, on_time); resolved after 30 min or 2 h."""
    cols: dict[str, list[object]] = {
        k: [] for k in ("case", "act", "ts", "res", "priority")
    }
    for extra_col in extra or {}:
        cols[extra_col] = []
    for i, (agent, prio, ok) in enumerate(spec):
        start = T0 + timedelta(hours=3 * i)
        done = start + timedelta(minutes=30 if ok else 120)
        for act, ts, res in (
            ("Ticket created", start, "system"),
            ("Resolved", done, agent),
            ("Closed", done + timedelta(minutes=5), "system"),
        ):
            cols["case"].append(f"t{i:04d}")
            cols["act"].append(act)
            cols["ts"].append(ts)
            cols["res"].append(res)
            cols["priority"].append(prio)
            for k, v in (extra or {}).items():
                cols[k].append(v[i])
    return so.read_log(
        pa.table(cols),
        columns=so.ColumnMap(
            case_id="case", activity="act", timestamp="ts", resource="res"
        ),
    )


# A: 4 P1 (2 on time); B: 2 P1 (0) + 4 P2 (4); C: 2 P2 (1)
HAND = (
    [("A", "P1", True)] * 2
    + [("A", "P1", False)] * 2
    + [("B", "P1", False)] * 2
    + [("B", "P2", True)] * 4
    + [("C", "P2", True), ("C", "P2", False)]
)


def rows_by_name(sc):
    return {r["name"]: r for r in sc.rows.to_pylist()}


def test_hand_computed_observed_expected():
    sc = scorecard(tickets(HAND), CFG, adjust=["priority"])
    r = rows_by_name(sc)
    # desk: P1 2/6 = 1/3, P2 5/6; overall 7/12
    p = 7 / 12
    assert sc.desk["on_time_rate"] == pytest.approx(p)
    assert (sc.desk["decided"], sc.desk["on_time"]) == (12, 7)
    # A: O = 2, E = 4 * 1/3
    assert r["A"]["oe_ratio"] == pytest.approx(1.5)
    assert r["A"]["expected_rate"] == pytest.approx(1 / 3)
    assert r["A"]["adjusted_rate"] == pytest.approx(p * 1.5)
    assert r["A"]["on_time_rate"] == pytest.approx(0.5)
    # B: O = 4, E = 2/3 + 4 * 5/6 = 4
    assert r["B"]["oe_ratio"] == pytest.approx(1.0)
    assert r["B"]["adjusted_rate"] == pytest.approx(p)
    # C: O = 1, E = 5/3
    assert r["C"]["oe_ratio"] == pytest.approx(0.6)
    assert r["C"]["adjusted_rate"] == pytest.approx(p * 0.6)
    # observed ranking B (4/6) > A (2/4) = C (1/2); adjusted puts A first
    assert (r["B"]["rank_observed"], r["A"]["rank_observed"]) == (1, 2)
    assert sc.adjust == ("priority",)
    assert "(unattributed)" not in r


def test_unadjusted_is_observed():
    sc = scorecard(tickets(HAND), CFG, adjust=())
    for row in sc.rows.to_pylist():
        assert row["adjusted_rate"] == pytest.approx(row["on_time_rate"])
        assert row["expected_rate"] == pytest.approx(7 / 12)


def test_desk_rate_is_sla_attainment(synth_log):
    cfg = config_from_dict(
        {
            "activities": {
                "first_response": "First response",
                "resolved": "Resolved",
                "closed": "Closed",
            },
            "handovers": {"ignore_resources": ["system", "customer"]},
            "sla": [{"name": "all", "first_response": "1h", "resolution": "8h"}],
        },
        source="test",
    )
    sc = scorecard(synth_log, cfg)
    assert sc.desk["on_time_rate"] == pytest.approx(
        sla_report(synth_log, cfg).attainment
    )
    # every case counted once: agents + unattributed
    assert sum(r["cases"] for r in sc.rows.to_pylist()) == synth_log.n_cases()


def test_shrinkage_formula_and_ml_strength():
    # agents with real differences: the ML strength is finite, shrinkage is partial
    spec = []
    for agent, na, ka in (
        ("A", 40, 38),
        ("B", 40, 20),
        ("C", 40, 30),
        ("D", 8, 8),
        ("E", 40, 35),
    ):
        spec += [(agent, "P1", True)] * ka + [(agent, "P1", False)] * (na - ka)
    sc = scorecard(tickets(spec), CFG, adjust=())
    m = sc.prior_tickets
    assert m is not None
    p = sc.desk["on_time_rate"]
    for r in sc.rows.to_pylist():
        w = r["decided"] / (r["decided"] + m)
        assert r["weight"] == pytest.approx(w)
        assert r["shrunken_rate"] == pytest.approx(w * r["on_time_rate"] + (1 - w) * p)
    # M maximises the beta-binomial likelihood (brute-force grid)
    k = np.array([38.0, 20, 30, 8, 35])
    n = np.array([40.0, 40, 40, 8, 40])
    grid = np.exp(np.linspace(math.log(0.1), math.log(1e4), 4000))
    ll = [float(np.sum(betabinom.logpmf(k, n, g * p, g * (1 - p)))) for g in grid]
    assert m == pytest.approx(grid[int(np.argmax(ll))], rel=0.01)
    # D (8/8) is first by observed rate, not by the shrunken one
    r = rows_by_name(sc)
    assert r["D"]["rank_observed"] == 1
    assert r["A"]["rank"] == 1
    assert r["D"]["rank"] > 1


def test_no_variation_pools_completely():
    spec = []
    for agent in "ABCD":
        spec += [(agent, "P1", True)] * 8 + [(agent, "P1", False)] * 2
    sc = scorecard(tickets(spec), CFG, adjust=())
    assert sc.prior_tickets is None
    assert all(r["shrunken_rate"] == pytest.approx(0.8) for r in sc.rows.to_pylist())
    assert any("no more than chance" in n for n in sc.notes)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 200), st.floats(0.0, 1.0), st.floats(0.2, 0.95)),
        min_size=3,
        max_size=12,
    )
)
def test_shrinkage_moves_toward_desk_more_for_fewer(groups):
    n = np.array([float(g[0]) for g in groups])
    k = np.floor(n * np.array([g[1] for g in groups]))
    e = n * np.array([g[2] for g in groups])
    p = 0.7
    rates, w, m = shrunken_rates(k, n, e, p)
    adjusted = p * k / e
    # between the adjusted rate and the desk rate
    assert np.all(np.abs(rates - p) <= np.abs(adjusted - p) + 1e-9)
    assert np.all((rates - p) * (adjusted - p) >= -1e-12)
    # fewer tickets, smaller weight on the agent's own rate (more shrinkage)
    order = np.argsort(n)
    assert np.all(np.diff(w[order]) >= -1e-12)
    if m is None:
        assert np.all(w == 0)
    else:
        assert np.allclose(w, n / (n + m))


@pytest.mark.parametrize("p", [0.05, 0.5, 0.85, 0.99])
def test_funnel_limits_are_binomial_quantiles(p):
    n = np.array([1, 2, 5, 17, 100, 1234])
    lim = funnel_limits(p, n)
    for level, q in ((0.95, 0.025), (0.998, 0.001)):
        lo, hi = lim[level]
        assert np.array_equal(lo, binom.ppf(q, n, p) / n)
        assert np.array_equal(hi, binom.ppf(1 - q, n, p) / n)
        assert np.all(lo <= hi)


def test_funnel_in_result_and_signals():
    # desk 70/160; E: 4/40 on time, far below the 99.8 % limit
    spec = []
    for agent, n, k in (("A", 40, 24), ("B", 40, 22), ("C", 40, 20), ("E", 40, 4)):
        spec += [(agent, "P1", True)] * k + [(agent, "P1", False)] * (n - k)
    sc = scorecard(tickets(spec), CFG, adjust=())
    f = sc.funnel.to_pydict()
    assert f["n"] == list(range(1, 41))
    p = sc.desk["on_time_rate"]
    assert f["upper_95"][39] == binom.ppf(0.975, 40, p) / 40
    r = rows_by_name(sc)
    assert r["E"]["signal"] == "low_998"
    assert r["B"]["signal"] == "within"
    assert r["A"]["signal"] == ("high_95" if binom.ppf(0.975, 40, p) < 24 else "within")


def test_ratings_hand_computed():
    spec = [("A", "P1", True)] * 2 + [("B", "P1", True)] * 3 + [("C", "P1", True)]
    log = tickets(spec)
    ratings = pa.table(
        {
            "case_id": ["t0000", "t0001", "t0002", "t0003", "t0004", "t0005", "zzz"],
            "score": [5.0, 3.0, 4.0, 4.0, 5.0, 2.0, 1.0],
        }
    )
    sc = scorecard(log, CFG, adjust=(), ratings=ratings)
    r = rows_by_name(sc)
    mu = 23 / 6
    assert sc.desk["rating_mean"] == pytest.approx(mu)
    assert sc.desk["ratings"] == 6
    # pooled within variance: SS 2 (A) + 2/3 (B) + 0 (C) over 6 - 3
    sigma2 = (2 + 2 / 3) / 3
    assert sc.desk["rating_sd"] == pytest.approx(math.sqrt(sigma2))
    assert r["A"]["rating_mean"] == pytest.approx(4.0)
    assert r["B"]["rating_mean"] == pytest.approx(13 / 3)
    d = np.array([4 - mu, 13 / 3 - mu, 2 - mu])
    m = np.array([2.0, 3, 1])
    tau2 = normal_between_variance(d, sigma2 / m)
    assert tau2 is not None
    grid = np.linspace(0, 10, 200001)[:, None]
    v = grid + sigma2 / m
    ll = -0.5 * np.sum(np.log(v) + d * d / v, axis=1)
    assert tau2 == pytest.approx(float(grid[int(np.argmax(ll)), 0]), abs=1e-3)
    for name, mi, di in zip("ABC", m, d, strict=True):
        b = tau2 / (tau2 + sigma2 / mi)
        assert r[name]["rating_shrunken"] == pytest.approx(mu + b * di)
    se = math.sqrt(sigma2)
    assert r["C"]["rating_signal"] == (
        "low_95" if mu - norm.ppf(0.975) * se > 2 else "within"
    )
    assert any("1 rating(s) name a case that is not in the log" in n for n in sc.notes)


def test_rating_column_and_teams():
    spec = [("A", "P1", True), ("B", "P2", False), ("C", "P1", True), ("D", "P2", True)]
    log = tickets(
        spec, {"group": ["L1", "L1", "L2", "L2"], "csat": ["5", "2", "4", "4"]}
    )
    sc = scorecard(log, CFG, by="team", rating_column="csat")
    r = rows_by_name(sc)
    assert sc.team_column == "group"
    assert set(r) == {"L1", "L2"}
    assert (r["L1"]["decided"], r["L1"]["on_time"]) == (2, 1)
    assert r["L2"]["rating_mean"] == pytest.approx(4.0)
    assert r["L1"]["rating_mean"] == pytest.approx(3.5)


def test_unattributed_cases_are_kept():
    log = tickets([("A", "P1", True), ("system", "P1", False), ("B", "P1", True)])
    sc = scorecard(log, CFG, adjust=())
    r = rows_by_name(sc)
    assert r["(unattributed)"]["cases"] == 1
    assert r["(unattributed)"]["rank"] is None
    assert sc.desk["decided"] == 3
    assert any("no agent" in n for n in sc.notes)


def test_bad_input():
    log = tickets(HAND)
    with pytest.raises(InvalidParameterError, match="Attributes of this log"):
        scorecard(log, CFG, adjust=["segment"])
    with pytest.raises(InvalidParameterError, match="team_column"):
        scorecard(log, CFG, by="team")
    with pytest.raises(InvalidParameterError, match="'by' parameter"):
        scorecard(log, CFG, by="desk")  # type: ignore[arg-type]
    with pytest.raises(LogSchemaError, match="Available columns"):
        scorecard(log, CFG, ratings=pa.table({"case_id": ["t0000"], "nps": [9]}))
    with pytest.raises(InvalidParameterError, match="funnel_limits"):
        funnel_limits(1.5, [3])


def _mix_log(rng: np.random.Generator, hard_share: np.ndarray, per_agent: int):
    spec = []
    for a, h in enumerate(hard_share):
        hard = rng.random(per_agent) < h
        ok = rng.random(per_agent) < np.where(hard, 0.4, 0.9)
        spec += [
            (f"A{a:02d}", "P1" if hh else "P3", bool(o))
            for hh, o in zip(hard, ok, strict=True)
        ]
    return tickets(spec)


@pytest.mark.slow
def test_identical_agents_random_mix_simulation():
    """Identical agents, different mixes: unadjusted ranks follow the mix, adjusted do not."""
    rng = np.random.default_rng(11)
    hard_share = np.linspace(0.05, 0.8, 10)
    raw, adj = [], []
    for _ in range(25):
        sc = scorecard(_mix_log(rng, hard_share, 60), CFG, adjust=["priority"])
        rows = sorted(sc.rows.to_pylist(), key=lambda r: r["name"])
        raw.append(spearmanr(hard_share, [r["on_time_rate"] for r in rows])[0])
        adj.append(spearmanr(hard_share, [r["adjusted_rate"] for r in rows])[0])
    # unadjusted: harder mix, lower rate, nearly perfectly
    assert np.mean(raw) < -0.8
    # adjusted: no better than chance; the mean of 25 correlations of 10 ranks has
    # standard error about 0.33 / 5 = 0.067
    assert abs(np.mean(adj)) < 0.2


def test_identical_agents_quick_simulation():
    rng = np.random.default_rng(5)
    hard_share = np.linspace(0.05, 0.8, 8)
    raw, adj = [], []
    for _ in range(6):
        sc = scorecard(_mix_log(rng, hard_share, 50), CFG, adjust=["priority"])
        rows = sorted(sc.rows.to_pylist(), key=lambda r: r["name"])
        raw.append(spearmanr(hard_share, [r["on_time_rate"] for r in rows])[0])
        adj.append(spearmanr(hard_share, [r["adjusted_rate"] for r in rows])[0])
    assert np.mean(raw) < -0.6
    assert abs(np.mean(adj)) < 0.35


def test_policy_on_an_attribute_the_log_lacks_matches_no_case():
    """A live service log has a custom attribute only once a ticket has it."""
    cfg = config_from_dict(
        {
            "activities": {"resolved": "Resolved", "closed": "Closed"},
            "sla": [
                {"name": "vip", "when": {"segment": "VIP"}, "resolution": "10m"},
                {"name": "all", "resolution": "1h"},
            ],
        },
        source="test",
    )
    log = tickets([("A", "P1", True), ("B", "P1", False)])
    table = so.kpi.case_metrics(log, cfg)
    assert set(table.column("sla_policy").to_pylist()) == {"all"}
    assert sla_report(log, cfg).total["met"] == 1
