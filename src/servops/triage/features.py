"""Text features of tickets: TF-IDF over word and character n-grams, Chinese and English.

Two blocks, each L2-normalised, side by side:

- **words**: the content words of :func:`servops.feedback.text.tokenize` (jieba for
  Chinese runs, a word regex for English; stop words dropped) and their bigrams;
  redaction marks (``XXXX``, as in masked complaint narratives) are left out;
- **characters**: character 2–5-grams inside word boundaries (``char_wb``), which catch
  misspellings, inflections and Chinese compounds jieba splits differently.

Weights are ``(1 + log tf) * idf`` with the smoothed idf ``log((1 + n) / (1 + df)) + 1``
(scikit-learn's ``TfidfVectorizer(sublinear_tf=True)``). The vocabulary and idf are kept as
plain lists and arrays so a model can be saved without pickling any object.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np

from servops.errors import InvalidParameterError

if TYPE_CHECKING:
    from collections.abc import Sequence

    import scipy.sparse as sp
    from numpy.typing import NDArray

__all__ = ["FeatureSpace", "fit_features", "word_tokens"]

_MASK = re.compile(r"^x+$")


def word_tokens(text: str) -> list[str]:
    """Content words of ``text`` and their bigrams (redaction marks such as XXXX dropped).

    Examples
    --------
    >>> word_tokens("XXXX reported a wrong balance")
    ['reported', 'wrong', 'balance', 'reported wrong', 'wrong balance']
    """
    from servops.feedback.text import tokenize

    words = [w for w in tokenize(text) if not _MASK.match(w)]
    return words + [f"{a} {b}" for a, b in pairwise(words)]


def _identity(tokens: list[str]) -> list[str]:
    return tokens


@dataclass(frozen=True, slots=True)
class FeatureSpace:
    """A fitted vocabulary per block with its idf weights.

    Attributes
    ----------
    words, chars
        The vocabulary of each block, in column order.
    word_idf, char_idf
        The idf weight of each vocabulary entry.
    """

    words: tuple[str, ...]
    chars: tuple[str, ...]
    word_idf: NDArray[np.float64]
    char_idf: NDArray[np.float64]
    # Vectorisers over the fixed vocabularies, built once (a 100,000-entry vocabulary
    # took longer to index than a ticket takes to classify).
    _counters: list[Any] = field(
        default_factory=list, init=False, repr=False, compare=False
    )

    @property
    def size(self) -> int:
        """Number of feature columns."""
        return len(self.words) + len(self.chars)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The TF-IDF matrix of ``texts`` (one row per text)."""
        if not self._counters:
            self._counters.extend(
                [_counter(self.words, _identity), _counter(self.chars, "char_wb")]
            )
        words, chars = self._counters
        word_counts = _counts(words, [word_tokens(t) for t in texts])
        char_counts = _counts(chars, list(texts))
        blocks = [
            _tfidf(word_counts, self.word_idf),
            _tfidf(char_counts, self.char_idf),
        ]
        import scipy.sparse as sp

        return sp.csr_matrix(sp.hstack(blocks, format="csr"))

    def to_arrays(self) -> tuple[dict[str, Any], dict[str, NDArray[np.float64]]]:
        """The JSON part (vocabularies) and the array part (idf) for saving."""
        return (
            {"words": list(self.words), "chars": list(self.chars)},
            {"word_idf": self.word_idf, "char_idf": self.char_idf},
        )

    @classmethod
    def from_arrays(
        cls, meta: dict[str, Any], arrays: dict[str, NDArray[np.float64]]
    ) -> FeatureSpace:
        """Rebuild from :meth:`to_arrays`."""
        return cls(
            words=tuple(str(w) for w in meta["words"]),
            chars=tuple(str(c) for c in meta["chars"]),
            word_idf=np.asarray(arrays["word_idf"], dtype=np.float64),
            char_idf=np.asarray(arrays["char_idf"], dtype=np.float64),
        )


def _counter(vocab: Sequence[str], analyzer: Any) -> Any:  # noqa: ANN401
    """A count vectoriser over a fixed vocabulary (``None`` for an empty one)."""
    from sklearn.feature_extraction.text import CountVectorizer

    if not vocab:
        return None
    return CountVectorizer(
        analyzer=analyzer,
        ngram_range=(2, 5),
        lowercase=True,
        vocabulary={v: i for i, v in enumerate(vocab)},
    )


def _counts(counter: Any, data: list[Any]) -> sp.csr_matrix:  # noqa: ANN401
    """Counts per document (no columns without a vocabulary)."""
    import scipy.sparse as sp

    if counter is None:
        return sp.csr_matrix((len(data), 0), dtype=np.float64)
    return sp.csr_matrix(counter.transform(data))


def _tfidf(counts: sp.csr_matrix, idf: NDArray[np.float64]) -> sp.csr_matrix:
    """Sublinear tf times idf, each row scaled to unit length (empty rows stay zero)."""
    import scipy.sparse as sp

    m = sp.csr_matrix(counts, dtype=np.float64)
    m.data = 1.0 + np.log(m.data)
    m = sp.csr_matrix(m.multiply(idf[np.newaxis, :]))
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return sp.csr_matrix(sp.diags(scale) @ m)


def fit_features(
    texts: Sequence[str], *, min_df: int = 2, max_chars: int = 100_000
) -> FeatureSpace:
    """Learn the vocabularies and idf weights from training texts.

    Parameters
    ----------
    texts
        Training texts.
    min_df
        An n-gram must occur in at least this many texts.
    max_chars
        Keep at most this many character n-grams (the most frequent).
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = list(texts)
    # A single text cannot meet a document-frequency floor above its count.
    floor = min(min_df, max(1, len(docs) // 2))
    wv = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, min_df=floor)
    cv = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 5),
        sublinear_tf=True,
        min_df=floor,
        max_features=max_chars,
    )

    def ordered(
        v: TfidfVectorizer, data: list[Any]
    ) -> tuple[tuple[str, ...], NDArray[np.float64]]:
        try:
            v.fit(data)
        except ValueError:
            # scikit-learn refuses an empty vocabulary (e.g. texts of digits only):
            # the block then has no columns and the other block carries the model.
            return (), np.zeros(0, dtype=np.float64)
        vocab = sorted(v.vocabulary_.items(), key=lambda kv: kv[1])
        return tuple(k for k, _ in vocab), np.asarray(v.idf_, dtype=np.float64)

    words, widf = ordered(wv, [word_tokens(t) for t in docs])
    chars, cidf = ordered(cv, docs)
    if not words and not chars:
        msg = (
            f"the {len(docs)} training texts have no word or character n-gram that "
            f"occurs in {floor} or more of them; give more (or longer) texts."
        )
        raise InvalidParameterError(msg)
    return FeatureSpace(words=words, chars=chars, word_idf=widf, char_idf=cidf)
