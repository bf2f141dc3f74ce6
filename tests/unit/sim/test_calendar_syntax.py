"""One calendar syntax: the simulator reads business hours as KPI configs write them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servops.errors import ConfigError
from servops.kpi.calendar import BusinessCalendar
from servops.sim import load_model
from servops.sim.calendars import DAYS, Calendar

OFFICE = {"hours": {"mon-fri": "08:00-12:00, 13:00-17:00", "sat": "09:00-12:00"}}


def test_kpi_syntax_hand_example():
    cal = Calendar.from_yaml(OFFICE, where="c")
    assert cal.hours_per_week == 5 * 8 + 3
    assert cal.intervals[:2] == ((8 * 3600.0, 12 * 3600.0), (13 * 3600.0, 17 * 3600.0))
    # built from the very object the KPI code uses
    assert cal == Calendar.from_business(
        BusinessCalendar.from_spec(OFFICE, name="office"), where="c"
    )


def test_old_list_form_reads_the_same():
    old = [
        {"days": "mon-fri", "hours": "08:00-12:00"},
        {"days": "mon-fri", "hours": "13:00-17:00"},
        {"days": "sat", "hours": "09:00-12:00"},
    ]
    assert Calendar.from_yaml(old, where="c") == Calendar.from_yaml(OFFICE, where="c")


def test_what_the_simulator_cannot_honour_is_refused():
    with pytest.raises(ConfigError, match="weekly pattern in UTC"):
        Calendar.from_yaml({"timezone": "Europe/Amsterdam", **OFFICE}, where="c")
    with pytest.raises(ConfigError, match="holidays"):
        Calendar.from_yaml({**OFFICE, "holidays": ["2024-12-25"]}, where="c")
    with pytest.raises(ConfigError, match="unknown key"):
        Calendar.from_yaml({"hours": {"mon": "08:00-09:00"}, "open": 1}, where="c")


def test_model_pool_calendar_in_the_one_syntax(tmp_path):
    p = tmp_path / "m.yaml"
    p.write_text(
        "start: 2024-01-01T00:00:00Z\n"
        "arrivals: {rate: 0.001}\n"
        "activities: {Serve: {pool: a, duration: {dist: fixed, value: 60}}}\n"
        "pools:\n  a:\n    size: 1\n    calendar:\n      hours: {mon-fri: '09:00-17:00'}\n"
        "routing: {start: {Serve: 1.0}, Serve: {end: 1.0}}\n"
    )
    m = load_model(p)
    assert m.pools["a"].calendar.hours_per_week == 40
    assert m.to_dict()["pools"]["a"]["calendar"] == {
        "hours": {"mon-fri": "09:00-17:00"}
    }


@given(
    st.dictionaries(
        st.integers(0, 6),
        st.tuples(st.integers(0, 23), st.integers(1, 24)).filter(lambda t: t[0] < t[1]),
        min_size=1,
    )
)
def test_written_calendars_read_back_equal(days):
    spec = {"hours": {DAYS[d]: f"{a:02d}:00-{b:02d}:00" for d, (a, b) in days.items()}}
    cal = Calendar.from_yaml(spec, where="c")
    assert Calendar.from_yaml(cal.to_yaml(), where="c") == cal
    assert cal.hours_per_week == sum(b - a for a, b in days.values())
