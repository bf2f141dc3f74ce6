"""Read any user table file (CSV/TSV, Excel, Parquet) into Arrow, the way logs are read.

Feedback answers, SPC series, arrival counts and case tables all come through
:func:`read_table`, so they share the event-log readers' format sniffing (from content,
not the name), encoding detection (UTF-8, GB18030, Latin-1, gzip) and delimiter sniffing
(``,`` ``;`` tab ``|``), and their errors name the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from servops.errors import LogSchemaError
from servops.io.csv import scan_csv
from servops.io.raw import sniff_kind
from servops.io.tables import scan_excel, scan_parquet
from servops.io.timestamps import detect_format, parse_expression

if TYPE_CHECKING:
    import pyarrow as pa

    from servops._typing import PathLike
    from servops.io.raw import RawSource

__all__ = ["infer_types", "read_columns", "read_table"]


def read_table(
    source: PathLike,
    *,
    what: str = "table",
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | int = 0,
) -> pa.Table:
    """Read a CSV/TSV (gzip ok), Excel or Parquet file into an Arrow table.

    CSV columns arrive as text (see :func:`infer_types`); Excel and Parquet keep their
    types.

    Parameters
    ----------
    source
        The file; its format is told from its content.
    what
        What the file is, for messages (``"feedback file"``, ``"case table"``…).
    encoding
        Text encoding of a CSV; detected when ``None``.
    delimiter
        CSV delimiter; sniffed (``,`` ``;`` tab ``|``) when ``None``.
    sheet
        Excel sheet name or 0-based index.

    Raises
    ------
    LogSchemaError
        The file is missing, a folder, an XES log, or cannot be read; the message names
        the file.

    Examples
    --------
    >>> t = read_table(DATA / "running-example.csv")
    >>> t.num_rows, t.column_names[:3]
    (42, ['column0', 'concept:name', 'org:resource'])
    """
    path = Path(source)
    if not path.is_file():
        kind = "is a folder" if path.is_dir() else "does not exist"
        msg = f"{what} {str(path)!r} {kind}. Give a CSV/TSV, Excel or Parquet file."
        raise LogSchemaError(msg)
    if sniff_kind(path) == "xes":
        msg = f"{what} {str(path)!r} is an XES event log; expected a CSV, Excel or Parquet table."
        raise LogSchemaError(msg)
    con = duckdb.connect()
    try:
        raw = _scan(con, path, encoding=encoding, delimiter=delimiter, sheet=sheet)
        try:
            return _fetch(con, raw, what)
        finally:
            raw.close()
    finally:
        con.close()


def read_columns(
    source: PathLike,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | int = 0,
) -> list[str]:
    """The column names of a table file (CSV/TSV, Excel, Parquet), without its rows.

    An XES log, a missing file or an unreadable one has none: ``[]``.
    """
    path = Path(source)
    if not path.is_file() or sniff_kind(path) == "xes":
        return []
    con = duckdb.connect()
    try:
        raw = _scan(con, path, encoding=encoding, delimiter=delimiter, sheet=sheet)
        raw.close()
    except LogSchemaError:
        return []
    finally:
        con.close()
    return list(raw.columns)


def _scan(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    encoding: str | None,
    delimiter: str | None,
    sheet: str | int,
) -> RawSource:
    fmt = sniff_kind(path)
    if fmt == "excel":
        return scan_excel(con, path, sheet=sheet)
    if fmt == "parquet":
        return scan_parquet(con, path)
    return scan_csv(con, path, encoding=encoding, delimiter=delimiter)


def _fetch(con: duckdb.DuckDBPyConnection, raw: RawSource, what: str) -> pa.Table:
    cols = ", ".join('"' + c.replace('"', '""') + '"' for c in raw.columns)
    error: duckdb.Error | None = None
    for from_sql in [raw.from_sql, *(sql for sql, _ in raw.fallbacks)]:
        try:
            return con.sql(f"SELECT {cols} FROM {from_sql}").to_arrow_table()
        except duckdb.Error as exc:
            error = exc
    msg = f"{what} {raw.label!r}: cannot be read as {raw.kind}: {error}"
    raise LogSchemaError(msg) from error


def infer_types(
    table: pa.Table,
    *,
    keep_text: tuple[str, ...] = (),
    timezone: str = "UTC",
    dayfirst: bool | None = None,
) -> tuple[pa.Table, list[str]]:
    """Turn text columns whose every value is a number or a date/time into one.

    Whole numbers become ``int64``, other numbers ``float64``. Dates and date-times
    are recognised as event-log timestamps are (:func:`~servops.io.timestamps.
    detect_format`: ISO, day- or month-first layouts, Chinese dates) and become UTC
    timestamps (values without an offset are read in ``timezone``). A column with one
    value that does not fit stays text. Columns in ``keep_text`` (ids) are left alone.

    Returns
    -------
    tuple[pyarrow.Table, list[str]]
        The table and the names of the columns turned into timestamps.

    Examples
    --------
    >>> import pyarrow as pa
    >>> t = pa.table(
    ...     {
    ...         "id": ["007", "8"],
    ...         "n": ["1", "2"],
    ...         "x": ["1.5", None],
    ...         "d": ["2024-03-01", "2024-03-02 10:00"],
    ...         "eu": ["31-12-2012 10:00", "01-04-2010 13:05"],
    ...     }
    ... )
    >>> out, dates = infer_types(t, keep_text=("id",))
    >>> [str(f.type) for f in out.schema], dates
    (['string', 'int64', 'double', 'timestamp[us, tz=UTC]', 'timestamp[us, tz=UTC]'], ['d', 'eu'])
    """
    import pyarrow as pa

    text = [
        f.name
        for f in table.schema
        if f.name not in keep_text
        and (pa.types.is_string(f.type) or pa.types.is_large_string(f.type))
    ]
    if not text or table.num_rows == 0:
        return table, []
    con = duckdb.connect()
    try:
        con.register("t", table)
        con.execute("SET TimeZone = 'UTC'")
        probes = []
        for name in text:
            v = f"nullif(trim({_q(name)}), '')"
            probes.append(
                f"count({v}), count(TRY_CAST({v} AS DOUBLE)), "
                f"count_if(TRY_CAST({v} AS DOUBLE) = floor(TRY_CAST({v} AS DOUBLE)))"
            )
        row = con.execute(f"SELECT {', '.join(probes)} FROM t").fetchall()[0]
        exprs, dates = [], []
        for name in table.column_names:
            q = _q(name)
            if name not in text:
                exprs.append(q)
                continue
            j = text.index(name)
            n, numbers, whole = row[3 * j : 3 * j + 3]
            v = f"nullif(trim({q}), '')"
            if n and numbers == n:
                kind = "BIGINT" if whole == n else "DOUBLE"
                exprs.append(f"CAST({v} AS {kind}) AS {q}")
                continue
            stamp = _timestamp_sql(con, name, n, timezone=timezone, dayfirst=dayfirst)
            if stamp is None:
                exprs.append(q)
            else:
                dates.append(name)
                exprs.append(f"{stamp} AS {q}")
        out = con.sql(f"SELECT {', '.join(exprs)} FROM t").to_arrow_table()
    except duckdb.Error as exc:
        msg = f"cannot read the types of the table's columns: {exc}"
        raise LogSchemaError(msg) from exc
    finally:
        con.close()
    ts = pa.timestamp("us", tz="UTC")
    for name in dates:
        k = out.column_names.index(name)
        out = out.set_column(k, name, out.column(name).cast(ts))
    return out, dates


def _timestamp_sql(
    con: duckdb.DuckDBPyConnection,
    name: str,
    n: int,
    *,
    timezone: str,
    dayfirst: bool | None,
) -> str | None:
    """SQL reading text column ``name`` of ``t`` as timestamps, if every value is one."""
    if not n:
        return None
    v = f"nullif(trim({_q(name)}), '')"
    sample = [
        str(r[0])
        for r in con.execute(
            f"SELECT {v} FROM t WHERE {v} IS NOT NULL LIMIT 300"
        ).fetchall()
    ]
    fmt = detect_format(sample, dayfirst=dayfirst)
    if fmt is None or fmt.kind not in ("iso", "strptime"):
        return None
    sql = parse_expression(v, fmt, timezone)
    parsed = con.execute(f"SELECT count({sql}) FROM t").fetchall()[0][0]
    return sql if parsed == n else None


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
