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
from servops.log.schema import case_arrival
from servops.mining._sequence import ORDER, continue_with

if TYPE_CHECKING:
    from servops.log import EventLog

__all__ = ["SEPARATOR", "Variant", "VariantsResult", "trace_sql", "variants"]

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


def trace_sql(instances: str = "instances") -> str:
    """Build SQL yielding ``case_id, trace`` (activities joined by ``SEPARATOR``)."""
    return (
        f"SELECT case_id, string_agg(activity, chr(31) ORDER BY {ORDER}) AS trace "
        f"FROM {instances} GROUP BY case_id"
    )


def variants(log: EventLog, *, top: int | None = None) -> VariantsResult:
    """Find the variants of ``log`` with case counts, shares and durations.

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
    dur = seconds_between(case_arrival(log.attributes), 'max("timestamp")')
    limit = f"LIMIT {int(top)}" if top is not None else ""
    names = [str(r[0]) for r in log.fetchall(_ACTIVITIES)]
    codes = [_code(i) for i in range(len(names))]
    if 0 < len(names) <= _MAX_CODES:  # (no names: an empty log)
        # one character per activity, in the order of the names: traces are short
        # strings (cheap to build, hash and compare) that sort like the sequences
        pairs = ", ".join(
            f"({_literal(n)}, {_literal(c)})" for n, c in zip(names, codes, strict=True)
        )
        trace = "string_agg(k.code, ''"
        source = (
            f"instances i JOIN (VALUES {pairs}) AS k(activity, code) USING (activity)"
        )
        decode = dict(zip(codes, names, strict=True))
    else:
        trace, source, decode = "string_agg(activity, chr(31)", "instances", {}
    rows = log.fetchall(
        continue_with(
            f"""
        WITH c AS (
          SELECT case_id, {trace} ORDER BY {ORDER}) AS trace, {dur} AS dur
          FROM {source} GROUP BY case_id
        )
        SELECT trace, count(*) AS n, avg(dur), {quantile("dur", 0.5)},
          sum(count(*)) OVER () AS total
        FROM c GROUP BY trace ORDER BY n DESC, trace {limit}
        """
        )
    )
    n_cases = int(rows[0][4]) if rows else 0
    return VariantsResult(
        variants=tuple(
            Variant(
                activities=tuple(decode[ch] for ch in str(t))
                if decode
                else tuple(str(t).split(SEPARATOR)),
                cases=int(n),
                share=int(n) / n_cases,
                mean_duration_s=float(mean),
                median_duration_s=float(med),
            )
            for t, n, mean, med, _ in rows
        ),
        n_cases=n_cases,
    )
