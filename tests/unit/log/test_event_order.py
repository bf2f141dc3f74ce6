"""event_index is the row's position in the file, however DuckDB schedules the read.

DuckDB does not keep insertion order through every projection of a large parallel CSV
read (seen at 5-26 M rows: a CTAS of the import projection put other rows first), so
servops numbers rows from the source itself (``WITH ORDINALITY``). These tests check the
number against the file's own lines.
"""

from __future__ import annotations

import linecache

import pytest

import servops as so


def _write(path, n):
    with path.open("w") as fh:
        fh.write("case,activity,time,note\n")
        for i in range(n):
            # all rows of a case share one timestamp: ties that must keep file order
            fh.write(
                f"c{i // 7},a{i % 5},2024-01-{1 + (i // 7) % 28:02d} 10:00:00,r{i}\n"
            )


def _check(path, n):
    log = so.read_log(path)
    for k in (1, 2, n // 3, n // 2, n - 1, n):
        case, note = log.fetchone(
            f"SELECT case_id, note FROM events WHERE event_index = {k}"
        )
        assert [case, note] == linecache.getline(str(path), k + 1).strip().split(",")[
            ::3
        ]
    # equal timestamps keep file order within a case
    inverted = log.fetchone(
        "SELECT count(*) FROM (SELECT CAST(substr(note, 2) AS BIGINT) AS r, "
        "lag(CAST(substr(note, 2) AS BIGINT)) OVER (PARTITION BY case_id "
        'ORDER BY "timestamp", event_index) AS prev FROM events) WHERE prev > r'
    )
    assert inverted == (0,)
    # full cases (7 rows) start at one of 5 offsets of a0..a4; a last partial case adds one
    assert log.info().variants == 5 + (1 if n % 7 else 0)


def test_event_index_is_the_file_row(tmp_path):
    path = tmp_path / "ordered.csv"
    _write(path, 300_000)
    _check(path, 300_000)


@pytest.mark.slow
def test_event_index_is_the_file_row_at_scale(tmp_path):
    path = tmp_path / "ordered.csv"
    _write(path, 6_000_000)
    _check(path, 6_000_000)
