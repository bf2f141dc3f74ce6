"""A small cost model, and what a change saves per month, with an interval.

The cost model (YAML)::

    cost:
      currency: EUR
      per_agent_hour: 38       # staff cost of an hour of work on a case
      per_ticket: 4.5          # fixed cost of handling a ticket
      per_breach: 120          # penalty or credit per SLA breach
      per_waiting_hour: 0.8    # optional: cost of an hour a customer waits for resolution

The cost of one finished (closed) case is

    per_ticket + per_agent_hour · work hours + per_breach · [SLA breached]
    + per_waiting_hour · hours to resolution

with the work hours the case's processing time (the sum of its activities' service
times, the ``proc_s`` of :func:`servops.mining.value_stream`; estimated when the log has
no start times), the breach and the resolution time from
:func:`servops.kpi.case_metrics`. Cases still open have no cost yet and are counted,
not used.

**The saving per month** is ``(mean cost before - mean cost after) x cases per month``
at the after side's arrival rate (cases a day x 30.4375). Its interval is the interval
of the difference of the mean case costs, scaled by the volume, which is taken as
known: the interval covers the uncertainty of the per-case saving, not that of next
month's volume. The difference is resampled as :func:`~servops.improve.before_after`
resamples durations: by default in blocks of arrival days
(:func:`~servops.improve.intervals.block_bootstrap_differences`, Politis-White block
length read with each weekday's mean taken out and rounded up to whole weeks, each
block starting on the weekday it replaces: ``before_after``'s rule,
:func:`~servops.improve.beforeafter.block_rule`), since cases
that share a queue share its bad and good days (a case's waiting hours and breaches
are the queue's); with fewer than ``MIN_BLOCKS`` blocks a side the
interval is widened to cover the case-resampling one too. ``dependence="none"``
resamples cases independently (BCa,
:func:`~servops.improve.intervals.bootstrap_differences`). A project's own running cost
per month gives the net saving.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from servops._validation import as_rng, check_choice
from servops._yaml import YamlDoc, load_yaml, mapping
from servops.errors import ConfigError
from servops.improve.beforeafter import (
    MIN_BLOCKS,
    Dependence,
    _widened,
    arrival_periods,
    block_rule,
    change_moment,
    segment_cases,
)
from servops.improve.intervals import (
    Interval,
    block_bootstrap_differences,
    block_length,
    bootstrap_differences,
)
from servops.kpi.cases import case_metrics, resolve_config

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import date, datetime

    from numpy.typing import NDArray

    from servops._typing import PathLike, Seed
    from servops.kpi.config import KpiConfig
    from servops.log import EventLog

__all__ = [
    "DAYS_PER_MONTH",
    "CostModel",
    "CostSaving",
    "case_costs",
    "cost_model_from_dict",
    "cost_saving",
    "load_cost_model",
]

#: The mean month (365.25 / 12 days).
DAYS_PER_MONTH = 30.4375
_RATES = ("per_agent_hour", "per_ticket", "per_breach", "per_waiting_hour")
_OWNER = "cost_saving"


@dataclass(frozen=True, slots=True)
class CostModel:
    """Unit costs; every rate in ``currency`` (0 when not given)."""

    per_agent_hour: float = 0.0
    per_ticket: float = 0.0
    per_breach: float = 0.0
    per_waiting_hour: float = 0.0
    currency: str = ""

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "currency": self.currency,
            "per_agent_hour": self.per_agent_hour,
            "per_ticket": self.per_ticket,
            "per_breach": self.per_breach,
            "per_waiting_hour": self.per_waiting_hour,
        }


def _model(doc: YamlDoc) -> CostModel:
    top = mapping(doc.data, doc.where(()), ("cost",))
    d = mapping(top.get("cost"), doc.where(("cost",)), (*_RATES, "currency"))
    if not any(k in d for k in _RATES):
        msg = (
            f"{doc.where(('cost',))}: give at least one of {list(_RATES)} (a cost per "
            "unit, e.g. per_agent_hour: 38)."
        )
        raise ConfigError(msg)
    rates: dict[str, float] = {}
    for key in _RATES:
        v = d.get(key, 0.0)
        ok = isinstance(v, int | float) and not isinstance(v, bool)
        if not ok or not math.isfinite(float(v)) or float(v) < 0:
            msg = (
                f"{doc.where(('cost', key))}: a cost is a number >= 0 (in the model's "
                f"currency); got {v!r}."
            )
            raise ConfigError(msg)
        rates[key] = float(v)
    return CostModel(**rates, currency=str(d.get("currency", "")))


def load_cost_model(path: PathLike) -> CostModel:
    """Read a cost model from YAML (format in the module docstring).

    Raises
    ------
    ConfigError
        Naming the key, the file and the line.
    """
    return _model(load_yaml(path, what="cost model"))


def cost_model_from_dict(data: Mapping[str, Any], name: str = "<dict>") -> CostModel:
    """A cost model from a mapping (``{"cost": {...}}``).

    Examples
    --------
    >>> cost_model_from_dict({"cost": {"per_ticket": 5, "currency": "EUR"}})
    CostModel(per_agent_hour=0.0, per_ticket=5.0, per_breach=0.0, per_waiting_hour=0.0, currency='EUR')
    """
    return _model(YamlDoc(data=dict(data), name=name))


def _work_seconds(log: EventLog) -> dict[str, float]:
    """Processing seconds per case: value_stream's ``proc_s`` (sum of service times)."""
    from servops.log.schema import enabled_column
    from servops.mining._sequence import timed_instances_sql

    timed = timed_instances_sql(
        has_start=log.has_start_times, enabled=enabled_column(log.attributes)
    )
    rows = log.fetchall(
        f"WITH t AS ({timed}) SELECT case_id, coalesce(sum(service_s), 0) FROM t "
        "GROUP BY case_id"
    )
    return {str(c): float(s) for c, s in rows}


