"""Rebuild the shipped default sentiment model from the cleanly licensed material.

Run ``python -m servops.feedback._build_model [OUT.npz]``; the result is deterministic
for a given scikit-learn version. ``python -m servops.feedback._build_model validate``
prints the cross-validated figures quoted in ``models/README.md``. The material (all
under ``feedback/models/``):

- ``lexicon_zh.tsv``: Chinese sentiment words written for servops (Apache-2.0);
- ``lexicon_en.tsv``: the VADER lexicon (MIT, C.J. Hutto), TextBlob/Pattern adjectives
  (PDDL) not in VADER, and service words written for servops;
- ``corpus/sentences_*.tsv``: service comments (delivery, telecom, banking, helpdesk,
  clinics, hotels) written for servops;
- ``corpus/reviews_en.tsv``: real English review sentences and tweets with a stated
  permissive licence (UCI "Sentiment Labelled Sentences", Amazon part, CC BY 4.0; the
  VADER ground-truth Amazon review snippets and tweets, MIT), written by
  :func:`prepare_reviews`, which drops exact and normalised duplicates of the test sets.

Stage 1 composes training comments from the lexicons: each word alone, in
"aspect + degree + word" phrases, negated ("客服不专业", "the agent was not helpful"),
and in "A, but B" contrasts that take the polarity of B, plus the hand-written comments.
Stage 2 fits a logistic regression on the real review sentences (and the hand-written
comments) with stage 1's logit as one more feature: the n-gram weights learnt from real
text correct the composed model instead of starting from nothing, and the two linear
models collapse into one. No Chinese review corpus with a permissive licence was found,
so Chinese relies on stage 1 alone. None of ../shared/data/feedback is used for
training (it is kept strictly as a held-out test set).
"""

from __future__ import annotations

import csv
import re
import sys
import unicodedata
from pathlib import Path

import numpy as np

from servops.feedback.sentiment import (
    _LEX_SCALE,
    SentimentModel,
    _features,
    _fit_lr,
    _iter_lines,
    _with_column,
    lexicon_score,
)

__all__ = [
    "build_default_model",
    "prepare_reviews",
    "real_reviews",
    "training_material",
    "validation_report",
]

# The real corpora used in stage 2, and its settings. Chosen by leave-one-source-out
# validation on the training material (see validation_report): movie-review snippets and
# NYT editorial snippets from the same VADER release lowered the accuracy on the other
# sources and are left out; |rating| >= 0.5 keeps VADER snippets with a clear polarity.
REAL_SOURCES = ("uci_amazon", "vader_amazon", "vader_tweets")
VADER_MIN_RATING = 0.5
STAGE2_C = 32.0
HAND_WEIGHT = 3.0
_Z_SCALE = 4.0

_ASPECTS_ZH = (
    "客服",
    "服务",
    "态度",
    "速度",
    "效率",
    "质量",
    "价格",
    "环境",
    "房间",
    "网络",
    "信号",
    "快递",
    "配送",
    "物流",
    "售后",
    "处理",
    "回复",
    "流程",
    "系统",
    "工作人员",
    "师傅",
    "医生",
    "柜员",
    "骑手",
    "前台",
    "卫生",
    "位置",
    "设施",
    "这次",
    "整体",
    "体验",
    "产品",
    "",
    "",
    "",
)
_DEGREE_ZH = (
    "",
    "",
    "很",
    "非常",
    "特别",
    "太",
    "有点",
    "比较",
    "真的",
    "超级",
    "实在",
)
_NEG_ZH = ("不", "不太", "没有", "不够", "并不", "一点都不")
_BUT_ZH = ("但是", "但", "可是", "不过", "却")
_ASPECTS_EN = (
    "the agent",
    "the staff",
    "the service",
    "support",
    "the delivery",
    "the driver",
    "the technician",
    "the app",
    "the website",
    "the process",
    "the room",
    "the food",
    "the wait",
    "the price",
    "the bill",
    "the call",
    "the response",
    "the signal",
    "the connection",
    "the refund",
    "the manager",
    "the nurse",
    "the branch",
    "customer service",
    "it",
    "everything",
    "the experience",
    "the product",
)
_DEGREE_EN = ("", "", "very", "really", "so", "extremely", "quite", "super", "truly")
_NEG_EN = ("not", "not very", "never", "not at all", "hardly")
_BE_EN = ("was", "is", "were", "has been")
_BUT_EN = ("but", "but", "however", "although", "yet")


