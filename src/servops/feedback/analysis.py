"""One call for the whole picture: scores, languages, sentiment, themes and drivers."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from servops.errors import InvalidParameterError

if TYPE_CHECKING:
    import pyarrow as pa

    from servops.feedback.drivers import DriverResult
    from servops.feedback.sentiment import SentimentModel
    from servops.feedback.text import ThemeResult
    from servops.log import EventLog

__all__ = ["FeedbackAnalysis", "analyze_feedback"]


@dataclass(frozen=True, slots=True)
class FeedbackAnalysis:
    """What ``servops feedback FILE`` prints and the report section shows."""

    n: int
    scale: Literal["nps", "csat"] | None
    score: dict[str, Any] | None
    languages: dict[str, int]
    sentiment: dict[str, int]
    keywords: pa.Table | None
    themes: ThemeResult | None
    pareto_negative: pa.Table | None
    drivers: DriverResult | None
    trend: pa.Table | None
    rows: pa.Table

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (per-row results are left out; see ``rows``)."""
        return {
            "n": self.n,
            "scale": self.scale,
            "score": self.score,
            "languages": self.languages,
            "sentiment": self.sentiment,
            "keywords": self.keywords.to_pylist()
            if self.keywords is not None
            else None,
            "themes": self.themes.themes.to_pylist()
            if self.themes is not None
            else None,
            "pareto_negative": (
                self.pareto_negative.to_pylist()
                if self.pareto_negative is not None
                else None
            ),
            "drivers": self.drivers.to_dict() if self.drivers is not None else None,
            "trend": self.trend.to_pylist() if self.trend is not None else None,
        }


def analyze_feedback(
    feedback: pa.Table,
    *,
    log: EventLog | None = None,
    model: SentimentModel | None = None,
    scale: Literal["auto", "nps", "csat"] = "auto",
    wait_hours: float | None = None,
    sla_hours: float | None = None,
    top_keywords: int = 20,
    min_count: int = 5,
) -> FeedbackAnalysis:
    """Analyse a canonical feedback table (see :func:`servops.feedback.read_feedback`).

    Examples
    --------
    >>> import pyarrow as pa
    >>> fb = pa.table(
    ...     {"score": [9, 10, 3], "comment": ["很好", "great", "waited 3 days"]}
    ... )
    >>> a = analyze_feedback(fb)
    >>> a.scale, a.score["nps"], a.languages
    ('nps', 33.33333333333333, {'en': 2, 'zh': 1})
    """
    import pyarrow as pa

    from servops.feedback.drivers import drivers as find_drivers
    from servops.feedback.scores import csat, detect_scale, nps, score_trend
    from servops.feedback.sentiment import sentiment_scores
    from servops.feedback.text import detect_language, keywords, theme_pareto, themes

    cols = feedback.column_names
    n = feedback.num_rows
    if n == 0:
        msg = (
            "The 'feedback' parameter of analyze_feedback must have at least one "
            "answer. Got a table with no rows instead."
        )
        raise InvalidParameterError(msg)
    extra: dict[str, pa.Array] = {}
    kind: Literal["nps", "csat"] | None = None
    score: dict[str, Any] | None = None
    trend = None
    if "score" in cols:
        raw = feedback.column("score").to_pylist()
        kind = (
            detect_scale([s for s in raw if s is not None])
            if scale == "auto"
            else scale
        )
        score = (nps(raw) if kind == "nps" else csat(raw)).to_dict()
        if "submitted_at" in cols:
            # the log's zone, so feedback periods are the KPI periods
            zone = log.meta.timezone if log is not None else None
            trend = score_trend(feedback, kind=kind, timezone=zone)
    langs: dict[str, int] = {}
    sent: dict[str, int] = {}
    kw = th = pareto = None
    if "comment" in cols:
        texts = feedback.column("comment").to_pylist()
        lang = detect_language(texts)
        langs = dict(sorted(Counter(lang).items()))
        s = sentiment_scores(texts, model)
        extra = {
            "language": pa.array(lang),
            "sentiment": s.column("label").combine_chunks(),
            "p_positive": s.column("score").combine_chunks(),
        }
        sent = dict(
            sorted(
                Counter(
                    x for x in s.column("label").to_pylist() if x is not None
                ).items()
            )
        )
        kw = keywords(texts, top=top_keywords)
        th = themes(texts)
        neg = [
            i for i, x in enumerate(s.column("label").to_pylist()) if x == "negative"
        ]
        pareto = theme_pareto(th, rows=neg)
    drv = None
    if "score" in cols and ("comment" in cols or log is not None):
        drv = find_drivers(
            feedback,
            log=log if "case_id" in cols else None,
            metric=kind or "auto",
            wait_hours=wait_hours,
            sla_hours=sla_hours,
            min_count=min_count,
        )
    rows = feedback
    for k, v in extra.items():
        rows = rows.append_column(k, v)
    return FeedbackAnalysis(
        n, kind, score, langs, sent, kw, th, pareto, drv, trend, rows
    )
