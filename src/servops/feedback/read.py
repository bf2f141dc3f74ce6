"""Read survey responses (CSV/TSV, Excel, Parquet, or a table) into a canonical table.

The canonical feedback table has the columns ``comment`` (string), ``score`` (float),
``case_id`` (string), ``submitted_at`` (timestamp) — each only when mapped — plus every
other column of the source unchanged (usable as segments: channel, region, …).

Examples
--------
>>> import pyarrow as pa
>>> t = pa.table({"id": ["c1", "c2"], "nps": ["9", "3"], "text": ["great", "slow"]})
>>> fb = prepare_feedback(t, text="text", score="nps", case="id")
>>> fb.column_names
['comment', 'score', 'case_id']
>>> fb.column("score").to_pylist()
[9.0, 3.0]
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from servops.errors import LogSchemaError

if TYPE_CHECKING:
    import pyarrow as pa

    from servops._typing import PathLike

__all__ = ["prepare_feedback", "read_feedback"]

CANONICAL = {
    "text": "comment",
    "score": "score",
    "case": "case_id",
    "date": "submitted_at",
}


def read_feedback(
    source: PathLike | Any,  # noqa: ANN401 - a path or any dataframe
    *,
    text: str | None = None,
    score: str | None = None,
    case: str | None = None,
    date: str | None = None,
    sheet: str | int = 0,
    encoding: str | None = None,
) -> pa.Table:
    """Read survey responses and map the named columns (see :func:`prepare_feedback`).

    Parameters
    ----------
    source
        A CSV/TSV (``,`` ``;`` tab or ``|``; UTF-8, GB18030 or Latin-1; gzip ok), Excel
        or Parquet file, read as event logs are (:func:`servops.io.read_table`), or a
        pyarrow / pandas / polars table.
    text, score, case, date
        Source column names of the comment, the rating (NPS 0–10 or CSAT 1–5), the case id
        linking to an event log, and the submission time. Any may be omitted.
    sheet
        Excel sheet name or 0-based index.
    encoding
        Text encoding of a CSV; detected when omitted.

    Raises
    ------
    LogSchemaError
        The file cannot be read, a named column is missing (the message lists the
        available ones), or a score/date value cannot be parsed (the message names the
        row and the value).
    """
    from servops.io.files import read_table
    from servops.io.tables import to_arrow

    if isinstance(source, str | Path):
        table = read_table(source, what="feedback file", sheet=sheet, encoding=encoding)
        label = str(source)
        if table.num_rows == 0:
            msg = (
                f"{label}: no answers: the feedback file has no rows after its header."
            )
            raise LogSchemaError(msg)
    else:
        table = to_arrow(source)
        label = f"<{type(source).__name__}>"
    return prepare_feedback(
        table, text=text, score=score, case=case, date=date, label=label
    )


def prepare_feedback(
    table: pa.Table,
    *,
    text: str | None = None,
    score: str | None = None,
    case: str | None = None,
    date: str | None = None,
    label: str = "feedback table",
) -> pa.Table:
    """Map named columns of ``table`` to the canonical ones and parse their values."""
    import pyarrow as pa
    import pyarrow.compute as pc

    have = table.column_names
    # A role not named explicitly takes a column that already has its canonical name, so
    # such a column is parsed (not passed through as text) — e.g. a CSV with submitted_at.
    given = {"text": text, "score": score, "case": case, "date": date}
    mapping = {
        role: col
        if col is not None
        else (CANONICAL[role] if CANONICAL[role] in have else None)
        for role, col in given.items()
    }
    text, score, case, date = (mapping[r] for r in ("text", "score", "case", "date"))
    for role, col in mapping.items():
        if col is not None and col not in have:
            msg = (
                f"{label}: the {role} column {col!r} does not exist. "
                f"Available columns: {have}"
            )
            raise LogSchemaError(msg)
    cols: dict[str, pa.Array | pa.ChunkedArray] = {}
    if text is not None:
        cols["comment"] = pc.cast(table.column(text), pa.string())
    if score is not None:
        cols["score"] = _parse_scores(table.column(score), score, label)
    if case is not None:
        cols["case_id"] = pc.cast(table.column(case), pa.string())
    if date is not None:
        cols["submitted_at"] = _parse_dates(table.column(date), date, label)
    used = {c for c in mapping.values() if c is not None}
    for name in have:
        if name not in used and name not in cols:
            cols[name] = table.column(name)
    return pa.table(cols)


def _parse_scores(col: pa.ChunkedArray, name: str, label: str) -> pa.Array:
    import pyarrow as pa

    out: list[float | None] = []
    for i, v in enumerate(col.to_pylist()):
        if v is None or (isinstance(v, str) and not v.strip()):
            out.append(None)
            continue
        try:
            f = float(str(v).strip()) if not isinstance(v, int | float) else float(v)
        except ValueError:
            f = math.nan
        if not math.isfinite(f):
            msg = (
                f"{label}: score column {name!r}, data row {i + 1}: {v!r} is not a number. "
                f"Scores must be numeric (NPS 0–10, CSAT 1–5, CES 1–7); leave it empty "
                f"for no answer."
            )
            raise LogSchemaError(msg)
        out.append(f)
    return pa.array(out, pa.float64())


def _parse_dates(col: pa.ChunkedArray, name: str, label: str) -> pa.Array:
    import pyarrow as pa
    import pyarrow.compute as pc

    from servops.io.files import infer_types

    if pa.types.is_timestamp(col.type):
        return pc.cast(col, pa.timestamp("us", tz="UTC")).combine_chunks()
    if pa.types.is_date(col.type):
        return pc.cast(pc.cast(col, pa.timestamp("us")), pa.timestamp("us", tz="UTC"))
    text = pc.cast(col, pa.string())
    if not any(v is not None and v.strip() for v in text.to_pylist()):
        return pa.nulls(len(text), pa.timestamp("us", tz="UTC"))
    # read as event-log timestamps are (ISO, day/month-first, Chinese layouts), in UTC
    typed, dates = infer_types(pa.table({"d": text}))
    if dates:
        return typed.column("d").combine_chunks()
    values = [
        None if v is None or not v.strip() else v.strip() for v in text.to_pylist()
    ]
    row, bad = _first_unreadable(values)
    msg = (
        f"{label}: date column {name!r}, data row {row + 1}: {bad!r} is not a date "
        f"(or not in the column's layout). Use one layout, e.g. 2024-03-01 or "
        f"2024-03-01 14:30."
    )
    raise LogSchemaError(msg)


def _first_unreadable(values: list[str | None]) -> tuple[int, str]:
    """The first value the column's most common timestamp layout does not read."""
    import duckdb
    import pyarrow as pa

    from servops.io.timestamps import detect_format, parse_expression

    present = [v for v in values if v is not None]
    fmt = detect_format(present[:300])
    con = duckdb.connect()
    try:
        con.register("t", pa.table({"i": range(len(values)), "v": values}))
        sql = "NULL" if fmt is None else parse_expression("v", fmt, "UTC")
        hit = con.execute(
            f"SELECT i, v FROM t WHERE v IS NOT NULL AND ({sql}) IS NULL ORDER BY i "
            "LIMIT 1"
        ).fetchall()
    finally:
        con.close()
    if hit:
        return int(hit[0][0]), str(hit[0][1])
    first = next(i for i, v in enumerate(values) if v is not None)
    return first, str(values[first])
