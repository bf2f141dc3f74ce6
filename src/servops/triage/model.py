"""Suggest a ticket's category (or group) from its text, with a calibrated confidence.

The model: TF-IDF over word and character n-grams (:mod:`servops.triage.features`) and a
multinomial logistic regression (L2, ``C = 30``). Chosen by time-ordered validation on
the CFPB complaints (train on older, test on newer, three cut points): it beat linear SVM,
complement naive Bayes and either feature block alone (``benchmarks/RESULTS.md``).

Confidence is the softmax probability after **temperature scaling** (Guo et al. 2017,
"On calibration of modern neural networks"): a model is fitted on the older part of the
training data, one temperature ``T`` is chosen to minimise the log loss on the newest part
(``calibration_share``, by time, as the model will be used), and the final model is fitted
on all of it with that ``T``. Below ``threshold`` the classifier abstains (``label`` is
``None``) and a person decides; :meth:`TicketClassifier.evaluate` reports the coverage
and the accuracy on the covered tickets at that threshold, against the majority-class
baseline.

A model is saved as one ``.npz`` file: arrays (idf, weights) and a JSON document
(vocabularies, classes, parameters): no pickle, nothing executable.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from servops.errors import ConfigError, InvalidParameterError
from servops.triage.features import FeatureSpace, fit_features

if TYPE_CHECKING:
    from collections.abc import Sequence

    import scipy.sparse as sp
    from numpy.typing import NDArray

    from servops._typing import PathLike

__all__ = [
    "Evaluation",
    "Suggestion",
    "TicketClassifier",
    "ticket_text",
    "train",
    "validate",
]

FORMAT = "servops-triage/1"
_THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def ticket_text(subject: str | None, text: str | None) -> str:
    r"""The text a ticket is classified by: its subject, a blank line, its body.

    Examples
    --------
    >>> ticket_text("Card blocked", "My card was declined.")
    'Card blocked\n\nMy card was declined.'
    """
    return "\n\n".join(p.strip() for p in (subject, text) if p and p.strip())


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A suggested label with its calibrated probability.

    Attributes
    ----------
    label
        The most likely label, or ``None`` when its confidence is below the model's
        threshold (the classifier abstains; a person should choose).
    confidence
        Calibrated probability of the most likely label.
    alternatives
        The top labels with their probabilities, most likely first (the first is the
        best label even when the classifier abstains).
    """

    label: str | None
    confidence: float
    alternatives: tuple[tuple[str, float], ...]

    @property
    def abstained(self) -> bool:
        """True when the confidence is below the threshold."""
        return self.label is None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "label": self.label,
            "confidence": self.confidence,
            "abstained": self.abstained,
            "alternatives": [{"label": k, "p": p} for k, p in self.alternatives],
        }


