"""Customer feedback: scores, comments, sentiment, drivers, SERVQUAL and KANO."""

from __future__ import annotations

from servops.feedback.sentiment import (
    SentimentModel,
    TrainResult,
    default_model,
    ratings_to_labels,
    sentiment_scores,
    train,
)

__all__ = [
    "SentimentModel",
    "TrainResult",
    "default_model",
    "ratings_to_labels",
    "sentiment_scores",
    "train",
]
