"""Join a case table (one row per case: customer, priority, opened date…) onto a log.

BPIC 2014 and most ticket exports ship the cases apart from their events. The table is
read like any user file (:func:`servops.io.files.read_table`); its columns become case
attributes, ISO date columns become timestamps, and cases without a row (or rows
without a case) are counted in the import notes, never dropped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

from servops.errors import LogSchemaError
from servops.io.files import infer_types, read_table
from servops.log.engine import quote
from servops.log.schema import CORE_COLUMNS

if TYPE_CHECKING:
    from servops._typing import PathLike
    from servops.log.meta import LogTables

__all__ = ["join_case_table"]


def join_case_table(
    log: LogTables,
    table: str,
    path: PathLike,
    key: str,
    *,
    timezone: str = "UTC",
    dayfirst: bool | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> LogTables:
    """Add the columns of case table ``path`` (matched on its column ``key``) to ``log``.

    Parameters
    ----------
    log
        The freshly imported log whose events are stored in ``table``.
    table
        The quoted name of the events table (changed in place).
    path
        The case table: CSV/TSV, Excel or Parquet.
    key
        The case table's column holding the case id.
    timezone, dayfirst
        How to read date/times in the case table: the log's reading options.

    Returns
    -------
    LogTables
        ``log`` with the new attributes and a note counting unmatched cases and rows.

    Raises
    ------
    LogSchemaError
        The file cannot be read, has no column ``key``, or repeats a key.
    """
    label = f"case table {str(path)!r}"
    raw = read_table(path, what="case table", encoding=encoding, delimiter=delimiter)
    if key not in raw.column_names:
        msg = (
            f"{label}: no column {key!r} (given as --case-key). "
            f"Available columns: {raw.column_names}"
        )
        raise LogSchemaError(msg)
    cases, dates = infer_types(
        raw, keep_text=(key,), timezone=timezone, dayfirst=dayfirst
    )
    con = log.con
    # DuckDB's column names ignore case: 'Priority' clashes with 'priority'
    have = {c.lower() for c in (*log.attributes, *CORE_COLUMNS)}
    names = {
        c: (f"case:{c}" if c.lower() in have else c)
        for c in cases.column_names
        if c != key
    }
    view = "__servops_case_table"
    con.register(view, cases)
    k = f"CAST({quote(key)} AS VARCHAR)"
    try:
        dup = con.execute(
            f"SELECT {k}, count(*) FROM {view} WHERE {quote(key)} IS NOT NULL "
            f"GROUP BY 1 HAVING count(*) > 1 ORDER BY 2 DESC, 1 LIMIT 3"
        ).fetchall()
        if dup:
            shown = ", ".join(f"{v!r} ({n} rows)" for v, n in dup)
            msg = (
                f"{label}: key column {key!r} repeats case ids: {shown}. A case "
                "table has one row per case."
            )
            raise LogSchemaError(msg)
        types = {
            str(r[0]): str(r[1])
            for r in con.execute(f"DESCRIBE SELECT * FROM {view}").fetchall()
        }
        for col, new in names.items():
            con.execute(
                f"ALTER TABLE {table} ADD COLUMN {quote(new)} {types[col]}"
            ).fetchall()
        if names:
            sets = ", ".join(
                f"{quote(new)} = c.{quote(col)}" for col, new in names.items()
            )
            con.execute(
                f"UPDATE {table} SET {sets} FROM {view} c "
                f"WHERE {table}.case_id = CAST(c.{quote(key)} AS VARCHAR)"
            ).fetchall()
        row = con.execute(
            f"SELECT (SELECT count(DISTINCT case_id) FROM {table} WHERE case_id NOT IN "
            f"(SELECT {k} FROM {view} WHERE {quote(key)} IS NOT NULL)), "
            f"(SELECT count(*) FROM {view} WHERE {k} IS NULL OR {k} NOT IN "
            f"(SELECT DISTINCT case_id FROM {table})), "
            f"(SELECT count(DISTINCT case_id) FROM {table})"
        ).fetchall()[0]
    except duckdb.Error as exc:
        msg = f"{label}: cannot be joined on {key!r}: {exc}"
        raise LogSchemaError(msg) from exc
    finally:
        con.unregister(view)
    no_row, no_case, n_cases = (int(v) for v in row)
    note = (
        f"{label} joined on {key!r}: {len(names)} case attribute(s)"
        + (f" ({', '.join(dates)} read as timestamps)" if dates else "")
        + f"; {no_row:,} of {n_cases:,} cases have no row there (their attributes are "
        f"empty); {no_case:,} of its {cases.num_rows:,} rows match no case in the log"
    )
    renamed = [f"{c} -> {n}" for c, n in names.items() if c != n]
    if renamed:
        note += f"; renamed (the log has these names): {', '.join(renamed)}"
    attributes = {**log.attributes, **{n: types[c] for c, n in names.items()}}
    return log.with_meta(attributes=attributes, notes=(*log.meta.notes, note))