def case_costs(
    log: EventLog,
    model: CostModel,
    *,
    config: KpiConfig | PathLike | None = None,
    cases: pa.Table | None = None,
) -> pa.Table:
    """One row per case: ``case_id, arrived_at, work_h, breached, waiting_h, cost``.

    ``cost`` is null for a case still open (not closed by the end of the data).
    ``cases`` is a :func:`servops.kpi.case_metrics` table to use (e.g. a segment).

    Examples
    --------
    >>> m = CostModel(per_agent_hour=60, per_ticket=2)
    >>> t = case_costs(tiny_log, m)
    >>> t.column_names
    ['case_id', 'arrived_at', 'work_h', 'breached', 'waiting_h', 'cost']
    """
    if cases is None:
        cases = case_metrics(log, resolve_config(config, log))
    work = _work_seconds(log)
    ids = [str(c) for c in cases.column("case_id").to_pylist()]
    work_h = np.array([work.get(c, 0.0) / 3600 for c in ids], dtype=float)
    closed = np.array(
        [v is not None for v in cases.column("closed_at").to_pylist()], dtype=bool
    )
    breached = np.array(
        [bool(v) for v in cases.column("sla_breached").to_pylist()], dtype=float
    )
    res = np.array(
        [
            math.nan if v is None else float(v) / 3600
            for v in cases.column("resolution_time_s").to_pylist()
        ],
        dtype=float,
    )
    waiting = np.where(np.isnan(res), 0.0, res) if model.per_waiting_hour == 0 else res
    cost = (
        model.per_ticket
        + model.per_agent_hour * work_h
        + model.per_breach * breached
        + model.per_waiting_hour * waiting
    )
    cost = np.where(closed, cost, np.nan)
    return pa.table(
        {
            "case_id": ids,
            "arrived_at": cases.column("arrived_at"),
            "work_h": work_h,
            "breached": breached.astype(bool),
            "waiting_h": res,
            "cost": pa.array(cost, mask=np.isnan(cost)),
        }
    )


