"""Working calendars and piecewise-constant functions of simulated time.

A :class:`Calendar` is a set of weekly working intervals, written in YAML as the KPI
configs write business hours (one syntax, parsed by
:meth:`servops.kpi.calendar.BusinessCalendar.from_spec`)::

    calendar:
      hours: {mon-fri: "08:00-17:00", sat: "09:00-12:00"}

Times are UTC: the simulator's calendar is a weekly pattern in UTC, so ``timezone`` may
only be ``UTC`` and ``holidays`` are refused (not simulated). The older list form
``[{days: mon-fri, hours: "08:00-17:00"}]`` is still read (it allows overnight ranges
such as ``22:00-02:00``), and a calendar is written back in the one syntax.

A :class:`StepFunction` is what the kernel consumes: a value that changes at known
times, either once (a staffing schedule for one day) or repeating with a period (a
weekly calendar). The kernel asks for the value now and for the next change, and
schedules one event per change, so nothing is pre-generated.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from servops.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from servops.kpi.calendar import BusinessCalendar

__all__ = ["DAYS", "WEEK_S", "Calendar", "StepFunction"]

WEEK_S = 7 * 86400.0
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True, slots=True)
class StepFunction:
    """A piecewise-constant function of simulated time (seconds since the model start).

    ``values[i]`` holds from ``origin_s + times[i]`` to the next breakpoint. With a
    ``period_s`` the pattern repeats; without one the first value holds before the
    first breakpoint and the last value holds for ever after the last.

    Examples
    --------
    >>> f = StepFunction(times=(0.0, 10.0), values=(2.0, 5.0), period_s=20.0)
    >>> f.value_at(3), f.value_at(12), f.value_at(23)
    (2.0, 5.0, 2.0)
    >>> f.next_change(3), f.next_change(12)
    (10.0, 20.0)
    """

    times: tuple[float, ...]
    values: tuple[float, ...]
    period_s: float | None = None
    origin_s: float = 0.0

    def __post_init__(self) -> None:
        if not self.times or len(self.times) != len(self.values):
            msg = "StepFunction needs as many breakpoints as values, at least one."
            raise ConfigError(msg)
        if self.period_s is not None and (
            self.times[0] != 0.0 or self.times[-1] >= self.period_s
        ):
            msg = "A periodic StepFunction's breakpoints must lie in [0, period)."
            raise ConfigError(msg)

    @classmethod
    def constant(cls, value: float) -> StepFunction:
        """A function that never changes."""
        return cls(times=(0.0,), values=(float(value),))

    @property
    def is_constant(self) -> bool:
        """Whether the value never changes."""
        return len(set(self.values)) == 1

    def value_at(self, t: float) -> float:
        """The value at time ``t``."""
        _, i = self._next_breakpoint(t)
        if i == 0:
            # before the first breakpoint: the first value (the cycle's last if periodic)
            return self.values[-1 if self.period_s is not None else 0]
        return self.values[i - 1]

    def next_change(self, t: float) -> float:
        """The first breakpoint strictly after ``t`` (``inf`` if none)."""
        base, i = self._next_breakpoint(t)
        if i == len(self.times):
            return math.inf if self.period_s is None else base + self.period_s
        return base + self.times[i]

    def _next_breakpoint(self, t: float) -> tuple[float, int]:
        """The cycle's start and the index of the first breakpoint after ``t``.

        ``len(times)``: the next cycle's start (``inf`` if not periodic). The breakpoint
        is the float ``base + times[i]`` that :meth:`next_change` returns, so a time
        that a caller reached by stepping to it lies in the piece it starts, although
        ``t - origin_s`` may round to just short of it (a run whose start is not a whole
        number of seconds into the week: ``next_change`` returned ``t`` itself and the
        kernel's arrival loop never ended).
        """
        n = len(self.times)
        off = t - self.origin_s
        if self.period_s is None:
            i = bisect.bisect_right(self.times, off)
            while i < n and self.origin_s + self.times[i] <= t:
                i += 1
            return self.origin_s, i
        cycle = math.floor(off / self.period_s)
        base = self.origin_s + cycle * self.period_s
        i = bisect.bisect_right(self.times, off - cycle * self.period_s)
        while (base + self.times[i] if i < n else base + self.period_s) <= t:
            i += 1
            if i > n:  # past the next cycle's start: step into that cycle
                base, i = base + self.period_s, 1
        return base, i

    def integral(self, t0: float, t1: float) -> float:
        """The integral of the function over ``[t0, t1]``."""
        total, t = 0.0, t0
        while t < t1:
            nxt = min(self.next_change(t), t1)
            total += self.value_at(t) * (nxt - t)
            t = nxt
        return total

    def plus(self, other: StepFunction, *, horizon_s: float) -> StepFunction:
        """Pointwise sum over ``[0, horizon_s)`` (non-periodic result)."""
        times: list[float] = [0.0]
        t = 0.0
        while True:
            t = min(self.next_change(t), other.next_change(t))
            if t >= horizon_s:
                break
            times.append(t)
        values = [self.value_at(x) + other.value_at(x) for x in times]
        return StepFunction(tuple(times), tuple(values)).compact()

    def compact(self) -> StepFunction:
        """Merge neighbouring pieces with equal values."""
        times, values = [self.times[0]], [self.values[0]]
        for t, v in zip(self.times[1:], self.values[1:], strict=True):
            if v != values[-1]:
                times.append(t)
                values.append(v)
        return StepFunction(tuple(times), tuple(values), self.period_s, self.origin_s)


@dataclass(frozen=True, slots=True)
class Calendar:
    """Weekly working intervals, as ``(start_s, end_s)`` offsets from Monday 00:00.

    Examples
    --------
    >>> cal = Calendar.from_yaml({"hours": {"mon-fri": "08:00-17:00"}}, where="c")
    >>> cal.hours_per_week
    45.0
    >>> cal.to_yaml()
    {'hours': {'mon-fri': '08:00-17:00'}}
    >>> Calendar.from_yaml(
    ...     [{"days": "mon-fri", "hours": "08:00-17:00"}], where="c"
    ... ) == cal
    True
    """

    intervals: tuple[tuple[float, float], ...]

    @classmethod
    def always(cls) -> Calendar:
        """Round the clock, every day."""
        return cls(((0.0, WEEK_S),))

    @property
    def hours_per_week(self) -> float:
        """Working hours in a week."""
        return sum(b - a for a, b in self.intervals) / 3600.0

    @property
    def is_always(self) -> bool:
        """Whether the calendar covers the whole week."""
        return self.intervals == ((0.0, WEEK_S),)

    @classmethod
    def from_slots(cls, slots: Sequence[tuple[int, int]]) -> Calendar:
        """From ``(weekday 0=Mon, hour)`` one-hour slots."""
        starts = sorted({(d * 24 + h) * 3600.0 for d, h in slots})
        return cls._merge([(s, s + 3600.0) for s in starts])

    @classmethod
    def _merge(cls, spans: list[tuple[float, float]]) -> Calendar:
        merged: list[list[float]] = []
        for a, b in sorted(spans):
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        return cls(tuple((a, b) for a, b in merged))

    def step_function(self, *, start_weekday_offset_s: float) -> StepFunction:
        """1 while working, 0 otherwise.

        Time 0 lies ``start_weekday_offset_s`` after Monday 00:00.
        """
        if self.is_always:
            return StepFunction.constant(1.0)
        points: list[tuple[float, float]] = []
        if self.intervals[0][0] > 0:
            points.append((0.0, 0.0))
        for a, b in self.intervals:
            points.append((a, 1.0))
            if b < WEEK_S:
                points.append((b, 0.0))
        times = [p[0] for p in points]
        values = [p[1] for p in points]
        f = StepFunction(tuple(times), tuple(values), WEEK_S, -start_weekday_offset_s)
        return f.compact()

    # -- YAML ---------------------------------------------------------------------------
    @classmethod
    def from_business(cls, cal: BusinessCalendar, *, where: str) -> Calendar:
        """The weekly hours of a KPI business calendar, as simulated working time.

        Raises
        ------
        ConfigError
            The calendar has holidays or a zone other than UTC (the simulator's calendars
            are weekly patterns in UTC), or no opening hours at all.
        """
        if cal.holidays or cal.timezone.upper() not in ("UTC", "ETC/UTC", "Z"):
            msg = (
                f"{where}: a simulated calendar is a weekly pattern in UTC; it cannot "
                f"use timezone {cal.timezone!r} or holidays "
                f"({len(cal.holidays)} given). Write the hours in UTC and leave "
                "holidays out."
            )
            raise ConfigError(msg)
        spans = [
            (d * 86400.0 + a, d * 86400.0 + b)
            for d, windows in enumerate(cal.hours)
            for a, b in windows
        ]
        if not spans:
            msg = f"{where}: the calendar has no working time."
            raise ConfigError(msg)
        return cls._merge(spans)

    @classmethod
    def from_yaml(cls, spec: object, *, where: str) -> Calendar:
        """Read ``always``, ``{hours: {mon-fri: "08:00-17:00"}}`` or the older list form."""
        if spec in ("always", "24/7", "24x7", None):
            return cls.always()
        if isinstance(spec, Mapping):
            from servops.kpi.calendar import BusinessCalendar

            return cls.from_business(
                BusinessCalendar.from_spec(spec, name=where), where=where
            )
        if not isinstance(spec, list) or not spec:
            msg = (
                f"{where}: a calendar is 'always' or business hours like "
                f"{{hours: {{mon-fri: '08:00-17:00'}}}}; got {spec!r}."
            )
            raise ConfigError(msg)
        spans: list[tuple[float, float]] = []
        for i, item in enumerate(spec):
            w = f"{where}[{i}]"
            if not isinstance(item, dict) or set(item) != {"days", "hours"}:
                msg = f"{w}: needs exactly the keys 'days' and 'hours'; got {item!r}."
                raise ConfigError(msg)
            days = _parse_days(item["days"], where=f"{w}.days")
            m = _HOURS.match(str(item["hours"]))
            if not m:
                msg = f"{w}.hours: expected 'HH:MM-HH:MM'; got {item['hours']!r}."
                raise ConfigError(msg)
            h0, m0, h1, m1 = (int(g) for g in m.groups())
            a, b = h0 * 3600 + m0 * 60, h1 * 3600 + m1 * 60
            if not (0 <= a <= 86400 and 0 <= b <= 86400 and m0 < 60 and m1 < 60):
                msg = f"{w}.hours: times must lie within 00:00-24:00; got {item['hours']!r}."
                raise ConfigError(msg)
            for d in days:
                base = d * 86400.0
                if b > a:
                    spans.append((base + a, base + b))
                elif (
                    b < a
                ):  # overnight: runs into the next day (Sunday wraps to Monday)
                    spans.append((base + a, base + 86400.0))
                    nxt = ((d + 1) % 7) * 86400.0
                    spans.append((nxt, nxt + b))
        if not spans:
            msg = f"{where}: the calendar has no working time."
            raise ConfigError(msg)
        return cls._merge(spans)

    def to_yaml(self) -> str | dict[str, dict[str, str | list[str]]]:
        """``'always'`` or ``{hours: {days: ranges}}``, one key per run of equal days."""
        if self.is_always:
            return "always"
        per_day: dict[int, list[tuple[float, float]]] = {d: [] for d in range(7)}
        for a, b in self.intervals:
            t = a
            while t < b:
                d = int(t // 86400)
                end = min(b, (d + 1) * 86400.0)
                per_day[d].append((t - d * 86400, end - d * 86400))
                t = end
        hours: dict[str, str | list[str]] = {}
        d = 0
        while d < 7:
            spans = per_day[d]
            if not spans:
                d += 1
                continue
            e = d
            while e + 1 < 7 and per_day[e + 1] == spans:
                e += 1
            days = DAYS[d] if d == e else f"{DAYS[d]}-{DAYS[e]}"
            ranges = [f"{_hm(a)}-{_hm(b)}" for a, b in spans]
            hours[days] = ranges[0] if len(ranges) == 1 else ranges
            d = e + 1
        return {"hours": hours}


def _hm(s: float) -> str:
    s = round(s)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"


def _parse_days(spec: object, *, where: str) -> list[int]:
    if isinstance(spec, list):
        parts = [str(x) for x in spec]
    else:
        parts = [p.strip() for p in str(spec).split(",")]
    days: list[int] = []
    for p in parts:
        lo, _, hi = p.lower().partition("-")
        try:
            a = DAYS.index(lo.strip()[:3])
            b = DAYS.index(hi.strip()[:3]) if hi else a
        except ValueError:
            msg = (
                f"{where}: unknown day in {spec!r}; use mon, tue, wed, thu, fri, sat, "
                f"sun, ranges like mon-fri, or lists like 'mon,wed'."
            )
            raise ConfigError(msg) from None
        d = a
        while True:
            days.append(d)
            if d == b:
                break
            d = (d + 1) % 7
    return sorted(set(days))
