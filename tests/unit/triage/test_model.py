import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servops import triage
from servops.errors import ConfigError, InvalidParameterError
from servops.triage.features import fit_features, word_tokens
from servops.triage.model import _ece, _fit_linear, _softmax, _temperature

CARD = [
    "my card was declined at the shop",
    "credit card stolen, please block the card",
    "unknown charge on my card statement",
    "信用卡被盗刷了",
    "card fee charged twice",
]
LOAN = [
    "loan interest rate is too high",
    "late fee on my loan payment",
    "cannot refinance the mortgage loan",
    "贷款利率太高了",
    "loan payment was not applied",
]
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _data(k=3):
    texts = (CARD + LOAN) * k
    labels = (["card"] * len(CARD) + ["loan"] * len(LOAN)) * k
    times = [T0 + timedelta(days=i) for i in range(len(texts))]
    return texts, labels, times


@pytest.fixture(scope="module")
def clf():
    texts, labels, times = _data()
    return triage.train(texts, labels, times, threshold=0.0)


def test_word_tokens_drop_masks_and_add_bigrams():
    assert word_tokens("XXXX XX/XX/XXXX late payment fee") == [
        "late",
        "payment",
        "fee",
        "late payment",
        "payment fee",
    ]
    assert "信用卡" in word_tokens("信用卡被盗刷了")


def test_features_are_unit_rows_per_block():
    fs = fit_features(CARD + LOAN)
    x = fs.transform(["card declined", "   "]).toarray()
    w, c = x[:, : len(fs.words)], x[:, len(fs.words) :]
    assert np.linalg.norm(w[0]) == pytest.approx(1.0)
    assert np.linalg.norm(c[0]) == pytest.approx(1.0)
    assert not x[1].any()  # an empty text has no features, not NaN


def test_suggest_english_and_chinese(clf):
    assert clf.suggest("the card was declined again").label == "card"
    assert clf.suggest("loan rate question").label == "loan"
    assert clf.suggest("信用卡被盗").label == "card"
    assert clf.suggest("贷款利率").label == "loan"
    s = clf.suggest_ticket("Loan", "the interest rate on my loan")
    assert s.label == "loan"
    probs = [p for _, p in s.alternatives]
    assert probs == sorted(probs, reverse=True)
    assert sum(probs) == pytest.approx(1.0)  # two classes: top-3 lists both


def test_abstains_below_threshold():
    texts, labels, times = _data()
    strict = triage.train(texts, labels, times, threshold=0.999)
    s = strict.suggest("something unrelated entirely")
    assert s.label is None
    assert s.abstained
    assert s.alternatives[0][1] == s.confidence < 0.999
    assert s.to_dict()["abstained"] is True


def test_binary_weights_reproduce_sklearn():
    from sklearn.linear_model import LogisticRegression

    texts, labels, _ = _data()
    fs = fit_features(texts)
    x = fs.transform(texts)
    classes, coef, icpt = _fit_linear(x, np.asarray(labels, dtype=object), 30.0)
    ref = LogisticRegression(C=30.0, max_iter=3000).fit(x, labels)
    q = fs.transform(["card loan", "fee", "贷款"])
    ours = _softmax(np.asarray(q @ coef.T) + icpt, 1.0)
    assert classes == tuple(ref.classes_)
    np.testing.assert_allclose(ours, ref.predict_proba(q), rtol=1e-9, atol=1e-12)


def test_temperature_recovers_the_generating_one():
    rng = np.random.default_rng(7)
    z = rng.normal(0, 3, size=(4000, 4))
    p = _softmax(z, 2.0)
    y = np.asarray(
        [str(rng.choice(4, p=row)) for row in p], dtype=object
    )  # labels drawn at temperature 2
    t = _temperature(z, ("0", "1", "2", "3"), y)
    assert t == pytest.approx(2.0, rel=0.1)


def test_ece_by_hand():
    conf = np.asarray([0.95, 0.95, 0.55, 0.55])
    hit = np.asarray([True, False, True, True])
    # bin 9: acc 0.5 vs conf 0.95 -> 0.45 x 0.5; bin 5: acc 1 vs 0.55 -> 0.45 x 0.5
    assert _ece(conf, hit) == pytest.approx(0.45)


