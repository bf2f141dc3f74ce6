"""Bad input: a clear error naming file, column, rows and values; nothing dropped silently."""

from __future__ import annotations

import gzip

import pytest

import servops as so
from servops.errors import BadRowsError, LogSchemaError
from servops.io import ColumnMap
from servops.log import read_log_with_report
from tests.paths import DATA, shared_log


def _csv(tmp_path, text, name="log.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_missing_mapped_column_lists_available(tmp_path):
    p = _csv(tmp_path, "ticket,step,ts\n1,a,2024-01-01\n")
    with pytest.raises(
        LogSchemaError, match=r"'when' \(mapped to `timestamp`\).*Available columns"
    ):
        so.read_log(
            p, columns=ColumnMap(case_id="ticket", activity="step", timestamp="when")
        )


def test_unguessable_columns_say_which_flags(tmp_path):
    p = _csv(tmp_path, "foo,bar,baz\n1,2,3\n")
    with pytest.raises(
        LogSchemaError, match=r"--case COLUMN --activity COLUMN --timestamp COLUMN"
    ):
        so.read_log(p)


def test_unparseable_timestamps_name_rows_and_values(tmp_path):
    p = _csv(
        tmp_path,
        "case,activity,time\n1,a,2024-01-01 09:00\n1,b,2024-02-30 10:00\n"
        "2,a,2024-01-02 09:00\n2,b,soon\n",
    )
    with pytest.raises(BadRowsError) as err:
        so.read_log(p)
    msg = str(err.value)
    assert str(p) in msg
    assert "unparseable timestamp in column 'time' at rows 3, 5" in msg
    assert "'2024-02-30 10:00'" in msg and "'soon'" in msg
    assert err.value.rows == [3, 5] and err.value.count == 2


def test_empty_case_id_and_skip_reports(tmp_path):
    p = _csv(
        tmp_path,
        "case,activity,time\n1,a,2024-01-01 09:00\n,b,2024-01-01 10:00\n"
        "2,a,?\n2,b,2024-01-02 09:00\n",
    )
    with pytest.raises(
        BadRowsError,
        match=r"empty case id in column 'case' at rows 3.*"
        r"missing timestamp in column 'time' at rows 4",
    ):
        so.read_log(p)
    log, report = so.log.read_log_with_report(p, so.log.ReadOptions(on_bad_rows="skip"))
    assert (report.rows_read, report.events, report.skipped) == (4, 2, 2)
    assert [r for r, _ in report.skipped_examples] == [3, 4]
    assert log.meta.skipped_rows == 2 and log.n_events() == 2


def test_hospital_billing_empty_case_id_is_reported():
    path = shared_log("hospital_billing_10k.csv.gz")
    with pytest.raises(
        BadRowsError, match="empty case id in column 'case_id' at rows 214"
    ):
        so.read_log(path)
    log = so.read_log(path, on_bad_rows="skip")
    assert (log.n_cases(), log.n_events()) == (9999, 49950)


def test_truncated_xes(tmp_path):
    data = gzip.decompress(shared_log("helpdesk.xes.gz").read_bytes())
    p = tmp_path / "cut.xes"
    p.write_bytes(data[:200_000])
    with pytest.raises(
        LogSchemaError, match=r"not a complete XES file: XML error at line \d+"
    ):
        so.read_log(p)
    gz = tmp_path / "cut.xes.gz"
    gz.write_bytes(shared_log("helpdesk.xes.gz").read_bytes()[:100_000])
    with pytest.raises(LogSchemaError, match="truncated"):
        so.read_log(gz)


def test_truncated_gzip_csv(tmp_path):
    p = tmp_path / "cut.csv.gz"
    p.write_bytes(shared_log("sepsis.csv.gz").read_bytes()[:50_000])
    with pytest.raises(LogSchemaError, match=str(p)):
        so.read_log(p)


def test_mislabelled_file_is_read_by_content(tmp_path):
    p = tmp_path / "really_xes.csv"
    p.write_bytes(shared_log("running-example.xes").read_bytes())
    assert so.read_log(p).n_events() == 42


def test_empty_missing_and_folder(tmp_path):
    with pytest.raises(LogSchemaError, match="empty"):
        so.read_log(_csv(tmp_path, ""))
    with pytest.raises(LogSchemaError, match="no such file"):
        so.read_log(tmp_path / "nope.csv")
    with pytest.raises(LogSchemaError, match="folder"):
        so.read_log(tmp_path)


def test_wrong_encoding_given(tmp_path):
    p = tmp_path / "u.csv"
    p.write_bytes("case,activity,time\n1,新建,2024-01-01\n".encode())
    # reading UTF-8 bytes as GB18030 gives mojibake, never a silent loss of rows
    log = so.read_log(p, encoding="gb18030")
    assert log.n_events() == 1
    assert log.fetchone("SELECT activity FROM events")[0] != "新建"


def test_tiny_fixture_is_intact():
    assert (DATA / "tiny.csv").read_text().count("\n") == 19


def test_events_that_start_after_they_end_are_kept_and_reported(tmp_path):
    path = _csv(
        tmp_path,
        "case,activity,start_timestamp,timestamp\n"
        "c1,A,2024-01-01 10:00,2024-01-01 09:00\n"
        "c1,B,2024-01-01 10:00,2024-01-01 11:00\n"
        "c2,A,2024-01-02 12:00,2024-01-02 09:00\n",
    )
    log, report = read_log_with_report(path)
    assert report.events == 3
    assert "2 event(s) start after they end (rows 2, 4)" in " ".join(report.notes)
    # a case begins at its earliest moment (c1 at 09:00, c2 at 09:00): no negative
    # durations, and service time 0 for the backwards events
    v = so.mining.variants(log)
    assert sorted(x.mean_duration_s for x in v.variants) == [0.0, 7200.0]
    t = so.mining.activity_times(log)
    assert t.case_duration.min_s == 0.0
    assert {a.activity: a.service_mean_s for a in t.activities} == {
        "A": 0.0,
        "B": 3600.0,
    }
