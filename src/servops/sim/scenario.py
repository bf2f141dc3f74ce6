"""What-if scenarios: a list of edits applied to a model.

A scenario file::

    name: two more agents on weekday mornings, VIP first
    edits:
      - staff: {pool: agents, change: 2, days: mon-fri, hours: "08:00-12:00"}
      - staff: {pool: agents, change: 1}          # all the time
      - staff: {pool: agents, size: 12}           # set the size
      - duration: {activity: Serve, factor: 0.8}  # 20 % faster work ("*": every activity)
      - delay: {activity: Wait, factor: 0.5}      # shorter waits (incl. delay_after rows)
      - remove: {activity: Recheck}               # skip it; its share goes to its successors
      - automate: {activity: Triage}              # no person, takes no time (or give duration)
      - routing: {from: Check, to: Rework, p: 0.1}  # others rescaled to keep the sum 1
      - arrivals: {factor: 1.2}                   # 20 % more cases
      - priority: {pool: agents, attribute: segment, order: [VIP, standard]}

Durations inside edits are in the model's ``time_unit``. Unknown edits and keys are
errors naming the edit's position.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from servops._yaml import load_yaml
from servops.errors import ConfigError
from servops.sim.calendars import Calendar
from servops.sim.distributions import Distribution
from servops.sim.model import (
    END,
    START,
    Activity,
    Arrivals,
    Model,
    QueueRule,
    Routing,
    Schedule,
    StaffChange,
)

if TYPE_CHECKING:
    from servops._typing import PathLike

__all__ = ["EDIT_KINDS", "Scenario", "apply_scenario", "load_scenario"]

EDIT_KINDS: dict[str, tuple[set[str], set[str]]] = {
    # kind: (required keys, optional keys)
    "staff": ({"pool"}, {"change", "size", "days", "hours"}),
    "duration": ({"activity", "factor"}, set()),
    "delay": ({"activity", "factor"}, set()),
    "remove": ({"activity"}, set()),
    "automate": ({"activity"}, {"duration"}),
    "routing": ({"from", "to", "p"}, set()),
    "arrivals": ({"factor"}, set()),
    "priority": ({"pool", "attribute", "order"}, set()),
}


@dataclass(frozen=True, slots=True)
class Scenario:
    """A named list of edits (each a one-key mapping as in the YAML file)."""

    name: str
    edits: tuple[Mapping[str, Mapping[str, Any]], ...]

    def to_dict(self) -> dict[str, Any]:
        """The YAML mapping."""
        return {"name": self.name, "edits": [dict(e) for e in self.edits]}


def load_scenario(source: PathLike | Mapping[str, Any] | Scenario) -> Scenario:
    """Read and check a scenario from a YAML file or mapping.

    Examples
    --------
    >>> load_scenario({"edits": [{"arrivals": {"factor": 1.1}}]}).name
    'scenario'
    >>> load_scenario({"edits": [{"hire": {"pool": "a"}}]})
    Traceback (most recent call last):
    ...
    servops.errors.ConfigError: edits[0]: unknown edit 'hire'; use one of: staff, \
