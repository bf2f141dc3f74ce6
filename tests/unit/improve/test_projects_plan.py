"""The evidence plan of a project: days a side for the expected change, days so far.

A hand-made desk: 20 tickets a day for 60 days from Monday 2026-03-02 (UTC), each
arriving between 08:00 and 17:30 and closed 2 h later; 30 % reopen before the change
and 15 % after it, so the reopen rate falls by 15 points.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from servops.errors import InvalidParameterError
from servops.improve import day_baseline, evaluate_projects, plan_before_after
from servops.improve.projects import projects_from_dict
from servops.log.filters import attribute_values, time_window
from tests.unit.improve.synth import START, tickets

DAYS, PER_DAY = 60, 20


def _evaluate(log, project, **options):
    """The project's evaluation without SPC phases, ITS or twin runs (not needed)."""
    return evaluate_projects(
        log, [project], phases=False, its=False, predict=False, **options
    )


def _desk(change_day: int, days: int = DAYS):
    """The desk (``days`` long); every other ticket is P1, the others P3."""
    hours = np.linspace(8.0, 17.5, PER_DAY)
    arrivals = np.concatenate([24.0 * d + hours for d in range(days)])
    day = (arrivals // 24).astype(int)
    rng = np.random.default_rng(5)
    p = np.where(day < change_day, 0.30, 0.15)
    return tickets(
        arrivals,
        np.full(arrivals.size, 2.0),
        priority=np.where(np.arange(arrivals.size) % 2, "P3", "P1"),
        reopened=rng.random(p.size) < p,
    )


def _project(change_day: int, window: str = "all", **extra):
    at = (START + timedelta(days=change_day)).date()
    raw = {
        "id": "P-R",
        "title": "Fewer reopens",
        "at": at.isoformat(),
        "window": window,
        "metrics": ["reopened", "lead_time"],
        "expected": [{"metric": "reopened", "change": "-15%"}],
        **extra,
    }
    (p,) = projects_from_dict({"projects": [raw]})
    return at, p


def _plan_of(log, project, metric="reopened"):
    (ev,) = _evaluate(log, project)
    ep = ev.evidence(metric).evidence_plan
    assert ep is not None
    return ev, ep


def test_plan_is_plan_before_after_on_the_days_before_the_change():
    log = _desk(50)
    at, project = _project(50)
    _, ep = _plan_of(log, project)
    base = day_baseline(log, "reopened", until=at)
    assert ep.baseline == base
    assert base.days == 50
    assert ep.plan == plan_before_after(base, -0.15, alpha=0.05, power=0.8, seed=0)
    d = ep.to_dict()
    assert d["plan"] == ep.plan.to_dict()
    assert d["baseline"]["cases_per_day"] == PER_DAY


def test_too_few_days_after_the_change_say_how_many_more_and_when():
    log = _desk(50)
    _, project = _project(50)
    ev, ep = _plan_of(log, project)
    assert ep.plan is not None
    # the comparison's own day count: 10 arrival days after the change
    ba = ev.evidence("reopened").measured
    assert ba is not None and ba.resampling is not None
    assert (ep.days_before, ep.days_after) == (50, 10)
    assert (ba.resampling.periods_before, ba.resampling.periods_after) == (50, 10)
    more = ep.plan.days - 10
    assert more > 0
    assert ep.more_days == more
    assert ep.enough is False
    # every weekday has tickets: the days run on from the last one (day 59)
    last = (START + timedelta(days=DAYS - 1)).date()
    assert ep.reached_on == last + timedelta(days=more)
    assert (
        f"10 of {ep.plan.days} days after the change so far: {more} more days, "
        f"reached on {ep.reached_on}"
    ) in ep.summary
    assert ep.to_dict()["reached_on"] == ep.reached_on.isoformat()
    assert ep.window_ends is None


def test_enough_days_on_both_sides():
    log = _desk(70, days=140)
    _, project = _project(70)
    _, ep = _plan_of(log, project)
    assert ep.plan is not None
    # the blocks, not the power, set the days: 10 blocks of a week
    assert ep.plan.days <= 70
    assert (ep.days_before, ep.days_after, ep.more_days) == (70, 70, 0)
    assert ep.enough is True
    assert ep.reached_on is None
    assert ep.summary.endswith(
        f"70 of {ep.plan.days} days after the change so far: enough."
    )


def test_a_window_too_short_for_the_plan_says_so():
    log = _desk(30)
    at, project = _project(30, window="1w")
    _, ep = _plan_of(log, project)
    assert ep.plan is not None
    assert ep.window_ends == at + timedelta(days=7)
    assert (ep.days_before, ep.days_after) == (7, 7)
    # the baseline is the window's week before the change
    week = time_window(log, START + timedelta(days=23), START + timedelta(days=37))
    assert ep.baseline == day_baseline(week, "reopened", until=at)
    assert ep.enough is False
    assert ep.reached_on is not None and ep.reached_on > ep.window_ends
    assert f"after the project's window ends ({ep.window_ends}): widen" in ep.summary
    assert f"only 7 days before the change ({ep.plan.days} needed a side)" in (
        ep.summary
    )


@pytest.mark.parametrize(
    ("expected", "what", "reason"),
    [
        (None, "Mean", "no expected change of the lead time"),
        (
            {"metric": "lead_time", "direction": "down"},
            "Median",
            "only its direction (down)",
        ),
        (
            {"metric": "lead_time", "statistic": "p90", "change": "-1h"},
            "P90",
            "the expected change is of the p90",
        ),
    ],
)
def test_a_metric_without_a_plannable_expected_change_has_no_plan(
    expected, what, reason
):
    log = _desk(50)
    items = [{"metric": "reopened", "change": "-15%"}]
    _, project = _project(50, expected=[*items, *([expected] if expected else [])])
    _, ep = _plan_of(log, project, "lead_time")
    assert ep.plan is None and ep.baseline is None
    assert ep.reason is not None and reason in ep.reason
    assert ep.more_days is None and ep.enough is None and ep.reached_on is None
    assert ep.summary == f"{what} lead time: no evidence plan ({ep.reason})."
    d = ep.to_dict()
    assert (d["plan"], d["reason"]) == (None, ep.reason)


def test_a_change_the_plan_refuses_is_a_reason_not_a_zero():
    log = _desk(50)
    # 30 % - 40 points is no rate
    _, project = _project(50, expected=[{"metric": "reopened", "change": "-40%"}])
    _, ep = _plan_of(log, project)
    assert ep.plan is None
    assert ep.reason is not None and "must keep the rate inside (0, 1)" in ep.reason


def test_too_few_baseline_days_is_a_reason():
    log = _desk(2)
    _, project = _project(2)
    _, ep = _plan_of(log, project)
    assert ep.plan is None
    assert ep.reason is not None and "at least 3 days" in ep.reason


def test_the_plan_can_be_left_out():
    log = _desk(50)
    _, project = _project(50)
    (ev,) = _evaluate(log, project, evidence_plan=False)
    m = ev.evidence("reopened")
    assert m.evidence_plan is None
    assert m.to_dict()["evidence_plan"] is None


def test_plan_follows_level_and_power():
    log = _desk(50)
    at, project = _project(50)
    (ev,) = _evaluate(log, project, level=0.9, power=0.9)
    ep = ev.evidence("reopened").evidence_plan
    assert ep is not None
    base = day_baseline(log, "reopened", until=at)
    assert ep.plan == plan_before_after(base, -0.15, alpha=0.1, power=0.9, seed=0)


def test_a_bad_power_is_refused_not_a_reason():
    log = _desk(50)
    _, project = _project(50)
    with pytest.raises(InvalidParameterError, match="'power' parameter of evaluate"):
        _evaluate(log, project, power=1.5)


def test_plan_keeps_to_the_segment():
    log = _desk(50)
    at, project = _project(50, segment={"priority": "P3"})
    _, ep = _plan_of(log, project)
    assert ep.baseline is not None
    assert ep.baseline == day_baseline(
        attribute_values(log, "priority", ["P3"]), "reopened", until=at
    )
    assert ep.baseline.cases_per_day == PER_DAY / 2
