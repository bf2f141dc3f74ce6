"""Case tables: --cases FILE --case-key COL joins case attributes onto a log."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

import servops as so
from servops.cli.main import app
from servops.errors import InvalidParameterError, LogSchemaError
from servops.log import ReadOptions, Workspace
from tests.paths import DATA

TINY = DATA / "tiny.csv"


def _cases(tmp_path, body):
    p = tmp_path / "cases.csv"
    p.write_text(body, encoding="utf-8")
    return p


def _tiny_ids():
    return sorted(
        r[0] for r in so.read_log(TINY).fetchall("SELECT DISTINCT case_id FROM events")
    )


def test_join_hand_example(tmp_path):
    ids = _tiny_ids()
    body = "id;tier;opened;amount\n"
    body += f"{ids[0]};P1;2024-03-01;10\n{ids[1]};P2;2024-03-02 08:30;2.5\nnot-a-case;P3;2024-03-03;1\n"
    log = so.read_log(
        TINY, cases=_cases(tmp_path, body), case_key="id", timezone="Europe/Amsterdam"
    )
    assert log.attributes["tier"] == "VARCHAR"
    assert log.attributes["opened"].startswith("TIMESTAMP")
    assert log.attributes["amount"] == "DOUBLE"
    rows = dict(log.fetchall("SELECT DISTINCT case_id, tier FROM events ORDER BY 1"))
    assert rows[ids[0]] == "P1" and rows[ids[1]] == "P2"
    assert all(rows[i] is None for i in ids[2:])  # no row: empty, not dropped
    assert log.n_cases() == len(ids)
    opened = log.fetchall(
        f"SELECT DISTINCT opened FROM events WHERE case_id = '{ids[0]}'"
    )[0][0]
    assert opened.astimezone(UTC) == datetime(2024, 2, 29, 23, 0, tzinfo=UTC)
    note = next(n for n in log.meta.notes if "case table" in n)
    assert f"{len(ids) - 2:,} of {len(ids):,} cases have no row there" in note
    assert "1 of its 3 rows match no case" in note
    assert "opened read as timestamps" in note


def test_clashing_names_are_prefixed(tmp_path):
    ids = _tiny_ids()
    log = so.read_log(
        TINY,
        cases=_cases(tmp_path, f"id,activity\n{ids[0]},x\n"),
        case_key="id",
    )
    assert "case:activity" in log.attributes
    assert "activity -> case:activity" in log.meta.notes[-1]


def test_bad_case_tables(tmp_path):
    with pytest.raises(LogSchemaError, match=r"no column 'key'.*Available columns"):
        so.read_log(TINY, cases=_cases(tmp_path, "id,x\n1,2\n"), case_key="key")
    with pytest.raises(LogSchemaError, match=r"repeats case ids: '1' \(2 rows\)"):
        so.read_log(TINY, cases=_cases(tmp_path, "id,x\n1,2\n1,3\n"), case_key="id")
    with pytest.raises(LogSchemaError, match=r"case table .*does not exist"):
        so.read_log(TINY, cases=tmp_path / "nope.csv", case_key="id")
    with pytest.raises(InvalidParameterError, match="needs both 'cases'"):
        ReadOptions(cases=tmp_path / "x.csv")


def test_workspace_import_keeps_the_case_attributes(tmp_path):
    ids = _tiny_ids()
    cases = _cases(tmp_path, f"id,segment\n{ids[0]},gold\n")
    db = tmp_path / "w.duckdb"
    with Workspace(db) as ws:
        log, report = ws.import_log(
            TINY, "t", options=ReadOptions(cases=cases, case_key="id")
        )
        assert "segment" in log.attributes
        assert any("case table" in n for n in report.notes)
    stored = so.open_log("t", db=db)
    assert stored.fetchall(
        f"SELECT DISTINCT segment FROM events WHERE case_id = '{ids[0]}'"
    ) == [("gold",)]


def test_cli_option_on_a_log_command(tmp_path):
    ids = _tiny_ids()
    cases = _cases(tmp_path, f"id,segment\n{ids[0]},gold\n")
    res = CliRunner().invoke(
        app,
        ["variants", str(TINY), "--cases", str(cases), "--case-key", "id", "--json"],
    )
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(app, ["variants", str(TINY), "--cases", str(cases)])
    assert res.exit_code != 0
    assert "--case-key" in res.output


def test_warns_when_timestamps_read_as_utc_but_the_kpi_calendar_is_local(tmp_path):
    from servops.kpi import load_config

    cfg_path = tmp_path / "kpi.yaml"
    cfg_path.write_text(
        "calendars:\n  office:\n    timezone: Europe/Rome\n"
        "    hours: {mon-fri: '09:00-17:00'}\n"
    )
    utc = load_config(cfg_path, so.read_log(TINY))
    assert any("--timezone Europe/Rome" in n for n in utc.notes)
    local = load_config(cfg_path, so.read_log(TINY, timezone="Europe/Rome"))
    assert not any("--timezone" in n for n in local.notes)


def test_bpic2014_style_case_table(tmp_path):
    # BPIC 2014's Detail_Incident: ';'-separated, day-first dates without seconds
    ids = _tiny_ids()
    body = "Incident ID;CI Type;Open_Time;Priority\n"
    body += f"{ids[0]};application;5-2-2012 13:51;4\n{ids[1]};subapplication;25-12-2012 08:05;2\n"
    log = so.read_log(TINY, cases=_cases(tmp_path, body), case_key="Incident ID")
    assert log.attributes["Open_Time"].startswith("TIMESTAMP")
    # DuckDB names ignore case: tiny.csv's 'priority' makes this one 'case:Priority'
    assert log.attributes["case:Priority"] == "BIGINT"
    opened = log.fetchall(
        f"SELECT DISTINCT Open_Time FROM events WHERE case_id = '{ids[1]}'"
    )[0][0]
    assert opened.astimezone(UTC) == datetime(2012, 12, 25, 8, 5, tzinfo=UTC)
