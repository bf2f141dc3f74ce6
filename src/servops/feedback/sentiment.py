"""Sentiment of Chinese and English comments: a shipped default model and your own.

The model is a logistic regression over hashed features (scikit-learn's
``HashingVectorizer`` with murmurhash3, 2^20 buckets):

- Chinese runs give character 1-, 2- and 3-grams (no segmentation, so scoring is fast);
- English words give unigrams and bigrams, with a negation scope: after ``not``,
  ``no``, ``never``, ``n't``… the next three words of the clause carry a ``not_`` prefix
  (Das & Chen 2001; Pang, Lee & Vaithyanathan 2002).

``score`` is P(positive) = 1 / (1 + exp(-(w·x + b))); a comment whose score lies in the
neutral band (default 0.4–0.6) is labelled ``neutral``.

The **default model** ships in ``servops/feedback/models/default.npz``. It was trained only
on material with a clear licence (see ``models/README.md``): a Chinese lexicon and
service-comment sentences written for servops, the VADER lexicon (MIT) and the TextBlob /
Pattern adjective lexicon (PDDL), and comments composed from those lexicons
(aspect × degree × sentiment word, negations, "A but B" contrasts). No review corpus of
unclear licence was used.

:func:`train` fits a model on *your* labels, or on your ratings (CSAT ≤ 2 negative, ≥ 4
positive; NPS 0–6 negative, 9–10 positive), and reports stratified k-fold
cross-validated accuracy and macro-F1. By default the trained model also uses the
default model's logit as one feature (``prior=True``), so a few hundred labels refine it
rather than start from nothing.

Examples
--------
>>> from servops.feedback import sentiment_scores
>>> t = sentiment_scores(
...     ["客服态度很好，问题很快解决了", "Rude agent, still not fixed."]
... )
>>> t.column("label").to_pylist()
['positive', 'negative']
"""

from __future__ import annotations

import functools
import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from servops._validation import check_choice, check_interval
from servops.errors import InvalidParameterError

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    import pyarrow as pa
    import scipy.sparse as sp

    from servops._typing import PathLike

__all__ = [
    "SentimentModel",
    "TrainResult",
    "default_model",
    "lexicon_score",
    "ratings_to_labels",
    "sentiment_features",
    "sentiment_scores",
    "train",
]

