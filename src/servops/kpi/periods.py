"""Days, weeks and months of a time zone as integer keys, in plain SQL arithmetic.

Cutting a timestamp into its local day, week or month with the engine's time-zone
conversion costs a calendar lookup per value (the slowest part of the KPI aggregation on
millions of cases). A zone's offset from UTC changes only at a few instants a year, so
the local time is ``epoch + offset`` with the offset read off a small ``CASE`` over the
zone's transitions in the data's span (found once with :mod:`zoneinfo`). The period key
is then integer arithmetic: the local day number, the Monday of its week, or the month
index ``12 * year + month - 1`` (a ``CASE`` over the span's month starts). Only the few
result rows are turned back into dates (:func:`key_dates`).

The SQL is ``CASE``, ``floor``, ``CAST`` and arithmetic (portable); the caller turns
timestamps into epoch seconds with the engine's ``epoch_s``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["key_dates", "local_day_sql", "period_key_sql", "step_sql", "utc_offsets"]

Period = Literal["day", "week", "month"]
_DAY = 86400
_PROBE = 6 * 3600  # transitions are months apart; probe the offset every 6 hours


def _offset(zone: ZoneInfo, t: int) -> int:
    off = datetime.fromtimestamp(t, zone).utcoffset()
    return 0 if off is None else int(off.total_seconds())


@lru_cache(maxsize=64)
def utc_offsets(
    timezone: str, first_year: int, last_year: int
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The zone's UTC offsets from ``first_year`` to ``last_year`` (inclusive).

    Returns
    -------
    (edges, offsets)
        ``offsets[i]`` (seconds) holds from ``edges[i - 1]`` up to ``edges[i]`` (epoch
        seconds of the transitions, exact to the second); ``offsets[0]`` before the
        first edge, ``offsets[-1]`` after the last.

    Examples
    --------
    >>> edges, offs = utc_offsets("Europe/Amsterdam", 2025, 2025)
    >>> [datetime.fromtimestamp(e, UTC).isoformat() for e in edges]
    ['2025-03-30T01:00:00+00:00', '2025-10-26T01:00:00+00:00']
    >>> offs
    (3600, 7200, 3600)
    """
    zone = ZoneInfo(timezone)
    lo = int(datetime(max(first_year, 1), 1, 1, tzinfo=UTC).timestamp())
    hi = int(datetime(min(last_year + 1, 9999), 1, 1, tzinfo=UTC).timestamp())
    edges: list[int] = []
    offsets = [_offset(zone, lo)]
    t = lo
    while t < hi:  # a loop over 6-hour probes (1,460 a year), not over data
        nxt = min(t + _PROBE, hi)
        off = _offset(zone, nxt)
        if off != offsets[-1]:
            a, b = t, nxt  # offset(a) is the old one, offset(b) the new one
            while b - a > 1:
                mid = (a + b) // 2
                if _offset(zone, mid) == off:
                    b = mid
                else:
                    a = mid
            edges.append(b)
            offsets.append(off)
        t = nxt
    return tuple(edges), tuple(offsets)


def step_sql(expr: str, edges: Sequence[int], values: Sequence[int]) -> str:
    """``values[i]`` for ``edges[i - 1] <= expr < edges[i]``, as a balanced ``CASE``.

    ``len(values) == len(edges) + 1``; ``expr`` must not be ``NULL`` (guard outside).
    The tree has depth log2(len(values)), so each row makes a handful of comparisons.

    Examples
    --------
    >>> step_sql("x", [10], [1, 2])
    'CASE WHEN x < 10 THEN 1 ELSE 2 END'
    """

    def tree(lo: int, hi: int) -> str:
        if lo == hi:
            return str(int(values[lo]))
        mid = (lo + hi + 1) // 2
        return (
            f"CASE WHEN {expr} < {int(edges[mid - 1])} THEN {tree(lo, mid - 1)} "
            f"ELSE {tree(mid, hi)} END"
        )

    return tree(0, len(values) - 1)


def _month_key(year: int, month: int) -> int:
    return 12 * year + month - 1


def local_day_sql(epoch: str, timezone: str, first_year: int, last_year: int) -> str:
    """SQL for the local day number (days since 1970-01-01) of ``epoch`` seconds.

    ``epoch`` should be a column (it is repeated in the offset lookup). The span
    ``first_year..last_year`` (UTC years of the data) bounds the zone transitions that
    are looked up. ``NULL`` stays ``NULL``.
    """
    edges, offsets = utc_offsets(timezone, first_year - 1, last_year + 1)
    off = step_sql(epoch, edges, offsets)
    return f"CAST(floor(floor({epoch} + {off}) / {_DAY}) AS BIGINT)"


def period_key_sql(day: str, by: Period | None, first_year: int, last_year: int) -> str:
    """SQL for the integer period key of a local day number column ``day``.

    ``day``: the day number itself; ``week``: the day number of its Monday;
    ``month``: ``12 * year + month - 1``; ``None``: 0. ``NULL`` stays ``NULL``.

    Examples
    --------
    >>> period_key_sql("d", "week", 2025, 2025)
    '(d - (((d + 3) % 7) + 7) % 7)'
    """
    if by is None:
        return f"CASE WHEN {day} IS NULL THEN NULL ELSE 0 END"
    if by == "day":
        return day
    if by == "week":  # 1970-01-01 was a Thursday: (day + 3) mod 7 is 0 on Mondays
        return f"({day} - ((({day} + 3) % 7) + 7) % 7)"
    starts, keys = [], [_month_key(first_year - 2, 12)]
    for y in range(first_year - 1, last_year + 2):
        for m in range(1, 13):
            starts.append((date(y, m, 1) - date(1970, 1, 1)).days)
            keys.append(_month_key(y, m))
    return f"CASE WHEN {day} IS NULL THEN NULL ELSE {step_sql(day, starts, keys)} END"


def key_dates(keys: pa.Array | pa.ChunkedArray, by: Period | None) -> pa.Array:
    """Period keys (from :func:`period_key_sql`) back to the periods' first days."""
    k = np.asarray(keys.to_numpy(zero_copy_only=False), dtype=np.int64)
    if by is None:
        days = np.zeros(k.size, dtype=np.int64)
    elif by == "month":
        months = (k // 12 - 1970) * 12 + k % 12
        days = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    else:
        days = k
    return pa.array(days.astype(np.int32), pa.int32()).cast(pa.date32())