duration, delay, remove, automate, routing, arrivals, priority.
    """
    if isinstance(source, Scenario):
        return source
    if isinstance(source, Mapping):
        return _scenario_from(source, "scenario")
    doc = load_yaml(source, what="scenario")
    try:
        return _scenario_from(doc.data, doc.name)
    except ConfigError as exc:
        raise doc.locate(exc) from exc.__cause__


def _scenario_from(data: Any, where: str) -> Scenario:  # noqa: ANN401 - parsed YAML
    if not isinstance(data, Mapping) or "edits" not in data:
        msg = f"{where}: a scenario is a mapping with 'edits' (a list); got {data!r}."
        raise ConfigError(msg)
    extra = set(data) - {"name", "edits"}
    if extra:
        msg = f"{where}: unknown key(s) {sorted(extra)}; a scenario has 'name' and 'edits'."
        raise ConfigError(msg)
    edits = data["edits"]
    if not isinstance(edits, list) or not edits:
        msg = f"{where}.edits must be a non-empty list of edits; got {edits!r}."
        raise ConfigError(msg)
    for i, e in enumerate(edits):
        w = f"edits[{i}]"
        if not isinstance(e, Mapping) or len(e) != 1:
            msg = f"{w}: each edit is one key such as 'staff: {{pool: a, change: 1}}'; got {e!r}."
            raise ConfigError(msg)
        kind, body = next(iter(e.items()))
        if kind not in EDIT_KINDS:
            msg = f"{w}: unknown edit {kind!r}; use one of: {', '.join(EDIT_KINDS)}."
            raise ConfigError(msg)
        req, opt = EDIT_KINDS[kind]
        if not isinstance(body, Mapping):
            msg = (
                f"{w}.{kind}: expected a mapping of {sorted(req | opt)}; got {body!r}."
            )
            raise ConfigError(msg)
        bad = set(body) - req - opt
        missing = req - set(body)
        if bad or missing:
            msg = (
                f"{w}.{kind}: needs {sorted(req)}, may have {sorted(opt)}; "
                f"unknown {sorted(bad)}, missing {sorted(missing)}."
            )
            raise ConfigError(msg)
        if kind == "staff" and ("change" in body) == ("size" in body):
            msg = f"{w}.staff: give exactly one of 'change' (+/- people) or 'size'."
            raise ConfigError(msg)
    return Scenario(
        name=str(data.get("name", "scenario")), edits=tuple(dict(e) for e in edits)
    )


def apply_scenario(
    model: Model, scenario: PathLike | Mapping[str, Any] | Scenario
) -> Model:
    """The model with the scenario's edits applied in order.

    Examples
    --------
    >>> from servops.sim.model import load_model
    >>> m = load_model(TINY.parents[2] / "docs" / "examples" / "mmc.yaml")
    >>> apply_scenario(
    ...     m, {"edits": [{"staff": {"pool": "agents", "change": 2}}]}
    ... ).pools["agents"].size
    12
    """
    sc = load_scenario(scenario)
    m = model
    for i, e in enumerate(sc.edits):
        kind, body = next(iter(e.items()))
        m = _EDITS[kind](m, body, f"edits[{i}].{kind}")
    return replace(m, name=f"{model.name} + {sc.name}")


# -- edits --------------------------------------------------------------------------------
def _activity(m: Model, name: object, where: str, *, star: bool = False) -> list[str]:
    if star and name == "*":
        return list(m.activities)
    if name not in m.activities:
        msg = f"{where}.activity: unknown activity {name!r}; activities: {sorted(m.activities)}."
        raise ConfigError(msg)
    return [str(name)]


def _factor(v: object, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not v >= 0:
        msg = f"{where}.factor must be a number >= 0; got {v!r}."
        raise ConfigError(msg)
    return float(v)


def _pool(m: Model, name: object, where: str) -> str:
    if name not in m.pools:
        msg = f"{where}.pool: unknown pool {name!r}; pools: {sorted(m.pools)}."
        raise ConfigError(msg)
    return str(name)


def _staff(m: Model, b: Mapping[str, Any], where: str) -> Model:
    name = _pool(m, b["pool"], where)
    pool = m.pools[name]
    windowed = "days" in b or "hours" in b
    if "size" in b:
        size = b["size"]
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            msg = f"{where}.size must be a whole number >= 0; got {size!r}."
            raise ConfigError(msg)
        if windowed:
            msg = f"{where}: 'size' sets the whole pool; use 'change' with days/hours."
            raise ConfigError(msg)
        if pool.schedule is not None:
            new = replace(
                pool,
                schedule=replace(
                    pool.schedule,
                    values=tuple(float(size) for _ in pool.schedule.values),
                ),
            )
        else:
            new = replace(pool, size=size)
    else:
        ch = b["change"]
        if isinstance(ch, bool) or not isinstance(ch, int):
            msg = (
                f"{where}.change must be a whole number of people (+2, -1); got {ch!r}."
            )
            raise ConfigError(msg)
        if windowed:
            win = Calendar.from_yaml(
                [
                    {
                        "days": b.get("days", "mon-sun"),
                        "hours": b.get("hours", "00:00-24:00"),
                    }
                ],
                where=where,
            )
            new = replace(pool, extra=(*pool.extra, StaffChange(ch, win)))
        elif pool.schedule is not None:
            new = replace(
                pool,
                schedule=replace(
                    pool.schedule,
                    values=tuple(max(0.0, v + ch) for v in pool.schedule.values),
                ),
            )
        else:
            new = replace(pool, size=max(0, pool.size + ch))
    return replace(m, pools={**m.pools, name: new})


def _duration(m: Model, b: Mapping[str, Any], where: str) -> Model:
    f = _factor(b["factor"], where)
    acts = dict(m.activities)
    for a in _activity(m, b["activity"], where, star=True):
        acts[a] = replace(acts[a], duration=acts[a].duration.scaled(f))
    return replace(m, activities=acts)


def _delay(m: Model, b: Mapping[str, Any], where: str) -> Model:
    f = _factor(b["factor"], where)
    acts = dict(m.activities)
    for a in _activity(m, b["activity"], where, star=True):
        act = acts[a]
        # Every wait before the work: the default delay and the ones that depend on
        # the previous activity (a discovered model keeps most of its waits there).
        acts[a] = replace(
            act,
            delay=act.delay.scaled(f) if act.delay is not None else None,
            delay_after={k: d.scaled(f) for k, d in act.delay_after.items()},
        )
    return replace(m, activities=acts)


def _automate(m: Model, b: Mapping[str, Any], where: str) -> Model:
    (a,) = _activity(m, b["activity"], where)
    dur = (
        Distribution.from_dict(
            b["duration"], where=f"{where}.duration", unit_s=m.unit_s
        )
        if "duration" in b
        else Distribution.fixed(0.0)
    )
    acts = {**m.activities, a: Activity(name=a, duration=dur)}
    return replace(m, activities=acts)


def _bypass(
    row: Mapping[str, float], x: str, succ: Mapping[str, float]
) -> dict[str, float]:
    """Send the share of ``x`` in ``row`` on to ``x``'s successors."""
    px = row.get(x, 0.0)
    out = {k: v for k, v in row.items() if k != x}
    for k, v in succ.items():
        out[k] = out.get(k, 0.0) + px * v
    total = sum(out.values())
    return {k: v / total for k, v in out.items() if v > 0} if total > 0 else {END: 1.0}


