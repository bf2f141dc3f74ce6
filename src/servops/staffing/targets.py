"""Service-level targets: "80 % answered within 20 s", "90 % within 2 h".

A call centre writes its target as ``80/20s``; a ticket desk takes it from its SLA
("first response within 2 h") and an attainment level (90 % of tickets). Both are a
:class:`ServiceTarget`: a share (``level``) answered within a ``threshold``.

>>> parse_service_target("80/20s")
ServiceTarget(level=0.8, threshold_s=20.0, source='80/20s')
>>> parse_service_target("90%/2h").label()
'90 % within 2.0 h'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from servops._durations import format_duration, parse_duration
from servops.errors import ConfigError, InvalidParameterError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from servops.kpi.config import KpiConfig
    from servops.log import EventLog

__all__ = ["ServiceTarget", "parse_service_target", "service_target_from_sla"]

_TARGET = re.compile(r"\s*(\d+(?:\.\d+)?)\s*%?\s*/\s*(.+?)\s*")


@dataclass(frozen=True, slots=True)
class ServiceTarget:
    """A share ``level`` (0-1) of arrivals answered within ``threshold_s`` seconds.

    ``source`` says where the target came from (the option text or the SLA policy).
    """

    level: float
    threshold_s: float
    source: str = ""

    def label(self) -> str:
        """``80 % within 20 s``."""
        return f"{self.level * 100:g} % within {format_duration(self.threshold_s)}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "level": self.level,
            "threshold_s": self.threshold_s,
            "source": self.source,
        }


def parse_service_target(text: str, where: str = "--target") -> ServiceTarget:
    """Read ``LEVEL/THRESHOLD``: ``80/20s``, ``90%/2h``, ``0.9/30m``.

    A level above 1 is a percentage. A bare threshold is seconds.

    Raises
    ------
    InvalidParameterError
        Naming ``where``, the text and the expected form.

    Examples
    --------
    >>> parse_service_target("0.9 / 30m").threshold_s
    1800.0
    >>> parse_service_target("fast")
    Traceback (most recent call last):
    ...
    servops.errors.InvalidParameterError: --target must look like 80/20s or 90%/2h \
(a share answered within a time); got 'fast'.
    """
    m = _TARGET.fullmatch(text)
    if not m:
        msg = (
            f"{where} must look like 80/20s or 90%/2h (a share answered within a "
            f"time); got {text!r}."
        )
        raise InvalidParameterError(msg)
    level = float(m.group(1))
    level = level / 100 if level > 1 else level
    if not 0 < level <= 1:
        msg = (
            f"{where}: the share must be in (0, 100] %; got {m.group(1)!r} in {text!r}."
        )
        raise InvalidParameterError(msg)
    threshold = parse_duration(m.group(2), where, error=InvalidParameterError)
    return ServiceTarget(level, threshold.total_seconds(), text.strip())


def service_target_from_sla(
    config: KpiConfig,
    *,
    level: float = 0.9,
    policy: str | None = None,
    cases: Mapping[str, int] | None = None,
    log: EventLog | None = None,
) -> ServiceTarget:
    """The first-response target of an SLA policy, met by a share ``level`` of cases.

    Parameters
    ----------
    config
        A KPI configuration (:func:`servops.kpi.load_config`).
    level
        Share of cases that must get their first response within the SLA time.
    policy
        Policy name. By default: the policy without a ``when`` (it applies to every
        case); else, with ``cases`` (cases per policy, e.g. from
        :func:`servops.kpi.sla_report`), the policy most cases fall under; else the
        strictest first-response time (one queue serves them all, so the strictest
        target is the safe one).
    cases
        Cases per policy name.
    log
        A log to count the cases per policy in (with ``config``), when ``cases`` is not
        given.

    Raises
    ------
    ConfigError
        When no policy (or not the named one) has a first-response target.

    Examples
    --------
    >>> from servops.kpi.config import config_from_dict
    >>> cfg = config_from_dict(
    ...     {
    ...         "sla": [
    ...             {"name": "P1", "when": {"p": "1"}, "first_response": "1h"},
    ...             {"name": "P3", "when": {"p": "3"}, "first_response": "4h"},
    ...         ]
    ...     }
    ... )
    >>> service_target_from_sla(cfg).label()
    '90 % within 60 min'
    >>> service_target_from_sla(cfg, cases={"P1": 10, "P3": 90}).label()
    '90 % within 4.0 h'
    """
    with_fr = [p for p in config.policies if p.first_response_s is not None]
    if policy is not None:
        with_fr = [p for p in with_fr if p.name == policy]
    if not with_fr:
        names = [p.name for p in config.policies]
        which = f"policy {policy!r}" if policy else "any SLA policy"
        msg = (
            f"{config.source}: {which} has no first_response target to staff for "
            f"(policies: {names}); give --target 90%/2h instead."
        )
        raise ConfigError(msg)
    general = [p for p in with_fr if not p.when]
    if not general and cases is None and log is not None:
        from servops.kpi import sla_report

        cases = {p["policy"]: p["cases"] for p in sla_report(log, config).policies}
    if general:
        chosen, why = general[0], "applies to every case"
    elif cases and any(cases.get(p.name, 0) for p in with_fr):
        chosen = max(with_fr, key=lambda p: cases.get(p.name, 0))
        why = f"{cases.get(chosen.name, 0):,} cases, the most"
    else:
        chosen = min(with_fr, key=lambda p: p.first_response_s or 0.0)
        why = "the strictest"
    assert chosen.first_response_s is not None
    clock = "clock" if chosen.calendar.is_always_open else "business"
    return ServiceTarget(
        level,
        float(chosen.first_response_s),
        f"SLA policy {chosen.name!r} first response ({why}; {clock} time) in "
        f"{config.source}",
    )
