"""Improvement projects (PDCA records) from YAML, and the evidence of their effect.

A project records what changed, when and where, the KPI(s) it targets, the effect
expected (optionally predicted by a twin scenario), the implementation plan and its PDCA
status. One file may hold many projects::

    projects:
      - id: P-01
        title: One more person in L2
        change: A fourth agent joins the second-level team
        at: 2026-10-19                  # a date or time, in the KPI config's time zone
        segment: {priority: P2}         # case attributes (optional): where it applies
        metrics: [lead_time, sla_met]   # default: the metrics of `expected`
        expected:                       # one mapping or a list, one per metric
          - metric: lead_time
            statistic: median           # mean | median | p90 (durations); rate
            change: -6h                 # signed: a duration, or rate points (+5%)
            predicted_by: {scenario: l2_plus_one.yaml, model: twin.yaml}
        plan:
          - {step: Hire the agent, owner: Mei, due: 2026-10-01, done: true}
          - {step: Train on L2 queues, owner: Jan, due: 2026-10-16}
        status: check                   # plan | do | check | act | closed
        window: 4w                      # cases arriving this long before / after

:func:`evaluate_projects` measures each project on a log:

* **plan progress**: steps done, open, and late (open with a due date before ``as_of``);
* per metric the **measured effect**: :func:`~servops.improve.before_after` on the cases
  arriving within ``window`` before and after the change (the one definition of the
  comparison), with its verdict against the expected direction and value. Cases still
  open at the end of the whole log (not of the window: a case arriving in the window
  is followed to the log's end) count as right-censored there, as ``before_after``
  counts them; a statistic that is not known under censoring (a mean while cases are
  open, a p90 the Kaplan-Meier curve has not reached) is "not measurable" with its
  reason, never a 0;
* per metric the **SPC phase comparison** (:mod:`servops.improve.phases`) and the
  **interrupted time series** (:mod:`servops.improve.its`) of the periods within
  ``window`` of the change;
* **prediction vs outcome**: for an expected effect with ``predicted_by``, the twin
  scenario is run against its baseline (:func:`servops.sim.compare`: replications with
  common random numbers; the baseline is ``model`` or a model discovered from the
  cases before the change) and its predicted difference of lead time is set beside the
  measured one, with both intervals and whether the measured interval covers it;
* with a cost model, the **saving per month** (:mod:`servops.improve.cost`), net of the
  project's ``running_cost_per_month``;
* per metric with an expected change the **evidence plan**: the days a side the
  before/after needs to find that change (:func:`~servops.improve.plan_before_after`
  on the :func:`~servops.improve.day_baseline` of the compared cases before the
  change), the days after the change so far, and the day the planned days are
  expected to be reached; a metric that cannot be planned has no plan, with the reason.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from servops._durations import format_duration, parse_duration
from servops._validation import check_interval
from servops._yaml import YamlDoc, load_yaml, mapping
from servops.errors import ConfigError, InvalidParameterError
from servops.improve.beforeafter import (
    DURATION_METRICS,
    METRICS,
    BeforeAfterResult,
    before_after,
    metric_label,
)
from servops.improve.cost import CostModel, CostSaving, cost_saving, load_cost_model
from servops.improve.its import ItsResult, metric_its
from servops.improve.phases import PhaseComparison, metric_phases, metric_series
from servops.improve.planning import (
    BeforeAfterPlan,
    DayBaseline,
    day_baseline,
    plan_before_after,
)
from servops.improve.targets import metric_statistic
from servops.kpi.cases import resolve_config

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from servops._typing import PathLike, Seed
    from servops.improve.intervals import Interval
    from servops.kpi.config import KpiConfig
    from servops.log import EventLog
    from servops.sim.replications import Estimate

__all__ = [
    "PDCA_STATUSES",
    "EvidencePlan",
    "Expected",
    "MetricEvidence",
    "PlanProgress",
    "PlanStep",
    "Prediction",
    "Project",
    "ProjectEvaluation",
    "evaluate_projects",
    "load_projects",
    "plan_progress",
    "projects_from_dict",
]

#: PDCA status of a project, in order.
PDCA_STATUSES = ("plan", "do", "check", "act", "closed")
PdcaStatus = Literal["plan", "do", "check", "act", "closed"]
Verdict = Literal["improved", "worsened", "no clear change", "not measurable"]
_KEYS = (
    "id",
    "title",
    "change",
    "at",
    "segment",
    "metrics",
    "expected",
    "plan",
    "status",
    "window",
    "running_cost_per_month",
)
_EXPECTED_KEYS = ("metric", "statistic", "change", "direction", "predicted_by")
_STEP_KEYS = ("step", "owner", "due", "done")
_PREDICTED_KEYS = ("scenario", "model", "replications", "cases", "seed")
_LOWER_IS_BETTER = {*DURATION_METRICS, "reopened"}
_DEFAULT_WINDOW = timedelta(weeks=4)


@dataclass(frozen=True, slots=True)
class PlanStep:
    """One step of the implementation plan."""

    step: str
    owner: str | None = None
    due: date | None = None
    done: bool = False

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "step": self.step,
            "owner": self.owner,
            "due": None if self.due is None else self.due.isoformat(),
            "done": self.done,
        }


@dataclass(frozen=True, slots=True)
class Expected:
    """The effect a project expects on one metric.

    ``change`` is signed, after - before: seconds for durations, a rate difference
    (0.05 = 5 points) for rates; ``None`` when only the direction is given.
    ``predicted_by`` holds the twin scenario (and optional model) file paths, resolved
    against the projects file's folder.
    """

    metric: str
    statistic: str
    direction: Literal["down", "up"]
    change: float | None = None
    predicted_by: dict[str, object] | None = None

    @property
    def improves(self) -> bool:
        """Whether the expected direction is an improvement of this metric."""
        down = self.metric in _LOWER_IS_BETTER
        return (self.direction == "down") == down

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "metric": self.metric,
            "statistic": self.statistic,
            "direction": self.direction,
            "change": self.change,
            "predicted_by": self.predicted_by,
        }


@dataclass(frozen=True, slots=True)
class Project:
    """One improvement project (a PDCA record)."""

    id: str
    title: str
    at: date | datetime
    metrics: tuple[str, ...]
    status: PdcaStatus = "plan"
    change: str | None = None
    segment: dict[str, str] = field(default_factory=dict)
    expected: tuple[Expected, ...] = ()
    plan: tuple[PlanStep, ...] = ()
    window: timedelta | None = _DEFAULT_WINDOW
    running_cost_per_month: float | None = None

    def expected_for(self, metric: str) -> Expected | None:
        """The expected effect on ``metric``, if one is recorded."""
        return next((e for e in self.expected if e.metric == metric), None)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "id": self.id,
            "title": self.title,
            "change": self.change,
            "at": self.at.isoformat(),
            "segment": self.segment,
            "metrics": list(self.metrics),
            "expected": [e.to_dict() for e in self.expected],
            "plan": [s.to_dict() for s in self.plan],
            "status": self.status,
            "window_s": None if self.window is None else self.window.total_seconds(),
            "running_cost_per_month": self.running_cost_per_month,
        }


# -- reading ----------------------------------------------------------------------
def _date(value: object, where: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        msg = f"{where}: expected a date like 2026-10-19; got {value!r}."
        raise ConfigError(msg) from None


def _moment(value: object, where: str) -> date | datetime:
    if isinstance(value, datetime | date):
        return value
    text = str(value).strip()
    try:
        return (
            date.fromisoformat(text)
            if len(text) == 10
            else datetime.fromisoformat(text)
        )
    except ValueError:
        msg = (
            f"{where}: expected a date (2026-10-19) or a time (2026-10-19T08:00, an "
            f"offset such as +02:00 allowed); got {value!r}."
        )
        raise ConfigError(msg) from None


def _signed_change(value: object, metric: str, where: str) -> float:
    """``-6h`` -> -21600.0 for durations; ``+5%`` / ``0.05`` -> 0.05 for rates."""
    text = str(value).strip().replace("\N{MINUS SIGN}", "-")
    sign = -1.0 if text.startswith("-") else 1.0
    body = text.lstrip("+-").strip()
    if metric in DURATION_METRICS:
        return sign * parse_duration(body, where).total_seconds()
    try:
        v = float(body[:-1]) / 100 if body.endswith("%") else float(body)
    except ValueError:
        v = math.nan
    if not -1 <= v <= 1:
        msg = (
            f"{where}: a rate change is a difference in [-1, 1] or in points such as "
            f"'+5%'; got {value!r}."
        )
        raise ConfigError(msg)
    return sign * v


def _expected(
    raw: object, path: tuple[str | int, ...], doc: YamlDoc, base: Path
) -> Expected:
    d = mapping(raw, doc.where(path), _EXPECTED_KEYS)
    metric, statistic = metric_statistic(d, path, doc)
    change = (
        _signed_change(d["change"], metric, doc.where((*path, "change")))
        if d.get("change") is not None
        else None
    )
    direction = d.get("direction")
    if direction is not None and direction not in ("down", "up"):
        msg = f"{doc.where((*path, 'direction'))}: 'down' or 'up'; got {direction!r}."
        raise ConfigError(msg)
    if change is not None and change != 0:
        implied = "down" if change < 0 else "up"
        if direction is not None and direction != implied:
            msg = (
                f"{doc.where((*path, 'direction'))}: {direction!r} contradicts the "
                f"change {d['change']!r} (which goes {implied})."
            )
            raise ConfigError(msg)
        direction = implied
    if direction is None:
        msg = (
            f"{doc.where(path)}: give the expected 'change' (signed, e.g. -6h or "
            "+5%) or at least its 'direction' (down / up)."
        )
        raise ConfigError(msg)
    predicted = None
    if d.get("predicted_by") is not None:
        where = doc.where((*path, "predicted_by"))
        p = dict(mapping(d["predicted_by"], where, _PREDICTED_KEYS))
        if "scenario" not in p:
            msg = f"{where}: needs 'scenario' (a twin scenario YAML file)."
            raise ConfigError(msg)
        for key in ("scenario", "model"):
            if key in p:
                f = Path(str(p[key]))
                p[key] = str(f if f.is_absolute() else base / f)
        for key, low in (("replications", 2), ("cases", 1), ("seed", 0)):
            v = p.get(key)
            if v is not None and (
                isinstance(v, bool) or not isinstance(v, int) or v < low
            ):
                msg = (
                    f"{doc.where((*path, 'predicted_by', key))}: an integer >= {low}; "
                    f"got {v!r}."
                )
                raise ConfigError(msg)
        predicted = p
    return Expected(
        metric=metric,
        statistic=statistic,
        direction=direction,
        change=change,
        predicted_by=predicted,
    )


def _step(raw: object, path: tuple[str | int, ...], doc: YamlDoc) -> PlanStep:
    d = mapping(raw, doc.where(path), _STEP_KEYS)
    if not d.get("step"):
        msg = f"{doc.where(path)}: a plan step needs 'step' (what is done)."
        raise ConfigError(msg)
    done = d.get("done", False)
    if not isinstance(done, bool):
        msg = f"{doc.where((*path, 'done'))}: true or false; got {done!r}."
        raise ConfigError(msg)
    return PlanStep(
        step=str(d["step"]),
        owner=None if d.get("owner") is None else str(d["owner"]),
        due=None
        if d.get("due") is None
        else _date(d["due"], doc.where((*path, "due"))),
        done=done,
    )


def _project(raw: object, i: int, doc: YamlDoc, base: Path) -> Project:
    path: tuple[str | int, ...] = ("projects", i)
    d = mapping(raw, doc.where(path), _KEYS)
    for key in ("id", "title", "at"):
        if key not in d:
            msg = (
                f"{doc.where(path)}: missing {key!r}; a project needs id, title, at "
                "and the metrics it targets (metrics or expected)."
            )
            raise ConfigError(msg)
    raw_exp = d.get("expected") or []
    exp_items = raw_exp if isinstance(raw_exp, list) else [raw_exp]
    expected = tuple(
        _expected(
            e,
            (*path, "expected", j)
            if isinstance(raw_exp, list)
            else (*path, "expected"),
            doc,
            base,
        )
        for j, e in enumerate(exp_items)
    )
    raw_metrics = d.get("metrics")
    if raw_metrics is None:
        metrics = tuple(dict.fromkeys(e.metric for e in expected))
    else:
        items = raw_metrics if isinstance(raw_metrics, list) else [raw_metrics]
        metrics = tuple(dict.fromkeys(str(m) for m in items))
        for m in metrics:
            if m not in METRICS:
                msg = (
                    f"{doc.where((*path, 'metrics'))}: unknown metric {m!r}; one of "
                    f"{list(METRICS)}."
                )
                raise ConfigError(msg)
        for e in expected:
            if e.metric not in metrics:
                metrics = (*metrics, e.metric)
    if not metrics:
        msg = (
            f"{doc.where(path)}: name the metric(s) the project targets ('metrics: "
            "[lead_time]' or an 'expected' effect)."
        )
        raise ConfigError(msg)
    status = str(d.get("status", "plan"))
    if status not in PDCA_STATUSES:
        msg = (
            f"{doc.where((*path, 'status'))}: one of {list(PDCA_STATUSES)}; got "
            f"{status!r}."
        )
        raise ConfigError(msg)
    seg = d.get("segment") or {}
    if not isinstance(seg, dict):
        msg = (
            f"{doc.where((*path, 'segment'))}: expected attribute: value pairs, e.g. "
            f"{{priority: P2}}; got {seg!r}."
        )
        raise ConfigError(msg)
    plan_raw = d.get("plan") or []
    if not isinstance(plan_raw, list):
        msg = (
            f"{doc.where((*path, 'plan'))}: expected a list of steps; got {plan_raw!r}."
        )
        raise ConfigError(msg)
    window: timedelta | None = _DEFAULT_WINDOW
    if "window" in d:
        w = d["window"]
        window = (
            None
            if w is None or str(w).strip().lower() == "all"
            else parse_duration(w, doc.where((*path, "window")))
        )
    running = d.get("running_cost_per_month")
    if running is not None and (
        isinstance(running, bool)
        or not isinstance(running, int | float)
        or not math.isfinite(running)
        or running < 0
    ):
        msg = (
            f"{doc.where((*path, 'running_cost_per_month'))}: a cost per month, a "
            f"number >= 0; got {running!r}."
        )
        raise ConfigError(msg)
    return Project(
        id=str(d["id"]),
        title=str(d["title"]),
        at=_moment(d["at"], doc.where((*path, "at"))),
        metrics=metrics,
        status=status,  # type: ignore[arg-type]
        change=None if d.get("change") is None else str(d["change"]),
        segment={str(k): str(v) for k, v in seg.items()},
        expected=expected,
        plan=tuple(_step(s, (*path, "plan", j), doc) for j, s in enumerate(plan_raw)),
        window=window,
        running_cost_per_month=None if running is None else float(running),
    )


def _projects(doc: YamlDoc, base: Path) -> tuple[Project, ...]:
    top = mapping(doc.data, doc.where(()), ("projects",))
    items = top.get("projects")
    if not isinstance(items, list) or not items:
        msg = f"{doc.where(('projects',))}: expected a non-empty list of projects."
        raise ConfigError(msg)
    out = tuple(_project(raw, i, doc, base) for i, raw in enumerate(items))
    seen: set[str] = set()
    for i, p in enumerate(out):
        if p.id in seen:
            msg = f"{doc.where(('projects', i, 'id'))}: id {p.id!r} is used twice."
            raise ConfigError(msg)
        seen.add(p.id)
    return out


def load_projects(path: PathLike) -> tuple[Project, ...]:
    """Read improvement projects from a YAML file (format in the module docstring).

    Scenario and model paths in ``predicted_by`` are read relative to the file.

    Raises
    ------
    ConfigError
        Naming the key, the file and the line of what is wrong.
    """
    return _projects(load_yaml(path, what="projects"), Path(path).parent)


def projects_from_dict(
    data: Mapping[str, Any], name: str = "<dict>", *, base: PathLike = "."
) -> tuple[Project, ...]:
    """Projects from an already-parsed mapping (``{"projects": [...]}``).

    Examples
    --------
    >>> (p,) = projects_from_dict(
    ...     {
    ...         "projects": [
    ...             {
    ...                 "id": "P1",
    ...                 "title": "Faster triage",
    ...                 "at": "2026-10-05",
    ...                 "expected": {"metric": "lead_time", "change": "-2h"},
    ...             }
    ...         ]
    ...     }
    ... )
    >>> p.metrics, p.expected[0].change, p.expected[0].improves
    (('lead_time',), -7200.0, True)
    """
    return _projects(YamlDoc(data=dict(data), name=name), Path(base))


# -- evaluation -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PlanProgress:
    """Steps done, open and late (open, due before ``as_of``)."""

    as_of: date
    done: int
    open: int
    late: tuple[PlanStep, ...]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "as_of": self.as_of.isoformat(),
            "steps": self.done + self.open,
            "done": self.done,
            "open": self.open,
            "late": [s.to_dict() for s in self.late],
        }


def plan_progress(plan: Iterable[PlanStep], as_of: date) -> PlanProgress:
    """Count the plan's steps done and open, and list the late ones.

    Examples
    --------
    >>> steps = [
    ...     PlanStep("a", due=date(2026, 10, 1), done=True),
    ...     PlanStep("b", due=date(2026, 10, 1)),
    ...     PlanStep("c", due=date(2026, 12, 1)),
    ... ]
    >>> p = plan_progress(steps, date(2026, 10, 15))
    >>> p.done, p.open, [s.step for s in p.late]
    (1, 2, ['b'])
    """
    items = list(plan)
    done = sum(s.done for s in items)
    late = tuple(s for s in items if not s.done and s.due is not None and s.due < as_of)
    return PlanProgress(as_of=as_of, done=done, open=len(items) - done, late=late)


#: Statistic of lead time -> the twin's KPI of it (:class:`servops.sim.Kpis`).
_TWIN_KPI = {
    "mean": "mean_cycle_time_s",
    "median": "median_cycle_time_s",
    "p90": "p90_cycle_time_s",
}


@dataclass(frozen=True, slots=True)
class Prediction:
    """The twin's predicted effect beside the measured one.

    ``predicted`` is the scenario minus baseline difference of the twin KPI over
    replications with common random numbers (its 95 % t interval);
    ``predicted_relative`` that difference over the twin's baseline, and
    ``measured_relative`` the measured difference over the before value (a twin whose
    absolute times are off can still predict the relative change). ``covers`` says
    whether the measured interval holds the predicted value; ``None`` when there is no
    prediction (``reason`` says why).
    """

    scenario: str
    twin_kpi: str | None
    model_origin: str
    predicted: Estimate | None
    predicted_relative: float | None
    measured: Interval | None
    measured_relative: float | None
    covers: bool | None
    intervals_overlap: bool | None
    summary: str
    reason: str | None = None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "scenario": self.scenario,
            "twin_kpi": self.twin_kpi,
            "model": self.model_origin,
            "predicted": None if self.predicted is None else self.predicted.to_dict(),
            "predicted_relative": self.predicted_relative,
            "measured": None if self.measured is None else self.measured.to_dict(),
            "measured_relative": self.measured_relative,
            "measured_ci_covers_prediction": self.covers,
            "intervals_overlap": self.intervals_overlap,
            "summary": self.summary,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class EvidencePlan:
    """The days a side the before/after needs to find the expected change, and so far.

    ``plan`` is :func:`~servops.improve.plan_before_after` for the expected change at
    the evaluation's level (``alpha = 1 - level``) and power, on ``baseline``: the
    :func:`~servops.improve.day_baseline` of the project's cases (its segment, its
    window) arriving before the change. ``plan`` and ``baseline`` are ``None`` when the
    metric cannot be planned (no expected change or only its direction, a duration
    statistic other than the mean, too few baseline days, a change the plan refuses);
    ``reason`` says why.

    ``days_before`` and ``days_after`` are the days with a measured case on each side
    of the project's comparison (``before_after``'s periods; ``None`` when it has no
    interval), ``more_days`` the days after the change still needed, ``reached_on``
    the day the after side is expected to hold ``plan.days`` (the days the baseline
    had cases on, counted from the day after the data's end; ``None`` once it holds
    them), ``enough`` whether both sides hold them, and ``window_ends`` the last day
    of the project's window (``None``: no window), after which no day is compared.
    """

    metric: str
    plan: BeforeAfterPlan | None
    baseline: DayBaseline | None
    days_before: int | None
    days_after: int | None
    more_days: int | None
    reached_on: date | None
    enough: bool | None
    window_ends: date | None
    summary: str
    reason: str | None = None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "metric": self.metric,
            "plan": None if self.plan is None else self.plan.to_dict(),
            "baseline": None if self.baseline is None else self.baseline.to_dict(),
            "days_before": self.days_before,
            "days_after": self.days_after,
            "more_days": self.more_days,
            "reached_on": None
            if self.reached_on is None
            else self.reached_on.isoformat(),
            "enough": self.enough,
            "window_ends": None
            if self.window_ends is None
            else self.window_ends.isoformat(),
            "summary": self.summary,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class MetricEvidence:
    """The evidence on one metric of a project.

    ``effect`` is the measured difference (after - before) of the expected statistic
    (the before/after headline when nothing is expected); ``verdict`` says whether its
    interval shows an improvement, a worsening or neither. ``covers_expected`` tells
    whether the interval holds the expected change (``None`` when no change value was
    expected or nothing was measured). ``phases``, ``its`` and ``prediction`` are
    ``None`` when not measurable (``notes`` says why) or not asked for;
    ``evidence_plan`` is ``None`` only when not asked for (its ``plan`` is ``None``,
    with the reason, when the metric cannot be planned).
    """

    metric: str
    expected: Expected | None
    measured: BeforeAfterResult | None
    statistic: str
    effect: Interval | None
    verdict: Verdict
    covers_expected: bool | None
    summary: str
    phases: PhaseComparison | None = None
    its: ItsResult | None = None
    prediction: Prediction | None = None
    evidence_plan: EvidencePlan | None = None
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "metric": self.metric,
            "expected": None if self.expected is None else self.expected.to_dict(),
            "statistic": self.statistic,
            "effect": None if self.effect is None else self.effect.to_dict(),
            "verdict": self.verdict,
            "covers_expected": self.covers_expected,
            "measured": None if self.measured is None else self.measured.to_dict(),
            "phases": None if self.phases is None else self.phases.to_dict(),
            "its": None if self.its is None else self.its.to_dict(),
            "prediction": None
            if self.prediction is None
            else self.prediction.to_dict(),
            "evidence_plan": None
            if self.evidence_plan is None
            else self.evidence_plan.to_dict(),
            "summary": self.summary,
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True)
class ProjectEvaluation:
    """A project with its plan progress, the evidence per metric, and its cost."""

    project: Project
    change_at: datetime
    plan: PlanProgress
    metrics: tuple[MetricEvidence, ...]
    summary: str
    cost: CostSaving | None = None
    notes: tuple[str, ...] = ()

    def evidence(self, metric: str) -> MetricEvidence:
        """The evidence on ``metric``."""
        for m in self.metrics:
            if m.metric == metric:
                return m
        msg = (
            f"project {self.project.id!r} has no metric {metric!r}; it has "
            f"{[m.metric for m in self.metrics]}."
        )
        raise KeyError(msg)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "project": self.project.to_dict(),
            "change_at": self.change_at.isoformat(),
            "plan": self.plan.to_dict(),
            "metrics": [m.to_dict() for m in self.metrics],
            "cost": None if self.cost is None else self.cost.to_dict(),
            "summary": self.summary,
            "notes": list(self.notes),
        }


def _utc(value: date | datetime, zone: str) -> datetime:
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(zone))
    return value.astimezone(UTC)


def _fmt_change(value: float, metric: str) -> str:
    if metric in DURATION_METRICS:
        sign = "\N{MINUS SIGN}" if value < 0 else "+"
        return sign + format_duration(abs(value))
    return f"{100 * value:+.1f} points".replace("-", "\N{MINUS SIGN}")


def _verdict(effect: Interval, metric: str) -> Verdict:
    if not effect.excludes(0.0):
        return "no clear change"
    better = (effect.estimate < 0) == (metric in _LOWER_IS_BETTER)
    return "improved" if better else "worsened"


def _windowed(log: EventLog, moment: datetime, window: timedelta | None) -> EventLog:
    if window is None:
        return log
    from servops.log.filters import time_window

    return time_window(log, moment - window, moment + window, mode="started")


def _prediction(
    exp: Expected,
    log: EventLog,
    moment: datetime,
    window: timedelta | None,
    effect: Interval | None,
    before_value: float | None,
) -> Prediction:
    """Run the twin scenario of ``exp.predicted_by`` and set it beside ``effect``."""
    from servops.sim.discover import discover_model
    from servops.sim.model import load_model
    from servops.sim.replications import compare
    from servops.sim.scenario import apply_scenario, load_scenario

    spec = exp.predicted_by or {}
    scenario = load_scenario(str(spec["scenario"]))
    twin_kpi = _TWIN_KPI.get(exp.statistic) if exp.metric == "lead_time" else None
    if twin_kpi is None:
        reason = (
            f"the twin predicts lead time (its cycle time), not "
            f"{metric_label(exp.metric)}: no prediction to compare."
        )
        return Prediction(
            scenario.name,
            None,
            "",
            None,
            None,
            effect,
            None,
            None,
            None,
            f"Twin scenario {scenario.name!r}: {reason}",
            reason,
        )
    if "model" in spec:
        model = load_model(str(spec["model"]))
        origin = f"model {Path(str(spec['model'])).name}"
    else:
        from servops.log.filters import time_window

        start = None if window is None else moment - window
        model = discover_model(time_window(log, start, moment, mode="started"))
        origin = "discovered from the cases before the change"
    comp = compare(
        model,
        apply_scenario(model, scenario),
        replications=int(str(spec.get("replications", 5))),  # checked when read
        cases=int(str(spec.get("cases", 1000))),
        seed=int(str(spec.get("seed", 0))),
        scenario_name=scenario.name,
    )
    pred = comp.differences()[twin_kpi]
    base = comp.baseline.estimates()[twin_kpi].mean
    rel = pred.mean / base if base > 0 and math.isfinite(pred.mean) else None
    mrel = (
        effect.estimate / before_value
        if effect is not None and before_value is not None and before_value > 0
        else None
    )
    covers = overlap = None
    if effect is not None and math.isfinite(pred.mean):
        covers = effect.low <= pred.mean <= effect.high
        overlap = effect.low <= pred.high and pred.low <= effect.high
    text = (
        f"Twin scenario {scenario.name!r} ({origin}) predicted "
        f"{_fmt_change(pred.mean, exp.metric)} ({exp.statistic}, 95 % CI "
        f"{_fmt_change(pred.low, exp.metric)} to {_fmt_change(pred.high, exp.metric)}"
        + (f", {100 * rel:+.0f} %" if rel is not None else "")
        + ")"
    )
    if effect is not None:
        text += (
            f"; measured {_fmt_change(effect.estimate, exp.metric)} "
            f"({round(100 * effect.level)} % CI {_fmt_change(effect.low, exp.metric)} "
            f"to {_fmt_change(effect.high, exp.metric)}"
            + (f", {100 * mrel:+.0f} %" if mrel is not None else "")
            + "): the measured interval "
            + ("covers" if covers else "does not cover")
            + " the prediction"
        )
    return Prediction(
        scenario=scenario.name,
        twin_kpi=twin_kpi,
        model_origin=origin,
        predicted=pred,
        predicted_relative=rel,
        measured=effect,
        measured_relative=mrel,
        covers=covers,
        intervals_overlap=overlap,
        summary=text.replace("-", "\N{MINUS SIGN}") + ".",
    )


def _reached_on(last: date, more: int, base: DayBaseline) -> date:
    """The ``more``-th day after ``last`` of a weekday the baseline had cases on."""
    shares = base.weekday_shares or (1.0,) * 7
    day, left = last, more
    while left:
        day += timedelta(days=1)
        if shares[day.weekday()] > 0:
            left -= 1
    return day


def _evidence_plan(
    project: Project,
    metric: str,
    log: EventLog,
    ba: BeforeAfterResult,
    moment: datetime,
    config: KpiConfig,
    opts: _Options,
) -> EvidencePlan:
    """Plan the days a side for the expected change of ``metric`` (:class:`EvidencePlan`).

    ``log`` is the project's window; the baseline is its segment's cases before
    ``moment``, as the comparison ``ba`` has them.
    """
    exp = project.expected_for(metric)
    label = metric_label(metric)
    stat = "mean" if exp is None else exp.statistic
    what = f"{stat} {label}" if metric in DURATION_METRICS else label
    what = what[0].upper() + what[1:]
    res = ba.resampling
    days_before = None if res is None else res.periods_before
    days_after = None if res is None else res.periods_after
    ends = (
        None
        if project.window is None
        else (moment + project.window).astimezone(ZoneInfo(config.timezone)).date()
    )
    reason = None
    if exp is None:
        reason = f"no expected change of the {label}: nothing to plan for"
    elif exp.change is None:
        reason = (
            f"the expected effect gives only its direction ({exp.direction}), not its "
            "size: give its 'change' to plan the days"
        )
    elif metric in DURATION_METRICS and exp.statistic != "mean":
        reason = (
            f"the plan counts days for a mean; the expected change is of the "
            f"{exp.statistic}: give a mean change to plan the days"
        )
    base = plan = None
    if exp is not None and exp.change is not None and reason is None:
        try:
            base = day_baseline(
                log, metric, until=moment, config=config, segment=project.segment
            )
            plan = plan_before_after(
                base,
                exp.change,
                alpha=round(1 - opts.level, 12),
                power=opts.power,
                seed=opts.seed,
            )
        except InvalidParameterError as exc:
            reason = str(exc)
            base = None
    if plan is None or base is None:
        return EvidencePlan(
            metric=metric,
            plan=None,
            baseline=None,
            days_before=days_before,
            days_after=days_after,
            more_days=None,
            reached_on=None,
            enough=None,
            window_ends=ends,
            summary=f"{what}: no evidence plan ({reason}).",
            reason=reason,
        )
    d = plan.days
    text = (
        f"{what}: {d} days a side find {_fmt_change(plan.effect, metric)} with power "
        f"{100 * plan.power:.0f} % (target {100 * plan.target_power:.0f} %, alpha "
        f"{plan.alpha:g}, {base.cases_per_day:.1f} cases a day)"
    )
    if days_before is None or days_after is None:
        text += "; days compared so far: n/a (the comparison has no interval)"
        return EvidencePlan(
            metric, plan, base, None, None, None, None, None, ends, text + "."
        )
    more = max(d - days_after, 0)
    last = (opts.data_end or moment).astimezone(ZoneInfo(config.timezone)).date()
    reached = None if more == 0 else _reached_on(last, more, base)
    enough = more == 0 and days_before >= d
    text += f"; {days_after} of {d} days after the change so far" + (
        ": enough"
        if enough
        else f": {more} more days, reached on {reached}"
        if more
        else ""
    )
    if reached is not None and ends is not None and reached > ends:
        text += f", after the project's window ends ({ends}): widen the window"
    if days_before < d:
        text += (
            f"; only {days_before} days before the change ({d} needed a side): widen "
            "the project's window or add older data"
        )
    return EvidencePlan(
        metric=metric,
        plan=plan,
        baseline=base,
        days_before=days_before,
        days_after=days_after,
        more_days=more,
        reached_on=reached,
        enough=enough,
        window_ends=ends,
        summary=text + ".",
    )


def _evidence(
    project: Project,
    metric: str,
    log: EventLog,
    full: EventLog,
    moment: datetime,
    config: KpiConfig,
    opts: _Options,
) -> MetricEvidence:
    exp = project.expected_for(metric)
    statistic = (
        exp.statistic if exp else ("median" if metric in DURATION_METRICS else "rate")
    )
    label = metric_label(metric)
    notes: list[str] = []
    ba = before_after(
        log,
        moment,
        metric,
        segment=project.segment,
        config=config,
        level=opts.level,
        n_resamples=opts.n_resamples,
        seed=opts.seed,
        data_end=opts.data_end,
    )
    phases = its = None
    series = (
        metric_series(
            full,
            metric,
            moment,
            by=opts.by,
            segment=project.segment,
            config=config,
            window=project.window,
        )
        if opts.phases or opts.its
        else None
    )
    if opts.phases:
        try:
            phases = metric_phases(full, metric, moment, by=opts.by, series=series)
        except InvalidParameterError as exc:
            notes.append(f"SPC phases: not measurable: {exc}")
    if opts.its:
        try:
            its = metric_its(
                full,
                metric,
                moment,
                by=opts.by,
                level=opts.level,
                seed=opts.seed,
                series=series,
            )
        except InvalidParameterError as exc:
            notes.append(f"interrupted time series: not measurable: {exc}")
    effect = ba.effects.get(statistic) if ba.effects else None
    planned = (
        _evidence_plan(project, metric, log, ba, moment, config, opts)
        if opts.evidence_plan
        else None
    )
    prediction = None
    if opts.predict and exp is not None and exp.predicted_by is not None:
        before_value = (
            ba.before.stats.get(statistic) if metric in DURATION_METRICS else None
        )
        prediction = _prediction(
            exp, full, moment, project.window, effect, before_value
        )
    if effect is None:
        notes.extend(ba.notes)
        why = ba.not_measurable.get(statistic) or "; ".join(ba.notes) or "no effect"
        what = f"{statistic} {label}" if metric in DURATION_METRICS else label
        return MetricEvidence(
            metric=metric,
            expected=exp,
            measured=ba,
            statistic=statistic,
            effect=None,
            verdict="not measurable",
            covers_expected=None,
            summary=f"{what[0].upper() + what[1:]}: not measurable ({why}).",
            phases=phases,
            its=its,
            prediction=prediction,
            evidence_plan=planned,
            notes=tuple(notes),
        )
    verdict = _verdict(effect, metric)
    covers = None
    what = f"{statistic} {label}" if metric in DURATION_METRICS else label
    text = (
        f"{what[0].upper() + what[1:]}: {verdict} "
        f"({_fmt_change(effect.estimate, metric)}, {round(100 * opts.level)} % CI "
        f"{_fmt_change(effect.low, metric)} to {_fmt_change(effect.high, metric)})"
    )
    if exp is not None and exp.change is not None:
        covers = effect.low <= exp.change <= effect.high
        text += f"; expected {_fmt_change(exp.change, metric)}, " + (
            "within the interval" if covers else "outside the interval"
        )
    elif exp is not None:
        text += f"; expected to go {exp.direction}"
    return MetricEvidence(
        metric=metric,
        expected=exp,
        measured=ba,
        statistic=statistic,
        effect=effect,
        verdict=verdict,
        covers_expected=covers,
        summary=text + ".",
        phases=phases,
        its=its,
        prediction=prediction,
        evidence_plan=planned,
        notes=tuple(notes),
    )


@dataclass(frozen=True, slots=True)
class _Options:
    level: float
    n_resamples: int
    seed: Seed
    by: Literal["day", "week"]
    phases: bool
    its: bool
    predict: bool
    data_end: datetime | None
    evidence_plan: bool
    power: float


def evaluate_projects(
    log: EventLog,
    projects: Iterable[Project] | PathLike,
    *,
    config: KpiConfig | PathLike | None = None,
    cost_model: CostModel | PathLike | None = None,
    as_of: date | None = None,
    by: Literal["day", "week"] = "day",
    phases: bool = True,
    its: bool = True,
    predict: bool = True,
    evidence_plan: bool = True,
    level: float = 0.95,
    power: float = 0.8,
    n_resamples: int = 2000,
    seed: Seed = 0,
) -> tuple[ProjectEvaluation, ...]:
    """Evaluate each improvement project on ``log``.

    Per metric: the before/after comparison (:func:`~servops.improve.before_after`) of
    the cases arriving within the project's ``window`` of the change, the SPC phase
    comparison (:func:`~servops.improve.phases.metric_phases`) and the interrupted
    time series (:func:`~servops.improve.its.metric_its`) of the periods within the
    window, and, where the expected effect names a twin scenario, the prediction
    beside the measured effect. Per project: plan progress and, with a cost model,
    the saving per month (:func:`~servops.improve.cost.cost_saving`).

    Parameters
    ----------
    log
        The event log (a file, a stored log, the live service's, a simulated one).
    projects
        :class:`Project` objects or the path of a projects YAML file.
    config
        KPI config (object, YAML path, or ``None`` to guess).
    cost_model
        A :class:`~servops.improve.cost.CostModel` or its YAML path: adds the saving.
    as_of
        The day plan steps are judged late against (default: the day of the log's
        last event, in the config's zone, so a log gives the same answer every day).
    by
        Periods of the SPC and ITS series (``day``: day-of-week effects in the ITS).
    phases, its, predict
        Compute the SPC phases, the ITS, the twin predictions (the twin runs take
        seconds per scenario).
    evidence_plan
        Plan the days a side each expected change needs (:class:`EvidencePlan`;
        a fraction of a second of CPU per expected change, simulated day series).
    level
        Confidence level of every interval (the twin's are 95 %); the evidence
        plans test at ``alpha = 1 - level``.
    power
        The power the evidence plans aim for.
    n_resamples
        Bootstrap resamples of the before/after comparison.
    seed
        Random seed of the bootstraps and of the evidence plans' simulated series.

    Returns
    -------
    tuple of ProjectEvaluation

    Raises
    ------
    InvalidParameterError
        A segment attribute the log does not have, a change outside the data, or a
        ``power`` outside (0, 1).
    """
    # checked here: a plan's own parameter errors become a metric's reason
    check_interval(power, "power", "evaluate_projects", low=0, high=1)
    items = (
        load_projects(projects)
        if isinstance(projects, str | os.PathLike)
        else tuple(projects)
    )
    cfg = resolve_config(config, log)
    cmodel = (
        None
        if cost_model is None
        else cost_model
        if isinstance(cost_model, CostModel)
        else load_cost_model(cost_model)
    )
    # the whole log's end: a case open in a project's window has waited until it
    last = log.fetchone(f'SELECT max("timestamp") FROM {log.events_sql} AS e')[0]
    if as_of is None:
        as_of = (
            last.astimezone(ZoneInfo(cfg.timezone)).date()
            if last is not None
            else datetime.now(UTC).date()
        )
    opts = _Options(
        level, n_resamples, seed, by, phases, its, predict, last, evidence_plan, power
    )
    out = []
    for p in items:
        moment = _utc(p.at, cfg.timezone)
        sub = _windowed(log, moment, p.window)
        evidence = tuple(
            _evidence(p, m, sub, log, moment, cfg, opts) for m in p.metrics
        )
        progress = plan_progress(p.plan, as_of)
        saving = None
        if cmodel is not None:
            saving = cost_saving(
                sub,
                cmodel,
                moment,
                segment=p.segment,
                config=cfg,
                running_cost_per_month=p.running_cost_per_month,
                level=level,
                n_resamples=n_resamples,
                seed=seed,
            )
        parts = [f"{p.id} {p.title} ({p.status})."]
        for e in evidence:
            parts.append(e.summary)
            if e.phases is not None:
                parts.append(e.phases.summary)
            if e.its is not None:
                parts.append(e.its.summary)
            if e.prediction is not None:
                parts.append(e.prediction.summary)
        if saving is not None:
            parts.append(saving.summary)
        if progress.late:
            parts.append(
                f"{len(progress.late)} plan step(s) late: "
                + "; ".join(
                    f"{s.step} ({s.owner or 'no owner'}, due {s.due})"
                    for s in progress.late
                )
                + "."
            )
        out.append(
            ProjectEvaluation(
                project=p,
                change_at=moment,
                plan=progress,
                metrics=evidence,
                summary=" ".join(parts),
                cost=saving,
            )
        )
    return tuple(out)
