import json
from datetime import datetime, timedelta

import pyarrow as pa
import pytest
from tests.paths import DATA
from typer.testing import CliRunner

import servops as so
from servops.cli.main import app
from servops.report.builder import ReportContext
from servops.report.sections import feedback as section

EXAMPLES = DATA.parents[1] / "docs" / "examples"
runner = CliRunner()

CSV = (
    "id,nps,comment,when\n"
    "c1,9,服务很好，很快解决了,2024-01-03\n"
    'c2,3,"waited 3 days, nobody called back",2024-01-05\n'
    "c3,10,Great support,2024-02-01\n"
    "c4,6,客服态度差，等了很久,2024-02-10\n"
)


@pytest.fixture
def fb_csv(tmp_path):
    p = tmp_path / "fb.csv"
    p.write_text(CSV, encoding="utf-8")
    return p


def test_feedback_file_form(fb_csv):
    r = runner.invoke(
        app,
        [
            "feedback",
            str(fb_csv),
            "--text-column",
            "comment",
            "--score-column",
            "nps",
            "--date-column",
            "when",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["scale"] == "nps" and d["score"]["nps"] == 0.0
    assert d["languages"] == {"en": 2, "zh": 2}
    assert [t["period"] for t in d["trend"]] == ["2024-01-01", "2024-02-01"]


def test_feedback_explicit_analyze_and_sentiment_subcommand(fb_csv):
    r1 = runner.invoke(app, ["feedback", "analyze", str(fb_csv), "-s", "nps", "--json"])
    assert r1.exit_code == 0 and json.loads(r1.stdout)["score"]["n"] == 4
    r = runner.invoke(
        app,
        ["feedback", "sentiment", str(fb_csv), "--text-column", "comment", "--json"],
    )
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert [x["row"] for x in rows] == [1, 2, 3, 4]
    assert rows[0]["label"] == "positive" and rows[3]["label"] == "negative"
    assert all(0 <= x["score"] <= 1 for x in rows)


def test_feedback_bad_column_exits_1(fb_csv):
    r = runner.invoke(app, ["feedback", str(fb_csv), "--text-column", "nope"])
    assert r.exit_code == 1
    assert "Available columns" in r.stderr


def test_feedback_train_and_use_model(tmp_path):
    rows = ["text,csat"]
    rows += [f"fast friendly help {i},5" for i in range(8)]
    rows += [f"slow rude agent {i},1" for i in range(8)]
    p = tmp_path / "lab.csv"
    p.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "m.npz"
    r = runner.invoke(
        app,
        [
            "feedback",
            "train",
            str(p),
            "-t",
            "text",
            "-s",
            "csat",
            "-o",
            str(out),
            "--folds",
            "4",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["n"] == 16 and d["accuracy"] >= 0.9 and out.exists()
    r2 = runner.invoke(
        app,
        ["feedback", "sentiment", str(p), "-t", "text", "--model", str(out), "--json"],
    )
    assert r2.exit_code == 0
    assert json.loads(r2.stdout)[0]["label"] == "positive"


def test_feedback_servqual_and_kano_cli():
    r = runner.invoke(
        app,
        [
            "feedback",
            "servqual",
            str(EXAMPLES / "servqual.csv"),
            "--weights",
            "tangibles=10,reliability=30,responsiveness=25,assurance=20,empathy=15",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert len(d["dimensions"]) == 5 and d["weighted_score"] is not None
    r = runner.invoke(app, ["feedback", "kano", str(EXAMPLES / "kano.csv"), "--json"])
    assert r.exit_code == 0, r.output
    cats = {x["feature"]: x["category"] for x in json.loads(r.stdout)}
    assert cats == {
        "sms_updates": "attractive",
        "fix_first_time": "must-be",
        "named_agent": "one-dimensional",
        "chatbot_first": "reverse",
    }


def _log_and_feedback():
    t0 = datetime(2024, 3, 1)
    ev: dict[str, list[object]] = {"case": [], "act": [], "ts": []}
    fb: dict[str, list[object]] = {"ticket": [], "rating": [], "text": [], "at": []}
    for i in range(30):
        slow = i % 3 == 0
        for k, a in enumerate(["Open", "Work", "Close"]):
            ev["case"].append(f"t{i}")
            ev["act"].append(a)
            ev["ts"].append(t0 + timedelta(days=i, hours=k * (40 if slow else 2)))
        fb["ticket"].append(f"t{i}")
        fb["rating"].append(2 if slow else 5)
        fb["text"].append("等了好几天，太慢了" if slow else "quick and friendly")
        fb["at"].append(t0 + timedelta(days=i + 3))
    log = so.EventLog.from_arrow(
        pa.table(ev), columns=so.ColumnMap("case", "act", "ts")
    )
    return log, pa.table(fb)


def test_report_section_absent_and_present():
    log, fb = _log_and_feedback()
    assert section.build(ReportContext(log=log)) is None
    ctx = ReportContext(
        log=log,
        lang="zh",
        extras={
            "feedback": fb,
            "feedback_columns": {
                "text": "text",
                "score": "rating",
                "case": "ticket",
                "date": "at",
            },
        },
    )
    s = section.build(ctx)
    assert s is not None and s.id == "feedback"
    assert "CSAT" in s.html and "负面评论主题" in s.html
    assert "等待 / 慢" in s.html  # the waiting theme, in Chinese
    assert "30 份答卷中 30 份关联到案例" in s.html


def test_report_section_canonical_names_and_escaping():
    log, fb = _log_and_feedback()
    fb = fb.rename_columns(["case_id", "score", "comment", "submitted_at"])
    fb = fb.set_column(
        2, "comment", pa.array(["<script>x</script> slow"] * fb.num_rows)
    )
    s = section.build(ReportContext(log=log, extras={"feedback": fb}))
    assert s is not None
    assert "<script>x" not in s.html and "&lt;script&gt;" in s.html


def test_feedback_on_the_demo_csv_with_canonical_column_names(tmp_path):
    """A CSV whose columns already have the canonical names is parsed, dates included."""
    import json

    from typer.testing import CliRunner

    from servops.cli.main import app
    from servops.demo.generator import generate_service_desk
    from servops.demo.run import _write_csv

    data = generate_service_desk(cases=300, seed=5)
    path = tmp_path / "feedback.csv"
    _write_csv(data.feedback, path)
    res = CliRunner().invoke(
        app,
        [
            "feedback",
            str(path),
            "--text-column",
            "comment",
            "--score-column",
            "score",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["trend"], "monthly trend from the parsed submitted_at column"
