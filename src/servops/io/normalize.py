"""Plan the projection of a raw source onto the canonical event-log columns.

The plan is one SQL ``SELECT`` (run by the caller into the log's table) that yields::

    case_id VARCHAR, activity VARCHAR, timestamp TIMESTAMPTZ, start_timestamp TIMESTAMPTZ,
    resource VARCHAR, lifecycle VARCHAR, __row BIGINT, <attributes…>, __bad VARCHAR

plus ``__row``, each row's 1-based position in the source: ``file_row_number`` for
Parquet, a numbered column for Arrow tables, and for CSV NULL here, numbered by the caller
from the stored table's insertion order (``rowid``). That order is the file's because the
projection is a single-source ``SELECT`` with no join: DuckDB guarantees the scan order
through those into ``CREATE TABLE AS`` (an ``IN`` list is planned as a join, which does
not keep it: hence the ``contains`` tests for missing markers). ``__bad`` is NULL for a good
row and otherwise ``problem`` or ``problem|raw value``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from servops.errors import LogSchemaError
from servops.io.columns import (
    CANONICAL_FIELDS,
    ENABLED_NAMES,
    ColumnMap,
    fold_name,
    guess_columns,
)
from servops.io.timestamps import TimestampFormat, detect_format, parse_expression

if TYPE_CHECKING:
    import duckdb

    from servops.io.raw import RawSource

__all__ = [
    "DEFAULT_NA_VALUES",
    "XES_TRANSITIONS",
    "ImportOptions",
    "ImportPlan",
    "plan_import",
    "quote",
]

#: Strings read as missing. ``NA`` is deliberately absent: it is a real case id in Sepsis.
DEFAULT_NA_VALUES = (
    "",
    "?",
    "NULL",
    "null",
    "None",
    "NaN",
    "nan",
    "N/A",
    "n/a",
    "#N/A",
)

#: Standard XES lifecycle transitions (IEEE 1849), lower case.
XES_TRANSITIONS = frozenset(
    {
        "schedule",
        "assign",
        "withdraw",
        "reassign",
        "start",
        "suspend",
        "resume",
        "pi_abort",
        "ate_abort",
        "complete",
        "autoskip",
        "manualskip",
        "unknown",
    }
)
#: The optional enablement column's canonical name (:mod:`servops.log.schema`).
ENABLED = ENABLED_NAMES[0]
_RESERVED = {*CANONICAL_FIELDS, "event_index", "__bad", "__row", "ordinality"}
_SAMPLE_ROWS = 20_000


def quote(name: str) -> str:
    """Quote an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """How to read a source: column map, time zone, date order, missing markers."""

    columns: ColumnMap = field(default_factory=ColumnMap)
    timezone: str = "UTC"
    dayfirst: bool | None = None
    timestamp_format: str | None = None
    na_values: tuple[str, ...] = DEFAULT_NA_VALUES


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """What an import will do: the resolved map, formats, notes and the SQL."""

    select_sql: str
    columns: ColumnMap
    guessed: tuple[str, ...]
    timestamp_format: TimestampFormat
    start_format: TimestampFormat | None
    #: ``xes`` (lifecycle transitions, lower-cased; checked after loading), ``attribute``
    #: (the lifecycle column holds other values and is kept as an attribute) or ``none``
    lifecycle_mode: str
    attributes: dict[str, str]
    notes: tuple[str, ...]


def _na(expr: str, typ: str, na: tuple[str, ...], *, exact_read: bool = False) -> str:
    """``expr`` with the missing-value markers ``na`` (spaces around them allowed) NULL.

    With ``exact_read`` the reader has already made exact markers NULL, so only values
    with a leading or trailing space are compared again, trimmed. The comparison is a
    substring test on the joined markers: DuckDB plans ``IN`` (and ``list_contains``)
    over constants as a join, which trims every value, guard or not.
    """
    if typ != "VARCHAR" or not na:
        return expr
    sep = next(
        c for c in ("\x1f", "\x1e", "\x1d", "\x00") if not any(c in v for v in na)
    )
    joined = _lit(sep + sep.join(na) + sep)

    def member(x: str) -> str:
        return f"contains({joined}, {_lit(sep)} || {x} || {_lit(sep)})"

    padded = f"({expr} LIKE ' %' OR {expr} LIKE '% ') AND {member(f'trim({expr})')}"
    test = padded if exact_read else f"{member(expr)} OR ({padded})"
    return f"CASE WHEN {test} THEN NULL ELSE {expr} END"


