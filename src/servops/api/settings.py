"""Settings of the service API (what :func:`servops.api.app.create_app` needs)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["ServiceSettings"]


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ServiceSettings:
    """Everything the API reads at start.

    Attributes
    ----------
    database_url
        ``postgresql://…`` of the service database (migrated at start unless ``migrate`` is
        False).
    secret_key
        Signs session cookies and CSRF tokens; keep it stable across restarts (``servops
        serve`` keeps one in the data directory). A random one is made if empty.
    now
        The clock (UTC); tests freeze it.
    session_ttl, survey_ttl
        Lifetime of a browser session and of a survey link.
    cookie_secure
        Send cookies only over HTTPS (turn off for plain-HTTP loopback demos).
    triage_model
        A trained ticket classifier (``servops.triage``); tickets then show its suggestion.
    sla_config, escalation
        A KPI config YAML with SLA policies and calendars (as ``servops sla -c`` reads)
        and escalation rules: with them, every ticket change keeps its SLA timers current.
    public_url
        Base URL for links the service hands out (survey links).
    pool_size
        Database connections of the API process: all of them stay open (no overflow
        connections: under load, opening and closing those for every request cost more
        CPU than the writes themselves).
    token_cache_ttl
        Seconds an API token, once checked against the database, is trusted without
        asking it again (:class:`servops.service.access.TokenCache`; expiry is checked
        at every request, and revoking a token or changing a user through this process
        clears the cache). Another process serving the same database sees a revocation
        within this time. 0: ask the database at every request.
    """

    database_url: str
    secret_key: bytes = b""
    now: Callable[[], datetime] = _utcnow
    session_ttl: timedelta = timedelta(hours=12)
    survey_ttl: timedelta = timedelta(days=14)
    cookie_secure: bool = False
    triage_model: Path | None = None
    sla_config: Path | None = None
    escalation: Path | None = None
    public_url: str = "http://127.0.0.1:8000"
    pool_size: int = 20
    migrate: bool = True
    token_cache_ttl: float = 1.0

    def key(self) -> bytes:
        """The signing key (``secret_key``, or a process-wide random one)."""
        return self.secret_key or _PROCESS_KEY

    def to_environment(self) -> str:
        """These settings as text for worker processes (:meth:`from_environment`).

        The clock cannot travel (worker processes use the UTC wall clock: a settable
        clock, as ``--demo`` or a test has, raises); ``secret_key`` travels as hex.

        Examples
        --------
        >>> s = ServiceSettings(
        ...     "postgresql://u@h/db", secret_key=b"k" * 16, pool_size=3
        ... )
        >>> ServiceSettings.from_environment(s.to_environment()) == s
        True
        """
        import json

        from servops.errors import InvalidParameterError

        if self.now is not _utcnow:
            msg = "settings with their own clock (as --demo's) cannot go to worker processes."
            raise InvalidParameterError(msg)
        return json.dumps(
            {
                "database_url": self.database_url,
                "secret_key": self.secret_key.hex(),
                "session_ttl": self.session_ttl.total_seconds(),
                "survey_ttl": self.survey_ttl.total_seconds(),
                "cookie_secure": self.cookie_secure,
                "triage_model": _path_text(self.triage_model),
                "sla_config": _path_text(self.sla_config),
                "escalation": _path_text(self.escalation),
                "public_url": self.public_url,
                "pool_size": self.pool_size,
                "migrate": self.migrate,
                "token_cache_ttl": self.token_cache_ttl,
            }
        )

    @classmethod
    def from_environment(cls, text: str) -> ServiceSettings:
        """The settings that :meth:`to_environment` wrote."""
        import json

        d = json.loads(text)
        return cls(
            database_url=d["database_url"],
            secret_key=bytes.fromhex(d["secret_key"]),
            session_ttl=timedelta(seconds=d["session_ttl"]),
            survey_ttl=timedelta(seconds=d["survey_ttl"]),
            cookie_secure=d["cookie_secure"],
            triage_model=_path(d["triage_model"]),
            sla_config=_path(d["sla_config"]),
            escalation=_path(d["escalation"]),
            public_url=d["public_url"],
            pool_size=d["pool_size"],
            migrate=d["migrate"],
            token_cache_ttl=d["token_cache_ttl"],
        )


def _path_text(p: Path | None) -> str | None:
    return None if p is None else str(p)


def _path(text: str | None) -> Path | None:
    return None if text is None else Path(text)


_PROCESS_KEY = secrets.token_bytes(32)
