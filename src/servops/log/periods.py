"""Periods (hour, day, week, month, quarter) of a time zone: THE period module.

Every figure cut by period — KPI tables, SPC series, feedback trends, the report's
weekly arrivals — takes its periods from here, in the log's (or KPI config's) time zone:

* :func:`bucket_sql` builds the SQL key of the local period of an epoch-seconds column;
  :func:`key_starts` turns the few result keys back into the periods' first moments;
* :func:`period_grid` lists every period between two, and :func:`period_label` names one;
* :func:`censored_periods` flags the periods the log covers only partly (cut by its
  first or last day), which trends, week-over-week deltas and control charts leave out;
* :func:`choose_period` (:func:`log_period` for a log) picks the one period a report's
  KPI trends and control charts share.

Cutting a timestamp into its local day, week or month with the engine's time-zone
conversion costs a calendar lookup per value (the slowest part of the KPI aggregation on
millions of cases). A zone's offset from UTC changes only at a few instants a year, so
the local time is ``epoch + offset`` with the offset read off a small ``CASE`` over the
zone's transitions in the data's span (found once with :mod:`zoneinfo`). The period key
is then integer arithmetic: the local hour or day number, the Monday of its week, or the
month index ``12 * year + month - 1`` (of the quarter's first month for quarters; a
``CASE`` over the span's month starts). Only the few result rows are turned back into
dates (:func:`key_dates`, :func:`key_starts`).

The SQL is ``CASE``, ``floor``, ``CAST`` and arithmetic (portable); the caller turns
timestamps into epoch seconds with the engine's ``epoch_s``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Literal, get_args
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa

from servops.errors import InvalidParameterError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from servops.log.eventlog import EventLog

__all__ = [
    "MIN_CHOSEN_PERIODS",
    "PERIODS",
    "Period",
    "activity_profile",
    "bucket_sql",
    "censored_periods",
    "choose_period",
    "interval_key_sql",
    "key_dates",
    "key_starts",
    "local_day_sql",
    "log_censored",
    "log_period",
    "log_span",
    "period_end",
    "period_grid",
    "period_key_sql",
    "period_label",
    "period_start",
    "step_sql",
    "utc_offsets",
]

Period = Literal["hour", "day", "week", "month", "quarter"]
#: The periods, shortest first.
PERIODS: tuple[str, ...] = get_args(Period)
_DAY = 86400
_HOUR = 3600
_EPOCH_DAY = date(1970, 1, 1)
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


def _local_epoch_sql(epoch: str, timezone: str, first_year: int, last_year: int) -> str:
    edges, offsets = utc_offsets(timezone, first_year - 1, last_year + 1)
    return f"({epoch} + {step_sql(epoch, edges, offsets)})"


def local_day_sql(epoch: str, timezone: str, first_year: int, last_year: int) -> str:
    """SQL for the local day number (days since 1970-01-01) of ``epoch`` seconds.

    ``epoch`` should be a column (it is repeated in the offset lookup). The span
    ``first_year..last_year`` (UTC years of the data) bounds the zone transitions that
    are looked up. ``NULL`` stays ``NULL``.
    """
    local = _local_epoch_sql(epoch, timezone, first_year, last_year)
    return f"CAST(floor(floor({local}) / {_DAY}) AS BIGINT)"


def period_key_sql(day: str, by: Period | None, first_year: int, last_year: int) -> str:
    """SQL for the integer period key of a local day number column ``day``.

    ``day``: the day number itself; ``week``: the day number of its Monday;
    ``month``: ``12 * year + month - 1``; ``quarter``: the month key of the quarter's
    first month; ``None``: 0. ``NULL`` stays ``NULL``. (``hour`` needs the time of
    day: see :func:`bucket_sql`.)

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
    if by == "hour":
        msg = "period_key_sql works on day numbers; hours need bucket_sql."
        raise InvalidParameterError(msg)
    starts, keys = [], [_month_key(first_year - 2, 12)]
    for y in range(first_year - 1, last_year + 2):
        for m in range(1, 13):
            starts.append((date(y, m, 1) - _EPOCH_DAY).days)
            keys.append(_month_key(y, m if by == "month" else m - (m - 1) % 3))
    return f"CASE WHEN {day} IS NULL THEN NULL ELSE {step_sql(day, starts, keys)} END"


