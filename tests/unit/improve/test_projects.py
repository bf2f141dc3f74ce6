"""Improvement projects: YAML records, plan progress, measured effect vs expectation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from servops.errors import ConfigError
from servops.improve import before_after, evaluate_projects, load_projects
from servops.improve.projects import PlanStep, plan_progress, projects_from_dict
from tests.unit.improve.synth import tickets

CHANGE = date(2026, 4, 1)  # START + 720 h
# a fixed random order: in arrival order the offsets would be a trend between days
OFFSETS = np.random.default_rng(19).permutation(np.linspace(-4.0, 4.0, 200))

PROJECTS = """\
projects:
  - id: P-01
    title: Faster second line
    change: one more person in L2
    at: 2026-04-01
    window: all
    expected:
      metric: lead_time
      change: -3h
    plan:
      - {step: Hire, owner: Mei, due: 2026-03-01, done: true}
      - {step: Train, owner: Jan, due: 2026-03-20}
      - {step: Review, owner: Jan, due: 2026-06-01}
    status: check
  - id: P-02
    title: Fewer reopens
    at: 2026-04-01
    metrics: [reopened]
    expected: {metric: reopened, direction: down}
"""


def _planted(before_h: float = 9.1, after_h: float = 6.4):
    arrivals = np.concatenate(
        [np.linspace(0, 719, OFFSETS.size), np.linspace(720, 1439, OFFSETS.size)]
    )
    lead = np.concatenate([before_h + OFFSETS, after_h + OFFSETS])
    return tickets(arrivals, lead)


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "projects.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_load_reads_every_field(tmp_path):
    p1, p2 = load_projects(_write(tmp_path, PROJECTS))
    assert p1.id == "P-01"
    assert p1.at == date(2026, 4, 1)
    assert p1.metrics == ("lead_time",)
    assert p1.expected[0].change == -3 * 3600
    assert p1.expected[0].direction == "down"
    assert p1.expected[0].improves
    assert p1.window is None
    assert [s.step for s in p1.plan] == ["Hire", "Train", "Review"]
    assert p1.plan[0].done and not p1.plan[1].done
    assert p1.status == "check"
    assert p2.metrics == ("reopened",)
    assert p2.expected[0].change is None
    assert p2.status == "plan"
    assert p2.window is not None and p2.window.days == 28


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        ("    status: done\n", r"projects\[0\]\.status \(.*projects\.yaml, line 6\)"),
        ("    colour: red\n", r"unknown key\(s\) \['colour'\]"),
        (
            "    expected: {metric: lead_time, change: -3h, direction: up}\n",
            "contradicts",
        ),
        ("    expected: {metric: wait}\n", "unknown metric 'wait'"),
        ("    expected: {metric: lead_time}\n", "direction"),
        (
            "    expected: {metric: lead_time, direction: down, "
            "predicted_by: {scenario: s.yaml, replications: 1}}\n",
            r"predicted_by\.replications .*an integer >= 2",
        ),
    ],
)
def test_errors_name_key_file_and_line(tmp_path, bad, match):
    text = (
        "projects:\n  - id: P\n    title: T\n    at: 2026-04-01\n    metrics: [fcr]\n"
    )
    with pytest.raises(ConfigError, match=match):
        load_projects(_write(tmp_path, text + bad))


def test_duplicate_ids_are_refused():
    item = {"id": "A", "title": "t", "at": "2026-04-01", "metrics": ["fcr"]}
    with pytest.raises(ConfigError, match="used twice"):
        projects_from_dict({"projects": [item, item]})


def test_plan_progress_counts_late_steps_by_hand():
    steps = [
        PlanStep("a", due=date(2026, 3, 1), done=True),
        PlanStep("b", due=date(2026, 3, 20)),
        PlanStep("c", due=date(2026, 6, 1)),
        PlanStep("d"),
    ]
    p = plan_progress(steps, date(2026, 3, 21))
    assert (p.done, p.open) == (1, 3)
    assert [s.step for s in p.late] == ["b"]
    # due on the day itself is not late yet
    assert plan_progress(steps, date(2026, 3, 20)).late == ()


def test_evaluation_reuses_before_after_and_judges_the_expectation(tmp_path):
    log = _planted()
    p1, _ = load_projects(_write(tmp_path, PROJECTS))
    (ev,) = evaluate_projects(log, [p1], seed=1, as_of=date(2026, 4, 1))
    direct = before_after(log, CHANGE, "lead_time", seed=1)
    m = ev.evidence("lead_time")
    assert m.effect is not None
    assert m.effect.to_dict() == direct.effects["median"].to_dict()
    assert m.effect.estimate == pytest.approx(-2.7 * 3600)
    assert m.verdict == "improved"
    assert m.covers_expected is True  # -3 h lies in the CI around -2.7 h
    assert [s.step for s in ev.plan.late] == ["Train"]
    assert "Median lead time: improved (−2.7 h" in ev.summary
    assert "1 plan step(s) late: Train (Jan, due 2026-03-20)" in ev.summary


def test_no_change_is_not_called_an_improvement():
    log = _planted(8.0, 8.0)
    (p,) = projects_from_dict(
        {
            "projects": [
                {
                    "id": "A",
                    "title": "t",
                    "at": "2026-04-01",
                    "window": "all",
                    "expected": {"metric": "lead_time", "change": "-5h"},
                }
            ]
        }
    )
    (ev,) = evaluate_projects(log, [p], seed=1)
    m = ev.evidence("lead_time")
    assert m.verdict == "no clear change"
    assert m.covers_expected is False


def test_window_limits_the_cases_compared():
    log = _planted()
    (p,) = projects_from_dict(
        {
            "projects": [
                {
                    "id": "A",
                    "title": "t",
                    "at": "2026-04-01",
                    "window": "10d",
                    "metrics": ["lead_time"],
                }
            ]
        }
    )
    (ev,) = evaluate_projects(log, [p], seed=1)
    ba = ev.evidence("lead_time").measured
    assert ba is not None
    # 200 arrivals spread over 30 days on each side: about a third within 10 days
    assert 60 <= ba.before.cases <= 75
    assert 60 <= ba.after.cases <= 75


DOCS = Path(__file__).parents[3] / "docs" / "examples"


def _two_phase_queue_log():
    """The M/M/10 queue of docs/examples for 3,000 cases, then its scenario's."""
    from datetime import timedelta

    import pyarrow as pa
    import pyarrow.compute as pc

    import servops as so
    from servops.sim import apply_scenario, load_model, load_scenario, simulate

    m = load_model(DOCS / "mmc.yaml")
    sc = apply_scenario(m, load_scenario(DOCS / "mmc-scenario.yaml"))
    a = simulate(m, cases=3000, seed=1).log.to_arrow("events")
    b = simulate(sc, cases=3000, seed=2).log.to_arrow("events")
    off = pc.max(a.column("timestamp")).as_py() - m.start + timedelta(minutes=1)

    def shifted(t: pa.Table, by: timedelta, prefix: str) -> pa.Table:
        cols = {}
        for n in ("case_id", "activity", "timestamp", "start_timestamp", "resource"):
            c = t.column(n)
            if n == "case_id":
                c = pc.binary_join_element_wise(prefix, c, "")
            elif n.endswith("timestamp"):
                c = pc.add(c, pa.scalar(by, pa.duration("us")))
            cols[n] = c
        return pa.table(cols)

    log = so.read_log(
        pa.concat_tables([shifted(a, timedelta(0), "a"), shifted(b, off, "b")])
    )
    return log, m.start + off


