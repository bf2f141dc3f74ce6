"""Reading HTML form posts (``application/x-www-form-urlencoded``) without extra packages.

The pages post ordinary forms (HTMX sends the same encoding). :func:`read_form` is an async
dependency, so the routes themselves stay synchronous (they run in the thread pool).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, TypeVar
from urllib.parse import parse_qs

from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError

from servops.errors import InvalidParameterError

__all__ = ["Form", "FormFields", "read_form", "validated"]

_MAX_BYTES = 1_000_000
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class FormFields:
    """The fields of a posted form: each name with all its values, in order."""

    values: dict[str, list[str]]

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of ``name`` (stripped), or ``default`` when absent or blank."""
        vals = self.values.get(name)
        if not vals or not vals[0].strip():
            return default
        return vals[0].strip()

    def require(self, name: str) -> str:
        """The first value of ``name``; :class:`InvalidParameterError` naming it if blank."""
        value = self.get(name)
        if value is None:
            msg = f"the form field {name!r} is required."
            raise InvalidParameterError(msg)
        return value

    def all(self, name: str) -> list[str]:
        """Every non-blank value of ``name`` (e.g. the ticked checkboxes)."""
        return [v.strip() for v in self.values.get(name, []) if v.strip()]

    def integers(self, name: str) -> list[int]:
        """Every value of ``name`` as an integer; an error names the field and value."""
        out = []
        for v in self.all(name):
            if not v.isdigit():
                msg = f"the form field {name!r} must hold whole numbers; got {v!r}."
                raise InvalidParameterError(msg)
            out.append(int(v))
        return out


async def read_form(request: Request) -> FormFields:
    """The request's url-encoded form fields (an empty form for other bodies)."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        return FormFields({})
    body = await request.body()
    if len(body) > _MAX_BYTES:
        msg = f"the form is {len(body):,} bytes; at most {_MAX_BYTES:,} are accepted."
        raise InvalidParameterError(msg)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        msg = f"the form is not UTF-8 (byte {exc.start} is {body[exc.start]:#04x})."
        raise InvalidParameterError(msg) from exc
    if "\x00" in text:
        msg = "the form holds a NUL character, which text fields cannot store."
        raise InvalidParameterError(msg)
    return FormFields(parse_qs(text, keep_blank_values=True))


Form = Annotated[FormFields, Depends(read_form)]


def validated(model: type[M], **values: object) -> M:
    """``model(**values)`` (an API input schema); its errors name the form fields."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        msg = f"the form is not valid: {detail}."
        raise InvalidParameterError(msg) from exc
