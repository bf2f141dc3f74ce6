"""Feedback trends cut their periods like the KPIs: log.periods, in a given zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pyarrow as pa

from servops.feedback.scores import score_trend


def test_weeks_follow_the_zone_not_utc():
    # Sunday 23:30 UTC is Monday 07:30 in Shanghai: the next week there
    t = pa.table(
        {
            "score": [10, 0, 10],
            "submitted_at": pa.array(
                [
                    datetime(2024, 3, 10, 23, 30, tzinfo=UTC),
                    datetime(2024, 3, 6, 12, 0, tzinfo=UTC),
                    datetime(2024, 3, 12, 12, 0, tzinfo=UTC),
                ],
                pa.timestamp("us", tz="UTC"),
            ),
        }
    )
    utc = score_trend(t, kind="nps", freq="week").to_pylist()
    assert [(r["period"], r["n"]) for r in utc] == [
        (date(2024, 3, 4), 2),
        (date(2024, 3, 11), 1),
    ]
    sh = score_trend(t, kind="nps", freq="week", timezone="Asia/Shanghai").to_pylist()
    assert [(r["period"], r["n"], r["value"]) for r in sh] == [
        (date(2024, 3, 4), 1, -100.0),
        (date(2024, 3, 11), 2, 100.0),
    ]


def test_dates_are_local_days_and_quarters_work():
    t = pa.table(
        {
            "score": [5, 1, 4],
            "submitted_at": pa.array(
                [date(2024, 3, 31), date(2024, 4, 1), date(2024, 6, 30)], pa.date32()
            ),
        }
    )
    q = score_trend(t, freq="quarter", timezone="America/New_York").to_pylist()
    assert [(r["period"], r["n"]) for r in q] == [
        (date(2024, 1, 1), 1),
        (date(2024, 4, 1), 2),
    ]
