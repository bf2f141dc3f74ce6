"""Parameter checks with one message template (scikit-learn's)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from servops.errors import InvalidParameterError

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable

    from servops._typing import Seed

__all__ = ["as_rng", "check_choice", "check_columns", "check_interval"]


def check_interval(
    value: float,
    name: str,
    owner: str,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    closed: str = "neither",
) -> float:
    """Check that ``low < value < high`` (ends included as ``closed`` says).

    Examples
    --------
    >>> check_interval(0.5, "p", "f", low=0, high=1)
    0.5
    >>> check_interval(-1, "sigma", "ControlChart", low=0)
    Traceback (most recent call last):
    ...
    servops.errors.InvalidParameterError: The 'sigma' parameter of ControlChart must be a \
number in the range (0, inf). Got -1 instead.
    """
    left_ok = value >= low if closed in ("left", "both") else value > low
    right_ok = value <= high if closed in ("right", "both") else value < high
    number = isinstance(value, int | float | np.integer | np.floating)
    if isinstance(value, bool) or not (
        number and not math.isnan(value) and left_ok and right_ok
    ):
        lb = "[" if closed in ("left", "both") else "("
        rb = "]" if closed in ("right", "both") else ")"
        msg = (
            f"The {name!r} parameter of {owner} must be a number in the range "
            f"{lb}{_fmt(low)}, {_fmt(high)}{rb}. Got {value!r} instead."
        )
        raise InvalidParameterError(msg)
    return float(value)


def check_choice(value: str, name: str, owner: str, choices: Collection[str]) -> str:
    """Check that ``value`` is one of ``choices``.

    Examples
    --------
    >>> check_choice("xbar", "kind", "ControlChart", ["xbar", "imr"])
    'xbar'
    """
    if value not in choices:
        msg = (
            f"The {name!r} parameter of {owner} must be one of "
            f"{sorted(choices)}. Got {value!r} instead."
        )
        raise InvalidParameterError(msg)
    return value


def check_columns(
    present: Iterable[str], required: Iterable[str], *, where: str
) -> None:
    """Raise :class:`~servops.errors.LogSchemaError` naming missing columns."""
    from servops.errors import LogSchemaError

    have = list(present)
    missing = [c for c in required if c not in have]
    if missing:
        msg = f"{where}: missing column(s) {missing}. Available columns: {sorted(have)}"
        raise LogSchemaError(msg)


def as_rng(seed: Seed) -> np.random.Generator:
    """Turn a seed into a :class:`numpy.random.Generator`.

    Examples
    --------
    >>> as_rng(7).integers(0, 100) == as_rng(7).integers(0, 100)
    np.True_
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or not isinstance(seed, bool):
        return np.random.default_rng(seed)
    msg = (
        f"The 'seed' parameter must be an int, a numpy Generator or None. Got {seed!r}."
    )
    raise InvalidParameterError(msg)


def _fmt(x: float) -> str:
    if math.isinf(x):
        return "-inf" if x < 0 else "inf"
    return f"{x:g}"
