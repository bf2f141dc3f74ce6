"""The demo's planted improvement, and before/after checked on the demo's twin.

The generator plants a change whose true effect is known by construction (the Access
reopen chance falls by REOPEN_CUT); the twin discovered from the demo desk is used for
simulation studies of the before/after comparison: with no change (A/A) its
false-positive rate on the reopen rate stays within the binomial interval of alpha, and
a planted change of the planned size is found with about the planned power.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats

import servops as so
from servops.demo.generator import REOPEN_CUT, generate_service_desk
from servops.errors import InvalidParameterError
from servops.improve import before_after, sample_size_proportions
from servops.kpi import load_config
from servops.sim.discover import discover_model
from servops.sim.run import simulate
from servops.sim.scenario import apply_scenario

KPI = Path(so.__file__).parent / "demo" / "kpi.yaml"
ALPHA = 0.05


def _first_reopen(data, *, after: datetime | None) -> tuple[int, int]:
    """Access cases created after (or before) ``after`` that were resolved / reopened."""
    t = data.events.to_pylist()
    created = {
        r["case_id"]: r["timestamp"] for r in t if r["activity"] == "Ticket created"
    }
    access = {r["case_id"] for r in t if r["category"] == "Access"}
    resolved = {r["case_id"] for r in t if r["activity"] == "Resolved"}
    reopened = {r["case_id"] for r in t if r["activity"] == "Reopened"}
    keep = {c for c in access & resolved if after is None or created[c] >= after}
    return len(keep & reopened), len(keep)


def test_default_log_is_unchanged_and_midway_is_a_working_morning():
    plain = generate_service_desk(cases=400, seed=3)
    assert plain.improved_at is None
    planted = generate_service_desk(cases=400, seed=3, improve_at="midway")
    at = planted.improved_at
    assert at is not None
    assert (at.hour, at.minute, at.weekday() < 5) == (8, 0, True)
    arrivals = sorted(
        r["timestamp"]
        for r in plain.events.to_pylist()
        if r["activity"] == "Ticket created"
    )
    middle = arrivals[len(arrivals) // 2]
    assert middle < at <= middle + timedelta(days=4)
    # a change after the last arrival changes nothing
    late = generate_service_desk(
        cases=400, seed=3, improve_at=arrivals[-1] + timedelta(seconds=1)
    )
    assert late.events.equals(plain.events)
    assert late.feedback.equals(plain.feedback)


def test_midway_in_a_log_shorter_than_a_day_is_the_middle_ticket():
    data = generate_service_desk(cases=20, seed=3, improve_at="midway")
    arrivals = sorted(
        r["timestamp"]
        for r in data.events.to_pylist()
        if r["activity"] == "Ticket created"
    )
    assert data.improved_at == arrivals[len(arrivals) // 2]


def test_the_planted_cut_is_the_true_effect():
    # same seed with and without the change: among Access tickets created after it,
    # the reopen rate falls by REOPEN_CUT (within 3.5 standard errors)
    with_cut = generate_service_desk(cases=2500, seed=5, improve_at="midway")
    at = with_cut.improved_at
    without = generate_service_desk(cases=2500, seed=5, improve_at=None)
    k1, n1 = _first_reopen(with_cut, after=at)
    k0, n0 = _first_reopen(without, after=at)
    diff = k1 / n1 - k0 / n0
    se = math.sqrt(k1 / n1 * (1 - k1 / n1) / n1 + k0 / n0 * (1 - k0 / n0) / n0)
    assert abs(diff + REOPEN_CUT) < 3.5 * se


def test_bad_improve_at():
    with pytest.raises(InvalidParameterError, match="'improve_at' parameter"):
        generate_service_desk(cases=20, improve_at=datetime(2026, 9, 20))


@pytest.fixture(scope="module")
def twin():
    """The twin of the demo desk (no planted change) and the demo's KPI config."""
    log = so.read_log(generate_service_desk(cases=1500, seed=11).events)
    return discover_model(log, calendars=True), load_config(KPI, log)


def _upper(n: int, p: float = ALPHA, level: float = 0.99) -> int:
    """The most false positives out of ``n`` that the binomial interval allows."""
    return int(stats.binom.ppf(1 - (1 - level) / 2, n, p))


def _aa_false_positives(model, cfg, runs: int, cases: int) -> int:
    hits = 0
    for s in range(runs):
        run = simulate(model, cases=cases, seed=1000 + s)
        starts = sorted(
            r[0]
            for r in run.log.fetchall(
                'SELECT min("timestamp") FROM events GROUP BY case_id'
            )
        )
        ba = before_after(
            run.log, starts[len(starts) // 2], "reopened", config=cfg, mix=[], seed=s
        )
        hits += int(ba.effects["rate"].excludes(0.0))
    return hits


def test_aa_on_the_twin_quick(twin):
    model, cfg = twin
    runs = 12
    assert _aa_false_positives(model, cfg, runs, 400) <= _upper(runs)


@pytest.mark.slow
def test_aa_on_the_twin_holds_alpha(twin):
    model, cfg = twin
    runs = 300
    hits = _aa_false_positives(model, cfg, runs, 600)
    lo = int(stats.binom.ppf(0.005, runs, ALPHA))
    assert lo <= hits <= _upper(runs)


def _first_visit_reopen(model) -> float:
    after_resolved = model.routing.by_visit.get("Resolved", {}).get(1)
    return float((after_resolved or model.routing.successors("Resolved"))["Reopened"])


def _before_after_log(
    model, changed, n: int, seed: int
) -> tuple[so.EventLog, datetime]:
    """``n`` cases of ``model`` then ``n`` of ``changed``, as one log; the change time."""
    before = simulate(model, cases=n, seed=seed)
    end = before.log.fetchone('SELECT max("timestamp") FROM events')[0]
    at = end + timedelta(hours=1)
    after = simulate(replace(changed, start=at), cases=n, seed=seed + 1)
    tables = []
    for tag, run in (("b", before), ("a", after)):
        t = run.log.to_arrow("events")
        ids = pa.array([f"{tag}-{c}" for c in t.column("case_id").to_pylist()])
        tables.append(t.set_column(t.schema.get_field_index("case_id"), "case_id", ids))
    return so.read_log(pa.concat_tables(tables, promote_options="default")), at


@pytest.mark.slow
def test_a_planted_change_is_found_with_the_planned_power(twin):
    model, cfg = twin
    p_before = _first_visit_reopen(model)
    p_after = p_before - 0.05
    plan = sample_size_proportions(p_before, p_after, alpha=ALPHA, power=0.8)
    changed = apply_scenario(
        model,
        {"edits": [{"routing": {"from": "Resolved", "to": "Reopened", "p": p_after}}]},
    )
    runs = 100
    found = 0
    for s in range(runs):
        log, at = _before_after_log(model, changed, plan.n_control, 2000 + 2 * s)
        ba = before_after(log, at, "reopened", config=cfg, mix=[], seed=s)
        iv = ba.effects["rate"]
        found += int(iv.high < 0)
    lo, hi = stats.binom.interval(0.99, runs, 0.8)
    assert lo <= found <= hi, (found, runs, plan.n_control)


def test_planned_power_check_is_meaningful(twin):
    # the sizes the power study plans with are the twin's own rates
    model, _ = twin
    p = _first_visit_reopen(model)
    assert 0.08 < p < 0.2
    assert np.isfinite(sample_size_proportions(p, p - 0.05).n_control)
