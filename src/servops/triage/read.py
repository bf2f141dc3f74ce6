"""Read labelled tickets (text, label, time) from a CSV/TSV, Excel or Parquet file.

Files are read through :mod:`servops.io` (encoding and delimiter detection, gzip, Excel
sheets) and times through its timestamp detection. Rows without a text or a label cannot
train or test anything: they are left out and counted in ``notes``, never dropped silently.
A time that cannot be read is an error naming the row and the value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from servops.errors import LogSchemaError

if TYPE_CHECKING:
    import pyarrow as pa

    from servops._typing import PathLike

__all__ = ["TicketData", "read_tickets"]


@dataclass(frozen=True, slots=True)
class TicketData:
    """Labelled ticket texts, in file order.

    Attributes
    ----------
    texts
        The ticket texts (subject and text joined when a subject column is given).
    labels
        Their labels (``None`` when no label column was asked for).
    times
        Their times (``None`` when no time column was asked for).
    rows
        The 1-based data-row number of each kept ticket.
    notes
        What was left out and why; how times were read.
    """

    texts: tuple[str, ...]
    labels: tuple[str, ...] | None
    times: tuple[datetime, ...] | None
    rows: tuple[int, ...]
    notes: tuple[str, ...] = ()


def _str(v: object) -> str | None:
    return None if v is None else str(v)


def _parse_times(
    table: pa.Table, column: str, timezone: str, path: Path
) -> tuple[list[object], str | None]:
    """The column's values as UTC datetimes (``None`` where unreadable) and a note."""
    import pyarrow as pa

    from servops.io.timestamps import (
        TimestampFormat,
        detect_format,
        parse_expression,
    )
    from servops.log.engine import connect

    col = table.column(column)
    if pa.types.is_timestamp(col.type) or pa.types.is_date(col.type):
        fmt = TimestampFormat("native")
        note = None
    else:
        sample = [
            str(v).strip() for v in col.to_pylist() if v is not None and str(v).strip()
        ][:2000]
        found = detect_format(sample)
        if found is None:
            msg = (
                f"{path}: column {column!r} does not hold times servops can read; "
                f"e.g. {sample[:3]}. Expected ISO 8601, day/month/year or epoch seconds."
            )
            raise LogSchemaError(msg)
        fmt = found
        note = f"times in {column!r} read as {fmt.describe()}" + (
            f" ({fmt.note})" if fmt.note else ""
        )
    x = "v" if fmt.kind == "native" else "trim(CAST(v AS VARCHAR))"
    con = connect()
    try:
        con.register("__triage_times", pa.table({"v": col}))
        values = [
            r[0]
            for r in con.execute(
                f"SELECT {parse_expression(x, fmt, timezone)} FROM __triage_times"
            ).fetchall()
        ]
    finally:
        con.close()
    return values, note


def read_tickets(
    path: PathLike,
    *,
    text: str,
    label: str | None = None,
    time: str | None = None,
    subject: str | None = None,
    sheet: str | int = 0,
    timezone: str = "UTC",
) -> TicketData:
    """Read ticket texts with their labels and times from a file.

    Parameters
    ----------
    path
        CSV/TSV (any encoding servops detects, gzip ok), Excel or Parquet file.
    text
        The column with the ticket text.
    label
        The column with the category or group (for training and evaluation).
    time
        The column with the ticket's arrival time (for a time-ordered split).
    subject
        A column with the ticket subject, put before the text.
    sheet
        Excel sheet name or 0-based index.
    timezone
        Zone of times written without an offset.

    Raises
    ------
    LogSchemaError
        The file is missing or unreadable, a column is missing (the message lists the
        available ones), or a time cannot be read (the message names the row and value).
    """
    from servops.io import sniff_kind
    from servops.io.files import read_table
    from servops.triage.model import ticket_text

    p = Path(path)
    table = read_table(p, what="ticket file", sheet=sheet)
    have = table.column_names
    wanted = {"text": text, "label": label, "time": time, "subject": subject}
    for role, col in wanted.items():
        if col is not None and col not in have:
            msg = (
                f"{p}: the {role} column {col!r} does not exist. "
                f"Available columns: {have}"
            )
            raise LogSchemaError(msg)

    def strings(col: str | None) -> list[object]:
        return [None] * table.num_rows if col is None else table.column(col).to_pylist()

    bodies, labs, subjects = strings(text), strings(label), strings(subject)
    raw_times = strings(time)
    parsed: list[object] = raw_times
    time_note = None
    if time is not None:
        parsed, time_note = _parse_times(table, time, timezone, p)
    # Rows are numbered as a user sees them: below the header in CSV and Excel.
    first_row = 1 if sniff_kind(p) == "parquet" else 2
    rows = list(zip(bodies, labs, subjects, parsed, raw_times, strict=True))
    texts: list[str] = []
    labels: list[str] = []
    times: list[datetime] = []
    kept: list[int] = []
    no_text = no_label = 0
    for i, r in enumerate(rows):
        row_no = first_row + i
        body = ticket_text(_str(r[2]), _str(r[0]))
        if not body:
            no_text += 1
            continue
        lab = (_str(r[1]) or "").strip()
        if label is not None and not lab:
            no_label += 1
            continue
        if time is not None:
            t = r[3]
            if not isinstance(t, datetime):
                msg = (
                    f"{p}: row {row_no}, column {time!r}: cannot read {r[4]!r} as a time "
                    "(empty or in another format than the other rows)."
                )
                raise LogSchemaError(msg)
            times.append(t)
        texts.append(body)
        labels.append(lab)
        kept.append(row_no)
    notes = []
    if no_text:
        notes.append(f"{no_text} of {len(rows)} rows have no text and were left out")
    if no_label:
        notes.append(f"{no_label} rows with a text have no label and were left out")
    if time_note:
        notes.append(time_note)
    if not texts:
        msg = f"{p}: no row has a text in column {text!r}" + (
            f" and a label in {label!r}." if label else "."
        )
        raise LogSchemaError(msg)
    return TicketData(
        texts=tuple(texts),
        labels=None if label is None else tuple(labels),
        times=None if time is None else tuple(times),
        rows=tuple(kept),
        notes=tuple(notes),
    )
