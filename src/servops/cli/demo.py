"""``servops demo``: a synthetic service desk, stored and reported, in one command."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from servops._paths import DEFAULT_WORKSPACE
from servops.cli._common import (
    DbOpt,
    JsonOpt,
    ReportLangOpt,
    ReportOpt,
    progress,
    report_lang,
)
from servops.cli._render import emit

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["register"]


def demo(
    output: ReportOpt = Path("servops-report.html"),
    lang: ReportLangOpt = "en",
    db: DbOpt = Path(DEFAULT_WORKSPACE),
    data_dir: Annotated[
        Path,
        typer.Option("--data-dir", help="Where to write the demo log and survey CSVs."),
    ] = Path("servops-demo"),
    cases: Annotated[
        int, typer.Option("--cases", help="Number of tickets.", min=10)
    ] = 3000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 7,
    json: JsonOpt = False,
) -> None:
    """Generate a realistic IT service-desk log, store it as `demo`, write the HTML report.

    The log has channels, priorities, a VIP segment and business-hours staffing, and planted
    problems to find: an overloaded second-level team, a reopen loop in Access tickets,
    slow first responses to email, and a new agent who is slower. Half-way, a new
    password-reset procedure cuts the Access reopen chance by 20 points; the demo
    writes its targets and the project's PDCA record next to the log, and the report's
    diagnosis finds, sizes and narrates it (--lang zh for Chinese).
    """
    language = report_lang(lang)
    from servops.demo import run_demo

    with progress("demo") as stage:
        result = run_demo(
            out=output,
            db=db,
            data_dir=data_dir,
            lang=language,
            cases=cases,
            seed=seed,
            stage=stage,
        )

    def render(c: Console) -> None:
        c.print(
            f"Generated {result.cases:,} tickets ({result.events:,} events) and "
            f"{result.responses:,} survey answers."
        )
        c.print(
            f"Stored as [bold]{result.log_name}[/] in {result.db}; data in "
            f"{result.log_csv.parent}/."
        )
        c.print(
            f"Planted improvement: Access reopen chance cut from "
            f"{result.improved_at:%Y-%m-%d %H:%M} UTC; targets and project in "
            f"{result.targets.name}, {result.projects.name}."
        )
        c.print(f"Report: [bold]{result.report}[/]  (open it in a browser)")
        c.print("Next: `servops info demo`, `servops dfg demo`, `servops kpi demo` …")

    emit(result, as_json=json, render=render)


def register(app: typer.Typer) -> None:
    """Add the ``demo`` command to ``app``."""
    app.command("demo")(demo)
