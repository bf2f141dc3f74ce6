"""Shared CLI pieces: the LOG argument with its reading options, and progress display.

Registering a command must stay cheap (``servops --help``, ``servops logs``): this
module and the command modules import DuckDB, pyarrow, numpy and the analysis packages
inside the functions that run a command, never at module level (a test checks it).
"""

from __future__ import annotations

import functools
import inspect
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

import typer

from servops._paths import DEFAULT_WORKSPACE
from servops.errors import InvalidParameterError

if TYPE_CHECKING:
    from servops.log.eventlog import EventLog
    from servops.log.load import ReadOptions

__all__ = [
    "DbOpt",
    "JsonOpt",
    "KpiConfigOpt",
    "ReportLangOpt",
    "ReportOpt",
    "apply_filters",
    "log_command",
    "progress",
    "read_options",
    "report_lang",
]

F = TypeVar("F", bound=Callable[..., Any])

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
DbOpt = Annotated[
    Path, typer.Option("--db", help="Workspace file holding stored logs.")
]
KpiConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="KPI/SLA YAML config (default: guessed from activity names).",
        show_default=False,
    ),
]
ReportOpt = Annotated[
    Path, typer.Option("--output", "-o", help="Report file to write.")
]
ReportLangOpt = Annotated[
    str, typer.Option("--lang", help="Report language: en or zh.")
]


def report_lang(lang: str) -> Literal["en", "zh"]:
    """``lang`` checked as a report language."""
    if lang not in ("en", "zh"):
        msg = f"--lang must be 'en' or 'zh'; got {lang!r}."
        raise InvalidParameterError(msg)
    return "zh" if lang == "zh" else "en"


def _option(
    name: str,
    kind: Any,  # noqa: ANN401 - a type, used in an annotation built at run time
    flag: str,
    help: str,
    default: Any,  # noqa: ANN401
    panel: str,
    **extra: Any,  # noqa: ANN401
) -> inspect.Parameter:
    """A keyword-only parameter for a Typer option (``flag``) shown in ``panel``."""
    option = typer.Option(flag, help=help, rich_help_panel=panel, **extra)
    return inspect.Parameter(
        name,
        inspect.Parameter.KEYWORD_ONLY,
        annotation=Annotated[kind, option],
        default=default,
    )


def reading_parameters() -> list[inspect.Parameter]:
    """Options shared by every command that reads a log."""
    reading = "Reading"
    log_arg = typer.Argument(
        metavar="LOG",
        help="A log file (CSV/TSV, XES, Excel, Parquet; gzip ok), a stored log name, "
        "or a live service's postgresql:// URL (or give --service).",
        show_default=False,
    )
    return [
        inspect.Parameter(
            "log_spec",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[str | None, log_arg],
            default=None,
        ),
        _option(
            "service",
            str | None,
            "--service",
            "Read the live work-order service's events instead of LOG: its database "
            "URL (postgresql://…; `servops service url` prints the embedded one's).",
            None,
            reading,
        ),
        inspect.Parameter(
            "db",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=DbOpt,
            default=Path(DEFAULT_WORKSPACE),
        ),
        *(
            _option(name, str | None, flag, help_, None, reading)
            for name, flag, help_ in (
                ("case", "--case", "Column holding the case id."),
                (
                    "activity",
                    "--activity",
                    "Column holding the activity (a+b joins two).",
                ),
                ("timestamp", "--timestamp", "Column holding the (end) timestamp."),
                (
                    "start_timestamp",
                    "--start-timestamp",
                    "Column holding the start timestamp.",
                ),
                ("resource", "--resource", "Column holding the resource."),
                (
                    "lifecycle",
                    "--lifecycle",
                    "Column holding lifecycle transitions (start/complete).",
                ),
                (
                    "encoding",
                    "--encoding",
                    "Text encoding (utf-8, gb18030, …); detected if omitted.",
                ),
                ("delimiter", "--delimiter", "CSV delimiter; sniffed if omitted."),
                (
                    "cases",
                    "--cases",
                    "Case table to join (CSV/TSV, Excel, Parquet; one row per case): "
                    "its columns become case attributes. Needs --case-key.",
                ),
                (
                    "case_key",
                    "--case-key",
                    "Column of the --cases table holding the case id.",
                ),
            )
        ),
        _option(
            "dayfirst",
            bool | None,
            "--dayfirst/--monthfirst",
            "Read 01-04-2010 as 1 April / 4 January.",
            None,
            reading,
            show_default=False,
        ),
        _option(
            "timestamp_format",
            str | None,
            "--timestamp-format",
            "strptime format, e.g. '%d.%m.%Y %H:%M'.",
            None,
            reading,
        ),
        _option(
            "timezone",
            str,
            "--timezone",
            "Zone of timestamps without offset (stored as UTC).",
            "UTC",
            reading,
        ),
        _option(
            "sheet", str, "--sheet", "Excel sheet name or 0-based index.", "0", reading
        ),
        _option(
            "on_bad_rows",
            str,
            "--on-bad-rows",
            "error: stop and list bad rows; skip: drop and report them.",
            "error",
            reading,
        ),
    ]


