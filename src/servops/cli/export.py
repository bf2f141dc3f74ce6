"""``servops export``: write a log as Hive-partitioned Parquet (the layout Spark reads)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from servops.cli._common import JsonOpt, log_command, progress
from servops.cli._render import emit, simple_table

if TYPE_CHECKING:
    from rich.console import Console

    from servops.log import EventLog

__all__ = ["register"]


def export(
    log: EventLog,
    parquet: Annotated[
        Path,
        typer.Option(
            "--parquet",
            help="Folder to write: one subfolder per period, plus _servops.json.",
            show_default=False,
        ),
    ],
    partition_by: Annotated[
        str,
        typer.Option(
            "--partition-by",
            help="none, day, month or year of each event's time (in the log's zone).",
        ),
    ] = "month",
    overwrite: Annotated[
        bool,
        typer.Option("--overwrite", help="Replace an earlier export in the folder."),
    ] = False,
    json: JsonOpt = False,
) -> None:
    """Write a log as Hive-partitioned Parquet (by month, day or year) for Spark.

    The events after the filters. The folder reads back as the same log (`servops info DIR`), and Spark, DuckDB or
    any Hive-aware engine reads its files (`event_month=2012-03/part-0.parquet`).
    """
    from servops.log.export import write_parquet
    from servops.log.export_format import as_partition

    with progress("writing Parquet", con=log.con):
        out = write_parquet(
            log,
            parquet,
            partition_by=as_partition(partition_by),
            overwrite=overwrite,
        )

    def render(c: Console) -> None:
        c.print(
            f"Wrote {out.events:,} events of {out.cases:,} cases to {out.path} "
            f"({len(out.files)} file(s), partitioned by "
            f"{out.partition_column or 'nothing'})."
        )
        c.print(
            simple_table(
                "Files",
                ["file"],
                [[f] for f in out.files[:12]]
                + ([["…"]] if len(out.files) > 12 else []),
            )
        )

    emit(out.to_dict(), as_json=json, render=render)


def register(app: typer.Typer) -> None:
    """Add the commands of this module to ``app``."""
    app.command("export")(log_command(export))
