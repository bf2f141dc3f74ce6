"""The default model's training material: licensed corpora, no test overlap, stage 2."""

import csv

import numpy as np
from tests.paths import shared_feedback

from servops.feedback import default_model, lexicon_score
from servops.feedback._build_model import (
    REAL_SOURCES,
    _logit,
    _norm,
    _stack,
    real_reviews,
)
from servops.feedback.sentiment import N_FEATURES, _lexicon


def test_reviews_corpus_sources_and_labels():
    texts, y, src = real_reviews()
    assert set(src) == set(REAL_SOURCES)
    assert len(texts) == len(y) == len(src) > 7000
    # roughly balanced, and no sentence twice (after normalisation)
    assert 0.4 < y.mean() < 0.7
    assert len({_norm(t) for t in texts}) == len(texts)


def test_reviews_corpus_does_not_overlap_the_test_sets():
    with shared_feedback("ChnSentiCorp_htl_all.csv").open(encoding="utf-8") as fh:
        tests = [r["review"] for r in csv.DictReader(fh) if r["review"]]
    yelp = shared_feedback("uci_yelp_labelled.txt").read_text(encoding="utf-8")
    tests += [line.rpartition("\t")[0] for line in yelp.splitlines()]
    exact = set(tests)
    normed = {_norm(t) for t in tests} - {""}
    texts, _, _ = real_reviews(sources=REAL_SOURCES)
    assert not [t for t in texts if t in exact]
    assert not [t for t in texts if _norm(t) in normed]


def test_norm_strips_case_space_and_punctuation():
    assert _norm("Highly  recommended!") == _norm("highly recommended.")
    assert _norm("很好，很好！") == "很好很好"
    assert _norm("...") == ""


def test_textblob_words_with_conflicting_senses_are_left_out():
    # "cozy" has senses +0.2 and -0.6 in en-sentiment.xml; its mean was -0.8
    lex = _lexicon().en
    for word in ("cozy", "little", "new", "down"):
        assert word not in lex
    assert lexicon_score("The room was cozy.") == 0.0
    assert lexicon_score("a cozy, lovely room") > 0


def test_stack_offset_leaves_unseen_features_alone():
    rng = np.random.default_rng(0)
    coef1 = rng.normal(0.0, 0.1, N_FEATURES)
    stage1 = (coef1, 0.3, 0.5)
    docs = ["the wait was long", "great friendly staff", "awful wait", "friendly"]
    y = np.array([0, 1, 0, 1])
    m = _stack(stage1, docs, y, np.ones(4), 10.0)
    zh = ["客服态度很好", "等了很久没人理"]
    # Chinese n-grams never occur in the stage-2 text: their scores do not move
    np.testing.assert_allclose(_logit(m, zh), _logit(stage1, zh))
    # intercept and lexicon weight are stage 1's (an offset, not a new fit)
    assert m[1] == 0.3 and m[2] == 0.5
    # and the fitted corrections move the training comments towards their labels
    before = _logit(stage1, docs)
    after = _logit(m, docs)
    assert np.all(np.where(y == 1, after - before, before - after) > 0)
    assert _stack(stage1, [], y[:0], np.ones(0), 10.0) is stage1


def test_shipped_model_records_both_stages():
    meta = default_model().meta
    assert meta["n_stage2"] > 7000 and meta["n_stage1"] > 20000
    assert "CC BY 4.0" in meta["trained_on"] and "MIT" in meta["trained_on"]