@dataclass(frozen=True, slots=True)
class Evaluation:
    """How a classifier does on labelled tickets.

    Attributes
    ----------
    n
        Tickets evaluated.
    accuracy, macro_f1, top2_accuracy
        Of the best label on every ticket (no abstaining).
    baseline_accuracy, baseline_macro_f1
        Of always answering the training data's most frequent label.
    baseline_label
        That label.
    threshold
        The confidence threshold.
    coverage
        Share of tickets with a confidence at or above the threshold.
    covered_accuracy
        Accuracy on those tickets (``None`` when none is covered).
    log_loss, ece
        Mean negative log-likelihood of the true labels and the expected calibration
        error (10 equal-width confidence bins), both over tickets whose label the model
        knows.
    unseen
        Tickets whose true label did not occur in the training data (always wrong).
    by_threshold
        Coverage and covered accuracy at several thresholds.
    train_n, train_from, train_to
        The training data's size and time span (ISO dates, when known).
    notes
        Remarks.
    """

    n: int
    accuracy: float
    macro_f1: float
    top2_accuracy: float
    baseline_label: str
    baseline_accuracy: float
    baseline_macro_f1: float
    threshold: float
    coverage: float
    covered_accuracy: float | None
    log_loss: float | None
    ece: float | None
    unseen: int
    by_threshold: tuple[dict[str, Any], ...]
    train_n: int = 0
    train_from: str | None = None
    train_to: str | None = None
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "n": self.n,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "top2_accuracy": self.top2_accuracy,
            "baseline": {
                "label": self.baseline_label,
                "accuracy": self.baseline_accuracy,
                "macro_f1": self.baseline_macro_f1,
            },
            "threshold": self.threshold,
            "coverage": self.coverage,
            "covered_accuracy": self.covered_accuracy,
            "log_loss": self.log_loss,
            "ece": self.ece,
            "unseen": self.unseen,
            "by_threshold": [dict(r) for r in self.by_threshold],
            "train": {
                "n": self.train_n,
                "from": self.train_from,
                "to": self.train_to,
            },
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True, eq=False)
class TicketClassifier:
    """A fitted ticket classifier. Build with :func:`train`, or :meth:`load` a saved one.

    Attributes
    ----------
    classes
        The labels, in weight-row order.
    features
        The fitted TF-IDF feature space.
    coef, intercept
        The linear model's weights (classes × features) and intercepts.
    temperature
        The calibration temperature (logits are divided by it before the softmax).
    threshold
        Below this confidence :meth:`suggest` abstains.
    majority
        The most frequent training label (the baseline).
    info
        Training facts: size, time span, parameters.
    """

    classes: tuple[str, ...]
    features: FeatureSpace
    coef: NDArray[np.float64]
    intercept: NDArray[np.float64]
    temperature: float
    threshold: float
    majority: str
    info: dict[str, Any] = field(default_factory=dict)

    def probabilities(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Calibrated class probabilities, one row per text (columns: ``classes``)."""
        return _softmax(self._logits(self.features.transform(texts)), self.temperature)

    def _logits(self, x: sp.csr_matrix) -> NDArray[np.float64]:
        return np.asarray(x @ self.coef.T, dtype=np.float64) + self.intercept

    def suggest(self, text: str, *, top: int = 3) -> Suggestion:
        """The suggested label of one ticket text.

        Examples
        --------
        >>> clf = train(
        ...     ["card declined", "card stolen", "loan rate", "loan payment"] * 3,
        ...     ["card", "card", "loan", "loan"] * 3,
        ...     threshold=0.0,
        ... )
        >>> clf.suggest("my card was declined").label
        'card'
        """
        return self.suggest_many([text], top=top)[0]

    def suggest_ticket(
        self, subject: str | None, text: str | None, *, top: int = 3
    ) -> Suggestion:
        """The suggestion for a ticket's subject and text (see :func:`ticket_text`)."""
        return self.suggest(ticket_text(subject, text), top=top)

    def suggest_many(self, texts: Sequence[str], *, top: int = 3) -> list[Suggestion]:
        """:meth:`suggest` for many texts at once."""
        if top < 1:
            msg = f"The 'top' parameter of suggest must be an int >= 1. Got {top!r} instead."
            raise InvalidParameterError(msg)
        p = self.probabilities(list(texts))
        order = np.argsort(-p, axis=1, kind="stable")[:, :top]
        out = []
        for row, idx in zip(p, order, strict=True):
            alts = tuple((self.classes[i], float(row[i])) for i in idx)
            best, conf = alts[0]
            out.append(
                Suggestion(
                    label=best if conf >= self.threshold else None,
                    confidence=conf,
                    alternatives=alts,
                )
            )
        return out

    def evaluate(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        threshold: float | None = None,
    ) -> Evaluation:
        """Accuracy, macro-F1, top-2 accuracy, calibration and coverage on labelled texts.

        Parameters
        ----------
        texts, labels
            Tickets and their true labels (a label the model never saw counts as wrong).
        threshold
            Confidence threshold for coverage (default: the model's own).
        """
        from sklearn.metrics import f1_score

        if len(texts) != len(labels):
            msg = f"evaluate: {len(texts)} texts but {len(labels)} labels."
            raise InvalidParameterError(msg)
        if not texts:
            msg = "evaluate: no labelled texts to evaluate on."
            raise InvalidParameterError(msg)
        thr = self.threshold if threshold is None else _check_threshold(threshold)
        y = np.asarray([str(v) for v in labels], dtype=object)
        p = self.probabilities(list(texts))
        classes = np.asarray(self.classes, dtype=object)
        order = np.argsort(-p, axis=1, kind="stable")
        pred = classes[order[:, 0]]
        conf = p[np.arange(len(y)), order[:, 0]]
        hit = pred == y
        top2 = hit | (
            (classes[order[:, 1]] == y) if len(classes) > 1 else np.zeros_like(hit)
        )
        index = {c: i for i, c in enumerate(self.classes)}
        known = np.asarray([v in index for v in y])
        notes = []
        log_loss = ece = None
        if known.any():
            cols = np.asarray([index[v] for v in y[known]])
            pk = np.clip(p[known][np.arange(cols.size), cols], 1e-12, 1.0)
            log_loss = float(-np.mean(np.log(pk)))
            ece = _ece(conf[known], hit[known])
        unseen = int((~known).sum())
        if unseen:
            missing = sorted(set(y[~known]))
            notes.append(
                f"{unseen} ticket(s) carry label(s) the training data did not have "
                f"(counted as wrong): {missing[:10]}"
            )
        covered = conf >= thr
        rows = []
        for t in sorted({*_THRESHOLDS, thr}):
            c = conf >= t
            rows.append(
                {
                    "threshold": t,
                    "coverage": float(c.mean()),
                    "accuracy": float(hit[c].mean()) if c.any() else None,
                }
            )
        base = np.full(len(y), self.majority, dtype=object)
        return Evaluation(
            n=len(y),
            accuracy=float(hit.mean()),
            macro_f1=float(f1_score(y, pred, average="macro", zero_division=0)),
            top2_accuracy=float(top2.mean()),
            baseline_label=self.majority,
            baseline_accuracy=float((base == y).mean()),
            baseline_macro_f1=float(
                f1_score(y, base, average="macro", zero_division=0)
            ),
            threshold=thr,
            coverage=float(covered.mean()),
            covered_accuracy=float(hit[covered].mean()) if covered.any() else None,
            log_loss=log_loss,
            ece=ece,
            unseen=unseen,
            by_threshold=tuple(rows),
            train_n=int(self.info.get("n", 0)),
            train_from=self.info.get("from"),
            train_to=self.info.get("to"),
            notes=tuple(notes),
        )

    def save(self, path: PathLike) -> Path:
        """Write the model to one ``.npz`` file (arrays + JSON, no pickle)."""
        meta_f, arrays = self.features.to_arrays()
        meta = {
            "format": FORMAT,
            "classes": list(self.classes),
            "temperature": self.temperature,
            "threshold": self.threshold,
            "majority": self.majority,
            "info": self.info,
            "features": meta_f,
        }
        p = Path(path)
        with p.open("wb") as fh:
            payload: dict[str, NDArray[Any]] = {
                "meta": np.frombuffer(
                    json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8
                ),
                "coef": self.coef.astype(np.float32),
                "intercept": self.intercept,
                **arrays,
            }
            np.savez_compressed(fh, allow_pickle=False, **payload)
        return p

    @classmethod
    def load(cls, path: PathLike) -> TicketClassifier:
        """Read a model written by :meth:`save`.

        Raises
        ------
        ConfigError
            The file is missing or is not a servops triage model.
        """
        p = Path(path)
        if not p.is_file():
            msg = f"triage model {str(p)!r} does not exist (or is not a file)."
            raise ConfigError(msg)
        try:
            with np.load(p, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
            meta = json.loads(bytes(arrays.pop("meta")).decode("utf-8"))
        except (OSError, ValueError, KeyError) as exc:
            msg = f"{p}: not a servops triage model (.npz from `servops triage train`): {exc}"
            raise ConfigError(msg) from exc
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            got = meta.get("format") if isinstance(meta, dict) else None
            msg = f"{p}: model format {got!r} is not {FORMAT!r}; train the model again."
            raise ConfigError(msg)
        return cls(
            classes=tuple(meta["classes"]),
            features=FeatureSpace.from_arrays(meta["features"], arrays),
            coef=np.asarray(arrays["coef"], dtype=np.float64),
            intercept=np.asarray(arrays["intercept"], dtype=np.float64),
            temperature=float(meta["temperature"]),
            threshold=float(meta["threshold"]),
            majority=str(meta["majority"]),
            info=dict(meta["info"]),
        )


def _softmax(z: NDArray[np.float64], temperature: float) -> NDArray[np.float64]:
    s = z / temperature
    s = s - s.max(axis=1, keepdims=True)
    e = np.exp(s)
    out: NDArray[np.float64] = e / e.sum(axis=1, keepdims=True)
    return out


def _ece(conf: NDArray[np.float64], hit: NDArray[np.bool_], bins: int = 10) -> float:
    """Expected calibration error: sum over bins of |accuracy - confidence| x share."""
    idx = np.minimum((conf * bins).astype(np.int64), bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += float(m.mean()) * abs(float(hit[m].mean()) - float(conf[m].mean()))
    return total


def _check_threshold(value: float) -> float:
    if isinstance(value, bool) or not 0.0 <= float(value) <= 1.0:
        msg = (
            "The 'threshold' parameter must be a float in the range [0, 1]. "
            f"Got {value!r} instead."
        )
        raise InvalidParameterError(msg)
    return float(value)


def _fit_linear(
    x: sp.csr_matrix, y: NDArray[Any], c: float
) -> tuple[tuple[str, ...], NDArray[np.float64], NDArray[np.float64]]:
    """Classes, weights and intercepts of a multinomial logistic regression."""
    classes = tuple(sorted({str(v) for v in y}))
    if len(classes) == 1:
        # One label: it always wins; zero weights keep the file format uniform.
        return classes, np.zeros((1, x.shape[1])), np.zeros(1)
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=c, max_iter=3000)
    lr.fit(x, y)
    coef = np.asarray(lr.coef_, dtype=np.float64)
    intercept = np.asarray(lr.intercept_, dtype=np.float64)
    if len(classes) == 2:
        # scikit-learn keeps one row for two classes (the second class's logit).
        coef = np.vstack([-coef / 2, coef / 2])
        intercept = np.asarray([-intercept[0] / 2, intercept[0] / 2])
    return tuple(str(v) for v in lr.classes_), coef, intercept


def _temperature(
    logits: NDArray[np.float64], classes: tuple[str, ...], y: NDArray[Any]
) -> float:
    """The temperature minimising the log loss of ``y`` (labels outside ``classes`` skipped)."""
    from scipy.optimize import minimize_scalar

    index = {c: i for i, c in enumerate(classes)}
    keep = np.asarray([v in index for v in y])
    if keep.sum() < 2 or len(classes) < 2:
        return 1.0
    z = logits[keep]
    cols = np.asarray([index[v] for v in y[keep]])

    def nll(log_t: float) -> float:
        p = _softmax(z, math.exp(log_t))
        return float(-np.mean(np.log(np.clip(p[np.arange(cols.size), cols], 1e-12, 1))))

    res = minimize_scalar(
        nll, bounds=(math.log(0.05), math.log(20.0)), method="bounded"
    )
    return float(math.exp(res.x))


def _order(
    texts: Sequence[str], labels: Sequence[str], times: Sequence[datetime] | None
) -> tuple[list[str], NDArray[Any], list[datetime] | None]:
    if len(texts) != len(labels) or (times is not None and len(times) != len(texts)):
        msg = (
            f"train: texts ({len(texts)}), labels ({len(labels)})"
            + ("" if times is None else f" and times ({len(times)})")
            + " must have the same length."
        )
        raise InvalidParameterError(msg)
    if times is None:
        return list(texts), np.asarray([str(v) for v in labels], dtype=object), None
    # A stable sort keeps the given order among equal times.
    order = sorted(range(len(texts)), key=lambda i: _as_utc(times[i]))
    return (
        [texts[i] for i in order],
        np.asarray([str(labels[i]) for i in order], dtype=object),
        [times[i] for i in order],
    )


def _as_utc(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def train(
    texts: Sequence[str],
    labels: Sequence[str],
    times: Sequence[datetime] | None = None,
    *,
    c: float = 30.0,
    threshold: float = 0.5,
    calibration_share: float = 0.2,
) -> TicketClassifier:
    """Fit a ticket classifier on labelled (closed) tickets.

    Parameters
    ----------
    texts
        Ticket texts (subject and body, see :func:`ticket_text`).
    labels
        Their categories (or groups).
    times
        When each ticket arrived. The newest ``calibration_share`` calibrates the
        confidence (a model fitted on the older part is scored on it); without times the
        given order is taken as time order.
    c
        Inverse L2 regularisation strength of the logistic regression.
    threshold
        Confidence below which :meth:`TicketClassifier.suggest` abstains.
    calibration_share
        Share of the newest tickets used to choose the temperature (0 disables
        calibration: temperature 1).

    Returns
    -------
    TicketClassifier

    Raises
    ------
    InvalidParameterError
        Lengths differ, fewer than two tickets, or a parameter out of range.
    """
    thr = _check_threshold(threshold)
    if not 0.0 <= calibration_share < 1.0:
        msg = (
            "The 'calibration_share' parameter of train must be a float in the range "
            f"[0, 1). Got {calibration_share!r} instead."
        )
        raise InvalidParameterError(msg)
    if not c > 0:
        msg = f"The 'c' parameter of train must be a float > 0. Got {c!r} instead."
        raise InvalidParameterError(msg)
    docs, y, when = _order(texts, labels, times)
    if len(docs) < 2:
        msg = f"train: at least 2 labelled tickets are needed; got {len(docs)}."
        raise InvalidParameterError(msg)
    temperature = 1.0
    cut = len(docs) - round(len(docs) * calibration_share)
    if calibration_share > 0 and 2 <= cut < len(docs) and len(set(y[:cut])) > 1:
        fs = fit_features(docs[:cut])
        cls, coef, icpt = _fit_linear(fs.transform(docs[:cut]), y[:cut], c)
        z = np.asarray(fs.transform(docs[cut:]) @ coef.T) + icpt
        temperature = _temperature(z, cls, y[cut:])
    fs = fit_features(docs)
    classes, coef, icpt = _fit_linear(fs.transform(docs), y, c)
    values, counts = np.unique(y, return_counts=True)
    info: dict[str, Any] = {
        "n": len(docs),
        "from": None if when is None else _as_utc(when[0]).date().isoformat(),
        "to": None if when is None else _as_utc(when[-1]).date().isoformat(),
        "c": c,
        "calibration_share": calibration_share,
        "label_counts": {str(v): int(k) for v, k in zip(values, counts, strict=True)},
    }
    return TicketClassifier(
        classes=classes,
        features=fs,
        coef=coef,
        intercept=icpt,
        temperature=temperature,
        threshold=thr,
        majority=str(values[np.argmax(counts)]),
        info=info,
    )


def validate(
    texts: Sequence[str],
    labels: Sequence[str],
    times: Sequence[datetime] | None = None,
    *,
    test_share: float = 0.2,
    **kwargs: Any,  # noqa: ANN401 - passed to train
) -> tuple[TicketClassifier, Evaluation]:
    """Time-ordered hold-out: train on the older tickets, evaluate on the newest.

    Parameters
    ----------
    texts, labels, times
        As for :func:`train` (without times the given order is the time order).
    test_share
        Share of the newest tickets held out for the test.
    **kwargs
        Passed to :func:`train`.

    Returns
    -------
    (TicketClassifier, Evaluation)
        The model fitted on the older part and its evaluation on the newer part.
    """
    if not 0.0 < test_share < 1.0:
        msg = (
            "The 'test_share' parameter of validate must be a float in the range "
            f"(0, 1). Got {test_share!r} instead."
        )
        raise InvalidParameterError(msg)
    docs, y, when = _order(texts, labels, times)
    cut = len(docs) - round(len(docs) * test_share)
    if cut < 2 or cut >= len(docs):
        msg = (
            f"validate: {len(docs)} tickets cannot be split {1 - test_share:.0%} / "
            f"{test_share:.0%} with at least 2 to train and 1 to test."
        )
        raise InvalidParameterError(msg)
    model = train(
        docs[:cut],
        list(y[:cut]),
        None if when is None else when[:cut],
        **kwargs,
    )
    ev = model.evaluate(docs[cut:], list(y[cut:]))
    test_from = None if when is None else _as_utc(when[cut]).date().isoformat()
    test_to = None if when is None else _as_utc(when[-1]).date().isoformat()
    note = (
        f"time-ordered split: trained on the oldest {cut} tickets, tested on the newest "
        f"{len(docs) - cut}"
        + ("" if test_from is None else f" ({test_from} to {test_to})")
    )
    return model, _with_note(ev, note)


def _with_note(ev: Evaluation, note: str) -> Evaluation:
    from dataclasses import replace

    return replace(ev, notes=(note, *ev.notes))