N_FEATURES = 2**20
FORMAT_VERSION = 1
Label = Literal["positive", "negative", "neutral"]

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]+|[a-z0-9]+(?:'[a-z]+)?|[!?]")
_CLAUSE = re.compile(r"[.,;:\n\r\t()\[\]\"，。；：、（）…—~～]+")
_NEGATORS = frozenset(
    {
        "not",
        "no",
        "never",
        "cannot",
        "without",
        "nothing",
        "nobody",
        "none",
        "neither",
        "nor",
        "hardly",
        "barely",
        "lack",
        "lacks",
        "lacking",
        "nowhere",
    }
)
_NEG_SCOPE = 3


def sentiment_features(text: str) -> list[str]:
    """The features one comment contributes (before hashing).

    Examples
    --------
    >>> sentiment_features("Not good!")
    ['not', 'not_good', 'not not_good', '!']
    >>> sentiment_features("很好")
    ['很', '好', '很好']
    """
    s = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    out: list[str] = []
    for clause in _CLAUSE.split(s):
        prev = ""
        scope = 0
        for tok in _TOKEN.findall(clause):
            first = tok[0]
            if "\u3400" <= first <= "\ufaff":
                n = len(tok)
                out.extend(tok)
                out.extend(tok[i : i + 2] for i in range(n - 1))
                out.extend(tok[i : i + 3] for i in range(n - 2))
                prev = ""
                scope = 0
                continue
            if tok in ("!", "?"):
                out.append(tok)
                prev = ""
                scope = 0
                continue
            word = tok
            if scope > 0:
                word = "not_" + tok
                scope -= 1
            if tok in _NEGATORS or tok.endswith("n't"):
                scope = _NEG_SCOPE
            out.append(word)
            if prev:
                out.append(prev + " " + word)
            prev = word
    return out


_ZH_NEG = frozenset(
    [
        "不",
        "没",
        "没有",
        "无",
        "未",
        "别",
        "莫",
        "勿",
        "毫无",
        "并不",
        "并没有",
        "从不",
        "从来不",
        "从没",
        "绝非",
        "不是",
        "并非",
        "谈不上",
        "算不上",
        "称不上",
    ]
)
_ZH_INT = {
    **dict.fromkeys(
        [
            "很",
            "非常",
            "特别",
            "十分",
            "极其",
            "超",
            "超级",
            "太",
            "相当",
            "格外",
            "尤其",
            "真",
            "真的",
            "实在",
            "挺",
            "蛮",
            "巨",
            "贼",
            "狂",
            "最",
            "极",
            "更",
            "更加",
            "越来越",
            "完全",
            "彻底",
            "简直",
        ],
        1.5,
    ),
    **dict.fromkeys(
        ["有点", "有些", "稍", "稍微", "略", "略微", "比较", "较", "还算", "一点"], 0.6
    ),
}
_ZH_BUT = frozenset(["但", "但是", "可是", "不过", "然而", "只是", "就是", "却"])
_EN_INT = {
    **dict.fromkeys(
        [
            "very",
            "really",
            "so",
            "extremely",
            "super",
            "truly",
            "totally",
            "absolutely",
            "incredibly",
            "too",
            "most",
            "highly",
        ],
        1.4,
    ),
    **dict.fromkeys(
        ["somewhat", "slightly", "bit", "little", "fairly", "kinda", "sort"], 0.6
    ),
}
_EN_BUT = frozenset({"but", "however", "although", "though", "yet"})
_LEX_TOKEN = re.compile(rf"[{_CJK}]+|[a-z0-9]+(?:'[a-z]+)?|[,.;:!?，。；：！？\n]")


@dataclass(frozen=True, slots=True)
class _Lexicon:
    zh: dict[str, tuple[str, float]]
    zh_first: frozenset[str]
    zh_maxlen: int
    en: dict[str, float]


@functools.cache
def _lexicon() -> _Lexicon:
    zh: dict[str, tuple[str, float]] = {
        p[0]: ("s", float(p[1])) for p in _iter_lines("lexicon_zh.tsv")
    }
    zh.update(dict.fromkeys(_ZH_NEG, ("n", 0.0)))
    zh.update({w: ("i", v) for w, v in _ZH_INT.items()})
    zh.update(dict.fromkeys(_ZH_BUT, ("b", 0.0)))
    # VADER valences run -4..4, ours -3..3.
    en = {p[0]: float(p[1]) * 0.75 for p in _iter_lines("lexicon_en.tsv")}
    return _Lexicon(
        zh=zh,
        zh_first=frozenset(w[0] for w in zh),
        zh_maxlen=max(len(w) for w in zh),
        en=en,
    )


def lexicon_score(text: str) -> float:
    """A rule-based valence: sum of lexicon words, with negation, degree and "but".

    Chinese words are matched by forward maximum matching against the lexicon; a negator
    flips (and damps by 0.75) the next sentiment word in its clause, a degree adverb
    scales it, and everything before "but/但是" counts half (Hutto & Gilbert 2014,
    VADER's rules, simplified).

    Examples
    --------
    >>> lexicon_score("很好") > 0 > lexicon_score("不好")
    True
    >>> lexicon_score("good") > 0 > lexicon_score("not good")
    True
    """
    lex = _lexicon()
    s = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    before = 0.0
    cur = 0.0
    neg = 0
    mult = 1.0

    def hit(kind: str, v: float) -> None:
        nonlocal before, cur, neg, mult
        if kind == "s":
            val = v * mult
            cur += -0.75 * val if neg > 0 else val
            neg = 0
            mult = 1.0
        elif kind == "n":
            neg = 3
        elif kind == "i":
            mult = v
        elif kind == "b":
            before = (before + cur) * 0.5
            cur = 0.0
        elif kind == "p":
            neg = 0
            mult = 1.0
        elif neg > 0:
            neg -= 1

    for tok in _LEX_TOKEN.findall(s):
        c0 = tok[0]
        if "\u3400" <= c0 <= "\ufaff":
            i, n = 0, len(tok)
            while i < n:
                if tok[i] in lex.zh_first:
                    for ln in range(min(lex.zh_maxlen, n - i), 0, -1):
                        k = lex.zh.get(tok[i : i + ln])
                        if k is not None:
                            hit(*k)
                            i += ln
                            break
                    else:
                        i += 1
                else:
                    i += 1
        elif not c0.isalnum():
            hit("p", 0.0)
        elif tok in _NEGATORS or tok.endswith("n't"):
            hit("n", 0.0)
        elif tok in _EN_INT:
            hit("i", _EN_INT[tok])
        elif tok in _EN_BUT:
            hit("b", 0.0)
        elif tok in lex.en:
            hit("s", lex.en[tok])
        else:
            hit("o", 0.0)
    return before + cur


@functools.cache
def _vectorizer() -> Any:  # noqa: ANN401 - sklearn has no stubs
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        analyzer=sentiment_features,
        n_features=N_FEATURES,
        alternate_sign=False,
        norm="l2",
        dtype=np.float64,
    )