def test_evaluate_counts_against_suggest(clf):
    texts = ["card declined", "loan fee", "信用卡", "mortgage loan", "card charge"]
    labels = ["card", "loan", "card", "card", "savings"]
    ev = clf.evaluate(texts, labels, threshold=0.6)
    pred = [s.alternatives[0][0] for s in clf.suggest_many(texts)]
    hits = [p == y for p, y in zip(pred, labels, strict=True)]
    assert ev.n == 5
    assert ev.accuracy == pytest.approx(sum(hits) / 5)
    assert ev.unseen == 1  # 'savings' was never trained on
    assert ev.top2_accuracy == pytest.approx(4 / 5)  # two classes: all but 'savings'
    assert ev.baseline_label == "card"  # ties broken by the first in sorted order
    assert ev.baseline_accuracy == pytest.approx(3 / 5)
    conf = [s.confidence for s in clf.suggest_many(texts)]
    assert ev.coverage == pytest.approx(np.mean([c >= 0.6 for c in conf]))
    assert any("savings" in n for n in ev.notes)
    assert ev.to_dict()["baseline"]["accuracy"] == ev.baseline_accuracy


@settings(max_examples=20, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=2, max_size=6, unique=True))
def test_coverage_falls_as_threshold_rises(clf, thresholds):
    texts = ["card declined", "loan fee", "信用卡", "mortgage", "hello", "fee"]
    labels = ["card", "loan", "card", "loan", "card", "loan"]
    covs = [
        clf.evaluate(texts, labels, threshold=t).coverage for t in sorted(thresholds)
    ]
    assert covs == sorted(covs, reverse=True)


def test_save_load_roundtrip_without_pickle(clf, tmp_path):
    path = clf.save(tmp_path / "m.npz")
    with np.load(path, allow_pickle=False) as z:
        assert "meta" in z.files
    back = triage.TicketClassifier.load(path)
    q = ["card declined", "贷款利率", "fee"]
    np.testing.assert_allclose(
        back.probabilities(q), clf.probabilities(q), rtol=1e-5, atol=1e-6
    )
    assert back.classes == clf.classes
    assert back.threshold == clf.threshold
    assert back.info["n"] == 30


def test_load_refuses_other_files(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        triage.TicketClassifier.load(tmp_path / "nope.npz")
    bad = tmp_path / "bad.npz"
    bad.write_text("not a model")
    with pytest.raises(ConfigError, match="not a servops triage model"):
        triage.TicketClassifier.load(bad)
    other = tmp_path / "other.npz"
    np.savez(other, meta=np.frombuffer(b'{"format": "x"}', dtype=np.uint8))
    with pytest.raises(ConfigError, match="model format 'x'"):
        triage.TicketClassifier.load(other)


def test_bad_parameters():
    texts, labels, times = _data(1)
    with pytest.raises(InvalidParameterError, match="same length"):
        triage.train(texts, labels[:-1])
    with pytest.raises(InvalidParameterError, match="'threshold' parameter"):
        triage.train(texts, labels, threshold=1.5)
    with pytest.raises(InvalidParameterError, match="at least 2"):
        triage.train(["one"], ["a"])
    with pytest.raises(InvalidParameterError, match="test_share"):
        triage.validate(texts, labels, times, test_share=1.0)
    with pytest.raises(InvalidParameterError, match="no word or character"):
        triage.train(["", " "], ["a", "b"])


def test_training_is_ordered_by_time_not_input_order():
    texts, labels, times = _data(2)
    rng = np.random.default_rng(3)
    perm = rng.permutation(len(texts))
    a = triage.train(texts, labels, times)
    b = triage.train(
        [texts[i] for i in perm], [labels[i] for i in perm], [times[i] for i in perm]
    )
    assert a.temperature == pytest.approx(b.temperature)
    q = ["card declined", "loan"]
    np.testing.assert_allclose(a.probabilities(q), b.probabilities(q), atol=1e-6)


def test_validate_trains_on_the_oldest_only():
    # The label of 'account' flips over time: a time-ordered split must train on the
    # old meaning and so miss the new one; the test window is the newest tickets.
    old = [("account question", "card")] * 8
    new = [("account question", "loan")] * 2
    texts = [t for t, _ in old + new] + CARD + LOAN
    labels = [y for _, y in old + new] + ["card"] * 5 + ["loan"] * 5
    times = [T0 + timedelta(days=i) for i in range(10)] + [
        T0 - timedelta(days=30 - i) for i in range(10)
    ]
    model, ev = triage.validate(texts, labels, times, test_share=0.1)
    assert ev.n == 2
    assert ev.accuracy == 0.0
    assert model.info["to"] < (T0 + timedelta(days=8)).date().isoformat()
    assert "newest 2" in ev.notes[0]


def test_single_label_training():
    m = triage.train(["a text", "another text"], ["x", "x"], threshold=0.0)
    s = m.suggest("text")
    assert s.label == "x"
    assert s.confidence == pytest.approx(1.0)
    assert math.isfinite(m.evaluate(["text"], ["x"]).accuracy)
