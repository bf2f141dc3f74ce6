import csv

import numpy as np
import pytest
from tests.paths import shared_feedback

from servops.errors import InvalidParameterError
from servops.feedback import (
    SentimentModel,
    default_model,
    lexicon_score,
    ratings_to_labels,
    sentiment_scores,
    train,
)
from servops.feedback.sentiment import (
    _nb_ratio,
    sentiment_features,
    sentiment_features_chars,
)

SERVICE_ZH = [
    ("快递员很准时，态度也好", "positive"),
    ("宽带修了三次还是断网，太失望了", "negative"),
    ("银行柜台办理很快，工作人员很专业", "positive"),
    ("客服电话一直打不通，投诉也没人理", "negative"),
]
SERVICE_EN = [
    ("The courier was on time and very polite", "positive"),
    ("My internet keeps dropping and support never called back", "negative"),
    ("The bank teller was helpful and quick", "positive"),
    ("I was overcharged and the agent was rude", "negative"),
]


def test_features_negation_scope():
    feats = sentiment_features("not very good. great")
    assert "not_very" in feats and "not_good" in feats and "great" in feats
    assert "not_great" not in feats  # the clause ended


def test_lexicon_phrases_and_chinese_rules():
    # multi-word English entries, matched before negators and single words
    assert lexicon_score("We won't be back.") < 0 < lexicon_score("We will be back!")
    assert lexicon_score("hassle-free") > 0 > lexicon_score("not worth it")
    # 就是/只是 ("it's just that") add a reservation, not a verdict
    assert lexicon_score("服务很好，就是房间有点小") > 0
    # a Chinese negator reaches the next few characters only
    assert lexicon_score("不") == 0 and lexicon_score("好") > 0
    assert lexicon_score("不好") < 0
    assert lexicon_score("不知道他们为什么这么好") > 0


def test_char_features_add_padded_word_ngrams():
    feats = sentiment_features_chars("Rude!")
    assert feats[: len(sentiment_features("Rude!"))] == sentiment_features("Rude!")
    grams = [f for f in feats if f.startswith("#")]
    # " rude " has 4 trigrams, 3 four-grams and 2 five-grams
    assert len(grams) == 9 and "# ru" in grams and "#ude " in grams
    assert not [f for f in sentiment_features_chars("很好") if f.startswith("#")]


