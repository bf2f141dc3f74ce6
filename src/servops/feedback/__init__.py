"""Customer feedback: scores, comments, sentiment, drivers, SERVQUAL and KANO.

>>> from servops import feedback
>>> feedback.nps([10, 9, 7, 3]).nps
25.0
"""

from __future__ import annotations

from servops.feedback.analysis import FeedbackAnalysis, analyze_feedback
from servops.feedback.drivers import DriverResult, case_features, drivers
from servops.feedback.kano import kano, kano_category
from servops.feedback.read import prepare_feedback, read_feedback
from servops.feedback.scores import (
    CesResult,
    CsatResult,
    NpsResult,
    ces,
    csat,
    detect_scale,
    nps,
    score_by,
    score_trend,
)
from servops.feedback.sentiment import (
    SentimentModel,
    TrainResult,
    default_model,
    lexicon_score,
    ratings_to_labels,
    sentiment_scores,
    train,
)
from servops.feedback.servqual import ServqualResult, servqual
from servops.feedback.text import (
    ThemeResult,
    detect_language,
    keywords,
    theme_pareto,
    themes,
    tokenize,
)

__all__ = [
    "CesResult",
    "CsatResult",
    "DriverResult",
    "FeedbackAnalysis",
    "NpsResult",
    "SentimentModel",
    "ServqualResult",
    "ThemeResult",
    "TrainResult",
    "analyze_feedback",
    "case_features",
    "ces",
    "csat",
    "default_model",
    "detect_language",
    "detect_scale",
    "drivers",
    "kano",
    "kano_category",
    "keywords",
    "lexicon_score",
    "nps",
    "prepare_feedback",
    "ratings_to_labels",
    "read_feedback",
    "score_by",
    "score_trend",
    "sentiment_scores",
    "servqual",
    "theme_pareto",
    "themes",
    "tokenize",
    "train",
]