def _remove(m: Model, b: Mapping[str, Any], where: str) -> Model:
    (x,) = _activity(m, b["activity"], where)
    if len(m.activities) == 1:
        msg = f"{where}: cannot remove {x!r}, the model's only activity."
        raise ConfigError(msg)
    own = {k: v for k, v in m.routing.successors(x).items() if k != x}
    total = sum(own.values())
    succ = {k: v / total for k, v in own.items()} if total > 0 else {END: 1.0}
    start = _bypass(m.routing.start, x, succ)
    if set(start) == {END}:
        msg = f"{where}: removing {x!r} would leave cases with no first activity."
        raise ConfigError(msg)
    nxt = {a: _bypass(m.routing.successors(a), x, succ) for a in m.activities if a != x}
    after = {
        a: {p: _bypass(r, x, succ) for p, r in rows.items() if p != x}
        for a, rows in m.routing.after.items()
        if a != x
    }
    by_visit = {
        a: {n: _bypass(r, x, succ) for n, r in rows.items()}
        for a, rows in m.routing.by_visit.items()
        if a != x
    }
    # Waits that depended on coming after x are gone with it.
    acts = {
        a: replace(v, delay_after={p: d for p, d in v.delay_after.items() if p != x})
        for a, v in m.activities.items()
        if a != x
    }
    return replace(
        m,
        activities=acts,
        routing=Routing(
            start=start,
            next=nxt,
            after={a: r for a, r in after.items() if r},
            by_visit=by_visit,
        ),
    )


