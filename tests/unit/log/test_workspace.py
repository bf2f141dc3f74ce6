"""The workspace: import by name, reload, replace, all-or-nothing imports."""

from __future__ import annotations

import pytest

import servops as so
from servops.errors import BadRowsError, InvalidParameterError, WorkspaceError
from tests.paths import DATA, shared_log


def test_import_load_list_drop(tmp_path):
    db = tmp_path / "w.duckdb"
    with so.Workspace(db) as ws:
        log, report = ws.import_log(DATA / "tiny.csv", "tiny")
        assert report.events == 18 and log.meta.name == "tiny"
        assert [s.name for s in ws.logs()] == ["tiny"]
    with so.Workspace(db, read_only=True) as ws:  # survives closing the file
        assert ws.load("tiny").info().variants == 4
    assert so.open_log("tiny", db=db).n_cases() == 5
    with so.Workspace(db) as ws:
        ws.drop("tiny")
        assert ws.logs() == []
        with pytest.raises(WorkspaceError, match="no log named 'tiny'"):
            ws.load("tiny")


def test_reimport_needs_replace(tmp_path):
    with so.Workspace(tmp_path / "w.duckdb") as ws:
        ws.import_log(DATA / "tiny.csv", "t")
        with pytest.raises(WorkspaceError, match="--replace"):
            ws.import_log(DATA / "tiny.csv", "t")
        log, _ = ws.import_log(shared_log("running-example.xes"), "t", replace=True)
        assert log.n_events() == 42


def test_failed_import_leaves_workspace_as_it_was(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("case,activity,time\n1,a,2024-01-01\n2,b,not a date\n")
    db = tmp_path / "w.duckdb"
    with so.Workspace(db) as ws:
        ws.import_log(DATA / "tiny.csv", "t")
        with pytest.raises(BadRowsError):
            ws.import_log(bad, "t", replace=True)
        with pytest.raises(BadRowsError):
            ws.import_log(bad, "other")
        assert [s.name for s in ws.logs()] == ["t"]
        assert ws.load("t").n_events() == 18
    with so.Workspace(db) as ws:  # and on disk
        assert ws.load("t").n_events() == 18
        tables = {r[0] for r in ws.con.execute("SHOW TABLES").fetchall()}
        assert tables == {"servops_logs", "log:t"}


def test_paired_log_round_trips(tmp_path):
    with so.Workspace(tmp_path / "w.duckdb") as ws:
        ws.import_log(shared_log("repair_example.xes.gz"), "repair")
    with so.Workspace(tmp_path / "w.duckdb", read_only=True) as ws:
        info = ws.load("repair").info()
    assert (info.events, info.activity_instances, info.has_start_times) == (
        11855,
        7733,
        True,
    )


def test_bad_names(tmp_path):
    with (
        so.Workspace(tmp_path / "w.duckdb") as ws,
        pytest.raises(InvalidParameterError),
    ):
        ws.import_log(DATA / "tiny.csv", "no spaces please")


def test_open_log_unknown_spec(tmp_path):
    with pytest.raises(so.LogSchemaError, match="neither a file nor a log stored"):
        so.open_log("nothing-here", db=tmp_path / "w.duckdb")


def test_using_a_log_after_closing_its_workspace_says_so(tmp_path):
    with so.Workspace(tmp_path / "w.duckdb") as ws:
        log, _ = ws.import_log(DATA / "tiny.csv", "t")
    with pytest.raises(WorkspaceError, match="closed"):
        log.n_cases()


def test_stored_name_wins_over_a_folder_of_that_name(tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    with so.Workspace(db) as ws:
        ws.import_log(DATA / "tiny.csv", "demo")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "demo").mkdir()
    assert so.open_log("demo", db=db).n_cases() == 5
