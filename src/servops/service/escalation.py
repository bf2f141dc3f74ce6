"""Escalation rules of the SLA timers: when to warn, what to do on a warning or a breach.

The rules are their own YAML document next to the SLA policies (which stay the KPI
config's ``sla`` and ``calendars``, read by :func:`servops.kpi.config.load_config`, so the
service and ``servops sla`` share one definition)::

    warn_at: 80%              # warn when this share of a target has elapsed
    next_update:              # periodic-update target per SLA policy ('*': any other)
      P1: 2h
      "*": 8h
    priorities: [low, normal, high, urgent]    # raise_priority moves one step right
    rules:
      - {name: tell the agent, on: warning, action: notify}
      - {name: to L2, on: breach, metric: first_response, action: reassign, group: L2}
      - {name: supervisor, on: breach, metric: resolution, action: to_supervisor}
      - {name: raise, on: breach, after: 1h, action: raise_priority}

``on`` is ``warning`` or ``breach``; ``metric`` one of ``first_response``,
``next_update``, ``resolution`` or a list (omit: every metric); ``after`` delays the
action (clock time after the warning or breach instant); ``action`` is ``notify`` (an
event on the ticket naming who is told), ``reassign`` (to ``group``, unassigned),
``raise_priority`` (one step along ``priorities``) or ``to_supervisor`` (assign to the
supervisor of the ticket's group).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from servops._durations import parse_duration
from servops._yaml import load_yaml
from servops._yaml import mapping as _mapping
from servops.errors import ConfigError

if TYPE_CHECKING:
    from servops._typing import PathLike

__all__ = [
    "ACTIONS",
    "METRICS",
    "EscalationConfig",
    "EscalationRule",
    "escalation_from_dict",
    "load_escalation",
]

METRICS = ("first_response", "next_update", "resolution")
ACTIONS = ("notify", "reassign", "raise_priority", "to_supervisor")
_KEYS = ("warn_at", "next_update", "priorities", "rules")
_RULE_KEYS = ("name", "on", "metric", "action", "after", "group")
_SHARE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")

Action = Literal["notify", "reassign", "raise_priority", "to_supervisor"]
Trigger = Literal["warning", "breach"]


@dataclass(frozen=True, slots=True)
class EscalationRule:
    """One rule: on a warning or breach of some metrics, do an action after a delay."""

    name: str
    on: Trigger
    action: Action
    metrics: tuple[str, ...] = METRICS
    after_s: float = 0.0
    group: str | None = None

    def applies(self, trigger: str, metric: str) -> bool:
        """Whether this rule fires on ``trigger`` of ``metric``."""
        return self.on == trigger and metric in self.metrics

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "on": self.on,
            "action": self.action,
            "metrics": list(self.metrics),
            "after_s": self.after_s,
            "group": self.group,
        }


@dataclass(frozen=True, slots=True)
class EscalationConfig:
    """Warning share, periodic-update targets, priority order and escalation rules."""

    warn_share: float = 0.8
    next_update: tuple[tuple[str, float], ...] = ()
    priorities: tuple[str, ...] = ()
    rules: tuple[EscalationRule, ...] = ()
    source: str = "default"

    def next_update_s(self, policy: str | None) -> float | None:
        """The periodic-update target of ``policy`` (``*`` for any other), or None."""
        targets = dict(self.next_update)
        if policy is not None and policy in targets:
            return targets[policy]
        return targets.get("*")

    def rule(self, name: str) -> EscalationRule | None:
        """The rule called ``name`` (None if the rules changed since it was queued)."""
        return next((r for r in self.rules if r.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "warn_share": self.warn_share,
            "next_update": dict(self.next_update),
            "priorities": list(self.priorities),
            "rules": [r.to_dict() for r in self.rules],
            "source": self.source,
        }


def _share(value: object, where: str) -> float:
    if isinstance(value, str) and (m := _SHARE.match(value)):
        share = float(m.group(1)) / 100
    elif isinstance(value, int | float) and not isinstance(value, bool):
        share = float(value)
    else:
        share = -1.0
    if not 0 < share <= 1:
        msg = f"{where}: expected a share of the target such as '80%' or 0.8; got {value!r}."
        raise ConfigError(msg)
    return share


def _seconds(value: object, where: str) -> float:
    return parse_duration(
        value, where, error=ConfigError, bare_unit=None, positive=True
    ).total_seconds()


def _choice(value: object, where: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        msg = f"{where}: expected one of {list(choices)}; got {value!r}."
        raise ConfigError(msg)
    return str(value)


def escalation_from_dict(
    data: Mapping[str, Any] | None, *, source: str = "escalation"
) -> EscalationConfig:
    """Build and check an :class:`EscalationConfig` from its YAML form.

    Examples
    --------
    >>> cfg = escalation_from_dict(
    ...     {"warn_at": "75%", "rules": [{"on": "breach", "action": "notify"}]}
    ... )
    >>> cfg.warn_share, cfg.rules[0].name, cfg.rules[0].metrics[0]
    (0.75, 'rule 1', 'first_response')
    """
    top = _mapping(data, source, _KEYS)
    warn = _share(top.get("warn_at", 0.8), f"{source}: warn_at")
    nu_raw = top.get("next_update") or {}
    if not isinstance(nu_raw, Mapping):
        msg = (
            f"{source}: next_update maps SLA policy names ('*' for any other) to "
            f"durations, e.g. {{P1: 2h, '*': 8h}}; got {nu_raw!r}."
        )
        raise ConfigError(msg)
    next_update = tuple(
        (str(k), _seconds(v, f"{source}: next_update.{k}")) for k, v in nu_raw.items()
    )
    prios = top.get("priorities") or []
    if not isinstance(prios, list) or not all(isinstance(p, str | int) for p in prios):
        msg = f"{source}: priorities must be a list from lowest to highest; got {prios!r}."
        raise ConfigError(msg)
    raw_rules = top.get("rules") or []
    if not isinstance(raw_rules, list):
        msg = f"{source}: rules must be a list of rules; got {raw_rules!r}."
        raise ConfigError(msg)
    rules: list[EscalationRule] = []
    for i, r in enumerate(raw_rules):
        where = f"{source}: rules[{i}]"
        rm = _mapping(r, where, _RULE_KEYS)
        name = str(rm.get("name") or f"rule {i + 1}")
        where = f"{source}: rules[{i}] ({name})"
        on = _choice(rm.get("on"), f"{where}.on", ("warning", "breach"))
        action = _choice(rm.get("action"), f"{where}.action", ACTIONS)
        metric = rm.get("metric")
        metrics = (
            METRICS
            if metric is None
            else tuple(
                _choice(m, f"{where}.metric", METRICS)
                for m in (metric if isinstance(metric, list) else [metric])
            )
        )
        after = rm.get("after")
        group = rm.get("group")
        if action == "reassign" and not group:
            msg = f"{where}: action 'reassign' needs 'group' (the group's name)."
            raise ConfigError(msg)
        if action == "raise_priority" and len(prios) < 2:
            msg = (
                f"{where}: action 'raise_priority' needs 'priorities' (at least two, "
                "lowest first) at the top of the file."
            )
            raise ConfigError(msg)
        rules.append(
            EscalationRule(
                name=name,
                on=on,  # type: ignore[arg-type]
                action=action,  # type: ignore[arg-type]
                metrics=metrics,
                after_s=0.0 if after is None else _seconds(after, f"{where}.after"),
                group=None if group is None else str(group),
            )
        )
    names = [r.name for r in rules]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        msg = f"{source}: rule names must be unique; repeated: {dup}."
        raise ConfigError(msg)
    return EscalationConfig(
        warn_share=warn,
        next_update=next_update,
        priorities=tuple(str(p) for p in prios),
        rules=tuple(rules),
        source=source,
    )


def load_escalation(path: PathLike | None = None) -> EscalationConfig:
    """Read escalation rules from YAML (``None``: warn at 80 %, no rules)."""
    if path is None:
        return EscalationConfig()
    doc = load_yaml(path, what="escalation rules")
    try:
        return escalation_from_dict(doc.data, source=doc.name)
    except ConfigError as exc:
        raise doc.locate(exc) from exc.__cause__
