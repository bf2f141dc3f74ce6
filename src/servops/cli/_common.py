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

from servops.errors import InvalidParameterError
from servops.io import ColumnMap
from servops.log import DEFAULT_WORKSPACE, EventLog, open_log

__all__ = [
    "DbOpt",
    "JsonOpt",
    "apply_filters",
    "log_command",
    "progress",
    "read_options",
]

F = TypeVar("F", bound=Callable[..., Any])

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
DbOpt = Annotated[
    Path, typer.Option("--db", help="Workspace file holding stored logs.")
]


def reading_parameters() -> list[inspect.Parameter]:
    """Options shared by every command that reads a log."""
    kw = inspect.Parameter.KEYWORD_ONLY

    def p(name: str, annotation: Any, default: Any) -> inspect.Parameter:  # noqa: ANN401
        return inspect.Parameter(name, kw, annotation=annotation, default=default)

    return [
        p(
            "log_spec",
            Annotated[
                str,
                typer.Argument(
                    metavar="LOG",
                    help="A log file (CSV/TSV, XES, Excel, Parquet; gzip ok) or a stored log name.",
                    show_default=False,
                ),
            ],
            ...,
        ),
        p("db", DbOpt, Path(DEFAULT_WORKSPACE)),
        p(
            "case",
            Annotated[
                str | None,
                typer.Option(
                    "--case",
                    help="Column holding the case id.",
                    rich_help_panel="Reading",
                ),
            ],
            None,
        ),
        p(
            "activity",
            Annotated[
                str | None,
                typer.Option(
                    "--activity",
                    help="Column holding the activity (a+b joins two).",
                    rich_help_panel="Reading",
                ),
            ],
            None,
        ),
        p(
            "timestamp",
            Annotated[
                str | None,
                typer.Option(
                    "--timestamp",
                    help="Column holding the (end) timestamp.",
                    rich_help_panel="Reading",
                ),
            ],
            None,
        ),
        p(
            "start_timestamp",
            Annotated[
                str | None,
                typer.Option(
                    "--start-timestamp",
                    help="Column holding the start timestamp.",
                    rich_help_panel="Reading",
                ),
            ],
            None,
        ),
        p(
            "resource",
            Annotated[
                str | None,
                typer.Option(
                    "--resource",
                    help="Column holding the resource.",
                    rich_help_panel="Reading",
                ),
            ],
            None,
        ),
        p(
            "lifecycle",
            Annotated[
                str | None,
                typer.Option(
                    "--lifecycle",
                    help="Column holding lifecycle transitions (start/complete).",
                    rich_help_panel="Reading",
                ),
            ],
            None,
        ),
        p(
            "encoding",
            Annotated[
                str | None,
                typer.Option(
                    "--encoding",
                    help="Text encoding (utf-8, gb18030, …); detected if omitted.",
                    rich_help_panel="Reading",
                ),
            ],
            None,
        ),
        p(
            "delimiter",
            Annotated[
                str | None,
                typer.Option(
                    "--delimiter",
                    help="CSV delimiter; sniffed if omitted.",
                    rich_help_panel="Reading",
                ),
            ],
            None,
        ),
        p(
            "dayfirst",
            Annotated[
                bool | None,
                typer.Option(
                    "--dayfirst/--monthfirst",
                    help="Read 01-04-2010 as 1 April / 4 January.",
                    rich_help_panel="Reading",
                    show_default=False,
                ),
            ],
            None,
        ),
        p(
            "timestamp_format",
            Annotated[
                str | None,
                typer.Option(
                    "--timestamp-format",
                    help="strptime format, e.g. '%d.%m.%Y %H:%M'.",
                    rich_help_panel="Reading",
                ),
            ],
            None,
        ),
        p(
            "timezone",
            Annotated[
                str,
                typer.Option(
                    "--timezone",
                    help="Zone of timestamps without offset (stored as UTC).",
                    rich_help_panel="Reading",
                ),
            ],
            "UTC",
        ),
        p(
            "sheet",
            Annotated[
                str,
                typer.Option(
                    "--sheet",
                    help="Excel sheet name or 0-based index.",
                    rich_help_panel="Reading",
                ),
            ],
            "0",
        ),
        p(
            "on_bad_rows",
            Annotated[
                str,
                typer.Option(
                    "--on-bad-rows",
                    help="error: stop and list bad rows; skip: drop and report them.",
                    rich_help_panel="Reading",
                ),
            ],
            "error",
        ),
    ]


