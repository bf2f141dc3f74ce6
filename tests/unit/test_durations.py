"""The one duration syntax and the one duration format."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servops._durations import DURATION_UNITS, format_duration, parse_duration
from servops.errors import ConfigError, InvalidParameterError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30m", 1800),
        ("1h30m", 5400),
        ("1h 30m", 5400),
        ("1.5h", 5400),
        ("15 min", 900),
        ("15min", 900),
        ("2 h", 7200),
        ("2 hours", 7200),
        ("14d", 14 * 86400),
        ("1w", 7 * 86400),
        ("90s", 90),
        ("45 s", 45),
        ("30分钟", 1800),
        ("2小时", 7200),
        ("300", 300),
    ],
)
def test_hand_examples(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


def test_numbers_and_timedeltas():
    assert parse_duration(90) == timedelta(seconds=90)
    assert parse_duration(15, bare_unit="min") == timedelta(minutes=15)
    assert parse_duration("15", bare_unit="min") == timedelta(minutes=15)
    assert parse_duration(timedelta(hours=2)) == timedelta(hours=2)


@pytest.mark.parametrize(
    "bad", ["soon", "3x", "-1h", "1h soon", "", "h", "5 mo", None, True]
)
def test_one_message_for_every_bad_value(bad):
    with pytest.raises(
        InvalidParameterError, match=r"is not a duration; write a number"
    ):
        parse_duration(bad, "--interval")


def test_error_names_where_and_uses_the_callers_class():
    with pytest.raises(
        ConfigError, match=r"^sla\[0\]\.resolution \(kpi\.yaml, line 3\)"
    ):
        parse_duration(
            "8",
            "sla[0].resolution (kpi.yaml, line 3)",
            error=ConfigError,
            bare_unit=None,
        )
    with pytest.raises(ConfigError, match="not a duration"):
        parse_duration(8, "x", error=ConfigError, bare_unit=None)


def test_zero_and_business_days():
    assert parse_duration("0m") == timedelta(0)
    with pytest.raises(InvalidParameterError, match="longer than zero"):
        parse_duration("0m", positive=True)
    with pytest.raises(InvalidParameterError, match="uses days on a business calendar"):
        parse_duration("2d", business=True)
    with pytest.raises(InvalidParameterError, match="uses days on a business calendar"):
        parse_duration("1w", business=True)
    assert parse_duration("30h", business=True) == timedelta(hours=30)


_ASCII_UNITS = sorted(u for u in DURATION_UNITS if u.isascii())


@given(
    st.lists(
        st.tuples(st.integers(0, 10_000), st.sampled_from(_ASCII_UNITS), st.booleans()),
        min_size=1,
        max_size=4,
    )
)
def test_parts_add_up(parts):
    text = "".join(f"{n}{' ' if space else ''}{u} " for n, u, space in parts)
    expected = sum(n * DURATION_UNITS[u] for n, u, _ in parts)
    assert parse_duration(text).total_seconds() == pytest.approx(expected)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (42, "42 s"),
        (119, "119 s"),
        (120, "2 min"),
        (5400, "90 min"),
        (7200, "2.0 h"),
        (3 * 86400, "3.0 d"),
        (-7200, "-2.0 h"),
        (timedelta(minutes=90), "90 min"),
        (None, "–"),
        (float("nan"), "–"),
    ],
)
def test_format(seconds, text):
    assert format_duration(seconds) == text


@given(st.floats(0, 1e8))
def test_format_reads_back_within_its_rounding(seconds):
    back = parse_duration(format_duration(seconds)).total_seconds()
    # whole seconds, whole minutes, then tenths of hours and of days: half a step off
    step = (
        1
        if seconds < 120
        else 60
        if seconds < 7200
        else 360
        if seconds < 172800
        else 8640
    )
    assert abs(back - seconds) <= step / 2 + 1e-6 * seconds
