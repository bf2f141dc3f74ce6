"""SPC phase comparison: limits before/after a change, sustained shift, on a log too."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servops.errors import InvalidParameterError
from servops.improve.phases import metric_phases, phase_comparison
from servops.spc import ControlChart
from tests.unit.improve.synth import tickets

CHANGE = datetime(2026, 4, 1, tzinfo=UTC)  # synth START + 30 days


def test_hand_made_series_with_a_planted_shift():
    # before: 5, 6 alternating -> mean 5.5, MR-bar 1, sigma 1/d2(2) = 0.8865
    x = [5.0, 6, 5, 6, 5, 6, 3, 2, 3, 2, 3, 2, 3, 2, 3]
    r = phase_comparison(x, 6)
    assert r.before_center == pytest.approx(5.5)
    assert r.before_sigma == pytest.approx(1 / 1.128, rel=1e-3)
    lcl, center, ucl = (float(r.before.primary.lcl[0]), 5.5, 8.16)
    assert lcl == pytest.approx(5.5 - 3 / 1.128, rel=1e-3)
    assert float(r.before.primary.ucl[0]) == pytest.approx(ucl, abs=0.01)
    assert center == r.before_center
    assert r.after_center == pytest.approx(23 / 9)
    assert r.shift == pytest.approx(23 / 9 - 5.5)
    assert r.shift_sigma == pytest.approx((23 / 9 - 5.5) * 1.128, rel=1e-3)
    # nine after points below the before centre: the ninth (index 14) signals
    assert r.sustained_shift and r.shift_at == 14
    # the 2s are below the before LCL (2.84)
    assert r.beyond_limits == (7, 9, 11, 13)
    assert "A sustained shift: 9 points in a row" in r.summary
    # the after phase's own limits are ControlChart's on the after points
    own = ControlChart("imr").fit(x[6:])
    assert own.limits_["individuals"] == pytest.approx(
        (float(r.after.primary.lcl[0]), r.after_center, float(r.after.primary.ucl[0]))
    )
    # the drawing part steps from the before to the after limits at the change
    assert r.chart.center[5] == pytest.approx(5.5)
    assert r.chart.center[6] == pytest.approx(23 / 9)
    assert {s.index for s in r.chart.signals if s.test == 2} == {14}


def test_no_shift_no_signal():
    rng = np.random.default_rng(3)
    x = rng.normal(10, 1, 40)
    r = phase_comparison(x, 20, run_length=9)
    # no run of 9 on one side in this series (checked by hand from the signs)
    signs = np.sign(x[20:] - r.before_center)
    runs = max(
        len(s)
        for s in "".join("+" if v > 0 else "-" for v in signs)
        .replace("+-", "+ -")
        .replace("-+", "- +")
        .split()
    )
    assert (runs >= 9) == r.sustained_shift


def test_p_chart_phases_use_pooled_shares():
    counts = [10, 12, 8, 10, 4, 5, 3, 4, 4, 5, 3, 4, 4, 5]
    sizes = [100] * 14
    r = phase_comparison(counts, 4, kind="p", sizes=sizes)
    assert r.before_center == pytest.approx(40 / 400)
    assert r.after_center == pytest.approx(41 / 1000)
    assert r.shift_at == 4 + 8  # ninth after point below 0.10
    assert "points" in r.summary


def test_bad_change_index():
    with pytest.raises(InvalidParameterError, match="at least 2 points"):
        phase_comparison([1.0, 2.0, 3.0], 1)


def test_metric_phases_finds_a_planted_improvement_on_a_log():
    rng = np.random.default_rng(0)
    n = 600
    arrivals = np.sort(rng.uniform(0, 60 * 24, n))
    lead = np.where(arrivals < 30 * 24, 9.0, 6.0) + rng.normal(0, 1.0, n)
    log = tickets(arrivals, np.clip(lead, 1.0, None))
    r = metric_phases(log, "lead_time", CHANGE, by="day")
    assert r.metric == "lead_time"
    assert r.before_center == pytest.approx(9.0, abs=0.4)
    assert r.after_center == pytest.approx(6.0, abs=0.4)
    assert r.sustained_shift
    assert r.summary.startswith("lead time per day: ".capitalize())
    d = r.to_dict()
    assert d["sustained_shift"] is True
    labels = d["labels"]
    assert isinstance(labels, list)
    assert labels[r.change_index] >= "2026-04-01"


def test_metric_phases_too_few_periods():
    log = tickets(np.linspace(0, 30 * 24, 100), np.full(100, 5.0))
    with pytest.raises(InvalidParameterError, match="at least 2 whole weeks"):
        metric_phases(log, "lead_time", datetime(2026, 3, 5, tzinfo=UTC), by="week")


@given(
    x=st.lists(st.floats(0, 1000), min_size=6, max_size=40),
    frac=st.floats(0.2, 0.8),
)
@settings(max_examples=50, deadline=None)
def test_shift_is_the_difference_of_the_phase_means(x, frac):
    cut = min(max(2, round(frac * len(x))), len(x) - 2)
    r = phase_comparison(x, cut)
    assert r.shift == pytest.approx(np.mean(x[cut:]) - np.mean(x[:cut]), abs=1e-9)
    assert r.change_index == cut and len(r.chart.points) == len(x)
    # a sustained shift needs run_length after points
    assert not r.sustained_shift or len(x) - cut >= r.run_length


def test_its_and_phases_share_one_period_count_check():
    # one definition: the same MetricSeries check raises for both, naming the counts
    log = tickets(np.linspace(0, 30 * 24, 100), np.full(100, 5.0))
    at = datetime(2026, 3, 5, tzinfo=UTC)
    from servops.improve.its import metric_its
    from servops.improve.phases import metric_series

    ms = metric_series(log, "lead_time", at, by="week")
    with pytest.raises(InvalidParameterError) as phases_err:
        metric_phases(log, "lead_time", at, by="week", series=ms)
    with pytest.raises(InvalidParameterError) as its_err:
        metric_its(log, "lead_time", at, by="week", series=ms)
    before, after = ms.change_index, len(ms.labels) - ms.change_index
    tail = f"got {before} before and {after} after. Hint: use by='day' or a longer log."
    assert str(phases_err.value).startswith(
        "phase comparison of lead time needs at least 2"
    )
    assert str(its_err.value).startswith(
        "interrupted time series of lead time needs at least 3"
    )
    assert str(phases_err.value).endswith(tail) and str(its_err.value).endswith(tail)
