"""Staffing requirements per interval: Erlang C (vectorised) or Erlang A for a whole day/week.

Each interval is staffed on its own (the stationary approximation workforce-management
suites use): its forecast calls and AHT give an offered load, and the smallest number of
agents meeting the targets follows from :mod:`servops.staffing.erlang`. Erlang C walks the
Erlang B recursion for all intervals at once, so a week of 15-minute intervals takes
milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from servops._validation import check_interval
from servops.errors import InvalidParameterError
from servops.staffing.erlang import (
    Duration,
    Targets,
    erlang_a_staffing,
    erlang_c_staffing,
    make_targets,
    seconds,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pyarrow as pa

    from servops._typing import PathLike

__all__ = ["Requirements", "StaffingPlan", "read_requirements", "staffing_requirements"]


class StaffingPlan:
    """Agents needed per interval and what they achieve (one row per interval).

    Columns (numpy arrays): ``calls``, ``aht_s``, ``load_erlangs``, ``agents`` (to
    schedule, with shrinkage), ``agents_on_queue``, ``required_fte`` (before rounding),
    ``service_level``, ``asa_s``, ``occupancy``, ``p_wait``, ``p_abandon`` (NaN without
    patience); ``interval_start`` when known.
    """

    __slots__ = ("columns", "interval_s", "interval_start", "model", "shrinkage")

    def __init__(
        self,
        columns: dict[str, np.ndarray],
        *,
        interval_s: float,
        interval_start: Sequence[datetime] | np.ndarray | None,
        model: str,
        shrinkage: float,
    ) -> None:
        self.columns = columns
        self.interval_s = interval_s
        self.interval_start = interval_start
        self.model = model
        self.shrinkage = shrinkage

    def __len__(self) -> int:
        return int(self.columns["agents"].size)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def mean_aht_s(self) -> float:
        """Handle time averaged over the calls (the plain mean when there are none).

        Examples
        --------
        >>> staffing_requirements(
        ...     [30, 10], interval=1800, aht=[200, 100], service_level=0.8, threshold=20
        ... ).mean_aht_s()
        175.0
        """
        calls = self.columns["calls"]
        aht = self.columns["aht_s"]
        if calls.sum() > 0:
            return float(np.sum(aht * calls) / calls.sum())
        return float(aht.mean())

    def to_arrow(self) -> pa.Table:
        """One row per interval as a pyarrow Table."""
        import pyarrow as pa

        cols: dict[str, Any] = {}
        if self.interval_start is not None:
            cols["interval_start"] = pa.array(
                np.asarray(self.interval_start, dtype="datetime64[s]")
            )
        for k, v in self.columns.items():
            cols[k] = pa.array(v, mask=~np.isfinite(v) if v.dtype.kind == "f" else None)
        return pa.table(cols)

    def rows(self) -> list[dict[str, Any]]:
        """One JSON-ready dict per interval (``agents``, ``service_level``, … first)."""
        keys = [
            "agents",
            "service_level",
            "asa_s",
            "occupancy",
            "agents_on_queue",
            "required_fte",
            "calls",
            "aht_s",
            "load_erlangs",
            "p_wait",
            "p_abandon",
        ]
        starts = (
            None
            if self.interval_start is None
            else [
                str(t).replace("T", " ")
                for t in np.asarray(self.interval_start, dtype="datetime64[s]")
            ]
        )
        out = []
        for i in range(len(self)):
            row: dict[str, Any] = {}
            if starts is not None:
                row["interval_start"] = starts[i]
            for k in keys:
                v = self.columns[k][i]
                row[k] = (
                    int(v)
                    if self.columns[k].dtype.kind == "i"
                    else (float(v) if np.isfinite(v) else None)
                )
            out.append(row)
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: a summary and the rows."""
        agents = self.columns["agents"]
        calls = self.columns["calls"]
        sl = self.columns["service_level"]
        weighted_sl = (
            float(np.sum(sl * calls) / calls.sum()) if calls.sum() > 0 else 1.0
        )
        return {
            "model": self.model,
            "interval_s": self.interval_s,
            "shrinkage": self.shrinkage,
            "intervals": len(self),
            "peak_agents": int(agents.max(initial=0)),
            "agent_hours": float(agents.sum() * self.interval_s / 3600),
            "service_level": weighted_sl,
            "rows": self.rows(),
        }


