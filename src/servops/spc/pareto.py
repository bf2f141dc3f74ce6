"""Pareto analysis: categories by count, cumulative share, and the vital few.

The vital few are the categories, largest first, up to and including the one whose
cumulative share first reaches ``threshold`` (80 % by default, Juran's rule).

Examples
--------
>>> r = pareto(["a", "b", "a", "c", "a", "b", "a", "d", "a", "a"])
>>> [(row.category, row.count, row.vital) for row in r.rows]
[('a', 6.0, True), ('b', 2.0, True), ('c', 1.0, False), ('d', 1.0, False)]
>>> r.vital_few
('a', 'b')
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from servops._validation import check_interval
from servops.errors import InvalidParameterError, LogSchemaError
from servops.log.engine import quote

if TYPE_CHECKING:
    from servops.log import EventLog

__all__ = ["ParetoResult", "ParetoRow", "log_pareto", "pareto"]


@dataclass(frozen=True, slots=True)
class ParetoRow:
    """One bar of a Pareto chart."""

    category: str
    count: float
    share: float
    cumulative_share: float
    vital: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "category": self.category,
            "count": self.count,
            "share": self.share,
            "cumulative_share": self.cumulative_share,
            "vital": self.vital,
        }


@dataclass(frozen=True, slots=True)
class ParetoResult:
    """Categories sorted by count (``Other`` last), with shares and the vital few."""

    rows: tuple[ParetoRow, ...]
    total: float
    threshold: float

    @property
    def vital_few(self) -> tuple[str, ...]:
        """Categories that make up the first ``threshold`` of the total."""
        return tuple(r.category for r in self.rows if r.vital)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "total": self.total,
            "threshold": self.threshold,
            "vital_few": list(self.vital_few),
            "rows": [r.to_dict() for r in self.rows],
        }


def pareto(
    data: Mapping[str, float] | Iterable[object],
    *,
    threshold: float = 0.8,
    max_categories: int | None = None,
    other_label: str = "Other",
) -> ParetoResult:
    """Pareto table of categories.

    Parameters
    ----------
    data
        A mapping ``category -> count`` (or any weight, e.g. hours lost), or an
        iterable of category labels to count.
    threshold
        Cumulative share that defines the vital few, in (0, 1].
    max_categories
        Keep this many largest categories and lump the rest into ``other_label``
        (which is always drawn last and never vital).
    other_label
        Name of the lumped category.

    Returns
    -------
    ParetoResult
    """
    check_interval(threshold, "threshold", "pareto", low=0, high=1, closed="right")
    if max_categories is not None:
        check_interval(max_categories, "max_categories", "pareto", low=1, closed="left")
    counts: dict[str, float] = {}
    if isinstance(data, Mapping):
        for k, v in data.items():
            check_interval(v, f"count of {k!r}", "pareto", low=0, closed="left")
            counts[str(k)] = counts.get(str(k), 0.0) + float(v)
    else:
        counts = {str(k): float(v) for k, v in Counter(data).items()}
    total = sum(counts.values())
    if not counts or total <= 0:
        msg = "pareto needs at least one category with a count > 0. Got none."
        raise InvalidParameterError(msg)
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    other = 0.0
    if max_categories is not None and len(ordered) > max_categories:
        other = sum(v for _, v in ordered[int(max_categories) :])
        ordered = ordered[: int(max_categories)]
    rows: list[ParetoRow] = []
    cum = 0.0
    reached = False
    for cat, v in ordered:
        cum += v
        share = v / total
        rows.append(ParetoRow(cat, v, share, min(cum / total, 1.0), not reached))
        reached = reached or cum / total >= threshold - 1e-12
    if other > 0:
        rows.append(ParetoRow(other_label, other, other / total, 1.0, vital=False))
    return ParetoResult(rows=tuple(rows), total=total, threshold=threshold)


def log_pareto(
    log: EventLog,
    column: str,
    *,
    per: Literal["case", "event"] = "case",
    threshold: float = 0.8,
    max_categories: int | None = 12,
) -> ParetoResult:
    """Pareto of a log attribute or canonical column (``activity``, ``resource``…).

    Counts distinct cases per value (``per="case"``) or activity instances
    (``per="event"``); missing values count as ``(missing)``.

    Examples
    --------
    >>> log_pareto(tiny_log, "channel").vital_few
    ('phone', 'email')
    """
    cols = {"activity", "resource", "lifecycle", *log.attributes}
    if column not in cols:
        msg = (
            f"log_pareto: the log has no column {column!r}. Available columns: "
            f"{sorted(cols)}"
        )
        raise LogSchemaError(msg)
    what = "count(DISTINCT case_id)" if per == "case" else "count(*)"
    rows = log.fetchall(
        f"SELECT coalesce(CAST({quote(column)} AS VARCHAR), '(missing)'), {what} "
        "FROM instances GROUP BY 1"
    )
    return pareto(
        {str(k): float(v) for k, v in rows},
        threshold=threshold,
        max_categories=max_categories,
    )
