"""Reading logs: hand-counted examples, every format, timestamps, missing values."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import servops as so
from servops.io import ColumnMap
from tests.paths import DATA, shared_log

TINY_ROWS = (DATA / "tiny.csv").read_text().splitlines()


def test_tiny_log_counts_by_hand(tiny_log):
    info = tiny_log.info()
    assert (info.cases, info.events, info.activity_instances) == (5, 18, 18)
    assert info.activities == 5  # Register, Triage, Escalate, Resolve, Close
    assert info.resources == 3
    assert info.variants == 4  # c1 and c3 share a variant
    assert info.start == datetime(2024, 1, 8, 9, 0, tzinfo=UTC)
    assert info.end == datetime(2024, 1, 10, 16, 45, tzinfo=UTC)
    assert info.attributes == {"priority": "VARCHAR", "channel": "VARCHAR"}
    assert info.lifecycle == {"(atomic)": 18}


@pytest.mark.parametrize("delim", [";", "\t", "|"])
def test_delimiters_are_sniffed(tmp_path, delim):
    path = tmp_path / "log.txt"
    path.write_text("\n".join(r.replace(",", delim) for r in TINY_ROWS) + "\n")
    assert so.read_log(path).info().events == 18


def test_gzip_csv_is_recognised_by_content(tmp_path):
    path = tmp_path / "log.data"  # no .gz suffix
    path.write_bytes(gzip.compress((DATA / "tiny.csv").read_bytes()))
    assert so.read_log(path).n_cases() == 5


def test_gb18030_and_bom(tmp_path):
    text = "工单号,状态,时间,处理人\nA-1,新建,2024-01-08 09:00,张三\nA-1,关闭,2024-01-08 10:00,李四\n"
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(text.encode("gbk"))
    log = so.read_log(gbk)
    assert log.fetchall(
        "SELECT activity, resource FROM instances ORDER BY event_index"
    ) == [("新建", "张三"), ("关闭", "李四")]
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert so.read_log(bom).meta.column_map["case_id"] == "工单号"


def test_excel(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Case ID", "Activity", "Complete Timestamp", "Amount"])
    ws.append([1001, "Register", datetime(2024, 1, 8, 9, 0), 12.5])
    ws.append([1001, "Close", datetime(2024, 1, 8, 10, 30), None])
    ws.append([1002, "Register", datetime(2024, 1, 9, 9, 0), 3])
    path = tmp_path / "export.xlsx"
    wb.save(path)
    log = so.read_log(path)
    rows = log.fetchall(
        'SELECT case_id, "timestamp", Amount FROM events ORDER BY event_index'
    )
    assert rows[0] == ("1001", datetime(2024, 1, 8, 9, 0, tzinfo=UTC), 12.5)
    assert rows[1][2] is None
    assert log.n_cases() == 2


def test_parquet_and_frames(tmp_path):
    table = pa.table(
        {
            "case": ["a", "a", "b"],
            "act": ["x", "y", "x"],
            "ts": pa.array(
                [
                    datetime(2024, 1, 1, 9),
                    datetime(2024, 1, 1, 10),
                    datetime(2024, 1, 2, 9),
                ],
                pa.timestamp("ms"),
            ),
        }
    )
    cols = ColumnMap("case", "act", "ts")
    pq.write_table(table, tmp_path / "l.parquet")
    for source in (tmp_path / "l.parquet", table, table.to_pandas()):
        log = so.read_log(source, columns=cols)
        assert (log.n_cases(), log.n_events()) == (2, 3)
    pl = pytest.importorskip("polars")
    assert so.read_log(pl.from_arrow(table), columns=cols).n_events() == 3


def test_timezone_for_naive_and_offset_timestamps(tmp_path):
    path = tmp_path / "tz.csv"
    path.write_text(
        "case,activity,time\n"
        "1,a,2024-07-01 10:00:00\n"  # naive: read in Europe/Amsterdam (UTC+2)
        "1,b,2024-07-01 10:00:00+00:00\n"  # explicit offset wins
        "1,c,2024-03-31 02:30:00\n"  # inside the DST gap
    )
    log = so.read_log(path, timezone="Europe/Amsterdam")
    ts = [
        r[0]
        for r in log.fetchall('SELECT "timestamp" FROM events ORDER BY event_index')
    ]
    assert ts[0] == datetime(2024, 7, 1, 8, 0, tzinfo=UTC)
    assert ts[1] == datetime(2024, 7, 1, 10, 0, tzinfo=UTC)
    assert ts[2].tzinfo is not None


def test_dayfirst_epoch_and_custom_formats(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("case,activity,time\n1,a,01-04-2010 13:05\n1,b,02-04-2010 09:00\n")
    first = so.read_log(p, dayfirst=True).fetchone(
        'SELECT min("timestamp") FROM events'
    )[0]
    assert first == datetime(2010, 4, 1, 13, 5, tzinfo=UTC)
    first_us = so.read_log(p, dayfirst=False).fetchone(
        'SELECT min("timestamp") FROM events'
    )[0]
    assert first_us == datetime(2010, 1, 4, 13, 5, tzinfo=UTC)
    e = tmp_path / "e.csv"
    e.write_text("case,activity,time\n1,a,1704704400000\n")
    assert so.read_log(e).fetchone('SELECT "timestamp" FROM events')[0] == datetime(
        2024, 1, 8, 9, 0, tzinfo=UTC
    )
    c = tmp_path / "c.csv"
    c.write_text("case,activity,time\n1,a,08|01|2024 9h00\n")
    log = so.read_log(c, timestamp_format="%d|%m|%Y %Hh%M")
    assert log.fetchone('SELECT "timestamp" FROM events')[0] == datetime(
        2024, 1, 8, 9, 0, tzinfo=UTC
    )


def test_missing_markers_but_na_is_a_case_id(tmp_path):
    p = tmp_path / "na.csv"
    p.write_text(
        "case,activity,time,impact\nNA,a,2024-01-01 09:00,?\nNA,b,2024-01-01 10:00,High\n"
        "x,a,2024-01-01 11:00,\n"
    )
    log = so.read_log(p)
    assert log.fetchall(
        "SELECT case_id, count(*), count(impact) FROM events GROUP BY 1 ORDER BY 1"
    ) == [("NA", 2, 1), ("x", 1, 0)]


@pytest.mark.parametrize("as_frame", [False, True])
def test_missing_markers_with_spaces_and_custom_markers(tmp_path, as_frame):
    # CSV: the reader nulls exact markers and SQL the padded ones; frames: SQL does both
    rows = [
        ("c1", "a", "2024-01-01 09:00", " ? ", "x"),
        ("c1", "b", "2024-01-01 10:00", "N/A  ", "-"),
        ("c1", "c", "2024-01-01 11:00", "  ", "--"),
        ("c2", "a", "2024-01-01 12:00", " ?x", " - "),
        ("c2", "b", "2024-01-01 13:00", "?", "y"),
    ]
    src: object
    if as_frame:
        src = pa.table(
            dict(
                zip(
                    ["case", "activity", "time", "note", "flag"],
                    zip(*rows, strict=True),
                    strict=True,
                )
            )
        )
    else:
        path = tmp_path / "pad.csv"
        path.write_text(
            "case,activity,time,note,flag\n" + "".join(",".join(r) + "\n" for r in rows)
        )
        src = path
    log = so.read_log(src)
    assert log.fetchall("SELECT note, flag FROM events ORDER BY event_index") == [
        (None, "x"),
        (None, "-"),
        (None, "--"),
        (" ?x", " - "),
        (None, "y"),
    ]
    custom = so.read_log(src, na_values=("-",))
    assert custom.fetchall("SELECT note, flag FROM events ORDER BY event_index") == [
        (" ? ", "x"),
        ("N/A  ", None),
        ("  ", "--"),
        (" ?x", None),
        ("?", "y"),
    ]


def test_numeric_attributes_are_typed(tmp_path):
    p = tmp_path / "n.csv"
    p.write_text(
        "case,activity,time,amount,cost,code\n1,a,2024-01-01,100,1.5,007\n"
        "1,b,2024-01-02,?,2,A7\n"
    )
    attrs = so.read_log(p).attributes
    assert attrs == {"amount": "BIGINT", "cost": "DOUBLE", "code": "VARCHAR"}


def test_numeric_typing_reads_past_the_sampled_rows(tmp_path):
    # the first 20,000 rows only rule columns out: a late text value or a column
    # empty at first is still checked against every row
    n = 20_050
    rows = [
        f"c{i},a,2024-01-01,{i if i < n - 1 else 'x'},{'' if i < n - 2 else i}"
        for i in range(n)
    ]
    p = tmp_path / "late.csv"
    p.write_text("case,activity,time,late_text,late_number\n" + "\n".join(rows))
    attrs = so.read_log(p).attributes
    assert attrs == {"late_text": "VARCHAR", "late_number": "BIGINT"}


def test_equal_timestamps_keep_file_order(tmp_path):
    p = tmp_path / "eq.csv"
    p.write_text(
        "case,activity,time\n1,b,2024-01-01 09:00\n1,a,2024-01-01 09:00\n"
        "1,c,2024-01-01 08:00\n"
    )
    log = so.read_log(p)
    order = [
        r[0]
        for r in log.fetchall(
            'SELECT activity FROM instances ORDER BY "timestamp", event_index'
        )
    ]
    assert order == ["c", "b", "a"]


def test_composite_activity_classifier():
    log = so.read_log(
        shared_log("bpic2013_closed_problems.xes.gz"),
        columns=ColumnMap(activity="concept:name+lifecycle:transition"),
    )
    assert log.info().activities == 7  # SOURCES.md: 4 (7 with lifecycle)


def test_short_rows_are_padded_not_dropped(tmp_path):
    p = tmp_path / "export.csv"
    p.write_text(
        "Ticket,Status,Updated,Agent,Note\n"
        'T-1,Open,1/8/2024 9:00 AM,Ann,"hello, world"\n'
        'T-1,Closed,1/8/2024 1:30 PM,Bob,"multi\nline"\n'  # a quoted line break
        "T-2,Open,1/9/2024 10:00 AM,Ann\n"  # no Note field at all
    )
    log = so.read_log(p, columns=ColumnMap("Ticket", "Status", "Updated"))
    assert log.n_events() == 3
    assert any("fewer fields" in n for n in log.meta.notes)
    rows = log.fetchall(
        'SELECT case_id, "timestamp", Note FROM events ORDER BY event_index'
    )
    assert rows[1][1] == datetime(2024, 1, 8, 13, 30, tzinfo=UTC)
    assert rows[1][2] == "multi\nline"
    assert rows[2][2] is None


def test_ts_column_is_guessed(tmp_path):
    p = tmp_path / "n.csv"
    p.write_text(
        "id;activity;ts\n1;a;2024-01-08T09:00:00.123456Z\n1;b;2024-01-08T10:00:00+08:00\n"
    )
    log = so.read_log(p, columns=ColumnMap(case_id="id"))
    assert log.fetchone('SELECT min("timestamp") FROM events')[0] == datetime(
        2024, 1, 8, 2, 0, tzinfo=UTC
    )
