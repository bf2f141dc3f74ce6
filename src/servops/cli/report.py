"""``servops report``: the self-contained HTML report of any log (file or stored name)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from servops.cli._common import (
    JsonOpt,
    KpiConfigOpt,
    ReportLangOpt,
    ReportOpt,
    log_command,
    progress,
    report_lang,
)
from servops.cli._render import emit
from servops.errors import InvalidParameterError

if TYPE_CHECKING:
    from rich.console import Console

    from servops.log import EventLog

__all__ = ["register"]

#: What a section that is left out needs (sections not listed need only the log).
_NEEDS = {
    "blueprint": "a blueprint: --blueprint FILE",
    "feedback": "survey answers: --feedback FILE",
    "staffing": "three weeks of arrivals, and handle times (start times or --aht)",
    "twin": "a simulation model discovered from the log (or --model FILE)",
    "improve": "KPI targets or improvement projects: --targets FILE, --projects FILE",
    "diagnosis": "the KPI section",
    "spc": "enough periods of a KPI",
    "kpi": "cases",
    "process": "cases",
    "overview": "cases",
}


@dataclass(frozen=True, slots=True)
class ReportSummary:
    """What ``servops report`` wrote: the file, the sections, the ones left out."""

    report: str
    log: str
    sections: list[dict[str, str]]
    left_out: list[dict[str, str]]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "report": self.report,
            "log": self.log,
            "sections": self.sections,
            "left_out": self.left_out,
        }


def report(
    log: EventLog,
    output: ReportOpt = Path("servops-report.html"),
    lang: ReportLangOpt = "en",
    title: Annotated[
        str | None, typer.Option("--title", help="Report title.", show_default=False)
    ] = None,
    config: KpiConfigOpt = None,
    blueprint: Annotated[
        Path | None,
        typer.Option(
            "--blueprint",
            help="Service blueprint YAML to draw and overlay.",
            show_default=False,
        ),
    ] = None,
    feedback: Annotated[
        Path | None,
        typer.Option(
            "--feedback",
            help="Survey answers (CSV/Excel) linked to the log's cases.",
            show_default=False,
        ),
    ] = None,
    text_column: Annotated[
        str | None,
        typer.Option(
            "--text-column", "-t", help="Feedback column holding the comment."
        ),
    ] = None,
    score_column: Annotated[
        str | None,
        typer.Option(
            "--score-column", "-s", help="Feedback rating (NPS 0–10 or CSAT 1–5)."
        ),
    ] = None,
    case_column: Annotated[
        str | None,
        typer.Option("--case-column", "-k", help="Feedback column with the case id."),
    ] = None,
    date_column: Annotated[
        str | None,
        typer.Option("--date-column", "-d", help="Feedback column with the date."),
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option(
            "--model",
            help="Simulation model YAML for the twin section (default: discovered).",
            show_default=False,
        ),
    ] = None,
    targets: Annotated[
        Path | None,
        typer.Option(
            "--targets",
            help="KPI targets YAML: their status (servops improve targets).",
            show_default=False,
        ),
    ] = None,
    projects: Annotated[
        Path | None,
        typer.Option(
            "--projects",
            help="Improvement projects YAML: their measured effects.",
            show_default=False,
        ),
    ] = None,
    interval: Annotated[
        str,
        typer.Option("--interval", help="Staffing section: interval, 15m, 30m or 1h."),
    ] = "1h",
    aht: Annotated[
        str | None,
        typer.Option(
            "--aht",
            help="Staffing section: average handle time, e.g. 6m (default: the log's).",
            show_default=False,
        ),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Write the HTML report of a log: process, KPIs, control charts, twin, staffing.

    One self-contained file (no network when viewed), opening with the diagnosis: the
    current state, problems ranked by impact, targets, what-ifs and projects, each
    sentence linked to its evidence (--lang zh for Chinese). Sections that need more
    than the log (a blueprint, survey answers, targets, projects) are added when their
    inputs are given.
    """
    from servops.report.builder import (
        SECTION_MODULES,
        ReportContext,
        build_sections,
        render_sections,
    )

    language = report_lang(lang)
    feedback_opts = (text_column, score_column, case_column, date_column)
    if feedback is None and any(feedback_opts):
        msg = "--text-column, --score-column, --case-column and --date-column need --feedback FILE."
        raise InvalidParameterError(msg)
    from servops.forecast import parse_duration

    step = parse_duration(interval, "--interval")
    if step.total_seconds() not in (900, 1800, 3600):
        msg = (
            f"--interval must be 15m, 30m or 1h (the staffing section plans shifts on "
            f"that grid); got {interval!r}."
        )
        raise InvalidParameterError(msg)
    staffing: dict[str, Any] = {"interval": step}
    if aht is not None:
        staffing["aht_s"] = parse_duration(aht, "--aht").total_seconds()
    extras: dict[str, Any] = {"staffing": staffing}
    from servops.cli.kpi import service_config

    kpi_config = config if config is not None else service_config(log)
    if kpi_config is not None:  # a file, or the live service's state machine roles
        extras["kpi_config"] = kpi_config
    if blueprint is not None:
        extras["blueprint"] = blueprint
    if model is not None:
        extras["sim_model"] = model
    if targets is not None:
        extras["targets"] = targets
    if projects is not None:
        extras["projects"] = projects
    if feedback is not None:
        extras["feedback"] = feedback
        extras["feedback_columns"] = {
            k: v
            for k, v in zip(
                ("text", "score", "case", "date"), feedback_opts, strict=True
            )
            if v
        }
    ctx = ReportContext(
        log=log,
        lang=language,
        title=title or ("服务运营报告" if language == "zh" else "Service report"),
        extras=extras,
    )
    sections = []
    left_out = []
    with progress("building report", con=log.con) as stage:
        for module in SECTION_MODULES:
            key = module.rsplit(".", 1)[-1]
            stage(key)
            built = build_sections(ctx, (module,))
            sections += built
            if not built:
                left_out.append({"section": key, "needs": _NEEDS.get(key, "")})
        output.write_text(render_sections(ctx, sections), encoding="utf-8")
    summary = ReportSummary(
        report=str(output),
        log=log.label,
        sections=[{"id": s.id, "title": s.title} for s in sections],
        left_out=left_out,
    )

    def render(c: Console) -> None:
        c.print(f"Report: [bold]{summary.report}[/]  (open it in a browser)")
        c.print("Sections: " + ", ".join(s["title"] for s in summary.sections))
        for s in summary.left_out:
            c.print(f"[dim]left out: {s['section']} (needs {s['needs']})[/]")

    emit(summary, as_json=json, render=render)


def register(app: typer.Typer) -> None:
    """Add the ``report`` command to ``app``."""
    app.command("report")(log_command(report))
