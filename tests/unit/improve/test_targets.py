"""Targets: YAML with located errors, trend projection parity, status on track/at risk/met/missed."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
import statsmodels.api as sm

from servops.errors import ConfigError
from servops.improve.targets import (
    Target,
    _trend,
    load_targets,
    target_status,
    targets_from_dict,
)
from tests.unit.improve.synth import tickets

H = 3600.0
WEEKS = 8
JITTER = np.array([0.1, -0.1] * (WEEKS // 2))  # weekly residuals around the line


def _improving_log():
    """20 tickets a week for 8 weeks from Mon 2026-03-02; week k's median lead time is
    10 - 0.5 k hours (plus a +-0.1 h wobble); per-case spread is symmetric."""
    arrivals, lead = [], []
    spread = np.linspace(-1, 1, 20)
    for k in range(WEEKS):
        arrivals += list(k * 168 + 10 + np.arange(20) * 6.0)
        lead += list(10 - 0.5 * k + JITTER[k] + spread)
    return tickets(np.array(arrivals), np.array(lead))


def _target(value_h, deadline, **kw):
    return Target(
        name="lead",
        metric="lead_time",
        statistic="median",
        value=value_h * H,
        deadline=deadline,
        **kw,
    )


def test_trend_parity_with_statsmodels():
    rng = np.random.default_rng(2)
    x = np.arange(10.0) * 7
    y = 5 - 0.1 * x + rng.normal(0, 0.5, 10)
    y0, lo, hi, _ = _trend(x, y, 100.0, 0.9)
    fit = sm.OLS(y, sm.add_constant(x)).fit()
    pred = fit.get_prediction(np.array([[1.0, 100.0]])).summary_frame(alpha=0.1)
    assert y0 == pytest.approx(pred["mean"].iloc[0])
    assert lo == pytest.approx(pred["obs_ci_lower"].iloc[0])
    assert hi == pytest.approx(pred["obs_ci_upper"].iloc[0])


def test_weekly_values_and_baseline_by_hand():
    log = _improving_log()
    (s,) = target_status(
        log,
        [
            _target(
                5,
                date(2026, 6, 1),
                baseline_start=date(2026, 3, 2),
                baseline_end=date(2026, 3, 8),
            )
        ],
    )
    assert s.baseline == pytest.approx((10 + 0.1) * H)
    # weeks after the baseline: 1..7, medians 10 - 0.5 k + jitter
    assert [w for w, _, _ in s.weeks] == [
        date(2026, 3, 2) + timedelta(weeks=k) for k in range(1, WEEKS)
    ]
    assert [v / H for _, v, _ in s.weeks] == pytest.approx(
        [10 - 0.5 * k + JITTER[k] for k in range(1, WEEKS)]
    )
    assert all(n == 20 for _, _, n in s.weeks)


def test_on_track_and_at_risk():
    log = _improving_log()
    # the line reaches about 10 - 0.5 * 12.5 = 3.75 h on 2026-06-01
    (ok, risk) = target_status(
        log, [_target(5, date(2026, 6, 1)), _target(2, date(2026, 6, 1))]
    )
    assert ok.projected is not None and ok.p_meet is not None
    assert ok.projected_low is not None and ok.projected_high is not None
    assert risk.p_meet is not None
    assert ok.projected == pytest.approx(3.75 * H, abs=0.15 * H)
    assert ok.projected_low < ok.projected < ok.projected_high
    assert ok.status == "on track" and ok.p_meet > 0.9
    assert risk.status == "at risk" and risk.p_meet < 0.1
    assert "the trend projects" in ok.summary and ok.summary.startswith(
        "lead: on track."
    )


def test_met_and_missed_after_the_deadline():
    log = _improving_log()
    # judged on the 4 weeks up to 2026-04-20: arrivals 03-24 .. 04-20 (weeks 3-7 parts)
    met, missed = target_status(
        log, [_target(9, date(2026, 4, 20)), _target(6, date(2026, 4, 20))]
    )
    assert met.status == "met" and missed.status == "missed"
    assert met.projected is None
    assert met.current is not None and 6 * H < met.current < 9 * H


def test_rate_target_and_segment():
    n = 80
    reopened = np.arange(n) % 4 == 0  # 25 %
    prio = np.array(["P1", "P3"] * (n // 2))
    log = tickets(
        np.arange(n) * 20.0, np.full(n, 2.0), reopened=reopened, priority=prio
    )
    (s,) = target_status(
        log,
        targets_from_dict(
            {
                "targets": [
                    {
                        "name": "reopens",
                        "metric": "reopened",
                        "target": "10%",
                        "deadline": "2030-01-01",
                        "segment": {"priority": "P1"},
                    }
                ]
            }
        ),
        window_weeks=20,
    )
    # P1 cases are the even ones; every 4th case (all even) reopens: half the P1 cases
    assert s.current == pytest.approx(0.5)
    assert s.target.lower_is_better and s.status == "at risk"


def test_too_little_data_is_not_measurable():
    log = tickets(np.array([0.0]), np.array([1.0]))
    (s,) = target_status(log, [_target(5, date(2030, 1, 1))])
    assert s.status == "not measurable" and s.current is None
    assert s.to_dict()["current"] is None


def test_yaml_file_and_located_errors(tmp_path):
    good = tmp_path / "targets.yaml"
    good.write_text(
        "targets:\n"
        "  - name: E-mail first response within 2 h\n"
        "    objective: Answer customers faster\n"
        "    perspective: customer\n"
        "    metric: first_response\n"
        "    segment: {channel: email}\n"
        "    baseline: {start: 2026-09-07, end: 2026-10-04}\n"
        "    target: 2h\n"
        "    deadline: 2026-12-31\n",
        encoding="utf-8",
    )
    (t,) = load_targets(good)
    assert (t.value, t.statistic, t.segment, t.perspective) == (
        7200.0,
        "median",
        {"channel": "email"},
        "customer",
    )
    assert t.baseline_end == date(2026, 10, 4)
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "targets:\n  - name: x\n    metric: sla_met\n    target: 1.5\n"
        "    deadline: 2026-12-31\n",
        encoding="utf-8",
    )
    with pytest.raises(
        ConfigError, match=r"targets\[0\]\.target \(.*bad\.yaml, line 4\)"
    ):
        load_targets(bad)
    bad.write_text("targets:\n  - name: x\n    metric: speed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="missing 'target'"):
        load_targets(bad)
    with pytest.raises(ConfigError, match="perspective"):
        targets_from_dict(
            {
                "targets": [
                    {
                        "name": "x",
                        "metric": "fcr",
                        "target": 0.5,
                        "deadline": "2026-01-01",
                        "perspective": "money",
                    }
                ]
            }
        )
    with pytest.raises(ConfigError, match="takes statistic"):
        targets_from_dict(
            {
                "targets": [
                    {
                        "name": "x",
                        "metric": "fcr",
                        "target": 0.5,
                        "deadline": "2026-01-01",
                        "statistic": "median",
                    }
                ]
            }
        )


def _steady_log_with_open_tickets():
    """10 weeks of a steady desk: 20 arrivals a day, lead time exponential, mean 3 days
    (median 3 ln 2 d = 49.9 h). The data end at the last arrival: tickets whose close
    would come later are still open (those of the last days, the long ones first)."""
    from datetime import UTC, datetime

    import pyarrow as pa

    import servops as so

    rng = np.random.default_rng(0)
    n = 1400
    arr = np.sort(rng.uniform(0, 70 * 24, n))
    lead = rng.exponential(3 * 24, n)
    rows: dict[str, list[object]] = {
        k: [] for k in ("case_id", "activity", "timestamp")
    }
    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    for i in range(n):
        steps = [("Ticket created", 0.0)]
        if arr[i] + lead[i] <= arr.max():
            steps.append(("Closed", lead[i]))
        for act, h in steps:
            rows["case_id"].append(f"C{i:05d}")
            rows["activity"].append(act)
            rows["timestamp"].append(t0 + timedelta(hours=float(arr[i] + h)))
    return so.read_log(pa.table(rows))


def test_open_tickets_do_not_make_recent_weeks_look_faster():
    """Median lead time 49.9 h, steady, against a 48 h target: at risk. Leaving the
    open tickets out made the last week's median 30.6 h (81 of ~140 closed), the trend
    fall, and the status 'on track' (chance 69 %). Where the open tickets could change
    a median it is the Kaplan-Meier estimate, with them right-censored."""
    from servops.kpi import KpiConfig

    log = _steady_log_with_open_tickets()
    cfg = KpiConfig(closed=("Closed",))
    (s,) = target_status(log, [_target(48, date(2026, 8, 1))], config=cfg)
    assert s.status == "at risk", s.summary
    # the last week (81 of ~140 closed): Kaplan-Meier 44.9 h, not 30.6 h
    assert s.weeks[-1][1] > 40 * H, s.weeks
    assert s.current is not None and s.current > 45 * H
    assert s.p_meet is not None and s.p_meet < 0.5
    assert any(
        n.startswith("54 case(s) still open") and "Kaplan-Meier" in n for n in s.notes
    ), s.notes


def test_known_statistics_by_hand():
    from servops.improve.targets import _known

    x = np.array([1.0, 2.0, 3.0, 4.0])
    # an open case that has waited 10: above the median whatever it turns out to be
    assert _known(x, np.array([10.0]), "median") == pytest.approx(3.0)
    # waited 2.5 only: it could be 2.6 -> Kaplan-Meier over 5 cases: S(1) = 4/5,
    # S(2) = 3/5, censored at 2.5 (2 at risk after), S(3) = 3/5 * 1/2 = 0.3 <= 0.5
    assert _known(x, np.array([2.5]), "median") == pytest.approx(3.0)
    # and never below 0.5 when most are open: not known yet
    assert _known(x[:1], np.array([5.0, 5.0, 5.0]), "median") is None  # S(1) = 3/4
    # a mean with an open case is not known yet
    assert _known(x, np.array([10.0]), "mean") is None
    assert _known(x, np.array([]), "mean") == pytest.approx(2.5)


def test_a_trend_past_the_possible_range_is_named_as_clipped():
    # 10 - 0.5 h a week: by 2026-12-31 (43 weeks on) the line is at about -11.5 h
    (s,) = target_status(_improving_log(), [_target(5, date(2026, 12, 31))])
    assert s.projected == 0.0
    assert any(
        n.startswith("the straight-line trend leaves the possible range")
        and "(it projects -11." in n
        for n in s.notes
    ), s.notes
    (inside,) = target_status(_improving_log(), [_target(5, date(2026, 6, 1))])
    assert not any("possible range" in n for n in inside.notes)
