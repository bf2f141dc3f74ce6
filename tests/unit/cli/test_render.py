"""Tables for people stay readable in 100 columns (``cli/_render.simple_table``)."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from rich.console import Console

from servops.cli._render import simple_table, table_from_rows
from tests.paths import DATA


def _text(table, width=100):
    c = Console(width=width, file=io.StringIO(), record=True)
    c.print(table)
    return [line.rstrip() for line in c.export_text().splitlines()]


def test_single_row_is_transposed():
    lines = _text(simple_table("Log", ["cases", "events", "variants"], [[5, 20, 3]]))
    assert lines[2].split() == ["┃", "field", "┃", "value", "┃"]
    assert any(line.split()[1:4] == ["events", "│", "20"] for line in lines)
    assert len(lines) == 8  # title, 3 rule/header lines, 3 rows, bottom


def test_two_column_single_row_is_kept():
    lines = _text(simple_table("T", ["a", "b"], [[1, 2]]))
    assert "field" not in "\n".join(lines)


def test_all_empty_columns_are_dropped():
    rows: list[list[object]] = [[1, None, "x", "–"], [2, "", "y", None]]
    text = "\n".join(_text(simple_table("T", ["n", "gone", "s", "also"], rows)))
    assert "gone" not in text
    assert "also" not in text
    assert "n" in text
    # A column with one value stays.
    text = "\n".join(_text(simple_table("T", ["n", "some"], [[1, None], [2, "v"]])))
    assert "some" in text


def test_wide_tables_wrap_within_100_columns_and_keep_numbers_whole():
    cols = [f"a rather long column title {i}" for i in range(8)]
    rows = [[123456.0, 7, "a long piece of text " * 3, 1, 2, 3, 4, "z"]] * 3
    lines = _text(simple_table("Wide", cols, rows))
    assert max(len(line) for line in lines) <= 100
    assert any("123,456" in line for line in lines)  # not 1.23e+05, not broken


def test_table_from_rows():
    lines = _text(table_from_rows("R", [{"x": 1, "y": 2.5}, {"x": 2, "y": 3.25}]))
    assert lines[2].split() == ["┃", "x", "┃", "y", "┃"]
    assert lines[-2].split() == ["│", "2", "│", "3.25", "│"]


@pytest.mark.parametrize("command", ["info", "activities", "variants", "kpi"])
def test_commands_fit_in_100_columns(command):
    # A fresh process, so that Rich reads COLUMNS as in a terminal of that width.
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "from servops.cli.main import main; main()",
            command,
            str(DATA / "tiny.csv"),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "100"},
    )
    lines = out.stdout.splitlines()
    assert lines
    assert max(len(line) for line in lines) <= 100