def bucket_sql(
    epoch: str, by: Period | None, timezone: str, first_year: int, last_year: int
) -> str:
    """SQL for the integer key of the local period of ``epoch`` (seconds since 1970).

    THE period expression of servops: the hour, day, week (Monday first), month or
    quarter that the instant falls in on the wall clock of ``timezone``. ``epoch``
    should be a column (it is repeated); ``first_year..last_year`` bound the zone's
    transitions looked up (the UTC years of the data). Turn keys back into period
    starts with :func:`key_starts`.

    Examples
    --------
    >>> import duckdb
    >>> t = int(datetime(2024, 3, 31, 23, 30, tzinfo=UTC).timestamp())  # Mon 01:30 CEST
    >>> sql = bucket_sql("e", "week", "Europe/Amsterdam", 2024, 2024)
    >>> k = duckdb.sql(f"SELECT {sql} FROM (SELECT {t} AS e)").fetchall()[0][0]
    >>> key_starts([k], "week")
    [datetime.datetime(2024, 4, 1, 0, 0)]
    """
    if by == "hour":
        local = _local_epoch_sql(epoch, timezone, first_year, last_year)
        return f"CAST(floor(floor({local}) / {_HOUR}) AS BIGINT)"
    day = local_day_sql(epoch, timezone, first_year, last_year)
    return period_key_sql(f"({day})", by, first_year, last_year)


def interval_key_sql(
    epoch: str, step_s: float, timezone: str, first_year: int, last_year: int
) -> str:
    """SQL for the index of the local interval of ``step_s`` seconds holding ``epoch``.

    Intervals of the wall clock of ``timezone`` (15 or 30 minutes, an hour, a day…)
    counted from 1970-01-01 00:00 local time; ``step_s`` must divide a day or be
    whole days so that intervals line up with local midnight. The arrival counts of
    :mod:`servops.forecast` use it; :func:`bucket_sql` is the same for hours and days.

    Examples
    --------
    >>> import duckdb
    >>> t = int(datetime(2024, 7, 1, 12, 40, tzinfo=UTC).timestamp())  # 14:40 CEST
    >>> sql = interval_key_sql("e", 1800, "Europe/Amsterdam", 2024, 2024)
    >>> k = duckdb.sql(f"SELECT {sql} FROM (SELECT {t} AS e)").fetchall()[0][0]
    >>> datetime(1970, 1, 1) + timedelta(seconds=k * 1800)
    datetime.datetime(2024, 7, 1, 14, 30)
    """
    local = _local_epoch_sql(epoch, timezone, first_year, last_year)
    return f"CAST(floor(floor({local}) / {float(step_s)!r}) AS BIGINT)"


