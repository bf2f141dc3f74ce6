"""``servops demo``: generate the service desk, store it, write its data and the report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from servops.demo.generator import REOPEN_CUT, generate_service_desk
from servops.errors import SimulationError
from servops.log import Workspace

if TYPE_CHECKING:
    from collections.abc import Callable

    import pyarrow as pa

    from servops._typing import PathLike

__all__ = ["DemoResult", "run_demo", "write_improvement_files"]

HERE = Path(__file__).parent


@dataclass(frozen=True, slots=True)
class DemoResult:
    """Where the demo put things, and how big the generated log is."""

    report: Path
    db: Path
    log_name: str
    log_csv: Path
    feedback_csv: Path
    targets: Path
    projects: Path
    improved_at: datetime
    cases: int
    events: int
    responses: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "report": str(self.report),
            "db": str(self.db),
            "log_name": self.log_name,
            "log_csv": str(self.log_csv),
            "feedback_csv": str(self.feedback_csv),
            "targets": str(self.targets),
            "projects": str(self.projects),
            "improved_at": self.improved_at.isoformat(),
            "cases": self.cases,
            "events": self.events,
            "responses": self.responses,
        }


def _write_csv(table: Any, path: Path) -> None:  # noqa: ANN401 - a pyarrow Table
    import pyarrow.csv as pacsv

    pacsv.write_csv(table, path)


def _desk_figures(events: pa.Table, improved_at: datetime) -> dict[str, Any]:
    """First and last arrival day, Access share, first-reopen rate before the change."""
    created: dict[str, datetime] = {}
    category: dict[str, str] = {}
    resolved: set[str] = set()
    reopened: set[str] = set()
    for case, act, ts, cat in zip(
        events.column("case_id").to_pylist(),
        events.column("activity").to_pylist(),
        events.column("timestamp").to_pylist(),
        events.column("category").to_pylist(),
        strict=True,
    ):
        category[case] = cat
        if act == "Ticket created":
            created[case] = ts
        elif act == "Resolved":
            resolved.add(case)
        elif act == "Reopened":
            reopened.add(case)
    before = {c for c, t in created.items() if t < improved_at and c in resolved}
    return {
        "first": min(created.values()).date(),
        "last": max(created.values()).date(),
        "access_share": sum(v == "Access" for v in category.values()) / len(category),
        "reopen_before": len(before & reopened) / len(before) if before else 0.0,
    }


def write_improvement_files(
    folder: Path, events: pa.Table, improved_at: datetime
) -> tuple[Path, Path, Path]:
    """Write the demo's targets, its improvement project and the project's twin scenario.

    The project records the change planted in ``events`` (see
    :mod:`servops.demo.generator`): from ``improved_at`` Access tickets get a new
    password-reset procedure that cuts their reopen chance by
    :data:`~servops.demo.generator.REOPEN_CUT` (20 points). It is measured on the whole
    desk, where the expected change is that cut times the Access share of the tickets
    (by construction of the generator), and the twin scenario predicts its effect on
    lead time by lowering the desk's reopen chance after a resolution by as much (the
    twin has no ticket categories). Targets take the days before the change as their
    baseline. Returns the paths of ``targets.yaml``, ``projects.yaml`` and
    ``reopen-scenario.yaml``.
    """
    f = _desk_figures(events, improved_at)
    change_day = improved_at.date()
    deadline = f["last"] + timedelta(weeks=3)
    baseline = f"{{start: {f['first']}, end: {change_day - timedelta(days=1)}}}"
    expected = REOPEN_CUT * f["access_share"]
    p_after = max(0.0, f["reopen_before"] - expected)
    review = f["last"] + timedelta(weeks=1)
    script, train = change_day - timedelta(days=14), change_day - timedelta(days=3)
    targets = f"""\
# KPI targets of the servops demo desk (see docs/improve.md); written by `servops demo`.
targets:
  - name: Access tickets reopened less than 15 %
    objective: Fix it the first time
    perspective: customer
    metric: reopened
    statistic: rate
    segment: {{category: Access}}
    baseline: {baseline}
    target: 15%
    deadline: {deadline}
  - name: SLA attainment 90 %
    objective: Keep our promises
    perspective: customer
    metric: sla_met
    statistic: rate
    baseline: {baseline}
    target: 90%
    deadline: {deadline}
  - name: Median e-mail first response within 1 h
    objective: Answer customers faster
    perspective: internal
    metric: first_response
    statistic: median
    segment: {{channel: email}}
    baseline: {baseline}
    target: 1h
    deadline: {deadline}