READING = [p.name for p in reading_parameters()]


def _filter_params() -> list[inspect.Parameter]:
    """Filter options shared by every command that reads a log (applied in this order)."""
    kw = inspect.Parameter.KEYWORD_ONLY
    panel = "Filters"

    def p(name: str, annotation: Any, default: Any) -> inspect.Parameter:  # noqa: ANN401
        return inspect.Parameter(name, kw, annotation=annotation, default=default)

    return [
        p(
            "filter_from",
            Annotated[
                str | None,
                typer.Option(
                    "--from",
                    help="Time window start (ISO date/time, UTC if no offset).",
                    rich_help_panel=panel,
                ),
            ],
            None,
        ),
        p(
            "filter_to",
            Annotated[
                str | None,
                typer.Option(
                    "--to", help="Time window end (exclusive).", rich_help_panel=panel
                ),
            ],
            None,
        ),
        p(
            "filter_window",
            Annotated[
                str,
                typer.Option(
                    "--window",
                    help="Which cases the window keeps: contained, intersecting, "
                    "started, completed, or trim (events).",
                    rich_help_panel=panel,
                ),
            ],
            "contained",
        ),
        p(
            "filter_where",
            Annotated[
                list[str] | None,
                typer.Option(
                    "--where",
                    metavar="ATTR=VALUE",
                    help="Keep cases with an event where ATTR=VALUE (or drop: ATTR!=VALUE). "
                    "Repeat: same attribute = any of the values; different ones = all.",
                    rich_help_panel=panel,
                ),
            ],
            None,
        ),
        p(
            "filter_through",
            Annotated[
                list[str] | None,
                typer.Option(
                    "--through",
                    metavar="ACTIVITY",
                    help="Keep cases passing through ACTIVITY (repeat: all of them).",
                    rich_help_panel=panel,
                ),
            ],
            None,
        ),
        p(
            "filter_starts_with",
            Annotated[
                list[str] | None,
                typer.Option(
                    "--starts-with",
                    metavar="ACTIVITY",
                    help="Keep cases starting with ACTIVITY (repeat: any of them).",
                    rich_help_panel=panel,
                ),
            ],
            None,
        ),
        p(
            "filter_ends_with",
            Annotated[
                list[str] | None,
                typer.Option(
                    "--ends-with",
                    metavar="ACTIVITY",
                    help="Keep cases ending with ACTIVITY (repeat: any of them).",
                    rich_help_panel=panel,
                ),
            ],
            None,
        ),
        p(
            "filter_min_activity_frequency",
            Annotated[
                int | None,
                typer.Option(
                    "--min-activity-frequency",
                    metavar="N",
                    help="Drop activities with fewer than N instances.",
                    rich_help_panel=panel,
                ),
            ],
            None,
        ),
        p(
            "filter_variant_top",
            Annotated[
                int | None,
                typer.Option(
                    "--variant-top",
                    metavar="K",
                    help="Keep the cases of the K most frequent "
                    "variants (applied last).",
                    rich_help_panel=panel,
                ),
            ],
            None,
        ),
    ]


_FILTERS = [p.name for p in _filter_params()]


