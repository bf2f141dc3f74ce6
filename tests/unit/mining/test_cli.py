"""The mining commands through Typer's runner: JSON shapes, filters, errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from servops.cli.main import app
from tests.paths import DATA

TINY = str(DATA / "tiny.csv")
runner = CliRunner()


def run(*args):
    res = runner.invoke(app, list(args))
    return res.exit_code, res.stdout, res.stderr if hasattr(res, "stderr") else ""


def test_dfg_json_exact_shape():
    code, out, _ = run("dfg", TINY, "--json")
    assert code == 0
    d = json.loads(out)
    assert list(d) == ["nodes", "edges", "start_activities", "end_activities"]
    assert d["nodes"][0] == {"activity": "Register", "frequency": 5}
    e = next(
        x for x in d["edges"] if (x["source"], x["target"]) == ("Triage", "Resolve")
    )
    assert e == {
        "source": "Triage",
        "target": "Resolve",
        "frequency": 2,
        "mean_s": 1800.0,
        "median_s": 1800.0,
        "min_s": 1800.0,
        "max_s": 1800.0,
        "p90_s": 1800.0,
    }
    assert d["start_activities"] == {"Register": 5}
    assert d["end_activities"] == {"Close": 4, "Triage": 1}


def test_variants_json_list_most_frequent_first():
    code, out, _ = run("variants", TINY, "--json")
    assert code == 0
    v = json.loads(out)
    assert isinstance(v, list)
    assert len(v) == 4
    assert list(v[0]) == [
        "activities",
        "cases",
        "share",
        "mean_duration_s",
        "median_duration_s",
    ]
    assert v[0]["activities"] == ["Register", "Triage", "Resolve", "Close"]
    assert v[0]["cases"] == 2
    assert [x["cases"] for x in v] == sorted((x["cases"] for x in v), reverse=True)
    code, out, _ = run("variants", TINY, "--json", "--top", "1")
    assert len(json.loads(out)) == 1
    code, out, _ = run("variants", TINY, "--json", "--coverage", "0.5")
    assert len(json.loads(out)) == 2


def test_filters_apply_to_every_command():
    code, out, _ = run("variants", TINY, "--json", "--where", "channel=email")
    assert code == 0
    assert sum(x["cases"] for x in json.loads(out)) == 2
    code, out, _ = run("dfg", TINY, "--json", "--through", "Escalate")
    assert json.loads(out)["start_activities"] == {"Register": 1}
    code, out, _ = run(
        "info", TINY, "--json", "--ends-with", "Close", "--where", "priority!=high"
    )
    assert json.loads(out)["cases"] == 2
    code, out, _ = run(
        "info", TINY, "--json", "--from", "2024-01-09", "--to", "2024-01-10"
    )
    assert json.loads(out)["cases"] == 2
    code, out, _ = run("variants", TINY, "--json", "--variant-top", "1")
    assert [x["cases"] for x in json.loads(out)] == [2]
    code, out, _ = run("dfg", TINY, "--json", "--min-activity-frequency", "2")
    assert "Escalate" not in {n["activity"] for n in json.loads(out)["nodes"]}
    code, out, _ = run("dfg", TINY, "--json", "--starts-with", "Triage")
    assert json.loads(out)["nodes"] == []


@pytest.mark.parametrize("suffix", [".svg", ".html"])
def test_map_of_an_emptied_log_says_so(tmp_path, suffix):
    out = tmp_path / f"m{suffix}"
    code, _, err = run("map", TINY, "-o", str(out), "--through", "Nope")
    assert code == 1
    assert "tiny.csv: no activity instances to draw after its filters." in err
    assert not out.exists()


def test_bad_filter_and_option_exit_1():
    code, _, err = run("dfg", TINY, "--where", "nocolumn=1")
    assert code == 1
    assert "no column 'nocolumn'" in err
    code, _, err = run("dfg", TINY, "--where", "channel")
    assert code == 1
    assert "ATTR=VALUE" in err
    code, _, err = run("dfg", TINY, "--from", "last tuesday")
    assert code == 1
    assert "ISO 8601" in err
    code, _, err = run("bottlenecks", TINY, "--value-adding", "Nope")
    assert code == 1
    assert "value-adding" in err


def test_activities_bottlenecks_rework_handovers_json():
    code, out, _ = run("activities", TINY, "--json")
    d = json.loads(out)
    assert code == 0
    assert d["time_basis"] == "estimated"
    assert d["has_start_times"] is False
    assert "ESTIMATE" in d["note"]
    assert {a["activity"] for a in d["activities"]} == {
        "Register",
        "Triage",
        "Escalate",
        "Resolve",
        "Close",
    }
    code, out, _ = run("bottlenecks", TINY, "--json", "--value-adding", "Resolve")
    d = json.loads(out)
    assert d["value_stream"]["value_adding"] == ["Resolve"]
    assert d["transitions"][0]["source"] == "Escalate"
    code, out, _ = run("rework", TINY, "--json")
    assert json.loads(out)["cases_with_rework"] == 0
    code, out, _ = run("handovers", TINY, "--json")
    assert json.loads(out)["handovers"][0] == {
        "source": "alice",
        "target": "bob",
        "frequency": 4,
        "cases": 4,
        "mean_s": 1575.0,
        "median_s": 1500.0,
    }  # 30, 20, 10, 45 min
    # people's output renders too
    code, out, _ = run("bottlenecks", TINY)
    assert code == 0
    assert "Value stream" in out


@pytest.mark.parametrize("suffix", [".html", ".svg"])
def test_map_writes_file(tmp_path, suffix):
    out = tmp_path / f"m{suffix}"
    code, stdout, _ = run("map", TINY, "-o", str(out), "--json")
    assert code == 0
    assert json.loads(stdout)["output"] == str(out)
    text = out.read_text(encoding="utf-8")
    if suffix == ".svg":
        assert text.startswith("<svg")
        assert text.count('class="node"') == 5
    else:
        assert "ServopsMap.mount" in text
        assert "http://" not in text.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in text
    code, _, _err = run("map", TINY, "-o", str(out), "--mode", "speed")
    assert code == 1
