r"""Shift scheduling: the cheapest set of shifts that covers the agents needed per interval.

The classic set-covering model of Dantzig (1954), with breaks placed implicitly by
enumerating each shift's allowed break positions as separate patterns (Aykin 1996
discusses the implicit alternative). With patterns :math:`p`, their cost :math:`c_p`,
:math:`a_{tp} = 1` when pattern :math:`p` has an agent on the queue in interval
:math:`t` (working, not on a break), requirement :math:`r_t` and under-staffing slack
:math:`u_t` at a penalty :math:`U` far above any shift cost:

.. math::
   \min \sum_p c_p x_p + U \sum_t u_t \quad \text{s.t.} \quad
   \sum_p a_{tp} x_p + u_t \ge r_t, \quad x_p \in \mathbb{Z}_{\ge 0},\ u_t \ge 0

(plus an optional cap on the number of shifts of each template). The slack keeps the
model feasible when caps make full cover impossible; the result then reports the
under-staffing instead of failing. Solved by HiGHS (MIT; Huangfu & Hall 2018).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from servops._durations import parse_duration
from servops._yaml import load_yaml
from servops.errors import ConfigError, InvalidParameterError

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pyarrow as pa

    from servops._typing import PathLike

__all__ = [
    "Break",
    "ShiftSchedule",
    "ShiftTemplate",
    "default_templates",
    "read_shift_templates",
    "schedule_shifts",
]

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class Break:
    """A break of ``length`` starting between ``earliest`` and ``latest`` into the shift."""

    length: timedelta
    earliest: timedelta
    latest: timedelta
    paid: bool = False


@dataclass(frozen=True, slots=True)
class ShiftTemplate:
    """A kind of shift: its length, allowed start times and days, breaks and cost.

    ``starts`` are times of day (offsets from midnight); ``days`` are weekdays
    (0 = Monday). ``cost`` defaults to the paid hours. ``max_shifts`` caps how many
    shifts of this template the whole schedule may use.
    """

    name: str
    length: timedelta
    starts: tuple[timedelta, ...]
    days: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)
    breaks: tuple[Break, ...] = ()
    cost: float | None = None
    max_shifts: int | None = None

    @property
    def paid_hours(self) -> float:
        """Hours paid: the length less unpaid breaks."""
        unpaid = sum((b.length for b in self.breaks if not b.paid), timedelta())
        return (self.length - unpaid).total_seconds() / 3600

    @property
    def shift_cost(self) -> float:
        """Cost of one shift (``cost`` or the paid hours)."""
        return self.paid_hours if self.cost is None else self.cost


def default_templates(interval: timedelta) -> list[ShiftTemplate]:
    """Full-time 8.5 h shifts (30 min unpaid break 3-5 h in) and 4 h part-time shifts.

    Both may start at any interval of any day; part-time hours cost 10 % more, so
    full shifts are preferred where they fit.
    """
    step = max(interval, timedelta(minutes=30))
    n = int(timedelta(days=1) / step)
    starts = tuple(step * i for i in range(n))
    return [
        ShiftTemplate(
            "full",
            timedelta(hours=8, minutes=30),
            starts,
            breaks=(
                Break(timedelta(minutes=30), timedelta(hours=3), timedelta(hours=5)),
            ),
        ),
        ShiftTemplate("part", timedelta(hours=4), starts, cost=4.4),
    ]


# -- reading templates ---------------------------------------------------------------------
def _number(value: object, where: str, *, whole: bool = False) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or value < 0
        or (whole and not float(value).is_integer())
    ):
        kind = "a whole number" if whole else "a number"
        msg = f"{where}: expected {kind} >= 0; got {value!r}."
        raise ConfigError(msg)
    return float(value)


def _time_of_day(value: object, where: str) -> timedelta:
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 08:30 as the sexagesimal integer 510 (minutes).
        value = f"{value // 60}:{value % 60:02d}"
    text = str(value).strip()
    try:
        hh, mm = text.split(":")[:2]
        t = timedelta(hours=int(hh), minutes=int(mm))
    except ValueError:
        msg = f"{where}: a start time must look like 06:30; got {value!r}."
        raise ConfigError(msg) from None
    if not timedelta(0) <= t < timedelta(days=1):
        msg = f"{where}: a start time must be within 00:00-23:59; got {value!r}."
        raise ConfigError(msg)
    return t


def _starts(value: object, where: str) -> tuple[timedelta, ...]:
    """``["06:00", "06:30"]`` or ``"06:00-10:00/30m"`` (both ends included)."""
    if isinstance(value, str) and "-" in value:
        rng, _, step_text = value.partition("/")
        first, _, last = rng.partition("-")
        lo, hi = _time_of_day(first, where), _time_of_day(last, where)
        step = parse_duration(step_text or "30m", where, error=ConfigError)
        if step <= timedelta(0) or hi < lo:
            msg = (
                f"{where}: start range {value!r} must run forward with a positive step."
            )
            raise ConfigError(msg)
        count = int((hi - lo) / step) + 1
        return tuple(lo + step * i for i in range(count))
    if isinstance(value, list) and value:
        return tuple(_time_of_day(v, where) for v in value)
    msg = f"{where}: 'starts' must be a list like [06:00, 06:30] or '06:00-10:00/30m'."
    raise ConfigError(msg)


def read_shift_templates(path: PathLike) -> list[ShiftTemplate]:
    """Read shift templates from YAML.

    Examples
    --------
    >>> p = tmp_path / "shifts.yaml"
    >>> _ = p.write_text('''
    ... shifts:
    ...   - name: early
    ...     length: 8h30m
    ...     starts: "06:00-09:00/30m"
    ...     days: [mon, tue, wed, thu, fri]
    ...     breaks: [{length: 30m, earliest: 3h, latest: 5h}]
    ...   - name: evening
    ...     length: 4h
    ...     starts: ["17:00", "18:00"]
    ...     cost: 5
    ... ''')
    >>> [
    ...     (t.name, len(t.starts), t.paid_hours, t.shift_cost)
    ...     for t in read_shift_templates(p)
    ... ]
    [('early', 7, 8.0, 8.0), ('evening', 2, 4.0, 5.0)]
    """
    doc = load_yaml(path, what="shift templates")
    try:
        return _shift_templates(doc.data)
    except ConfigError as exc:
        raise doc.locate(exc) from exc.__cause__


def _shift_templates(doc: object) -> list[ShiftTemplate]:
    top = "shifts" if isinstance(doc, dict) else ""
    items = doc.get("shifts") if isinstance(doc, dict) else doc
    if not isinstance(items, list) or not items:
        msg = (
            f"{top or '(top level)'}: expected a list of shifts under 'shifts:'; got "
            f"{type(items).__name__}."
        )
        raise ConfigError(msg)
    out = []
    known = {"name", "length", "starts", "days", "breaks", "cost", "max_shifts"}
    for i, item in enumerate(items):
        where = f"{top}[{i}]"
        if not isinstance(item, dict):
            msg = f"{where}: must be a mapping with name, length, starts."
            raise ConfigError(msg)
        unknown = set(item) - known
        if unknown:
            msg = (
                f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(known)}."
            )
            raise ConfigError(msg)
        for key in ("length", "starts"):
            if key not in item:
                msg = f"{where}: missing {key!r}."
                raise ConfigError(msg)
        where = f"{top}[{i}] ({item.get('name', i + 1)})"
        days_in = item.get("days", list(_DAYS))
        try:
            days = tuple(_DAYS.index(str(d).lower()[:3]) for d in days_in)
        except ValueError:
            msg = f"{where}.days: must be among {list(_DAYS)}; got {days_in!r}."
            raise ConfigError(msg) from None
        breaks = []
        for j, b in enumerate(item.get("breaks", []) or []):
            at = f"{where}.breaks[{j}]"
            if not isinstance(b, dict) or "length" not in b:
                msg = f"{at}: a break needs length, earliest, latest; got {b!r}."
                raise ConfigError(msg)
            earliest = parse_duration(
                b.get("earliest", "0m"), f"{at}.earliest", error=ConfigError
            )
            breaks.append(
                Break(
                    parse_duration(b["length"], f"{at}.length", error=ConfigError),
                    earliest,
                    parse_duration(
                        b.get("latest", earliest), f"{at}.latest", error=ConfigError
                    ),
                    bool(b.get("paid", False)),
                )
            )
        cost = item.get("cost")
        max_shifts = item.get("max_shifts")
        out.append(
            ShiftTemplate(
                name=str(item.get("name", f"shift{i + 1}")),
                length=parse_duration(
                    item["length"], f"{where}.length", error=ConfigError
                ),
                starts=_starts(item["starts"], f"{where}.starts"),
                days=days,
                breaks=tuple(breaks),
                cost=None if cost is None else _number(cost, f"{where}.cost"),
                max_shifts=None
                if max_shifts is None
                else int(_number(max_shifts, f"{where}.max_shifts", whole=True)),
            )
        )
    return out


# -- the model -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PlannedShift:
    """Shifts of one pattern in the schedule."""

    template: str
    start: datetime
    end: datetime
    breaks: tuple[tuple[datetime, datetime], ...]
    count: int
    cost: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "template": self.template,
            "start": self.start.isoformat(sep=" "),
            "end": self.end.isoformat(sep=" "),
            "breaks": [
                [a.isoformat(sep=" "), b.isoformat(sep=" ")] for a, b in self.breaks
            ],
            "count": self.count,
            "cost": self.cost,
        }


@dataclass(frozen=True, slots=True, eq=False)
class ShiftSchedule:
    """A shift schedule: shifts, coverage per interval, cost and solver status.

    Not :class:`servops.sim.Schedule` (a value per interval, e.g. a pool size, that the
    simulator follows): :meth:`agents_on_queue` turns this plan into such a staffing
    curve for the simulator.

    ``over`` and ``under`` are the agents above and below the requirement per interval;
    ``status`` is HiGHS's model status (``Optimal`` unless the time limit struck, in
    which case ``mip_gap`` says how far from optimal the schedule may be).
    """

    shifts: tuple[PlannedShift, ...]
    interval_start: np.ndarray
    required: np.ndarray
    scheduled: np.ndarray
    total_cost: float
    status: str
    mip_gap: float
    interval_s: float
    notes: tuple[str, ...] = field(default=())

    @property
    def over(self) -> np.ndarray:
        """Agents above the requirement per interval."""
        out: np.ndarray = np.maximum(self.scheduled - self.required, 0.0)
        return out

    @property
    def under(self) -> np.ndarray:
        """Agents missing per interval."""
        out: np.ndarray = np.maximum(self.required - self.scheduled, 0.0)
        return out

    def agents_on_queue(self, shrinkage: float = 0.0) -> np.ndarray:
        """Agents answering per interval: the scheduled ones less ``shrinkage``."""
        out: np.ndarray = np.floor(self.scheduled * (1.0 - shrinkage) + 1e-9).astype(
            np.int64
        )
        return out

    def to_arrow(self) -> pa.Table:
        """Coverage per interval: required, scheduled, over, under."""
        import pyarrow as pa

        return pa.table(
            {
                "interval_start": pa.array(self.interval_start.astype("datetime64[s]")),
                "required": pa.array(self.required),
                "scheduled": pa.array(self.scheduled),
                "over": pa.array(self.over),
                "under": pa.array(self.under),
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        ts = [
            str(t).replace("T", " ")
            for t in self.interval_start.astype("datetime64[s]")
        ]
        step_h = self.interval_s / 3600
        return {
            "status": self.status,
            "total_cost": self.total_cost,
            "mip_gap": self.mip_gap,
            "shifts_total": int(sum(s.count for s in self.shifts)),
            "required_agent_hours": float(self.required.sum() * step_h),
            "scheduled_agent_hours": float(self.scheduled.sum() * step_h),
            "over_agent_hours": float(self.over.sum() * step_h),
            "under_agent_hours": float(self.under.sum() * step_h),
            "intervals_under": int(np.sum(self.under > 1e-9)),
            "notes": list(self.notes),
            "shifts": [s.to_dict() for s in self.shifts],
            "coverage": [
                {
                    "interval_start": t,
                    "required": float(r),
                    "scheduled": float(c),
                    "over": float(o),
                    "under": float(u),
                }
                for t, r, c, o, u in zip(
                    ts,
                    self.required,
                    self.scheduled,
                    self.over,
                    self.under,
                    strict=True,
                )
            ],
        }


def _patterns(
    templates: Sequence[ShiftTemplate],
    start: datetime,
    n: int,
    step: float,
    *,
    wrap: bool,
) -> tuple[list[tuple[int, int, int, tuple[int, ...]]], list[str]]:
    """Enumerate (template, first interval, length in intervals, break intervals)."""
    notes = []
    out: list[tuple[int, int, int, tuple[int, ...]]] = []
    day0 = datetime(start.year, start.month, start.day)
    n_days = math.ceil((start - day0).total_seconds() / 86400 + n * step / 86400)
    for k, tpl in enumerate(templates):
        length = tpl.length.total_seconds() / step
        if abs(length - round(length)) > 1e-9:
            notes.append(
                f"shift {tpl.name!r}: length {tpl.length} is not a whole number "
                f"of {step:g} s intervals; rounded to {round(length)}"
            )
        size = round(length)
        break_options: list[list[tuple[int, ...]]] = []
        for b in tpl.breaks:
            blen = max(1, round(b.length.total_seconds() / step))
            lo = math.ceil(b.earliest.total_seconds() / step - 1e-9)
            hi = math.floor(b.latest.total_seconds() / step + 1e-9)
            opts = [
                tuple(range(o, o + blen)) for o in range(lo, hi + 1) if o + blen <= size
            ]
            if not opts:
                msg = (
                    f"shift {tpl.name!r}: break window {b.earliest}-{b.latest} has no "
                    f"position on the {step:g} s grid inside a {tpl.length} shift."
                )
                raise InvalidParameterError(msg)
            break_options.append(opts)
        combos = (
            [
                tuple(sorted(set(itertools.chain.from_iterable(c))))
                for c in itertools.product(*break_options)
            ]
            if break_options
            else [()]
        )
        skipped = 0
        for d in range(-1 if wrap else 0, n_days + 1):
            day = day0 + timedelta(days=d)
            if day.weekday() not in tpl.days:
                continue
            for st in tpl.starts:
                offset = (day + st - start).total_seconds() / step
                if abs(offset - round(offset)) > 1e-9:
                    skipped += 1
                    continue
                first = round(offset)
                if wrap:
                    if not 0 <= first < n:
                        continue
                elif first < 0 or first + size > n:
                    continue
                out.extend((k, first, size, brk) for brk in combos)
        if skipped:
            notes.append(
                f"shift {tpl.name!r}: {skipped} start(s) off the {step:g} s "
                "interval grid ignored"
            )
    return out, notes


def schedule_shifts(
    required: Sequence[float] | np.ndarray,
    *,
    start: datetime,
    interval: timedelta,
    templates: Sequence[ShiftTemplate] | None = None,
    wrap: bool = False,
    under_cost: float | None = None,
    time_limit: float = 30.0,
    mip_rel_gap: float = 0.01,
) -> ShiftSchedule:
    """The minimal-cost set of shifts covering ``required`` agents per interval.

    Parameters
    ----------
    required
        Agents needed per interval (after shrinkage), from ``start`` on.
    start
        Start of the first interval (local wall clock: weekdays and start times of the
        templates refer to it).
    interval
        Interval length.
    templates
        Shift templates; :func:`default_templates` when None.
    wrap
        Treat the horizon as cyclic (a shift running past the end covers the start),
        e.g. for a typical week.
    under_cost
        Penalty per missing agent-interval; default 10 × the dearest shift + 1, so
        full cover always wins when it is possible.
    time_limit, mip_rel_gap
        HiGHS limits: seconds, and the relative optimality gap (1 % by default; the
        result reports the gap reached).

    Returns
    -------
    ShiftSchedule

    Examples
    --------
    >>> from datetime import datetime, timedelta
    >>> tpl = [
    ...     ShiftTemplate(
    ...         "4h", timedelta(hours=4), tuple(timedelta(hours=h) for h in range(24))
    ...     )
    ... ]
    >>> req = [0] * 8 + [2] * 4 + [3] * 4 + [0] * 8
    >>> s = schedule_shifts(
    ...     req, start=datetime(2024, 1, 8), interval=timedelta(hours=1), templates=tpl
    ... )
    >>> s.status, s.total_cost, s.scheduled[8:16].tolist()
    ('Optimal', 20.0, [2.0, 2.0, 2.0, 2.0, 3.0, 3.0, 3.0, 3.0])
    """
    r = np.asarray(required, dtype=float).ravel()
    n = r.size
    if n == 0 or not np.all(np.isfinite(r)) or r.min() < 0:
        msg = (
            "The 'required' parameter of schedule_shifts must be a non-empty sequence "
            f"of finite numbers >= 0. Got {n} value(s), min {r.min() if n else None}."
        )
        raise InvalidParameterError(msg)
    step = interval.total_seconds()
    tpls = list(templates) if templates else default_templates(interval)
    pats, notes = _patterns(tpls, start, n, step, wrap=wrap)
    if not pats:
        msg = (
            "schedule_shifts: no shift template fits the horizon "
            f"({n} intervals of {step:g} s from {start}); check lengths, days, starts."
        )
        raise InvalidParameterError(msg)
    costs = np.array([tpls[k].shift_cost for k, _, _, _ in pats], dtype=float)
    penalty = under_cost if under_cost is not None else 10.0 * float(costs.max()) + 1.0
    from scipy.sparse import csc_matrix

    # Column-wise matrix: column p has a 1 in every interval pattern p works.
    starts_idx = [0]
    index: list[int] = []
    for _k, first, size, brk in pats:
        rel = np.setdiff1d(np.arange(size), np.asarray(brk, dtype=int))
        rows = np.unique((first + rel) % n if wrap else first + rel)
        index.extend(rows.tolist())
        starts_idx.append(len(index))
    n_pat = len(pats)
    a = csc_matrix(
        (np.ones(len(index)), np.asarray(index), np.asarray(starts_idx)),
        shape=(n, n_pat),
    )
    template_of = np.array([p[0] for p in pats])
    caps = [
        (np.flatnonzero(template_of == k), int(t.max_shifts))
        for k, t in enumerate(tpls)
        if t.max_shifts is not None
    ]
    day = round(86400 / step)
    warm = None
    if n > day and not wrap and not caps:
        # A week of 15-minute intervals is hard for branch and bound from scratch;
        # solving day by day (each day's shifts over what earlier days already cover)
        # gives an incumbent within ~1 % of the LP bound in a few seconds.
        warm = _rolling_days(
            a, pats, costs, r, penalty, day, min(5.0, time_limit / 4), mip_rel_gap
        )
    res = _solve(a, costs, r, penalty, caps, time_limit, mip_rel_gap, warm)
    if res is None:
        msg = "schedule_shifts: HiGHS returned no solution."
        raise InvalidParameterError(msg)
    x, status, gap = res
    counts = np.round(x).astype(np.int64)
    coverage = np.zeros(n)
    shifts = []
    step_td = timedelta(seconds=step)
    for i in np.flatnonzero(counts > 0):
        k, first, size, brk = pats[i]
        rel = np.setdiff1d(np.arange(size), np.asarray(brk, dtype=int))
        rows = (first + rel) % n if wrap else first + rel
        np.add.at(coverage, rows, counts[i])
        s0 = start + step_td * first
        brk_spans = _spans(brk)
        shifts.append(
            PlannedShift(
                template=tpls[k].name,
                start=s0,
                end=s0 + step_td * size,
                breaks=tuple(
                    (s0 + step_td * a, s0 + step_td * b) for a, b in brk_spans
                ),
                count=int(counts[i]),
                cost=float(counts[i] * costs[i]),
            )
        )
    shifts.sort(key=lambda s: (s.start, s.template))
    if np.any(coverage < r - 1e-9):
        notes.append(
            "some intervals stay under-staffed (template caps or no shift "
            "reaching them); see 'under'"
        )
    step64 = np.timedelta64(int(step), "s")
    return ShiftSchedule(
        shifts=tuple(shifts),
        interval_start=np.datetime64(start, "s") + step64 * np.arange(n),
        required=r,
        scheduled=coverage,
        total_cost=float(sum(s.cost for s in shifts)),
        status=status,
        mip_gap=gap if math.isfinite(gap) else 0.0,
        interval_s=step,
        notes=tuple(notes),
    )


def _spans(idx: Sequence[int]) -> list[tuple[int, int]]:
    """Contiguous runs ``[a, b)`` of sorted interval indices."""
    spans: list[tuple[int, int]] = []
    for i in idx:
        if spans and spans[-1][1] == i:
            spans[-1] = (spans[-1][0], i + 1)
        else:
            spans.append((i, i + 1))
    return spans


def _quiet_highs() -> Any:  # noqa: ANN401 - highspy.Highs, untyped
    """A ``highspy.Highs`` without its banner on stdout.

    HiGHS prints "Running HiGHS ..." from C++ when the solver is built, before
    ``output_flag`` can be set, so file descriptor 1 is pointed at the null device
    for that moment (Python's ``sys.stdout`` is not what C++ writes to).
    """
    import os
    import sys

    import highspy

    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no file descriptor 1 (embedded interpreter): nothing to hide
        return highspy.Highs()  # type: ignore[no-untyped-call]
    try:
        with open(os.devnull, "w") as null:  # noqa: PTH123
            os.dup2(null.fileno(), 1)
            return highspy.Highs()  # type: ignore[no-untyped-call]
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _solve(
    a: Any,  # noqa: ANN401 - scipy sparse matrix
    costs: np.ndarray,
    r: np.ndarray,
    penalty: float,
    caps: list[tuple[np.ndarray, int]],
    time_limit: float,
    mip_rel_gap: float,
    warm: np.ndarray | None = None,
) -> tuple[np.ndarray, str, float] | None:
    """Solve the covering MILP with HiGHS; returns pattern counts, status and gap."""
    import highspy

    n, n_pat = a.shape
    lp = highspy.HighsLp()
    lp.num_col_ = n_pat + n
    lp.num_row_ = n
    lp.col_cost_ = np.concatenate([costs, np.full(n, penalty)])
    lp.col_lower_ = np.zeros(n_pat + n)
    lp.col_upper_ = np.full(n_pat + n, highspy.kHighsInf)
    lp.row_lower_ = r
    lp.row_upper_ = np.full(n, highspy.kHighsInf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.concatenate([a.indptr, a.indptr[-1] + np.arange(1, n + 1)])
    lp.a_matrix_.index_ = np.concatenate([a.indices, np.arange(n)]).astype(np.int32)
    lp.a_matrix_.value_ = np.ones(a.nnz + n)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n_pat + [
        highspy.HighsVarType.kContinuous
    ] * n
    h = _quiet_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    h.setOptionValue("threads", 1)
    h.passModel(lp)
    for cols, cap in caps:
        if cols.size:
            h.addRow(
                0.0, float(cap), cols.size, cols.astype(np.int32), np.ones(cols.size)
            )
    if warm is not None:
        sol = highspy.HighsSolution()
        sol.col_value = np.concatenate([warm, np.maximum(r - a @ warm, 0.0)])
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    x = np.asarray(h.getSolution().col_value, dtype=float)
    if x.size != n_pat + n:
        return None
    status = str(h.modelStatusToString(h.getModelStatus()))
    gap = float(getattr(h.getInfo(), "mip_gap", 0.0))
    return x[:n_pat], status, gap if math.isfinite(gap) else 0.0


def _rolling_days(
    a: Any,  # noqa: ANN401 - scipy sparse matrix
    pats: list[tuple[int, int, int, tuple[int, ...]]],
    costs: np.ndarray,
    r: np.ndarray,
    penalty: float,
    day: int,
    time_limit: float,
    mip_rel_gap: float,
) -> np.ndarray | None:
    """A schedule built day by day, each day looking one shift length ahead.

    Day d's problem covers what earlier days left uncovered, from the start of day d
    to one (longest) shift past its end, with shifts lying inside that window; only the
    shifts that start on day d are kept.
    """
    n, n_pat = a.shape
    first = np.array([p[1] for p in pats])
    last = first + np.array([p[2] for p in pats])
    look = max(p[2] for p in pats)
    x = np.zeros(n_pat)
    cover = np.zeros(n)
    for d0 in range(0, n, day):
        end = min(n, d0 + day + look)
        cols = np.flatnonzero((first >= d0) & (first < end) & (last <= end))
        if cols.size == 0:
            continue
        resid = np.clip(r[d0:end] - cover[d0:end], 0.0, None)
        sub = a[d0:end, :][:, cols]
        res = _solve(sub, costs[cols], resid, penalty, [], time_limit, mip_rel_gap)
        if res is None:
            return None
        xd = np.where(first[cols] < d0 + day, np.round(res[0]), 0.0)
        x[cols] = xd
        cover += a[:, cols] @ xd
    return x
