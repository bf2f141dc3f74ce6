"""``servops improve``: before-after, sample-size and ab on the demo log, with --json."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest
from typer.testing import CliRunner

import servops.demo
from servops.cli.main import app
from servops.demo.generator import generate_service_desk

runner = CliRunner()
KPI_YAML = str(Path(servops.demo.__file__).parent / "kpi.yaml")


@pytest.fixture(scope="module")
def demo_csv(tmp_path_factory):
    events = generate_service_desk(cases=600, seed=3).events
    # a recorded A/B attribute: even-numbered tickets follow the new procedure
    num = pc.cast(pc.utf8_slice_codeunits(events.column("case_id"), 4), pa.int64())
    variant = pc.if_else(pc.equal(pc.bit_wise_and(num, 1), 0), "new", "old")
    path = tmp_path_factory.mktemp("demo") / "demo.csv"
    pacsv.write_csv(events.append_column("procedure", variant), path)
    return str(path)


def test_before_after_json(demo_csv):
    res = runner.invoke(
        app,
        [
            "improve",
            "before-after",
            demo_csv,
            "--change-at",
            "2026-09-14",
            "--metric",
            "sla_met",
            "-c",
            KPI_YAML,
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["metric"] == "sla_met" and d["kind"] == "rate"
    assert d["change_at"] == "2026-09-14T00:00:00+00:00"
    assert d["before"]["cases"] + d["after"]["cases"] == 600
    rate = d["effects"]["rate"]
    # the default resamples blocks of arrival days (a queue's cases are dependent)
    assert rate["method"].startswith("block-percentile")
    assert rate["low"] <= rate["estimate"] <= rate["high"]
    assert d["resampling"]["dependence"] == "day" and d["resampling"]["block"] >= 1
    assert [m["attribute"] for m in d["mix"]] == ["priority", "channel", "category"]
    assert d["adjusted"]["by"] == "priority"
    assert d["summary"].startswith("SLA attainment ")


def test_before_after_human_with_segment(demo_csv):
    res = runner.invoke(
        app,
        [
            "improve",
            "before-after",
            demo_csv,
            "--change-at",
            "2026-09-14T00:00",
            "-m",
            "lead_time",
            "-c",
            KPI_YAML,
            "--segment",
            "channel=email",
        ],
        env={"COLUMNS": "120"},
    )
    assert res.exit_code == 0, res.output
    assert "Median lead time" in res.stdout
    assert "median" in res.stdout and "p90" in res.stdout


def test_before_after_errors_exit_1(demo_csv):
    res = runner.invoke(
        app,
        ["improve", "before-after", demo_csv, "--change-at", "14/09/2026", "-m", "fcr"],
    )
    assert res.exit_code == 1
    assert "--change-at must be a date" in res.stderr
    res = runner.invoke(
        app,
        [
            "improve",
            "before-after",
            demo_csv,
            "--change-at",
            "2026-09-14",
            "-m",
            "speed",
        ],
    )
    assert res.exit_code == 1 and "'metric' parameter" in res.stderr


def test_sample_size_cli():
    res = runner.invoke(
        app,
        [
            "improve",
            "sample-size",
            "--p-control",
            "0.3",
            "--p-treatment",
            "0.4",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["n_control"] == 356
    res = runner.invoke(
        app, ["improve", "sample-size", "--delta", "30min", "--sd", "2h"]
    )
    assert res.exit_code == 0 and "252 control and 252 treatment" in res.stdout
    res = runner.invoke(app, ["improve", "sample-size", "--p-control", "0.3"])
    assert res.exit_code == 2


def test_ab_cli(demo_csv):
    res = runner.invoke(
        app,
        [
            "improve",
            "ab",
            demo_csv,
            "--variant-column",
            "procedure",
            "-m",
            "fcr",
            "-c",
            KPI_YAML,
            "--control",
            "old",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert (d["control"], d["treatment"]) == ("old", "new")
    assert d["n_control"] + d["n_treatment"] == 600
    # the demo assigns nothing by parity of the ticket number: no real difference
    assert d["fixed"]["difference"]["low"] < 0 < d["fixed"]["difference"]["high"]
    assert d["sequential"]["rejected"] is False
    assert np.isfinite(d["sequential"]["e_value"])


def test_targets_cli(demo_csv, tmp_path):
    path = tmp_path / "targets.yaml"
    path.write_text(
        "targets:\n"
        "  - name: SLA 90 %\n    perspective: internal\n    metric: sla_met\n"
        "    target: 90%\n    deadline: 2030-12-31\n"
        "  - name: p90 lead time\n    metric: lead_time\n    statistic: p90\n"
        "    target: 30d\n    deadline: 2026-09-10\n",
        encoding="utf-8",
    )
    res = runner.invoke(
        app, ["improve", "targets", demo_csv, "-t", str(path), "-c", KPI_YAML, "--json"]
    )
    assert res.exit_code == 0, res.output
    sla, lead = json.loads(res.stdout)
    assert sla["target"]["perspective"] == "internal"
    assert sla["status"] in ("on track", "at risk")
    # 600 demo tickets span two weeks: too few weekly values for a trend
    assert sla["projected"] is None and "no trend" in sla["notes"][0]
    assert sla["current"] == pytest.approx(sla["weeks"][0]["value"], abs=0.1)
    assert lead["status"] == "met" and lead["projected"] is None
    human = runner.invoke(
        app,
        ["improve", "targets", demo_csv, "-t", str(path), "-c", KPI_YAML],
        env={"COLUMNS": "120"},
    )
    assert human.exit_code == 0 and "p90 lead time: met." in human.stdout


def test_segment_must_be_attribute_equals_value(demo_csv):
    res = runner.invoke(
        app,
        [
            "improve",
            "before-after",
            demo_csv,
            "--change-at",
            "2026-09-14",
            "-m",
            "fcr",
            "--segment",
            "email",
        ],
    )
    assert res.exit_code == 1 and "--segment must be ATTRIBUTE=VALUE" in res.stderr


COST_YAML = str(Path(__file__).parents[3] / "docs" / "examples" / "cost.yaml")


def _flat(text: str) -> str:
    """Terminal output with its line breaks undone (Rich wraps long lines)."""
    return " ".join(text.split())


def test_ab_terminal_output(demo_csv):
    # a duration: the summary, the open tickets named as censored, the sequential note
    res = runner.invoke(
        app,
        [
            "improve",
            "ab",
            demo_csv,
            "--variant-column",
            "procedure",
            "-m",
            "lead_time",
            "-c",
            KPI_YAML,
            "--control",
            "old",
        ],
        env={"COLUMNS": "100"},
    )
    assert res.exit_code == 0, res.output
    d = json.loads(
        runner.invoke(
            app,
            [
                "improve",
                "ab",
                demo_csv,
                "--variant-column",
                "procedure",
                "-m",
                "lead_time",
                "-c",
                KPI_YAML,
                "--control",
                "old",
                "--json",
            ],
        ).stdout
    )
    text = _flat(res.stdout)
    assert text.startswith(_flat(d["summary"]))
    assert text.startswith("Median lead time: new ")
    for note in d["notes"]:
        assert f"note: {_flat(note)}" in text
    assert "note: The sequential test is for rates (0/1 outcomes) only." in text
    if d["open_control"] + d["open_treatment"]:
        assert "still open at the end of the data" in text
        assert "log-rank p = " in text


def test_cost_terminal_output(demo_csv):
    args = ["improve", "cost", demo_csv, "--cost", COST_YAML, "-c", KPI_YAML]
    args += ["--change-at", "2026-09-14", "--running-cost", "500"]
    res = runner.invoke(app, args, env={"COLUMNS": "100"})
    assert res.exit_code == 0, res.output
    d = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    text = _flat(res.stdout)
    assert text.startswith(_flat(d["summary"]))
    assert "EUR" in text and "a month" in text
    for note in d["notes"]:
        assert f"note: {_flat(note)}" in text


TARGETS_YAML = (
    "targets:\n"
    "  - name: SLA 90 %\n    metric: sla_met\n    target: 90%\n    deadline: 2030-12-31\n"
    "  - name: median lead\n    metric: lead_time\n    statistic: median\n"
    "    target: 2d\n    deadline: 2030-12-31\n"
)


def test_targets_from_a_file_and_a_stored_log_agree(demo_csv, tmp_path):
    """The same log as a file and stored in a workspace (--db): the same status."""
    path = tmp_path / "targets.yaml"
    path.write_text(TARGETS_YAML, encoding="utf-8")
    db = str(tmp_path / "ws.duckdb")
    res = runner.invoke(app, ["import", demo_csv, "--name", "desk", "--db", db])
    assert res.exit_code == 0, res.output
    args = ["-t", str(path), "-c", KPI_YAML, "--json"]
    from_file = runner.invoke(app, ["improve", "targets", demo_csv, *args])
    stored = runner.invoke(app, ["improve", "targets", "desk", "--db", db, *args])
    assert from_file.exit_code == 0 and stored.exit_code == 0, stored.output
    a, b = json.loads(from_file.stdout), json.loads(stored.stdout)
    for x, y in zip(a, b, strict=True):
        assert x["status"] == y["status"]
        assert x["current"] == pytest.approx(y["current"])
        assert x["weeks"] == y["weeks"]


def test_targets_from_a_simulated_log():
    from datetime import date

    from servops.improve import Target, target_status
    from servops.sim import simulate

    model = Path(__file__).parents[3] / "docs" / "examples" / "mmc.yaml"
    # M/M/10 at 0.95: mean time in system Wq + 1 = 2.65 min; every case finishes
    log = simulate(model, cases=3000, seed=4).log
    target = Target("mean stay", "lead_time", "mean", 180.0, date(2030, 1, 1))
    (s,) = target_status(log, [target])
    assert s.status in ("on track", "at risk")
    assert s.current is not None and 60 < s.current < 600