def _set_p(row: Mapping[str, float], to: str, p: float) -> dict[str, float]:
    rest = {k: v for k, v in row.items() if k != to}
    total = sum(rest.values())
    if total == 0 and p < 1:
        rest = {END: 1.0}
        total = 1.0
    out = {k: v * (1 - p) / total for k, v in rest.items()} if total > 0 else {}
    if p > 0:
        out[to] = p
    return out


def _routing(m: Model, b: Mapping[str, Any], where: str) -> Model:
    src, to, p = b["from"], b["to"], b["p"]
    if src != START:
        _activity(m, src, f"{where}.from")
    if to != END:
        _activity(m, to, f"{where}.to")
    if isinstance(p, bool) or not isinstance(p, int | float) or not 0 <= p <= 1:
        msg = f"{where}.p must be a probability in [0, 1]; got {p!r}."
        raise ConfigError(msg)
    if src == START:
        return replace(
            m, routing=replace(m.routing, start=_set_p(m.routing.start, to, p))
        )
    nxt = {**m.routing.next, src: _set_p(m.routing.successors(src), to, p)}
    after = dict(m.routing.after)
    if src in after:
        after[src] = {prev: _set_p(r, to, p) for prev, r in after[src].items()}
    by_visit = dict(m.routing.by_visit)
    if src in by_visit:
        by_visit[src] = {n: _set_p(r, to, p) for n, r in by_visit[src].items()}
    return replace(
        m,
        routing=Routing(
            start=m.routing.start, next=nxt, after=after, by_visit=by_visit
        ),
    )


def _arrivals(m: Model, b: Mapping[str, Any], where: str) -> Model:
    f = _factor(b["factor"], where)
    if f == 0:
        msg = f"{where}.factor must be > 0 (no arrivals at all is not a scenario)."
        raise ConfigError(msg)
    a = m.arrivals
    if a.rate_per_s is not None:
        new = Arrivals(rate_per_s=a.rate_per_s * f)
    elif a.weekly_per_hour is not None:
        new = Arrivals(
            weekly_per_hour=tuple(
                tuple(v * f for v in row) for row in a.weekly_per_hour
            )
        )
    elif a.schedule is not None:
        new = Arrivals(
            schedule=Schedule(
                a.schedule.interval_s,
                tuple(v * f for v in a.schedule.values),
                a.schedule.repeat,
            )
        )
    else:
        assert a.interarrival is not None
        new = Arrivals(interarrival=a.interarrival.scaled(1 / f))
    return replace(m, arrivals=new)


def _priority(m: Model, b: Mapping[str, Any], where: str) -> Model:
    name = _pool(m, b["pool"], where)
    attr = str(b["attribute"])
    if attr not in m.attributes:
        msg = (
            f"{where}.attribute: the model has no case attribute {attr!r} "
            f"(it has {sorted(m.attributes)})."
        )
        raise ConfigError(msg)
    order = b["order"]
    if not isinstance(order, list) or not order:
        msg = f"{where}.order must list values of {attr!r}, first served first; got {order!r}."
        raise ConfigError(msg)
    pool = replace(m.pools[name], queue=QueueRule(attr, tuple(str(o) for o in order)))
    return replace(m, pools={**m.pools, name: pool})


_EDITS = {
    "staff": _staff,
    "duration": _duration,
    "delay": _delay,
    "remove": _remove,
    "automate": _automate,
    "routing": _routing,
    "arrivals": _arrivals,
    "priority": _priority,
}