def test_prediction_is_the_twins_compare_beside_the_measured_effect():
    from servops.sim import apply_scenario, compare, load_model, load_scenario

    log, change = _two_phase_queue_log()
    (p,) = projects_from_dict(
        {
            "projects": [
                {
                    "id": "Q",
                    "title": "One more agent",
                    "at": change.isoformat(),
                    "window": "all",
                    "expected": {
                        "metric": "lead_time",
                        "statistic": "mean",
                        "change": "-1min",
                        "predicted_by": {
                            "scenario": "mmc-scenario.yaml",
                            "model": "mmc.yaml",
                        },
                    },
                }
            ]
        },
        base=DOCS,
    )
    (ev,) = evaluate_projects(log, [p], phases=False, its=False, seed=1)
    m = ev.evidence("lead_time")
    pred = m.prediction
    assert pred is not None and pred.predicted is not None and m.effect is not None
    model = load_model(DOCS / "mmc.yaml")
    twin = compare(
        model,
        apply_scenario(model, load_scenario(DOCS / "mmc-scenario.yaml")),
        replications=5,
        cases=1000,
        seed=0,
    ).differences()["mean_cycle_time_s"]
    assert pred.predicted == twin
    assert pred.twin_kpi == "mean_cycle_time_s"
    assert pred.measured == m.effect
    # the twin and the log agree on the direction: both shorten the mean lead time
    assert pred.predicted.mean < 0 and m.effect.high < 0
    assert pred.covers == (m.effect.low <= twin.mean <= m.effect.high)
    assert pred.intervals_overlap == (
        m.effect.low <= twin.high and twin.low <= m.effect.high
    )
    assert "Twin scenario 'one more agent, 5% faster' (model mmc.yaml)" in ev.summary
    assert ("does not cover" in pred.summary) == (not pred.covers)


