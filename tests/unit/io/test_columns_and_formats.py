from __future__ import annotations

import codecs

import pytest

from servops.io import ColumnMap, detect_format, guess_columns
from servops.io.encoding import detect_encoding
from servops.io.timestamps import TimestampFormat


def test_guess_xes_names():
    cmap, guessed = guess_columns(
        [
            "case:concept:name",
            "concept:name",
            "time:timestamp",
            "org:resource",
            "lifecycle:transition",
            "amount",
        ]
    )
    assert cmap == ColumnMap(
        "case:concept:name",
        "concept:name",
        "time:timestamp",
        None,
        "org:resource",
        "lifecycle:transition",
    )
    assert guessed == ["case_id", "activity", "timestamp", "resource", "lifecycle"]


def test_guess_disco_and_ticket_names():
    cmap, _ = guess_columns(
        ["Incident ID", "Status", "Updated_At", "Assignee", "Start Time"]
    )
    assert cmap.case_id == "Incident ID"
    assert cmap.activity == "Status"
    assert cmap.resource == "Assignee"
    assert cmap.start_timestamp == "Start Time"


def test_explicit_columns_are_kept_and_not_reused():
    cmap, guessed = guess_columns(
        ["ticket", "activity", "case_id", "ts"],
        ColumnMap(case_id="ticket", timestamp="ts"),
    )
    assert (
        cmap.case_id == "ticket"
    )  # not overridden by the column literally named case_id
    assert cmap.timestamp == "ts"
    assert guessed == ["activity"]


@pytest.mark.parametrize(
    ("values", "kind", "pattern"),
    [
        (["2011-10-01T00:38:44.546+02:00", "2011-10-01 00:38:44"], "iso", None),
        (["2013/11/07 08:08:00.000"], "iso", None),
        (["31-12-2012 10:00", "01-04-2010 13:05"], "strptime", "%d-%m-%Y %H:%M"),
        (["12/31/2012 10:00:00"], "strptime", "%m/%d/%Y %H:%M:%S"),
        (["31.12.2012"], "strptime", "%d.%m.%Y"),
        (["2024年01月08日 09:30"], "strptime", "%Y年%m月%d日 %H:%M"),
        (["1286300000", "1286400000"], "epoch_s", None),
        (["1286300000123"], "epoch_ms", None),
    ],
)
def test_detect_format(values, kind, pattern):
    fmt = detect_format(values)
    assert fmt is not None
    assert (fmt.kind, fmt.pattern) == (kind, pattern)


def test_ambiguous_dates_are_flagged_and_dayfirst_decides():
    fmt = detect_format(["01-04-2010 13:05", "02-03-2010 10:00"])
    assert fmt is not None and fmt.note is not None and "ambiguous" in fmt.note
    assert fmt.pattern == "%d-%m-%Y %H:%M"  # '-' reads day-first unless told otherwise
    us = detect_format(["01/04/2010 13:05"], dayfirst=False)
    assert us == TimestampFormat("strptime", "%m/%d/%Y %H:%M")


def test_unknown_format_is_none():
    assert detect_format(["yesterday", "next week"]) is None


def test_detect_encoding():
    assert detect_encoding("工单号,状态\nA1,处理中".encode("gbk")) == "gb18030"
    assert detect_encoding(codecs.BOM_UTF8 + b"a,b") == "utf-8-sig"
    assert detect_encoding("工单号".encode()) == "utf-8"


def test_guess_chinese_ticket_export_headers():
    cmap, guessed = guess_columns(["工单号", "状态", "更新时间", "处理人", "影响"])
    assert (cmap.case_id, cmap.activity, cmap.timestamp, cmap.resource) == (
        "工单号",
        "状态",
        "更新时间",
        "处理人",
    )
    assert guessed == ["case_id", "activity", "timestamp", "resource"]
