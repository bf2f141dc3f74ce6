r"""Arrivals per interval: counting them in a log, forecasting them, and scoring forecasts.

A case *arrives* at its first moment (:func:`servops.log.schema.case_arrival`: its
earliest enablement where the log records one, else the earliest start, or end where no
start is known);
arrivals are counted per interval of local wall-clock time (15, 30, 60 minutes or a day)
so that the daily and weekly seasons line up with opening hours. Handle time per case is
the sum of its activity instances' service times (``timestamp - start_timestamp``), where
the log has start times; its mean per interval is the AHT that staffing needs.

Forecasts use statsforecast (Apache-2.0): ``MSTL`` (multiple seasonal-trend decomposition
by LOESS, Bandara, Bergmeir & Hewamalage 2021) with a daily and a weekly season and an
AutoETS trend; ``AutoETS`` (Hyndman et al. 2008); and ``SeasonalNaive`` (the value one
week earlier), the baseline every forecast must beat. Holidays are taken out of the
history (replaced by the same interval one week earlier) and put back into the forecast
as a learned factor.

Scores, on a rolling-origin backtest (Tashman 2000), are

.. math::
   \mathrm{MASE} = \frac{\frac{1}{h}\sum_t |y_t - \hat y_t|}
                        {\frac{1}{n-m}\sum_{t>m} |y_t - y_{t-m}|}, \qquad
   \mathrm{sMAPE} = \frac{1}{h}\sum_t \frac{2\,|y_t - \hat y_t|}{|y_t| + |\hat y_t|}

(Hyndman & Koehler 2006; :math:`m` is the weekly season, the scale is the in-sample
seasonal naive error, and sMAPE counts 0/0 as 0). A model is only worth using where its
MASE is below the seasonal naive forecast's MASE on the same windows.

Every season needs two full cycles of history (two days for the daily season, two
weeks for the weekly one). With less, the season is dropped and the forecast says so
loudly (:attr:`ArrivalForecast.warnings`: how long the history is and how long it should
be). Totals per day (:meth:`ArrivalForecast.per_day`, :meth:`ArrivalSeries.per_day`) are
calendar days of the series' wall clock (its time zone), not 24-hour blocks from the
first interval; a day the series covers only partly is flagged.

statsforecast is imported lazily, inside the functions that fit, so ``import servops``
stays fast.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Self

import numpy as np

from servops._durations import parse_duration
from servops._validation import check_choice, check_interval
from servops.errors import InvalidParameterError, LogSchemaError, NotFittedError
from servops.log.engine import epoch_s, quote, seconds_between
from servops.log.periods import interval_key_sql, log_span
from servops.log.schema import case_arrival

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    import pyarrow as pa

    from servops._typing import PathLike
    from servops.log import EventLog

__all__ = [
    "ArrivalForecast",
    "ArrivalForecaster",
    "ArrivalSeries",
    "BacktestResult",
    "DayTotal",
    "Model",
    "arrival_counts",
    "backtest",
    "forecast_arrivals",
    "mase",
    "parse_duration",
    "read_counts",
    "smape",
]

Model = Literal["mstl", "ets", "seasonal_naive"]
MODELS: tuple[str, ...] = ("mstl", "ets", "seasonal_naive")
_DAY = 86400.0
_WEEK = 7 * _DAY


def _interval_seconds(interval: str | timedelta | float, owner: str) -> float:
    s = parse_duration(interval, "interval").total_seconds()
    if s <= 0 or (s < _DAY and _DAY % s != 0) or (s >= _DAY and s % _DAY != 0):
        msg = (
            f"The 'interval' parameter of {owner} must divide a day (15m, 30m, 1h, …) "
            f"or be whole days. Got {interval!r} instead."
        )
        raise InvalidParameterError(msg)
    return s


# -- series --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DayTotal:
    """Arrivals of one calendar day of the series' wall clock.

    ``complete`` is False when the series covers only part of the day (a forecast
    that starts at 14:00, a history that ends at noon).
    """

    day: date
    total: float
    complete: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "day": self.day.isoformat(),
            "total": self.total,
            "complete": self.complete,
        }


def _per_day(start: datetime, step: float, values: np.ndarray) -> list[DayTotal]:
    """Sum ``values`` (one per interval from ``start``) per calendar day."""
    if values.size == 0:
        return []
    if step >= _DAY:  # whole-day intervals: one value per day (or per k days)
        days = _days_of(start, step, values.size)
        return [
            DayTotal(d.astype(object), float(v), True)
            for d, v in zip(days, values, strict=True)
        ]
    days = _days_of(start, step, values.size)
    per = int(_DAY // step)
    out = []
    uniq, first, counts = np.unique(days, return_index=True, return_counts=True)
    for d, i, n in zip(uniq, first, counts, strict=True):
        out.append(
            DayTotal(d.astype(object), float(values[i : i + n].sum()), int(n) == per)
        )
    return out


@dataclass(frozen=True, slots=True, eq=False)
class ArrivalSeries:
    """Arrivals per interval, in local wall-clock time, with no gaps (zeros included).

    ``aht_s`` holds the mean handle time (seconds) of the cases arriving in each
    interval, NaN where none arrived or the log has no start times.
    """

    start: datetime
    interval: timedelta
    counts: np.ndarray
    timezone: str = "UTC"
    aht_s: np.ndarray | None = None
    source: str = ""

    def __len__(self) -> int:
        return int(self.counts.size)

    @property
    def interval_s(self) -> float:
        """Interval length in seconds."""
        return self.interval.total_seconds()

    def timestamps(self) -> np.ndarray:
        """The start of every interval (numpy ``datetime64[s]``, local wall clock)."""
        step = np.timedelta64(int(self.interval_s), "s")
        return np.datetime64(self.start, "s") + step * np.arange(self.counts.size)

    def slice(self, lo: int, hi: int) -> ArrivalSeries:
        """Intervals ``lo`` to ``hi - 1``."""
        aht = None if self.aht_s is None else self.aht_s[lo:hi]
        return ArrivalSeries(
            self.start + self.interval * lo,
            self.interval,
            self.counts[lo:hi],
            self.timezone,
            aht,
            self.source,
        )

    def per_day(self) -> list[DayTotal]:
        """Arrivals per calendar day of the series' wall clock (partial days flagged)."""
        return _per_day(self.start, self.interval_s, self.counts)

    def mean_aht_s(self) -> float | None:
        """Mean handle time over all cases (weighted by arrivals), or None."""
        if self.aht_s is None:
            return None
        ok = np.isfinite(self.aht_s) & (self.counts > 0)
        if not ok.any():
            return None
        return float(np.sum(self.aht_s[ok] * self.counts[ok]) / np.sum(self.counts[ok]))

    def to_arrow(self) -> pa.Table:
        """Columns ``interval_start``, ``arrivals`` and ``aht_s``."""
        import pyarrow as pa

        aht = np.full(self.counts.size, np.nan) if self.aht_s is None else self.aht_s
        return pa.table(
            {
                "interval_start": pa.array(self.timestamps()),
                "arrivals": pa.array(self.counts.astype(float)),
                "aht_s": pa.array(aht, mask=~np.isfinite(aht)),
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (not the series itself)."""
        return {
            "start": self.start.isoformat(),
            "intervals": len(self),
            "interval_s": self.interval_s,
            "timezone": self.timezone,
            "total_arrivals": float(self.counts.sum()),
            "mean_aht_s": self.mean_aht_s(),
            "source": self.source,
        }


def arrival_counts(
    log: EventLog,
    *,
    interval: str | timedelta = "30m",
    timezone: str | None = None,
    activities: Sequence[str] | None = None,
) -> ArrivalSeries:
    """Count case arrivals per interval of local time, with the handle time per interval.

    Parameters
    ----------
    log
        The event log.
    interval
        Interval length: ``15m``, ``30m``, ``1h``, … (must divide a day) or ``1d``.
    timezone
        Zone of the wall clock to count in; default the log's own (``log.meta``).
    activities
        Activities whose service time counts as handle time (default: all with a start
        time).

    Returns
    -------
    ArrivalSeries
        Gap-free counts from the first to the last arrival's interval.

    Examples
    --------
    >>> s = arrival_counts(tiny_log, interval="1d")
    >>> s.start.date().isoformat(), s.counts.tolist()
    ('2024-01-08', [2.0, 2.0, 1.0])
    """
    step = _interval_seconds(interval, "arrival_counts")
    tz = timezone or log.meta.timezone or "UTC"
    first = case_arrival(log.attributes)
    work_filter = ""
    if activities:
        names = ", ".join("'" + a.replace("'", "''") + "'" for a in activities)
        work_filter = f" AND activity IN ({names})"
    service = seconds_between("start_timestamp", quote("timestamp"))
    t0, t1 = log_span(log, "UTC")
    years = (t0.year, t1.year) if t0 is not None and t1 is not None else (1970, 1970)
    bucket = interval_key_sql("a.e", step, tz, *years)
    rows = log.fetchall(
        f"""
        SELECT {bucket} AS b, count(*) AS n, avg(w.handle_s) AS aht
        FROM (SELECT case_id, {epoch_s(first)} AS e FROM events GROUP BY case_id) a
        LEFT JOIN (
          SELECT case_id, sum({service}) AS handle_s FROM instances
          WHERE start_timestamp IS NOT NULL{work_filter} GROUP BY case_id) w
          ON a.case_id = w.case_id
        GROUP BY b ORDER BY b
        """
    )
    if not rows:
        msg = log.nothing_message("no cases to count")
        raise LogSchemaError(msg)
    buckets = np.array([r[0] for r in rows], dtype=np.int64)
    lo = int(buckets[0])
    size = int(buckets[-1]) - lo + 1
    counts = np.zeros(size)
    counts[buckets - lo] = [float(r[1]) for r in rows]
    aht = np.full(size, np.nan)
    aht[buckets - lo] = [np.nan if r[2] is None else float(r[2]) for r in rows]
    start = datetime(1970, 1, 1) + timedelta(seconds=lo * step)
    has_aht = bool(np.isfinite(aht).any())
    return ArrivalSeries(
        start,
        timedelta(seconds=step),
        counts,
        tz,
        aht if has_aht else None,
        log.label,
    )


def read_counts(
    path: PathLike, *, interval: str | timedelta | None = None
) -> ArrivalSeries:
    r"""Read arrivals per interval from a CSV file.

    The file has a column ``interval_start`` and one of ``calls``, ``arrivals``,
    ``count`` or ``forecast``; an optional ``aht_s`` gives the handle time per interval.
    Missing intervals count as zero. The interval is the most common step unless given.

    Examples
    --------
    >>> p = tmp_path / "calls.csv"
    >>> _ = p.write_text(
    ...     "interval_start,calls\n2024-01-08 09:00,12\n2024-01-08 09:30,15\n"
    ... )
    >>> read_counts(p).counts.tolist()
    [12.0, 15.0]
    """
    import pyarrow as pa

    from servops.io.files import infer_types, read_table

    p = Path(path)
    table, _ = infer_types(read_table(p, what="arrival counts"))
    names = table.column_names
    value_col = next(
        (c for c in ("calls", "arrivals", "count", "forecast") if c in names), None
    )
    if "interval_start" not in names or value_col is None:
        msg = (
            f"read_counts: {str(p)!r} needs a column 'interval_start' and one of 'calls', "
            f"'arrivals', 'count', 'forecast'. Available columns: {sorted(names)}"
        )
        raise LogSchemaError(msg)
    ts_col = table.column("interval_start")
    if pa.types.is_timestamp(ts_col.type):
        ts = np.asarray(
            ts_col.cast(pa.timestamp("s")).to_numpy(zero_copy_only=False),
            dtype="datetime64[s]",
        )
    else:
        text = [str(v).strip().replace(" ", "T") for v in ts_col.to_pylist()]
        try:
            ts = np.array(text, dtype="datetime64[s]")
        except ValueError as exc:
            msg = (
                f"read_counts: {str(p)!r} column 'interval_start' must hold timestamps "
                f"like 2024-01-08 09:30 ({exc})."
            )
            raise LogSchemaError(msg) from exc
    for col in (value_col, "aht_s"):
        kind = table.column(col).type if col in names else pa.float64()
        if not (pa.types.is_integer(kind) or pa.types.is_floating(kind)):
            values_in = table.column(col).to_pylist()
            found = next(
                (
                    (i, v)
                    for i, v in enumerate(values_in)
                    if v is not None and not _is_number(v)
                ),
                None,
            )
            if found is None:  # all empty: nothing to say
                continue
            row, bad = found
            msg = (
                f"read_counts: {str(p)!r} column {col!r}, data row {row + 1}: {bad!r} "
                "is not a number; counts and handle times must be numbers (empty for "
                "none)."
            )
            raise LogSchemaError(msg)
    values = np.asarray(
        table.column(value_col).cast(pa.float64()).to_numpy(zero_copy_only=False),
        dtype=float,
    )
    aht_in = None
    if "aht_s" in names:
        aht_in = np.asarray(
            table.column("aht_s").cast(pa.float64()).to_numpy(zero_copy_only=False),
            dtype=float,
        )
    if ts.size == 0:
        msg = f"read_counts: {str(p)!r} has no rows."
        raise LogSchemaError(msg)
    order = np.argsort(ts, kind="stable")
    ts, values = ts[order], values[order]
    secs = ts.astype(np.int64)
    diffs = np.diff(secs)
    diffs = diffs[diffs > 0]
    if interval is not None:
        step = _interval_seconds(interval, "read_counts")
    elif diffs.size:
        uniq, freq = np.unique(diffs, return_counts=True)
        step = float(uniq[np.argmax(freq)])
    else:
        step = 1800.0
    idx = np.round((secs - secs[0]) / step).astype(np.int64)
    if np.any(np.abs(secs - secs[0] - idx * step) > 1e-6):
        msg = (
            f"read_counts: the timestamps in {str(p)!r} are not on a regular grid of "
            f"{step:g} s; pass interval=... or fix the file."
        )
        raise LogSchemaError(msg)
    counts = np.zeros(int(idx[-1]) + 1)
    np.add.at(counts, idx, values)
    aht = None
    if aht_in is not None:
        aht = np.full(counts.size, np.nan)
        aht[idx] = aht_in[order]
    start = datetime(1970, 1, 1) + timedelta(seconds=int(secs[0]))
    return ArrivalSeries(start, timedelta(seconds=step), counts, "UTC", aht, str(p))


# -- forecasting ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, eq=False)
class ArrivalForecast:
    """Forecast arrivals (and handle time) per future interval."""

    start: datetime
    interval: timedelta
    mean: np.ndarray
    model: str
    aht_s: np.ndarray | None = None
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    level: int | None = None
    notes: tuple[str, ...] = ()
    #: Loud warnings: the history is shorter than two cycles of a season, so the
    #: forecast lacks that season (how long the history is and should be).
    warnings: tuple[str, ...] = ()

    def per_day(self) -> list[DayTotal]:
        """Forecast calls per calendar day of the wall clock (partial days flagged).

        Examples
        --------
        >>> f = ArrivalForecast(
        ...     datetime(2024, 1, 8, 14), timedelta(hours=1), np.ones(24), "x"
        ... )
        >>> [(d.day.isoformat(), d.total, d.complete) for d in f.per_day()]
        [('2024-01-08', 10.0, False), ('2024-01-09', 14.0, False)]
        """
        return _per_day(self.start, self.interval.total_seconds(), self.mean)

    def timestamps(self) -> np.ndarray:
        """The start of every forecast interval (``datetime64[s]``, local wall clock)."""
        step = np.timedelta64(int(self.interval.total_seconds()), "s")
        return np.datetime64(self.start, "s") + step * np.arange(self.mean.size)

    def to_arrow(self) -> pa.Table:
        """Columns ``interval_start``, ``calls`` (the forecast), ``aht_s``, bounds."""
        import pyarrow as pa

        cols: dict[str, Any] = {
            "interval_start": pa.array(self.timestamps()),
            "calls": pa.array(self.mean),
        }
        if self.aht_s is not None:
            cols["aht_s"] = pa.array(self.aht_s)
        if self.lower is not None and self.upper is not None:
            cols["lower"] = pa.array(self.lower)
            cols["upper"] = pa.array(self.upper)
        return pa.table(cols)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form with one row per interval."""
        ts = [str(t).replace("T", " ") for t in self.timestamps()]
        rows = []
        for i, t in enumerate(ts):
            row: dict[str, Any] = {"interval_start": t, "calls": float(self.mean[i])}
            if self.aht_s is not None:
                row["aht_s"] = float(self.aht_s[i])
            if self.lower is not None and self.upper is not None:
                row["lower"] = float(self.lower[i])
                row["upper"] = float(self.upper[i])
            rows.append(row)
        return {
            "model": self.model,
            "start": self.start.isoformat(),
            "interval_s": self.interval.total_seconds(),
            "level": self.level,
            "total_calls": float(self.mean.sum()),
            "notes": list(self.notes),
            "warnings": list(self.warnings),
            "per_day": [d.to_dict() for d in self.per_day()],
            "intervals": rows,
        }


def _season_lengths(step: float, n: int) -> list[int]:
    """Daily and weekly season lengths in intervals that the history can support."""
    seasons = []
    if step < _DAY:
        seasons.append(int(_DAY // step))
    if step <= _DAY:
        seasons.append(int(_WEEK // step))
    return [m for m in seasons if n >= 2 * m]


class ArrivalForecaster:
    """Forecast arrivals per interval with daily and weekly seasons (statsforecast).

    Parameters
    ----------
    model
        ``"mstl"`` (MSTL, daily + weekly seasons, AutoETS trend: the default),
        ``"ets"`` (AutoETS with the daily season; ETS supports seasons up to 24
        intervals, so at 15/30-minute intervals it has none) or ``"seasonal_naive"``
        (the same interval one week earlier: the baseline).
    holidays
        Dates whose volume is abnormal. They are replaced in the history by the same
        interval a week earlier; forecasts on them are scaled by ``holiday_factor``.
    holiday_factor
        Volume on a holiday relative to a normal day; learned from the holidays in the
        history when None (or, if there are none, from the quietest weekday).
    history
        How much recent history to fit on (default 12 weeks; None for all).
    level
        Prediction-interval level in percent (e.g. 80), or None.

    Attributes
    ----------
    series_ : ArrivalSeries
        The (trimmed, holiday-adjusted) history the model was fitted on.
    season_lengths_ : list of int
        Seasons used, in intervals.
    holiday_factor_ : float
        The factor applied to holidays in the forecast.
    aht_profile_ : numpy.ndarray or None
        Mean handle time per interval of the week (seconds), for future intervals.
    notes_ : list of str
        What the fit had to assume.
    warnings_ : list of str
        Seasons the history is too short for (less than two cycles): how long the
        history is and how long it should be.

    Examples
    --------
    >>> import numpy as np
    >>> from datetime import datetime, timedelta
    >>> y = np.tile(np.r_[np.zeros(8), np.full(10, 6.0), np.zeros(6)], 7 * 3)
    >>> s = ArrivalSeries(datetime(2024, 1, 1), timedelta(hours=1), y)
    >>> f = ArrivalForecaster("seasonal_naive").fit(s).predict(timedelta(days=1))
    >>> f.mean[8:12].tolist(), f.start.isoformat()
    ([6.0, 6.0, 6.0, 6.0], '2024-01-22T00:00:00')
    """

    def __init__(
        self,
        model: Model = "mstl",
        *,
        holidays: Iterable[date] = (),
        holiday_factor: float | None = None,
        history: timedelta | None = timedelta(weeks=12),
        level: int | None = None,
    ) -> None:
        self.model = model
        self.holidays = holidays
        self.holiday_factor = holiday_factor
        self.history = history
        self.level = level

    # sklearn-style: validate at fit time, so set_params-like mutation is honoured
    def _check(self) -> None:
        check_choice(self.model, "model", "ArrivalForecaster", MODELS)
        if self.holiday_factor is not None:
            check_interval(
                self.holiday_factor,
                "holiday_factor",
                "ArrivalForecaster",
                low=0.0,
                closed="left",
            )
        if self.level is not None:
            check_interval(self.level, "level", "ArrivalForecaster", low=0, high=100)

    def fit(self, series: ArrivalSeries) -> Self:
        """Fit the model on ``series``; returns ``self``."""
        self._check()
        step = series.interval_s
        n_keep = len(series)
        if self.history is not None:
            n_keep = min(n_keep, max(1, int(self.history.total_seconds() // step)))
        s = series.slice(len(series) - n_keep, len(series))
        notes: list[str] = []
        seasons = _season_lengths(step, len(s))
        wanted = _season_lengths(step, 10**9)
        warnings = [
            _short_history(len(s), step, m, s.source)
            for m in wanted
            if m not in seasons
        ]
        y, hol_factor, hol_note = _adjust_holidays(s, set(self.holidays), seasons)
        if self.holiday_factor is not None:
            hol_factor = float(self.holiday_factor)
        elif hol_note:
            notes.append(hol_note)
        self.series_ = ArrivalSeries(
            s.start, s.interval, y, s.timezone, s.aht_s, s.source
        )
        self.season_lengths_ = seasons
        self.holiday_factor_ = hol_factor
        self.aht_profile_ = _aht_profile(s)
        self.model_ = _make_model(self.model, seasons, notes)
        if self.model != "seasonal_naive" and len(y) < _MIN_FIT:
            msg = (
                f"{series.source or 'the series'}: {len(y)} interval(s) of "
                f"{_interval_text(step)} from {s.start:%Y-%m-%d %H:%M} is too short to fit "
                f"{self.model} (it needs at least {_MIN_FIT}). Use a shorter interval, "
                f"a longer history, or the seasonal_naive model."
            )
            raise InvalidParameterError(msg)
        self.model_.fit(y.astype(float))
        self.notes_ = notes
        self.warnings_ = warnings
        return self

    def predict(self, horizon: timedelta | int) -> ArrivalForecast:
        """Forecast ``horizon`` (a duration, or a number of intervals) past the history."""
        if not hasattr(self, "model_"):
            msg = "This ArrivalForecaster is not fitted yet; call fit(series) first."
            raise NotFittedError(msg)
        step = self.series_.interval_s
        h = (
            horizon
            if isinstance(horizon, int)
            else math.ceil(horizon.total_seconds() / step)
        )
        if h < 1:
            msg = f"The 'horizon' of predict must cover at least one interval. Got {horizon!r}."
            raise InvalidParameterError(msg)
        out = self.model_.predict(h=h, level=[self.level] if self.level else None)
        mean = np.clip(np.asarray(out["mean"], dtype=float), 0.0, None)
        lower = upper = None
        if self.level:
            lower = np.clip(np.asarray(out[f"lo-{self.level}"], dtype=float), 0.0, None)
            upper = np.clip(np.asarray(out[f"hi-{self.level}"], dtype=float), 0.0, None)
        start = self.series_.start + self.series_.interval * len(self.series_)
        hol = _holiday_mask(start, step, h, set(self.holidays))
        if hol.any():
            mean[hol] *= self.holiday_factor_
            if lower is not None and upper is not None:
                lower[hol] *= self.holiday_factor_
                upper[hol] *= self.holiday_factor_
        aht = None
        if self.aht_profile_ is not None:
            slots = _week_slots(start, step, h)
            aht = self.aht_profile_[slots % self.aht_profile_.size]
        return ArrivalForecast(
            start,
            self.series_.interval,
            mean,
            self.model,
            aht,
            lower,
            upper,
            self.level,
            tuple(self.notes_),
            tuple(self.warnings_),
        )


def forecast_arrivals(
    series: ArrivalSeries,
    horizon: timedelta | int,
    *,
    model: Model = "mstl",
    holidays: Iterable[date] = (),
    holiday_factor: float | None = None,
    history: timedelta | None = timedelta(weeks=12),
    level: int | None = None,
) -> ArrivalForecast:
    """Fit an :class:`ArrivalForecaster` on ``series`` and forecast ``horizon``.

    Examples
    --------
    >>> import numpy as np
    >>> from datetime import datetime, timedelta
    >>> s = ArrivalSeries(
    ...     datetime(2024, 1, 1), timedelta(days=1), np.tile([9.0, 8, 8, 8, 7, 1, 0], 4)
    ... )
    >>> forecast_arrivals(s, 7, model="seasonal_naive").mean.tolist()
    [9.0, 8.0, 8.0, 8.0, 7.0, 1.0, 0.0]
    """
    return (
        ArrivalForecaster(
            model,
            holidays=holidays,
            holiday_factor=holiday_factor,
            history=history,
            level=level,
        )
        .fit(series)
        .predict(horizon)
    )


def _short_history(n: int, step: float, season: int, source: str) -> str:
    """The loud warning for a season the history cannot support."""
    name = "daily" if season * step <= _DAY else "weekly"
    have = n * step / _DAY
    need = 2 * season * step / _DAY
    return (
        f"{source or 'the series'}: the history is {have:.1f} days "
        f"({n} intervals of {_interval_text(step)}); a {name} season needs at least "
        f"{need:.0f} days (two cycles), so this forecast has NO {name} pattern "
        f"(fitted without it). Use a log covering at least {need:.0f} days."
    )


def _interval_text(step: float) -> str:
    """``1d``, ``1h``, ``30m`` or ``90s``."""
    for unit, secs in (("d", 86400), ("h", 3600), ("m", 60)):
        if step >= secs and step % secs == 0:
            return f"{int(step // secs)}{unit}"
    return f"{step:g}s"


#: Fewest intervals the exponential-smoothing fits take: statsforecast's ETS refuses
#: fewer than 7 ("tiny datasets") and divides by zero on exactly 7.
_MIN_FIT = 8


def _make_model(name: str, seasons: list[int], notes: list[str]) -> Any:  # noqa: ANN401
    from statsforecast.models import MSTL, AutoETS, SeasonalNaive

    week = seasons[-1] if seasons else 1
    if name == "seasonal_naive":
        return SeasonalNaive(season_length=week)
    if name == "ets":
        day = seasons[0] if seasons else 1
        if day > 24:
            notes.append(
                f"AutoETS supports seasons up to 24 intervals, not {day}: "
                "fitted without a season (use mstl)"
            )
            day = 1
        return AutoETS(season_length=day)
    if not seasons:
        notes.append("no season fits in the history: MSTL replaced by AutoETS")
        return AutoETS(season_length=1)
    return MSTL(season_length=seasons, trend_forecaster=AutoETS(model="ZZN"))


def _days_of(start: datetime, step: float, n: int) -> np.ndarray:
    day0 = np.datetime64(start, "s")
    ts = day0 + np.timedelta64(int(step), "s") * np.arange(n)
    return ts.astype("datetime64[D]")


def _holiday_mask(
    start: datetime, step: float, n: int, holidays: set[date]
) -> np.ndarray:
    if not holidays or n == 0:
        return np.zeros(n, dtype=bool)
    hol = np.array(sorted(holidays), dtype="datetime64[D]")
    return np.isin(_days_of(start, step, n), hol)


def _week_slots(start: datetime, step: float, n: int) -> np.ndarray:
    """Interval-of-week index (Monday 00:00 = 0) of ``n`` intervals from ``start``."""
    secs = (np.datetime64(start, "s") - np.datetime64("1970-01-05", "s")).astype(
        np.int64
    )
    idx = (secs // int(step) + np.arange(n)).astype(np.int64)
    return idx % int(_WEEK // step) if step <= _DAY else np.zeros(n, dtype=np.int64)


def _adjust_holidays(
    s: ArrivalSeries, holidays: set[date], seasons: list[int]
) -> tuple[np.ndarray, float, str]:
    """History with holidays replaced by the interval a week away; and the factor."""
    y = s.counts.astype(float).copy()
    week = seasons[-1] if seasons else 0
    mask = _holiday_mask(s.start, s.interval_s, len(s), holidays)
    if mask.any() and week:
        idx = np.flatnonzero(mask)
        src = np.where(idx - week >= 0, idx - week, idx + week)
        ok = (src < y.size) & ~mask[np.clip(src, 0, y.size - 1)]
        actual = y[idx[ok]].sum()
        normal = y[src[ok]].sum()
        y[idx[ok]] = y[src[ok]]
        if normal > 0:
            return y, float(actual / normal), ""
    # No holiday to learn from: assume a holiday looks like the quietest weekday.
    days = _days_of(s.start, s.interval_s, len(s))
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    per_day = np.bincount(weekday, weights=s.counts, minlength=7)
    n_days = np.bincount(weekday, minlength=7) * (s.interval_s / _DAY)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(n_days > 0, per_day / np.maximum(n_days, 1e-12), np.nan)
    mean_rate = float(np.nanmean(rate)) if np.isfinite(rate).any() else 0.0
    factor = float(np.nanmin(rate) / mean_rate) if mean_rate > 0 else 1.0
    note = (
        (
            f"no holiday in the history: holidays forecast like the quietest weekday "
            f"(factor {factor:.2f})"
        )
        if holidays
        else ""
    )
    return y, factor, note


def _aht_profile(s: ArrivalSeries, prior_cases: float = 30.0) -> np.ndarray | None:
    """Mean handle time per interval of the week, shrunk towards the overall mean.

    Handle times are heavy-tailed, so a slot's own mean over a few cases is noise: each
    slot's mean is blended with the overall mean as if it had ``prior_cases`` more
    cases at that mean (empirical-Bayes shrinkage).
    """
    overall = s.mean_aht_s()
    if s.aht_s is None or overall is None:
        return None
    slots = _week_slots(s.start, s.interval_s, len(s))
    size = int(_WEEK // s.interval_s) if s.interval_s <= _DAY else 1
    ok = np.isfinite(s.aht_s) & (s.counts > 0)
    w = np.bincount(slots[ok], weights=s.counts[ok], minlength=size)
    tot = np.bincount(slots[ok], weights=(s.aht_s * s.counts)[ok], minlength=size)
    out: np.ndarray = (tot + prior_cases * overall) / (w + prior_cases)
    return out


# -- backtest ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class WindowScore:
    """Scores of one backtest window (model and seasonal naive baseline)."""

    origin: datetime
    mae: float
    mae_baseline: float
    mase: float
    mase_baseline: float
    smape: float
    smape_baseline: float
    daily_mase: float | None
    daily_mase_baseline: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "origin": self.origin.isoformat(),
            "mae": self.mae,
            "mae_baseline": self.mae_baseline,
            "mase": self.mase,
            "mase_baseline": self.mase_baseline,
            "smape": self.smape,
            "smape_baseline": self.smape_baseline,
            "daily_mase": self.daily_mase,
            "daily_mase_baseline": self.daily_mase_baseline,
        }


@dataclass(frozen=True, slots=True)
class BacktestResult:
    """Rolling-origin backtest: the model against seasonal naive on the same windows.

    ``mase`` below ``mase_baseline`` means the model beats the seasonal naive forecast;
    ``skill`` = 1 − MAE(model) / MAE(baseline) says by how much (negative: worse).
    ``daily_*`` score the daily totals, which matter more than sparse intervals.
    """

    model: str
    interval_s: float
    horizon: int
    windows: tuple[WindowScore, ...]
    mase: float
    mase_baseline: float
    smape: float
    smape_baseline: float
    skill: float
    daily_mase: float | None
    daily_mase_baseline: float | None
    zero_share: float
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "model": self.model,
            "interval_s": self.interval_s,
            "horizon_intervals": self.horizon,
            "mase": self.mase,
            "mase_baseline": self.mase_baseline,
            "smape": self.smape,
            "smape_baseline": self.smape_baseline,
            "skill": self.skill,
            "daily_mase": self.daily_mase,
            "daily_mase_baseline": self.daily_mase_baseline,
            "zero_share": self.zero_share,
            "beats_baseline": self.mase < self.mase_baseline,
            "windows": [w.to_dict() for w in self.windows],
            "notes": list(self.notes),
        }


def mase(actual: np.ndarray, forecast: np.ndarray, train: np.ndarray, m: int) -> float:
    """Mean absolute scaled error (scale: in-sample seasonal naive MAE with season m).

    Examples
    --------
    >>> import numpy as np
    >>> mase(np.array([3.0, 5]), np.array([4.0, 4]), np.array([1.0, 2, 3, 5]), 2)
    0.4
    """
    scale = (
        float(np.mean(np.abs(train[m:] - train[:-m]))) if train.size > m else math.nan
    )
    err = float(np.mean(np.abs(actual - forecast)))
    return err / scale if scale > 0 else math.nan


def smape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Symmetric MAPE in [0, 2]; intervals where both are 0 count as 0.

    Examples
    --------
    >>> import numpy as np
    >>> smape(np.array([0.0, 2.0]), np.array([0.0, 1.0]))
    0.3333333333333333
    """
    den = np.abs(actual) + np.abs(forecast)
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = np.where(den > 0, 2.0 * np.abs(actual - forecast) / den, 0.0)
    return float(np.mean(terms))


def _daily(values: np.ndarray, start: datetime, step: float) -> np.ndarray:
    days = _days_of(start, step, values.size).astype(np.int64)
    return np.bincount(days - days[0], weights=values)


def backtest(
    series: ArrivalSeries,
    *,
    horizon: timedelta | int = timedelta(days=7),
    windows: int = 4,
    model: Model = "mstl",
    history: timedelta | None = timedelta(weeks=12),
    holidays: Iterable[date] = (),
) -> BacktestResult:
    """Rolling-origin backtest of ``model`` against seasonal naive.

    The last ``windows × horizon`` intervals are forecast one window at a time, each
    from the history before it; MASE is scaled by the in-sample seasonal naive error
    (weekly season) of each window's training data.

    Raises
    ------
    InvalidParameterError
        If the series is too short for two weekly cycles of training plus one window.
    """
    check_choice(model, "model", "backtest", MODELS)
    step = series.interval_s
    h = (
        horizon
        if isinstance(horizon, int)
        else math.ceil(horizon.total_seconds() / step)
    )
    week = int(_WEEK // step) if step <= _DAY else 1
    min_train = 2 * week
    hol = set(holidays)
    n_windows = min(int(windows), (len(series) - min_train) // h) if h > 0 else 0
    if n_windows < 1:
        msg = (
            f"backtest needs at least two weeks of history plus one horizon "
            f"({min_train + h} intervals of {step:g} s); the series has {len(series)}."
        )
        raise InvalidParameterError(msg)
    notes = []
    if n_windows < windows:
        notes.append(f"only {n_windows} window(s) fit in the series (asked {windows})")
    scores = []
    for w in range(n_windows, 0, -1):
        origin = len(series) - w * h
        train = series.slice(0, origin)
        test = series.counts[origin : origin + h]
        fc = (
            ArrivalForecaster(model, history=history, holidays=hol)
            .fit(train)
            .predict(h)
        )
        base = (
            ArrivalForecaster("seasonal_naive", history=history, holidays=hol)
            .fit(train)
            .predict(h)
        )
        y_train = (
            train.counts[-int(history.total_seconds() // step) :]
            if history
            else train.counts
        )
        f_start = fc.start
        dm = dbm = None
        if step < _DAY:
            d_train_start = train.start + train.interval * (len(train) - y_train.size)
            d_train = _daily(y_train, d_train_start, step)
            d_act = _daily(test, f_start, step)
            dm = mase(d_act, _daily(fc.mean, f_start, step), d_train, 7)
            dbm = mase(d_act, _daily(base.mean, f_start, step), d_train, 7)
        scores.append(
            WindowScore(
                origin=f_start,
                mae=float(np.mean(np.abs(test - fc.mean))),
                mae_baseline=float(np.mean(np.abs(test - base.mean))),
                mase=mase(test, fc.mean, y_train, week),
                mase_baseline=mase(test, base.mean, y_train, week),
                smape=smape(test, fc.mean),
                smape_baseline=smape(test, base.mean),
                daily_mase=dm,
                daily_mase_baseline=dbm,
            )
        )
    mae_m = float(np.mean([s.mae for s in scores]))
    mae_b = float(np.mean([s.mae_baseline for s in scores]))

    def avg(values: list[float | None]) -> float | None:
        vals = [v for v in values if v is not None and math.isfinite(v)]
        return float(np.mean(vals)) if vals else None

    tail = series.counts[len(series) - n_windows * h :]
    return BacktestResult(
        model=model,
        interval_s=step,
        horizon=h,
        windows=tuple(scores),
        mase=_nan_if_none(avg([s.mase for s in scores])),
        mase_baseline=_nan_if_none(avg([s.mase_baseline for s in scores])),
        smape=float(np.mean([s.smape for s in scores])),
        smape_baseline=float(np.mean([s.smape_baseline for s in scores])),
        skill=1.0 - mae_m / mae_b if mae_b > 0 else math.nan,
        daily_mase=avg([s.daily_mase for s in scores]),
        daily_mase_baseline=avg([s.daily_mase_baseline for s in scores]),
        zero_share=float(np.mean(tail == 0)),
        notes=tuple(notes),
    )


def _nan_if_none(value: float | None) -> float:
    return math.nan if value is None else value


def _is_number(v: object) -> bool:
    try:
        float(str(v))
    except ValueError:
        return False
    return True
