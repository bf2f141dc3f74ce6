"""The default model's training material: licensed corpora, no test overlap, stage 2."""

import csv

import numpy as np
from tests.paths import shared_feedback

from servops.feedback import default_model, lexicon_score
from servops.feedback._build_model import (
    REAL_SOURCES,
    ZH_NGRAMS,
    ZH_STAGE2_C,
    _buckets,
    _is_cjk,
    _logit,
    _non_cjk_buckets,
    _norm,
    _stack,
    _stage2_zh_material,
    _zh_buckets,
    authored_zh,
    hand_sentences,
    real_reviews,
)
from servops.feedback.sentiment import N_FEATURES, _lexicon, sentiment_features


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


def test_authored_zh_corpus_spread_balance_and_no_repeats():
    texts, y, dom = authored_zh()
    assert len(texts) == len(y) == len(dom) > 1900
    counts = {d: dom.count(d) for d in set(dom)}
    assert len(counts) == 17 and min(counts.values()) >= 60
    assert counts["hotel"] / len(dom) <= 0.12
    assert 0.4 < y.mean() < 0.6
    for d in counts:
        share = y[np.array(dom) == d].mean()
        assert 0.35 < share < 0.65, d
    normed = [_norm(t) for t in texts]
    assert len(set(normed)) == len(texts)
    hand = {_norm(t) for t in hand_sentences()[0]}
    assert not hand & set(normed)


def test_authored_zh_corpus_does_not_overlap_the_test_set():
    with shared_feedback("ChnSentiCorp_htl_all.csv").open(encoding="utf-8") as fh:
        tests = [r["review"] for r in csv.DictReader(fh) if r["review"]]
    normed = {_norm(t) for t in tests} - {""}
    texts, _, _ = authored_zh()
    assert not [t for t in texts if t in set(tests) or _norm(t) in normed]


def test_zh_stage2_corrects_only_chinese_buckets():
    docs, y, _ = _stage2_zh_material()
    assert len(docs) == len(y) > 2000
    allowed = _zh_buckets(docs)
    assert len(allowed) > 10000
    # no bucket of any non-Chinese training feature (English material, lexicons,
    # Latin words and digits inside Chinese comments) is corrected
    assert not np.intersect1d(allowed, _non_cjk_buckets()).size
    latin = {f for d in docs for f in sentiment_features(d) if not _is_cjk(f)}
    assert latin and not np.intersect1d(allowed, _buckets(latin)).size
    # a higher minimum document frequency corrects fewer n-grams
    assert len(_zh_buckets(docs, ZH_NGRAMS, 2)) < len(allowed)


def test_stack_allowed_buckets_leave_english_scores_alone():
    rng = np.random.default_rng(1)
    stage1 = (rng.normal(0.0, 0.1, N_FEATURES), -0.2, 0.4)
    docs = ["客服态度很好 thanks", "等了三天没人管!", "师傅很专业", "太差了 app 卡"]
    y = np.array([1, 0, 1, 0])
    cjk = {f for d in docs for f in sentiment_features(d) if _is_cjk(f)}
    other = {f for d in docs for f in sentiment_features(d) if not _is_cjk(f)}
    allowed = np.setdiff1d(_buckets(cjk), _buckets(other))
    m = _stack(stage1, docs, y, np.ones(4), 100.0, allowed=allowed)
    en = ["thanks", "app", "!", "the app was slow"]
    assert np.array_equal(_logit(m, en), _logit(stage1, en))
    changed = np.flatnonzero(m[0] != stage1[0])
    assert changed.size and np.isin(changed, allowed).all()
    after, before = _logit(m, docs), _logit(stage1, docs)
    assert np.all(np.where(y == 1, after - before, before - after) > 0)


def test_shipped_model_records_the_chinese_stage():
    meta = default_model().meta
    assert meta["n_stage2_zh"] > 2000 and meta["c_zh"] == ZH_STAGE2_C
    assert "comments_zh.tsv" in meta["trained_on"]
