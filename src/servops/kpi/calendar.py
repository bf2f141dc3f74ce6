"""Business calendars: weekly opening hours, holidays and a time zone.

Business time between two instants ``a <= b`` is ``B(b) - B(a)``, where ``B(t)`` counts the
business seconds before ``t``. ``B`` is piecewise linear: flat while closed, slope 1 while
open. We list the opening windows over the span asked for, in UTC, converting each window's
local wall-clock ends with the zone's rules *for that date* (so a window on a DST-change day
has its true length, and a 24-hour day is 23 or 25 hours long), take cumulative sums, and
evaluate ``B`` for a whole array of instants with one ``searchsorted``: one small loop over
calendar days, none over cases. The same idea as Zendesk's and ServiceNow's schedules
(weekly hours, holidays, a time zone); see ``../shared/ANCHORS.md``.

Instants are float seconds since 1970-01-01 UTC (``NaN`` for missing), the form the KPI
code gets from DuckDB's ``epoch_us / 1e6``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from servops.errors import ConfigError

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["ALWAYS", "BusinessCalendar", "parse_zone"]

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_S = 86_400
_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")

Window = tuple[int, int]  # seconds since local midnight, start < end <= 86400


def parse_zone(name: str, where: str) -> ZoneInfo:
    """The IANA zone ``name``, or a ConfigError that names ``where`` it came from."""
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        msg = (
            f"{where}: unknown time zone {name!r}. Use an IANA zone name such as "
            "'Europe/Amsterdam', 'America/New_York', 'Asia/Shanghai' or 'UTC'."
        )
        raise ConfigError(msg) from exc


def _clock(text: str, where: str) -> int:
    m = _TIME.match(text)
    if not m or int(m.group(2)) > 59 or int(m.group(1)) > 24:
        msg = f"{where}: {text!r} is not a time of day; write HH:MM, e.g. '08:00' or '24:00'."
        raise ConfigError(msg)
    s = int(m.group(1)) * 3600 + int(m.group(2)) * 60
    if s > _DAY_S:
        msg = f"{where}: {text!r} is after 24:00."
        raise ConfigError(msg)
    return s


def _windows(value: object, where: str) -> tuple[Window, ...]:
    """Parse ``"08:00-12:00, 13:00-17:00"`` or a list of such ranges (or closed/null)."""
    if (
        value is None
        or value is False
        or (
            isinstance(value, str)
            and value.strip().lower() in ("", "closed", "off", "none")
        )
    ):
        return ()
    items: list[str]
    if isinstance(value, str):
        items = [p for p in value.split(",") if p.strip()]
    elif isinstance(value, list | tuple):
        items = [str(v) for v in value]
    else:
        msg = (
            f"{where}: expected a range like '08:00-18:00' (or a list of them); "
            f"got {value!r}."
        )
        raise ConfigError(msg)
    out: list[Window] = []
    for item in items:
        parts = item.split("-")
        if len(parts) != 2:
            msg = f"{where}: {item!r} is not a range; write 'HH:MM-HH:MM', e.g. '08:00-18:00'."
            raise ConfigError(msg)
        lo, hi = _clock(parts[0], where), _clock(parts[1], where)
        if hi <= lo:
            msg = (
                f"{where}: range {item.strip()!r} ends before it starts. Overnight hours "
                "are written as two ranges on two days, e.g. mon: '22:00-24:00' and "
                "tue: '00:00-06:00'."
            )
            raise ConfigError(msg)
        out.append((lo, hi))
    out.sort()
    for (_, e1), (s2, _) in pairwise(out):
        if s2 < e1:
            msg = f"{where}: ranges overlap: {value!r}."
            raise ConfigError(msg)
    return tuple(out)


def _days(key: str, where: str) -> list[int]:
    """``mon`` → [0]; ``mon-fri`` → [0..4]; ``sat,sun`` → [5, 6]; ``daily`` → all."""
    k = key.strip().lower()
    if k in ("daily", "all", "every day", "mon-sun"):
        return list(range(7))
    days: list[int] = []
    for part in k.split(","):
        p = part.strip()
        if "-" in p:
            a, b = (x.strip()[:3] for x in p.split("-", 1))
            if a not in DAY_NAMES or b not in DAY_NAMES:
                break
            i, j = DAY_NAMES.index(a), DAY_NAMES.index(b)
            days.extend(range(i, j + 1) if i <= j else [*range(i, 7), *range(j + 1)])
        elif p[:3] in DAY_NAMES:
            days.append(DAY_NAMES.index(p[:3]))
        else:
            break
    else:
        return days
    msg = (
        f"{where}: {key!r} is not a day or day range; use mon…sun, a range such as "
        "'mon-fri', a list such as 'sat,sun', or 'daily'."
    )
    raise ConfigError(msg)


def _as_date(value: object, where: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        msg = f"{where}: holiday {value!r} is not a date; write YYYY-MM-DD."
        raise ConfigError(msg) from exc


#: How many days' windows a calendar keeps (about 270 years).
_DAYS_KEPT = 100_000


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """Opening hours per weekday, holidays, and the zone they are meant in.

    Parameters
    ----------
    timezone
        IANA zone of the opening hours and holidays (``"Europe/Amsterdam"``).
    hours
        Seven tuples (Monday … Sunday) of ``(start, end)`` seconds after local midnight.
    holidays
        Local dates on which the calendar is closed all day.
    name
        A label for messages and reports.

    Examples
    --------
    >>> cal = BusinessCalendar.from_spec(
    ...     {"timezone": "UTC", "hours": {"mon-fri": "09:00-17:00"}}
    ... )
    >>> fri_16h = datetime(2024, 1, 5, 16, tzinfo=UTC).timestamp()
    >>> mon_10h = datetime(2024, 1, 8, 10, tzinfo=UTC).timestamp()
    >>> float(cal.business_seconds([fri_16h], [mon_10h])[0]) / 3600
    2.0
    """

    timezone: str = "UTC"
    hours: tuple[tuple[Window, ...], ...] = (((0, _DAY_S),),) * 7
    holidays: frozenset[date] = field(default_factory=frozenset)
    name: str = "24x7"
    #: Each local day's opening windows in UTC seconds, once worked out (the service's
    #: SLA clocks ask for the same few weeks on every write).
    _days: dict[date, tuple[tuple[float, float], ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    @classmethod
    def from_spec(
        cls, spec: Mapping[str, Any], name: str = "business"
    ) -> BusinessCalendar:
        """Build a calendar from its YAML form.

        ``{"timezone": "Europe/Amsterdam", "hours": {"mon-fri": "08:00-18:00",
        "sat": "09:00-12:00"}, "holidays": ["2025-12-25"]}``. Days not named are closed.
        """
        where = f"calendar {name!r}"
        if not isinstance(spec, Mapping):
            msg = f"{where}: expected a mapping with timezone, hours and holidays; got {spec!r}."
            raise ConfigError(msg)
        unknown = set(spec) - {"timezone", "hours", "holidays"}
        if unknown:
            msg = (
                f"{where}: unknown key(s) {sorted(unknown)}; allowed: "
                "['holidays', 'hours', 'timezone']."
            )
            raise ConfigError(msg)
        tz = str(spec.get("timezone", "UTC"))
        parse_zone(tz, where)
        raw_hours = spec.get("hours")
        if not isinstance(raw_hours, Mapping) or not raw_hours:
            msg = (
                f"{where}: 'hours' must map days to opening hours, e.g. "
                "{{mon-fri: '08:00-18:00'}}; got {raw_hours!r}."
            )
            raise ConfigError(msg.replace("{{", "{").replace("}}", "}"))
        week: list[tuple[Window, ...] | None] = [None] * 7
        for key, value in raw_hours.items():
            for d in _days(str(key), f"{where} hours"):
                if week[d] is not None:
                    msg = f"{where} hours: {DAY_NAMES[d]} is given twice (in {key!r})."
                    raise ConfigError(msg)
                week[d] = _windows(value, f"{where} hours {key}")
        hol = spec.get("holidays") or []
        if not isinstance(hol, list | tuple):
            msg = f"{where}: 'holidays' must be a list of dates (YYYY-MM-DD); got {hol!r}."
            raise ConfigError(msg)
        return cls(
            timezone=tz,
            hours=tuple(w or () for w in week),
            holidays=frozenset(_as_date(h, f"{where} holidays") for h in hol),
            name=name,
        )

    @property
    def is_always_open(self) -> bool:
        """True for a 24×7 calendar without holidays (business time = clock time)."""
        return not self.holidays and all(w == ((0, _DAY_S),) for w in self.hours)

    @property
    def weekly_seconds(self) -> int:
        """Open seconds in a week without holidays."""
        return sum(e - s for day in self.hours for s, e in day)

    def windows(
        self, start: float, end: float
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Opening windows ``(starts, ends)`` in UTC seconds covering ``[start, end]``.

        One entry per open range per local calendar day, holidays left out, in time order.
        """
        zone = ZoneInfo(self.timezone)
        first = datetime.fromtimestamp(start, UTC).astimezone(zone).date() - timedelta(
            days=1
        )
        last = datetime.fromtimestamp(end, UTC).astimezone(zone).date() + timedelta(
            days=1
        )
        starts: list[float] = []
        ends: list[float] = []
        d = first
        one = timedelta(days=1)
        # A loop over calendar days (a few thousand at most), never over cases.
        while d <= last:
            day = self._days.get(d)
            if day is None:
                day = self._day_windows(d, zone)
                if len(self._days) < _DAYS_KEPT:
                    self._days[d] = day
            for s, e in day:
                starts.append(s)
                ends.append(e)
            d += one
        return np.asarray(starts, dtype=np.float64), np.asarray(ends, dtype=np.float64)

    def _day_windows(self, d: date, zone: ZoneInfo) -> tuple[tuple[float, float], ...]:
        """The opening windows of local day ``d`` in UTC seconds (none on a holiday)."""
        if d in self.holidays:
            return ()
        midnight = datetime(d.year, d.month, d.day, tzinfo=zone)
        return tuple(
            (_local_to_utc(midnight, s, zone), _local_to_utc(midnight, e, zone))
            for s, e in self.hours[d.weekday()]
        )

    def cumulative(
        self, t: NDArray[np.float64], *, span: tuple[float, float] | None = None
    ) -> NDArray[np.float64]:
        """``B(t)``: business seconds from the start of ``span`` up to each instant.

        Only differences of ``B`` mean anything. ``NaN`` stays ``NaN``.
        """
        t = np.asarray(t, dtype=np.float64)
        if self.is_always_open:
            return t.copy()
        finite = t[np.isfinite(t)]
        if span is None:
            if finite.size == 0:
                return np.full(t.shape, np.nan)
            span = (float(finite.min()), float(finite.max()))
        ws, we = self.windows(*span)
        if ws.size == 0:
            return np.where(np.isfinite(t), 0.0, np.nan)
        dur = we - ws
        before = np.concatenate(([0.0], np.cumsum(dur)[:-1]))
        safe = np.where(np.isfinite(t), t, ws[0])
        i = np.searchsorted(ws, safe, side="right") - 1
        j = np.clip(i, 0, None)
        inside = np.clip(safe - ws[j], 0.0, dur[j])
        b = np.where(i >= 0, before[j] + inside, 0.0)
        return np.where(np.isfinite(t), b, np.nan)

    def business_seconds(
        self,
        a: Iterable[float] | NDArray[np.float64],
        b: Iterable[float] | NDArray[np.float64],
    ) -> NDArray[np.float64]:
        """Business seconds between instants ``a[i]`` and ``b[i]`` (UTC epoch seconds).

        Negative when ``b < a``; ``NaN`` where either end is missing.

        Examples
        --------
        >>> cal = BusinessCalendar.from_spec(
        ...     {
        ...         "timezone": "UTC",
        ...         "hours": {"mon-fri": "08:00-18:00"},
        ...         "holidays": ["2024-01-01"],
        ...     }
        ... )
        >>> sat = datetime(2023, 12, 30, 12, tzinfo=UTC).timestamp()
        >>> tue = datetime(2024, 1, 2, 9, tzinfo=UTC).timestamp()
        >>> float(cal.business_seconds([sat], [tue])[0])
        3600.0
        """
        aa = np.asarray(
            list(a) if not isinstance(a, np.ndarray) else a, dtype=np.float64
        )
        bb = np.asarray(
            list(b) if not isinstance(b, np.ndarray) else b, dtype=np.float64
        )
        both = np.concatenate([aa, bb])
        finite = both[np.isfinite(both)]
        if finite.size == 0:
            return np.full(aa.shape, np.nan)
        span = (float(finite.min()), float(finite.max()))
        cum = self.cumulative(both, span=span)
        return cum[aa.size :] - cum[: aa.size]

    def instant_after(self, start: float, seconds: float) -> float:
        """The first instant by which ``seconds`` business seconds have passed since ``start``.

        The inverse of :meth:`business_seconds`: ``business_seconds([start], [t]) ==
        seconds`` for the returned ``t`` (UTC epoch seconds). ``start`` itself for
        ``seconds <= 0``; ``inf`` when the calendar never opens again (no opening hours,
        or holidays for the next 50 years).

        Examples
        --------
        >>> cal = BusinessCalendar.from_spec(
        ...     {"timezone": "UTC", "hours": {"mon-fri": "09:00-17:00"}}
        ... )
        >>> fri_16h = datetime(2024, 1, 5, 16, tzinfo=UTC).timestamp()
        >>> datetime.fromtimestamp(cal.instant_after(fri_16h, 2 * 3600), UTC)
        datetime.datetime(2024, 1, 8, 10, 0, tzinfo=datetime.timezone.utc)
        """
        if seconds <= 0:
            return start
        if self.is_always_open:
            return start + seconds
        weekly = self.weekly_seconds
        if weekly == 0:
            return float("inf")
        # Enough weeks for the target plus slack; doubled while holidays eat into it.
        span = (seconds / weekly + 2.0) * 7 * _DAY_S
        while span < 50 * 366 * _DAY_S:
            ws, we = self.windows(start, start + span)
            open_from = np.maximum(ws, start)
            dur = np.clip(we - open_from, 0.0, None)
            cum = np.cumsum(dur)
            i = int(np.searchsorted(cum, seconds, side="left"))
            if i < cum.size:
                return float(open_from[i] + seconds - (cum[i] - dur[i]))
            span *= 2
        return float("inf")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the YAML form, hours as ``HH:MM-HH:MM``)."""

        def fmt(s: int) -> str:
            return f"{s // 3600:02d}:{s % 3600 // 60:02d}"

        return {
            "name": self.name,
            "timezone": self.timezone,
            "hours": {
                DAY_NAMES[i]: [f"{fmt(s)}-{fmt(e)}" for s, e in day]
                for i, day in enumerate(self.hours)
                if day
            },
            "holidays": sorted(h.isoformat() for h in self.holidays),
        }


def _local_to_utc(midnight: datetime, seconds: int, zone: ZoneInfo) -> float:
    """UTC epoch seconds of wall-clock ``seconds`` after local ``midnight``.

    Wall-clock arithmetic: 08:00 on a DST day is 08:00 local, whatever the offset; 24:00
    is the next midnight. A wall time that does not exist (in the spring gap) is read with
    the offset before the change, as ``zoneinfo`` does with ``fold=0``.
    """
    if seconds >= _DAY_S:
        nxt = (midnight + timedelta(days=1)).replace(tzinfo=None)
        return datetime(nxt.year, nxt.month, nxt.day, tzinfo=zone).timestamp()
    h, rem = divmod(seconds, 3600)
    return midnight.replace(hour=h, minute=rem // 60, second=rem % 60).timestamp()


#: Clock time: always open, no holidays.
ALWAYS = BusinessCalendar()