def _features(texts: Sequence[str]) -> sp.csr_matrix:
    x: sp.csr_matrix = _vectorizer().transform(texts)
    return x


def _clean(texts: Sequence[object]) -> list[str]:
    return [
        "" if t is None or (isinstance(t, float) and math.isnan(t)) else str(t)
        for t in texts
    ]


@dataclass(frozen=True, slots=True, eq=False)
class SentimentModel:
    """A fitted sentiment model: sparse weights over hashed features.

    Use :func:`default_model`, :func:`train` or :meth:`load` to get one.

    Attributes
    ----------
    indices, weights
        The non-zero feature weights (feature bucket, weight).
    intercept
        The bias term.
    lex_weight
        Weight of :func:`lexicon_score` (0 for a model without it).
    prior_weight
        Weight of the default model's logit (0 for a model without the prior).
    neutral_band
        Scores in this closed interval are labelled ``neutral``.
    meta
        What the model was trained on, its cross-validated figures, and versions.
    """

    indices: np.ndarray
    weights: np.ndarray
    intercept: float
    lex_weight: float = 0.0
    prior_weight: float = 0.0
    neutral_band: tuple[float, float] = (0.4, 0.6)
    meta: dict[str, Any] = field(default_factory=dict)

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """The logit w·x + b of each text."""
        clean = _clean(texts)
        x = _features(clean)
        z = np.asarray(x @ self._dense_weights(), dtype=np.float64) + self.intercept
        if self.lex_weight:
            z = z + self.lex_weight * np.array([lexicon_score(t) for t in clean])
        if self.prior_weight:
            z = z + self.prior_weight * default_model().decision_function(clean)
        return z

    def _dense_weights(self) -> np.ndarray:
        # slots=True dataclasses cannot hold a cached_property; cache in a module dict.
        key = id(self)
        hit = _DENSE_CACHE.get(key)
        if hit is not None and hit[0] is self:
            return hit[1]
        w = np.zeros(N_FEATURES, dtype=np.float64)
        w[self.indices] = self.weights
        if len(_DENSE_CACHE) >= 4:  # each entry is an 8 MB dense vector
            _DENSE_CACHE.pop(next(iter(_DENSE_CACHE)))
        _DENSE_CACHE[key] = (self, w)
        return w

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """P(positive) for each text, in [0, 1]."""
        z = self.decision_function(texts)
        p: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))
        return p

    def predict(self, texts: Sequence[str]) -> list[Label]:
        """``positive`` / ``negative`` / ``neutral`` for each text."""
        lo, hi = self.neutral_band
        p = self.predict_proba(texts)
        return [
            "positive" if v > hi else "negative" if v < lo else "neutral" for v in p
        ]

    def save(self, path: PathLike) -> Path:
        """Write the model to an ``.npz`` file (no pickle: safe to share)."""
        out = Path(path)
        with out.open("wb") as fh:
            np.savez_compressed(
                fh,
                indices=self.indices.astype(np.int32),
                weights=self.weights.astype(np.float32),
                scalars=np.array(
                    [
                        self.intercept,
                        self.lex_weight,
                        self.prior_weight,
                        *self.neutral_band,
                    ],
                    dtype=np.float64,
                ),
                meta=np.array(json.dumps({**self.meta, "format": FORMAT_VERSION})),
            )
        return out

    @classmethod
    def load(cls, path: PathLike) -> SentimentModel:
        """Read a model written by :meth:`save`.

        Raises
        ------
        InvalidParameterError
            The file is missing or is not a servops sentiment model.
        """
        p = Path(path)
        if not p.is_file():
            msg = f"sentiment model file {str(p)!r} does not exist."
            raise InvalidParameterError(msg)
        try:
            with np.load(p, allow_pickle=False) as z:
                indices = z["indices"].astype(np.int64)
                weights = z["weights"].astype(np.float64)
                scalars = z["scalars"]
                meta = json.loads(str(z["meta"]))
        except (OSError, KeyError, ValueError) as exc:
            msg = (
                f"{str(p)!r} is not a servops sentiment model (.npz with indices, weights, "
                f"scalars, meta): {exc}. Train one with `servops feedback train`."
            )
            raise InvalidParameterError(msg) from exc
        if meta.get("format") != FORMAT_VERSION:
            msg = (
                f"sentiment model {str(p)!r} has format {meta.get('format')!r}; this "
                f"servops reads format {FORMAT_VERSION}. Retrain it."
            )
            raise InvalidParameterError(msg)
        return cls(
            indices=indices,
            weights=weights,
            intercept=float(scalars[0]),
            lex_weight=float(scalars[1]),
            prior_weight=float(scalars[2]),
            neutral_band=(float(scalars[3]), float(scalars[4])),
            meta=meta,
        )


