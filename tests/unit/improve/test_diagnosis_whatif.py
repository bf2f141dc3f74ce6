"""What-if options in the diagnosis (``diagnose(twin=...)``, ``servops diagnose --twin``/``--twin-model``).

The hand-checkable twin: arrivals Poisson 0.5 a minute, L1 (one person, exponential
1 min) then L2 (one person, exponential 1.6 min). L2 is an M/M/1 queue at ρ = 0.8, so its
mean wait is Wq = ρ / (μ - λ) = 0.8 / (0.625 - 0.5) = 6.4 min, the largest waiting
problem. One more person in L2 makes it M/M/2 with offered load a = 0.8: Erlang C
C(2, 0.8) = (a²/2 · 2/(2 - a)) / (1 + a + a²/2 · 2/(2 - a)) = 0.5333 / 2.3333 = 0.2286,
Wq = C / (2μ - λ) = 0.2286 / 0.75 = 0.305 min: the mean cycle time falls by about
6.4 - 0.3 = 6.1 min (366 s).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from servops.cli.main import app
from servops.improve import diagnose
from servops.improve.diagnosis import tie_whatifs
from servops.improve.whatif import TwinWhatIfs, WhatIf, twin_whatifs
from servops.report.narrative import twin_caveat, whatif_claim
from servops.sim import load_model, simulate
from servops.sim.validate import validate_twin

if TYPE_CHECKING:
    from pathlib import Path

MODEL = {
    "name": "l1l2",
    "time_unit": "minute",
    "start": "2024-01-01T00:00:00Z",
    "arrivals": {"rate": 0.5},
    "activities": {
        "L1": {"pool": "l1", "duration": {"dist": "exponential", "mean": 1}},
        "L2": {"pool": "l2", "duration": {"dist": "exponential", "mean": 1.6}},
    },
    "pools": {"l1": {"size": 1}, "l2": {"size": 1}},
    "routing": {"start": {"L1": 1.0}, "L1": {"L2": 1.0}, "L2": {"end": 1.0}},
}
#: Erlang: M/M/1 -> M/M/2 at a = 0.8 shortens the mean cycle time by 6.4 - 0.305 min.
ERLANG_CHANGE_S = -(6.4 - 0.2286 / 0.75) * 60


@pytest.fixture(scope="module")
def log():
    return simulate(MODEL, cases=400, seed=1).log


@pytest.fixture(scope="module")
def diag(log):
    return diagnose(log, twin=MODEL, twin_cases=300, twin_replications=3)


def test_whatifs_sized_by_erlang_and_tied_to_the_waiting_before_l2(diag):
    d = diag
    assert (d.problems[0].kind, d.problems[0].subject) == ("waiting", "L2")
    assert d.twin is not None and d.twin.origin == "given" and d.twin.verdict is None
    first = d.whatifs[0]
    assert (first.edit, first.subject) == ("staff", "l2")
    assert first.label == "One more person in l2"
    assert (first.addresses, first.problem_rank) == ("waiting before L2", 1)
    # the paired interval of the change covers the Erlang figure and excludes 0
    assert first.low_s <= ERLANG_CHANGE_S <= first.high_s
    assert first.high_s < 0
    # L2 20 % faster works on the same pool: the same problem
    faster = next(w for w in d.whatifs if w.edit == "duration")
    assert (faster.subject, faster.addresses) == ("L2", "waiting before L2")
    assert any("not checked against this log" in n for n in d.notes)
    out = d.to_dict()
    assert out["twin"]["origin"] == "given"
    assert out["twin"]["options_tried"] == len(d.twin.options)
    assert out["whatifs"][0]["addresses"] == "waiting before L2"
    assert out["whatifs"][0]["label_zh"] == "l2 增加一人"
    json.dumps(out)  # JSON-ready


def test_no_twin_no_whatifs(log):
    d = diagnose(log)
    assert d.whatifs == () and d.twin is None
    assert d.to_dict()["twin"] is None and d.to_dict()["whatifs"] == []


def test_tie_rules_by_hand():
    m = load_model(MODEL)
    d = diagnose(simulate(MODEL, cases=200, seed=3).log)
    waits = {p.subject: p for p in d.problems if p.kind == "waiting"}
    assert set(waits) == {"L1", "L2"}
    opts = [
        WhatIf("a", -1, -2, -0.5, edit="staff", subject="l1"),
        WhatIf("b", -1, -2, -0.5, edit="delay", subject="L2"),
        WhatIf("c", -1, -2, -0.5, edit="repeats", subject="L2"),
        WhatIf("d", -1, -2, -0.5, edit="duration", subject="L1"),
    ]
    tied = tie_whatifs(opts, d.problems, m)
    assert [w.addresses for w in tied] == [
        "waiting before L1",
        "waiting before L2",
        None,  # no rework problem in this log
        "waiting before L1",
    ]
    assert tied[0].problem_rank == waits["L1"].rank


def test_an_unfit_twin_is_marked_not_to_be_trusted(log):
    """A twin whose service is 10x slower than the log's is unfit: its options stay,
    marked, in the notes, the caveat sentence and the JSON."""
    slow = dict(MODEL, arrivals={"rate": 0.05})
    slow["activities"] = {
        "L1": {"pool": "l1", "duration": {"dist": "exponential", "mean": 10}},
        "L2": {"pool": "l2", "duration": {"dist": "exponential", "mean": 16}},
    }
    check = validate_twin(log, simulate(slow, cases=400, seed=2).log)
    assert check.verdict == "unfit"
    run = twin_whatifs(log, MODEL, cases=300, replications=3)
    unfit = TwinWhatIfs(
        model=run.model,
        origin="discovered",
        check=check,
        baseline=run.baseline,
        options=run.options,
        comparisons=run.comparisons,
        cases=run.cases,
        replications=run.replications,
        seed=run.seed,
    )
    d = diagnose(log, twin=unfit)
    assert d.twin is not None and not d.twin.trusted
    twin = d.to_dict()["twin"]
    assert isinstance(twin, dict)
    assert twin["trusted"] is False and twin["verdict"] == "unfit"
    assert any("NOT to be trusted" in n for n in d.notes)
    caveat = twin_caveat(d.twin.verdict)
    assert caveat is not None and "NOT to be trusted" in caveat.en
    assert "不可信" in caveat.zh
    assert twin_caveat("fit") is None and twin_caveat(None) is None


def test_whatif_sentence_names_the_problem_in_both_languages():
    w = WhatIf(
        "One more person in l2",
        -366.0,
        -600.0,
        -120.0,
        label_zh="l2 增加一人",
        edit="staff",
        subject="l2",
        addresses="waiting before L2",
        problem_rank=1,
    )
    c = whatif_claim(w)
    assert c.en.startswith(
        "What if: One more person in l2 (addresses waiting before L2, problem 1) — "
    )
    assert c.en.endswith(".")
    assert "l2 增加一人（针对L2 之前的等待，问题 1）——" in c.zh
    wide = whatif_claim(WhatIf("x", -10.0, -50.0, 30.0))
    assert wide.en.endswith("the interval includes no change.")


def _write_log(log, path: Path) -> Path:
    import pyarrow.csv as pacsv

    pacsv.write_csv(log.to_arrow(), path)
    return path


def test_cli_twin_model_json_in_chinese_equals_the_api(log, diag, tmp_path):
    import yaml

    model = tmp_path / "l1l2.yaml"
    model.write_text(yaml.safe_dump(MODEL))
    csv = _write_log(log, tmp_path / "log.csv")
    r = CliRunner().invoke(
        app,
        [
            "diagnose",
            str(csv),
            "--twin-model",
            str(model),
            "--twin-cases",
            "300",
            "--twin-replications",
            "3",
            "--lang",
            "zh",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["whatifs"][0]["label"] == diag.whatifs[0].label
    assert out["whatifs"][0]["change_s"] == pytest.approx(diag.whatifs[0].change_s)
    assert any(
        "情景：l2 增加一人（针对L2 之前的等待，问题 1）" in s for s in out["sentences"]
    )


def test_cli_bare_twin_discovers_and_states_the_verdict(log, tmp_path):
    csv = _write_log(log, tmp_path / "log.csv")
    args = ["diagnose", str(csv), "--twin", "--twin-cases", "300"]
    r = CliRunner().invoke(app, [*args, "--twin-replications", "3"])
    assert r.exit_code == 0, r.output
    # the text names the twin's check and the what-ifs
    text = " ".join(r.stdout.split())
    assert "Twin (discovered, 2 activities, 2 pools), checked against the log: " in text
    assert "What if: " in text and "(addresses waiting before L2, problem 1)" in text