def _resolve(
    raw: RawSource, given: ColumnMap
) -> tuple[ColumnMap, list[str], dict[str, str]]:
    """Resolve the map; composite activity ``a+b`` is returned as an SQL expression."""
    cmap, guessed = guess_columns(raw.columns, given)
    exprs: dict[str, str] = {}
    for fld, col in cmap.as_dict().items():
        if col is None:
            continue
        if col in raw.columns:
            exprs[fld] = quote(col)
            continue
        parts = col.split("+")
        if (
            fld == "activity"
            and len(parts) > 1
            and all(p in raw.columns for p in parts)
        ):
            exprs[fld] = " || '+' || ".join(f"coalesce({quote(p)}, '')" for p in parts)
            continue
        msg = (
            f"{raw.label}: column {col!r} (mapped to `{fld}`) is not in the file. "
            f"Available columns: {raw.columns}. Hint: pass the right name with "
            f"--{'case' if fld == 'case_id' else fld.replace('_', '-')}."
        )
        raise LogSchemaError(msg)
    missing = [f for f in ("case_id", "activity", "timestamp") if f not in exprs]
    if missing:
        flag = {
            "case_id": "--case",
            "activity": "--activity",
            "timestamp": "--timestamp",
        }
        flags = " ".join(f"{flag[f]} COLUMN" for f in missing)
        msg = (
            f"{raw.label}: cannot tell which column holds {', '.join(f'`{m}`' for m in missing)}"
            f" (no column has a known name). Available columns: {raw.columns}. "
            f"Hint: name it with {flags}."
        )
        raise LogSchemaError(msg)
    return cmap, guessed, exprs


def _detect(
    con: duckdb.DuckDBPyConnection,
    raw: RawSource,
    expr: str,
    col: str,
    opts: ImportOptions,
) -> TimestampFormat:
    typ = raw.types.get(col, "VARCHAR")
    if typ.startswith("TIMESTAMP") or typ == "DATE":
        return TimestampFormat("native")
    if typ in ("BIGINT", "INTEGER", "DOUBLE", "FLOAT", "HUGEINT", "DECIMAL"):
        sample = [
            str(r[0])
            for r in con.execute(
                f"SELECT CAST({expr} AS VARCHAR) FROM {raw.from_sql} "
                f"WHERE {expr} IS NOT NULL LIMIT 200"
            ).fetchall()
        ]
    else:
        nav = _na(expr, "VARCHAR", opts.na_values)
        sample = [
            str(r[0]).strip()
            for r in con.execute(
                f"SELECT DISTINCT v FROM (SELECT {nav} AS v FROM {raw.from_sql} "
                f"LIMIT {_SAMPLE_ROWS}) WHERE v IS NOT NULL LIMIT 2000"
            ).fetchall()
        ]
    fmt = detect_format(sample, dayfirst=opts.dayfirst, pattern=opts.timestamp_format)
    if fmt is None:
        examples = sample[:5]
        msg = (
            f"{raw.label}: column {col!r} (mapped to `timestamp`) has values in no known "
            f"date format, e.g. {examples}. Hint: give the format with "
            f"--timestamp-format (strptime, e.g. '%d.%m.%Y %H:%M'), or --dayfirst."
        )
        raise LogSchemaError(msg)
    return fmt


def _attribute_name(column: str, taken: set[str]) -> str:
    """Name for a source column kept as an attribute, clear of canonical names."""
    name = column if column.lower() not in _RESERVED else f"attr:{column}"
    while name in taken:
        name = f"attr:{name}"
    return name