_DENSE_CACHE: dict[int, tuple[SentimentModel, np.ndarray]] = {}


@functools.cache
def default_model() -> SentimentModel:
    """The model shipped with servops (see ``servops/feedback/models/README.md``)."""
    ref = resources.files("servops.feedback") / "models" / "default.npz"
    with resources.as_file(ref) as path:
        return SentimentModel.load(path)


def sentiment_scores(
    texts: Sequence[object], model: SentimentModel | None = None
) -> pa.Table:
    """Score comments: a table with ``text``, ``label`` and ``score`` (= P(positive)).

    Empty comments get ``label`` null and ``score`` null.

    Examples
    --------
    >>> sentiment_scores(["Great, fast and friendly", ""]).column("label").to_pylist()
    ['positive', None]
    """
    import pyarrow as pa

    m = model or default_model()
    clean = _clean(texts)
    p = m.predict_proba(clean)
    lo, hi = m.neutral_band
    labels: list[str | None] = []
    scores: list[float | None] = []
    for t, v in zip(clean, p, strict=True):
        if not t.strip():
            labels.append(None)
            scores.append(None)
            continue
        labels.append("positive" if v > hi else "negative" if v < lo else "neutral")
        scores.append(float(v))
    return pa.table(
        {
            "text": pa.array(clean, pa.string()),
            "label": pa.array(labels, pa.string()),
            "score": pa.array(scores, pa.float64()),
        }
    )


