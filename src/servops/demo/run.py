"""``servops demo``: generate the service desk, store it, write its data and the report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from servops.demo.generator import generate_service_desk
from servops.log import Workspace

if TYPE_CHECKING:
    from collections.abc import Callable

    from servops._typing import PathLike

__all__ = ["DemoResult", "run_demo"]

HERE = Path(__file__).parent


@dataclass(frozen=True, slots=True)
class DemoResult:
    """Where the demo put things, and how big the generated log is."""

    report: Path
    db: Path
    log_name: str
    log_csv: Path
    feedback_csv: Path
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
            "cases": self.cases,
            "events": self.events,
            "responses": self.responses,
        }


def _write_csv(table: Any, path: Path) -> None:  # noqa: ANN401 - a pyarrow Table
    import pyarrow.csv as pacsv

    pacsv.write_csv(table, path)


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
    commands can be tried on them.
    """
    say = stage or (lambda _s: None)
    say("generating")
    data = generate_service_desk(cases=cases, seed=seed)
    folder = Path(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    log_csv, fb_csv = folder / "tickets.csv", folder / "feedback.csv"
    _write_csv(data.events, log_csv)
    _write_csv(data.feedback, fb_csv)
    say("storing")
    with Workspace(db) as ws:
        log, _ = ws.import_log(data.events, "demo", replace=True)
        log = log.with_meta(source=str(log_csv), name="demo")
        events = log.n_events()
        say("building report")
        from servops.report import build_report

        extras: dict[str, Any] = {
            "feedback": data.feedback,
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
        cases=cases,
        events=events,
        responses=data.feedback.num_rows,
    )
