"""``servops feedback --service``: the live service's survey answers, on real PostgreSQL."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime, timedelta

import pyarrow.csv as pacsv
import pytest
from typer.testing import CliRunner

import servops as so
from servops.cli.main import app
from servops.errors import LogSchemaError
from servops.service.db import make_engine, make_sessionmaker
from servops.service.surveys import (
    answer_survey,
    create_survey,
    read_service_feedback,
    read_survey_answers,
)
from servops.service.tickets import Actor, add_comment, create_ticket, transition

runner = CliRunner()
AGENT = Actor(None, "agent", "Ana")
#: (nps, csat, comment) of each ticket's survey; None: the survey is not answered
ANSWERS = [
    (10, 5, "great and fast"),
    (9, 5, "很好，谢谢"),
    (3, 1, "waited three days for an answer"),
    (7, 4, None),
    (0, 1, "nobody called back"),
    None,
]


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_no_answers_is_a_clear_error(pg_url):
    with pytest.raises(LogSchemaError, match="no answered surveys yet"):
        read_survey_answers(pg_url)
    res = run("feedback", "--service", pg_url)
    assert res.exit_code == 1
    assert "no answered surveys yet" in res.output


def _fill(url: str) -> None:
    t0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as s, s.begin():
        for i, answer in enumerate(ANSWERS):
            clock = functools.partial(
                next, iter(t0 + timedelta(hours=i, minutes=15 * k) for k in range(9))
            )
            t = create_ticket(
                s, subject=f"s{i}", channel=["web", "email"][i % 2], now=clock
            )
            add_comment(s, t, "on it", actor=AGENT, now=clock)
            transition(s, t, "resolved", actor=AGENT, now=clock)
            link = create_survey(s, t.id, now=clock)
            if answer is not None:
                nps, csat, comment = answer
                answer_survey(
                    s, link.token, nps=nps, csat=csat, comment=comment, now=clock
                )
    engine.dispose()


def test_answers_feed_servops_feedback(pg_url, tmp_path):
    _fill(pg_url)
    table = read_service_feedback(pg_url)
    assert table.num_rows == 5  # the unanswered survey is not an answer
    assert table.column("score").to_pylist() == [10.0, 9.0, 3.0, 7.0, 0.0]
    assert table.column("case_id").to_pylist() == [f"T-{i:06d}" for i in range(1, 6)]
    assert {"comment", "submitted_at", "csat", "channel", "group"} <= set(
        table.column_names
    )
    csat = read_service_feedback(pg_url, score="csat")
    assert csat.column("score").to_pylist() == [5.0, 5.0, 1.0, 4.0, 1.0]

    res = run("feedback", "--service", pg_url, "--json")
    assert res.exit_code == 0, res.output
    got = json.loads(res.stdout)
    # NPS by hand: promoters 10, 9; detractors 3, 0; passive 7 -> (2 - 2) / 5 = 0
    assert got["scale"] == "nps"
    assert got["score"]["n"] == 5
    assert got["score"]["nps"] == pytest.approx(0.0)
    assert got["languages"] == {"en": 3, "unknown": 1, "zh": 1}  # one has no comment

    # the same answers exported to a file give the same analysis
    export = tmp_path / "answers.csv"
    pacsv.write_csv(read_survey_answers(pg_url), export)
    file = run(
        "feedback", export, "-t", "comment", "-s", "nps", "-k", "case_id",
        "-d", "submitted_at", "--log", pg_url, "--json",
    )  # fmt: skip
    assert file.exit_code == 0, file.output
    assert json.loads(file.stdout) == got

    res = run("feedback", "--service", pg_url, "--scale", "csat", "--json")
    assert res.exit_code == 0, res.output
    # CSAT: share of 4 and 5 -> 3 of 5
    assert json.loads(res.stdout)["score"]["csat"] == pytest.approx(60.0)

    # the Python API: the same table and the service's log for drivers
    a = so.feedback.analyze_feedback(table, log=so.open_log(pg_url))
    assert a.score is not None
    assert a.score["nps"] == got["score"]["nps"]


def test_service_and_file_together_or_file_columns_are_errors(pg_url, tmp_path):
    res = run("feedback", "--service", pg_url, "-s", "nps")
    assert res.exit_code == 1
    assert "leave out" in res.output
    f = tmp_path / "x.csv"
    f.write_text("nps\n9\n")
    res = run("feedback", f, "--service", pg_url)
    assert res.exit_code == 2
    assert "not both or neither" in res.output