def staffing_requirements(
    calls: Sequence[float] | np.ndarray,
    *,
    interval: Duration,
    aht: Duration | Sequence[float] | np.ndarray,
    service_level: float | None = None,
    threshold: Duration | None = None,
    asa: Duration | None = None,
    max_occupancy: float | None = None,
    max_abandon: float | None = None,
    patience: Duration | None = None,
    shrinkage: float = 0.0,
    interval_start: Sequence[datetime] | np.ndarray | None = None,
) -> StaffingPlan:
    """Agents needed in every interval to meet the targets.

    Parameters
    ----------
    calls
        Calls per interval (forecast or actual).
    interval
        Interval length.
    aht
        Average handle time in seconds: one value, or one per interval (NaN entries
        take the mean of the others).
    service_level, threshold, asa, max_occupancy, max_abandon, patience, shrinkage
        As in :func:`~servops.staffing.agents_for_target`.
    interval_start
        Start of each interval, carried into the result.

    Returns
    -------
    StaffingPlan

    Examples
    --------
    >>> plan = staffing_requirements(
    ...     [100, 50, 0], interval=1800, aht=180, service_level=0.8, threshold=20
    ... )
    >>> plan["agents"].tolist()
    [14, 8, 0]
    """
    owner = "staffing_requirements"
    c = np.asarray(calls, dtype=float).ravel()
    if c.size and (not np.all(np.isfinite(c)) or c.min() < 0):
        bad = int(np.flatnonzero(~np.isfinite(c) | (c < 0))[0])
        msg = (
            f"The 'calls' parameter of {owner} must hold finite numbers >= 0. Got "
            f"{c[bad]!r} at position {bad}."
        )
        raise InvalidParameterError(msg)
    iv = seconds(interval, "interval", owner)
    if isinstance(aht, (int, float)) or hasattr(aht, "total_seconds"):
        h = np.full(c.size, seconds(aht, "aht", owner))  # type: ignore[arg-type]
    else:
        h = np.asarray(aht, dtype=float).ravel().copy()
        if h.size != c.size:
            msg = (
                f"The 'aht' parameter of {owner} must be one value or one per "
                f"interval ({c.size}). Got {h.size} values."
            )
            raise InvalidParameterError(msg)
        ok = np.isfinite(h) & (h > 0)
        if not ok.any():
            msg = f"The 'aht' parameter of {owner} has no positive finite value."
            raise InvalidParameterError(msg)
        h[~ok] = float(np.mean(h[ok]))
    s = check_interval(shrinkage, "shrinkage", owner, low=0.0, high=1.0, closed="left")
    targets = make_targets(
        owner,
        service_level=service_level,
        threshold=threshold,
        asa=asa,
        max_occupancy=max_occupancy,
        max_abandon=max_abandon,
    )
    if interval_start is not None and len(interval_start) != c.size:
        msg = (
            f"The 'interval_start' parameter of {owner} must have one entry per "
            f"interval ({c.size}). Got {len(interval_start)}."
        )
        raise InvalidParameterError(msg)
    loads = c * h / iv
    if patience is None:
        if targets.max_abandon is not None:
            msg = f"The 'max_abandon' parameter of {owner} needs a patience (Erlang A)."
            raise InvalidParameterError(msg)
        out = erlang_c_staffing(loads, h, targets)
        p_ab = np.full(c.size, np.nan)
        model = "erlang_c"
    else:
        pat = seconds(patience, "patience", owner)
        fields = (
            "agents",
            "service_level",
            "asa_s",
            "occupancy",
            "p_wait",
            "p_abandon",
        )
        res = {k: np.zeros(c.size) for k in fields}
        guess = np.ceil(loads).astype(np.int64)
        if targets.service_level is not None or targets.asa_s is not None:
            # Erlang C's answer is within a few agents of Erlang A's: a cheap start.
            c_targets = Targets(
                targets.service_level,
                targets.threshold_s,
                targets.asa_s,
                targets.max_occupancy,
            )
            guess = erlang_c_staffing(loads, h, c_targets)["agents"]
        for i in range(c.size):
            m = erlang_a_staffing(
                float(loads[i]), float(h[i]), pat, targets, guess=int(guess[i])
            )
            for k in fields:
                res[k][i] = getattr(m, k)
        out = {k: res[k] for k in fields if k != "p_abandon"}
        out["agents"] = res["agents"].astype(np.int64)
        p_ab = res["p_abandon"]
        model = "erlang_a"
    n = out["agents"].astype(np.int64)
    fte = n / (1.0 - s)
    scheduled = np.ceil(np.round(fte, 9)).astype(np.int64)
    return StaffingPlan(
        {
            "calls": c,
            "aht_s": h,
            "load_erlangs": loads,
            "agents": scheduled,
            "agents_on_queue": n,
            "required_fte": fte,
            "service_level": out["service_level"],
            "asa_s": out["asa_s"],
            "occupancy": out["occupancy"],
            "p_wait": out["p_wait"],
            "p_abandon": p_ab,
        },
        interval_s=iv,
        interval_start=interval_start,
        model=model,
        shrinkage=s,
    )