READING = [p.name for p in reading_parameters()]


def _filter_params() -> list[inspect.Parameter]:
    """Filter options shared by every command that reads a log (applied in this order)."""
    panel = "Filters"
    activity_lists = (
        (
            "filter_through",
            "--through",
            "Keep cases passing through ACTIVITY (repeat: all of them).",
        ),
        (
            "filter_starts_with",
            "--starts-with",
            "Keep cases starting with ACTIVITY (repeat: any of them).",
        ),
        (
            "filter_ends_with",
            "--ends-with",
            "Keep cases ending with ACTIVITY (repeat: any of them).",
        ),
    )
    return [
        _option(
            "filter_from",
            str | None,
            "--from",
            "Time window start (ISO date/time, UTC if no offset).",
            None,
            panel,
        ),
        _option(
            "filter_to", str | None, "--to", "Time window end (exclusive).", None, panel
        ),
        _option(
            "filter_window",
            str,
            "--window",
            "Which cases the window keeps: contained, intersecting, started, "
            "completed, or trim (events).",
            "contained",
            panel,
        ),
        _option(
            "filter_where",
            list[str] | None,
            "--where",
            "Keep cases with an event where ATTR=VALUE (or drop: ATTR!=VALUE). "
            "Repeat: same attribute = any of the values; different ones = all.",
            None,
            panel,
            metavar="ATTR=VALUE",
        ),
        *(
            _option(
                name, list[str] | None, flag, help_, None, panel, metavar="ACTIVITY"
            )
            for name, flag, help_ in activity_lists
        ),
        _option(
            "filter_min_activity_frequency",
            int | None,
            "--min-activity-frequency",
            "Drop activities with fewer than N instances.",
            None,
            panel,
            metavar="N",
        ),
        _option(
            "filter_variant_top",
            int | None,
            "--variant-top",
            "Keep the cases of the K most frequent variants (applied last).",
            None,
            panel,
            metavar="K",
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


def read_options(kwargs: dict[str, Any]) -> ReadOptions:
    """Turn the CLI reading options into a :class:`~servops.log.read.ReadOptions`."""
    from servops.io.columns import ColumnMap
    from servops.log.load import ReadOptions

    if kwargs["on_bad_rows"] not in ("error", "skip"):
        msg = f"--on-bad-rows must be 'error' or 'skip'; got {kwargs['on_bad_rows']!r}."
        raise typer.BadParameter(msg)
    if (kwargs["cases"] is None) != (kwargs["case_key"] is None):
        msg = "--cases FILE and --case-key COLUMN go together; give both or neither."
        raise typer.BadParameter(msg)
    sheet: str | int = kwargs["sheet"]
    if isinstance(sheet, str) and sheet.isdigit():
        sheet = int(sheet)
    return ReadOptions(
        columns=ColumnMap(
            case_id=kwargs["case"],
            activity=kwargs["activity"],
            timestamp=kwargs["timestamp"],
            start_timestamp=kwargs["start_timestamp"],
            resource=kwargs["resource"],
            lifecycle=kwargs["lifecycle"],
        ),
        encoding=kwargs["encoding"],
        delimiter=kwargs["delimiter"],
        dayfirst=kwargs["dayfirst"],
        timestamp_format=kwargs["timestamp_format"],
        timezone=kwargs["timezone"],
        sheet=sheet,
        on_bad_rows=kwargs["on_bad_rows"],
        cases=kwargs["cases"],
        case_key=kwargs["case_key"],
    )


def _engine_params() -> list[inspect.Parameter]:
    """``--engine`` and ``--spark-master``: which engine runs the analyses."""
    panel = "Engine"
    return [
        _option(
            "engine",
            str,
            "--engine",
            "duckdb (default: the log is read into memory) or spark (Parquet/CSV/"
            "Delta paths or URLs in servops' schema, e.g. a `servops export --parquet` "
            "folder; needs pip install 'servops[spark]' and Java 17).",
            "duckdb",
            panel,
        ),
        _option(
            "spark_master",
            str,
            "--spark-master",
            "Spark master URL for --engine spark: local[N] or spark://host:7077, "
            "yarn, k8s://….",
            "local[2]",
            panel,
        ),
    ]


_ENGINE = [p.name for p in _engine_params()]

#: Reading options that describe a raw file's text; Spark reads servops' schema.
_RAW_ONLY = {
    "encoding": None,
    "delimiter": None,
    "dayfirst": None,
    "timestamp_format": None,
    "cases": None,
    "case_key": None,
    "timezone": "UTC",
    "sheet": "0",
    "on_bad_rows": "error",
    "service": None,
}


def open_cli_log(reading: dict[str, Any], engine: dict[str, Any]) -> EventLog:
    """The log named by the reading options, on the engine ``--engine`` chose.

    ``--engine spark`` reads LOG with Spark (:func:`servops.log.spark.read_spark_log`)
    through a session on ``--spark-master``; ``--case``/``--activity``/… map columns.
    """
    name = engine["engine"]
    if name not in ("duckdb", "spark"):
        msg = f"--engine must be 'duckdb' or 'spark'; got {name!r}."
        raise typer.BadParameter(msg)
    if name == "duckdb":
        if engine["spark_master"] != "local[2]":
            msg = "--spark-master applies to --engine spark only."
            raise typer.BadParameter(msg)
        from servops.sources import open_log

        return open_log(
            log_source(reading), db=reading["db"], options=read_options(reading)
        )
    odd = [k for k, v in _RAW_ONLY.items() if reading.get(k) != v]
    if odd:
        flags = ", ".join("--" + k.replace("_", "-") for k in odd)
        msg = (
            f"{flags}: not with --engine spark, which reads logs in servops' schema "
            "(Parquet/CSV/Delta; a `servops export --parquet` folder). Hint: export "
            "the log with DuckDB first: servops export LOG --parquet DIR."
        )
        raise typer.BadParameter(msg)
    from servops.log.spark import spark_session
    from servops.sources import open_log

    return open_log(
        log_source(reading),
        options=read_options(reading),
        engine="spark",
        spark=spark_session(engine["spark_master"]),
    )


def log_source(reading: dict[str, Any]) -> str:
    """The log to open: ``--service URL`` or LOG (exactly one of them)."""
    spec, service = reading["log_spec"], reading.get("service")
    if (spec is None) == (service is None):
        msg = "give a LOG (file or stored name) or --service URL, not both or neither."
        raise typer.BadParameter(msg)
    return str(service if service is not None else spec)


def command_signature(func: Callable[..., Any], given: str) -> inspect.Signature:
    """``func``'s parameters but ``given`` (which the decorator supplies), types resolved.

    ``from __future__ import annotations`` leaves annotations as strings; typer needs
    the types of the options. The supplied parameter's type (``EventLog``,
    ``ReadOptions``) is left unresolved: the command modules import it for type
    checking only, which keeps registering commands free of DuckDB and pyarrow.
    """
    sig = inspect.signature(func)
    params = []
    for p in sig.parameters.values():
        if p.name == given:
            continue
        ann = p.annotation
        if isinstance(ann, str):
            ann = eval(ann, func.__globals__)  # a module's own annotation text
        params.append(p.replace(annotation=ann))
    return sig.replace(parameters=params, return_annotation=None)


def log_command(func: F) -> F:
    """Give a command the LOG argument and the reading options; pass it ``log: EventLog``.

    The decorated function's first parameter must be ``log``. LOG is a file (read into
    memory) or the name of a log stored in the ``--db`` workspace.
    """
    sig = command_signature(func, "log")
    own = list(sig.parameters.values())
    params = reading_parameters()
    positional = [p for p in own if p.default is inspect.Parameter.empty]
    rest = [p for p in own if p.default is not inspect.Parameter.empty]
    new_params = (
        [params[0]]
        + [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in positional]
        + [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in rest]
        + params[1:]
        + _engine_params()
        + (_filter_params())
    )

    @functools.wraps(func)
    def wrapper(**kwargs: Any) -> Any:  # noqa: ANN401
        reading = {k: kwargs.pop(k) for k in READING}
        engine = {k: kwargs.pop(k) for k in _ENGINE}
        filtering = {k: kwargs.pop(k) for k in _FILTERS}
        with progress("reading log"):
            log = open_cli_log(reading, engine)
        return func(apply_filters(log, filtering), **kwargs)

    wrapper.__signature__ = sig.replace(parameters=new_params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in new_params}
    return wrapper  # type: ignore[return-value]


def with_reading_options(func: F) -> F:
    """Give a command that reads a file itself the reading options (not LOG or --db).

    The decorated function takes ``read_opts``: the :class:`~servops.log.read.ReadOptions`
    built from the options (see :func:`read_options`).
    """
    sig = command_signature(func, "read_opts")
    own = list(sig.parameters.values())
    shared = [
        p for p in reading_parameters() if p.name not in ("log_spec", "db", "service")
    ]
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
    new_params = [*positional, *rest, *shared]
    wrapper.__signature__ = sig.replace(parameters=new_params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in new_params}
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
