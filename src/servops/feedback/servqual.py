"""SERVQUAL gap analysis (Parasuraman, Zeithaml & Berry 1988).

Each respondent rates every item twice on a 1–7 scale: what they *expect* of an excellent
service (E) and what they *perceive* of this one (P). The gap of an item is P − E
(negative = falls short). The standard 22 items map to five dimensions:

=================  ========  ==========================================
dimension          items     what
=================  ========  ==========================================
tangibles          1–4       facilities, equipment, staff appearance
reliability        5–9       doing what was promised, right first time
responsiveness     10–13     prompt service, willingness to help
assurance          14–17     competence, courtesy, trust
empathy            18–22     individual attention, convenient hours
=================  ========  ==========================================

**Input format** (one row per respondent, *wide*): columns ``E1`` … ``E22`` and
``P1`` … ``P22`` (``E_1``/``e1`` also work). Fewer or other items are fine when you pass
``items={"1": "tangibles", ...}``. Optional *importance* weights per dimension (points
summing to 100, as in the SERVQUAL questionnaire's part 2) give a weighted score.

A dimension's gap per respondent is the mean of its item gaps; the reported gap is the
mean over respondents with a paired Student-t interval. The unweighted SERVQUAL score is
the mean of the five dimension gaps.

Examples
--------
>>> import pyarrow as pa
>>> t = pa.table({"E1": [7, 6], "P1": [5, 5], "E2": [6, 6], "P2": [6, 7]})
>>> r = servqual(t, items={"1": "tangibles", "2": "reliability"})
>>> [(d["dimension"], d["gap"]) for d in r.dimensions.to_pylist()]
[('tangibles', -1.5), ('reliability', 0.5)]
>>> r.score
-0.5
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from servops.errors import InvalidParameterError, LogSchemaError

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pyarrow as pa

__all__ = ["DIMENSIONS", "STANDARD_ITEMS", "ServqualResult", "servqual"]

DIMENSIONS = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")
STANDARD_ITEMS: dict[str, str] = {
    **{str(i): "tangibles" for i in range(1, 5)},
    **{str(i): "reliability" for i in range(5, 10)},
    **{str(i): "responsiveness" for i in range(10, 14)},
    **{str(i): "assurance" for i in range(14, 18)},
    **{str(i): "empathy" for i in range(18, 23)},
}
_COL = re.compile(r"^([EePp])_?(\w+)$")


@dataclass(frozen=True, slots=True)
class ServqualResult:
    """Item and dimension gaps, and the overall (and weighted) SERVQUAL score."""

    items: pa.Table
    dimensions: pa.Table
    score: float
    weighted_score: float | None
    n: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "n": self.n,
            "score": self.score,
            "weighted_score": self.weighted_score,
            "dimensions": self.dimensions.to_pylist(),
            "items": self.items.to_pylist(),
        }


def _mean_ci(xs: list[float]) -> tuple[float, float, float]:
    from scipy.stats import t as student

    n = len(xs)
    if n == 0:
        return math.nan, math.nan, math.nan
    m = sum(xs) / n
    if n < 2:
        return m, math.nan, math.nan
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (n - 1))
    half = float(student.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return m, m - half, m + half


def servqual(
    table: pa.Table,
    *,
    items: Mapping[str, str] | None = None,
    weights: Mapping[str, float] | None = None,
    scale: tuple[float, float] = (1, 7),
) -> ServqualResult:
    """Expectation–perception gaps per item and dimension.

    Parameters
    ----------
    table
        One row per respondent with ``E<item>`` and ``P<item>`` columns.
    items
        Item id → dimension; default the standard 22-item mapping (only the items whose
        E and P columns are both present are used).
    weights
        Dimension → importance points (any positive numbers; normalised to sum 1).
    scale
        The answer scale; answers outside it raise an error.

    Raises
    ------
    LogSchemaError
        No E/P column pairs, or an answer is not a number within ``scale`` (the message
        names the row and column).
    """
    import pyarrow as pa

    mapping = dict(items) if items is not None else STANDARD_ITEMS
    e_cols: dict[str, str] = {}
    p_cols: dict[str, str] = {}
    for c in table.column_names:
        hit = _COL.match(c)
        if hit:
            (e_cols if hit.group(1) in "Ee" else p_cols)[hit.group(2)] = c
    used = [i for i in mapping if i in e_cols and i in p_cols]
    if not used:
        msg = (
            "SERVQUAL input needs paired columns E<item>/P<item> (e.g. E1 and P1) for the "
            f"items {sorted(mapping, key=lambda s: (len(s), s))[:5]}…; "
            f"available columns: {table.column_names}"
        )
        raise LogSchemaError(msg)
    lo, hi = scale

    def values(col: str) -> list[float | None]:
        out: list[float | None] = []
        for i, v in enumerate(table.column(col).to_pylist()):
            if v is None or (isinstance(v, str) and not v.strip()):
                out.append(None)
                continue
            try:
                f = float(v)
            except (TypeError, ValueError):
                f = math.nan
            if not lo <= f <= hi:
                msg = (
                    f"SERVQUAL column {col!r}, row {i + 1}: {v!r} is not a number in "
                    f"[{lo:g}, {hi:g}]."
                )
                raise LogSchemaError(msg)
            out.append(f)
        return out

    gaps: dict[str, list[float | None]] = {}
    item_rows: list[dict[str, Any]] = []
    for item in used:
        e, p = values(e_cols[item]), values(p_cols[item])
        g = [
            None if a is None or b is None else b - a for a, b in zip(e, p, strict=True)
        ]
        gaps[item] = g
        ev = [x for x in e if x is not None]
        pv = [x for x in p if x is not None]
        gm, glo, ghi = _mean_ci([x for x in g if x is not None])
        item_rows.append(
            {
                "item": item,
                "dimension": mapping[item],
                "n": sum(x is not None for x in g),
                "expectation": sum(ev) / len(ev) if ev else None,
                "perception": sum(pv) / len(pv) if pv else None,
                "gap": gm,
                "ci_low": glo,
                "ci_high": ghi,
            }
        )
    dims = list(dict.fromkeys(mapping[i] for i in used))
    dim_rows: list[dict[str, Any]] = []
    for d in dims:
        its = [i for i in used if mapping[i] == d]
        per_resp = []
        for r in range(table.num_rows):
            vals = [gaps[i][r] for i in its if gaps[i][r] is not None]
            if vals:
                per_resp.append(sum(v for v in vals if v is not None) / len(vals))
        m, cl, ch = _mean_ci(per_resp)
        ev = [row["expectation"] for row in item_rows if row["dimension"] == d]
        pv = [row["perception"] for row in item_rows if row["dimension"] == d]
        dim_rows.append(
            {
                "dimension": d,
                "items": len(its),
                "n": len(per_resp),
                "expectation": sum(ev) / len(ev),
                "perception": sum(pv) / len(pv),
                "gap": m,
                "ci_low": cl,
                "ci_high": ch,
            }
        )
    score = sum(r["gap"] for r in dim_rows) / len(dim_rows)
    weighted = None
    if weights:
        bad = [k for k in weights if k not in dims]
        if bad or any(v < 0 for v in weights.values()) or not sum(weights.values()):
            msg = (
                f"SERVQUAL weights must be non-negative points for the dimensions {dims}; "
                f"got {dict(weights)}."
            )
            raise InvalidParameterError(msg)
        tot = sum(weights.get(r["dimension"], 0.0) for r in dim_rows)
        weighted = (
            sum(r["gap"] * weights.get(r["dimension"], 0.0) for r in dim_rows) / tot
        )
    return ServqualResult(
        items=pa.Table.from_pylist(item_rows),
        dimensions=pa.Table.from_pylist(dim_rows),
        score=score,
        weighted_score=weighted,
        n=table.num_rows,
    )
