"""SMART KPI targets from YAML, and their status on any log.

A target names a metric (as :func:`~servops.improve.before_after` does), the statistic
(``mean``/``median``/``p90`` of a duration, ``rate`` of a rate), the segment it applies
to, a baseline period, the target value and a deadline; optionally the balanced-scorecard
perspective and the OKR objective it belongs to::

    targets:
      - name: E-mail first response within 2 h
        objective: Answer customers faster          # OKR grouping (optional)
        perspective: customer                       # customer | internal | financial | learning
        metric: first_response
        statistic: median
        segment: {channel: email}
        baseline: {start: 2026-09-07, end: 2026-10-04}
        target: 2h                                  # a duration, or a rate: 0.9 / "90%"
        deadline: 2026-12-31

Status, as of the end of the data (or ``as_of``):

* the statistic per arrival week (weeks with at least ``min_cases`` measured cases);
* ``current``: the statistic over the last ``window_weeks`` weeks of arrivals;
* the trend: ordinary least squares of the weekly values after the baseline against
  time, projected to the deadline with its prediction interval
  ``ŷ₀ ± t_{n-2} · s · sqrt(1 + 1/n + (x₀ - x̄)² / Sxx)``; ``p_meet`` is the predictive
  probability that the deadline week meets the target;
* **on track** when the projection meets the target (``p_meet ≥ 0.5``), **at risk**
  otherwise; with fewer than three weekly values after the baseline there is no trend and
  the current value decides. Once the deadline has passed: **met** or **missed**, judged
  on the ``window_weeks`` weeks before it.

Lower is better for durations and the reopen rate, higher for SLA attainment and FCR.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

import numpy as np
from scipy import stats

from servops._durations import parse_duration
from servops._validation import check_interval
from servops._yaml import YamlDoc, load_yaml, mapping
from servops.errors import ConfigError
from servops.improve.beforeafter import (
    DURATION_METRICS,
    METRICS,
    RATE_METRICS,
    metric_values,
)
from servops.improve.censoring import (
    censored_durations,
    censored_statistic,
    still_open,
)
from servops.improve.intervals import STATISTICS, statistic_value
from servops.kpi.cases import case_metrics, resolve_config

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    import pyarrow as pa
    from numpy.typing import NDArray

    from servops._typing import PathLike
    from servops.kpi.config import KpiConfig
    from servops.log import EventLog

__all__ = [
    "PERSPECTIVES",
    "Target",
    "TargetStatus",
    "load_targets",
    "target_status",
    "targets_from_dict",
]

#: Balanced-scorecard perspectives a target may name.
PERSPECTIVES = ("customer", "internal", "financial", "learning")
Status = Literal["on track", "at risk", "met", "missed", "not measurable"]
_KEYS = (
    "name",
    "objective",
    "perspective",
    "metric",
    "statistic",
    "segment",
    "baseline",
    "target",
    "deadline",
)
_LOWER_IS_BETTER = {*DURATION_METRICS, "reopened"}


@dataclass(frozen=True, slots=True)
class Target:
    """One SMART target; ``value`` in seconds (durations) or as a rate in [0, 1]."""

    name: str
    metric: str
    statistic: str
    value: float
    deadline: date
    baseline_start: date | None = None
    baseline_end: date | None = None
    segment: dict[str, str] = field(default_factory=dict)
    perspective: str | None = None
    objective: str | None = None

    @property
    def lower_is_better(self) -> bool:
        """Durations and the reopen rate improve downwards."""
        return self.metric in _LOWER_IS_BETTER

    def meets(self, value: float) -> bool:
        """Whether ``value`` meets the target."""
        return value <= self.value if self.lower_is_better else value >= self.value

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "objective": self.objective,
            "perspective": self.perspective,
            "metric": self.metric,
            "statistic": self.statistic,
            "segment": self.segment,
            "baseline": {
                "start": _iso(self.baseline_start),
                "end": _iso(self.baseline_end),
            },
            "target": self.value,
            "deadline": self.deadline.isoformat(),
            "lower_is_better": self.lower_is_better,
        }


def _iso(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


def _date(value: object, where: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        msg = f"{where}: expected a date like 2026-12-31; got {value!r}."
        raise ConfigError(msg) from None


def _target_value(value: object, metric: str, where: str) -> float:
    if metric in DURATION_METRICS:
        return parse_duration(value, where).total_seconds()
    text = str(value).strip()
    try:
        v = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        v = math.nan
    if not 0 <= v <= 1:
        msg = (
            f"{where}: a rate target must be in [0, 1] or a percentage; got {value!r}."
        )
        raise ConfigError(msg)
    return v


def metric_statistic(
    d: Mapping[str, Any], path: tuple[str | int, ...], doc: YamlDoc
) -> tuple[str, str]:
    """The ``metric`` and ``statistic`` keys of a YAML record (a target, a project's effect).

    Durations take ``mean``, ``median`` (the default) or ``p90``; rates take ``rate``.
    Errors name the file, line and the allowed values.
    """
    metric = str(d.get("metric", ""))
    if metric not in METRICS:
        msg = (
            f"{doc.where((*path, 'metric'))}: unknown metric {metric!r}; one of "
            f"{list(METRICS)}."
        )
        raise ConfigError(msg)
    default = "median" if metric in DURATION_METRICS else "rate"
    statistic = str(d.get("statistic", default))
    allowed = STATISTICS if metric in DURATION_METRICS else ("rate",)
    if statistic not in allowed:
        msg = (
            f"{doc.where((*path, 'statistic'))}: {metric} takes statistic "
            f"{list(allowed)}; got {statistic!r}."
        )
        raise ConfigError(msg)
    return metric, statistic


def _one(raw: object, i: int, doc: YamlDoc) -> Target:
    base = ("targets", i)
    d = mapping(raw, doc.where(base), _KEYS)
    for key in ("name", "metric", "target", "deadline"):
        if key not in d:
            msg = (
                f"{doc.where(base)}: missing {key!r}; a target needs name, metric, "
                "target and deadline."
            )
            raise ConfigError(msg)
    metric, statistic = metric_statistic(d, base, doc)
    perspective = d.get("perspective")
    if perspective is not None and perspective not in PERSPECTIVES:
        msg = (
            f"{doc.where((*base, 'perspective'))}: one of {list(PERSPECTIVES)}; got "
            f"{perspective!r}."
        )
        raise ConfigError(msg)
    seg = d.get("segment") or {}
    if not isinstance(seg, dict):
        msg = (
            f"{doc.where((*base, 'segment'))}: expected attribute: value pairs, e.g. "
            f"{{channel: email}}; got {seg!r}."
        )
        raise ConfigError(msg)
    bl = mapping(d.get("baseline"), doc.where((*base, "baseline")), ("start", "end"))
    return Target(
        name=str(d["name"]),
        metric=metric,
        statistic=statistic,
        value=_target_value(d["target"], metric, doc.where((*base, "target"))),
        deadline=_date(d["deadline"], doc.where((*base, "deadline"))),
        baseline_start=(
            _date(bl["start"], doc.where((*base, "baseline", "start")))
            if "start" in bl
            else None
        ),
        baseline_end=(
            _date(bl["end"], doc.where((*base, "baseline", "end")))
            if "end" in bl
            else None
        ),
        segment={str(k): str(v) for k, v in seg.items()},
        perspective=None if perspective is None else str(perspective),
        objective=None if d.get("objective") is None else str(d["objective"]),
    )


def _targets(doc: YamlDoc) -> tuple[Target, ...]:
    top = mapping(doc.data, doc.where(()), ("targets",))
    items = top.get("targets")
    if not isinstance(items, list) or not items:
        msg = f"{doc.where(('targets',))}: expected a non-empty list of targets."
        raise ConfigError(msg)
    return tuple(_one(raw, i, doc) for i, raw in enumerate(items))


def load_targets(path: PathLike) -> tuple[Target, ...]:
    """Read targets from a YAML file (format in the module docstring).

    Raises
    ------
    ConfigError
        Naming the key, the file and the line of what is wrong.
    """
    return _targets(load_yaml(path, what="targets"))


def targets_from_dict(data: dict[str, Any], name: str = "<dict>") -> tuple[Target, ...]:
    """Targets from an already-parsed mapping (``{"targets": [...]}``).

    Examples
    --------
    >>> (t,) = targets_from_dict(
    ...     {
    ...         "targets": [
    ...             {
    ...                 "name": "SLA",
    ...                 "metric": "sla_met",
    ...                 "target": "90%",
    ...                 "deadline": "2026-12-31",
    ...             }
    ...         ]
    ...     }
    ... )
    >>> t.value, t.statistic, t.lower_is_better
    (0.9, 'rate', False)
    """
    return _targets(YamlDoc(data=data, name=name))


@dataclass(frozen=True, slots=True)
class TargetStatus:
    """Where a target stands on a log.

    Values are in the target's unit (seconds or a rate); ``None`` where not measurable.
    ``weeks`` holds ``(week_start, value, measured_cases)`` per arrival week.
    """

    target: Target
    status: Status
    as_of: datetime
    baseline: float | None
    current: float | None
    projected: float | None
    projected_low: float | None
    projected_high: float | None
    p_meet: float | None
    level: float
    weeks: tuple[tuple[date, float, int], ...]
    summary: str
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "target": self.target.to_dict(),
            "status": self.status,
            "as_of": self.as_of.isoformat(),
            "baseline": self.baseline,
            "current": self.current,
            "projected": self.projected,
            "projected_low": self.projected_low,
            "projected_high": self.projected_high,
            "p_meet": self.p_meet,
            "level": self.level,
            "weeks": [
                {"week": w.isoformat(), "value": v, "cases": n}
                for w, v, n in self.weeks
            ],
            "summary": self.summary,
            "notes": list(self.notes),
        }


def _stat(x: NDArray[np.float64], statistic: str) -> float:
    if statistic == "rate":
        return float(x.mean())
    return statistic_value(x, statistic)  # type: ignore[arg-type]


def _fmt(value: float | None, t: Target) -> str:
    if value is None:
        return "n/a"
    if t.metric in DURATION_METRICS:
        from servops._durations import format_duration

        return format_duration(value)
    return f"{100 * value:.1f} %"


def _fmt_raw(value: float, t: Target) -> str:
    """A value outside the possible range, as a number (a negative duration)."""
    if t.metric in DURATION_METRICS:
        return f"{value / 3600:.1f} h"
    return f"{100 * value:.1f} %"


def _trend(
    xs: NDArray[np.float64], ys: NDArray[np.float64], x0: float, level: float
) -> tuple[float, float, float, float]:
    """OLS projection at ``x0``: point, prediction interval ends, predictive scale."""
    n = xs.size
    xbar = xs.mean()
    sxx = float(((xs - xbar) ** 2).sum())
    slope = float(((xs - xbar) * (ys - ys.mean())).sum()) / sxx
    icpt = float(ys.mean()) - slope * float(xbar)
    resid = ys - (icpt + slope * xs)
    s = math.sqrt(float((resid**2).sum()) / (n - 2))
    y0 = icpt + slope * x0
    scale = s * math.sqrt(1 + 1 / n + (x0 - xbar) ** 2 / sxx)
    t = float(stats.t.ppf(1 - (1 - level) / 2, n - 2))
    return y0, y0 - t * scale, y0 + t * scale, scale


_QUANTILE = {"median": 0.5, "p90": 0.9}


def _known(
    x: NDArray[np.float64], waited_s: NDArray[np.float64], statistic: str
) -> float | None:
    """``statistic`` of durations ``x`` and of open cases that have waited ``waited_s``.

    :func:`~servops.improve.censoring.censored_statistic` (exact where the open cases
    cannot change it, else the Kaplan-Meier quantile; a mean is not known while a case
    is open), the definition :func:`~servops.improve.before_after` uses too.
    """
    if waited_s.size == 0:
        return _stat(x, statistic)
    return censored_statistic(x, waited_s, statistic)


def _status(
    t: Target,
    log: EventLog,
    cases: pa.Table,
    zone: ZoneInfo,
    as_of: datetime | None,
    window_weeks: int,
    min_cases: int,
    level: float,
    is_open: NDArray[np.bool_] | None = None,
) -> TargetStatus:
    """The status of one target (see :func:`target_status`)."""
    arrived_all = cases.column("arrived_at").to_pylist()
    keep = np.ones(cases.num_rows, dtype=bool)
    notes: list[str] = []
    for col, val in t.segment.items():
        if col not in cases.column_names:
            msg = (
                f"target {t.name!r}: segment attribute {col!r} is not in the log; "
                f"attributes: {sorted(log.attributes)}."
            )
            raise ConfigError(msg)
        keep &= np.array([str(v) == val for v in cases.column(col).to_pylist()])
    values = metric_values(cases, t.metric)[keep]
    arrived = [a for a, k in zip(arrived_all, keep, strict=True) if k]
    now = as_of or (max(arrived) if arrived else datetime.now(UTC))
    local = np.array(
        [a.astimezone(zone).date().toordinal() for a in arrived], dtype=np.int64
    )
    censored = np.zeros(values.size, dtype=bool)
    waited = np.zeros(values.size)
    if t.metric in DURATION_METRICS and is_open is not None:
        censored = censored_durations(values, is_open[keep], t.metric)
        values = np.where(censored, np.nan, values)
        end = log.fetchone('SELECT max("timestamp") FROM events')[0]
        waited = np.array(
            [(end - a).total_seconds() for a in arrived], dtype=np.float64
        )
    ok = ~np.isnan(values)
    unknown: list[str] = []

    def between(lo: date | None, hi: date | None) -> NDArray[np.bool_]:
        m = np.ones(values.size, dtype=bool)
        if lo is not None:
            m &= local >= lo.toordinal()
        if hi is not None:
            m &= local <= hi.toordinal()
        return m

    def value_in(m: NDArray[np.bool_], what: str = "") -> float | None:
        if (m & ok).sum() < 2:
            return None
        v = _known(values[m & ok], waited[m & censored], t.statistic)
        if v is None and what:
            unknown.append(what)
        return v

    baseline = (
        value_in(between(t.baseline_start, t.baseline_end), "the baseline")
        if t.baseline_start or t.baseline_end
        else None
    )
    now_day = now.astimezone(zone).date()
    judge_day = min(now_day, t.deadline)
    current = value_in(
        between(
            judge_day - timedelta(weeks=window_weeks) + timedelta(days=1), judge_day
        ),
        f"the last {window_weeks} weeks",
    )
    # weekly values (Monday weeks, local time) after the baseline
    monday = local - (local + 6) % 7  # date.toordinal(): 1 = Monday 0001-01-01
    start = t.baseline_end.toordinal() + 1 if t.baseline_end else -(10**9)
    weeks = []
    for w in np.unique(monday[ok]):
        m = monday == w
        if w >= start and (m & ok).sum() >= min_cases and w <= judge_day.toordinal():
            v = value_in(m, f"the week of {date.fromordinal(int(w)).isoformat()}")
            if v is not None:
                weeks.append((date.fromordinal(int(w)), v, int((m & ok).sum())))
    n_open = int(censored.sum())
    if n_open:
        notes.append(
            f"{n_open} case(s) still open at the end of the data: their "
            f"{t.metric.replace('_', ' ')} is not known yet, only that it exceeds their "
            f"wait so far. Where they could change the {t.statistic}, "
            + (
                "it is the Kaplan-Meier estimate with them right-censored"
                if t.statistic in _QUANTILE
                else "it is not known yet"
            )
            + (f"; not known yet for {', '.join(unknown)}." if unknown else ".")
        )
    projected = low = high = p_meet = None
    passed = now_day >= t.deadline
    if not passed and len(weeks) >= 3:
        xs = np.array([w.toordinal() + 3.5 for w, _, _ in weeks])
        ys = np.array([v for _, v, _ in weeks])
        projected, low, high, scale = _trend(xs, ys, t.deadline.toordinal(), level)
        z = (
            (t.value - projected) / scale
            if scale > 0
            else math.copysign(math.inf, t.value - projected)
        )
        below = float(stats.t.cdf(z, len(weeks) - 2))
        p_meet = below if t.lower_is_better else 1 - below
        # a straight line leaves the possible range (durations < 0, rates outside
        # [0, 1]); the figures shown stay inside it, p_meet is unaffected
        top = 1.0 if t.metric in RATE_METRICS else math.inf
        if not 0.0 <= projected <= top:
            notes.append(
                f"the straight-line trend leaves the possible range before the "
                f"deadline (it projects {_fmt_raw(projected, t)}): the projection "
                f"is clipped to {_fmt(min(max(projected, 0.0), top), t)}; read it as "
                "a direction, not an amount (a step change, such as a new procedure, "
                "is not a trend that goes on)."
            )
        projected, low, high = (min(max(v, 0.0), top) for v in (projected, low, high))
    elif not passed:
        notes.append(
            f"{len(weeks)} weekly value(s) after the baseline (need 3 with at least "
            f"{min_cases} measured cases each): no trend; the current value decides."
        )
    status: Status
    if current is None:
        status = "not measurable"
        if f"the last {window_weeks} weeks" not in unknown:
            notes.append(
                f"fewer than 2 measured cases in the last {window_weeks} weeks."
            )
    elif passed:
        status = "met" if t.meets(current) else "missed"
    elif p_meet is not None:
        status = "on track" if p_meet >= 0.5 else "at risk"
    else:
        status = "on track" if t.meets(current) else "at risk"
    what = (
        f"{t.statistic} {t.metric.replace('_', ' ')}"
        if t.metric in DURATION_METRICS
        else RATE_METRICS[t.metric]
    )
    summary = (
        f"{t.name}: {status}. {what[0].upper() + what[1:]} is {_fmt(current, t)} "
        f"(last {window_weeks} weeks), target {_fmt(t.value, t)} by "
        f"{t.deadline.isoformat()}"
        + (f", baseline {_fmt(baseline, t)}" if baseline is not None else "")
    )
    if projected is not None and p_meet is not None:
        summary += (
            f"; the trend projects {_fmt(projected, t)} at the deadline "
            f"({round(100 * level)} % interval {_fmt(low, t)} to {_fmt(high, t)}; "
            f"chance of meeting the target {100 * p_meet:.0f} %)"
        )
    return TargetStatus(
        target=t,
        status=status,
        as_of=now,
        baseline=baseline,
        current=current,
        projected=projected,
        projected_low=low,
        projected_high=high,
        p_meet=p_meet,
        level=level,
        weeks=tuple(weeks),
        summary=summary + ".",
        notes=tuple(notes),
    )


def target_status(
    log: EventLog,
    targets: Iterable[Target] | PathLike,
    *,
    config: KpiConfig | PathLike | None = None,
    as_of: datetime | None = None,
    window_weeks: int = 4,
    min_cases: int = 5,
    level: float = 0.9,
) -> tuple[TargetStatus, ...]:
    """Status of each target on ``log``: on track, at risk, met, missed.

    Parameters
    ----------
    log
        Any event log (a file, a stored log, the live service's, a simulated one).
    targets
        :class:`Target` objects or the path of a targets YAML file.
    config
        KPI config (object, YAML path, or ``None`` to guess).
    as_of
        The moment of the assessment (default: the last arrival in the log).
    window_weeks
        Weeks of arrivals the current value is computed over.
    min_cases
        Weekly values need at least this many measured cases.
    level
        Level of the projection's prediction interval.
    """
    check_interval(window_weeks, "window_weeks", "target_status", low=1, closed="left")
    check_interval(level, "level", "target_status", low=0, high=1)
    items = (
        load_targets(targets)
        if isinstance(targets, str | os.PathLike)
        else tuple(targets)
    )
    cfg = resolve_config(config, log)
    zone = ZoneInfo(cfg.timezone)
    cases = case_metrics(log, cfg)
    is_open = still_open(cases, cfg)
    return tuple(
        _status(t, log, cases, zone, as_of, window_weeks, min_cases, level, is_open)
        for t in items
    )