@dataclass(frozen=True, slots=True)
class CostSaving:
    """Mean cost per case before and after a change, and the saving per month.

    ``difference`` is after - before per case; ``saving_per_month`` is
    ``-difference x cases_per_month`` (positive: the change saves money); ``net`` is
    the saving less the project's running cost per month.
    """

    model: CostModel
    change_at: datetime
    before_per_case: float | None
    after_per_case: float | None
    before_cases: int
    after_cases: int
    unmeasured: int
    cases_per_month: float
    difference: Interval | None
    saving_per_month: Interval | None
    running_cost_per_month: float | None
    net_per_month: Interval | None
    method: str
    summary: str
    notes: tuple[str, ...] = field(default=())
    dependence: Dependence = "day"

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""

        def iv(x: Interval | None) -> object:
            return None if x is None else x.to_dict()

        return {
            "model": self.model.to_dict(),
            "change_at": self.change_at.isoformat(),
            "before_per_case": self.before_per_case,
            "after_per_case": self.after_per_case,
            "before_cases": self.before_cases,
            "after_cases": self.after_cases,
            "unmeasured": self.unmeasured,
            "cases_per_month": self.cases_per_month,
            "dependence": self.dependence,
            "difference_per_case": iv(self.difference),
            "saving_per_month": iv(self.saving_per_month),
            "running_cost_per_month": self.running_cost_per_month,
            "net_per_month": iv(self.net_per_month),
            "method": self.method,
            "summary": self.summary,
            "notes": list(self.notes),
        }


def _money(x: float, currency: str) -> str:
    s = f"{abs(x):,.0f}"
    sign = "\N{MINUS SIGN}" if x < 0 else ""
    return f"{sign}{s} {currency}".rstrip()


def _difference(
    xb: NDArray[np.float64],
    xa: NDArray[np.float64],
    units: NDArray[np.int64] | None,
    ok: NDArray[np.bool_],
    after: NDArray[np.bool_],
    dependence: str,
    level: float,
    n_resamples: int,
    rng: np.random.Generator,
    notes: list[str],
) -> Interval:
    """The interval of ``mean(after) - mean(before)`` per case (module text)."""
    if units is not None:
        ub, ua = units[ok & ~after], units[ok & after]
        pb, pa_ = np.unique(ub).size, np.unique(ua).size
        if min(pb, pa_) < 2:
            notes.append(
                f"costed cases arrived on {pb} {dependence}(s) before and {pa_} after "
                "the change: too few periods to resample, so cases were resampled "
                "independently, which is too narrow when cases share a queue."
            )
        else:
            cycle, starts, shares = block_rule(dependence)  # as before_after
            block = block_length(
                xb,
                xa,
                units_before=ub,
                units_after=ua,
                cycle=cycle,
                whole_cycles=starts == "phase",
            )
            iv = block_bootstrap_differences(
                xb,
                xa,
                units_before=ub,
                units_after=ua,
                block=block,
                cycle=cycle,
                starts=starts,
                shares=shares,
                statistics=("mean",),
                level=level,
                n_resamples=n_resamples,
                seed=rng,
            )["mean"]
            if min(pb, pa_) / block >= MIN_BLOCKS:
                return iv
            notes.append(
                f"Too few periods to judge: the interval resamples blocks of {block} "
                f"{dependence}(s) and there are {pb} before and {pa_} after the "
                f"change, fewer than {MIN_BLOCKS} blocks on a side; it is widened to "
                "cover the one from resampling cases too, and may still be too narrow."
            )
            return _widened({"mean": iv}, xb, xa, "duration", level, n_resamples, rng)[
                "mean"
            ]
    return bootstrap_differences(
        xb, xa, statistics=("mean",), level=level, n_resamples=n_resamples, seed=rng
    )["mean"]