def key_dates(keys: pa.Array | pa.ChunkedArray, by: Period | None) -> pa.Array:
    """Period keys (from :func:`period_key_sql`) back to the periods' first days."""
    k = np.asarray(keys.to_numpy(zero_copy_only=False), dtype=np.int64)
    if by is None:
        days = np.zeros(k.size, dtype=np.int64)
    elif by in ("month", "quarter"):
        months = (k // 12 - 1970) * 12 + k % 12
        days = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    elif by == "hour":
        days = k // 24
    else:
        days = k
    return pa.array(days.astype(np.int32), pa.int32()).cast(pa.date32())


def key_starts(keys: Sequence[int], by: Period) -> list[datetime]:
    """Period keys (from :func:`bucket_sql`) back to the periods' first local moments.

    Examples
    --------
    >>> key_starts([12 * 2024 + 3], "quarter")
    [datetime.datetime(2024, 4, 1, 0, 0)]
    """
    out = []
    for k in keys:
        if by == "hour":
            out.append(datetime(1970, 1, 1) + timedelta(hours=int(k)))
        elif by in ("month", "quarter"):
            out.append(datetime(int(k) // 12, int(k) % 12 + 1, 1))
        else:
            out.append(datetime(1970, 1, 1) + timedelta(days=int(k)))
    return out


def period_start(moment: datetime, by: Period) -> datetime:
    """The first moment of the period holding ``moment`` (a local wall-clock time).

    Examples
    --------
    >>> period_start(datetime(2024, 5, 17, 13, 5), "quarter")
    datetime.datetime(2024, 4, 1, 0, 0)
    >>> period_start(datetime(2024, 5, 17, 13, 5), "week")
    datetime.datetime(2024, 5, 13, 0, 0)
    """
    m = moment.replace(tzinfo=None)
    if by == "hour":
        return m.replace(minute=0, second=0, microsecond=0)
    d = datetime(m.year, m.month, m.day)
    if by == "day":
        return d
    if by == "week":
        return d - timedelta(days=d.weekday())
    if by == "month":
        return d.replace(day=1)
    return datetime(d.year, d.month - (d.month - 1) % 3, 1)


def period_end(start: datetime, by: Period) -> datetime:
    """The first moment of the period after the one starting at ``start``.

    Examples
    --------
    >>> period_end(datetime(2024, 11, 1), "quarter")
    datetime.datetime(2025, 2, 1, 0, 0)
    """
    if by == "hour":
        return start + timedelta(hours=1)
    if by == "day":
        return start + timedelta(days=1)
    if by == "week":
        return start + timedelta(days=7)
    months = 1 if by == "month" else 3
    m = start.month - 1 + months
    return start.replace(year=start.year + m // 12, month=m % 12 + 1)


def period_grid(
    first: datetime | date, last: datetime | date, by: Period
) -> list[datetime]:
    """Every period start from the period of ``first`` to the period of ``last``.

    Examples
    --------
    >>> [
    ...     d.date().isoformat()
    ...     for d in period_grid(date(2024, 1, 31), date(2024, 3, 1), "month")
    ... ]
    ['2024-01-01', '2024-02-01', '2024-03-01']
    """
    lo = (
        first
        if isinstance(first, datetime)
        else datetime(first.year, first.month, first.day)
    )
    hi = (
        last
        if isinstance(last, datetime)
        else datetime(last.year, last.month, last.day)
    )
    out: list[datetime] = []
    p = period_start(lo, by)
    while p <= hi:  # a loop over periods (hundreds), not over cases
        out.append(p)
        p = period_end(p, by)
    return out


def period_label(start: datetime | date, by: Period) -> str:
    """``2024-03-04`` (day, week: its Monday), ``2024-03``, ``2024-Q2`` or ``2024-03-04 09:00``.

    Examples
    --------
    >>> (
    ...     period_label(datetime(2024, 4, 1), "quarter"),
    ...     period_label(date(2024, 4, 1), "month"),
    ... )
    ('2024-Q2', '2024-04')
    """
    if by == "hour" and isinstance(start, datetime):
        return start.strftime("%Y-%m-%d %H:%M")
    if by == "month":
        return start.strftime("%Y-%m")
    if by == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return start.strftime("%Y-%m-%d")


#: A period is censored when the log's span holds less than this share of the activity
#: such a period normally has (by the log's own hour-of-week profile).
CENSOR_COVERAGE = 0.9
_WEEK_HOURS = 168


def _hour_of_week(t: datetime) -> int:
    return t.weekday() * 24 + t.hour


def _weight(a: datetime, b: datetime, profile: Sequence[float]) -> float:
    """Activity expected in ``[a, b)``: profile weights of its hours, pro rata."""
    total = 0.0
    t = a
    hour = timedelta(hours=1)
    while t < b:  # a loop over the hours of one edge period, not over data
        h0 = t.replace(minute=0, second=0, microsecond=0)
        nxt = min(h0 + hour, b)
        total += float(profile[_hour_of_week(h0)]) * ((nxt - t) / hour)
        t = nxt
    return total


def censored_periods(
    starts: Sequence[datetime | date],
    by: Period,
    first: datetime | None,
    last: datetime | None,
    *,
    profile: Sequence[float] | None = None,
) -> list[bool]:
    """Which periods the log covers only partly: those cut by its first or last moment.

    ``first`` and ``last`` are the log's first and last moments on the same wall clock
    as the periods. A censored period holds part of a period's cases, so its counts,
    means and rates are kept out of trends, period-over-period deltas and control-chart
    limits and alerts.

    Without ``profile`` the log covers the whole local days (whole hours for
    ``hour``) from its first to its last moment, and a period with a day (hour)
    outside that is censored. With ``profile`` — the share of activity in each hour of
    the week, Monday 00:00 first (:func:`activity_profile`) — a period cut by the log's
    span (taken to whole hours) is censored when the part inside holds less than
    :data:`CENSOR_COVERAGE` (90 %) of the activity the whole period normally has:
    a log that ends on Friday evening does not censor the week of a desk closed at
    weekends, and one that ends at noon censors that day.

    Examples
    --------
    >>> weeks = [datetime(2024, 3, 4), datetime(2024, 3, 11), datetime(2024, 3, 18)]
    >>> first, last = datetime(2024, 3, 4, 9), datetime(2024, 3, 21, 17)
    >>> censored_periods(weeks, "week", first, last)
    [False, False, True]
    >>> office = [
    ...     1.0 if d < 5 and 8 <= h < 18 else 0.0 for d in range(7) for h in range(24)
    ... ]
    >>> censored_periods(
    ...     weeks, "week", first, datetime(2024, 3, 22, 18), profile=office
    ... )
    [False, False, False]
    """
    if first is None or last is None:
        return [False] * len(starts)
    out = []
    if profile is None:
        grain: Period = "hour" if by == "hour" else "day"
        lo = period_start(first, grain)
        hi = period_end(period_start(last, grain), grain)
        for s in starts:
            p = s if isinstance(s, datetime) else datetime(s.year, s.month, s.day)
            out.append(p < lo or period_end(p, by) > hi)
        return out
    if len(profile) != _WEEK_HOURS:
        msg = (
            f"The 'profile' parameter of censored_periods must hold {_WEEK_HOURS} "
            f"hour-of-week weights. Got {len(profile)} instead."
        )
        raise InvalidParameterError(msg)
    # the profile's resolution is an hour: the hours of the first and last events count
    # as covered
    first = period_start(first, "hour")
    last = period_end(period_start(last, "hour"), "hour")
    for s in starts:
        p = s if isinstance(s, datetime) else datetime(s.year, s.month, s.day)
        q = period_end(p, by)
        if p >= first and q <= last:
            out.append(False)
            continue
        whole = _weight(p, q, profile)
        inside = _weight(max(p, first), min(q, last), profile) if last > p else 0.0
        out.append(whole > 0 and inside < CENSOR_COVERAGE * whole)
    return out


def activity_profile(
    log: EventLog,
    timezone: str,
    *,
    span: tuple[datetime | None, datetime | None] | None = None,
) -> list[float]:
    """Share of the log's events in each local hour of the week (Monday 00:00 first).

    The weights :func:`censored_periods` uses to judge how much of a period a log's
    span misses. 168 numbers summing to 1 (all 0 for an empty log). ``span``: the
    log's :func:`log_span` in UTC if the caller has it (saves a pass over the events).
    """
    first, last = log_span(log, "UTC") if span is None else span
    if first is None or last is None:
        return [0.0] * _WEEK_HOURS
    from servops.log.engine import epoch_s

    hour = bucket_sql("e", "hour", timezone, first.year, last.year)
    # 1970-01-05 00:00 (hour 96) was a Monday
    rows = log.fetchall(
        f"SELECT ((({hour}) - 96) % 168 + 168) % 168 AS h, count(*) "
        f"FROM (SELECT {epoch_s(chr(34) + 'timestamp' + chr(34))} AS e FROM events) "
        "GROUP BY h"
    )
    counts = [0.0] * _WEEK_HOURS
    for h, n in rows:
        counts[int(h)] = float(n)
    total = sum(counts)
    return [c / total for c in counts] if total else counts


def log_censored(
    log: EventLog,
    starts: Sequence[datetime | date],
    by: Period,
    timezone: str,
    *,
    span: tuple[datetime | None, datetime | None] | None = None,
) -> list[bool]:
    """:func:`censored_periods` of ``starts`` for ``log``: its span and its profile.

    The one call every package uses to flag the periods a log covers only partly.
    ``span``: the log's :func:`log_span` in UTC if the caller has it (one pass over
    the events fewer).
    """
    # one pass for the span, shared by the profile; the local span follows from it
    utc = log_span(log, "UTC") if span is None else span
    first, last = _to_zone(utc, timezone)
    if first is None or last is None:
        return [False] * len(starts)
    return censored_periods(
        starts, by, first, last, profile=activity_profile(log, timezone, span=utc)
    )


def _to_zone(
    span: tuple[datetime | None, datetime | None], timezone: str
) -> tuple[datetime | None, datetime | None]:
    """``span`` (aware, or naive in UTC) on the wall clock of ``timezone`` (naive)."""
    if span[0] is None or span[1] is None:
        return None, None
    zone = ZoneInfo(timezone)

    def local(t: datetime) -> datetime:
        aware = t if t.tzinfo is not None else t.replace(tzinfo=UTC)
        return aware.astimezone(zone).replace(tzinfo=None)

    return local(span[0]), local(span[1])


def log_span(log: EventLog, timezone: str) -> tuple[datetime | None, datetime | None]:
    """The log's first and last moments on the wall clock of ``timezone`` (naive).

    The first moment is the earliest case arrival (:func:`servops.log.schema.case_arrival`:
    an enablement where the log records one, else the earliest start or end of any
    event), the last the latest end; ``(None, None)`` for an empty log.
    :func:`censored_periods` takes these.
    """
    from servops.log.schema import case_arrival

    row = log.fetchone(
        f'SELECT {case_arrival(log.attributes)}, max("timestamp") FROM events'
    )
    return _to_zone((row[0], row[1]), timezone)


#: Inner periods (all but the first and last, which a log may cover only partly) that
#: :func:`choose_period` wants: phase-I control limits need about 20 subgroups
#: (Montgomery, *Introduction to Statistical Quality Control*, 7th ed., §6.2), and the
#: KPI trends are drawn over the same periods as the control charts.
MIN_CHOSEN_PERIODS = 20


def choose_period(
    first: datetime | None, last: datetime | None
) -> Literal["day", "week", "month"]:
    """The coarsest of month, week and day giving 20 inner periods from first to last.

    Inner periods leave out the first and the last (:data:`MIN_CHOSEN_PERIODS`); spans
    too short for 20 inner weeks are cut by day. The report's KPI and control-chart
    sections both take their period from here (via :func:`log_period`).

    Examples
    --------
    >>> choose_period(datetime(2026, 9, 7), datetime(2026, 10, 30))  # 8 weeks
    'day'
    >>> choose_period(datetime(2026, 1, 5), datetime(2026, 6, 1))  # 22 weeks
    'week'
    >>> choose_period(datetime(2010, 1, 13), datetime(2014, 1, 3))  # 4 years
    'month'
    >>> choose_period(None, None)
    'day'
    """
    if first is None or last is None:
        return "day"
    for by in ("month", "week"):
        if len(period_grid(first, last, by)) - 2 >= MIN_CHOSEN_PERIODS:
            return by
    return "day"


def log_period(
    log: EventLog, timezone: str | None = None
) -> Literal["day", "week", "month"]:
    """:func:`choose_period` of the log's span (:func:`log_span`) in ``timezone``.

    ``timezone`` defaults to the log's own.
    """
    first, last = log_span(log, timezone or log.meta.timezone)
    return choose_period(first, last)
