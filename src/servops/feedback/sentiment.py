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
Pattern adjective lexicon (PDDL), comments composed from those lexicons
(aspect × degree × sentiment word, negations, "A but B" contrasts), and — for English
only — about 7,200 real review sentences and tweets (UCI Sentiment Labelled Sentences,
Amazon part, CC BY 4.0; VADER's rated Amazon snippets and tweets, MIT). No review corpus
of unclear licence was used; no Chinese corpus with a permissive licence was found.

:func:`train` fits a model on *your* labels, or on your ratings (CSAT ≤ 2 negative, ≥ 4
positive; NPS 0–6 negative, 9–10 positive), and reports stratified k-fold
cross-validated accuracy and macro-F1. It is an NB-LR (Wang & Manning 2012) over the
presence of the features above plus character 3–5-grams of English words; by default it
also uses the default model's logit and the lexicon score as features (``prior=True``),
so a few hundred labels refine what servops knows rather than start from nothing.

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
    "sentiment_features_chars",
    "sentiment_scores",
    "train",
]

N_FEATURES = 2**20
FORMAT_VERSION = 2
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


_LATIN_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_CHAR_NGRAMS = (3, 5)


def sentiment_features_chars(text: str) -> list[str]:
    """:func:`sentiment_features` plus character 3–5-grams of each Latin word.

    The word is padded with spaces, so prefixes and suffixes are marked
    (``" rud"``, ``"ude "``); Chinese already gives character n-grams. Models trained
    by :func:`train` use these features: they let "disappointing" share evidence
    with "disappointed" and survive typos.

    Examples
    --------
    >>> sentiment_features_chars("ok")
    ['ok', '# ok', '#ok ', '# ok ']
    """
    out = sentiment_features(text)
    s = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    lo, hi = _CHAR_NGRAMS
    for word in _LATIN_WORD.findall(s):
        w = f" {word} "
        n = len(w)
        for k in range(lo, min(hi, n) + 1):
            out.extend("#" + w[i : i + k] for i in range(n - k + 1))
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
_ZH_BUT = frozenset(["但", "但是", "可是", "不过", "然而", "却"])
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
    en_maxlen: int


