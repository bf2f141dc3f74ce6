"""Business-hours arithmetic, computed by hand: weekends, holidays, zones, DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servops.errors import ConfigError
from servops.kpi.calendar import ALWAYS, BusinessCalendar

H = 3600.0


def ts(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> float:
    return datetime(y, mo, d, h, mi, tzinfo=UTC).timestamp()


def office(tz: str = "UTC", holidays=(), hours=None) -> BusinessCalendar:
    return BusinessCalendar.from_spec(
        {
            "timezone": tz,
            "hours": hours or {"mon-fri": "08:00-18:00"},
            "holidays": list(holidays),
        },
        "office",
    )


def bs(cal: BusinessCalendar, a: float, b: float) -> float:
    return float(cal.business_seconds([a], [b])[0])


def test_within_one_day():
    assert bs(office(), ts(2024, 1, 8, 9), ts(2024, 1, 8, 17, 30)) == 8.5 * H


def test_before_and_after_hours_count_nothing():
    # Mon 06:00 -> Mon 07:59 and Mon 18:00 -> Tue 08:00
    assert bs(office(), ts(2024, 1, 8, 6), ts(2024, 1, 8, 7, 59)) == 0
    assert bs(office(), ts(2024, 1, 8, 18), ts(2024, 1, 9, 8)) == 0


def test_weekend_is_skipped():
    # Fri 17:00 -> Mon 09:00: 1 h on Friday + 1 h on Monday
    assert bs(office(), ts(2024, 1, 5, 17), ts(2024, 1, 8, 9)) == 2 * H
    # a whole week Mon 00:00 -> next Mon 00:00 is 5 x 10 h
    assert bs(office(), ts(2024, 1, 8), ts(2024, 1, 15)) == 50 * H


def test_holiday_is_skipped():
    cal = office(holidays=["2024-01-08"])
    # Fri 17:00 -> Tue 09:00 with Monday off: 1 h + 1 h
    assert bs(cal, ts(2024, 1, 5, 17), ts(2024, 1, 9, 9)) == 2 * H
    assert bs(cal, ts(2024, 1, 8, 9), ts(2024, 1, 8, 17)) == 0


def test_split_hours_and_saturday():
    cal = office(hours={"mon-fri": "08:00-12:00, 13:00-17:00", "sat": "09:00-12:00"})
    assert bs(cal, ts(2024, 1, 8, 11), ts(2024, 1, 8, 14)) == 2 * H  # lunch skipped
    # Fri 16:00 -> Mon 09:00: 1 h Fri + 3 h Sat + 1 h Mon
    assert bs(cal, ts(2024, 1, 12, 16), ts(2024, 1, 15, 9)) == 5 * H
    assert cal.weekly_seconds == (5 * 8 + 3) * H


def test_time_zone_of_the_hours():
    # 08:00-18:00 Amsterdam in January is 07:00-17:00 UTC
    cal = office("Europe/Amsterdam")
    assert bs(cal, ts(2024, 1, 8, 6), ts(2024, 1, 8, 7)) == 0
    assert bs(cal, ts(2024, 1, 8, 7, 30), ts(2024, 1, 8, 17, 30)) == 9.5 * H
    # Shanghai (UTC+8, no DST): 08:00-18:00 local = 00:00-10:00 UTC
    sh = office("Asia/Shanghai")
    assert bs(sh, ts(2024, 1, 7, 23), ts(2024, 1, 8, 11)) == 10 * H


def test_dst_spring_forward_day_is_23_hours():
    # Europe/Amsterdam switched to summer time on Sun 2025-03-30 (02:00 -> 03:00)
    sun = office("Europe/Amsterdam", hours={"sun": "00:00-24:00"})
    assert bs(sun, ts(2025, 3, 29, 12), ts(2025, 3, 31, 12)) == 23 * H
    # ... and back on Sun 2025-10-26 (03:00 -> 02:00): a 25-hour day
    assert bs(sun, ts(2025, 10, 25, 12), ts(2025, 10, 27, 12)) == 25 * H


def test_dst_office_hours_follow_the_wall_clock():
    cal = office("Europe/Amsterdam", hours={"daily": "08:00-18:00"})
    # Sat 29 Mar (CET): 07:00-17:00 UTC; Sun 30 Mar (CEST): 06:00-16:00 UTC.
    # Sat 07:00 UTC -> Sun 07:00 UTC = 10 h Saturday + 1 h Sunday (not 10 h + 0 h).
    assert bs(cal, ts(2025, 3, 29, 7), ts(2025, 3, 30, 7)) == 11 * H
    # A fixed +01:00 offset would say Sunday opens at 07:00 UTC:
    assert bs(cal, ts(2025, 3, 30, 6), ts(2025, 3, 30, 7)) == 1 * H


def test_always_open_is_clock_time():
    assert ALWAYS.is_always_open
    assert bs(ALWAYS, ts(2024, 1, 5, 17), ts(2024, 1, 8, 9)) == 64 * H


def test_missing_ends_give_nan_and_reversed_is_negative():
    out = office().business_seconds(
        [np.nan, ts(2024, 1, 8, 12)], [ts(2024, 1, 8, 9), ts(2024, 1, 8, 10)]
    )
    assert np.isnan(out[0])
    assert out[1] == -2 * H


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        (
            {"timezone": "Mars/Olympus", "hours": {"mon": "08:00-18:00"}},
            "unknown time zone",
        ),
        ({"hours": {"mon": "18:00-08:00"}}, "ends before it starts"),
        ({"hours": {"mon": "8-18"}}, "not a time of day"),
        ({"hours": {"funday": "08:00-18:00"}}, "not a day or day range"),
        ({"hours": {"mon-fri": "08:00-18:00", "fri": "09:00-10:00"}}, "given twice"),
        ({"hours": {"mon": "08:00-12:00, 11:00-13:00"}}, "overlap"),
        ({"hours": {"mon": "08:00-18:00"}, "holidays": ["25/12/2025"]}, "not a date"),
        ({"hours": {}}, "'hours' must map days"),
        ({"hours": {"mon": "08:00-18:00"}, "holyday": []}, "unknown key"),
    ],
)
def test_bad_calendar_specs(spec, match):
    with pytest.raises(ConfigError, match=match):
        BusinessCalendar.from_spec(spec, "office")


def _reference(cal: BusinessCalendar, a: float, b: float) -> float:
    """Minute-by-minute count of open minutes, by local wall clock (slow, obvious)."""
    zone = ZoneInfo(cal.timezone)
    t = datetime.fromtimestamp(a, UTC)
    end = datetime.fromtimestamp(b, UTC)
    n = 0
    while t < end:
        loc = t.astimezone(zone)
        sec = loc.hour * 3600 + loc.minute * 60
        if loc.date() not in cal.holidays and any(
            s <= sec < e for s, e in cal.hours[loc.weekday()]
        ):
            n += 1
        t += timedelta(minutes=1)
    return n * 60.0


@pytest.mark.property
@settings(max_examples=30, deadline=None)
@given(
    start=st.integers(0, 60 * 24 * 20),
    length=st.integers(0, 60 * 24 * 4),
    zone=st.sampled_from(["UTC", "Europe/Amsterdam", "America/New_York"]),
)
def test_matches_minute_by_minute_reference(start, length, zone):
    cal = office(
        zone,
        holidays=["2025-03-31"],
        hours={"mon-fri": "08:00-12:00, 13:30-18:00", "sun": "10:00-14:00"},
    )
    a = ts(2025, 3, 20) + start * 60.0  # spans the 2025-03-30 DST change
    b = a + length * 60.0
    assert bs(cal, a, b) == _reference(cal, a, b)


@pytest.mark.property
@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 30 * 86400.0), min_size=3, max_size=3))
def test_additive_and_bounded_by_clock_time(xs):
    a, b, c = sorted(ts(2025, 10, 10) + x for x in xs)
    cal = office("Europe/Amsterdam")
    ab, bc, ac = bs(cal, a, b), bs(cal, b, c), bs(cal, a, c)
    assert ac == pytest.approx(ab + bc, abs=1e-6)
    assert 0 <= ab <= (b - a) + 1e-6


_KEPT = office(
    "Europe/Amsterdam",
    holidays=["2025-03-31", "2025-10-27"],
    hours={"mon-fri": "08:00-12:00, 13:30-18:00", "sat": "09:00-12:00"},
)


@pytest.mark.property
@settings(max_examples=40, deadline=None)
@given(start=st.integers(0, 60 * 24 * 240), length=st.integers(0, 60 * 24 * 30))
def test_kept_day_windows_are_those_worked_out_afresh(start, length):
    # one calendar answers many spans (as the service's SLA clocks ask): the days it
    # kept from earlier spans, across both 2025 DST changes and the holidays, give the
    # same windows as a calendar that works every day out anew
    a = ts(2025, 3, 1) + start * 60.0
    b = a + length * 60.0
    fresh = office(
        "Europe/Amsterdam",
        holidays=["2025-03-31", "2025-10-27"],
        hours={"mon-fri": "08:00-12:00, 13:30-18:00", "sat": "09:00-12:00"},
    )
    for got, want in zip(_KEPT.windows(a, b), fresh.windows(a, b), strict=True):
        np.testing.assert_array_equal(got, want)
    assert fresh == _KEPT  # what is kept is not part of the calendar's value