def training_material(
    seed: int = 20261121, *, sentences: bool = True
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The composed training comments, their 0/1 labels and sample weights.

    ``sentences=False`` leaves out the hand-written comments (and the contrasts built
    from them), which then serve to calibrate the model's probabilities.
    """
    rng = np.random.default_rng(seed)
    docs: list[str] = []
    ys: list[int] = []
    ws: list[float] = []

    def add(text: str, y: int, w: float) -> None:
        docs.append(text)
        ys.append(y)
        ws.append(w)

    def pick(seq: tuple[str, ...]) -> str:
        return seq[int(rng.integers(len(seq)))]

    zh = [(p[0], float(p[1])) for p in _iter_lines("lexicon_zh.tsv")]
    en = [(p[0], float(p[1])) for p in _iter_lines("lexicon_en.tsv")]
    clauses: dict[str, dict[int, list[str]]] = {
        "zh": {0: [], 1: []},
        "en": {0: [], 1: []},
    }

    for word, v in zh:
        if v == 0:
            continue
        y = int(v > 0)
        strength = min(abs(v), 3.0) / 3.0
        add(word, y, 0.5 + strength)
        for _ in range(3):
            text = f"{pick(_ASPECTS_ZH)}{pick(_DEGREE_ZH)}{word}"
            add(text, y, 0.5 + 0.5 * strength)
            clauses["zh"][y].append(text)
        if v >= 1.5 and len(word) <= 3:
            add(f"{pick(_ASPECTS_ZH)}{pick(_NEG_ZH)}{word}", 0, 0.5 * strength + 0.3)
        if v <= -1 and len(word) == 1:
            add(f"{pick(_ASPECTS_ZH)}不{word}", 1, 0.5)

    for word, v in en:
        if abs(v) < 0.5:
            continue
        y = int(v > 0)
        strength = min(abs(v), 4.0) / 4.0
        add(word, y, 0.3 + strength)
        if " " in word or "-" in word:
            # a phrase ("won't be back", "above and beyond"): no aspect/negation frame
            clauses["en"][y].append(word)
            continue
        if abs(v) >= 1.0:
            text = f"{pick(_ASPECTS_EN)} {pick(_BE_EN)} {pick(_DEGREE_EN)} {word}"
            add(text, y, 0.5 * strength + 0.2)
            clauses["en"][y].append(text)
        if abs(v) >= 1.5:
            add(
                f"{pick(_ASPECTS_EN)} {pick(_BE_EN)} {pick(_NEG_EN)} {word}",
                1 - y,
                0.4 * strength + 0.1,
            )

    for lang, file in (
        ("zh", "corpus/sentences_zh.tsv"),
        ("en", "corpus/sentences_en.tsv"),
    ):
        if not sentences:
            break
        for sign, text in _iter_lines(file):
            y = int(sign.strip() == "+")
            add(text, y, 3.0)
            clauses[lang][y].extend(c for c in _split_sentence(text) if c)

    # Contrasts: the clause after "but" carries the verdict.
    for lang, buts, sep in (("zh", _BUT_ZH, "，"), ("en", _BUT_EN, ", ")):
        for _ in range(2500):
            y = int(rng.integers(2))
            a = clauses[lang][1 - y][int(rng.integers(len(clauses[lang][1 - y])))]
            b = clauses[lang][y][int(rng.integers(len(clauses[lang][y])))]
            add(f"{a}{sep}{pick(buts)} {b}".replace("  ", " "), y, 0.6)
        for _ in range(1500):
            y = int(rng.integers(2))
            parts = [
                clauses[lang][y][int(rng.integers(len(clauses[lang][y])))]
                for _ in range(int(rng.integers(2, 5)))
            ]
            add(sep.join(parts), y, 0.6)
    return docs, np.array(ys, dtype=np.int64), np.array(ws, dtype=np.float64)


def _split_sentence(text: str) -> list[str]:
    import re

    return [
        c.strip() for c in re.split(r"[，。！？,.!?；;]", text) if len(c.strip()) > 1
    ]


def hand_sentences() -> tuple[list[str], np.ndarray]:
    """The hand-written service comments and their 0/1 labels."""
    texts: list[str] = []
    ys: list[int] = []
    for file in ("corpus/sentences_zh.tsv", "corpus/sentences_en.tsv"):
        for sign, text in _iter_lines(file):
            texts.append(text)
            ys.append(int(sign.strip() == "+"))
    return texts, np.array(ys, dtype=np.int64)


def _fit(
    docs: list[str], y: np.ndarray, w: np.ndarray, c: float
) -> tuple[np.ndarray, float, float]:
    lex = np.array([lexicon_score(d) for d in docs])
    x = _with_column(_features(docs), lex, _LEX_SCALE)
    coef, b = _fit_lr(x, y, c, sample_weight=w)
    return coef[:-1], b, float(coef[-1] / _LEX_SCALE)


_Linear = tuple[np.ndarray, float, float]


def _logit(m: _Linear, docs: list[str]) -> np.ndarray:
    coef, b, lex_w = m
    z: np.ndarray = (
        _features(docs) @ coef + b + lex_w * np.array([lexicon_score(t) for t in docs])
    )
    return z


def _stack(
    stage1: _Linear, docs: list[str], y: np.ndarray, w: np.ndarray, c: float
) -> _Linear:
    """Stage 2: n-gram corrections fitted on top of stage 1's logit (an offset).

    Minimises ``c·Σ w_i log(1 + exp(-s_i (z1_i + β·x_i))) + ½‖β‖²`` (s = ±1) over the
    n-grams ``x`` of ``docs`` only: stage 1's logit ``z1`` enters with coefficient 1
    and there is no new intercept, so features that ``docs`` never contain — all of
    Chinese, for which no real corpus is used — keep their stage-1 weights, and the
    Chinese scores are exactly stage 1's. The result is one linear model,
    ``(w1 + β)·x + b1 + l1·lex``.
    """
    from scipy.optimize import minimize

    if not docs:
        return stage1
    hashed = _features(docs)
    used = np.flatnonzero(hashed.getnnz(axis=0))
    x = hashed[:, used].tocsr()
    z1 = _logit(stage1, docs)
    sign = np.where(y == 1, 1.0, -1.0)

    def loss(beta: np.ndarray) -> tuple[float, np.ndarray]:
        m = sign * (z1 + x @ beta)
        value = c * float(w @ np.logaddexp(0.0, -m)) + 0.5 * float(beta @ beta)
        g = -c * w * sign / (1.0 + np.exp(np.clip(m, -50, 50)))
        return value, np.asarray(x.T @ g).ravel() + beta

    res = minimize(
        loss,
        np.zeros(len(used)),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 2000},
    )
    coef1, b1, l1 = stage1
    coef = coef1.copy()
    coef[used] += res.x
    return coef, b1, l1


def _temperature(c: float) -> float:
    """Platt temperature of stage 1, fitted on the hand-written comments.

    The lexicon feature separates composed comments perfectly, which makes the raw
    logits far too confident. A stage 1 fitted without the hand-written comments scores
    them, and a one-feature logistic fit of their labels on those logits gives the
    temperature that scales stage 1's logit (Guo et al. 2017; the fitted shift is not
    applied: 200 sentences are too few to move the decision threshold that the large
    balanced material set).
    """
    from sklearn.linear_model import LogisticRegression

    texts, yh = hand_sentences()
    d0, y0, w0 = training_material(sentences=False)
    z0 = _logit(_fit(d0, y0, w0, c), texts)
    platt = LogisticRegression(C=1.0).fit(z0[:, None], yh)
    return float(platt.coef_[0, 0])


def _scaled(m: _Linear, a: float) -> _Linear:
    return m[0] * a, m[1] * a, m[2] * a


def real_reviews(
    sources: tuple[str, ...] = REAL_SOURCES,
) -> tuple[list[str], np.ndarray, list[str]]:
    """The real review sentences of ``corpus/reviews_en.tsv``: texts, 0/1, source."""
    texts: list[str] = []
    ys: list[int] = []
    src: list[str] = []
    for row in _iter_lines("corpus/reviews_en.tsv"):
        sign, source, rating, text = row[0], row[1], row[2], "\t".join(row[3:])
        if source not in sources:
            continue
        if rating and abs(float(rating)) < VADER_MIN_RATING:
            continue
        texts.append(text)
        ys.append(int(sign == "+"))
        src.append(source)
    return texts, np.array(ys, dtype=np.int64), src


def build_default_model(c: float = 2.0, c_real: float = STAGE2_C) -> SentimentModel:
    """Fit the default model: stage 1 on :func:`training_material`, stage 2 on reviews.

    Stage 1 (the composed comments and the hand-written ones) is a logistic regression
    over hashed n-grams and the lexicon score, its logit scaled by a temperature
    fitted on the hand-written comments (:func:`_temperature`). Stage 2
    (:func:`_stack`) fits n-gram corrections on the real English review sentences of
    :func:`real_reviews` and the English hand-written comments (weight
    ``HAND_WEIGHT``), with stage 1's logit as a fixed offset.
    """
    docs, y, w = training_material()
    stage1 = _scaled(_fit(docs, y, w, c), _temperature(c))
    d2, y2, w2 = _stage2_material(real_reviews())
    coef, b, lex_w = _stack(stage1, d2, y2, w2, c_real)
    nz = np.flatnonzero(np.abs(coef) > 1e-4)
    return SentimentModel(
        indices=nz,
        weights=coef[nz].astype(np.float32).astype(np.float64),
        intercept=b,
        lex_weight=lex_w,
        meta={
            "trained_on": (
                "stage 1: servops-written zh lexicon and service comments; VADER "
                "lexicon (MIT); TextBlob/Pattern adjectives (PDDL); comments composed "
                "from them. stage 2 (English only): UCI Sentiment Labelled Sentences, "
                "Amazon part (CC BY 4.0); VADER ground-truth Amazon review snippets "
                "and tweets (MIT); the servops English service comments"
            ),
            "n_stage1": len(docs),
            "n_stage2": len(d2),
            "c": c,
            "c_real": c_real,
        },
    )


def _stage2_material(
    reviews: tuple[list[str], np.ndarray, list[str]], *, hand: bool = True
) -> tuple[list[str], np.ndarray, np.ndarray]:
    real, yr, _ = reviews
    texts, yh = hand_sentences() if hand else ([], np.zeros(0, dtype=np.int64))
    en = [i for i, t in enumerate(texts) if not re.search(r"[\u4e00-\u9fff]", t)]
    d2 = real + [texts[i] for i in en]
    y2 = np.r_[yr, yh[en]].astype(np.int64)
    w2 = np.r_[np.ones(len(yr)), np.full(len(en), HAND_WEIGHT)]
    return d2, y2, w2


def validation_report(c: float = 2.0, c_real: float = STAGE2_C) -> dict[str, float]:
    """Accuracy on held-out training material (never on the test sets).

    - ``hand_en`` / ``hand_zh``: the hand-written service comments, scored by a model
      fitted without them (stage 1 on the composed comments, stage 2 on the reviews);
    - ``loso_<source>``: each real source, scored by a model whose stage 2 was fitted
      on the other sources and the English hand-written comments;
    - ``*_stage1``: the same for stage 1 alone (the model before real text was added).
    """
    out: dict[str, float] = {}
    texts, yh = hand_sentences()
    zh = np.array([bool(re.search(r"[\u4e00-\u9fff]", t)) for t in texts])
    a = _temperature(c)
    d0, y0, w0 = training_material(sentences=False)
    s0 = _scaled(_fit(d0, y0, w0, c), a)
    real, yr, src = real_reviews()
    m = _stack(s0, *_stage2_material((real, yr, src), hand=False), c_real)
    for name, model in (("", m), ("_stage1", s0)):
        ok = (_logit(model, texts) > 0) == yh
        out["hand_en" + name] = float(ok[~zh].mean())
        out["hand_zh" + name] = float(ok[zh].mean())
    d1, y1, w1 = training_material()
    s1 = _scaled(_fit(d1, y1, w1, c), a)
    for source in REAL_SOURCES:
        held = np.array([s == source for s in src])
        keep = [t for t, h in zip(real, held, strict=True) if not h]
        rest = (keep, yr[~held], [s for s in src if s != source])
        m = _stack(s1, *_stage2_material(rest), c_real)
        ev = [t for t, h in zip(real, held, strict=True) if h]
        out["loso_" + source] = float(((_logit(m, ev) > 0) == yr[held]).mean())
        out["loso_" + source + "_stage1"] = float(
            ((_logit(s1, ev) > 0) == yr[held]).mean()
        )
    return out


def _norm(text: str) -> str:
    """Lower-case, NFKC, letters and digits only: for near-duplicate checks."""
    s = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in s if ch.isalnum())


def prepare_reviews(
    vader_dir: Path, uci_amazon: Path, test_dir: Path, out: Path
) -> dict[str, int]:
    """Write ``corpus/reviews_en.tsv`` from the original files; return the counts.

    ``vader_dir`` holds ``amazonReviewSnippets_GroundTruth.txt`` and
    ``tweets_GroundTruth.txt`` (``additional_resources/hutto_ICWSM_2014.tar.gz`` of the
    vaderSentiment 3.3.2 sdist); ``uci_amazon`` is ``amazon_cells_labelled.txt`` (UCI
    "Sentiment Labelled Sentences"); ``test_dir`` holds the test sets
    (``ChnSentiCorp_htl_all.csv``, ``uci_yelp_labelled.txt``). Rows that equal a test
    sentence exactly or after :func:`_norm`, rows that are empty after normalisation,
    and repeats are dropped. VADER snippets keep their mean rating (−4…4); those with
    |rating| < ``VADER_MIN_RATING`` are not written.
    """
    with (test_dir / "ChnSentiCorp_htl_all.csv").open(encoding="utf-8") as fh:
        tests = [r["review"] for r in csv.DictReader(fh) if r["review"]]
    yelp = (test_dir / "uci_yelp_labelled.txt").read_text(encoding="utf-8")
    tests += [ln.rpartition("\t")[0] for ln in yelp.splitlines()]
    exact = {t.strip() for t in tests}
    normed = {_norm(t) for t in tests} - {""}
    rows: list[tuple[str, str, str, str]] = []
    for line in uci_amazon.read_text(encoding="utf-8").splitlines():
        text, _, lab = line.rpartition("\t")
        if lab.strip() in ("0", "1"):
            rows.append(("+" if lab.strip() == "1" else "-", "uci_amazon", "", text))
    for source, name in (
        ("vader_amazon", "amazonReviewSnippets"),
        ("vader_tweets", "tweets"),
    ):
        path = vader_dir / f"{name}_GroundTruth.txt"
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            parts = line.split("\t")
            if len(parts) < 3:
                continue
            r = float(parts[1])
            rows.append(
                ("+" if r > 0 else "-", source, f"{r:.3g}", "\t".join(parts[2:]))
            )
    counts: dict[str, int] = {}
    seen: set[str] = set()
    kept: list[str] = []

    def bump(key: str) -> None:
        counts[key] = counts.get(key, 0) + 1

    for sign, source, rating, text in rows:
        text = " ".join(text.split())
        bump(source + "_read")
        n = _norm(text)
        if text in exact:
            bump(source + "_test_exact")
        elif n in normed:
            bump(source + "_test_normalised")
        elif not n or n in seen:
            bump(source + "_repeat_or_empty")
        elif rating and (float(rating) == 0 or abs(float(rating)) < VADER_MIN_RATING):
            bump(source + "_weak_rating")
        else:
            seen.add(n)
            bump(source + "_kept")
            kept.append(f"{sign}\t{source}\t{rating}\t{text}")
    header = (
        "# label\tsource\tmean rating (VADER, -4..4)\ttext -- see SOURCES.md "
        "(uci_amazon: CC BY 4.0, Kotzias et al. 2015; vader_*: MIT, Hutto & Gilbert "
        "2014)\n"
    )
    out.write_text(header + "\n".join(kept) + "\n", encoding="utf-8")
    return counts


def main() -> None:  # pragma: no cover - a maintainer's script
    """Write the default model (default path: the package's models/default.npz).

    ``validate`` prints :func:`validation_report`; ``prepare VADER_DIR UCI_AMAZON
    TEST_DIR`` rewrites ``corpus/reviews_en.tsv`` with :func:`prepare_reviews`.
    """
    here = Path(__file__).parent / "models"
    if sys.argv[1:2] == ["validate"]:
        for k, v in validation_report().items():
            sys.stdout.write(f"{k}\t{v:.3f}\n")
        return
    if sys.argv[1:2] == ["prepare"]:
        vader, uci, tests = (Path(a) for a in sys.argv[2:5])
        counts = prepare_reviews(vader, uci, tests, here / "corpus" / "reviews_en.tsv")
        for k, v in sorted(counts.items()):
            sys.stdout.write(f"{k}\t{v}\n")
        return
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else here / "default.npz"
    build_default_model().save(out)
    sys.stdout.write(f"wrote {out}\n")


if __name__ == "__main__":  # pragma: no cover
    main()