@functools.cache
def _lexicon() -> _Lexicon:
    zh: dict[str, tuple[str, float]] = {
        p[0]: ("s", float(p[1])) for p in _iter_lines("lexicon_zh.tsv")
    }
    zh.update(dict.fromkeys(_ZH_NEG, ("n", 0.0)))
    zh.update({w: ("i", v) for w, v in _ZH_INT.items()})
    zh.update(dict.fromkeys(_ZH_BUT, ("b", 0.0)))
    # VADER valences run -4..4, ours -3..3.
    # Multi-word entries ("won't be back", "hassle-free") are keyed by their tokens
    # joined with one space, as lexicon_score sees them.
    en: dict[str, float] = {}
    for p in _iter_lines("lexicon_en.tsv"):
        key = " ".join(_LEX_TOKEN.findall(p[0].lower()))
        if key:
            en[key] = float(p[1]) * 0.75
    return _Lexicon(
        zh=zh,
        zh_first=frozenset(w[0] for w in zh),
        zh_maxlen=max(len(w) for w in zh),
        en=en,
        en_maxlen=max(k.count(" ") + 1 for k in en),
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

    toks = _LEX_TOKEN.findall(s)
    skip = 0
    for j, tok in enumerate(toks):
        if skip:
            skip -= 1
            continue
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
                        hit("o", 0.0)
                        i += 1
                else:
                    # an unmatched character: a negation reaches only a few characters
                    hit("o", 0.0)
                    i += 1
        elif not c0.isalnum():
            hit("p", 0.0)
        elif (phrase := _en_phrase(toks, j, lex)) is not None:
            skip = phrase[0] - 1
            hit("s", phrase[1])
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


FeatureSet = Literal["words", "words+chars"]
_FEATURE_SETS: tuple[FeatureSet, ...] = ("words", "words+chars")


def _en_phrase(toks: list[str], j: int, lex: _Lexicon) -> tuple[int, float] | None:
    """The longest multi-word lexicon entry starting at ``toks[j]`` (length, valence)."""
    for k in range(min(lex.en_maxlen, len(toks) - j), 1, -1):
        v = lex.en.get(" ".join(toks[j : j + k]))
        if v is not None:
            return k, v
    return None


@functools.cache
def _vectorizer(kind: FeatureSet = "words") -> Any:  # noqa: ANN401 - sklearn has no stubs
    from sklearn.feature_extraction.text import HashingVectorizer

    if kind == "words":
        return HashingVectorizer(
            analyzer=sentiment_features,
            n_features=N_FEATURES,
            alternate_sign=False,
            norm="l2",
            dtype=np.float64,
        )
    return HashingVectorizer(
        analyzer=sentiment_features_chars,
        n_features=N_FEATURES,
        alternate_sign=False,
        binary=True,
        norm="l2",
        dtype=np.float64,
    )


def _features(texts: Sequence[str], kind: FeatureSet = "words") -> sp.csr_matrix:
    """Hash comments into the feature space of a model.

    ``words``: term frequencies of :func:`sentiment_features`, L2-normalised;
    ``words+chars``: presence of :func:`sentiment_features_chars`, L2-normalised.
    """
    x: sp.csr_matrix = _vectorizer(kind).transform(texts)
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
    features
        The feature set the weights refer to: ``words`` (the default model) or
        ``words+chars`` (models fitted by :func:`train`).
    meta
        What the model was trained on, its cross-validated figures, and versions.
    """

    indices: np.ndarray
    weights: np.ndarray
    intercept: float
    lex_weight: float = 0.0
    prior_weight: float = 0.0
    neutral_band: tuple[float, float] = (0.4, 0.6)
    features: FeatureSet = "words"
    meta: dict[str, Any] = field(default_factory=dict)

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """The logit w·x + b of each text."""
        clean = _clean(texts)
        x = _features(clean, self.features)
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
                meta=np.array(
                    json.dumps(
                        {
                            **self.meta,
                            "format": FORMAT_VERSION,
                            "features": self.features,
                        }
                    )
                ),
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
        features = meta.get("features", "words")
        if meta.get("format") not in (1, FORMAT_VERSION) or (
            features not in _FEATURE_SETS
        ):
            msg = (
                f"sentiment model {str(p)!r} has format {meta.get('format')!r} and "
                f"features {features!r}; this servops reads formats 1–{FORMAT_VERSION} "
                f"with features {' or '.join(_FEATURE_SETS)}. Retrain it."
            )
            raise InvalidParameterError(msg)
        return cls(
            indices=indices,
            weights=weights,
            intercept=float(scalars[0]),
            lex_weight=float(scalars[1]),
            prior_weight=float(scalars[2]),
            neutral_band=(float(scalars[3]), float(scalars[4])),
            features=features,
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
_C_GRID = (4.0, 16.0, 64.0)
_INNER_CV_MAX = 3000


def _nb_ratio(x: sp.csr_matrix, y: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """Naive-Bayes log-count ratio of each feature (Wang & Manning 2012).

    ``log((α + n⁺_j) / Σ(α + n⁺)) − log((α + n⁻_j) / Σ(α + n⁻))`` where ``n±_j`` counts
    the positive/negative comments that contain feature ``j``.
    """
    present = x > 0
    p = alpha + np.asarray(present[y == 1].sum(axis=0), dtype=np.float64).ravel()
    q = alpha + np.asarray(present[y == 0].sum(axis=0), dtype=np.float64).ravel()
    r: np.ndarray = np.log(p / p.sum()) - np.log(q / q.sum())
    return r


def _fit_nblr(
    x: sp.csr_matrix, extra: np.ndarray | None, y: np.ndarray, c: float
) -> tuple[np.ndarray, np.ndarray, float]:
    """NB-LR: logistic regression on features scaled by their NB log-count ratios.

    Returns the effective n-gram weights (already multiplied by the ratios, so they
    apply to the unscaled features), the weights of the ``extra`` columns and the
    intercept.
    """
    import scipy.sparse as sp

    r = _nb_ratio(x, y)
    xs: sp.csr_matrix = (x @ sp.diags(r)).tocsr()
    k = x.shape[1]
    if extra is not None:
        xs = sp.hstack([xs, sp.csr_matrix(extra)], format="csr")
    w, b = _fit_lr(xs, y, c)
    return w[:k] * r, w[k:], b


def _logit(
    x: sp.csr_matrix,
    extra: np.ndarray | None,
    fit: tuple[np.ndarray, np.ndarray, float],
) -> np.ndarray:
    w, we, b = fit
    z = np.asarray(x @ w, dtype=np.float64) + b
    if extra is not None:
        z = z + extra @ we
    return z


def _choose_c(
    x: sp.csr_matrix, extra: np.ndarray | None, y: np.ndarray, seed: int
) -> float:
    """Pick C from ``_C_GRID`` by validation log-loss on the rows passed in.

    Up to ``_INNER_CV_MAX`` rows: 3-fold stratified cross-validation; above, one
    stratified 25 % split (a fixed compute budget, the same for every data set). Only
    the rows passed in are used, so inside cross-validation the choice never sees the
    test fold.
    """
    from sklearn.model_selection import StratifiedKFold, train_test_split

    rows = np.arange(len(y))
    if len(y) <= _INNER_CV_MAX:
        inner = StratifiedKFold(n_splits=3, shuffle=True, random_state=seed)
        splits = list(inner.split(rows, y))
    else:
        splits = [
            tuple(train_test_split(rows, test_size=0.25, stratify=y, random_state=seed))
        ]
    best, best_loss = _C_GRID[0], math.inf
    for c in _C_GRID:
        loss = 0.0
        for tr, va in splits:
            ex_tr = extra[tr] if extra is not None else None
            ex_va = extra[va] if extra is not None else None
            z = _logit(x[va], ex_va, _fit_nblr(x[tr], ex_tr, y[tr], c))
            loss += float(np.sum(np.logaddexp(0.0, np.where(y[va] == 1, -z, z))))
        if loss < best_loss:
            best, best_loss = c, loss
    return best


def train(
    texts: Sequence[object],
    labels: Sequence[object] | None = None,
    *,
    ratings: Sequence[float | None] | None = None,
    scale: Literal["auto", "csat", "nps"] = "auto",
    folds: int = 5,
    c: float | None = None,
    prior: bool = True,
    seed: int = 0,
    neutral_band: tuple[float, float] = (0.4, 0.6),
) -> TrainResult:
    """Fit a sentiment model on your labels (or ratings) with k-fold cross-validation.

    The model is an NB-LR (Wang & Manning 2012): a logistic regression over the
    presence of word uni/bigrams (with negation scope), Chinese character 1–3-grams and
    character 3–5-grams of English words (:func:`sentiment_features_chars`), each
    scaled by its naive-Bayes log-count ratio. With ``prior=True`` two more features
    carry what servops already knows: the default model's logit and
    :func:`lexicon_score`. Everything that is learnt — ratios, weights and, unless
    ``c`` is given, the regularisation strength (picked from 4, 16, 64 by log-loss in
    3-fold cross-validation of the training rows, or on a 25 % split of them above
    3,000 rows) — is fitted inside each training fold, so the
    cross-validated figures are honest estimates for new comments.

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
        Inverse L2 regularisation strength of the logistic regression; ``None``
        chooses it on held-out training rows.
    prior
        Use the default model's logit and the lexicon score as features (recommended
        under ~2,000 labels).
    seed
        Seed of the fold shuffle and of the split that chooses ``c``.
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
    if c is not None:
        check_interval(c, "c", "train", low=0)
    y_all = _labels_to_int(raw)
    clean = _clean(texts)
    keep = np.array(
        [y >= 0 and bool(t.strip()) for y, t in zip(y_all, clean, strict=True)]
    )
    idx = np.flatnonzero(keep)
    y = y_all[idx]
    n_pos, n_neg = int((y == 1).sum()), int((y == 0).sum())
    # _choose_c splits a training fold 75/25 with stratification: it needs a few rows
    # of each class per fold.
    need = folds if c is not None else 2 * folds
    if min(n_pos, n_neg) < need:
        msg = (
            f"train() needs at least {need} positive and {need} negative comments for "
            f"{folds}-fold cross-validation; got {n_pos} positive and {n_neg} negative "
            f"({int((~keep).sum())} neutral/empty rows left out)."
        )
        raise InvalidParameterError(msg)
    docs = [clean[i] for i in idx]
    hashed = _features(docs, "words+chars")
    used = np.flatnonzero(hashed.getnnz(axis=0))
    x = hashed[:, used]
    prior_z = default_model().decision_function(docs) if prior else None
    extra = (
        np.column_stack(
            [prior_z / _PRIOR_SCALE, [lexicon_score(d) / _LEX_SCALE for d in docs]]
        )
        if prior_z is not None
        else None
    )
    skf = StratifiedKFold(n_splits=int(folds), shuffle=True, random_state=seed)
    pred = np.zeros(len(y), dtype=np.int64)
    fold_acc: list[float] = []
    fold_c: list[float] = []
    for tr, te in skf.split(np.zeros(len(y)), y):
        ex_tr = extra[tr] if extra is not None else None
        ex_te = extra[te] if extra is not None else None
        c_fold = c if c is not None else _choose_c(x[tr], ex_tr, y[tr], seed)
        fold_c.append(c_fold)
        z = _logit(x[te], ex_te, _fit_nblr(x[tr], ex_tr, y[tr], c_fold))
        pred[te] = (z > 0).astype(np.int64)
        fold_acc.append(float(accuracy_score(y[te], pred[te])))
    acc = float(accuracy_score(y, pred))
    f1 = float(f1_score(y, pred, average="macro"))
    default_acc = (
        float(((prior_z > 0).astype(np.int64) == y).mean())
        if prior_z is not None
        else None
    )
    c_final = c if c is not None else _choose_c(x, extra, y, seed)
    wn, we, b = _fit_nblr(x, extra, y, c_final)
    nz = np.flatnonzero(wn)
    model = SentimentModel(
        indices=used[nz],
        weights=wn[nz],
        intercept=b,
        prior_weight=float(we[0] / _PRIOR_SCALE) if prior else 0.0,
        lex_weight=float(we[1] / _LEX_SCALE) if prior else 0.0,
        neutral_band=neutral_band,
        features="words+chars",
        meta={
            "trained_on": "user labels" if labels is not None else f"ratings ({scale})",
            "method": "NB-LR",
            "n": len(y),
            "cv_accuracy": acc,
            "cv_macro_f1": f1,
            "folds": int(folds),
            "c": c_final,
            "fold_c": fold_c,
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
