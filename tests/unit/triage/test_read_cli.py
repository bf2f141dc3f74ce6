import json

import pytest
from typer.testing import CliRunner

from servops import triage
from servops.cli.main import app
from servops.errors import LogSchemaError
from tests.paths import SHARED

runner = CliRunner()

ROWS = [
    ("2024/1/{d}", "my card was declined at the shop", "card"),
    ("2024/1/{d}", "贷款利率太高了", "loan"),
    ("2024/1/{d}", "credit card stolen, block the card", "card"),
    ("2024/1/{d}", "late fee on my loan payment", "loan"),
    ("2024/1/{d}", "信用卡被盗刷了", "card"),
    ("2024/1/{d}", "cannot refinance the loan", "loan"),
]


@pytest.fixture
def tickets_csv(tmp_path):
    lines = ["received,narrative,product"]
    for k in range(4):
        for i, (t, text, y) in enumerate(ROWS):
            lines.append(f'{t.format(d=1 + k * 6 + i)},"{text}",{y}')
    lines.append("2024/1/30,,card")  # no text: left out and counted
    lines.append("2024/1/30,a text without label,")
    p = tmp_path / "t.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def test_read_tickets_counts_what_it_leaves_out(tickets_csv):
    d = triage.read_tickets(
        tickets_csv, text="narrative", label="product", time="received"
    )
    assert len(d.texts) == 24
    assert d.rows[0] == 2  # first data row under the header
    assert d.times is not None
    assert d.times[0].isoformat() == "2024-01-01T00:00:00+00:00"
    assert any("1 of 26 rows have no text" in n for n in d.notes)
    assert any("1 rows with a text have no label" in n for n in d.notes)


def test_read_tickets_errors(tickets_csv, tmp_path):
    with pytest.raises(LogSchemaError, match=r"Available columns: \['received'"):
        triage.read_tickets(tickets_csv, text="body")
    bad = tmp_path / "bad.csv"
    bad.write_text("when,text\n2024-01-01,a\nlater,b\n", encoding="utf-8")
    with pytest.raises(LogSchemaError, match=r"row 3, column 'when'.*'later'"):
        triage.read_tickets(bad, text="text", time="when")
    with pytest.raises(LogSchemaError, match=r"missing\.csv' does not exist"):
        triage.read_tickets(tmp_path / "missing.csv", text="text")


def test_cli_train_evaluate_suggest(tickets_csv, tmp_path):
    model = tmp_path / "m.npz"
    r = runner.invoke(
        app,
        [
            "triage",
            "train",
            str(tickets_csv),
            "-t",
            "narrative",
            "-l",
            "product",
            "--time",
            "received",
            "-o",
            str(model),
            "--holdout",
            "0.25",
            "--threshold",
            "0.4",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["tickets"] == 24
    assert out["holdout"]["n"] == 6
    assert out["holdout"]["baseline"]["accuracy"] == pytest.approx(0.5)
    assert out["threshold"] == 0.4
    assert model.is_file()

    r = runner.invoke(
        app,
        [
            "triage",
            "evaluate",
            str(model),
            str(tickets_csv),
            "-t",
            "narrative",
            "-l",
            "product",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    ev = json.loads(r.stdout)
    assert ev["n"] == 24
    assert ev["accuracy"] >= 0.9  # its own training data
    assert ev["threshold"] == 0.4

    r = runner.invoke(
        app, ["triage", "suggest", str(model), "card declined", "贷款", "--json"]
    )
    assert r.exit_code == 0, r.output
    sug = json.loads(r.stdout)["suggestions"]
    assert [s["label"] for s in sug] == ["card", "loan"]
    assert sug[0]["alternatives"][0]["label"] == "card"

    r = runner.invoke(
        app,
        ["triage", "suggest", str(model), "-f", str(tickets_csv), "-t", "narrative"],
    )
    assert r.exit_code == 0, r.output
    assert "Suggestions" in r.stdout


def test_cli_errors(tickets_csv, tmp_path):
    r = runner.invoke(
        app,
        [
            "triage",
            "train",
            str(tickets_csv),
            "-t",
            "body",
            "-l",
            "product",
            "-o",
            str(tmp_path / "m.npz"),
        ],
    )
    assert r.exit_code == 1
    assert "LogSchemaError" in r.output
    r = runner.invoke(app, ["triage", "suggest", str(tmp_path / "none.npz"), "x"])
    assert r.exit_code == 1
    assert "ConfigError" in r.output


@pytest.mark.slow
def test_cfpb_time_ordered_beats_majority_baseline():
    path = SHARED / "tickets" / "cfpb_complaints_2015_2019h1.csv.gz"
    if not path.exists():
        pytest.skip(f"shared data not present: {path}")
    d = triage.read_tickets(
        path,
        text="Consumer complaint narrative",
        label="Product",
        time="Date received",
    )
    assert len(d.texts) == 1161
    _, ev = triage.validate(d.texts, d.labels or (), d.times, test_share=0.2)
    assert ev.accuracy > ev.baseline_accuracy + 0.2
    assert ev.macro_f1 > ev.baseline_macro_f1
    assert ev.top2_accuracy > ev.accuracy


def test_read_tickets_parquet_with_typed_times(tmp_path):
    from datetime import UTC, datetime

    import pyarrow as pa
    import pyarrow.parquet as pq

    p = tmp_path / "t.parquet"
    pq.write_table(
        pa.table(
            {
                "subject": ["Card", None],
                "body": ["declined", "贷款利率太高"],
                "group": ["cards", "loans"],
                "at": [
                    datetime(2024, 1, 2, 9, tzinfo=UTC),
                    datetime(2024, 1, 1, tzinfo=UTC),
                ],
            }
        ),
        p,
    )
    d = triage.read_tickets(p, text="body", label="group", time="at", subject="subject")
    assert d.texts == ("Card\n\ndeclined", "贷款利率太高")
    assert d.rows == (1, 2)  # Parquet has no header row
    assert d.times is not None
    assert d.times[0] == datetime(2024, 1, 2, 9, tzinfo=UTC)
    assert d.notes == ()
