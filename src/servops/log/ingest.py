"""Load a raw source into a DuckDB table, validating every row; build the instances."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import duckdb

from servops.errors import BadRowsError, LogSchemaError
from servops.io import ImportOptions, ImportPlan, RawSource, plan_import
from servops.log.engine import fetch_first, quote
from servops.log.eventlog import EventLog, LogMeta
from servops.log.lifecycle import instances_sql, paired_instances_sql

__all__ = ["ImportReport", "ingest"]

OnBadRows = Literal["error", "skip"]
_MAX_LISTED = 1000
_stage = itertools.count()


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


def _describe_bad(raw: RawSource, plan: ImportPlan, bad: list[tuple[int, str]],
                  count: int) -> str:
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
        f"{raw.label}: {count} {raw.row_word}(s) cannot be imported: " + "; ".join(parts)
        + f". Timestamps were read as {fmt}. {hint}"
    )


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

    Creates ``table`` and, where start and complete events must be paired,
    ``table + ':instances'``. The caller owns the transaction.
    """
    say = stage or (lambda _msg: None)
    say("planning")
    plan = plan_import(con, raw, opts)
    tmp = f"__servops_stage_{next(_stage)}"
    say("reading")
    try:
        con.execute(f"CREATE TEMP TABLE {quote(tmp)} AS {plan.select_sql}")
    except duckdb.Error as exc:
        msg = f"{raw.label}: cannot be read: {exc}"
        raise LogSchemaError(msg) from exc
    try:
        say("checking")
        counts = fetch_first(con, f"SELECT count(*), count(__bad) FROM {quote(tmp)}")
        assert counts is not None
        total, n_bad = int(counts[0]), int(counts[1])
        bad: list[tuple[int, str]] = []
        if n_bad:
            bad = [
                (int(r[0]), str(r[1]))
                for r in con.execute(
                    f"SELECT event_index, __bad FROM {quote(tmp)} WHERE __bad IS NOT NULL "
                    f"ORDER BY event_index LIMIT {_MAX_LISTED}"
                ).fetchall()
            ]
            if on_bad_rows == "error":
                msg = _describe_bad(raw, plan, bad, n_bad)
                raise BadRowsError(
                    msg, rows=[r + raw.first_row - 1 for r, _ in bad], count=n_bad
                )
        if total - n_bad == 0:
            msg = (
                f"{raw.label}: no events left to import ({total} {raw.row_word}s read, "
                f"{n_bad} bad)."
            )
            raise LogSchemaError(msg)
        say("storing")
        con.execute(
            f"CREATE TABLE {quote(table)} AS SELECT * EXCLUDE (__bad) FROM {quote(tmp)} "
            f"WHERE __bad IS NULL"
        )
    finally:
        con.execute(f"DROP TABLE IF EXISTS {quote(tmp)}")
    say("pairing lifecycle")
    has_start = plan.start_format is not None
    inst_sql = instances_sql(quote(table))
    if plan.lifecycle_mode == "xes":
        n_start = fetch_first(
            con, f"SELECT count(*) FROM {quote(table)} WHERE lifecycle = 'start'"
        )
        if n_start and n_start[0]:
            cols = [str(r[0]) for r in con.execute(f"DESCRIBE {quote(table)}").fetchall()]
            inst_table = table + ":instances"
            con.execute(
                f"CREATE TABLE {quote(inst_table)} AS "
                f"{paired_instances_sql(quote(table), cols)}"
            )
            inst_sql = f"SELECT * FROM {quote(inst_table)}"
            has_start = True
    notes = list(plan.notes)
    if plan.guessed:
        notes.insert(0, "guessed columns: " + ", ".join(
            f"{f} <- {getattr(plan.columns, f)!r}" for f in plan.guessed))
    meta = LogMeta(
        source=raw.label,
        timezone=opts.timezone,
        lifecycle_mode=plan.lifecycle_mode,
        has_start=has_start,
        column_map=plan.columns.as_dict(),
        attributes=plan.attributes,
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
        lifecycle_mode=plan.lifecycle_mode,
        notes=tuple(notes),
    )
    return EventLog(con, quote(table), inst_sql, meta), report
