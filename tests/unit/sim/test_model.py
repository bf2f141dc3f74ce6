"""The YAML model: reading, writing, and error messages that name the key."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest

from servops.errors import ConfigError
from servops.sim import Calendar, Distribution, StepFunction, load_model, save_model
from servops.sim.distributions import fit_distribution

BASE = {
    "name": "two steps",
    "time_unit": "minute",
    "arrivals": {"rate": 2},
    "attributes": {"segment": {"VIP": 0.25, "standard": 0.75}},
    "activities": {
        "Triage": {"pool": "l1", "duration": {"dist": "lognormal", "mean": 3, "sd": 1}},
        "Fix": {
            "pool": "l2",
            "duration": {"dist": "gamma", "mean": 20, "sd": 10},
            "delay": {"dist": "exponential", "mean": 5},
        },
    },
    "pools": {
        "l1": {"size": 2, "calendar": [{"days": "mon-fri", "hours": "08:00-18:00"}]},
        "l2": {"size": 3, "queue": {"priority": "segment", "order": ["VIP"]}},
    },
    "routing": {
        "start": {"Triage": 1.0},
        "Triage": {"Fix": 0.6, "end": 0.4},
        "Fix": {"next": {"end": 0.9, "Fix": 0.1}, "after": {"Fix": {"end": 1.0}}},
    },
    "sla": 120,
}


def test_round_trip(tmp_path):
    m = load_model(BASE)
    path = save_model(m, tmp_path / "m.yaml")
    again = load_model(path)
    assert again == m
    delay = m.activities["Fix"].delay
    assert delay is not None
    assert delay.mean_s == 300
    assert m.sla_s == 7200
    assert m.pools["l1"].calendar.hours_per_week == 50
    assert m.routing.after["Fix"]["Fix"] == {"end": 1.0}


@pytest.mark.parametrize(
    ("path", "value", "match"),
    [
        (("arrivals",), {"rate": 2, "schedule": {}}, "exactly one of"),
        (("arrivals", "rate"), -1, r"arrivals.rate must be a number > 0; got -1"),
        (
            ("activities", "Fix", "pool"),
            "l3",
            r"activities.Fix.pool: unknown pool 'l3'",
        ),
        (("activities", "Fix", "duraton"), 1, r"unknown key\(s\) \['duraton'\]"),
        (
            ("activities", "Fix", "duration"),
            {"dist": "weibull"},
            "unknown distribution",
        ),
        (
            ("activities", "Fix", "duration"),
            {"dist": "gamma", "mean": 2},
            r"needs \['sd'\]",
        ),
        (("routing", "Triage"), {"Fix": 0.6, "end": 0.3}, "sum to 0.9"),
        (("routing", "Triage"), {"Fx": 1.0}, "unknown target 'Fx'"),
        (("routing", "Nope"), {"end": 1.0}, "routing.Nope: unknown activity"),
        (
            ("pools", "l1", "calendar"),
            [{"days": "mon-fri", "hours": "8-18"}],
            "expected 'HH:MM-HH:MM'",
        ),
        (
            ("pools", "l1", "calendar"),
            [{"days": "moon", "hours": "08:00-18:00"}],
            "unknown day",
        ),
        (
            ("pools", "l2", "queue"),
            {"priority": "tier", "order": ["a"]},
            "case attribute 'tier' is not declared",
        ),
        (("time_unit",), "week", "time_unit: must be one of"),
        (("colour",), "red", r"unknown key\(s\) \['colour'\]"),
    ],
)
def test_config_errors_name_the_key(path, value, match):
    d = copy.deepcopy(BASE)
    target: dict[str, Any] = d
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ConfigError, match=match):
        load_model(d)


def test_bad_yaml_file(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("arrivals: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_model(p)
    with pytest.raises(ConfigError, match=r"model file .* does not exist"):
        load_model(tmp_path / "missing.yaml")


def test_schedule_pool_and_arrivals():
    m = load_model(
        {
            "time_unit": "minute",
            "arrivals": {"schedule": {"interval": 30, "rates": [1, 2, 0]}},
            "activities": {
                "Call": {
                    "pool": "agents",
                    "duration": {"dist": "exponential", "mean": 3},
                }
            },
            "pools": {"agents": {"schedule": {"interval": 30, "sizes": [2, 4, 4]}}},
            "routing": {"start": {"Call": 1}, "Call": {"end": 1}},
        }
    )
    pool_sched, arr_sched = m.pools["agents"].schedule, m.arrivals.schedule
    assert pool_sched is not None
    assert arr_sched is not None
    assert pool_sched.values == (2.0, 4.0, 4.0)
    assert arr_sched.values == pytest.approx((1 / 60, 2 / 60, 0.0))
    with pytest.raises(ConfigError, match="either 'schedule'"):
        load_model(
            {
                **m.to_dict(),
                "pools": {
                    "agents": {"size": 2, "schedule": {"interval": 30, "sizes": [1]}}
                },
            }
        )


def test_distributions_sample_means(rng):
    for d in (
        Distribution.exponential(10),
        Distribution.lognormal(10, 5),
        Distribution.gamma(10, 5),
        Distribution.normal(10, 2),
        Distribution.uniform(5, 15),
        Distribution.empirical([0, 10, 20]),
    ):
        x = d.sample(rng, 200_000)
        assert x.mean() == pytest.approx(10, rel=0.02), d.kind
        assert (x >= 0).all()
    assert Distribution.lognormal(10, 5).sample(rng, 200_000).std() == pytest.approx(
        5, rel=0.03
    )
    assert (
        Distribution.empirical([1, 2, 3], quantiles=False).sample(rng, 10).tolist()
        != []
    )


def test_truncated_normal_respects_bounds(rng):
    x = Distribution.normal(1, 5, low=0, high=3).sample(rng, 10_000)
    assert x.min() >= 0
    assert x.max() <= 3


def test_scaled_and_yaml_units():
    d = Distribution.gamma(120, 60).scaled(0.5)
    assert (d.mean_s, d.sd) == (60, 30)
    assert Distribution.from_dict(d.to_dict(unit_s=60), where="x", unit_s=60) == d
    assert Distribution.from_dict(5, where="x").kind == "fixed"


def test_fit_distribution_picks_family_or_empirical(rng):
    assert fit_distribution(rng.gamma(4.0, 25.0, 5000)).kind in ("gamma", "lognormal")
    zeros = fit_distribution(rng.choice([0.0, 1.0], 5000) * rng.exponential(100, 5000))
    assert zeros.kind == "empirical"
    bimodal = fit_distribution(
        rng.choice([10.0, 1000.0], 5000) + rng.normal(0, 1, 5000)
    )
    assert bimodal.kind == "empirical"
    assert bimodal.mean_s == pytest.approx(505, rel=0.05)


def test_step_function_and_calendar():
    f = StepFunction(times=(0.0, 10.0), values=(1.0, 3.0))
    assert f.value_at(-5) == 1.0
    assert f.next_change(10) == math.inf
    assert f.integral(0, 20) == 10 + 30
    cal = Calendar.from_yaml([{"days": "fri", "hours": "22:00-02:00"}], where="c")
    assert cal.hours_per_week == 4
    assert cal.to_yaml() == {"hours": {"fri": "22:00-24:00", "sat": "00:00-02:00"}}
    assert Calendar.from_yaml(cal.to_yaml(), where="c") == cal
    # Starting on a Wednesday 00:00, the window opens 2 days 22 hours later.
    sf = cal.step_function(start_weekday_offset_s=2 * 86400)
    assert sf.value_at(0) == 0
    assert sf.next_change(0) == (2 * 24 + 22) * 3600
    assert Calendar.from_yaml("always", where="c").is_always


def test_empirical_fit_keeps_the_mean_despite_an_outlier():
    # Work of minutes with one 62-hour outlier and many zeros (so no family fits):
    # draws between stored quantiles are uniform, and the top segment spread 1/40 of
    # the mass up to the outlier, doubling the demo twin's "First response".
    rng = np.random.default_rng(7)
    x = np.round(rng.exponential(600.0, 1200), -1)
    x[:300] = 0.0
    x[0] = 224_064.0
    d = fit_distribution(x, n_quantiles=41)
    assert d.kind == "empirical"
    drawn = d.sample(np.random.default_rng(1), 400_000)
    assert drawn.mean() == pytest.approx(x.mean(), rel=0.03)
    assert d.mean_s == pytest.approx(x.mean(), rel=0.01)
