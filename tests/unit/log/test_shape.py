"""Data-shape warnings on hand-made logs and a real one."""

from __future__ import annotations

from datetime import datetime, timedelta

import pyarrow as pa

import servops as so
from servops.log.shape import shape_warnings
from tests.paths import shared_log


def _log(starts: list[datetime], lead: timedelta) -> so.EventLog:
    rows: dict[str, list[object]] = {"case": [], "act": [], "ts": []}
    for i, s in enumerate(starts):
        for act, t in (("Open", s), ("Close", s + lead)):
            rows["case"].append(f"c{i}")
            rows["act"].append(act)
            rows["ts"].append(t)
    return so.EventLog.from_arrow(
        pa.table(rows), columns=so.ColumnMap("case", "act", "ts")
    )


def _steady(n: int = 300) -> list[datetime]:
    t0 = datetime(2017, 3, 6, 8)
    return [t0 + timedelta(hours=5 * i) for i in range(n)]  # 62 days, 5-hourly


def test_a_steady_log_has_no_warning():
    assert shape_warnings(_log(_steady(), timedelta(hours=3)), by="week") == []


def test_one_event_years_before_the_bulk_is_named_with_its_row():
    starts = [datetime(2011, 5, 3, 12), *_steady()]  # one 2011 tweet, then 2017
    ws = shape_warnings(_log(starts, timedelta(hours=3)))
    assert [w.kind for w in ws] == ["outlier_dates"]
    w = ws[0]
    assert w.details["count"] == 2  # the case's open and close
    first = w.details["events"][0]
    assert first == {
        "timestamp": "2011-05-03 12:00",
        "case_id": "c0",
        "activity": "Open",
        "row": 1,
    }
    assert "--from 2017-03-" in w.message and "--window trim" in w.message
    assert w.to_dict()["kind"] == "outlier_dates"


def test_single_cohort_that_only_drains():
    t0 = datetime(2024, 3, 1, 9)
    starts = [t0 + timedelta(hours=i % 48) for i in range(200)]  # two days of starts
    log = _log(starts, timedelta(days=30))  # ... closed a month later
    ws = shape_warnings(log)
    assert [w.kind for w in ws] == ["single_cohort"]
    assert "95 % of the 200 cases start between 2024-03-01 and 2024-03-03" in (
        ws[0].message
    )
    assert "--from 2024-03-01 --to 2024-03-04 --window started" in ws[0].message


def test_tiny_periods_are_listed():
    block = _steady(60)  # 6 .. 18 March 2017
    later = [t + timedelta(days=21) for t in block]  # 27 March .. 8 April
    lone = [*block, datetime(2017, 3, 23, 9), *later]  # a day with one case between
    ws = shape_warnings(_log(lone, timedelta(hours=3)), by="day")
    assert [(w.kind, w.details["periods"]) for w in ws] == [
        ("tiny_periods", ["2017-03-23"])
    ]
    # the same lone day at the log's end is cut by it (censored), not "tiny"
    cut = _log([*block, datetime(2017, 3, 23, 9)], timedelta(hours=3))
    assert shape_warnings(cut, by="day") == []
    sparse = [datetime(2017, 3, 6, 9) + timedelta(days=3 * i) for i in range(20)]
    ws = shape_warnings(_log(sparse, timedelta(hours=3)), by="week")
    assert [w.kind for w in ws] == ["tiny_periods"]
    assert ws[0].details["by"] == "week"
    # 20 cases every third day over 57 days: each whole week holds 2 or 3 of them
    assert ws[0].details["periods"][0] == "2017-03-13"


def test_bpic2013_incidents_names_its_2010_cases():
    log = so.read_log(shared_log("bpic2013_incidents.xes.gz"))
    ws = {w.kind: w for w in shape_warnings(log)}
    w = ws["outlier_dates"]
    assert w.details["events"][0]["case_id"] == "1-364285768"
    assert w.details["events"][0]["timestamp"].startswith("2010-03-31")
    assert w.details["count"] < 0.01 * 65533


def test_info_command_prints_and_returns_the_warnings(tmp_path):
    import json

    import pyarrow.csv as pacsv
    from typer.testing import CliRunner

    from servops.cli.main import app

    log = _log([datetime(2011, 5, 3, 12), *_steady()], timedelta(hours=3))
    path = tmp_path / "tweets.csv"
    pacsv.write_csv(
        log.query(
            'SELECT case_id AS "case", activity AS act, "timestamp" AS ts FROM events'
        ).to_arrow_table(),
        path,
    )
    args = ["info", str(path), "--case", "case", "--activity", "act"]
    args += ["--timestamp", "ts"]
    runner = CliRunner()
    people = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert people.exit_code == 0, people.output
    assert "warning: 2 event(s) lie far outside the bulk" in people.stdout
    d = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    assert d["cases"] == 301 and d["warnings"][0]["kind"] == "outlier_dates"
