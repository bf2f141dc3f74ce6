"""The work-order service's HTTP API (FastAPI): ``create_app(settings)``.

Importing this package imports FastAPI; ``import servops`` does not.
"""

from __future__ import annotations

from servops.api.app import create_app
from servops.api.settings import ServiceSettings

__all__ = ["ServiceSettings", "create_app"]
