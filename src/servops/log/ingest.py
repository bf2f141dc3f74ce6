"""Load a raw source into a DuckDB table, validating every row; build the instances."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import duckdb

from servops.errors import BadRowsError, LogSchemaError
from servops.io import (
    XES_TRANSITIONS,
    ImportOptions,
    ImportPlan,
    RawSource,
    plan_import,
)
from servops.log.engine import fetch_first, quote
from servops.log.eventlog import EventLog, LogMeta
from servops.log.lifecycle import instances_sql, paired_instances_sql

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["ImportReport", "ingest"]

OnBadRows = Literal["error", "skip"]
_MAX_LISTED = 1000


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did: rows read and kept, what was guessed, what was skipped."""

    source: str
    rows_read: int
    events: int
    skipped: int
    skipped_examples: tuple[tuple[int, str], ...]
    column_map: dict[str, str | None]
    guessed: tuple[str, ...]
    timestamp_format: str
    lifecycle_mode: str
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "source": self.source,
            "rows_read": self.rows_read,
            "events": self.events,
            "skipped": self.skipped,
            "skipped_examples": [
                {"row": r, "problem": p} for r, p in self.skipped_examples
            ],
            "column_map": dict(self.column_map),
            "guessed": list(self.guessed),
            "timestamp_format": self.timestamp_format,
            "lifecycle_mode": self.lifecycle_mode,
            "notes": list(self.notes),
        }


def _describe_bad(
    raw: RawSource, plan: ImportPlan, bad: list[tuple[int, str]], count: int
) -> str:
    """One sentence per kind of problem: column, row numbers, example values."""
    column_of = {
        "empty case id": plan.columns.case_id,
        "empty activity": plan.columns.activity,
        "missing timestamp": plan.columns.timestamp,
        "unparseable timestamp": plan.columns.timestamp,
        "unparseable start timestamp": plan.columns.start_timestamp,
    }
    by_kind: dict[str, list[tuple[int, str]]] = {}
    for idx, problem in bad:
        kind, _, value = problem.partition("|")
        by_kind.setdefault(kind, []).append((idx, value))
    parts = []
    for kind, items in by_kind.items():
        rows = ", ".join(str(r + raw.first_row - 1) for r, _ in items[:8])
        more = "…" if len(items) > 8 else ""
        values = list(dict.fromkeys(v for _, v in items if v))[:4]
        shown = f" (values like {', '.join(repr(v) for v in values)})" if values else ""
        parts.append(
            f"{kind} in column {column_of.get(kind)!r} at {raw.row_word}s {rows}{more}{shown}"
        )
    hint = (
        "Hint: fix those rows, give the date format with --timestamp-format or "
        "--dayfirst, map other columns with --case/--activity/--timestamp, or pass "
        "--on-bad-rows skip to leave them out (the skipped rows are reported)."
    )
    fmt = plan.timestamp_format.describe()
    return (
        f"{raw.label}: {count} {raw.row_word}(s) cannot be imported: "
        + "; ".join(parts)
        + f". Timestamps were read as {fmt}. {hint}"
    )


def _settle_lifecycle(
    con: duckdb.DuckDBPyConnection, table: str, column: str | None, notes: list[str]
) -> str:
    """Lower-case XES transitions; turn a column of other values into an attribute."""
    q = quote(table)
    values = [
        str(r[0])
        for r in con.execute(
            f"SELECT DISTINCT lower(lifecycle) FROM {q} WHERE lifecycle IS NOT NULL LIMIT 200"
        ).fetchall()
    ]
    odd = [v for v in values if v not in XES_TRANSITIONS]
    if not odd:
        con.execute(
            f"ALTER TABLE {q} ALTER COLUMN lifecycle SET DATA TYPE VARCHAR "
            f"USING lower(lifecycle)"
        )
        return "xes"
    name = column or "lifecycle_value"
    con.execute(f"ALTER TABLE {q} RENAME COLUMN lifecycle TO {quote(name)}")
    con.execute(f"ALTER TABLE {q} ADD COLUMN lifecycle VARCHAR")
    notes.append(
        f"column {name!r} holds values that are not XES lifecycle transitions "
        f"(e.g. {odd[:3]}): kept as attribute {name!r}; events are atomic"
    )
    return "attribute"


