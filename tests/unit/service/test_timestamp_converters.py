"""pg8000's timestamp converters replaced by ``fromisoformat`` (issue 17, session 25).

The values must be those pg8000's own functions return: the same instant and offset for
every text PostgreSQL writes, and pg8000's answer for what ``fromisoformat`` does not read
(infinity, BC, years past 9999, offsets with seconds).
"""

from __future__ import annotations

from datetime import datetime

import pytest
from pg8000.converters import timestamp_in, timestamptz_in

from servops.service.db import _timestamp_in, _timestamptz_in, make_engine
from tests.pg import connect

TZ_TEXTS = [
    "2026-03-02 09:00:00+00",
    "2026-03-02 09:00:00.5+00",
    "2026-03-02 09:00:00.000001+00",
    "2026-03-02 09:00:00.123456+05:30",
    "2026-03-02 09:00:00-03",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    "1900-01-01 00:00:00+00:53:28",
    "infinity",
    "-infinity",
    "0044-03-15 12:00:00+00 BC",
    "10000-01-01 00:00:00+00",
]
TEXTS = [
    "2026-03-02 09:00:00",
    "2026-03-02 09:00:00.25",
    "0001-01-01 00:00:00",
    "infinity",
    "-infinity",
    "0044-03-15 12:00:00 BC",
    "10000-01-01 00:00:00",
]


@pytest.mark.filterwarnings("ignore::dateutil.parser.UnknownTimezoneWarning")
@pytest.mark.parametrize("text", TZ_TEXTS)
def test_timestamptz_as_pg8000_reads_it(text) -> None:
    ours, theirs = _timestamptz_in(text), timestamptz_in(text)
    assert ours == theirs
    assert type(ours) is type(theirs)
    if isinstance(ours, datetime):
        assert isinstance(theirs, datetime)
        assert ours.utcoffset() == theirs.utcoffset()


@pytest.mark.filterwarnings("ignore::dateutil.parser.UnknownTimezoneWarning")
@pytest.mark.parametrize("text", TEXTS)
def test_timestamp_as_pg8000_reads_it(text) -> None:
    ours, theirs = _timestamp_in(text), timestamp_in(text)
    assert ours == theirs
    assert type(ours) is type(theirs)


@pytest.mark.filterwarnings("ignore::dateutil.parser.UnknownTimezoneWarning")
def test_the_services_connections_read_the_values_pg8000_reads(pg_url) -> None:
    sql = (
        "SELECT v::timestamptz, v::timestamptz AT TIME ZONE 'Asia/Kolkata' FROM (VALUES "
        "('2026-03-02 09:00:00.123456+00'), ('infinity'), ('-infinity'), "
        "('0044-03-15 12:00:00+00 BC'), ('1970-01-01 00:00:00+00')) AS t(v)"
    )
    engine = make_engine(pg_url)
    try:
        with engine.connect() as con:
            con.exec_driver_sql("SET TIME ZONE 'Europe/Amsterdam'")
            ours = [tuple(r) for r in con.exec_driver_sql(sql)]
            raw = con.connection.dbapi_connection
            assert getattr(raw, "pg_types", {})[1184] is _timestamptz_in
    finally:
        engine.dispose()
    with connect(pg_url) as con:  # pg8000 as it comes
        con.run("SET TIME ZONE 'Europe/Amsterdam'")
        theirs = [tuple(r) for r in con.run(sql)]
    assert ours == theirs
    assert [type(v) for r in ours for v in r] == [type(v) for r in theirs for v in r]
