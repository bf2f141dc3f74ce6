r"""Survey scores: NPS, CSAT and CES with confidence intervals, by segment and over time.

**NPS** (Reichheld 2003) on a 0–10 scale: promoters score 9–10, passives 7–8,
detractors 0–6; :math:`\mathrm{NPS} = 100\,(\hat p_P - \hat p_D)`. Each answer is a draw of
:math:`X \in \{+1, 0, -1\}`, so the NPS is 100 times a mean and its variance is the
multinomial one,

.. math:: \operatorname{Var}(\hat p_P - \hat p_D) = \frac{p_P + p_D - (p_P - p_D)^2}{n},

and the interval is :math:`\mathrm{NPS} \pm z\,100\sqrt{\mathrm{Var}}` (Wald), clipped to
[−100, 100]. With fewer than ~30 answers the interval is rough.

**CSAT** on a 1–5 scale: the share of satisfied answers (4–5, "top-two box") in percent,
with a Wilson score interval (Wilson 1927).

**CES** (customer effort, 1–7 by default, low = easy): the mean with a Student-t interval.

Examples
--------
>>> r = nps([10, 9, 8, 6, 3])
>>> r.promoters, r.passives, r.detractors, r.nps
(2, 1, 2, 0.0)
>>> csat([5, 4, 2, 1]).csat
50.0
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

from servops._validation import check_choice, check_interval
from servops.errors import InvalidParameterError, LogSchemaError

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pyarrow as pa

__all__ = [
    "CesResult",
    "CsatResult",
    "NpsResult",
    "ScoreKind",
    "ces",
    "csat",
    "detect_scale",
    "nps",
    "score_by",
    "score_trend",
]

ScoreKind = Literal["nps", "csat", "ces"]


def _z(confidence: float) -> float:
    from scipy.stats import norm

    check_interval(confidence, "confidence", "score", low=0, high=1)
    return float(norm.ppf(0.5 + confidence / 2))


def _values(
    scores: Sequence[float | None], low: float, high: float, what: str
) -> list[float]:
    out: list[float] = []
    for i, s in enumerate(scores):
        if s is None or math.isnan(float(s)):
            continue
        v = float(s)
        if not low <= v <= high:
            msg = (
                f"{what} scores must lie in [{low:g}, {high:g}]; row {i + 1} is {s!r}. "
                f"Check the scale (NPS 0–10, CSAT 1–5, CES 1–7) or pass scale=…"
            )
            raise InvalidParameterError(msg)
        out.append(v)
    return out


@dataclass(frozen=True, slots=True)
class NpsResult:
    """Net Promoter Score in points (−100…100) with its confidence interval."""

    n: int
    promoters: int
    passives: int
    detractors: int
    nps: float
    ci_low: float
    ci_high: float
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class CsatResult:
    """CSAT: percent of satisfied answers (≥ ``satisfied_from``), Wilson interval."""

    n: int
    satisfied: int
    csat: float
    ci_low: float
    ci_high: float
    mean: float
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class CesResult:
    """Customer effort score: mean effort (low = easy) with a t interval."""

    n: int
    mean: float
    ci_low: float
    ci_high: float
    share_easy: float
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def nps(scores: Sequence[float | None], *, confidence: float = 0.95) -> NpsResult:
    """Net Promoter Score of 0–10 answers (missing answers are skipped).

    Examples
    --------
    >>> r = nps([10] * 6 + [8] * 2 + [2] * 2)
    >>> r.nps, round(r.ci_low, 1), round(r.ci_high, 1)
    (40.0, -9.6, 89.6)
    """
    v = _values(scores, 0, 10, "NPS")
    n = len(v)
    p = sum(1 for s in v if s >= 9)
    d = sum(1 for s in v if s <= 6)
    if n == 0:
        return NpsResult(0, 0, 0, 0, math.nan, math.nan, math.nan, confidence)
    pp, pd = p / n, d / n
    value = 100 * (pp - pd)
    half = _z(confidence) * 100 * math.sqrt(max(pp + pd - (pp - pd) ** 2, 0.0) / n)
    return NpsResult(
        n,
        p,
        n - p - d,
        d,
        value,
        max(value - half, -100.0),
        min(value + half, 100.0),
        confidence,
    )


def _wilson(k: int, n: int, z: float) -> tuple[float, float]:
    if n == 0:
        return math.nan, math.nan
    ph = k / n
    den = 1 + z * z / n
    centre = (ph + z * z / (2 * n)) / den
    half = z * math.sqrt(ph * (1 - ph) / n + z * z / (4 * n * n)) / den
    return max(centre - half, 0.0), min(centre + half, 1.0)


def csat(
    scores: Sequence[float | None],
    *,
    scale: int = 5,
    satisfied_from: float | None = None,
    confidence: float = 0.95,
) -> CsatResult:
    """CSAT in percent: the share of answers ≥ ``satisfied_from`` (default 4 of 5).

    Examples
    --------
    >>> r = csat([5, 5, 4, 3, 1])
    >>> r.csat, round(r.ci_low, 1), round(r.ci_high, 1)
    (60.0, 23.1, 88.2)
    """
    top = float(satisfied_from if satisfied_from is not None else scale - 1)
    v = _values(scores, 1, scale, "CSAT")
    n = len(v)
    k = sum(1 for s in v if s >= top)
    lo, hi = _wilson(k, n, _z(confidence))
    return CsatResult(
        n,
        k,
        100 * k / n if n else math.nan,
        100 * lo,
        100 * hi,
        sum(v) / n if n else math.nan,
        confidence,
    )


def ces(
    scores: Sequence[float | None],
    *,
    scale: int = 7,
    easy_up_to: float | None = None,
    confidence: float = 0.95,
) -> CesResult:
    """Customer effort: mean of 1–``scale`` answers (1 = very easy) with a t interval.

    ``share_easy`` is the percent of answers ≤ ``easy_up_to`` (default: the lower third).

    Examples
    --------
    >>> r = ces([1, 2, 3, 6])
    >>> r.mean, r.share_easy
    (3.0, 75.0)
    """
    from scipy.stats import t as student

    v = _values(scores, 1, scale, "CES")
    n = len(v)
    easy = easy_up_to if easy_up_to is not None else 1 + (scale - 1) / 3
    if n == 0:
        return CesResult(0, math.nan, math.nan, math.nan, math.nan, confidence)
    mean = sum(v) / n
    if n > 1:
        sd = math.sqrt(sum((x - mean) ** 2 for x in v) / (n - 1))
        half = float(student.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)
    else:
        half = math.nan
    return CesResult(
        n,
        mean,
        mean - half,
        mean + half,
        100 * sum(1 for x in v if x <= easy) / n,
        confidence,
    )


def detect_scale(scores: Sequence[float | None]) -> Literal["nps", "csat"]:
    """``nps`` when any score is 0 or above 5, else ``csat``.

    Examples
    --------
    >>> detect_scale([1, 5, 4]), detect_scale([0, 3]), detect_scale([7, 9])
    ('csat', 'nps', 'nps')
    """
    vals = [float(s) for s in scores if s is not None and not math.isnan(float(s))]
    return "nps" if any(v > 5 or v == 0 for v in vals) else "csat"


def _metric_sql(kind: ScoreKind, col: str, z: float) -> str:
    """SQL aggregates: n, value, ci_low, ci_high (portable: avg/sum/sqrt/case)."""
    if kind == "nps":
        x = f"(CASE WHEN {col} >= 9 THEN 1.0 WHEN {col} <= 6 THEN -1.0 ELSE 0.0 END)"
        pp = f"avg(CASE WHEN {col} >= 9 THEN 1.0 ELSE 0.0 END)"
        pd = f"avg(CASE WHEN {col} <= 6 THEN 1.0 ELSE 0.0 END)"
        half = f"{z} * 100 * sqrt(greatest({pp} + {pd} - power(avg({x}), 2), 0) / count({col}))"
        return (
            f"count({col}) AS n, 100 * avg({x}) AS value, "
            f"greatest(100 * avg({x}) - {half}, -100) AS ci_low, "
            f"least(100 * avg({x}) + {half}, 100) AS ci_high"
        )
    if kind == "csat":
        ph = f"avg(CASE WHEN {col} >= 4 THEN 1.0 ELSE 0.0 END)"
        n = f"count({col})"
        den = f"(1 + {z * z} / {n})"
        centre = f"(({ph} + {z * z} / (2 * {n})) / {den})"
        half = (
            f"({z} * sqrt({ph} * (1 - {ph}) / {n} + {z * z} / (4 * {n} * {n})) / {den})"
        )
        return (
            f"{n} AS n, 100 * {ph} AS value, 100 * greatest({centre} - {half}, 0) "
            f"AS ci_low, 100 * least({centre} + {half}, 1) AS ci_high"
        )
    half = f"{z} * stddev_samp({col}) / sqrt(count({col}))"
    return (
        f"count({col}) AS n, avg({col}) AS value, avg({col}) - {half} AS ci_low, "
        f"avg({col}) + {half} AS ci_high"
    )


def _check_table(table: pa.Table, cols: Sequence[str], where: str) -> None:
    missing = [c for c in cols if c not in table.column_names]
    if missing:
        msg = f"{where}: missing column(s) {missing}. Available columns: {table.column_names}"
        raise LogSchemaError(msg)


def score_by(
    table: pa.Table,
    by: str,
    *,
    score: str = "score",
    kind: ScoreKind | None = None,
    confidence: float = 0.95,
) -> pa.Table:
    """NPS/CSAT/CES per segment (``by``), largest segments first.

    Columns ``segment, n, value, ci_low, ci_high``; ``kind`` defaults to
    :func:`detect_scale` of the scores.

    Examples
    --------
    >>> import pyarrow as pa
    >>> t = pa.table(
    ...     {"score": [10, 9, 3, 5], "channel": ["chat", "chat", "phone", "phone"]}
    ... )
    >>> score_by(t, "channel").select(["segment", "n", "value"]).to_pylist()
    [{'segment': 'chat', 'n': 2, 'value': 100.0}, {'segment': 'phone', 'n': 2, 'value': -100.0}]
    """
    import duckdb

    _check_table(table, [score, by], "score_by")
    k = kind or detect_scale(table.column(score).to_pylist())
    check_choice(k, "kind", "score_by", ("nps", "csat", "ces"))
    z = _z(confidence)
    con = duckdb.connect()
    try:
        con.register("fb", table)
        sql = (
            f'SELECT CAST("{by}" AS VARCHAR) AS segment, {_metric_sql(k, chr(34) + score + chr(34), z)} '
            f'FROM fb WHERE "{score}" IS NOT NULL GROUP BY 1 ORDER BY n DESC, segment'
        )
        return con.sql(sql).to_arrow_table()
    finally:
        con.close()


def score_trend(
    table: pa.Table,
    *,
    date: str = "submitted_at",
    score: str = "score",
    kind: ScoreKind | None = None,
    freq: Literal["day", "week", "month", "quarter"] = "month",
    confidence: float = 0.95,
    timezone: str | None = None,
) -> pa.Table:
    """NPS/CSAT/CES per period: columns ``period, n, value, ci_low, ci_high``.

    Periods come from :mod:`servops.log.periods`, cut on the wall clock of
    ``timezone`` (give the log's or the KPI config's zone so that feedback weeks are the
    KPI weeks; default UTC). Naive timestamps are read as UTC; a date column is taken
    as the local day itself. ``period`` is the period's first day.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from datetime import datetime
    >>> t = pa.table(
    ...     {
    ...         "score": [5, 1, 4],
    ...         "submitted_at": [
    ...             datetime(2024, 1, 3),
    ...             datetime(2024, 1, 9),
    ...             datetime(2024, 2, 1),
    ...         ],
    ...     }
    ... )
    >>> [(r["period"].month, r["value"]) for r in score_trend(t).to_pylist()]
    [(1, 50.0), (2, 100.0)]
    """
    import duckdb

    _check_table(table, [score, date], "score_trend")
    check_choice(freq, "freq", "score_trend", ("day", "week", "month", "quarter"))
    k = kind or detect_scale(table.column(score).to_pylist())
    z = _z(confidence)
    import pyarrow as pa

    from servops.log.engine import epoch_s
    from servops.log.periods import bucket_sql, key_dates

    dtype = table.schema.field(date).type
    zone = "UTC" if pa.types.is_date(dtype) else (timezone or "UTC")
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("fb", table)
        stamp = f'CAST("{date}" AS TIMESTAMPTZ)'
        lo, hi = con.execute(f"SELECT min({stamp}), max({stamp}) FROM fb").fetchall()[0]
        years = (
            (lo.year, hi.year) if lo is not None and hi is not None else (1970, 1970)
        )
        key = bucket_sql("__e", freq, zone, *years)
        sql = (
            f"SELECT {key} AS period, {_metric_sql(k, chr(34) + score + chr(34), z)} "
            f"FROM (SELECT *, {epoch_s(stamp)} AS __e FROM fb) "
            f'WHERE "{score}" IS NOT NULL AND "{date}" IS NOT NULL GROUP BY 1 ORDER BY 1'
        )
        out = con.sql(sql).to_arrow_table()
    finally:
        con.close()
    return out.set_column(0, "period", key_dates(out.column(0), freq))
