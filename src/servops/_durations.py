"""Durations: the one syntax servops reads and the one way it prints them.

The syntax, everywhere (configs, blueprints, schedules, CLI options, Python arguments):
one or more *number + unit* parts, spaces allowed, e.g. ``30m``, ``1h30m``, ``1.5h``,
``15 min``, ``2 h``, ``14d``, ``90s``, ``30分钟``. Units:

======================================  =========
unit                                    seconds
======================================  =========
``s sec secs second seconds 秒 秒钟``    1
``m min mins minute minutes 分 分钟``    60
``h hr hrs hour hours 小时 个小时 时``   3,600
``d day days 天 日 个工作日``            86,400
``w wk week weeks 周 星期``              604,800
======================================  =========

A bare number is seconds, except where a reader says otherwise: SLA targets refuse it
(a forgotten unit is likelier than seconds) and blueprints, written in minutes from the
start, read it as minutes. A :class:`~datetime.timedelta` is taken as it is.

Printed durations use :func:`format_duration`: ``42 s``, ``90 min``, ``3.5 h``, ``2.1 d``.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Literal

from servops.errors import InvalidParameterError, ServopsError

__all__ = ["DURATION_UNITS", "UNIT_PATTERN", "format_duration", "parse_duration"]

DURATION_UNITS: dict[str, float] = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "w": 604800,
    "wk": 604800,
    "week": 604800,
    "weeks": 604800,
    "秒": 1,
    "秒钟": 1,
    "分": 60,
    "分钟": 60,
    "小时": 3600,
    "个小时": 3600,
    "时": 3600,
    "天": 86400,
    "日": 86400,
    "个工作日": 86400,
    "周": 604800,
    "星期": 604800,
}
#: A regex alternation of the units, longest first (``min`` before ``m``).
UNIT_PATTERN = "|".join(sorted(DURATION_UNITS, key=len, reverse=True))
_PART = re.compile(rf"\s*(\d+(?:\.\d+)?)\s*({UNIT_PATTERN})(?![a-z])", re.IGNORECASE)
_BARE = re.compile(r"\s*\d+(?:\.\d+)?\s*")
_DAY_UNITS = {u for u, s in DURATION_UNITS.items() if s >= 86400}
_SYNTAX = (
    "write a number and a unit such as 30m, 1h30m, 1.5h, 15 min, 2 h or 14d "
    "(units s, m/min, h, d, w; 秒, 分钟, 小时, 天, 周)"
)


def parse_duration(
    value: object,
    where: str = "duration",
    *,
    error: type[ServopsError] = InvalidParameterError,
    bare_unit: Literal["s", "min"] | None = "s",
    positive: bool = False,
    business: bool = False,
) -> timedelta:
    """Read a duration written in servops' one syntax (see the module docstring).

    Parameters
    ----------
    value
        Text such as ``"1h30m"``, a number (seconds, or ``bare_unit``) or a timedelta.
    where
        What is being read (a config key with its file and line, or ``--interval``):
        the error message starts with it.
    error
        The :class:`~servops.errors.ServopsError` class to raise
        (``InvalidParameterError`` for arguments, ``ConfigError`` for files).
    bare_unit
        The unit of a bare number; ``None`` refuses bare numbers (where a forgotten
        unit is more likely than seconds, as in SLA targets).
    positive
        Refuse zero.
    business
        The duration is business time: days are refused (a "business day" means
        different hours on different calendars).

    Raises
    ------
    ServopsError
        Of class ``error``, naming ``where``, the value and the syntax.

    Examples
    --------
    >>> parse_duration("1h30m"), parse_duration("15 min"), parse_duration(90)
    (datetime.timedelta(seconds=5400), datetime.timedelta(seconds=900), \
datetime.timedelta(seconds=90))
    >>> parse_duration("soon", "sla.resolution (kpi.yaml, line 4)")
    Traceback (most recent call last):
    ...
    servops.errors.InvalidParameterError: sla.resolution (kpi.yaml, line 4): 'soon' is \
not a duration; write a number and a unit such as 30m, 1h30m, 1.5h, 15 min, 2 h or 14d \
(units s, m/min, h, d, w; 秒, 分钟, 小时, 天, 周).
    """
    if isinstance(value, timedelta):
        seconds, units = value.total_seconds(), ["s"]
    elif (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and bare_unit is not None
    ):
        seconds, units = float(value) * DURATION_UNITS[bare_unit], [bare_unit]
    else:
        seconds, units = _parse_text(value, where, error, bare_unit)
    if not math.isfinite(seconds) or seconds < 0 or (positive and seconds == 0):
        rule = "longer than zero" if positive else "zero or longer"
        msg = f"{where}: a duration must be {rule}; got {value!r}."
        raise error(msg)
    if business and any(u.lower() in _DAY_UNITS for u in units):
        msg = (
            f"{where}: {value!r} uses days on a business calendar (weeks too), which "
            "is ambiguous; write business hours instead (e.g. 3 days of 10 h = '30h')."
        )
        raise error(msg)
    return timedelta(seconds=seconds)


def _parse_text(
    value: object, where: str, error: type[ServopsError], bare_unit: str | None
) -> tuple[float, list[str]]:
    text = str(value) if isinstance(value, str) else ""
    if bare_unit is not None and _BARE.fullmatch(text):
        return float(text) * DURATION_UNITS[bare_unit], [bare_unit]
    pos, total, units = 0, 0.0, []
    for m in _PART.finditer(text):
        if m.start() != pos:
            break
        unit = m.group(2) if not m.group(2).isascii() else m.group(2).lower()
        units.append(unit)
        total += float(m.group(1)) * DURATION_UNITS[unit]
        pos = m.end()
    if not units or text[pos:].strip():
        msg = f"{where}: {value!r} is not a duration; {_SYNTAX}."
        raise error(msg)
    return total, units


def format_duration(seconds: float | timedelta | None) -> str:
    """Format a duration for people: ``42 s``, ``90 min``, ``3.5 h``, ``2.1 d`` (signed).

    Nothing measured (``None`` or NaN) prints as ``–``.

    Examples
    --------
    >>> format_duration(42), format_duration(5400), format_duration(3 * 86400)
    ('42 s', '90 min', '3.0 d')
    >>> format_duration(-7200), format_duration(None)
    ('-2.0 h', '–')
    """
    if seconds is None:
        return "–"
    s = seconds.total_seconds() if isinstance(seconds, timedelta) else float(seconds)
    if not math.isfinite(s):
        return "–"
    a = abs(s)
    if a < 120:
        return f"{s:.0f} s"
    if a < 7200:
        return f"{s / 60:.0f} min"
    if a < 172800:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} d"