def test_nb_ratio_hand_computed():
    import scipy.sparse as sp

    # feature 0 in both positives, feature 1 in the negative only
    x = sp.csr_matrix(np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
    r = _nb_ratio(x, np.array([1, 1, 0]))
    # p = (1+2, 1+0) / 4, q = (1+0, 1+1) / 3
    np.testing.assert_allclose(
        r, [np.log(3 / 4) - np.log(1 / 3), np.log(1 / 4) - np.log(2 / 3)]
    )


def test_lexicon_rules():
    assert lexicon_score("特别干净") > lexicon_score("干净") > 0
    assert lexicon_score("不满意") < 0
    assert lexicon_score("good") > 0 > lexicon_score("not good")
    # after "but" the verdict dominates
    assert lexicon_score("房间有点小，但是服务很好") > 0
    assert lexicon_score("nice room but the staff were rude") < 0


@pytest.mark.parametrize(("text", "label"), SERVICE_ZH + SERVICE_EN)
def test_default_model_on_service_comments(text, label):
    assert sentiment_scores([text]).column("label").to_pylist() == [label]


def test_scores_are_probabilities_and_empty_is_null():
    t = sentiment_scores(["great", "", None, "terrible"])
    s = t.column("score").to_pylist()
    assert s[1] is None and s[2] is None
    assert 0.5 < s[0] <= 1 and 0 <= s[3] < 0.5


def test_neutral_band():
    m = default_model()
    wide = SentimentModel(
        m.indices, m.weights, m.intercept, m.lex_weight, neutral_band=(0.0, 1.0)
    )
    assert wide.predict(["great", "terrible"]) == ["neutral", "neutral"]


def test_ratings_to_labels_and_errors():
    assert ratings_to_labels([1, 2, 3, 4, 5]) == [
        "negative",
        "negative",
        "neutral",
        "positive",
        "positive",
    ]
    assert ratings_to_labels([6, 7, 8, 9, None]) == [
        "negative",
        "neutral",
        "neutral",
        "positive",
        None,
    ]
    with pytest.raises(InvalidParameterError, match="outside the CSAT"):
        ratings_to_labels([6], scale="csat")


def _toy():
    pos = [
        "fast friendly help",
        "quick fix thanks",
        "very helpful agent",
        "resolved same day",
        "great service",
    ] * 4
    neg = [
        "slow rude agent",
        "still broken",
        "nobody answered",
        "waited weeks",
        "terrible service",
    ] * 4
    return pos + neg, ["positive"] * 20 + ["negative"] * 20


def test_train_save_load_roundtrip(tmp_path):
    texts, labels = _toy()
    r = train(texts, labels, folds=4, prior=False)
    assert r.n == 40 and r.n_positive == 20 and len(r.fold_accuracy) == 4
    assert 0.9 <= r.accuracy <= 1.0 and 0.9 <= r.macro_f1 <= 1.0
    path = r.model.save(tmp_path / "m.npz")
    m2 = SentimentModel.load(path)
    np.testing.assert_allclose(
        m2.predict_proba(texts), r.model.predict_proba(texts), rtol=1e-5
    )


def test_train_on_ratings_drops_neutral():
    texts, _ = _toy()
    ratings = [5] * 20 + [1] * 20
    texts2 = [*texts, "meh", "so-so"]
    r = train(texts2, ratings=[*ratings, 3, 3], folds=3)
    assert r.n_excluded == 2 and r.default_accuracy is not None
    assert r.model.prior_weight != 0


def test_train_bad_inputs():
    with pytest.raises(InvalidParameterError, match="exactly one"):
        train(["a"])
    with pytest.raises(InvalidParameterError, match="at least 10 positive"):
        train(["a", "b"], ["positive", "negative"])
    with pytest.raises(InvalidParameterError, match="at least 5 positive"):
        train(["a", "b"], ["positive", "negative"], c=1.0)
    with pytest.raises(InvalidParameterError, match="not understood"):
        train(["a"], ["maybe"])


def test_load_rejects_other_files(tmp_path):
    bad = tmp_path / "x.npz"
    bad.write_bytes(b"not a model")
    with pytest.raises(InvalidParameterError, match="not a servops sentiment model"):
        SentimentModel.load(bad)
    with pytest.raises(InvalidParameterError, match="does not exist"):
        SentimentModel.load(tmp_path / "missing.npz")


def _yelp():
    path = shared_feedback("uci_yelp_labelled.txt")
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        text, _, lab = line.rpartition("\t")
        if lab.strip() in ("0", "1"):
            rows.append((text, int(lab)))
    return rows


def _hotel():
    path = shared_feedback("ChnSentiCorp_htl_all.csv")
    with path.open(encoding="utf-8") as fh:
        return [
            (r["review"], int(r["label"])) for r in csv.DictReader(fh) if r["review"]
        ]


def test_default_model_held_out_floor():
    # Held-out public sets (never used for training). Measured 0.832 (Yelp) and 0.808
    # (ChnSentiCorp hotels): below the 0.85 goal; these floors catch regressions.
    for rows, floor in ((_yelp(), 0.82), (_hotel(), 0.795)):
        p = default_model().predict_proba([t for t, _ in rows])
        y = np.array([lab for _, lab in rows])
        assert ((p > 0.5) == y).mean() >= floor


def test_trained_on_own_labels_yelp_floor():
    # 5-fold CV on the 1,000 Yelp sentences: measured 0.886-0.891 over fold seeds
    # (the 0.89 goal is at the edge of what 1,000 sentences support); a regression floor.
    rows = _yelp()
    r = train([t for t, _ in rows], [lab for _, lab in rows])
    assert r.accuracy >= 0.875 and r.macro_f1 >= 0.875
    assert r.model.features == "words+chars" and r.model.prior_weight > 0


@pytest.mark.slow
def test_trained_on_own_labels_hotel_reaches_089():
    rows = _hotel()
    r = train([t for t, _ in rows], [lab for _, lab in rows])
    assert r.accuracy >= 0.89
