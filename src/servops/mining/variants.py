"""Variants: the distinct activity sequences of the cases, most frequent first.

A case's variant is the sequence of its activity instances in the order of
:mod:`servops.mining._sequence`. A case's duration runs from its first start (or first
event) to its last end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from servops._validation import check_interval
from servops.log.engine import quantile, seconds_between
from servops.mining._sequence import ORDER, continue_with

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from servops.log import EventLog

__all__ = [
    "SEPARATOR",
    "TraceCoding",
    "Variant",
    "VariantsResult",
    "trace_coding",
    "variant_stats_sql",
    "variants",
    "variants_from_rows",
]

#: Separator of activities in a variant key (ASCII unit separator, chr(31)).
SEPARATOR = "\x1f"


@dataclass(frozen=True, slots=True)
class Variant:
    """One variant: its activities, its cases, their share and duration."""

    activities: tuple[str, ...]
    cases: int
    share: float
    mean_duration_s: float
    median_duration_s: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as ``servops variants --json`` prints each variant."""
        return {
            "activities": list(self.activities),
            "cases": self.cases,
            "share": self.share,
            "mean_duration_s": self.mean_duration_s,
            "median_duration_s": self.median_duration_s,
        }


@dataclass(frozen=True, slots=True)
class VariantsResult:
    """All variants of a log, most frequent first (ties by activity sequence)."""

    variants: tuple[Variant, ...]
    n_cases: int

    def __len__(self) -> int:
        return len(self.variants)

    def top(self, k: int) -> tuple[Variant, ...]:
        """Return the ``k`` most frequent variants."""
        check_interval(k, "k", "VariantsResult.top", low=0, closed="left")
        return self.variants[: int(k)]

    def coverage(self, share: float) -> tuple[Variant, ...]:
        """Return the fewest top variants that together cover ``share`` of the cases.

        Examples
        --------
        >>> v = so.mining.variants(tiny_log)
        >>> [len(x.activities) for x in v.coverage(0.5)]
        [4, 3]
        """
        check_interval(
            share, "share", "VariantsResult.coverage", low=0, high=1, closed="right"
        )
        out: list[Variant] = []
        covered = 0
        for v in self.variants:
            if covered >= share * self.n_cases - 1e-9:
                break
            out.append(v)
            covered += v.cases
        return tuple(out)

    def counts(self) -> dict[tuple[str, ...], int]:
        """Case count per activity sequence."""
        return {v.activities: v.cases for v in self.variants}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: number of cases and the list of variants."""
        return {
            "n_cases": self.n_cases,
            "n_variants": len(self.variants),
            "variants": [v.to_dict() for v in self.variants],
        }


_ACTIVITIES = "SELECT DISTINCT activity FROM instances ORDER BY activity"
#: Most activities encoded as one character each (Unicode has ~1.1 M code points).
_MAX_CODES = 1_000_000


def _code(i: int) -> str:
    """The ``i``-th printable code point from ``!``, skipping the surrogates."""
    cp = 33 + i
    return chr(cp + 0x800 if cp >= 0xD800 else cp)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True, slots=True)
class TraceCoding:
    """How to build a case's trace in SQL, and read it back.

    With up to a million activities, each is one character (in the order of the
    names), so traces are short strings that are cheap to build, hash and compare, and
    that sort like the activity sequences. Beyond that, traces join the names with
    :data:`SEPARATOR`.

    Attributes
    ----------
    source
        SQL after ``FROM``: the instances, with a ``code`` column when coded.
    part
        The expression aggregated into the trace (``code`` or ``activity``).
    glue
        The SQL string literal joining the parts.
    decode
        Code character to activity name; empty when traces hold names.
    """

    source: str
    part: str
    glue: str
    decode: dict[str, str]

    def trace_agg(self, order: str) -> str:
        """The aggregate building a case's trace in ``order``."""
        return f"string_agg({self.part}, {self.glue} ORDER BY {order})"

    def steps(self, trace: str) -> Sequence[str]:
        """A trace as the sequence of its parts (code characters, or names)."""
        return trace if self.decode else trace.split(SEPARATOR)

    def activities(self, trace: str) -> tuple[str, ...]:
        """A trace as activity names."""
        if self.decode:
            return tuple(self.decode[ch] for ch in trace)
        return tuple(trace.split(SEPARATOR))

    def name(self, step: str) -> str:
        """The activity name of one step."""
        return self.decode[step] if self.decode else step


