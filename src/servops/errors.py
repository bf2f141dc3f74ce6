"""The exceptions servops raises.

Every error servops raises on purpose is a :class:`ServopsError`; the CLI prints it as
``ClassName: message`` and exits with code 1. The tree::

    ServopsError
    ├── LogSchemaError        (ValueError)   a file or table does not fit the event-log schema
    │   └── BadRowsError                     rows with an empty case id, an unparseable timestamp, …
    ├── InvalidParameterError (ValueError)   an argument breaks a declared constraint
    ├── ConfigError           (ValueError)   a YAML config/model/blueprint is malformed
    ├── WorkspaceError        (LookupError)  a stored log is missing, or exists already
    ├── NotFittedError        (AttributeError)
    ├── UnstableSystemError   (ValueError)   offered load >= servers (Erlang C, simulation)
    ├── SimulationError       (RuntimeError) a kernel invariant broke: a bug, please report it
    ├── NotFoundError         (LookupError)  a ticket, user, group… of the service does not exist
    ├── PermissionDeniedError                the caller's role or organisation may not do this
    ├── AuthenticationError                  no, unknown, expired or revoked credentials
    └── ConflictError                        the change clashes with the current state (version,
                                             unique name, transition not allowed from this state)

Messages say what is wrong, the rule, what was received, and a hint.
"""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "BadRowsError",
    "ConfigError",
    "ConflictError",
    "InvalidParameterError",
    "LogSchemaError",
    "NotFittedError",
    "NotFoundError",
    "PermissionDeniedError",
    "ServopsError",
    "SimulationError",
    "UnstableSystemError",
    "WorkspaceError",
]


class ServopsError(Exception):
    """Base class of every error servops raises on purpose."""


class LogSchemaError(ServopsError, ValueError):
    """A file or table does not fit the event-log schema (missing or mistyped column)."""


class BadRowsError(LogSchemaError):
    """Some rows cannot be imported: empty case id, unparseable or missing timestamp.

    Attributes
    ----------
    rows
        The 1-based data-row numbers of the bad rows (at most the first 1,000).
    count
        How many rows are bad in all.
    """

    def __init__(self, message: str, *, rows: list[int], count: int) -> None:
        super().__init__(message)
        self.rows = rows
        self.count = count


class InvalidParameterError(ServopsError, ValueError):
    """An argument breaks a declared constraint."""


class ConfigError(ServopsError, ValueError):
    """A YAML configuration, model, scenario or blueprint is malformed."""


class WorkspaceError(ServopsError, LookupError):
    """A stored log is missing from the workspace, or exists already."""


class NotFittedError(ServopsError, AttributeError):
    """An estimator was used before ``fit``."""


class UnstableSystemError(ServopsError, ValueError):
    """The offered load is at or above the number of servers: queues grow without bound."""


class SimulationError(ServopsError, RuntimeError):
    """A simulation-kernel invariant broke. This is a bug in servops."""


class NotFoundError(ServopsError, LookupError):
    """A ticket, user, group, token, survey or webhook of the service does not exist.

    The API answers 404. A customer asking for another organisation's ticket also gets this
    error (not :class:`PermissionDeniedError`), so ticket numbers of others do not leak.
    """


class PermissionDeniedError(ServopsError):
    """The caller is known but their role, scopes or organisation do not allow this (403)."""


class AuthenticationError(ServopsError):
    """No credentials, or unknown, expired or revoked ones (401)."""


class ConflictError(ServopsError):
    """The change clashes with the current state (409).

    A stale ``version``, a name that exists already, a transition the state machine does not
    allow from the ticket's state, a survey answered already.
    """
