"""Suggested category or group from a ticket's text (Chinese and English).

``train(texts, labels, times)`` fits a :class:`TicketClassifier` on closed tickets;
``.suggest(text)`` gives a :class:`Suggestion` with a calibrated confidence (abstaining
below a threshold); ``validate`` measures it with a time-ordered split against the
majority-class baseline. Models are saved as plain ``.npz`` files (no pickle).

Examples
--------
>>> from servops import triage
>>> clf = triage.train(
...     [
...         "card declined at the shop",
...         "stolen card",
...         "loan rate too high",
...         "late loan payment",
...         "信用卡被盗",
...         "贷款利率太高",
...     ]
...     * 2,
...     ["card", "card", "loan", "loan", "card", "loan"] * 2,
...     threshold=0.0,
... )
>>> clf.suggest("my card was declined").label
'card'
"""

from __future__ import annotations

from servops.triage.model import (
    Evaluation,
    Suggestion,
    TicketClassifier,
    ticket_text,
    train,
    validate,
)
from servops.triage.read import TicketData, read_tickets

__all__ = [
    "Evaluation",
    "Suggestion",
    "TicketClassifier",
    "TicketData",
    "read_tickets",
    "ticket_text",
    "train",
    "validate",
]
