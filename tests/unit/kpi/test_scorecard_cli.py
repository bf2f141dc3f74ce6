"""``servops scorecard`` through the real CLI."""

from __future__ import annotations

import json

from typer.testing import CliRunner, Result

from servops.cli.main import app

CONFIG = """activities: {resolved: Resolved}
handovers: {ignore_resources: [system]}
sla:
  - {name: all, resolution: 1h}
"""


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def _files(tmp_path):
    rows = ["case,act,ts,res,priority"]
    feedback = ["ticket,stars"]
    # A: P1 on time, P1 late; B: P2 on time x2, P1 late
    spec = [("A", "P1", 30), ("A", "P1", 120), ("B", "P2", 30), ("B", "P2", 30)]
    spec.append(("B", "P1", 120))
    for i, (agent, prio, minutes) in enumerate(spec):
        h = 9 + 2 * i
        end = f"2024-01-08 {h + minutes // 60:02d}:{minutes % 60:02d}"
        rows += [
            f"t{i},Ticket created,2024-01-08 {h:02d}:00,system,{prio}",
            f"t{i},Resolved,{end},{agent},{prio}",
        ]
        feedback.append(f"t{i},{5 if agent == 'A' else 3}")
    log = tmp_path / "log.csv"
    log.write_text("\n".join(rows) + "\n")
    fb = tmp_path / "fb.csv"
    fb.write_text("\n".join(feedback) + "\n")
    cfg = tmp_path / "kpi.yaml"
    cfg.write_text(CONFIG)
    return str(log), str(fb), str(cfg)


def test_scorecard_json(tmp_path):
    log, fb, cfg = _files(tmp_path)
    res = run(
        "scorecard", log, "--case", "case", "--activity", "act", "--timestamp", "ts",
        "--resource", "res", "-c", cfg, "--adjust", "priority",
        "--feedback", fb, "-s", "stars", "--case-column", "ticket", "--json",
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    rows = {r["name"]: r for r in out["rows"]}
    assert (rows["A"]["decided"], rows["A"]["on_time"]) == (2, 1)
    assert (rows["B"]["decided"], rows["B"]["on_time"]) == (3, 2)
    # desk: P1 1/3, P2 2/2; A expects 2/3, B expects 1/3 + 2
    assert rows["A"]["oe_ratio"] == 1 / (2 / 3)
    assert abs(rows["B"]["oe_ratio"] - 2 / (1 / 3 + 2)) < 1e-12
    assert out["adjust"] == ["priority"]
    assert rows["A"]["rating_mean"] == 5.0
    assert out["desk"]["ratings"] == 5
    assert out["funnel"][0]["n"] == 1


def test_scorecard_table_and_errors(tmp_path):
    log, fb, cfg = _files(tmp_path)
    cols = ["--case", "case", "--activity", "act", "--timestamp", "ts"]
    cols += ["--resource", "res", "-c", cfg]
    res = run("scorecard", log, *cols, "--adjust", "none")
    assert res.exit_code == 0, res.output
    assert "Scorecards by agent" in res.stdout
    assert "no case-mix adjustment" in res.stdout
    bad = run("scorecard", log, *cols, "--by", "team")
    assert bad.exit_code == 1
    assert "team attribute" in bad.output
    bad = run("scorecard", log, *cols, "--feedback", fb)
    assert bad.exit_code == 1
    assert "--score-column" in bad.output
    bad = run("scorecard", log, *cols, "--adjust", "region")
    assert bad.exit_code == 1
    assert "Attributes of this log" in bad.output


def test_ratings_file_read(tmp_path):
    from servops.cli.scorecard import read_ratings

    _, fb, _ = _files(tmp_path)
    t = read_ratings(fb, score_column="stars", case_column="ticket")
    assert t.column("score").to_pylist() == [5.0, 5.0, 3.0, 3.0, 3.0]