def cost_saving(
    log: EventLog,
    model: CostModel | PathLike,
    change_at: date | datetime,
    *,
    segment: Mapping[str, str] | None = None,
    config: KpiConfig | PathLike | None = None,
    running_cost_per_month: float | None = None,
    level: float = 0.95,
    n_resamples: int = 2000,
    seed: Seed = 0,
    dependence: Dependence = "day",
) -> CostSaving:
    """What the change at ``change_at`` saves per month under ``model``.

    Cases are before or after by their arrival, as in
    :func:`~servops.improve.before_after`; a date is midnight in the KPI config's zone.

    Parameters
    ----------
    log
        The event log.
    model
        A :class:`CostModel` or the path of a cost-model YAML file.
    change_at
        When the change took effect.
    segment
        Only cases with these attribute values.
    config
        KPI config (object, YAML path, or ``None`` to guess).
    running_cost_per_month
        The project's own cost per month (e.g. the added person): gives the net saving.
    level, n_resamples, seed
        The bootstrap interval of the difference of mean case costs.
    dependence
        What the bootstrap resamples: ``day`` (blocks of arrival days, the default),
        ``week``, or ``none`` (cases independently), as in
        :func:`~servops.improve.before_after`.

    Raises
    ------
    InvalidParameterError
        A segment attribute the log does not have.
    """
    m = model if isinstance(model, CostModel) else load_cost_model(model)
    cfg = resolve_config(config, log)
    moment = change_moment(change_at, cfg.timezone)
    cases = segment_cases(
        case_metrics(log, cfg).sort_by("case_id"), segment, list(log.attributes), _OWNER
    )
    costs = case_costs(log, m, cases=cases)
    arrived = costs.column("arrived_at").to_pylist()
    after = np.array([a >= moment for a in arrived], dtype=bool)
    c = np.asarray(
        costs.column("cost").to_numpy(zero_copy_only=False), dtype=np.float64
    )
    ok = ~np.isnan(c)
    xb: NDArray[np.float64] = c[ok & ~after]
    xa: NDArray[np.float64] = c[ok & after]
    notes: list[str] = []
    unmeasured = int((~ok).sum())
    if unmeasured:
        open_b, open_a = int((~ok & ~after).sum()), int((~ok & after).sum())
        notes.append(
            f"{unmeasured} case(s) still open at the end of the data have no cost yet "
            f"and are left out ({open_b} before, {open_a} after the change); open "
            "cases tend to be the long ones, so a side with more of them looks "
            "cheaper than it will be."
        )
    if not log.has_start_times:
        notes.append(
            "the log has no start times: work hours are estimated (servops.mining)."
        )
    last = max(arrived) if arrived else moment
    days_after = (last - moment).total_seconds() / 86400
    per_month = (
        int(after.sum()) / days_after * DAYS_PER_MONTH if days_after > 0 else math.nan
    )
    check_choice(dependence, "dependence", _OWNER, ("day", "week", "none"))
    diff = saving = net = None
    method = "bca"
    if xb.size >= 2 and xa.size >= 2 and math.isfinite(per_month):
        diff = _difference(
            xb,
            xa,
            arrival_periods(arrived, dependence, cfg.timezone),
            ok,
            after,
            dependence,
            level,
            n_resamples,
            as_rng(seed),
            notes,
        )
        method = diff.method
        saving = Interval(
            -diff.estimate * per_month,
            -diff.high * per_month,
            -diff.low * per_month,
            level,
            diff.method,
        )
        if running_cost_per_month is not None:
            rc = float(running_cost_per_month)
            net = Interval(
                saving.estimate - rc,
                saving.low - rc,
                saving.high - rc,
                level,
                diff.method,
            )
    else:
        notes.append(
            f"{xb.size} costed case(s) before and {xa.size} after the change: at least "
            "2 on each side are needed for a saving."
        )
    cur = m.currency
    if saving is None:
        summary = "Saving per month: not measurable (too few finished cases on a side)."
    else:
        assert diff is not None
        pct = f"{round(100 * level)} %"
        summary = (
            f"Mean cost per case {_money(float(xb.mean()), cur)} before, "
            f"{_money(float(xa.mean()), cur)} after; at {per_month:,.0f} cases a month "
            f"the change saves {_money(saving.estimate, cur)} a month ({pct} CI "
            f"{_money(saving.low, cur)} to {_money(saving.high, cur)})"
        )
        if net is not None:
            summary += (
                f"; after its running cost of {_money(float(running_cost_per_month or 0), cur)}"
                f" a month, {_money(net.estimate, cur)} ({pct} CI "
                f"{_money(net.low, cur)} to {_money(net.high, cur)})"
            )
        summary += "."
    return CostSaving(
        model=m,
        change_at=moment,
        before_per_case=float(xb.mean()) if xb.size else None,
        after_per_case=float(xa.mean()) if xa.size else None,
        before_cases=int(xb.size),
        after_cases=int(xa.size),
        unmeasured=unmeasured,
        cases_per_month=per_month,
        difference=diff,
        saving_per_month=saving,
        running_cost_per_month=running_cost_per_month,
        net_per_month=net,
        method=f"{method} of the difference of mean case costs x cases per month",
        summary=summary,
        notes=tuple(notes),
        dependence=dependence,
    )
