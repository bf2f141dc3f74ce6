"""The KPI and SLA configuration: which activities mean what, pauses, calendars, policies.

A YAML file (see ``docs/kpi.md`` and ``docs/examples/kpi.yaml``)::

    activities:
      first_response: [First response]
      resolved: [Resolved]
      closed: [Closed]
      reopened: [Reopened]
      customer: [Customer replied]   # turns taken by the customer (default: pause ends)
    pauses:                          # the SLA resolution clock stops ...
      - start: Waiting for customer  # ... from this activity
        end: Customer replied        # ... until this one (omit: until the next event)
    fcr: {max_handovers: 0, max_touches: 1, touch_activities: [L1 work, L2 work]}
    handovers: {ignore_resources: [system], by: assignment_group}
    states:                          # a status/audit-log export (one row per update)
      column: incident_state         # the status column (omit: the activity is the status)
      reopen: [{from: Resolved, to: [Active, In Progress]}]
    timezone: Europe/Amsterdam       # days, weeks and months are cut in this zone
    calendars:
      office:
        timezone: Europe/Amsterdam
        hours: {mon-fri: "08:00-18:00"}
        holidays: [2025-12-25]
    sla:                             # matched in order; the first that fits applies
      - {name: VIP, when: {segment: VIP}, first_response: 30m, resolution: 8h,
         calendar: office}
      - {name: P1, when: {priority: P1}, first_response: 15m, resolution: 4h}

Every key is checked: a misspelt key, an unknown activity or attribute, a bad duration or
time zone is a :class:`~servops.errors.ConfigError` that says what the log has instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from servops._durations import parse_duration
from servops._yaml import load_yaml
from servops._yaml import mapping as _mapping
from servops.errors import ConfigError
from servops.kpi.calendar import ALWAYS, BusinessCalendar, parse_zone
from servops.log.engine import quote as _quote

if TYPE_CHECKING:
    from collections.abc import Mapping

    from servops._typing import PathLike
    from servops.log import EventLog
    from servops.mining.bottlenecks import CustomerSide

__all__ = [
    "FcrRule",
    "KpiConfig",
    "Pause",
    "SlaPolicy",
    "StateMode",
    "guess_config",
    "load_config",
]

ROLES = ("first_response", "resolved", "closed", "reopened", "customer")
_TOP_KEYS = (
    "activities",
    "calendars",
    "causes",
    "fcr",
    "handovers",
    "pauses",
    "segment",
    "sla",
    "states",
    "timezone",
)
_CLOCK_NAMES = ("24x7", "calendar", "clock")


@dataclass(frozen=True, slots=True)
class Pause:
    """The SLA clock stops at ``start`` activities until an ``end`` activity.

    With no ``end`` the pause lasts until the case's next event of any activity (a
    *state*, as in BPIC 2013's "Wait - User").
    """

    start: tuple[str, ...]
    end: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"start": list(self.start), "end": list(self.end)}


@dataclass(frozen=True, slots=True)
class StateMode:
    """A status or audit-log export: one row per status change or field update.

    ``column`` holds the status (``None``: the activity column does). Repeated identical
    consecutive statuses are one stay in that status; a case entering a ``to`` status
    right after a ``from`` status counts as reopened (``reopen`` pairs). With no pairs,
    any change from a resolved or closed status to another status is a reopen.
    """

    column: str | None = None
    reopen: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "column": self.column,
            "reopen": [{"from": a, "to": b} for a, b in self.reopen],
        }


@dataclass(frozen=True, slots=True)
class FcrRule:
    """First-contact resolution (one-touch) rule.

    A case counts when resolved, never reopened, handled with at most ``max_handovers``
    handovers (no limit when ``None``) and at most ``max_touches`` instances of
    ``touch_activities`` (no limit when ``None``). A handover is a change of handler
    (``handovers.by``: the resource or a group column) between consecutive work steps
    of the team: customer turns, closing steps and ignored resources are not work steps,
    and with ``touch_activities`` given only those are (``docs/kpi.md``).
    """

    max_handovers: int | None = 0
    max_touches: int | None = None
    touch_activities: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "max_handovers": self.max_handovers,
            "max_touches": self.max_touches,
            "touch_activities": list(self.touch_activities),
        }


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """Targets for the cases that match ``when`` (attribute → allowed values).

    Targets are seconds on ``calendar`` (business time, or clock time for 24×7).
    An empty ``when`` matches every case.
    """

    name: str
    when: tuple[tuple[str, tuple[str, ...]], ...] = ()
    first_response_s: float | None = None
    resolution_s: float | None = None
    calendar: BusinessCalendar = ALWAYS

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "when": {k: list(v) for k, v in self.when},
            "first_response_s": self.first_response_s,
            "resolution_s": self.resolution_s,
            "calendar": self.calendar.name,
        }


@dataclass(frozen=True, slots=True)
class KpiConfig:
    """What the KPIs and SLAs mean for one kind of log. Build with :func:`load_config`.

    An empty ``closed`` means a case is closed at its last event; an empty ``resolved``
    means resolved when closed; an empty ``first_response`` leaves first response time out.
    """

    first_response: tuple[str, ...] = ()
    resolved: tuple[str, ...] = ()
    closed: tuple[str, ...] = ()
    reopened: tuple[str, ...] = ()
    customer: tuple[str, ...] = ()
    pauses: tuple[Pause, ...] = ()
    fcr: FcrRule = field(default_factory=FcrRule)
    ignore_resources: tuple[str, ...] = ()
    handover_by: str = "resource"
    states: StateMode | None = None
    timezone: str = "UTC"
    calendars: tuple[BusinessCalendar, ...] = ()
    policies: tuple[SlaPolicy, ...] = ()
    segment: str | None = None
    long_lead_time_quantile: float = 0.9
    source: str = "default"
    notes: tuple[str, ...] = ()

    def activities(self) -> set[str]:
        """Every activity name the configuration mentions."""
        names = {
            *self.first_response,
            *self.resolved,
            *self.closed,
            *self.reopened,
            *self.customer,
            *self.fcr.touch_activities,
        }
        if self.states is not None:
            names.update(x for pair in self.states.reopen for x in pair)
        for p in self.pauses:
            names.update(p.start)
            names.update(p.end)
        return names

    def attributes(self) -> set[str]:
        """Every case attribute the configuration mentions."""
        out = {k for p in self.policies for k, _ in p.when}
        if self.segment:
            out.add(self.segment)
        if self.handover_by != "resource":
            out.add(self.handover_by)
        return out

    @property
    def customer_activities(self) -> tuple[str, ...]:
        """Turns taken by the customer: ``activities.customer``, else the pause ends."""
        if self.customer:
            return self.customer
        return tuple(dict.fromkeys(a for p in self.pauses for a in p.end))

    def customer_side(self) -> CustomerSide:
        """Which waits are the customer's, for :func:`servops.mining.bottlenecks`.

        The wait before a customer turn or a closing step (the auto-close window), and
        the wait after a pause start or a resolution.
        """
        from servops.mining.bottlenecks import CustomerSide

        return CustomerSide(
            before=tuple(dict.fromkeys((*self.customer_activities, *self.closed))),
            after=tuple(
                dict.fromkeys(
                    (*(a for p in self.pauses for a in p.start), *self.resolved)
                )
            ),
        )

    def state_roles(self) -> dict[str, str]:
        """Status → role for :func:`servops.mining.state_times`.

        ``pause`` (the SLA clock stops: waiting for the customer, a vendor...),
        ``customer`` (customer turns), ``resolved`` (the auto-close window),
        ``closed``; other statuses are the team's.
        """
        roles = dict.fromkeys(self.closed, "closed")
        roles.update(dict.fromkeys(self.resolved, "resolved"))
        roles.update(dict.fromkeys(self.customer_activities, "customer"))
        roles.update({a: "pause" for p in self.pauses for a in p.start})
        return roles

    @property
    def measures_reopen(self) -> bool:
        """Whether a reopen can be seen: a reopen activity or a reopening state change."""
        return bool(
            self.reopened
            or (
                self.states is not None
                and (self.states.reopen or self.resolved or self.closed)
            )
        )

    def unmeasurable(self) -> dict[str, str]:
        """KPI → why this configuration cannot measure it (empty when all can be)."""
        out: dict[str, str] = {}
        if not self.measures_reopen:
            why = (
                "no reopen activity configured or recognised (activities.reopened), "
                "nor a reopening state change (states; --states for a status or "
                "audit-log export)"
            )
            out["reopen_rate"] = why
            out["fcr_rate"] = "first-contact resolution needs to see reopens: " + why
        if not self.first_response:
            out["first_response"] = "no first-response activity configured"
        if not self.policies:
            out["sla_attainment"] = "no SLA policy configured"
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "activities": {r: list(getattr(self, r)) for r in ROLES},
            "pauses": [p.to_dict() for p in self.pauses],
            "fcr": self.fcr.to_dict(),
            "ignore_resources": list(self.ignore_resources),
            "handover_by": self.handover_by,
            "states": None if self.states is None else self.states.to_dict(),
            "timezone": self.timezone,
            "calendars": [c.to_dict() for c in self.calendars],
            "sla": [p.to_dict() for p in self.policies],
            "segment": self.segment,
            "long_lead_time_quantile": self.long_lead_time_quantile,
            "source": self.source,
            "notes": list(self.notes),
        }

    def validate_against(self, log: EventLog) -> KpiConfig:
        """Check that every activity and attribute named exists in ``log``.

        Raises
        ------
        ConfigError
            Naming the unknown activity (and listing the log's activities) or attribute.
        """
        column = None if self.states is None else self.states.column
        if column is not None and column not in log.attributes:
            msg = (
                f"{self.source}: states.column {column!r} is not a column of the log. "
                f"The log's attributes: {sorted(log.attributes)}."
            )
            raise ConfigError(msg)
        known = _log_activities(log, column)
        missing = sorted(self.activities() - set(known))
        if missing:
            shown = ", ".join(repr(a) for a in known[:80])
            more = f" … (+{len(known) - 80})" if len(known) > 80 else ""
            msg = (
                f"{self.source}: activit{'y' if len(missing) == 1 else 'ies'} "
                f"{', '.join(repr(m) for m in missing)} not in the log. Names must match "
                f"the log exactly (case and spaces). The log's activities: {shown}{more}."
            )
            raise ConfigError(msg)
        attrs = set(log.attributes)
        bad = sorted(a for a in self.attributes() if a not in attrs)
        if bad:
            msg = (
                f"{self.source}: attribute(s) {bad} (in sla.when or segment) not in the "
                f"log. The log's attributes: {sorted(attrs)}."
            )
            raise ConfigError(msg)
        return self


def _target_s(value: object, where: str, *, business: bool) -> float:
    """Seconds in an SLA target; a unit is required (``8`` is more likely hours)."""
    return parse_duration(
        value,
        where,
        error=ConfigError,
        bare_unit=None,
        positive=True,
        business=business,
    ).total_seconds()


def _names(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple) and all(isinstance(v, str | int) for v in value):
        return tuple(str(v) for v in value)
    msg = f"{where}: expected an activity name or a list of names; got {value!r}."
    raise ConfigError(msg)


def _int(value: object, where: str, *, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        msg = f"{where}: expected a whole number >= 0; got {value!r}."
        raise ConfigError(msg)
    return value


def _calendar(spec: Any, name: str) -> BusinessCalendar:  # noqa: ANN401 - a YAML value
    """``BusinessCalendar.from_spec`` with its errors starting with their key path.

    ``calendar 'office' hours mon-fri: …`` becomes ``calendars.office.hours.mon-fri:
    calendar 'office' hours mon-fri: …``, so a YAML document can name its line.
    """
    try:
        return BusinessCalendar.from_spec(spec, name)
    except ConfigError as exc:
        text = str(exc)
        path = f"calendars.{name}"
        m = re.match(
            rf"calendar {re.escape(repr(name))} (hours|holidays)(?: (\S+))?:", text
        )
        if m is not None:
            path += f".{m[1]}" + (f".{m[2]}" if m[2] else "")
        msg = f"{path}: {text}"
        raise ConfigError(msg) from exc.__cause__


def config_from_dict(data: Mapping[str, Any], *, source: str = "config") -> KpiConfig:
    """Build and check a :class:`KpiConfig` from its YAML form (a mapping)."""
    top = _mapping(data, source, _TOP_KEYS)
    acts = _mapping(top.get("activities"), f"{source}: activities", ROLES)
    roles = {r: _names(acts.get(r), f"{source}: activities.{r}") for r in ROLES}

    pauses: list[Pause] = []
    raw_pauses = top.get("pauses") or []
    if not isinstance(raw_pauses, list):
        msg = (
            f"{source}: 'pauses' must be a list of {{start, end}}; got {raw_pauses!r}."
        )
        raise ConfigError(msg)
    for i, p in enumerate(raw_pauses):
        where = f"{source}: pauses[{i}]"
        pm = _mapping(
            {"start": p} if isinstance(p, str) else p, where, ("start", "end")
        )
        start = _names(pm.get("start"), f"{where}.start")
        if not start:
            msg = f"{where}: 'start' (the activity that stops the clock) is required."
            raise ConfigError(msg)
        pauses.append(Pause(start=start, end=_names(pm.get("end"), f"{where}.end")))

    fm = _mapping(
        top.get("fcr"),
        f"{source}: fcr",
        ("max_handovers", "max_touches", "touch_activities"),
    )
    fcr = FcrRule(
        max_handovers=_int(
            fm.get("max_handovers", 0), f"{source}: fcr.max_handovers", allow_none=True
        ),
        max_touches=_int(
            fm.get("max_touches"), f"{source}: fcr.max_touches", allow_none=True
        ),
        touch_activities=_names(
            fm.get("touch_activities"), f"{source}: fcr.touch_activities"
        ),
    )
    hm = _mapping(
        top.get("handovers"), f"{source}: handovers", ("ignore_resources", "by")
    )
    ignore = _names(hm.get("ignore_resources"), f"{source}: handovers.ignore_resources")
    handover_by = str(hm.get("by") or "resource")
    states = _states(top.get("states"), f"{source}: states")

    cal_specs = _mapping(
        top.get("calendars"), f"{source}: calendars", list(top.get("calendars") or {})
    )
    calendars = {str(n): _calendar(s, str(n)) for n, s in cal_specs.items()}
    clash = sorted(set(calendars) & set(_CLOCK_NAMES))
    if clash:
        msg = f"{source}: calendar name(s) {clash} are reserved for clock time; rename them."
        raise ConfigError(msg)

    timezone = top.get("timezone")
    if timezone is None:
        zones = {c.timezone for c in calendars.values()}
        timezone = zones.pop() if len(zones) == 1 else "UTC"
    parse_zone(str(timezone), f"{source}: timezone")

    policies: list[SlaPolicy] = []
    raw_sla = top.get("sla") or []
    if not isinstance(raw_sla, list):
        msg = f"{source}: 'sla' must be a list of policies (matched in order); got {raw_sla!r}."
        raise ConfigError(msg)
    for i, p in enumerate(raw_sla):
        where = f"{source}: sla[{i}]"
        pm = _mapping(
            p, where, ("name", "when", "first_response", "resolution", "calendar")
        )
        name = str(pm.get("name") or f"policy {i + 1}")
        where = f"{source}: sla[{i}] ({name})"
        cal_name = str(pm.get("calendar", "24x7"))
        if cal_name in _CLOCK_NAMES:
            cal = ALWAYS
        elif cal_name in calendars:
            cal = calendars[cal_name]
        else:
            msg = (
                f"{where}: calendar {cal_name!r} is not defined; defined: "
                f"{sorted(calendars)} (or '24x7' for clock time)."
            )
            raise ConfigError(msg)
        business = not cal.is_always_open
        when_raw = _mapping(pm.get("when"), f"{where}.when", list(pm.get("when") or {}))
        when = tuple(
            (str(k), tuple(str(x) for x in (v if isinstance(v, list | tuple) else [v])))
            for k, v in when_raw.items()
        )
        fr = pm.get("first_response")
        res = pm.get("resolution")
        if fr is None and res is None:
            msg = (
                f"{where}: give a 'first_response' or a 'resolution' target (or both)."
            )
            raise ConfigError(msg)
        policies.append(
            SlaPolicy(
                name=name,
                when=when,
                first_response_s=None
                if fr is None
                else _target_s(fr, f"{where}.first_response", business=business),
                resolution_s=None
                if res is None
                else _target_s(res, f"{where}.resolution", business=business),
                calendar=cal,
            )
        )
    names = [p.name for p in policies]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        msg = f"{source}: SLA policy names must be unique; repeated: {dup}."
        raise ConfigError(msg)

    cm = _mapping(top.get("causes"), f"{source}: causes", ("long_lead_time_quantile",))
    q = cm.get("long_lead_time_quantile", 0.9)
    if isinstance(q, bool) or not isinstance(q, int | float) or not 0 < q < 1:
        msg = f"{source}: causes.long_lead_time_quantile must be in (0, 1); got {q!r}."
        raise ConfigError(msg)
    segment = top.get("segment")
    return KpiConfig(
        first_response=roles["first_response"],
        resolved=roles["resolved"],
        closed=roles["closed"],
        reopened=roles["reopened"],
        customer=roles["customer"],
        pauses=tuple(pauses),
        fcr=fcr,
        ignore_resources=ignore,
        handover_by=handover_by,
        states=states,
        timezone=str(timezone),
        calendars=tuple(calendars.values()),
        policies=tuple(policies),
        segment=None if segment is None else str(segment),
        long_lead_time_quantile=float(q),
        source=source,
    )


def _states(value: object, where: str) -> StateMode | None:
    """The ``states`` section: ``true``, or ``{column, reopen: [{from, to}]}``."""
    if value is None or value is False:
        return None
    if value is True:
        return StateMode()
    sm = _mapping(value, where, ("column", "reopen"))
    column = sm.get("column")
    raw = sm.get("reopen") or []
    if not isinstance(raw, list):
        msg = f"{where}.reopen: expected a list of {{from, to}}; got {raw!r}."
        raise ConfigError(msg)
    pairs: list[tuple[str, str]] = []
    for i, r in enumerate(raw):
        rm = _mapping(r, f"{where}.reopen[{i}]", ("from", "to"))
        froms = _names(rm.get("from"), f"{where}.reopen[{i}].from")
        tos = _names(rm.get("to"), f"{where}.reopen[{i}].to")
        if not froms or not tos:
            msg = f"{where}.reopen[{i}]: give both 'from' and 'to' statuses; got {r!r}."
            raise ConfigError(msg)
        pairs += [(a, b) for a in froms for b in tos]
    return StateMode(
        column=None if column is None else str(column), reopen=tuple(pairs)
    )


def _log_activities(log: EventLog, column: str | None = None) -> list[str]:
    if column is not None:
        return [
            str(r[0])
            for r in log.fetchall(
                f"SELECT CAST({_quote(column)} AS VARCHAR) AS v, count(*) FROM events "
                "WHERE v IS NOT NULL GROUP BY v ORDER BY 2 DESC, 1"
            )
        ]
    return [
        str(r[0])
        for r in log.fetchall(
            "SELECT activity, count(*) FROM events GROUP BY activity ORDER BY 2 DESC, 1"
        )
    ]


# Common names in ticket systems, most specific first. Matched case-insensitively.
_GUESS: dict[str, tuple[str, ...]] = {
    "first_response": (
        r"first.?(response|reply|contact)",
        r"take in charge",
        r"acknowledg",
        r"^(accepted\+)?in progress$",
        r"^respon",
        r"^reply",
    ),
    "resolved": (r"resolv|solved|fixed",),
    "closed": (r"^clos|[+ ]closed?\b|close ticket",),
    "reopened": (r"re-?open",),
    "customer": (
        r"(customer|user|requester|client|caller).*(repl|respon|answer|wrote)",
    ),
}
_PAUSE = re.compile(r"wait|pending|on.?hold|suspend", re.IGNORECASE)
_NOT_PAUSE = re.compile(r"assign|queue", re.IGNORECASE)
_RESUME = re.compile(
    r"(customer|user|requester|client).*(repl|respon|answer)|resum", re.IGNORECASE
)


def guess_config(log: EventLog, *, states: StateMode | None = None) -> KpiConfig:
    """A default configuration for ``log``, guessing roles from common activity names.

    The guesses are listed in ``notes`` (and printed by the CLI). With ``states`` the
    roles are guessed from the statuses (``states.column``) and the config is in state
    mode.
    """
    acts = _log_activities(log, None if states is None else states.column)
    roles: dict[str, tuple[str, ...]] = {}
    notes: list[str] = []
    for role, patterns in _GUESS.items():
        found: tuple[str, ...] = ()
        for pat in patterns:
            rx = re.compile(pat, re.IGNORECASE)
            found = tuple(
                a
                for a in acts
                if rx.search(a)
                and not (
                    role != "reopened"
                    and re.search(r"re-?open|unresolv", a, re.IGNORECASE)
                )
            )
            if found:
                break
        roles[role] = found
        notes.append(
            f"guessed {role} = {list(found)}"
            if found
            else f"no {role} activity recognised"
        )
    if not roles["closed"]:
        notes.append("no close activity: a case counts as closed at its last event")
    pause_starts = tuple(
        a for a in acts if _PAUSE.search(a) and not _NOT_PAUSE.search(a)
    )
    resumes = tuple(a for a in acts if _RESUME.search(a))
    pauses = (Pause(start=pause_starts, end=resumes),) if pause_starts else ()
    if pause_starts:
        notes.append(
            f"guessed the SLA clock pauses at {list(pause_starts)} until "
            + (f"{list(resumes)}" if resumes else "the case's next event")
        )
    ignore = tuple(
        r[0]
        for r in log.fetchall(
            "SELECT DISTINCT resource FROM events WHERE lower(resource) IN "
            "('system', 'auto', 'automatic', 'bot', 'robot', 'customer', 'user', "
            "'requester', 'client', 'caller', 'end user', 'end-user')"
        )
    )
    return KpiConfig(
        first_response=roles["first_response"],
        resolved=roles["resolved"],
        closed=roles["closed"],
        reopened=roles["reopened"],
        customer=roles["customer"],
        pauses=pauses,
        ignore_resources=ignore,
        states=states,
        timezone=log.meta.timezone or "UTC",
        source="default (guessed)",
        notes=tuple(notes),
    )


def load_config(
    path: PathLike | None = None,
    log: EventLog | None = None,
    *,
    states: StateMode | None = None,
    handover_by: str | None = None,
) -> KpiConfig:
    """Read a KPI/SLA YAML config, or guess a default for ticket logs when ``path`` is None.

    Parameters
    ----------
    path
        A YAML file, or ``None`` for the default: the config ``log``'s source prescribes
        (:attr:`~servops.EventLog.default_config`: a log read from the live service carries
        its state machine's roles), else activity roles guessed from common names in
        ``log`` (first response, resolved, closed, reopened, waiting states), said so in
        ``notes``, and no SLA policies.
    log
        When given, every activity and attribute the config names is checked against it.
    states
        Read ``log`` as a status/audit-log export (overrides the file's ``states``).
    handover_by
        The column handovers are counted on (overrides ``handovers.by``).

    Returns
    -------
    KpiConfig

    Raises
    ------
    ConfigError
        The file is missing or malformed, or names an activity the log does not have
        (the message lists the log's activities).

    Examples
    --------
    >>> cfg = so.kpi.load_config(None, tiny_log)
    >>> cfg.closed, cfg.resolved
    (('Close',), ('Resolve',))
    """
    if path is None:
        if log is None:
            return KpiConfig(notes=("no log given: nothing guessed",))
        given = log.default_config
        if isinstance(given, KpiConfig) and states is None:
            # the source's roles, not checked against the log: a state the log has
            # not seen yet (or a filter left out) is a role that matches nothing
            if handover_by is not None:
                return replace(given, handover_by=handover_by)
            return given
        cfg = guess_config(log, states=states)
        if handover_by is not None:
            cfg = replace(cfg, handover_by=handover_by).validate_against(log)
        return cfg
    doc = load_yaml(path, what="KPI config")
    data = {} if doc.data is None else doc.data
    try:
        cfg = config_from_dict(data, source=doc.name)
    except ConfigError as exc:
        raise doc.locate(exc) from exc.__cause__
    if states is not None:
        # the option names the column; the file may still give the reopen pairs
        pairs = states.reopen or (cfg.states.reopen if cfg.states else ())
        cfg = replace(cfg, states=replace(states, reopen=pairs))
    if handover_by is not None:
        cfg = replace(cfg, handover_by=handover_by)
    if log is not None:
        cfg.validate_against(log)
        warning = _zone_warning(cfg, log.meta.timezone, given="timezone" in data)
        if warning:
            cfg = replace(cfg, notes=(*cfg.notes, warning))
        if "timezone" not in data and not cfg.calendars:
            cfg = replace(cfg, timezone=log.meta.timezone)
    return cfg


def _zone_warning(cfg: KpiConfig, reading_zone: str, *, given: bool) -> str | None:
    """Warn when offset-less timestamps were read as UTC but the config is elsewhere.

    The config's zone is its ``timezone`` (when given) or a calendar's; ``None`` when
    they agree.

    Examples
    --------
    >>> cfg = config_from_dict({"timezone": "Europe/Rome"})
    >>> _zone_warning(cfg, "UTC", given=True)[:40]
    'warning: timestamps without an offset we'
    >>> _zone_warning(cfg, "Europe/Rome", given=True) is None
    True
    """
    if reading_zone.upper() not in ("UTC", "ETC/UTC"):
        return None
    zones = {c.timezone: f"calendar {c.name!r}" for c in cfg.calendars}
    if given:
        zones.setdefault(cfg.timezone, "timezone")
    other = {z: w for z, w in zones.items() if z.upper() not in ("UTC", "ETC/UTC")}
    if not other:
        return None
    zone, what = next(iter(other.items()))
    return (
        f"warning: timestamps without an offset were read as UTC, but the KPI config "
        f"works in {zone} ({what}). If the export holds local times, read it with "
        f"--timezone {zone} (timezone= in Python): business hours, SLA clocks and "
        f"period boundaries are shifted otherwise."
    )
