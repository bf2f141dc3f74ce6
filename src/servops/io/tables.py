"""Excel workbooks, Parquet files and in-memory tables (pandas, polars, Arrow)."""

from __future__ import annotations

import itertools
import os
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from servops.errors import LogSchemaError
from servops.io.raw import RawSource

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["register_table", "scan_excel", "scan_parquet", "scan_table", "to_arrow"]

_counter = itertools.count()


def _unregister(con: duckdb.DuckDBPyConnection, name: str) -> None:
    con.unregister(name)


def _describe(con: duckdb.DuckDBPyConnection, from_sql: str) -> dict[str, str]:
    return {
        str(r[0]): str(r[1])
        for r in con.execute(f"DESCRIBE SELECT * FROM {from_sql}").fetchall()
    }


def register_table(
    con: duckdb.DuckDBPyConnection,
    table: pa.Table,
    label: str,
    kind: str,
    first_row: int,
    row_word: str = "row",
) -> RawSource:
    """Register ``table`` with a 1-based row-number column, for explicit source order."""
    name = f"__servops_{kind}_{os.getpid()}_{next(_counter)}"
    columns = list(table.column_names)
    numbered = table.append_column(
        "__servops_row", pa.array(range(1, table.num_rows + 1), pa.int64())
    )
    con.register(name, numbered)
    types = _describe(con, f'"{name}"')
    types.pop("__servops_row", None)
    return RawSource(
        label=label,
        kind=kind,
        from_sql=f'"{name}"',
        columns=columns,
        types=types,
        first_row=first_row,
        row_word=row_word,
        cleanups=[lambda: _unregister(con, name)],
    )


def to_arrow(data: Any) -> pa.Table:  # noqa: ANN401 - accepts any dataframe library
    """Turn a pandas/polars DataFrame or anything with ``__arrow_c_stream__`` into Arrow."""
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    mod = type(data).__module__.split(".")[0]
    try:
        if mod == "pandas":
            return pa.Table.from_pandas(data, preserve_index=False)
        if mod == "polars":
            return data.to_arrow()
        if hasattr(data, "__arrow_c_stream__"):
            return pa.table(data)
    except (pa.ArrowException, ValueError, TypeError) as exc:
        msg = (
            f"cannot read the {type(data).__name__} as a table: {exc}. Hint: give each "
            f"column one type (e.g. df[col] = df[col].astype(str) for an id column "
            f"that mixes numbers and text)."
        )
        raise LogSchemaError(msg) from exc
    msg = (
        f"cannot read a {type(data).__name__} as an event log; expected a pandas or polars "
        f"DataFrame or a pyarrow Table."
    )
    raise LogSchemaError(msg)


def scan_table(con: duckdb.DuckDBPyConnection, data: Any, label: str) -> RawSource:  # noqa: ANN401
    """Describe an in-memory table as a raw source registered in ``con``."""
    table = to_arrow(data)
    # large/view string types are fine for DuckDB; timestamps keep their zone.
    return register_table(con, table, label, "table", first_row=0)


def scan_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> RawSource:
    """Describe a Parquet file as a raw source."""
    quoted = str(path).replace("'", "''")
    from_sql = f"read_parquet('{quoted}', file_row_number=true)"
    try:
        types = _describe(con, from_sql)
        types.pop("file_row_number", None)
    except duckdb.Error as exc:
        msg = f"{path}: cannot be read as Parquet: {exc}"
        raise LogSchemaError(msg) from exc
    return RawSource(
        label=str(path),
        kind="parquet",
        from_sql=from_sql,
        columns=list(types),
        types=types,
        first_row=1,
        row_sql="file_row_number + 1",
    )


def _cell(v: object) -> object:
    if isinstance(v, datetime | date | time):
        return v
    if v == "" or v is None:
        return None
    return v


def scan_excel(
    con: duckdb.DuckDBPyConnection, path: Path, *, sheet: str | int = 0
) -> RawSource:
    """Describe the first (or a named) sheet of an .xlsx/.xls/.ods workbook.

    Cells keep Excel's types: dates arrive as timestamps, text as text; a column that mixes
    types is read as text. Row numbers in messages are Excel's (header = row 1).
    """
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
        ws = (
            wb.get_sheet_by_name(sheet)
            if isinstance(sheet, str)
            else wb.get_sheet_by_index(sheet)
        )
        rows = ws.to_python(skip_empty_area=False)
    except (
        Exception
    ) as exc:  # calamine raises its own untyped errors: all mean "unreadable"
        msg = f"{path}: cannot be read as an Excel workbook (sheet {sheet!r}): {exc}"
        raise LogSchemaError(msg) from exc
    if not rows:
        msg = f"{path}: sheet {sheet!r} is empty; expected a header row and events."
        raise LogSchemaError(msg)
    header = [
        str(h).strip() if h not in (None, "") else f"column{i}"
        for i, h in enumerate(rows[0])
    ]
    body = rows[1:]
    arrays: dict[str, pa.Array] = {}
    for j, name in enumerate(header):
        values = [_cell(r[j]) if j < len(r) else None for r in body]
        kinds = {type(v) for v in values if v is not None}
        if kinds and kinds <= {datetime, date}:
            arrays[name] = pa.array(
                [datetime.combine(v, time()) if type(v) is date else v for v in values],
                pa.timestamp("us"),
            )
        elif (
            kinds
            and kinds <= {float, int}
            and all(
                float(v).is_integer()  # type: ignore[arg-type]
                for v in values
                if v is not None
            )
        ):
            arrays[name] = pa.array(
                [int(v) if v is not None else None for v in values],  # type: ignore[call-overload]
                pa.int64(),
            )
        elif kinds and kinds <= {float, int}:
            arrays[name] = pa.array(
                [float(v) if v is not None else None for v in values],  # type: ignore[arg-type]
                pa.float64(),
            )
        else:
            arrays[name] = pa.array(
                [None if v is None else _text(v) for v in values], pa.string()
            )
    return register_table(con, pa.table(arrays), str(path), "excel", first_row=2)


def _text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    return str(v)