def trace_coding(log: EventLog) -> TraceCoding:
    """The coding of ``log``'s activities for traces (see :class:`TraceCoding`)."""
    names = [str(r[0]) for r in log.fetchall(_ACTIVITIES)]
    if not names or len(names) > _MAX_CODES:  # (no activities: an empty log)
        return TraceCoding("instances", "activity", "chr(31)", {})
    codes = [_code(i) for i in range(len(names))]
    pairs = ", ".join(
        f"({_literal(n)}, {_literal(c)})" for n, c in zip(names, codes, strict=True)
    )
    return TraceCoding(
        source=f"instances JOIN (VALUES {pairs}) AS k(activity, code) USING (activity)",
        part="k.code",
        glue="''",
        decode=dict(zip(codes, names, strict=True)),
    )


def variant_stats_sql(cases: str, *, top: int | None = None) -> str:
    """SQL grouping ``cases`` (``trace, dur`` per case) into variant rows.

    Columns: ``trace, n, mean_s, median_s, total`` (cases in all variants), most
    frequent first, ties by trace.
    """
    limit = f"LIMIT {int(top)}" if top is not None else ""
    return f"""
SELECT trace, count(*) AS n, avg(dur) AS mean_s, {quantile("dur", 0.5)} AS median_s,
  sum(count(*)) OVER () AS total
FROM {cases} GROUP BY trace ORDER BY n DESC, trace {limit}
"""


def variants_from_rows(
    rows: Iterable[Sequence[Any]], coding: TraceCoding
) -> VariantsResult:
    """The result from rows of :func:`variant_stats_sql`."""
    rows = list(rows)
    n_cases = int(rows[0][4]) if rows else 0
    return VariantsResult(
        variants=tuple(
            Variant(
                activities=coding.activities(str(t)),
                cases=int(n),
                share=int(n) / n_cases,
                mean_duration_s=float(mean),
                median_duration_s=float(med),
            )
            for t, n, mean, med, _ in rows
        ),
        n_cases=n_cases,
    )


def variants(log: EventLog, *, top: int | None = None) -> VariantsResult:
    """Find the variants of ``log`` with case counts, shares and durations.

    For a process map too, :func:`servops.mining.discover_dfg_and_variants` finds both
    in one pass.

    Parameters
    ----------
    log
        The event log.
    top
        Keep only the ``top`` most frequent variants (shares stay relative to all
        cases).

    Returns
    -------
    VariantsResult
        Variants, most frequent first.

    Examples
    --------
    >>> v = so.mining.variants(tiny_log)
    >>> len(v), v.variants[0].activities, v.variants[0].cases
    (4, ('Register', 'Triage', 'Resolve', 'Close'), 2)
    >>> v.variants[0].mean_duration_s
    5400.0
    """
    if top is not None:
        check_interval(top, "top", "variants", low=1, closed="left")
    dur = seconds_between(
        'min(coalesce(start_timestamp, "timestamp"))', 'max("timestamp")'
    )
    coding = trace_coding(log)
    rows = log.fetchall(
        continue_with(
            f"""
        WITH c AS (
          SELECT case_id, {coding.trace_agg(ORDER)} AS trace, {dur} AS dur
          FROM {coding.source} GROUP BY case_id
        )
        {variant_stats_sql("c", top=top)}
        """
        )
    )
    return variants_from_rows(rows, coding)
