"""Where test data lives: tests/data (ours) and ../shared/data (real logs, not copied)."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
EVENTLOGS = SHARED / "eventlogs"
FEEDBACK = SHARED / "feedback"


def shared_log(name: str) -> Path:
    """Path of a real log in ../shared/data/eventlogs; skips the test if it is absent."""
    path = EVENTLOGS / name
    if not path.exists():
        pytest.skip(f"shared data not present: {path}")
    return path


def shared_feedback(name: str) -> Path:
    """Path of a feedback file in ../shared/data/feedback; skips the test if absent."""
    path = FEEDBACK / name
    if not path.exists():
        pytest.skip(f"shared data not present: {path}")
    return path
