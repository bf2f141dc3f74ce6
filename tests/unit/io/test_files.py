"""One reader for every table users hand in: feedback, series, counts, case tables."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pyarrow as pa
import pytest

from servops.errors import InvalidParameterError, LogSchemaError
from servops.feedback.read import read_feedback
from servops.forecast import read_counts
from servops.io.files import infer_types, read_columns, read_table
from servops.io.tables import to_arrow
from servops.log import ReadOptions
from tests.paths import shared_feedback

ROWS = [["c1", "9", "fast, friendly"], ["c2", "3", "slow"]]


def _write(path, delim, *, encoding="utf-8", gz=False):
    lines = [delim.join(["case", "nps", "comment"])]
    for case, nps, text in ROWS:
        field = f'"{text}"' if delim in text or "," in text else text
        lines.append(delim.join([case, nps, field]))
    data = ("\n".join(lines) + "\n").encode(encoding)
    if gz:
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("delim", [",", ";", "\t", "|"])
def test_every_delimiter_reads_the_same(tmp_path, delim):
    t = read_table(_write(tmp_path / "answers.csv", delim))
    assert t.column_names == ["case", "nps", "comment"]
    assert t.to_pylist()[0] == {"case": "c1", "nps": "9", "comment": "fast, friendly"}


def test_semicolon_feedback_csv(tmp_path):
    # issue 16: a ';'-separated feedback export failed (read as one column)
    fb = read_feedback(
        _write(tmp_path / "nps.csv", ";"), text="comment", score="nps", case="case"
    )
    assert fb.column("score").to_pylist() == [9.0, 3.0]
    assert fb.column("comment").to_pylist() == ["fast, friendly", "slow"]


def test_gb18030_gzip_feedback(tmp_path):
    path = tmp_path / "nps.csv.gz"
    lines = "工单;评分;评论\nc1;9;很好\n"
    path.write_bytes(gzip.compress(lines.encode("gb18030")))
    fb = read_feedback(path, text="评论", score="评分", case="工单")
    assert fb.to_pylist() == [{"comment": "很好", "score": 9.0, "case_id": "c1"}]


def test_real_feedback_file_reads_like_before():
    path = shared_feedback("ChnSentiCorp_htl_all.csv")
    t = read_table(path, what="feedback file")
    assert t.column_names == ["label", "review"]
    assert t.num_rows == 7766  # wc -l minus the header; rows with line breaks kept


def test_errors_name_the_file(tmp_path):
    with pytest.raises(
        LogSchemaError, match=r"feedback file '.*nope\.csv' does not exist"
    ):
        read_table(tmp_path / "nope.csv", what="feedback file")
    with pytest.raises(LogSchemaError, match="a folder"):
        read_table(tmp_path)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(LogSchemaError, match="empty"):
        read_table(empty)


def test_xes_is_refused(tmp_path):
    path = tmp_path / "log.xes"
    path.write_text('<?xml version="1.0"?><log></log>')
    with pytest.raises(LogSchemaError, match="is an XES event log"):
        read_table(path, what="case table")
    assert read_columns(path) == []


def test_read_columns_sniffs_like_read_table(tmp_path):
    path = _write(tmp_path / "counts.csv", ";")
    assert read_columns(path) == ["case", "nps", "comment"]
    assert read_columns(tmp_path / "absent.csv") == []


def test_counts_file_with_semicolons(tmp_path):
    p = tmp_path / "counts.csv"
    p.write_text("interval_start;calls\n2024-01-08 09:00;12\n2024-01-08 09:30;15\n")
    s = read_counts(p)
    assert s.counts.tolist() == [12.0, 15.0]
    assert s.interval.total_seconds() == 1800


def test_infer_types_hand_example():
    t = pa.table(
        {
            "id": ["007", "8", "9"],
            "n": ["1", " 2 ", ""],
            "x": ["1.5", "2", None],
            "d": ["2024-03-01", "2024-03-02 10:00", "2024-03-02T10:00:00+02:00"],
            "mixed": ["1", "two", "3"],
        }
    )
    out, dates = infer_types(t, keep_text=("id",), timezone="Europe/Amsterdam")
    assert dates == ["d"]
    assert out.column("id").to_pylist() == ["007", "8", "9"]
    assert out.column("n").to_pylist() == [1, 2, None]
    assert out.column("x").to_pylist() == [1.5, 2.0, None]
    assert out.column("mixed").to_pylist() == ["1", "two", "3"]
    assert out.column("d").to_pylist() == [
        datetime(2024, 2, 29, 23, 0, tzinfo=UTC),  # midnight in Amsterdam (UTC+1)
        datetime(2024, 3, 2, 9, 0, tzinfo=UTC),
        datetime(2024, 3, 2, 8, 0, tzinfo=UTC),  # its own offset wins
    ]


def test_infer_types_leaves_typed_and_empty_tables_alone():
    t = pa.table({"a": pa.array([1, 2]), "b": pa.array([None, None], pa.string())})
    out, dates = infer_types(t)
    assert out.schema.field("a").type == pa.int64()
    assert out.schema.field("b").type == pa.string()
    assert dates == []


def test_counts_with_a_word_name_the_row(tmp_path):
    p = tmp_path / "counts.csv"
    p.write_text("interval_start,calls\n2024-01-08 09:00,12\n2024-01-08 09:30,lots\n")
    with pytest.raises(LogSchemaError, match=r"column 'calls', data row 2: 'lots'"):
        read_counts(p)


def test_dataframe_with_mixed_types_is_a_servops_error():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(
        {"case": [1, "a"], "activity": ["x", "y"], "timestamp": ["a", "b"]}
    )
    with pytest.raises(LogSchemaError, match="give each column one type"):
        to_arrow(df)


def test_unknown_zone_is_refused():
    with pytest.raises(InvalidParameterError, match="'Mars/Base'"):
        ReadOptions(timezone="Mars/Base")


def test_feedback_dates_read_as_log_timestamps():
    from servops.feedback.read import prepare_feedback

    t = pa.table({"d": ["31-12-2012 10:00", "01-04-2010 13:05", None, ""]})
    got = prepare_feedback(t, date="d").column("submitted_at").to_pylist()
    assert got == [
        datetime(2012, 12, 31, 10, 0, tzinfo=UTC),
        datetime(2010, 4, 1, 13, 5, tzinfo=UTC),
        None,
        None,
    ]
    bad = pa.table({"d": ["2024-03-01", "2024-03-02", "soon"]})
    with pytest.raises(
        LogSchemaError, match=r"column 'd', data row 3: 'soon' is not a date"
    ):
        prepare_feedback(bad, date="d")