def _enabled_source(
    con: duckdb.DuckDBPyConnection,
    raw: RawSource,
    attr_cols: list[str],
    opts: ImportOptions,
) -> tuple[str, TimestampFormat] | None:
    """The column holding enablement times (:data:`ENABLED_NAMES`) and its format.

    ``None`` when no column has such a name or its values are in no date format (it
    is then kept as an ordinary attribute).
    """
    wanted = {fold_name(n) for n in ENABLED_NAMES}
    names = [c for c in attr_cols if fold_name(c) in wanted]
    if not names:
        return None
    col = next((c for c in names if c == ENABLED), names[0])
    try:
        return col, _detect(con, raw, quote(col), col, opts)
    except LogSchemaError:
        return None


def _odd_lifecycles(
    con: duckdb.DuckDBPyConnection,
    raw: RawSource,
    expr: str,
    known: tuple[str, ...],
) -> tuple[str, ...]:
    """Values of the lifecycle column that are not XES transitions, as written.

    Looked for in a sample, or, given ``known`` (lower-cased values found after
    loading), a few of those in the source.
    """
    if known:
        wanted = ", ".join(_lit(v) for v in known[:20])
        sql = (
            f"SELECT DISTINCT v FROM (SELECT {expr} AS v FROM {raw.from_sql} "
            f"WHERE lower({expr}) IN ({wanted}) LIMIT 20)"
        )
    else:
        sql = (
            f"SELECT DISTINCT v FROM (SELECT {expr} AS v FROM {raw.from_sql} "
            f"LIMIT {_SAMPLE_ROWS}) WHERE v IS NOT NULL LIMIT 1000"
        )
    found = [str(v) for (v,) in con.execute(sql).fetchall()]
    odd = tuple(v for v in found if v.lower() not in XES_TRANSITIONS)
    return odd or known