def apply_filters(log: EventLog, opts: dict[str, Any]) -> EventLog:
    """Apply the CLI filter options (``filter_*`` keys) to ``log``, in a fixed order.

    Time window, attribute values, through, starts with, ends with, minimum activity
    frequency, then top variants.
    """
    from servops.log import filters

    out = log
    if opts.get("filter_from") or opts.get("filter_to"):
        out = filters.time_window(
            out,
            opts.get("filter_from"),
            opts.get("filter_to"),
            mode=opts.get("filter_window") or "contained",
        )
    groups: dict[tuple[str, bool], list[str]] = {}
    for spec in opts.get("filter_where") or []:
        attr, sep, value = spec.partition("=")
        keep = not attr.endswith("!")
        attr = attr.rstrip("!").strip()
        if not sep or not attr:
            msg = f"--where takes ATTR=VALUE or ATTR!=VALUE; got {spec!r}."
            raise InvalidParameterError(msg)
        groups.setdefault((attr, keep), []).append(value)
    for (attr, keep), values in groups.items():
        out = filters.attribute_values(out, attr, values, keep=keep)
    if opts.get("filter_through"):
        out = filters.through_activity(out, opts["filter_through"])
    if opts.get("filter_starts_with"):
        out = filters.starts_with(out, opts["filter_starts_with"])
    if opts.get("filter_ends_with"):
        out = filters.ends_with(out, opts["filter_ends_with"])
    if opts.get("filter_min_activity_frequency") is not None:
        out = filters.min_activity_frequency(out, opts["filter_min_activity_frequency"])
    if opts.get("filter_variant_top") is not None:
        out = filters.top_variants(out, opts["filter_variant_top"])
    return out


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
            case_id=kwargs["case"],
            activity=kwargs["activity"],
            timestamp=kwargs["timestamp"],
            start_timestamp=kwargs["start_timestamp"],
            resource=kwargs["resource"],
            lifecycle=kwargs["lifecycle"],
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
    sig = inspect.signature(func, eval_str=True)  # resolve `from __future__` strings
    own = [p for n, p in sig.parameters.items() if n != "log"]
    params = reading_parameters()
    positional = [p for p in own if p.default is inspect.Parameter.empty]
    rest = [p for p in own if p.default is not inspect.Parameter.empty]
    new_params = (
        [params[0]]
        + [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in positional]
        + [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in rest]
        + params[1:]
        + (_filter_params())
    )

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:  # noqa: ANN401
        reading = {k: kwargs.pop(k) for k in READING}
        filtering = {k: kwargs.pop(k) for k in _FILTERS}
        with progress("reading log"):
            log = open_log(
                reading["log_spec"], db=reading["db"], **read_options(reading)
            )
        return func(apply_filters(log, filtering), **kwargs)

    wrapper.__signature__ = sig.replace(parameters=new_params)  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def with_reading_options(func: F) -> F:
    """Give a command that reads a file itself the reading options (not LOG or --db).

    The decorated function takes ``read_opts``: keyword arguments for
    :func:`servops.read_log` built from the options (see :func:`read_options`).
    """
    sig = inspect.signature(func, eval_str=True)
    own = [p for n, p in sig.parameters.items() if n != "read_opts"]
    shared = [p for p in reading_parameters() if p.name not in ("log_spec", "db")]
    names = [p.name for p in shared]

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:  # noqa: ANN401
        reading = {k: kwargs.pop(k) for k in names}
        return func(read_opts=read_options(reading), **kwargs)

    kw = inspect.Parameter.KEYWORD_ONLY
    params = [
        p.replace(kind=kw) if p.default is not inspect.Parameter.empty else p
        for p in own
    ]
    positional = [p for p in params if p.default is inspect.Parameter.empty]
    rest = [p for p in params if p.default is not inspect.Parameter.empty]
    wrapper.__signature__ = sig.replace(parameters=[*positional, *rest, *shared])  # type: ignore[attr-defined]
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
    from rich.progress import (
        BarColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        transient=True,
        console=None,
    )
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
