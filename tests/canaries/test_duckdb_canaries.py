"""Canaries: upstream behaviour servops relies on or works around (xfail strict = still so)."""

from __future__ import annotations

import duckdb
import pytest


def test_csv_reader_keeps_na_string(tmp_path):
    p = tmp_path / "na.csv"
    p.write_text("case\nNA\n\n")
    rows = (
        duckdb.connect()
        .execute(f"SELECT \"case\" FROM read_csv('{p}', header=true, all_varchar=true)")
        .fetchall()
    )
    assert rows == [("NA",), (None,)]  # "NA" is a value; only the empty string is null


def test_strptime_accepts_a_list_of_formats():
    con = duckdb.connect()
    got = con.execute(
        "SELECT try_strptime('01-04-2010 13:05', ['%Y-%m-%d %H:%M', '%d-%m-%Y %H:%M'])"
    ).fetchall()[0][0]
    assert (got.day, got.month) == (1, 4)


@pytest.mark.xfail(
    raises=AttributeError,
    reason="DuckDB 2 relations have no fetchone(); "
    "servops uses fetchall / engine.fetch_first",
    strict=True,
)
def test_relations_have_no_fetchone():
    rel = duckdb.connect().sql("SELECT 1")
    getattr(rel, "fetchone")()  # noqa: B009 - the attribute is what is pinned


@pytest.mark.xfail(
    raises=duckdb.Error,
    reason="read_csv has no file_row_number; servops "
    "numbers rows with row_number() OVER ()",
    strict=True,
)
def test_csv_has_no_file_row_number(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("a\n1\n")
    duckdb.connect().execute(
        f"SELECT * FROM read_csv('{p}', file_row_number=true)"
    ).fetchall()
