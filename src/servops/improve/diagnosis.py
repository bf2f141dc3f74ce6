"""Diagnosis of a service process: its current state and its problems ranked by impact.

The first two steps of the improvement cycle (现状分析 → 问题识别), computed only from the
functions the report's sections show, so that every figure here is one the linked
section proves:

* **current state**: volumes, lead time, first response and SLA attainment of all cases
  (:func:`servops.kpi.compute_kpis`, the KPI section's headline cards);
* **problems**, each with the figures that are its evidence:

  - *waiting*: the team's waiting before an activity
    (:func:`servops.mining.bottlenecks` with the KPI config's customer side, the process
    section's time profile); customer-side waits (pauses, the auto-close window) are not
    the team's problem and are left out;
  - *rework*: repeated activities (:func:`servops.mining.rework`, the process section's
    rework paragraph);
  - *SLA breach causes*: the Pareto of breach causes
    (:func:`servops.kpi.root_causes`, the KPI section's "why" table and Pareto), with each
    cause's breach rate against the rate of the other cases.

**Impact** is the share of a total that a problem accounts for: for waiting and rework
the share of the lead time of all cases (``hours of that waiting or repeated work / hours
of lead time``, as the process section computes it); for a breach cause the share of all
SLA breaches that the cause first explains in the Pareto (so that breach shares do not
double-count a case). Problems are ranked by impact, largest first; the unit of each
impact is named beside it. Impacts below ``min_impact`` are not listed.

Targets (:func:`servops.improve.target_status`) and improvement projects
(:func:`servops.improve.evaluate_projects`) come with the diagnosis when their files are
given.

**What-if options** (``twin=``) are the twin scenarios of
:func:`servops.improve.whatif.twin_whatifs` (the report's twin section runs the same),
the three that shorten the mean cycle time most, each tied to the highest-ranked
problem it acts on:

* one more person in a pool, or an activity of a pool made faster: waiting before an
  activity done by that pool;
* halving the waits before an activity: waiting before that activity;
* no repeats of an activity: rework.

A discovered twin is checked against the log first; an unfit twin's options are kept
but marked as not to be trusted (``Diagnosis.twin["trusted"]`` false, and a note).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from servops._validation import check_interval
from servops.improve.projects import Project, ProjectEvaluation, evaluate_projects
from servops.improve.targets import Target, TargetStatus, target_status
from servops.improve.whatif import (
    TWIN_CASES,
    TWIN_REPLICATIONS,
    TwinWhatIfs,
    WhatIf,
    twin_whatifs,
)
from servops.kpi.cases import case_metrics, resolve_config
from servops.kpi.causes import root_causes
from servops.kpi.kpis import compute_kpis
from servops.mining.bottlenecks import bottlenecks
from servops.mining.rework import rework

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import datetime

    import pyarrow as pa

    from servops._typing import PathLike
    from servops.kpi.config import KpiConfig
    from servops.log import EventLog
    from servops.sim.model import Model

__all__ = [
    "IMPACT_DEFINITION",
    "CurrentState",
    "Diagnosis",
    "Problem",
    "diagnose",
    "tie_whatifs",
]

#: What "impact" means, in the words the report and the CLI print.
IMPACT_DEFINITION = (
    "Impact is the share of a total that a problem accounts for: for waiting and "
    "rework, the share of the lead time of all cases; for an SLA breach cause, the "
    "share of all breaches it first explains in the Pareto of causes."
)

ProblemKind = Literal["waiting", "rework", "sla_breach"]
ImpactOf = Literal["lead_time", "sla_breaches"]


@dataclass(frozen=True, slots=True)
class CurrentState:
    """Volumes and headline KPIs of all cases (``None`` where not measurable).

    ``unmeasurable`` maps a KPI the config cannot measure to the reason.
    """

    cases: int
    first_arrival: datetime | None
    last_arrival: datetime | None
    open_cases: int
    lead_time_median_s: float | None
    first_response_median_s: float | None
    sla_attainment: float | None
    reopen_rate: float | None
    unmeasurable: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "cases": self.cases,
            "first_arrival": None
            if self.first_arrival is None
            else self.first_arrival.isoformat(),
            "last_arrival": None
            if self.last_arrival is None
            else self.last_arrival.isoformat(),
            "open_cases": self.open_cases,
            "lead_time_median_s": self.lead_time_median_s,
            "first_response_median_s": self.first_response_median_s,
            "sla_attainment": self.sla_attainment,
            "reopen_rate": self.reopen_rate,
            "unmeasurable": dict(self.unmeasurable),
        }


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem, its impact and the figures that are its evidence.

    ``subject`` is the activity (waiting), ``"rework"``, or the cause's label (SLA).
    ``figures`` by kind:

    * waiting: ``team_wait_total_s``, ``waiting_mean_s``, ``frequency``,
      ``lead_time_total_s``;
    * rework: ``cases``, ``cases_with_rework``, ``share_with_rework``,
      ``rework_time_s``, ``mean_duration_with_rework_s``,
      ``mean_duration_without_rework_s``, ``top_activity``;
    * sla_breach: ``cases`` (with the factor), ``rate``, ``rate_without``, ``ratio``
      (``rate / rate_without``, ``None`` when the other cases never breach),
      ``explained`` (breaches first explained), ``breaches`` (all), ``q_value``.

    ``source`` names the servops function the figures come from.
    """

    rank: int
    kind: ProblemKind
    subject: str
    impact: float
    impact_of: ImpactOf
    figures: dict[str, Any]
    source: str

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "rank": self.rank,
            "kind": self.kind,
            "subject": self.subject,
            "impact": self.impact,
            "impact_of": self.impact_of,
            "figures": dict(self.figures),
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """Current state, problems ranked by impact; the targets' status, the projects' effects."""

    state: CurrentState
    problems: tuple[Problem, ...]
    targets: tuple[TargetStatus, ...] = ()
    projects: tuple[ProjectEvaluation, ...] = ()
    impact_definition: str = IMPACT_DEFINITION
    notes: tuple[str, ...] = ()
    whatifs: tuple[WhatIf, ...] = ()
    twin: TwinWhatIfs | None = None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (``twin``: the model, its check and run settings, or null)."""
        twin = None
        if self.twin is not None:
            twin = {k: v for k, v in self.twin.to_dict().items() if k != "options"}
            twin["options_tried"] = len(self.twin.options)
        return {
            "state": self.state.to_dict(),
            "impact_definition": self.impact_definition,
            "problems": [p.to_dict() for p in self.problems],
            "targets": [t.to_dict() for t in self.targets],
            "twin": twin,
            "whatifs": [w.to_dict() for w in self.whatifs],
            "projects": [p.to_dict() for p in self.projects],
            "notes": list(self.notes),
        }


def _state(log: EventLog, cfg: KpiConfig, cases: pa.Table) -> CurrentState:
    total = compute_kpis(log, cfg, by=None, cases=cases).to_pylist()[0]
    arrived = [a for a in cases.column("arrived_at").to_pylist() if a is not None]
    first = min(arrived) if arrived else None
    last = max(arrived) if arrived else None
    unmeasurable = cfg.unmeasurable()

    def measured(key: str) -> float | None:
        v = total.get(key)
        return None if key in unmeasurable or v is None else float(v)

    return CurrentState(
        cases=int(total["cases"]),
        first_arrival=first,
        last_arrival=last,
        open_cases=int(total["backlog"]),
        lead_time_median_s=measured("lead_time_median_s"),
        first_response_median_s=measured("first_response_median_s"),
        sla_attainment=measured("sla_attainment") if cfg.policies else None,
        reopen_rate=measured("reopen_rate"),
        unmeasurable=dict(unmeasurable),
    )


def _waiting(log: EventLog, cfg: KpiConfig) -> list[Problem]:
    bn = bottlenecks(log, customer_side=cfg.customer_side())
    vs = bn.value_stream
    lead_total = vs.lead_time_mean_s * vs.cases
    if lead_total <= 0:
        return []
    return [
        Problem(
            rank=0,
            kind="waiting",
            subject=a.activity,
            impact=a.team_wait_total_s / lead_total,
            impact_of="lead_time",
            figures={
                "team_wait_total_s": a.team_wait_total_s,
                "waiting_mean_s": a.waiting_mean_s,
                "frequency": a.frequency,
                "lead_time_total_s": lead_total,
                "time_basis": bn.time_basis,
            },
            source="servops.mining.bottlenecks",
        )
        for a in bn.activities
        if not a.customer_side and a.team_wait_total_s > 0
    ]


def _rework(log: EventLog) -> list[Problem]:
    rw = rework(log)
    if not rw.share_of_lead_time or not rw.cases_with_rework:
        return []
    top = max(rw.activities, key=lambda a: a.rework_time_s, default=None)
    return [
        Problem(
            rank=0,
            kind="rework",
            subject="rework",
            impact=rw.share_of_lead_time,
            impact_of="lead_time",
            figures={
                "cases": rw.cases,
                "cases_with_rework": rw.cases_with_rework,
                "share_with_rework": rw.share_with_rework,
                "rework_time_s": rw.rework_time_s,
                "mean_duration_with_rework_s": rw.mean_duration_with_rework_s,
                "mean_duration_without_rework_s": rw.mean_duration_without_rework_s,
                "top_activity": None if top is None else top.activity,
            },
            source="servops.mining.rework",
        )
    ]


def _breaches(log: EventLog, cfg: KpiConfig, cases: pa.Table) -> list[Problem]:
    if not cfg.policies:
        return []
    rc = root_causes(log, "sla_breach", cfg, cases=cases)
    factors = {r["label"]: r for r in rc.significant()}
    out = []
    for p in rc.pareto:
        f = factors.get(str(p["cause"]))
        if f is None:  # "(other)": the breaches no significant cause explains
            continue
        rate, without = float(f["rate"]), float(f["rate_without"])
        out.append(
            Problem(
                rank=0,
                kind="sla_breach",
                subject=str(p["cause"]),
                impact=float(p["share"]),
                impact_of="sla_breaches",
                figures={
                    "cases": int(f["cases"]),
                    "rate": rate,
                    "rate_without": without,
                    "ratio": rate / without if without > 0 else None,
                    "explained": int(p["cases"]),
                    "breaches": rc.positives,
                    "q_value": float(f["q_value"]),
                },
                source="servops.kpi.root_causes",
            )
        )
    return out


def _addresses(w: WhatIf, p: Problem, model: Model) -> bool:
    """Whether the what-if ``w`` acts on the problem ``p`` (rules in the module text)."""
    if p.kind == "rework":
        return w.edit == "repeats"
    if p.kind != "waiting":
        return False
    if w.edit == "delay":
        return w.subject == p.subject
    act = model.activities.get(p.subject)
    if act is None or act.pool is None:
        return False
    if w.edit == "staff":
        return act.pool == w.subject
    if w.edit == "duration":
        changed = model.activities.get(w.subject)
        return changed is not None and changed.pool == act.pool
    return False


def tie_whatifs(
    options: Iterable[WhatIf], problems: Iterable[Problem], model: Model
) -> tuple[WhatIf, ...]:
    """Each option with the highest-ranked problem it addresses (if any) named."""
    ranked = sorted(problems, key=lambda p: p.rank)
    out = []
    for w in options:
        hit = next((p for p in ranked if _addresses(w, p, model)), None)
        if hit is None:
            out.append(replace(w, addresses=None, problem_rank=None))
            continue
        what = "rework" if hit.kind == "rework" else f"waiting before {hit.subject}"
        out.append(replace(w, addresses=what, problem_rank=hit.rank))
    return tuple(out)


def _twin_notes(run: TwinWhatIfs) -> list[str]:
    if run.origin == "given":
        return [
            "The twin model given was not checked against this log (servops simulate "
            "MODEL --log-out SIM.csv; servops twin validate LOG SIM.csv)."
        ]
    if run.check is None:
        return ["The discovered twin could not be checked against this log."]
    if run.verdict == "unfit":
        return [
            "The twin discovered from this log is unfit ("
            + "; ".join(run.check.reasons)
            + "): its what-ifs are NOT to be trusted until the model is corrected "
            "(servops twin discover LOG -o model.yaml, edit, then --twin model.yaml)."
        ]
    if run.verdict == "questionable":
        return [
            "The twin discovered from this log is questionable ("
            + "; ".join(run.check.reasons)
            + "): read its what-ifs as directions, not amounts."
        ]
    return []


def diagnose(
    log: EventLog,
    *,
    config: KpiConfig | PathLike | None = None,
    targets: Iterable[Target] | PathLike | None = None,
    projects: Iterable[Project] | PathLike | None = None,
    top: int = 8,
    min_impact: float = 0.01,
    cases: pa.Table | None = None,
    twin: TwinWhatIfs | Model | PathLike | Mapping[str, Any] | bool | None = None,
    twin_cases: int = TWIN_CASES,
    twin_replications: int = TWIN_REPLICATIONS,
) -> Diagnosis:
    """The current state of ``log`` and its problems ranked by impact.

    Parameters
    ----------
    log
        Any event log.
    config
        KPI config (object, YAML path, or ``None`` to guess from activity names).
    targets
        Targets (objects or a YAML path) whose status is reported; none by default.
    projects
        Improvement projects (objects or a YAML path) evaluated by
        :func:`servops.improve.evaluate_projects`; none by default.
    top
        Keep at most this many problems.
    min_impact
        Leave out problems whose impact is below this share.
    cases
        The per-case table of :func:`servops.kpi.case_metrics` for ``config``, when
        already computed (the report passes the KPI section's).
    twin
        What-if options from the twin: ``True`` discovers it from ``log`` (and checks
        it); a model (object, YAML path or mapping) is used as given; a
        :class:`~servops.improve.whatif.TwinWhatIfs` already run is reused (the report
        passes its twin section's). ``None`` or ``False``: no what-ifs.
    twin_cases, twin_replications
        Cases per replication and replications of each what-if run.

    Returns
    -------
    Diagnosis

    Examples
    --------
    The tiny log has no start times and no queue: all its time is (estimated) work,
    so no waiting or rework problem stands out.

    >>> d = diagnose(tiny_log)
    >>> d.state.cases, d.state.lead_time_median_s, d.problems
    (5, 6300.0, ())
    """
    check_interval(top, "top", "diagnose", low=1, closed="left")
    check_interval(min_impact, "min_impact", "diagnose", low=0, high=1, closed="both")
    cfg = resolve_config(config, log)
    table = case_metrics(log, cfg) if cases is None else cases
    state = _state(log, cfg, table)
    found = [*_waiting(log, cfg), *_rework(log), *_breaches(log, cfg, table)]
    found = [p for p in found if math.isfinite(p.impact) and p.impact >= min_impact]
    found.sort(key=lambda p: (-p.impact, p.kind, p.subject))
    problems = tuple(
        Problem(
            rank=i,
            kind=p.kind,
            subject=p.subject,
            impact=p.impact,
            impact_of=p.impact_of,
            figures=p.figures,
            source=p.source,
        )
        for i, p in enumerate(found[:top], 1)
    )
    statuses = () if targets is None else target_status(log, targets, config=cfg)
    evaluations = (
        () if projects is None else evaluate_projects(log, projects, config=cfg)
    )
    notes = list(cfg.notes) if config is None else []
    run: TwinWhatIfs | None = None
    if isinstance(twin, TwinWhatIfs):
        run = twin
    elif twin is not None and twin is not False:
        run = twin_whatifs(
            log,
            None if twin is True else twin,
            cases=twin_cases,
            replications=twin_replications,
        )
    whatifs: tuple[WhatIf, ...] = ()
    if run is not None:
        whatifs = tie_whatifs(run.best(3), problems, run.model)
        notes.extend(_twin_notes(run))
    return Diagnosis(
        state=state,
        problems=problems,
        targets=statuses,
        projects=evaluations,
        notes=tuple(notes),
        whatifs=whatifs,
        twin=run,
    )
