"""Timestamp formats: detect them from sample values and parse them in SQL.

Everything is stored as UTC (``TIMESTAMPTZ``). Values with an offset (``+02:00``, ``Z``)
are exact; naive values are read in the given time zone (default UTC). Detection tries ISO
8601 first, then day-first and month-first layouts, then epoch numbers. Where day and month
cannot be told apart (every day ≤ 12) the choice is reported so the user can override it
with ``dayfirst``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["TimestampFormat", "detect_format", "parse_expression"]

_OFFSET = re.compile(r"(Z|[+-]\d\d:?\d\d)$")
_ISO = re.compile(
    r"^\d{4}[-/]\d{1,2}[-/]\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d\d:?\d\d)?$"
)
_EPOCH = re.compile(r"^-?\d{9,19}(\.\d+)?$")

_TIMES = ("%H:%M:%S.%f", "%H:%M:%S", "%H:%M", "%I:%M:%S %p", "%I:%M %p")


def _layouts(*, day_first: bool) -> list[str]:
    out: list[str] = []
    for sep in ("-", "/", "."):
        for year in ("%Y", "%y"):
            date = f"%d{sep}%m{sep}{year}" if day_first else f"%m{sep}%d{sep}{year}"
            out.extend(f"{date} {t}" for t in _TIMES)
            out.append(date)
    return out


_CHINESE = [f"%Y年%m月%d日 {t}" for t in _TIMES] + ["%Y年%m月%d日"]
_COMPACT = ["%Y%m%d%H%M%S", "%Y%m%d %H:%M:%S", "%Y%m%d"]


@dataclass(frozen=True, slots=True)
class TimestampFormat:
    """How a column of timestamp strings is read.

    ``kind`` is ``"iso"`` (ISO 8601, with or without offset), ``"strptime"`` (``pattern``
    holds the format), ``"epoch_s"``, ``"epoch_ms"``, ``"epoch_us"`` or ``"native"`` (the
    column is typed already). ``note`` explains an ambiguous choice.
    """

    kind: str
    pattern: str | None = None
    note: str | None = None

    def describe(self) -> str:
        """Return a short human description, e.g. ``strptime '%d-%m-%Y %H:%M'``."""
        return f"{self.kind} {self.pattern!r}" if self.pattern else self.kind


def _count(values: Sequence[str], pattern: str) -> int:
    n = 0
    for v in values:
        try:
            datetime.strptime(v, pattern)
        except ValueError:
            continue
        n += 1
    return n


def detect_format(
    values: Sequence[str], *, dayfirst: bool | None = None, pattern: str | None = None
) -> TimestampFormat | None:
    """Find the format that reads the most of ``values`` (stripped, non-empty strings).

    A format that reads every value wins at once; otherwise the one reading most of them
    (the rest are reported as bad rows by the import). Returns ``None`` when no known
    format reads any value.

    Examples
    --------
    >>> detect_format(["2011-10-01T00:38:44.546+02:00"]).kind
    'iso'
    >>> detect_format(["31-12-2012 10:00", "01-04-2010 13:05"]).pattern
    '%d-%m-%Y %H:%M'
    >>> detect_format(["1286300000", "1286400000"]).kind
    'epoch_s'
    >>> detect_format(["2024-01-01 09:00", "soon"]).kind
    'iso'
    """
    vals = [v for v in values if v]
    if pattern is not None:
        return TimestampFormat("strptime", pattern)
    if not vals:
        return TimestampFormat("iso")
    n = len(vals)
    sample = vals[:300]
    scored: list[tuple[int, TimestampFormat]] = []
    iso = sum(1 for v in vals if _ISO.match(v))
    if iso == n:
        return TimestampFormat("iso")
    scored.append((iso * len(sample) // n, TimestampFormat("iso")))
    epoch = [v for v in vals if _EPOCH.match(v)]
    if epoch:
        biggest = max(abs(float(v)) for v in epoch)
        kind = (
            "epoch_s"
            if biggest < 1e11
            else "epoch_ms"
            if biggest < 1e14
            else "epoch_us"
        )
        if len(epoch) == n:
            return TimestampFormat(kind)
        scored.append((len(epoch) * len(sample) // n, TimestampFormat(kind)))
    orders = [True, False] if dayfirst is None else [dayfirst]
    best_by_order: dict[bool, tuple[int, str]] = {}
    for df in orders:
        for pat in _layouts(day_first=df):
            k = _count(sample, pat)
            if k > best_by_order.get(df, (0, ""))[0]:
                best_by_order[df] = (k, pat)
            if k == len(sample):
                break
    full = {df: pat for df, (k, pat) in best_by_order.items() if k == len(sample)}
    if dayfirst is None and len(full) == 2:
        # Ambiguous: every day is <= 12. '/' is usually US month-first; '-' and '.' day-first.
        slash = "/" in full[True]
        choice = full[False] if slash else full[True]
        other = "day-first" if slash else "month-first"
        note = (
            f"timestamps are ambiguous (no day above 12): read as {choice!r}; "
            f"pass dayfirst={'True' if slash else 'False'} (--dayfirst/--monthfirst) "
            f"to read them {other}"
        )
        return TimestampFormat("strptime", choice, note)
    for df in orders:
        if df in best_by_order:
            k, pat = best_by_order[df]
            scored.append((k, TimestampFormat("strptime", pat)))
    for pat in (*_CHINESE, *_COMPACT):
        scored.append((_count(sample, pat), TimestampFormat("strptime", pat)))
    best = max(scored, key=lambda x: x[0])  # first of equals: the order above
    return best[1] if best[0] > 0 else None


def parse_expression(column_sql: str, fmt: TimestampFormat, timezone: str) -> str:
    """Return a DuckDB SQL expression turning ``column_sql`` into ``TIMESTAMPTZ``.

    Unparseable values become NULL (``try_`` functions); the caller reports them.
    """
    tz = timezone.replace("'", "''")
    utc = timezone.upper() in ("UTC", "Z", "ETC/UTC", "GMT")
    x = column_sql
    if fmt.kind == "native":
        return (
            f"CAST({x} AS TIMESTAMPTZ)"
            if utc
            else (
                f"(CASE WHEN typeof({x}) = 'TIMESTAMP WITH TIME ZONE' THEN CAST({x} AS TIMESTAMPTZ)"
                f" ELSE timezone('{tz}', CAST({x} AS TIMESTAMP)) END)"
            )
        )
    if fmt.kind.startswith("epoch"):
        div = {"epoch_s": 1, "epoch_ms": 1_000, "epoch_us": 1_000_000}[fmt.kind]
        return f"to_timestamp(TRY_CAST({x} AS DOUBLE) / {div})"
    if fmt.kind == "iso":
        if utc:
            # most values cast as they are; only the others pay for trim and replace
            return (
                f"coalesce(TRY_CAST({x} AS TIMESTAMPTZ), "
                f"TRY_CAST(replace(trim({x}), '/', '-') AS TIMESTAMPTZ))"
            )
        return (
            f"(CASE WHEN regexp_matches(trim({x}), '(Z|[+-][0-9][0-9]:?[0-9][0-9])$') "
            f"THEN TRY_CAST(replace(trim({x}), '/', '-') AS TIMESTAMPTZ) "
            f"ELSE timezone('{tz}', TRY_CAST(replace(trim({x}), '/', '-') AS TIMESTAMP)) END)"
        )
    pat = (fmt.pattern or "").replace("'", "''")
    naive = f"try_strptime(trim({x}), '{pat}')"
    return f"timezone('{tz}', {naive})"