# -- training ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrainResult:
    """A trained model with its cross-validated accuracy and macro-F1."""

    model: SentimentModel
    n: int
    n_positive: int
    n_negative: int
    n_excluded: int
    folds: int
    accuracy: float
    macro_f1: float
    fold_accuracy: tuple[float, ...]
    default_accuracy: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the model itself is left out: save it with ``model.save``)."""
        return {
            "n": self.n,
            "n_positive": self.n_positive,
            "n_negative": self.n_negative,
            "n_excluded": self.n_excluded,
            "folds": self.folds,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "fold_accuracy": list(self.fold_accuracy),
            "default_accuracy": self.default_accuracy,
            "prior_weight": self.model.prior_weight,
        }


_POS_WORDS = frozenset(
    {"positive", "pos", "1", "1.0", "true", "yes", "good", "正面", "积极", "好评", "正"}
)
_NEG_WORDS = frozenset(
    {
        "negative",
        "neg",
        "0",
        "0.0",
        "-1",
        "false",
        "no",
        "bad",
        "负面",
        "消极",
        "差评",
        "负",
    }
)
_NEU_WORDS = frozenset({"neutral", "neu", "mixed", "中性", "中评", "2"})


def _labels_to_int(labels: Sequence[object]) -> np.ndarray:
    out = np.full(len(labels), -1, dtype=np.int64)
    for i, lab in enumerate(labels):
        s = str(lab).strip().lower() if lab is not None else ""
        if s in _POS_WORDS:
            out[i] = 1
        elif s in _NEG_WORDS:
            out[i] = 0
        elif s in _NEU_WORDS or s in ("", "none", "nan"):
            out[i] = -1
        else:
            msg = (
                f"sentiment label {lab!r} (row {i + 1}) is not understood; use "
                f"positive/negative/neutral (or 1/0, 正面/负面/中性)."
            )
            raise InvalidParameterError(msg)
    return out


def ratings_to_labels(
    ratings: Sequence[float | None], *, scale: Literal["auto", "csat", "nps"] = "auto"
) -> list[Label | None]:
    """Turn ratings into labels.

    CSAT 1–5: ≤2 negative, 3 neutral, ≥4 positive; NPS 0–10: 0–6 negative, 7–8 neutral,
    9–10 positive.

    ``scale="auto"`` picks NPS when any rating is 0 or above 5, CSAT otherwise.

    Examples
    --------
    >>> ratings_to_labels([1, 3, 5])
    ['negative', 'neutral', 'positive']
    >>> ratings_to_labels([0, 7, 10])
    ['negative', 'neutral', 'positive']
    """
    check_choice(scale, "scale", "ratings_to_labels", ("auto", "csat", "nps"))
    vals = [None if r is None or math.isnan(float(r)) else float(r) for r in ratings]
    present = [v for v in vals if v is not None]
    if scale == "auto":
        scale = "nps" if any(v > 5 or v == 0 for v in present) else "csat"
    hi_max = 10.0 if scale == "nps" else 5.0
    lo_min = 0.0 if scale == "nps" else 1.0
    out: list[Label | None] = []
    for i, v in enumerate(vals):
        if v is None:
            out.append(None)
            continue
        if not lo_min <= v <= hi_max:
            msg = (
                f"rating {v:g} (row {i + 1}) is outside the {scale.upper()} scale "
                f"[{lo_min:g}, {hi_max:g}]."
            )
            raise InvalidParameterError(msg)
        if scale == "nps":
            out.append("negative" if v <= 6 else "positive" if v >= 9 else "neutral")
        else:
            out.append("negative" if v <= 2 else "positive" if v >= 4 else "neutral")
    return out


def _fit_lr(
    x: sp.csr_matrix, y: np.ndarray, c: float, sample_weight: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=c, solver="liblinear", max_iter=1000)
    clf.fit(x, y, sample_weight=sample_weight)
    return np.asarray(clf.coef_[0], dtype=np.float64), float(clf.intercept_[0])


def _with_column(
    x: sp.csr_matrix, col: np.ndarray | None, scale: float
) -> sp.csr_matrix:
    """Append one dense feature divided by ``scale``.

    The scaling keeps the L2 penalty on its weight comparable to the n-grams'.
    """
    if col is None:
        return x
    import scipy.sparse as sp

    out: sp.csr_matrix = sp.hstack(
        [x, sp.csr_matrix(col[:, None] / scale)], format="csr"
    )
    return out


_PRIOR_SCALE = 4.0
_LEX_SCALE = 4.0


def train(
    texts: Sequence[object],
    labels: Sequence[object] | None = None,
    *,
    ratings: Sequence[float | None] | None = None,
    scale: Literal["auto", "csat", "nps"] = "auto",
    folds: int = 5,
    c: float = 4.0,
    prior: bool = True,
    seed: int = 0,
    neutral_band: tuple[float, float] = (0.4, 0.6),
) -> TrainResult:
    """Fit a sentiment model on your labels (or ratings) with k-fold cross-validation.

    Parameters
    ----------
    texts
        The comments.
    labels
        positive/negative (neutral rows are left out of training), or 1/0.
    ratings
        Instead of labels: CSAT 1–5 or NPS 0–10 scores, turned into labels by
        :func:`ratings_to_labels`.
    scale
        The ratings scale (``auto`` guesses).
    folds
        Stratified cross-validation folds (2–20).
    c
        Inverse L2 regularisation strength of the logistic regression.
    prior
        Use the default model's logit as a feature (recommended under ~2,000 labels).
    seed
        Seed of the fold shuffle.
    neutral_band
        Scores in this interval are labelled neutral by the fitted model.

    Returns
    -------
    TrainResult
        The model fitted on all rows, with cross-validated accuracy and macro-F1.

    Raises
    ------
    InvalidParameterError
        Neither or both of labels/ratings, lengths differ, or too few rows per class.
    """
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import StratifiedKFold

    if (labels is None) == (ratings is None):
        msg = "train() needs exactly one of `labels` or `ratings`."
        raise InvalidParameterError(msg)
    raw = (
        labels if labels is not None else ratings_to_labels(ratings or [], scale=scale)
    )
    if len(raw) != len(texts):
        msg = f"train(): {len(texts)} texts but {len(raw)} labels/ratings."
        raise InvalidParameterError(msg)
    check_interval(folds, "folds", "train", low=2, high=20, closed="both")
    check_interval(c, "c", "train", low=0)
    y_all = _labels_to_int(raw)
    clean = _clean(texts)
    keep = np.array(
        [y >= 0 and bool(t.strip()) for y, t in zip(y_all, clean, strict=True)]
    )
    idx = np.flatnonzero(keep)
    y = y_all[idx]
    n_pos, n_neg = int((y == 1).sum()), int((y == 0).sum())
    if min(n_pos, n_neg) < folds:
        msg = (
            f"train() needs at least {folds} positive and {folds} negative comments for "
            f"{folds}-fold cross-validation; got {n_pos} positive and {n_neg} negative "
            f"({int((~keep).sum())} neutral/empty rows left out)."
        )
        raise InvalidParameterError(msg)
    docs = [clean[i] for i in idx]
    x = _features(docs)
    prior_z = default_model().decision_function(docs) if prior else None
    xp = _with_column(x, prior_z, _PRIOR_SCALE)
    skf = StratifiedKFold(n_splits=int(folds), shuffle=True, random_state=seed)
    pred = np.zeros(len(y), dtype=np.int64)
    fold_acc: list[float] = []
    for tr, te in skf.split(np.zeros(len(y)), y):
        w, b = _fit_lr(xp[tr], y[tr], c)
        z = xp[te] @ w + b
        pred[te] = (z > 0).astype(np.int64)
        fold_acc.append(float(accuracy_score(y[te], pred[te])))
    acc = float(accuracy_score(y, pred))
    f1 = float(f1_score(y, pred, average="macro"))
    default_acc = (
        float(((prior_z > 0).astype(np.int64) == y).mean())
        if prior_z is not None
        else None
    )
    w, b = _fit_lr(xp, y, c)
    prior_w = float(w[-1] / _PRIOR_SCALE) if prior else 0.0
    wn = w[:-1] if prior else w
    nz = np.flatnonzero(wn)
    model = SentimentModel(
        indices=nz,
        weights=wn[nz],
        intercept=b,
        prior_weight=prior_w,
        neutral_band=neutral_band,
        meta={
            "trained_on": "user labels" if labels is not None else f"ratings ({scale})",
            "n": len(y),
            "cv_accuracy": acc,
            "cv_macro_f1": f1,
            "folds": int(folds),
            "c": c,
        },
    )
    return TrainResult(
        model=model,
        n=len(y),
        n_positive=n_pos,
        n_negative=n_neg,
        n_excluded=int((~keep).sum()),
        folds=int(folds),
        accuracy=acc,
        macro_f1=f1,
        fold_accuracy=tuple(fold_acc),
        default_accuracy=default_acc,
    )


def _iter_lines(name: str) -> Iterator[list[str]]:
    ref = resources.files("servops.feedback") / "models" / name
    for line in ref.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            yield line.split("\t")
