"""``servops import``, ``info``, ``logs`` and ``drop``: getting logs in and looking at them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from servops._paths import DEFAULT_WORKSPACE
from servops.cli._common import (
    DbOpt,
    JsonOpt,
    log_command,
    progress,
    with_reading_options,
)
from servops.cli._render import emit, err_console, simple_table

if TYPE_CHECKING:
    from rich.console import Console

    from servops.log.eventlog import EventLog
    from servops.log.load import ReadOptions

__all__ = ["register"]


def info(log: EventLog, json: JsonOpt = False) -> None:
    """Cases, events, activities, resources, variants, time span, lifecycle and attributes."""
    from servops.log.shape import shape_warnings

    result = log.info()
    warnings = shape_warnings(log)

    def render(c: Console) -> None:
        d = result.to_dict()
        rows = [
            [k, d[k]]
            for k in (
                "cases",
                "events",
                "activity_instances",
                "activities",
                "resources",
                "variants",
                "start",
                "end",
                "has_start_times",
                "timezone",
                "source",
            )
        ]
        c.print(simple_table("Log", ["", "value"], rows))
        c.print(
            simple_table(
                "Lifecycle", ["transition", "events"], list(result.lifecycle.items())
            )
        )
        if result.attributes:
            c.print(
                simple_table(
                    "Attributes", ["name", "type"], list(result.attributes.items())
                )
            )
        for n in result.notes:
            c.print(f"[dim]note: {n}[/]")
        for w in warnings:
            c.print(f"[yellow]warning: {w.message}[/]")

    emit(
        {**result.to_dict(), "warnings": [w.to_dict() for w in warnings]},
        as_json=json,
        render=render,
    )


@with_reading_options
def import_(
    source: Annotated[
        Path,
        typer.Argument(
            metavar="LOG", help="The log file to store.", show_default=False
        ),
    ],
    name: Annotated[str, typer.Option("--name", "-n", help="Name to store it under.")],
    read_opts: ReadOptions,
    db: DbOpt = Path(DEFAULT_WORKSPACE),
    replace: Annotated[
        bool, typer.Option("--replace", help="Overwrite a stored log.")
    ] = False,
    json: JsonOpt = False,
) -> None:
    """Store a log in the workspace under a name; later commands take the name.

    The import is all or nothing: if it fails, the workspace is unchanged.
    """
    from servops.log.workspace import Workspace

    with Workspace(db) as ws, progress(f"importing {source.name}", con=ws.con) as stage:
        log, report = ws.import_log(
            source, name, replace=replace, stage=stage, options=read_opts
        )
        cases = log.n_cases()

    def render(c: Console) -> None:
        c.print(
            f"Stored [bold]{name}[/] in {db}: {report.events:,} events, {cases:,} cases."
        )
        for n in report.notes:
            c.print(f"[dim]note: {n}[/]")
        if report.skipped:
            rows = ", ".join(str(r) for r, _ in report.skipped_examples[:20])
            err_console.print(
                f"[yellow]skipped {report.skipped:,} bad row(s)[/]: {rows}"
                f"{' …' if report.skipped > 20 else ''}"
            )

    emit(
        {**report.to_dict(), "name": name, "cases": cases, "db": str(db)},
        as_json=json,
        render=render,
    )


def logs(db: DbOpt = Path(DEFAULT_WORKSPACE), json: JsonOpt = False) -> None:
    """List the logs stored in the workspace."""
    stored = []
    if db.exists():
        from servops.log.workspace import Workspace

        stored = Workspace(db, read_only=True).logs()

    def render(c: Console) -> None:
        if not stored:
            c.print(
                f"No logs stored in {db}. Store one with `servops import FILE --name N`."
            )
            return
        c.print(
            simple_table(
                f"Logs in {db}",
                ["name", "events", "cases", "source", "imported"],
                [
                    [
                        s.name,
                        s.events,
                        s.cases,
                        s.source,
                        s.imported_at.isoformat(timespec="seconds"),
                    ]
                    for s in stored
                ],
            )
        )

    emit([s.to_dict() for s in stored], as_json=json, render=render)


def drop(
    name: Annotated[str, typer.Argument(help="Stored log to remove.")],
    db: DbOpt = Path(DEFAULT_WORKSPACE),
) -> None:
    """Remove a stored log from the workspace."""
    from servops.log.workspace import Workspace

    with Workspace(db) as ws:
        ws.drop(name)
    err_console.print(f"Removed {name} from {db}.")


def register(app: typer.Typer) -> None:
    """Add the commands of this module to ``app``."""
    app.command("import")(import_)
    app.command("info")(log_command(info))
    app.command("logs")(logs)
    app.command("drop")(drop)
