"""``servops report``: the HTML report of a user's own log, from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.csv as pacsv
import pytest
from typer.testing import CliRunner

from servops.cli.main import app
from servops.demo.generator import generate_service_desk
from tests.paths import DATA, shared_log

runner = CliRunner()
DEMO = Path(__file__).resolve().parents[3] / "src" / "servops" / "demo"


def _ids(html: str) -> list[str]:
    return [
        s
        for s in (
            "overview",
            "process",
            "blueprint",
            "kpi",
            "spc",
            "feedback",
            "twin",
            "staffing",
            "scorecards",
            "improve",
            "diagnosis",
        )
        if f'id="{s}"' in html
    ]


def test_report_of_a_real_log_says_what_it_left_out(tmp_path):
    out = tmp_path / "helpdesk.html"
    res = runner.invoke(
        app, ["report", str(shared_log("helpdesk.xes.gz")), "-o", str(out), "--json"]
    )
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    built = [s["id"] for s in d["sections"]]
    assert built[:4] == ["overview", "process", "kpi", "spc"]
    # the diagnosis is built last (it narrates the other sections) and shown first
    assert built[-1] == "diagnosis"
    assert sorted(_ids(out.read_text(encoding="utf-8"))) == sorted(built)
    left = {x["section"]: x["needs"] for x in d["left_out"]}
    assert "--blueprint" in left["blueprint"] and "--feedback" in left["feedback"]
    # helpdesk has no start times: staffing needs a handle time from --aht
    assert "--aht" in left["staffing"]
    res = runner.invoke(
        app,
        ["report", str(shared_log("helpdesk.xes.gz")), "-o", str(out), "--aht", "10m"],
    )
    assert res.exit_code == 0, res.output
    assert 'id="staffing"' in out.read_text(encoding="utf-8")


@pytest.mark.slow
def test_every_section_with_all_inputs_in_chinese(tmp_path):
    data = generate_service_desk(cases=1200, seed=3)
    log_csv, fb_csv = tmp_path / "tickets.csv", tmp_path / "survey.csv"
    pacsv.write_csv(data.events, log_csv)
    pacsv.write_csv(data.feedback, fb_csv)
    out = tmp_path / "r.html"
    res = runner.invoke(
        app,
        [
            "report",
            str(log_csv),
            "-o",
            str(out),
            "--lang",
            "zh",
            "--title",
            "本月报告",
            "-c",
            str(DEMO / "kpi.yaml"),
            "--blueprint",
            str(DEMO / "blueprint.yaml"),
            "--feedback",
            str(fb_csv),
            "-t",
            "comment",
            "-s",
            "score",
            "-k",
            "case_id",
            "-d",
            "submitted_at",
            "--interval",
            "30m",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["left_out"] == []
    html = out.read_text(encoding="utf-8")
    assert _ids(html) == [s["id"] for s in d["sections"]]
    assert len(d["sections"]) == 8
    assert "本月报告" in html and "预测与实际" in html


def test_filters_apply(tmp_path):
    out = tmp_path / "r.html"
    res = runner.invoke(
        app,
        [
            "report",
            str(DATA / "tiny.csv"),
            "-o",
            str(out),
            "--through",
            "Escalate",
            "--aht",
            "6m",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    # the overview counts the one case (of five) that passed through Escalate
    assert "1 case and 5 events" in html
    assert "staffing" in [x["section"] for x in json.loads(res.stdout)["left_out"]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--text-column", "comment"], "need --feedback FILE"),
        (["--lang", "fr"], "'en' or 'zh'"),
        (["--interval", "1d"], "15m, 30m or 1h"),
        (["--aht", "soon"], "--aht"),
    ],
)
def test_bad_options_are_named(tmp_path, args, message):
    out = tmp_path / "r.html"
    res = runner.invoke(app, ["report", str(DATA / "tiny.csv"), "-o", str(out), *args])
    assert res.exit_code == 1
    assert message in res.stderr
    assert not out.exists()
