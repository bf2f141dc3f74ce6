"""One handler maps every :class:`~servops.errors.ServopsError` to a 4xx ``{"type","detail"}``.

==========================  ======
error class                 status
==========================  ======
AuthenticationError         401
PermissionDeniedError       403
NotFoundError, WorkspaceError  404
ConflictError               409
any other ServopsError      422
==========================  ======

Request validation errors (pydantic) answer 422 with ``type: "ValidationError"`` and a
``detail`` that names each bad field (``body.subject: String should have at least 1
character``), plus the raw ``errors`` list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from servops.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ServopsError,
    WorkspaceError,
)

if TYPE_CHECKING:
    from fastapi import FastAPI, Request

__all__ = ["error_body", "install_error_handlers", "status_of", "validation_errors"]

_STATUS: tuple[tuple[type[ServopsError], int], ...] = (
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (NotFoundError, 404),
    (WorkspaceError, 404),
    (ConflictError, 409),
)


def status_of(exc: ServopsError) -> int:
    """The HTTP status for a servops error (422 for any error class not listed)."""
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 422


def error_body(type_: str, detail: str, **extra: object) -> dict[str, object]:
    """The error document: ``{"type": ..., "detail": ...}`` plus extra keys."""
    return {"type": type_, "detail": detail, **extra}


async def _servops_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServopsError)
    status = status_of(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(
        error_body(type(exc).__name__, str(exc)), status_code=status, headers=headers
    )


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(p) for p in loc)


def validation_errors(exc: RequestValidationError) -> tuple[str, list[dict[str, Any]]]:
    """A request's validation errors: one line naming every field, and the list."""
    errors = [
        {
            "field": _field(e.get("loc", ())),
            "message": e.get("msg", ""),
            "type": e.get("type"),
        }
        for e in exc.errors()
    ]
    detail = (
        "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid request"
    )
    return detail, errors


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    detail, errors = validation_errors(exc)
    return JSONResponse(
        error_body("ValidationError", detail, errors=errors), status_code=422
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the ServopsError and validation handlers on ``app``."""
    app.add_exception_handler(ServopsError, _servops_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