"""
    scenario = f"""\
# Twin scenario of project P-01 (servops demo): after a resolution the desk's tickets
# reopen {100 * expected:.1f} points less often ({100 * f["reopen_before"]:.1f} % before
# the change -> {100 * p_after:.1f} %): the Access cut of {100 * REOPEN_CUT:.0f} points
# spread over the Access share of tickets ({100 * f["access_share"]:.1f} %).
name: New password-reset procedure
edits:
  - routing: {{from: Resolved, to: Reopened, p: {p_after:.4f}}}
"""
    projects = f"""\
# The demo's improvement project (PDCA record); written by `servops demo`.
# The change is planted in the generated log: Access tickets created from `at` reopen
# {100 * REOPEN_CUT:.0f} points less often (0.30 -> 0.10). On the whole desk that is
# {100 * REOPEN_CUT:.0f} points x {100 * f["access_share"]:.1f} % Access tickets.
projects:
  - id: P-01
    title: New password-reset procedure
    change: >-
      Access tickets get a guided password reset and a check call before they are
      resolved (the reopen loop in Access was the largest rework problem).
    at: {improved_at.isoformat()}
    metrics: [reopened, lead_time]
    expected:
      - metric: reopened
        statistic: rate
        change: -{100 * expected:.1f}%
      - metric: lead_time
        statistic: mean
        direction: down
        predicted_by: {{scenario: reopen-scenario.yaml}}
    plan:
      - {{step: Write the new reset script, owner: Mei, due: {script}, done: true}}
      - {{step: Train the L1 agents, owner: Jan, due: {train}, done: true}}
      - {{step: Review the reopen rate, owner: Mei, due: {review}}}
    status: check
    window: 4w
"""
    paths = (
        folder / "targets.yaml",
        folder / "projects.yaml",
        folder / "reopen-scenario.yaml",
    )
    for path, text in zip(paths, (targets, projects, scenario), strict=True):
        path.write_text(text, encoding="utf-8")
    return paths


def run_demo(
    *,
    out: PathLike = "servops-report.html",
    db: PathLike = "servops.duckdb",
    data_dir: PathLike = "servops-demo",
    lang: Literal["en", "zh"] = "en",
    cases: int = 3000,
    seed: int = 7,
    stage: Callable[[str], None] | None = None,
) -> DemoResult:
    """Generate the demo service desk, store it as ``demo`` in ``db``, write the report.

    Also writes the log and the survey answers as CSV files in ``data_dir`` so the other
    commands can be tried on them, and the demo's KPI targets and improvement project
    (``targets.yaml``, ``projects.yaml``: the improvement planted half-way, see
    :func:`write_improvement_files`); the report shows both and narrates them.
    """
    say = stage or (lambda _s: None)
    say("generating")
    data = generate_service_desk(cases=cases, seed=seed, improve_at="midway")
    improved_at = data.improved_at
    if improved_at is None:  # generate_service_desk sets it when asked to improve
        msg = "the demo generator did not plant its improvement"
        raise SimulationError(msg)
    folder = Path(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    log_csv, fb_csv = folder / "tickets.csv", folder / "feedback.csv"
    _write_csv(data.events, log_csv)
    _write_csv(data.feedback, fb_csv)
    targets, projects, _ = write_improvement_files(folder, data.events, improved_at)
    say("storing")
    with Workspace(db) as ws:
        log, _ = ws.import_log(data.events, "demo", replace=True)
        log = log.with_meta(source=str(log_csv), name="demo")
        events = log.n_events()
        say("building report")
        from servops.report import build_report

        extras: dict[str, Any] = {
            "feedback": data.feedback,
            "targets": targets,
            "projects": projects,
            "feedback_columns": {
                "text": "comment",
                "score": "score",
                "case": "case_id",
                "date": "submitted_at",
            },
        }
        for key, name in (("kpi_config", "kpi.yaml"), ("blueprint", "blueprint.yaml")):
            if (HERE / name).exists():
                extras[key] = HERE / name
        report = build_report(
            log,
            out,
            lang=lang,
            title="服务台演示报告" if lang == "zh" else "Service desk demo report",
            extras=extras,
        )
    return DemoResult(
        report=Path(report),
        db=Path(db),
        log_name="demo",
        log_csv=log_csv,
        feedback_csv=fb_csv,
        targets=targets,
        projects=projects,
        improved_at=improved_at,
        cases=cases,
        events=events,
        responses=data.feedback.num_rows,
    )