@dataclass(frozen=True, slots=True, eq=False)
class Requirements:
    """Agents required per interval, read from a file (``interval_start`` + agents)."""

    start: datetime
    interval_s: float
    required: np.ndarray


def read_requirements(
    path: PathLike, *, interval_s: float | None = None
) -> Requirements:
    """Read a requirements file: ``interval_start`` and ``agents`` (or ``required``).

    Rows are sorted by time; the interval is the smallest step between them (or
    ``interval_s`` when the file has a single row).

    Raises
    ------
    InvalidParameterError
        Naming the file, column, row and value when a time or a number does not read,
        or two rows share a time.
    """
    import pyarrow as pa

    from servops.io.files import infer_types, read_table

    table, _ = infer_types(
        read_table(path, what="staffing requirements"), keep_text=("interval_start",)
    )
    col = next((c for c in ("agents", "required") if c in table.column_names), None)
    if col is None or "interval_start" not in table.column_names:
        msg = (
            f"{path}: a requirements file needs the columns interval_start and agents "
            f"(or required); it has {table.column_names}."
        )
        raise InvalidParameterError(msg)
    texts = [str(v) for v in table.column("interval_start").to_pylist()]
    try:
        ts = np.array([t.replace(" ", "T") for t in texts], dtype="datetime64[s]")
    except ValueError:
        bad = next(i for i, t in enumerate(texts) if not _is_time(t.replace(" ", "T")))
        msg = (
            f"{path}: column interval_start, row {bad + 2}: {texts[bad]!r} is not a "
            "date and time (write 2024-01-08 09:30)."
        )
        raise InvalidParameterError(msg) from None
    try:
        required = np.asarray(table.column(col).cast(pa.float64()).to_numpy(), float)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        msg = f"{path}: column {col} must hold numbers of agents."
        raise InvalidParameterError(msg) from None
    order = np.argsort(ts, kind="stable")
    ts, required = ts[order], required[order]
    steps = np.diff(ts.astype(np.int64))
    if steps.size and steps.min() <= 0:
        dup = str(ts[int(np.argmin(steps))]).replace("T", " ")
        msg = f"{path}: column interval_start has {dup} twice; one row per interval."
        raise InvalidParameterError(msg)
    if steps.size:
        step = float(steps.min())
    elif interval_s is not None:
        step = float(interval_s)
    else:
        msg = f"{path}: a single row does not say the interval length; give it."
        raise InvalidParameterError(msg)
    return Requirements(ts[0].astype(datetime), step, required)


def _is_time(text: str) -> bool:
    try:
        np.datetime64(text, "s")
    except ValueError:
        return False
    return True
