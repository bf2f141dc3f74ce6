"""The simulation model: a YAML file people can read and edit, as frozen dataclasses.

A model says how cases arrive, which activities they go through (routing
probabilities), how long each activity takes, and which pool of people does it, when
they work and in which order they take waiting work. The smallest useful model is an
M/M/c queue (``docs/examples/mmc.yaml``)::

    name: M/M/10
    time_unit: minute          # unit of every duration, rate and interval below
    arrivals: {rate: 9.5}      # Poisson, 9.5 cases per minute
    activities:
      Serve: {pool: agents, duration: {dist: exponential, mean: 1}}
    pools:
      agents: {size: 10}
    routing:
      start: {Serve: 1.0}
      Serve: {end: 1.0}

Every key is documented in ``docs/sim.md``. Unknown keys are errors (a misspelt key
must never be silently ignored), and every error names the key and the value.
Internally all times are seconds; ``time_unit`` only scales the file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml

from servops._yaml import load_yaml
from servops.errors import ConfigError
from servops.sim.calendars import DAYS, Calendar
from servops.sim.distributions import Distribution

if TYPE_CHECKING:
    from servops._typing import PathLike

__all__ = [
    "END",
    "START",
    "TIME_UNITS",
    "Activity",
    "Arrivals",
    "Model",
    "Pool",
    "QueueRule",
    "Routing",
    "Schedule",
    "StaffChange",
    "load_model",
    "save_model",
]

START = "start"
END = "end"
TIME_UNITS: dict[str, float] = {
    "second": 1.0,
    "minute": 60.0,
    "hour": 3600.0,
    "day": 86400.0,
}
TimeUnit = Literal["second", "minute", "hour", "day"]
_DEFAULT_START = datetime(2024, 1, 1, tzinfo=UTC)  # a Monday


# -- pieces -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Schedule:
    """Values per consecutive interval of ``interval_s`` seconds from the model start.

    Used for staffing (agents per interval) and for arrivals (rate per interval). When
    ``repeat`` is false the last value holds after the last interval.
    """

    interval_s: float
    values: tuple[float, ...]
    repeat: bool = False


@dataclass(frozen=True, slots=True)
class QueueRule:
    """Priority classes: waiting work with an earlier value in ``order`` goes first.

    Cases whose ``attribute`` value is not listed come after all listed ones; within a
    class, first come first served.
    """

    attribute: str
    order: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StaffChange:
    """``delta`` more (or fewer) people in a pool during a weekly window."""

    delta: int
    window: Calendar


@dataclass(frozen=True, slots=True)
class Pool:
    """People who do activities: how many, when they work, how they pick work."""

    name: str
    size: int = 1
    calendar: Calendar = field(default_factory=Calendar.always)
    schedule: Schedule | None = None
    queue: QueueRule | None = None
    resources: tuple[str, ...] = ()
    extra: tuple[StaffChange, ...] = ()

    def resource_names(self, n: int) -> list[str]:
        """Names of the first ``n`` members (given ones first, then ``pool-01``…)."""
        width = max(2, len(str(n)))
        return [
            self.resources[i]
            if i < len(self.resources)
            else f"{self.name}-{i + 1:0{width}d}"
            for i in range(n)
        ]

    @property
    def max_size(self) -> int:
        """The largest number of people the pool ever has."""
        base = max(self.schedule.values) if self.schedule else self.size
        return int(base + sum(max(c.delta, 0) for c in self.extra))


@dataclass(frozen=True, slots=True)
class Activity:
    """One step of the process."""

    name: str
    duration: Distribution
    pool: str | None = None
    #: Time between being enabled and asking for a person (not queueing: the customer
    #: or a third party is busy). Discovered from logs as the unexplained wait.
    delay: Distribution | None = None
    #: Abandon when queued longer than this (only for activities with a pool).
    patience: Distribution | None = None
    #: Where the delay counts from: when the activity is enabled (the previous one
    #: ended), or the case's arrival (a timer such as "close 30 days after opening";
    #: if that moment has passed the activity is ready at once).
    delay_from: Literal["enabled", "arrival"] = "enabled"
    #: Delays that depend on the previous activity (``start`` for the first one);
    #: ``delay`` serves the others.
    delay_after: Mapping[str, Distribution] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Arrivals:
    """How cases arrive.

    Poisson (constant, per weekday × hour, or per interval), or a renewal process with
    a given inter-arrival distribution.
    """

    rate_per_s: float | None = None
    weekly_per_hour: tuple[tuple[float, ...], ...] | None = None
    schedule: Schedule | None = None
    interarrival: Distribution | None = None

    @property
    def mean_rate_per_s(self) -> float:
        """Long-run arrival rate (cases per second)."""
        if self.rate_per_s is not None:
            return self.rate_per_s
        if self.weekly_per_hour is not None:
            return sum(map(sum, self.weekly_per_hour)) / (7 * 24 * 3600.0)
        if self.schedule is not None:
            return sum(self.schedule.values) / len(self.schedule.values)
        assert self.interarrival is not None
        return (
            1.0 / self.interarrival.mean_s if self.interarrival.mean_s > 0 else math.inf
        )


@dataclass(frozen=True, slots=True)
class Routing:
    """Where a case goes next: probabilities per current activity.

    ``start`` gives the first activity; ``next[a]`` the successors of ``a`` (``"end"``
    closes the case); ``after[a][p]`` overrides ``next[a]`` when the previous activity
    was ``p`` (second-order routing, which reproduces the log's 3-grams).
    """

    start: Mapping[str, float]
    next: Mapping[str, Mapping[str, float]]
    after: Mapping[str, Mapping[str, Mapping[str, float]]] = field(default_factory=dict)
    #: ``by_visit[a][n]``: successors of the ``n``-th visit of ``a`` in a case (loops
    #: that stop after a typical number of rounds); the highest ``n`` given also
    #: serves later visits. Takes precedence over ``after``.
    by_visit: Mapping[str, Mapping[int, Mapping[str, float]]] = field(
        default_factory=dict
    )

    def successors(self, activity: str) -> Mapping[str, float]:
        """The default successor distribution of ``activity`` (``end`` if absent)."""
        return self.next.get(activity, {END: 1.0})


@dataclass(frozen=True, slots=True)
class Model:
    """A simulation model. Read one with :func:`load_model`, write with :func:`save_model`.

    Examples
    --------
    >>> m = load_model(TINY.parents[2] / "docs" / "examples" / "mmc.yaml")
    >>> m.pools["agents"].size, m.arrivals.rate_per_s * 60
    (10, 9.5)
    """

    activities: Mapping[str, Activity]
    pools: Mapping[str, Pool]
    routing: Routing
    arrivals: Arrivals
    name: str = "model"
    time_unit: TimeUnit = "second"
    start: datetime = _DEFAULT_START
    attributes: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    max_visits: int = 10
    sla_s: float | None = None
    notes: tuple[str, ...] = ()

    @property
    def unit_s(self) -> float:
        """Seconds per ``time_unit``."""
        return TIME_UNITS[self.time_unit]

    # -- YAML ---------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, d: object, *, source: str = "model") -> Model:
        """Validate and read a model from its YAML mapping."""
        return _parse_model(d, source)

    def to_dict(self) -> dict[str, Any]:
        """The YAML mapping (times in ``time_unit``)."""
        return _dump_model(self)

    def to_yaml(self) -> str:
        """The model as YAML text."""
        return yaml.safe_dump(
            self.to_dict(),
            sort_keys=False,
            allow_unicode=True,
            width=100,
            default_flow_style=None,
        )


def load_model(source: PathLike | Mapping[str, Any] | Model) -> Model:
    """Read a model from a YAML file or a mapping (a :class:`Model` passes through).

    Raises
    ------
    ConfigError
        If the file is not valid YAML or breaks a rule; the message names the key.
    """
    if isinstance(source, Model):
        return source
    if isinstance(source, Mapping):
        return Model.from_dict(source)
    doc = load_yaml(source, what="model")
    try:
        return Model.from_dict(doc.data, source=doc.name)
    except ConfigError as exc:
        raise doc.locate(exc) from exc.__cause__


def save_model(model: Model, path: PathLike) -> Path:
    """Write ``model`` as YAML to ``path`` and return the path."""
    out = Path(path)
    out.write_text(model.to_yaml(), encoding="utf-8")
    return out


# -- parsing ------------------------------------------------------------------------------
_MODEL_KEYS = {
    "name",
    "time_unit",
    "start",
    "arrivals",
    "activities",
    "pools",
    "routing",
    "attributes",
    "max_visits",
    "sla",
    "notes",
}


def _mapping(d: object, where: str) -> Mapping[str, Any]:
    if not isinstance(d, Mapping):
        msg = f"{where}: expected a mapping (key: value lines); got {d!r}."
        raise ConfigError(msg)
    return d


def _keys(
    d: Mapping[str, Any],
    allowed: set[str],
    where: str,
    required: frozenset[str] | set[str] = frozenset(),
) -> None:
    extra = set(d) - allowed
    if extra:
        msg = f"{where}: unknown key(s) {sorted(map(str, extra))}; allowed: {sorted(allowed)}."
        raise ConfigError(msg)
    missing = set(required) - set(d)
    if missing:
        msg = f"{where}: missing key(s) {sorted(missing)}."
        raise ConfigError(msg)


def _number(v: object, where: str, *, low: float = 0.0, strict: bool = False) -> float:
    if (
        isinstance(v, bool)
        or not isinstance(v, int | float)
        or math.isnan(v)
        or (v < low or (strict and v == low))
    ):
        rule = f"> {low:g}" if strict else f">= {low:g}"
        msg = f"{where} must be a number {rule}; got {v!r}."
        raise ConfigError(msg)
    return float(v)


def _int(v: object, where: str, *, low: int = 0) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < low:
        msg = f"{where} must be a whole number >= {low}; got {v!r}."
        raise ConfigError(msg)
    return v


def _probs(d: object, where: str, allowed: set[str]) -> dict[str, float]:
    m = _mapping(d, where)
    if not m:
        msg = f"{where}: needs at least one target with a probability."
        raise ConfigError(msg)
    out: dict[str, float] = {}
    for k, v in m.items():
        if str(k) not in allowed:
            msg = (
                f"{where}: unknown target {k!r}; known activities: "
                f"{sorted(allowed - {END})} (or 'end')."
            )
            raise ConfigError(msg)
        out[str(k)] = _number(v, f"{where}.{k}")
    total = sum(out.values())
    if abs(total - 1.0) > 1e-3:
        msg = f"{where}: probabilities must sum to 1; they sum to {total:g} ({out})."
        raise ConfigError(msg)
    return {k: v / total for k, v in out.items() if v > 0}


def _schedule(
    d: object, where: str, unit_s: float, key: str, *, per_unit: bool
) -> Schedule:
    m = _mapping(d, where)
    _keys(m, {"interval", key, "repeat"}, where, {"interval", key})
    interval = _number(m["interval"], f"{where}.interval", strict=True) * unit_s
    vals = m[key]
    if not isinstance(vals, list) or not vals:
        msg = f"{where}.{key} must be a non-empty list of numbers; got {vals!r}."
        raise ConfigError(msg)
    if per_unit:
        values = tuple(
            _number(v, f"{where}.{key}[{i}]") / unit_s for i, v in enumerate(vals)
        )
    else:
        values = tuple(
            float(_int(v, f"{where}.{key}[{i}]")) for i, v in enumerate(vals)
        )
    repeat = m.get("repeat", False)
    if not isinstance(repeat, bool):
        msg = f"{where}.repeat must be true or false; got {repeat!r}."
        raise ConfigError(msg)
    return Schedule(interval, values, repeat)


def _parse_arrivals(d: object, unit_s: float) -> Arrivals:
    where = "arrivals"
    m = _mapping(d, where)
    kinds = {"rate", "weekly_rate_per_hour", "schedule", "interarrival"}
    _keys(m, kinds, where)
    given = [k for k in kinds if k in m]
    if len(given) != 1:
        msg = (
            f"{where}: give exactly one of 'rate' (Poisson, per time unit), "
            f"'weekly_rate_per_hour', 'schedule' or 'interarrival'; got {sorted(given)}."
        )
        raise ConfigError(msg)
    if "rate" in m:
        return Arrivals(
            rate_per_s=_number(m["rate"], f"{where}.rate", strict=True) / unit_s
        )
    if "interarrival" in m:
        return Arrivals(
            interarrival=Distribution.from_dict(
                m["interarrival"], where=f"{where}.interarrival", unit_s=unit_s
            )
        )
    if "schedule" in m:
        sch = _schedule(
            m["schedule"], f"{where}.schedule", unit_s, "rates", per_unit=True
        )
        return Arrivals(schedule=sch)
    wk = _mapping(m["weekly_rate_per_hour"], f"{where}.weekly_rate_per_hour")
    table: list[tuple[float, ...]] = []
    for day in wk:
        if day not in DAYS:
            msg = (
                f"{where}.weekly_rate_per_hour: unknown day {day!r}; use "
                f"{', '.join(DAYS)}."
            )
            raise ConfigError(msg)
    for day in DAYS:
        row = wk.get(day, [0.0] * 24)
        w = f"{where}.weekly_rate_per_hour.{day}"
        if not isinstance(row, list) or len(row) != 24:
            msg = f"{w} must list 24 hourly rates (cases per hour); got {row!r}."
            raise ConfigError(msg)
        table.append(tuple(_number(v, f"{w}[{h}]") for h, v in enumerate(row)))
    if sum(map(sum, table)) == 0:
        msg = f"{where}.weekly_rate_per_hour: every rate is 0, so no case ever arrives."
        raise ConfigError(msg)
    return Arrivals(weekly_per_hour=tuple(table))


def _parse_pool(name: str, d: object, unit_s: float) -> Pool:
    where = f"pools.{name}"
    if isinstance(d, int) and not isinstance(d, bool):
        d = {"size": d}
    m = _mapping(d, where)
    _keys(m, {"size", "calendar", "schedule", "queue", "resources", "extra"}, where)
    if "schedule" in m and ("size" in m or "calendar" in m):
        msg = (
            f"{where}: give either 'schedule' (people per interval) or 'size' with an "
            f"optional 'calendar', not both."
        )
        raise ConfigError(msg)
    size = _int(m.get("size", 1), f"{where}.size") if "schedule" not in m else 0
    cal = Calendar.from_yaml(m.get("calendar", "always"), where=f"{where}.calendar")
    sched = (
        _schedule(m["schedule"], f"{where}.schedule", unit_s, "sizes", per_unit=False)
        if "schedule" in m
        else None
    )
    queue: QueueRule | None = None
    q = m.get("queue", "fifo")
    if q != "fifo":
        qm = _mapping(q, f"{where}.queue")
        _keys(qm, {"priority", "order"}, f"{where}.queue", {"priority", "order"})
        order = qm["order"]
        if not isinstance(order, list) or not order:
            msg = (
                f"{where}.queue.order must list attribute values, first served first; "
                f"got {order!r}."
            )
            raise ConfigError(msg)
        queue = QueueRule(str(qm["priority"]), tuple(str(x) for x in order))
    res = m.get("resources", [])
    if not isinstance(res, list):
        msg = f"{where}.resources must be a list of names; got {res!r}."
        raise ConfigError(msg)
    extra: list[StaffChange] = []
    for i, e in enumerate(m.get("extra", []) or []):
        w = f"{where}.extra[{i}]"
        em = _mapping(e, w)
        _keys(em, {"change", "days", "hours"}, w, {"change"})
        ch = em["change"]
        if isinstance(ch, bool) or not isinstance(ch, int):
            msg = f"{w}.change must be a whole number of people (+2, -1); got {ch!r}."
            raise ConfigError(msg)
        win = Calendar.from_yaml(
            [
                {
                    "days": em.get("days", "mon-sun"),
                    "hours": em.get("hours", "00:00-24:00"),
                }
            ],
            where=w,
        )
        extra.append(StaffChange(ch, win))
    return Pool(
        name=name,
        size=size,
        calendar=cal,
        schedule=sched,
        queue=queue,
        resources=tuple(str(r) for r in res),
        extra=tuple(extra),
    )


def _parse_activity(
    name: str, d: object, unit_s: float, pools: Mapping[str, Pool]
) -> Activity:
    where = f"activities.{name}"
    m = _mapping(d, where)
    _keys(
        m,
        {"pool", "duration", "delay", "delay_from", "delay_after", "patience"},
        where,
        {"duration"},
    )
    pool = m.get("pool")
    if pool is not None and str(pool) not in pools:
        msg = (
            f"{where}.pool: unknown pool {pool!r}; pools: {sorted(pools)} "
            f"(or leave 'pool' out for work that needs nobody)."
        )
        raise ConfigError(msg)

    def dist(key: str) -> Distribution | None:
        if m.get(key) is None:
            return None
        return Distribution.from_dict(m[key], where=f"{where}.{key}", unit_s=unit_s)

    duration = dist("duration")
    assert duration is not None
    patience = dist("patience")
    if patience is not None and pool is None:
        msg = f"{where}.patience: only an activity with a pool has a queue to abandon."
        raise ConfigError(msg)
    delay_from = m.get("delay_from", "enabled")
    if delay_from not in ("enabled", "arrival"):
        msg = f"{where}.delay_from must be 'enabled' or 'arrival'; got {delay_from!r}."
        raise ConfigError(msg)
    delay = dist("delay")
    if delay_from == "arrival" and delay is None:
        msg = (
            f"{where}.delay_from: 'arrival' needs a 'delay' to count from the arrival."
        )
        raise ConfigError(msg)
    after = _mapping(m.get("delay_after", {}) or {}, f"{where}.delay_after")
    if after and delay is None:
        msg = (
            f"{where}.delay_after: give a default 'delay' too (for other predecessors)."
        )
        raise ConfigError(msg)
    delay_after = {
        str(k): Distribution.from_dict(
            v, where=f"{where}.delay_after.{k}", unit_s=unit_s
        )
        for k, v in after.items()
    }
    return Activity(
        name=name,
        duration=duration,
        pool=None if pool is None else str(pool),
        delay=delay,
        patience=patience,
        delay_from=delay_from,
        delay_after=delay_after,
    )


def _parse_routing(d: object, names: set[str]) -> Routing:
    m = _mapping(d, "routing")
    if START not in m:
        msg = "routing: missing 'start' (the first activity and its probability)."
        raise ConfigError(msg)
    targets = names | {END}
    start = _probs(m[START], "routing.start", names)
    nxt: dict[str, dict[str, float]] = {}
    after: dict[str, dict[str, dict[str, float]]] = {}
    by_visit: dict[str, dict[int, dict[str, float]]] = {}
    for k, v in m.items():
        if k == START:
            continue
        where = f"routing.{k}"
        if k not in names:
            msg = f"{where}: unknown activity {k!r}; activities: {sorted(names)}."
            raise ConfigError(msg)
        vm = _mapping(v, where)
        if set(vm) <= {"next", "after", "by_visit"} and vm:
            nxt[k] = (
                _probs(vm["next"], f"{where}.next", targets)
                if "next" in vm
                else {END: 1.0}
            )
            am = _mapping(vm.get("after", {}), f"{where}.after")
            rows: dict[str, dict[str, float]] = {}
            for prev, row in am.items():
                if prev not in names | {START}:
                    msg = (
                        f"{where}.after: unknown previous activity {prev!r}; "
                        f"activities: {sorted(names)} (or 'start')."
                    )
                    raise ConfigError(msg)
                rows[str(prev)] = _probs(row, f"{where}.after.{prev}", targets)
            if rows:
                after[k] = rows
            bv = _mapping(vm.get("by_visit", {}), f"{where}.by_visit")
            vrows: dict[int, dict[str, float]] = {}
            for n, row in bv.items():
                if not (isinstance(n, int) and not isinstance(n, bool) and n >= 1):
                    msg = (
                        f"{where}.by_visit: keys are visit numbers 1, 2, …; got {n!r}."
                    )
                    raise ConfigError(msg)
                vrows[n] = _probs(row, f"{where}.by_visit.{n}", targets)
            if vrows:
                by_visit[k] = vrows
        else:
            nxt[k] = _probs(vm, where, targets)
    return Routing(start=start, next=nxt, after=after, by_visit=by_visit)


def _parse_model(d: object, source: str) -> Model:
    m = _mapping(d, source)
    _keys(m, _MODEL_KEYS, source, {"arrivals", "activities", "routing"})
    unit = m.get("time_unit", "second")
    if unit not in TIME_UNITS:
        msg = f"time_unit: must be one of {list(TIME_UNITS)}; got {unit!r}."
        raise ConfigError(msg)
    unit_s = TIME_UNITS[unit]
    start = m.get("start", _DEFAULT_START)
    if isinstance(start, str):
        try:
            start = datetime.fromisoformat(start.replace("Z", "+00:00"))
        except ValueError as exc:
            msg = f"start: expected an ISO date-time such as 2024-01-01T00:00:00Z; got {start!r}."
            raise ConfigError(msg) from exc
    if not isinstance(start, datetime):
        msg = f"start: expected an ISO date-time such as 2024-01-01T00:00:00Z; got {start!r}."
        raise ConfigError(msg)
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    pools_raw = _mapping(m.get("pools", {}) or {}, "pools")
    pools = {str(k): _parse_pool(str(k), v, unit_s) for k, v in pools_raw.items()}
    acts_raw = _mapping(m["activities"], "activities")
    if not acts_raw:
        msg = "activities: the model needs at least one activity."
        raise ConfigError(msg)
    for reserved in (START, END):
        if reserved in acts_raw:
            msg = f"activities.{reserved}: '{reserved}' is reserved for routing; rename it."
            raise ConfigError(msg)
    acts = {
        str(k): _parse_activity(str(k), v, unit_s, pools) for k, v in acts_raw.items()
    }
    routing = _parse_routing(m["routing"], set(acts))
    for act in acts.values():
        for prev in act.delay_after:
            if prev not in acts and prev != START:
                msg = (
                    f"activities.{act.name}.delay_after: unknown previous activity "
                    f"{prev!r}; activities: {sorted(acts)} (or 'start')."
                )
                raise ConfigError(msg)
    attrs: dict[str, dict[str, float]] = {}
    for k, v in (_mapping(m.get("attributes", {}) or {}, "attributes")).items():
        vm = _mapping(v, f"attributes.{k}")
        vals = {str(a): _number(p, f"attributes.{k}.{a}") for a, p in vm.items()}
        total = sum(vals.values())
        if not vals or total > 1.0 + 1e-3 or any(p < 0 for p in vals.values()):
            msg = (
                f"attributes.{k}: value probabilities must be >= 0 and sum to at most "
                f"1 (the rest of the cases have no value); got {dict(vm)}."
            )
            raise ConfigError(msg)
        attrs[str(k)] = {a: p / max(total, 1.0) for a, p in vals.items()}
    for p in pools.values():
        if p.queue is not None and p.queue.attribute not in attrs:
            msg = (
                f"pools.{p.name}.queue.priority: case attribute {p.queue.attribute!r} "
                f"is not declared under 'attributes' (declared: {sorted(attrs)})."
            )
            raise ConfigError(msg)
    sla = m.get("sla")
    notes = m.get("notes", [])
    return Model(
        activities=acts,
        pools=pools,
        routing=routing,
        arrivals=_parse_arrivals(m["arrivals"], unit_s),
        name=str(m.get("name", "model")),
        time_unit=unit,
        start=start,
        attributes=attrs,
        max_visits=_int(m.get("max_visits", 10), "max_visits", low=1),
        sla_s=None if sla is None else _number(sla, "sla", strict=True) * unit_s,
        notes=tuple(str(n) for n in notes)
        if isinstance(notes, list)
        else (str(notes),),
    )


# -- dumping ------------------------------------------------------------------------------
def _r(x: float) -> float:
    return float(f"{x:.6g}") if x and math.isfinite(x) else float(x)


def _dump_schedule(
    s: Schedule, key: str, unit_s: float, *, per_unit: bool
) -> dict[str, Any]:
    vals = (
        [_r(v * unit_s) for v in s.values] if per_unit else [int(v) for v in s.values]
    )
    d: dict[str, Any] = {"interval": _r(s.interval_s / unit_s), key: vals}
    if s.repeat:
        d["repeat"] = True
    return d


def _dump_model(model: Model) -> dict[str, Any]:
    u = model.unit_s
    out: dict[str, Any] = {
        "name": model.name,
        "time_unit": model.time_unit,
        "start": model.start.isoformat().replace("+00:00", "Z"),
    }
    if model.notes:
        out["notes"] = list(model.notes)
    a = model.arrivals
    if a.rate_per_s is not None:
        out["arrivals"] = {"rate": _r(a.rate_per_s * u)}
    elif a.weekly_per_hour is not None:
        out["arrivals"] = {
            "weekly_rate_per_hour": {
                DAYS[i]: [_r(v) for v in row] for i, row in enumerate(a.weekly_per_hour)
            }
        }
    elif a.schedule is not None:
        out["arrivals"] = {
            "schedule": _dump_schedule(a.schedule, "rates", u, per_unit=True)
        }
    else:
        assert a.interarrival is not None
        out["arrivals"] = {"interarrival": a.interarrival.to_dict(unit_s=u)}
    if model.attributes:
        out["attributes"] = {
            k: {v: _r(p) for v, p in vals.items()}
            for k, vals in model.attributes.items()
        }
    acts: dict[str, Any] = {}
    for act in model.activities.values():
        d: dict[str, Any] = {}
        if act.pool is not None:
            d["pool"] = act.pool
        d["duration"] = act.duration.to_dict(unit_s=u)
        if act.delay is not None:
            d["delay"] = act.delay.to_dict(unit_s=u)
            if act.delay_from != "enabled":
                d["delay_from"] = act.delay_from
            if act.delay_after:
                d["delay_after"] = {
                    k: v.to_dict(unit_s=u) for k, v in act.delay_after.items()
                }
        if act.patience is not None:
            d["patience"] = act.patience.to_dict(unit_s=u)
        acts[act.name] = d
    out["activities"] = acts
    pools: dict[str, Any] = {}
    for p in model.pools.values():
        pd: dict[str, Any] = {}
        if p.schedule is not None:
            pd["schedule"] = _dump_schedule(p.schedule, "sizes", u, per_unit=False)
        else:
            pd["size"] = p.size
            if not p.calendar.is_always:
                pd["calendar"] = p.calendar.to_yaml()
        if p.queue is not None:
            pd["queue"] = {"priority": p.queue.attribute, "order": list(p.queue.order)}
        if p.resources:
            pd["resources"] = list(p.resources)
        if p.extra:
            items = []
            for c in p.extra:
                for w in (
                    c.window.to_yaml()
                    if not c.window.is_always
                    else [{"days": "mon-sun", "hours": "00:00-24:00"}]
                ):
                    assert isinstance(w, dict)
                    items.append({"change": c.delta, **w})
            pd["extra"] = items
        pools[p.name] = pd
    out["pools"] = pools
    routing: dict[str, Any] = {
        START: {k: _r(v) for k, v in model.routing.start.items()}
    }
    for name in model.activities:
        row = {k: _r(v) for k, v in model.routing.successors(name).items()}
        if name in model.routing.after or name in model.routing.by_visit:
            entry: dict[str, Any] = {"next": row}
            if name in model.routing.after:
                entry["after"] = {
                    prev: {k: _r(v) for k, v in r.items()}
                    for prev, r in model.routing.after[name].items()
                }
            if name in model.routing.by_visit:
                entry["by_visit"] = {
                    n: {k: _r(v) for k, v in r.items()}
                    for n, r in sorted(model.routing.by_visit[name].items())
                }
            routing[name] = entry
        else:
            routing[name] = row
    out["routing"] = routing
    if model.max_visits != 10:
        out["max_visits"] = model.max_visits
    if model.sla_s is not None:
        out["sla"] = _r(model.sla_s / u)
    return out
