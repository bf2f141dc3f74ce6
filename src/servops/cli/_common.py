"""Shared CLI pieces: the LOG argument with its reading options, and progress display."""

from __future__ import annotations

import functools
import inspect
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from servops.io import ColumnMap
from servops.log import DEFAULT_WORKSPACE, open_log

__all__ = ["DbOpt", "JsonOpt", "log_command", "progress", "read_options"]

F = TypeVar("F", bound=Callable[..., Any])

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
DbOpt = Annotated[
    Path, typer.Option("--db", help="Workspace file holding stored logs.")
]


def _reading_params() -> list[inspect.Parameter]:
    """Options shared by every command that reads a log."""
    kw = inspect.Parameter.KEYWORD_ONLY

    def p(name: str, annotation: Any, default: Any) -> inspect.Parameter:  # noqa: ANN401
        return inspect.Parameter(name, kw, annotation=annotation, default=default)

    return [
        p("log_spec", Annotated[str, typer.Argument(
            metavar="LOG",
            help="A log file (CSV/TSV, XES, Excel, Parquet; gzip ok) or a stored log name.",
            show_default=False)], ...),
        p("db", DbOpt, Path(DEFAULT_WORKSPACE)),
        p("case", Annotated[str | None, typer.Option(
            "--case", help="Column holding the case id.", rich_help_panel="Reading")], None),
        p("activity", Annotated[str | None, typer.Option(
            "--activity", help="Column holding the activity (a+b joins two).",
            rich_help_panel="Reading")], None),
        p("timestamp", Annotated[str | None, typer.Option(
            "--timestamp", help="Column holding the (end) timestamp.",
            rich_help_panel="Reading")], None),
        p("start_timestamp", Annotated[str | None, typer.Option(
            "--start-timestamp", help="Column holding the start timestamp.",
            rich_help_panel="Reading")], None),
        p("resource", Annotated[str | None, typer.Option(
            "--resource", help="Column holding the resource.", rich_help_panel="Reading")],
          None),
        p("lifecycle", Annotated[str | None, typer.Option(
            "--lifecycle", help="Column holding lifecycle transitions (start/complete).",
            rich_help_panel="Reading")], None),
        p("encoding", Annotated[str | None, typer.Option(
            "--encoding", help="Text encoding (utf-8, gb18030, …); detected if omitted.",
            rich_help_panel="Reading")], None),
        p("delimiter", Annotated[str | None, typer.Option(
            "--delimiter", help="CSV delimiter; sniffed if omitted.",
            rich_help_panel="Reading")], None),
        p("dayfirst", Annotated[bool | None, typer.Option(
            "--dayfirst/--monthfirst", help="Read 01-04-2010 as 1 April / 4 January.",
            rich_help_panel="Reading", show_default=False)], None),
        p("timestamp_format", Annotated[str | None, typer.Option(
            "--timestamp-format", help="strptime format, e.g. '%d.%m.%Y %H:%M'.",
            rich_help_panel="Reading")], None),
        p("timezone", Annotated[str, typer.Option(
            "--timezone", help="Zone of timestamps without offset (stored as UTC).",
            rich_help_panel="Reading")], "UTC"),
        p("sheet", Annotated[str, typer.Option(
            "--sheet", help="Excel sheet name or 0-based index.",
            rich_help_panel="Reading")], "0"),
        p("on_bad_rows", Annotated[str, typer.Option(
            "--on-bad-rows", help="error: stop and list bad rows; skip: drop and report them.",
            rich_help_panel="Reading")], "error"),
    ]


_READING = [p.name for p in _reading_params()]


def read_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Turn the CLI reading options into keyword arguments of :func:`servops.read_log`."""
    if kwargs["on_bad_rows"] not in ("error", "skip"):
        msg = f"--on-bad-rows must be 'error' or 'skip'; got {kwargs['on_bad_rows']!r}."
        raise typer.BadParameter(msg)
    sheet: str | int = kwargs["sheet"]
    if isinstance(sheet, str) and sheet.isdigit():
        sheet = int(sheet)
    return {
        "columns": ColumnMap(
            case_id=kwargs["case"], activity=kwargs["activity"],
            timestamp=kwargs["timestamp"], start_timestamp=kwargs["start_timestamp"],
            resource=kwargs["resource"], lifecycle=kwargs["lifecycle"],
        ),
        "encoding": kwargs["encoding"],
        "delimiter": kwargs["delimiter"],
        "dayfirst": kwargs["dayfirst"],
        "timestamp_format": kwargs["timestamp_format"],
        "timezone": kwargs["timezone"],
        "sheet": sheet,
        "on_bad_rows": kwargs["on_bad_rows"],
    }


def log_command(func: F) -> F:
    """Give a command the LOG argument and the reading options; pass it ``log: EventLog``.

    The decorated function's first parameter must be ``log``. LOG is a file (read into
    memory) or the name of a log stored in the ``--db`` workspace.
    """
    sig = inspect.signature(func)
    own = [p for n, p in sig.parameters.items() if n != "log"]
    params = _reading_params()
    positional = [p for p in own if p.default is inspect.Parameter.empty]
    rest = [p for p in own if p.default is not inspect.Parameter.empty]
    new_params = [params[0]] + [
        p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in positional
    ] + [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in rest] + params[1:]

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:  # noqa: ANN401
        reading = {k: kwargs.pop(k) for k in _READING}
        with progress("reading log"):
            log = open_log(reading["log_spec"], db=reading["db"], **read_options(reading))
        return func(log, **kwargs)

    wrapper.__signature__ = sig.replace(parameters=new_params)  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


@contextmanager
def progress(label: str, *, con: Any = None) -> Iterator[Callable[[str], None]]:  # noqa: ANN401
    """Show a progress line on stderr for work that takes more than a second.

    Yields a function that names the current stage. With a DuckDB connection the bar
    follows the running query's own progress.
    """
    if not sys.stderr.isatty():
        yield lambda _stage: None
        return
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                   TimeElapsedColumn(), transient=True, console=None)
    task = bar.add_task(label, total=100)
    stop = threading.Event()
    shown = threading.Event()

    def poll() -> None:
        if stop.wait(1.0):
            return  # finished within a second: show nothing
        bar.start()
        shown.set()
        while not stop.wait(0.2):
            pct = None
            if con is not None:
                try:
                    pct = con.query_progress()
                except Exception:  # progress is cosmetic; never fail the import over it
                    pct = None
            bar.update(task, completed=pct if pct and pct > 0 else None)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield lambda stage: bar.update(task, description=f"{label}: {stage}")
    finally:
        stop.set()
        thread.join()
        if shown.is_set():
            bar.stop()