def _type_attributes(
    con: duckdb.DuckDBPyConnection, table: str, attributes: dict[str, str]
) -> dict[str, str]:
    """Give text attributes whose every value is a number a numeric type."""
    text = [a for a, t in attributes.items() if t == "VARCHAR"]
    if not text:
        return attributes
    checks = ", ".join(
        f"count({quote(a)}) > 0 AND count({quote(a)}) = count(CASE WHEN regexp_full_match("
        f"trim({quote(a)}), '[+-]?(0|[1-9][0-9]{{0,17}})') THEN 1 END),"
        f" count({quote(a)}) > 0 AND count({quote(a)}) = count(TRY_CAST({quote(a)} AS DOUBLE))"
        for a in text
    )
    row = fetch_first(con, f"SELECT {checks} FROM {quote(table)}")
    assert row is not None
    typed = dict(attributes)
    for i, a in enumerate(text):
        new = "BIGINT" if row[2 * i] else "DOUBLE" if row[2 * i + 1] else None
        if new:
            con.execute(
                f"ALTER TABLE {quote(table)} ALTER COLUMN {quote(a)} SET DATA TYPE {new} "
                f"USING TRY_CAST({quote(a)} AS {new})"
            )
            typed[a] = new
    return typed


def ingest(
    con: duckdb.DuckDBPyConnection,
    raw: RawSource,
    table: str,
    opts: ImportOptions,
    *,
    on_bad_rows: OnBadRows = "error",
    name: str | None = None,
    stage: Callable[[str], None] | None = None,
) -> tuple[EventLog, ImportReport]:
    """Project ``raw`` onto the canonical schema into table ``table`` (unquoted name).

    The source is read once, into ``table``; every row is checked there. Creates ``table``
    and, where start and complete events must be paired, ``table + ':instances'``. The
    caller owns the transaction (a failure leaves tables to roll back).
    """
    say = stage or (lambda _msg: None)
    say("planning")
    plan = plan_import(con, raw, opts)
    q = quote(table)
    say("reading")
    try:
        con.execute(f"CREATE TABLE {q} AS {plan.select_sql}")
    except duckdb.Error as exc:
        msg = f"{raw.label}: cannot be read: {exc}"
        raise LogSchemaError(msg) from exc
    say("checking")
    counts = fetch_first(con, f"SELECT count(*), count(__bad) FROM {q}")
    assert counts is not None
    total, n_bad = int(counts[0]), int(counts[1])
    bad: list[tuple[int, str]] = []
    if n_bad:
        bad = [
            (int(r[0]), str(r[1]))
            for r in con.execute(
                f"SELECT event_index, __bad FROM {q} WHERE __bad IS NOT NULL "
                f"ORDER BY event_index LIMIT {_MAX_LISTED}"
            ).fetchall()
        ]
        if on_bad_rows == "error":
            msg = _describe_bad(raw, plan, bad, n_bad)
            raise BadRowsError(
                msg, rows=[r + raw.first_row - 1 for r, _ in bad], count=n_bad
            )
        if total == n_bad:
            msg = f"{raw.label}: no events left to import ({total} {raw.row_word}s, all bad)."
            raise LogSchemaError(msg)
        con.execute(f"DELETE FROM {q} WHERE __bad IS NOT NULL")
    con.execute(f"ALTER TABLE {q} DROP COLUMN __bad")
    notes = list(plan.notes)
    lifecycle_mode = plan.lifecycle_mode
    if lifecycle_mode == "pending":
        lifecycle_mode = _settle_lifecycle(con, table, plan.columns.lifecycle, notes)
    attributes = _type_attributes(con, table, plan.attributes)
    if lifecycle_mode == "attribute":
        attributes[plan.columns.lifecycle or "lifecycle_value"] = "VARCHAR"
    say("pairing lifecycle")
    has_start = plan.start_format is not None
    inst_sql = instances_sql(q)
    if lifecycle_mode == "xes":
        n_start = fetch_first(
            con, f"SELECT count(*) FROM {q} WHERE lifecycle = 'start'"
        )
        if n_start and n_start[0]:
            cols = [str(r[0]) for r in con.execute(f"DESCRIBE {q}").fetchall()]
            inst_table = quote(table + ":instances")
            con.execute(f"CREATE TABLE {inst_table} AS {paired_instances_sql(q, cols)}")
            inst_sql = f"SELECT * FROM {inst_table}"
            has_start = True
    if plan.guessed:
        notes.insert(
            0,
            "guessed columns: "
            + ", ".join(f"{f} <- {getattr(plan.columns, f)!r}" for f in plan.guessed),
        )
    meta = LogMeta(
        source=raw.label,
        timezone=opts.timezone,
        lifecycle_mode=lifecycle_mode,
        has_start=has_start,
        column_map=plan.columns.as_dict(),
        attributes=attributes,
        notes=tuple(notes),
        skipped_rows=n_bad,
        name=name,
    )
    report = ImportReport(
        source=raw.label,
        rows_read=total,
        events=total - n_bad,
        skipped=n_bad,
        skipped_examples=tuple((r + raw.first_row - 1, p) for r, p in bad),
        column_map=plan.columns.as_dict(),
        guessed=plan.guessed,
        timestamp_format=plan.timestamp_format.describe(),
        lifecycle_mode=lifecycle_mode,
        notes=tuple(notes),
    )
    return EventLog(con, q, inst_sql, meta), report
