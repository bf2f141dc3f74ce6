"""KANO classification of features from a KANO questionnaire (Kano et al. 1984).

Each respondent answers two questions per feature — *functional* ("if the service had
X, how would you feel?") and *dysfunctional* ("if it did not have X?") — on five answers:

====  =============  ==================================
code  English         中文
====  =============  ==================================
1     like            喜欢
2     must-be/expect  理所当然 / 应该的
3     neutral         无所谓
4     live with       能忍受
5     dislike         不喜欢
====  =============  ==================================

The pair is classified by the standard evaluation table (rows functional, columns
dysfunctional)::

                like  must-be  neutral  live-with  dislike
    like          Q      A        A         A         O
    must-be       R      I        I         I         M
    neutral       R      I        I         I         M
    live-with     R      I        I         I         M
    dislike       R      R        R         R         Q

A attractive, O one-dimensional, M must-be, I indifferent, R reverse, Q questionable.
A feature's category is its most frequent one (ties broken M > O > A > I > R > Q, the
order of importance of Berger et al. 1993). Customer-satisfaction coefficients
(Berger et al. 1993): ``better = (A + O) / (A + O + M + I)``,
``worse = -(O + M) / (A + O + M + I)``.

**Input formats** (one row per respondent):

- *long*: columns ``feature``, ``functional``, ``dysfunctional`` (one row per respondent
  and feature);
- *wide*: for each feature ``F`` two columns ``F_functional`` and ``F_dysfunctional``.

Answers may be the codes 1–5 or the words above (case-insensitive).

Examples
--------
>>> import pyarrow as pa
>>> t = pa.table(
...     {
...         "feature": ["sms"] * 3,
...         "functional": ["1", "1", "like"],
...         "dysfunctional": ["5", "3", "neutral"],
...     }
... )
>>> r = kano(t).to_pylist()[0]
>>> r["category"], r["A"], r["O"], round(r["better"], 3), round(r["worse"], 3)
('attractive', 2, 1, 1.0, -0.333)
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from servops.errors import LogSchemaError

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["CATEGORY_NAMES", "kano", "kano_category"]

_TABLE = (
    "QAAAO",
    "RIIIM",
    "RIIIM",
    "RIIIM",
    "RRRRQ",
)
CATEGORY_NAMES = {
    "A": "attractive",
    "O": "one-dimensional",
    "M": "must-be",
    "I": "indifferent",
    "R": "reverse",
    "Q": "questionable",
}
_TIE_ORDER = "MOAIRQ"
_WORDS = {
    1: ("like", "i like it", "喜欢", "很喜欢", "delighted"),
    2: (
        "must-be",
        "must be",
        "expect",
        "i expect it",
        "expected",
        "理所当然",
        "应该的",
        "必须的",
        "本应如此",
    ),
    3: ("neutral", "i am neutral", "indifferent", "无所谓", "中立", "一般"),
    4: (
        "live with",
        "live-with",
        "tolerate",
        "i can live with it",
        "能忍受",
        "可以忍受",
        "勉强接受",
    ),
    5: ("dislike", "i dislike it", "不喜欢", "很不喜欢"),
}
_ANSWER = {w: k for k, ws in _WORDS.items() for w in ws}


def _answer(v: object, where: str) -> int:
    if (
        isinstance(v, int | float)
        and not isinstance(v, bool)
        and float(v) in (1, 2, 3, 4, 5)
    ):
        return int(v)
    s = str(v).strip().lower()
    if s in ("1", "2", "3", "4", "5", "1.0", "2.0", "3.0", "4.0", "5.0"):
        return int(float(s))
    if s in _ANSWER:
        return _ANSWER[s]
    msg = (
        f"KANO answer {v!r} at {where} is not understood; use 1–5 (1 like, 2 must-be, "
        f"3 neutral, 4 live with, 5 dislike) or those words."
    )
    raise LogSchemaError(msg)


def kano_category(functional: int, dysfunctional: int) -> str:
    """The one-letter category of one answer pair (codes 1–5).

    Examples
    --------
    >>> (
    ...     kano_category(1, 5),
    ...     kano_category(3, 5),
    ...     kano_category(1, 3),
    ...     kano_category(3, 3),
    ... )
    ('O', 'M', 'A', 'I')
    """
    return _TABLE[functional - 1][dysfunctional - 1]


def kano(table: pa.Table) -> pa.Table:
    """Classify each feature: counts per category, category, better and worse.

    Returns a table with ``feature, n, A, O, M, I, R, Q, category, better, worse``,
    sorted by feature in input order.

    Raises
    ------
    LogSchemaError
        Neither the long nor the wide format is found, or an answer is not understood
        (the message names the row and column).
    """
    import pyarrow as pa

    cols = table.column_names
    pairs: dict[str, list[tuple[int, int]]] = {}
    if {"feature", "functional", "dysfunctional"} <= set(cols):
        feats = table.column("feature").to_pylist()
        fun = table.column("functional").to_pylist()
        dys = table.column("dysfunctional").to_pylist()
        for i, (f, a, b) in enumerate(zip(feats, fun, dys, strict=True)):
            if f is None or a is None or b is None:
                continue
            pairs.setdefault(str(f), []).append(
                (
                    _answer(a, f"row {i + 1}, column 'functional'"),
                    _answer(b, f"row {i + 1}, column 'dysfunctional'"),
                )
            )
    else:
        feats_w = [c[: -len("_functional")] for c in cols if c.endswith("_functional")]
        feats_w = [f for f in feats_w if f"{f}_dysfunctional" in cols]
        if not feats_w:
            msg = (
                "KANO input needs either columns 'feature', 'functional', 'dysfunctional' "
                "(long) or pairs '<feature>_functional' / '<feature>_dysfunctional' (wide). "
                f"Available columns: {cols}"
            )
            raise LogSchemaError(msg)
        for f in feats_w:
            fun = table.column(f"{f}_functional").to_pylist()
            dys = table.column(f"{f}_dysfunctional").to_pylist()
            pairs[f] = [
                (
                    _answer(a, f"row {i + 1}, column '{f}_functional'"),
                    _answer(b, f"row {i + 1}, column '{f}_dysfunctional'"),
                )
                for i, (a, b) in enumerate(zip(fun, dys, strict=True))
                if a is not None and b is not None
            ]
    rows = []
    for feature, answers in pairs.items():
        c = Counter(kano_category(a, b) for a, b in answers)
        top = max(_TIE_ORDER, key=lambda k: (c[k], -_TIE_ORDER.index(k)))
        base = c["A"] + c["O"] + c["M"] + c["I"]
        rows.append(
            {
                "feature": feature,
                "n": len(answers),
                **{k: c[k] for k in "AOMIRQ"},
                "category": CATEGORY_NAMES[top] if answers else None,
                "better": (c["A"] + c["O"]) / base if base else None,
                "worse": -(c["O"] + c["M"]) / base if base else None,
            }
        )
    schema = pa.schema(
        [("feature", pa.string()), ("n", pa.int64())]
        + [(k, pa.int64()) for k in "AOMIRQ"]
        + [("category", pa.string()), ("better", pa.float64()), ("worse", pa.float64())]
    )
    return pa.Table.from_pylist(rows, schema=schema)
