"""Root causes: planted effects are found, BH controls the false discoveries."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

import servops as so
from servops.errors import InvalidParameterError
from servops.kpi import case_metrics, root_causes
from servops.kpi.causes import _test
from tests.unit.kpi.conftest import demo_config


@pytest.fixture(scope="module")
def synth():
    from tests.unit.kpi.synth import synthetic_tickets

    log = so.read_log(synthetic_tickets(3000, seed=7))
    cfg = demo_config(sla=[{"name": "std", "first_response": "1h", "calendar": "24x7"}])
    return log, cfg, case_metrics(log, cfg)


def test_slow_email_responses_explain_response_breaches(synth):
    log, cfg, cases = synth
    rc = root_causes(log, "sla_breach", cfg, cases=cases)
    top = rc.significant()[0]
    assert top["label"] == "channel = email"
    assert top["lift"] > 2
    assert top["q_value"] < 1e-10
    assert rc.pareto[0]["cause"] == "channel = email"
    assert rc.pareto[-1]["cumulative"] == pytest.approx(1.0)
    assert sum(p["cases"] for p in rc.pareto) == rc.positives
    assert any("channel = email" in leaf["conditions"] for leaf in rc.tree["leaves"])
    assert sum(leaf["cases"] for leaf in rc.tree["leaves"]) == rc.cases


def test_chat_explains_reopens_without_leaking_the_rework(synth):
    log, cfg, cases = synth
    rc = root_causes(log, "reopen", cfg, cases=cases)
    labels = [r["label"] for r in rc.significant()]
    assert labels[0] == "channel = chat"
    # nothing that happens after the first resolution may be a "cause"
    assert not any("Reopened" in lb or "Closed" in lb for lb in labels)


def test_long_lead_time_threshold_and_escalation(synth):
    log, cfg, cases = synth
    rc = root_causes(
        log, "long_lead_time", cfg, cases=cases, long_lead_time_s=3 * 86400
    )
    assert "72.0 h" in rc.definition
    expected = int(
        (cases.column("lead_time_s").to_numpy(zero_copy_only=False) > 3 * 86400).sum()
    )
    assert rc.positives == expected
    rc90 = root_causes(log, "long_lead_time", cfg, cases=cases)
    assert rc90.base_rate == pytest.approx(0.1, abs=0.01)


def test_statistics_by_hand():
    # N = 100 cases, K = 20 positive; factor present in 10 cases, 8 of them positive
    stats = pa.table(
        {
            "kind": ["attribute"],
            "name": ["channel"],
            "value": ["email"],
            "n": [10],
            "k": [8],
        }
    )
    r = _test(stats, 100, 20, 0.05).to_pylist()[0]
    assert r["rate"] == 0.8
    assert r["rate_without"] == pytest.approx(12 / 90)
    assert r["lift"] == pytest.approx(4.0)
    assert r["excess"] == pytest.approx(6.0)
    from scipy.stats import fisher_exact

    _, p = fisher_exact(np.array([[8, 2], [12, 78]]), alternative="greater")
    assert r["p_value"] == pytest.approx(p)


def test_benjamini_hochberg_keeps_noise_out(rng):
    # 200 random factors, none related to the outcome: few if any survive at 5 % FDR
    n_total, k_total = 2000, 400
    n = rng.integers(50, 500, 200)
    k = rng.hypergeometric(k_total, n_total - k_total, n)
    stats = pa.table(
        {
            "kind": ["attribute"] * 200,
            "name": ["x"] * 200,
            "value": [str(i) for i in range(200)],
            "n": n,
            "k": k,
        }
    )
    t = _test(stats, n_total, k_total, 0.05)
    p = t.column("p_value").to_numpy()
    q = t.column("q_value").to_numpy()
    assert np.all(q >= p - 1e-15)
    assert (p < 0.05).sum() >= 3  # uncorrected tests would "find" some
    assert t.column("significant").to_numpy(zero_copy_only=False).sum() <= 1


def test_nothing_to_explain(tiny_log):
    rc = root_causes(tiny_log, "sla_breach")
    assert rc.positives == 0
    assert rc.factors.num_rows == 0
    assert any("no SLA policy" in n for n in rc.notes)
    assert rc.to_dict()["pareto"] == []


def test_bad_parameters(tiny_log):
    with pytest.raises(InvalidParameterError, match="'outcome' parameter"):
        root_causes(tiny_log, "late")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="'alpha' parameter"):
        root_causes(tiny_log, alpha=1.5)