def test_prediction_of_a_metric_the_twin_does_not_simulate_says_why(tmp_path):
    log = _planted()
    (p,) = projects_from_dict(
        {
            "projects": [
                {
                    "id": "R",
                    "title": "t",
                    "at": "2026-04-01",
                    "window": "all",
                    "expected": {
                        "metric": "reopened",
                        "direction": "down",
                        "predicted_by": {"scenario": str(DOCS / "mmc-scenario.yaml")},
                    },
                }
            ]
        }
    )
    (ev,) = evaluate_projects(log, [p], phases=False, its=False)
    pred = ev.evidence("reopened").prediction
    assert pred is not None and pred.predicted is None
    assert pred.reason is not None and "predicts lead time" in pred.reason


def test_evaluation_has_phases_its_and_cost():
    from servops.improve.cost import CostModel

    rng = np.random.default_rng(4)
    n = 1200
    arrivals = np.sort(rng.uniform(0, 60 * 24, n))
    lead = np.where(arrivals < 30 * 24, 9.0, 6.0) + rng.normal(0, 1.0, n)
    log = tickets(arrivals, np.clip(lead, 1.0, None))
    (p,) = projects_from_dict(
        {
            "projects": [
                {
                    "id": "S",
                    "title": "Faster",
                    "at": "2026-04-01",
                    "metrics": ["lead_time"],
                    "running_cost_per_month": 100,
                }
            ]
        }
    )
    (ev,) = evaluate_projects(
        log, [p], cost_model=CostModel(per_waiting_hour=1.0), seed=2
    )
    m = ev.evidence("lead_time")
    assert m.phases is not None and m.phases.sustained_shift
    assert m.phases.shift == pytest.approx(-3.0, abs=0.4)  # hours per day
    assert m.its is not None and m.its.level_change.high < 0
    assert m.its.level_change.low < -3.0 < m.its.level_change.high
    assert ev.cost is not None and ev.cost.saving_per_month is not None
    # 1 per waiting hour, resolution = lead (no resolution step): ~3 h saved a case
    per_case = -ev.cost.saving_per_month.estimate / ev.cost.cases_per_month
    assert per_case == pytest.approx(-3.0, abs=0.3)
    assert ev.cost.net_per_month is not None
    assert ev.cost.net_per_month.estimate == pytest.approx(
        ev.cost.saving_per_month.estimate - 100
    )
    d = ev.to_dict()
    assert set(d) >= {"project", "plan", "metrics", "cost", "summary"}
    assert "sustained shift" in ev.summary
