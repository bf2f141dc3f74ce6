"""Load a raw source into a DuckDB table, validating every row; build the instances."""

from __future__ import annotations

import dataclasses
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
from servops.log.engine import compact, fetch_first, quote
from servops.log.lifecycle import instances_sql, pairing_sql
from servops.log.meta import InstanceSource, LogMeta, LogTables

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
        rows = _rows_text(raw, [r for r, _ in items], len(items))
        values = list(dict.fromkeys(v for _, v in items if v))[:4]
        shown = f" (values like {', '.join(repr(v) for v in values)})" if values else ""
        parts.append(
            f"{kind} in column {column_of.get(kind)!r} at {raw.row_word}s {rows}{shown}"
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


class _NotTransitions(Exception):
    """The loaded lifecycle column has values that are not XES transitions."""

    def __init__(self, odd: tuple[str, ...]) -> None:
        super().__init__(odd)
        self.odd = odd


def _check_transitions(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Raise :class:`_NotTransitions` if a loaded lifecycle value is not a transition."""
    values = con.execute(
        f"SELECT DISTINCT lifecycle FROM {table} WHERE lifecycle IS NOT NULL LIMIT 1000"
    ).fetchall()
    odd = tuple(str(v) for (v,) in values if str(v) not in XES_TRANSITIONS)
    if odd:
        raise _NotTransitions(odd)


def _numeric_attributes(
    con: duckdb.DuckDBPyConnection, table: str, attributes: dict[str, str]
) -> dict[str, str]:
    """The text attributes whose every value is a number, with the type to give them.

    Integers must look like integers (``1.5`` is not one; ``007`` is a code, not 7).
    The first rows rule out most text columns cheaply; only the columns whose sampled
    values are all numbers (or all missing) are checked in full.
    """
    text = [a for a, t in attributes.items() if t == "VARCHAR"]
    if text:
        sample = f"(SELECT * FROM {table} LIMIT {_NUMERIC_SAMPLE})"
        row = fetch_first(
            con,
            "SELECT "
            + ", ".join(
                f"count({quote(a)}) = count(TRY_CAST({quote(a)} AS DOUBLE))"
                for a in text
            )
            + f" FROM {sample}",
        )
        assert row is not None
        text = [a for a, ok in zip(text, row, strict=True) if ok]
    if not text:
        return {}
    checks = ", ".join(
        f"count({quote(a)}) > 0 AND count({quote(a)}) = count(CASE WHEN regexp_full_match("
        f"trim({quote(a)}), '[+-]?(0|[1-9][0-9]{{0,17}})') THEN 1 END),"
        f" count({quote(a)}) > 0 AND count({quote(a)}) = count(TRY_CAST({quote(a)} AS DOUBLE))"
        for a in text
    )
    row = fetch_first(con, f"SELECT {checks} FROM {table}")
    assert row is not None
    out: dict[str, str] = {}
    for i, a in enumerate(text):
        if row[2 * i]:
            out[a] = "BIGINT"
        elif row[2 * i + 1]:
            out[a] = "DOUBLE"
    return out


#: Rows read first to rule out text attributes before the full numeric check.
_NUMERIC_SAMPLE = 20_000


def ingest(
    con: duckdb.DuckDBPyConnection,
    raw: RawSource,
    table: str,
    opts: ImportOptions,
    *,
    on_bad_rows: OnBadRows = "error",
    name: str | None = None,
    stage: Callable[[str], None] | None = None,
    pair_now: bool = True,
    inside: Callable[[], None] | None = None,
    before_commit: Callable[[LogTables], None] | None = None,
) -> tuple[LogTables, ImportReport]:
    """Project ``raw`` onto the canonical schema into table ``table`` (unquoted name).

    The source is read once, in parallel, straight into ``table`` with a problem
    column (``__bad``) and each row's position in the source; the checks then run on
    the stored columns, and what they settle (lifecycle transitions, attribute types,
    skipped rows) is applied to the table in place. Where start and complete events
    must be paired, each complete event gets its start's time in place too (now with
    ``pair_now``, else on the instances' first use).

    All of it is one transaction that also runs ``inside`` first and ``before_commit``
    last, so that a caller's own changes (replacing a stored log, its catalog row)
    commit or roll back with it. If DuckDB cannot read the source as described, the
    transaction is rolled back and the source's fallbacks are tried in order (for CSV:
    padding short rows), and the one used is noted. Nothing is left behind on failure.
    """
    say = stage or (lambda _msg: None)
    q = quote(table)
    attempts: list[tuple[str, str | None]] = [(raw.from_sql, None), *raw.fallbacks]
    odd: tuple[str, ...] = ()
    i = 0
    while True:
        source_sql, note = attempts[i]
        last = i + 1 == len(attempts)
        attempt = dataclasses.replace(raw, from_sql=source_sql)
        try:
            say("planning")
            plan = plan_import(con, attempt, opts, lifecycle_odd=odd)
        except duckdb.Error as exc:
            if not last:
                i += 1
                continue
            msg = f"{raw.label}: cannot be read: {exc}"
            raise LogSchemaError(msg) from exc
        if note:
            plan = dataclasses.replace(plan, notes=(*plan.notes, note))
        con.execute("BEGIN TRANSACTION")
        try:
            if inside is not None:
                inside()
            say("reading")
            _read_into(con, q, plan, numbered=attempt.row_sql is not None)
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            if not last:
                i += 1
                continue
            msg = f"{raw.label}: cannot be read: {exc}"
            raise LogSchemaError(msg) from exc
        except BaseException:
            con.execute("ROLLBACK")
            raise
        try:
            log, report = _settle(
                con,
                raw,
                plan,
                table,
                opts,
                on_bad_rows=on_bad_rows,
                name=name,
                say=say,
                pair_now=pair_now,
            )
            if before_commit is not None:
                before_commit(log)
            con.execute("COMMIT")
        except _NotTransitions as exc:
            # the sample looked like XES transitions, the whole column does not:
            # read again, keeping the column as an attribute (rare; costs a second read)
            con.execute("ROLLBACK")
            odd = exc.odd
            continue
        except BaseException:
            con.execute("ROLLBACK")
            raise
        compact(con)
        return log, report


def _read_into(
    con: duckdb.DuckDBPyConnection, q: str, plan: ImportPlan, *, numbered: bool
) -> None:
    """Create table ``q`` from the plan; number the rows from insertion order if needed.

    Insertion order is the source's order for the plan's single-source projection as
    long as ``preserve_insertion_order`` is on (the default; it is set for the
    statement in case the caller's connection turned it off).
    """
    row = fetch_first(con, "SELECT current_setting('preserve_insertion_order')")
    keep = bool(row and row[0])
    if not keep:
        con.execute("SET preserve_insertion_order = true")
    try:
        con.execute(f"CREATE TABLE {q} AS {plan.select_sql}")
    finally:
        if not keep:
            con.execute("SET preserve_insertion_order = false")
    if not numbered:
        # rowids of a table created in an open transaction start at a local base
        con.execute(f"UPDATE {q} SET __row = rowid - (SELECT min(rowid) FROM {q}) + 1")


def _settle(
    con: duckdb.DuckDBPyConnection,
    raw: RawSource,
    plan: ImportPlan,
    table: str,
    opts: ImportOptions,
    *,
    on_bad_rows: OnBadRows,
    name: str | None,
    say: Callable[[str], None],
    pair_now: bool,
) -> tuple[LogTables, ImportReport]:
    """Check the freshly read table and bring it to its final form, in place."""
    q = quote(table)
    say("checking")
    counts = fetch_first(con, f"SELECT count(*), count(__bad) FROM {q}")
    assert counts is not None
    total, n_bad = int(counts[0]), int(counts[1])
    if total == 0:
        msg = (
            f"{raw.label}: no events to import (0 {raw.row_word}s). Hint: check that "
            "this is the right file; a CSV needs rows below its header."
        )
        raise LogSchemaError(msg)
    bad: list[tuple[int, str]] = []
    if n_bad:
        bad = [
            (int(r[0]), str(r[1]))
            for r in con.execute(
                f"SELECT __row, __bad FROM {q} WHERE __bad IS NOT NULL "
                f"ORDER BY __row LIMIT {_MAX_LISTED}"
            ).fetchall()
        ]
        if on_bad_rows == "error":
            msg = _describe_bad(raw, plan, bad, n_bad)
            raise BadRowsError(
                msg, rows=[r + raw.first_row - 1 for r, _ in bad], count=n_bad
            )
        if total == n_bad:
            msg = (
                f"{raw.label}: no events left to import ({total} {raw.row_word}s, "
                f"all bad)."
            )
            raise LogSchemaError(msg)
        con.execute(f"DELETE FROM {q} WHERE __bad IS NOT NULL")
    con.execute(f"ALTER TABLE {q} DROP COLUMN __bad")
    con.execute(f"ALTER TABLE {q} RENAME COLUMN __row TO event_index")
    if plan.lifecycle_mode == "xes":
        _check_transitions(con, q)
    attributes = dict(plan.attributes)
    numeric = _numeric_attributes(con, q, plan.attributes)
    for a, typ in numeric.items():
        con.execute(
            f"ALTER TABLE {q} ALTER {quote(a)} TYPE {typ} "
            f"USING TRY_CAST({quote(a)} AS {typ})"
        )
    attributes.update(numeric)
    return _finish(
        con,
        raw,
        plan,
        table,
        opts,
        attributes,
        total,
        n_bad,
        bad,
        name=name,
        say=say,
        pair_now=pair_now,
    )


def _rows_text(raw: RawSource, indexes: list[int], count: int) -> str:
    """The source rows (or records) of the first eight of ``count`` 1-based indexes."""
    more = "…" if count > 8 else ""
    return ", ".join(str(i + raw.first_row - 1) for i in indexes[:8]) + more


def _starts_after_end(
    con: duckdb.DuckDBPyConnection, q: str, raw: RawSource
) -> list[str]:
    """A note on events that start after they end (kept; their service time is 0)."""
    rows = con.execute(
        f"SELECT event_index, count(*) OVER () FROM {q} "
        'WHERE start_timestamp > "timestamp" ORDER BY event_index LIMIT 8'
    ).fetchall()
    if not rows:
        return []
    count = int(rows[0][1])
    where = _rows_text(raw, [int(r[0]) for r in rows], count)
    return [
        f"{count} event(s) start after they end ({raw.row_word}s {where}): "
        "kept, with their service time counted as 0"
    ]


def _finish(
    con: duckdb.DuckDBPyConnection,
    raw: RawSource,
    plan: ImportPlan,
    table: str,
    opts: ImportOptions,
    attributes: dict[str, str],
    total: int,
    n_bad: int,
    bad: list[tuple[int, str]],
    *,
    name: str | None,
    say: Callable[[str], None],
    pair_now: bool,
) -> tuple[LogTables, ImportReport]:
    """Set up the instances (paired now or on first use) and describe the import."""
    q = quote(table)
    lifecycle_mode = plan.lifecycle_mode
    notes = list(plan.notes)
    has_start = plan.start_format is not None
    if has_start:
        notes += _starts_after_end(con, q, raw)
    instances = InstanceSource(con, instances_sql(q))
    if lifecycle_mode == "xes":
        n_start = fetch_first(
            con, f"SELECT count(*) FROM {q} WHERE lifecycle = 'start'"
        )
        if n_start and n_start[0]:
            instances = InstanceSource.pending(con, instances_sql(q), pairing_sql(q))
            has_start = True
            if pair_now:
                say("pairing lifecycle")
                _ = instances.sql
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
    return LogTables(con, q, instances, meta), report
