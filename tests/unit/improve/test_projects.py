"""Improvement projects: YAML records, plan progress, measured effect vs expectation."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pytest

from servops.errors import ConfigError
from servops.improve import before_after, evaluate_projects, load_projects
from servops.improve.projects import PlanStep, plan_progress, projects_from_dict
from tests.unit.improve.synth import tickets

if TYPE_CHECKING:
    from pathlib import Path

CHANGE = date(2026, 4, 1)  # START + 720 h
OFFSETS = np.linspace(-4.0, 4.0, 200)

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