def plan_import(
    con: duckdb.DuckDBPyConnection,
    raw: RawSource,
    opts: ImportOptions,
    *,
    lifecycle_odd: tuple[str, ...] = (),
) -> ImportPlan:
    """Resolve columns and timestamp formats, and build the projection SQL.

    Only a sample of the source is read here. Whether the lifecycle column holds XES
    transitions is decided on the sample, or by ``lifecycle_odd`` (values known not to
    be transitions); the loaded table is checked. Which text attributes are numbers is
    settled on the loaded table, column by column, so the source is scanned once.
    """
    cmap, guessed, exprs = _resolve(raw, opts.columns)
    notes = list(raw.notes)
    exact_read = raw.with_nulls is not None and bool(opts.na_values)
    if raw.with_nulls is not None and opts.na_values:
        raw = dataclasses.replace(
            raw, from_sql=raw.with_nulls(raw.from_sql, opts.na_values)
        )

    def na(expr: str, typ: str) -> str:
        return _na(expr, typ, opts.na_values, exact_read=exact_read)

    src_cols = {v for v in cmap.as_dict().values() if v and v in raw.columns}

    ts_col = cmap.timestamp or ""
    ts_fmt = _detect(con, raw, exprs["timestamp"], ts_col, opts)
    if ts_fmt.note:
        notes.append(ts_fmt.note)
    start_fmt = None
    if "start_timestamp" in exprs:
        start_fmt = _detect(
            con, raw, exprs["start_timestamp"], cmap.start_timestamp or "", opts
        )

    def key(fld: str) -> str:
        col = getattr(cmap, fld)
        typ = raw.types.get(col, "VARCHAR") if col in raw.columns else "VARCHAR"
        return na(
            f"CAST({exprs[fld]} AS VARCHAR)", "VARCHAR" if typ == "VARCHAR" else typ
        )

    case_sql = key("case_id")
    act_sql = key("activity")
    ts_in = na(exprs["timestamp"], raw.types.get(ts_col, "VARCHAR"))
    ts_sql = parse_expression(ts_in, ts_fmt, opts.timezone)
    start_sql = "CAST(NULL AS TIMESTAMPTZ)"
    start_in = ""
    if start_fmt is not None:
        scol = cmap.start_timestamp or ""
        start_in = na(exprs["start_timestamp"], raw.types.get(scol, "VARCHAR"))
        start_sql = parse_expression(start_in, start_fmt, opts.timezone)
    res_sql = key("resource") if "resource" in exprs else "CAST(NULL AS VARCHAR)"

    # Attributes: every other column (typed after loading when all values are numbers).
    attr_cols = [c for c in raw.columns if c not in src_cols]
    attr_types: dict[str, str] = {}
    attr_select = []

    enabled_src = _enabled_source(con, raw, attr_cols, opts)
    for c in attr_cols:
        typ = raw.types.get(c, "VARCHAR")
        out = _attribute_name(c, set())
        if out != c:
            notes.append(
                f"attribute {c!r} renamed {out!r} (clashes with a canonical name)"
            )
        if enabled_src is not None and c == enabled_src[0]:
            # The optional enablement column (servops.log.schema.ENABLED), parsed in
            # the log's time zone like the start and end times.
            expr = parse_expression(na(quote(c), typ), enabled_src[1], opts.timezone)
            typ = "TIMESTAMP WITH TIME ZONE"
            if c != ENABLED:
                out = ENABLED
                notes.append(
                    f"column {c!r} read as {ENABLED!r} (when work was enabled)"
                )
        elif typ == "VARCHAR":
            expr = na(quote(c), "VARCHAR")
        elif typ.startswith("TIMESTAMP") and "TIME ZONE" not in typ:
            expr = f"CAST({quote(c)} AS TIMESTAMPTZ)"
            typ = "TIMESTAMP WITH TIME ZONE"
        else:
            expr = quote(c)
        attr_types[out] = typ
        attr_select.append(f"{expr} AS {quote(out)}")

    lifecycle_mode = "none"
    lc_sql = "CAST(NULL AS VARCHAR)"
    if "lifecycle" in exprs:
        # XES transitions are lower-cased; anything else (BPIC 2013 keeps ticket statuses
        # here) is kept as an attribute and events are atomic. A sample decides; a
        # value outside the sample is caught after loading (see servops.log.ingest),
        # which plans again with ``lifecycle_odd``.
        lc_raw = f"trim({key('lifecycle')})"
        odd = _odd_lifecycles(con, raw, lc_raw, lifecycle_odd)
        if odd:
            keep = _attribute_name(cmap.lifecycle or "lifecycle", set(attr_types))
            attr_types[keep] = "VARCHAR"
            attr_select.append(f"{lc_raw} AS {quote(keep)}")
            lifecycle_mode = "attribute"
            notes.append(
                f"column {keep!r} holds values that are not XES lifecycle "
                f"transitions (e.g. {list(odd[:3])}): kept as attribute {keep!r}; "
                f"events are atomic"
            )
        else:
            lifecycle_mode = "xes"
            lc_sql = f"lower({lc_raw})"

    raw_ts = f"CAST({ts_in} AS VARCHAR)"
    bad = (
        "CASE WHEN case_id IS NULL THEN 'empty case id' "
        "WHEN activity IS NULL THEN 'empty activity' "
        "WHEN __ts_raw IS NULL THEN 'missing timestamp' "
        "WHEN \"timestamp\" IS NULL THEN 'unparseable timestamp|' || __ts_raw "
    )
    if start_fmt is not None:
        bad += (
            "WHEN __start_raw IS NOT NULL AND start_timestamp IS NULL "
            "THEN 'unparseable start timestamp|' || __start_raw "
        )
    bad += "ELSE NULL END"
    inner = ",\n  ".join(
        [
            f"{case_sql} AS case_id",
            f"{act_sql} AS activity",
            f'{ts_sql} AS "timestamp"',
            f"{start_sql} AS start_timestamp",
            f"{res_sql} AS resource",
            f"{lc_sql} AS lifecycle",
            f"{raw.row_sql or 'CAST(NULL AS BIGINT)'} AS __row",
            *attr_select,
            f"{raw_ts} AS __ts_raw",
            f"CAST({start_in} AS VARCHAR) AS __start_raw"
            if start_fmt
            else "CAST(NULL AS VARCHAR) AS __start_raw",
        ]
    )
    select_sql = (
        f"SELECT * EXCLUDE (__ts_raw, __start_raw), {bad} AS __bad FROM (\n"
        f"SELECT\n  {inner}\nFROM {raw.from_sql})"
    )
    return ImportPlan(
        select_sql=select_sql,
        columns=cmap,
        guessed=tuple(guessed),
        timestamp_format=ts_fmt,
        start_format=start_fmt,
        lifecycle_mode=lifecycle_mode,
        attributes=attr_types,
        notes=tuple(notes),
    )
