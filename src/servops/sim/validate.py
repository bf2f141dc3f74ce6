"""How far a simulated log is from the real one: the log-distance measures of Simod.

Five measures, defined as in the ``log-distance-measures`` package that Simod uses
(Chapela-Campa et al., "Can I trust my simulation model? Measuring the quality of
business process simulation models", BPM Forum 2023):

``ngram_3``
    n-gram distribution distance (n = 3): each case's activity sequence, ordered by
    start then end, padded with ``n − 1`` empty symbols at both ends, cut into
    n-grams; the distance is ``Σ|f₁(g) − f₂(g)| / (Σf₁ + Σf₂)``, computed on relative
    frequencies (equal to Simod's value when both logs have the same number of
    cases; in [0, 1]).
``cycle_time_emd``
    Wasserstein (earth mover's) distance between the cycle times (last end − first
    start), discretised into bins of one hour (unit: hours).
``absolute_event_emd``
    Wasserstein distance between all start and end timestamps, as whole hours after the
    earliest hour of both logs (unit: hours).
``circadian_event_emd``
    Per weekday, Wasserstein distance between the hours of day of the start and end
    timestamps; the mean over the seven days (a day present in only one log counts 23).
``arrival_emd``
    Wasserstein distance between case arrivals (first start), as whole hours after
    the earliest hour (unit: hours).

Beside each measure :func:`validate_twin` reports the same distance between the two
halves of the real log (cases split by arrival; the second half is moved back by a
whole number of weeks so that absolute measures compare like with like). No twin can
be expected to beat that floor: it is the log's own variation.

Distances alone can flatter a twin (a twin whose median cycle time is 2.4 times the
real one was rated better than the log's halves), so :func:`validate_twin` also
compares three figures directly, as ratios twin / real:

``median_cycle_time`` and ``p90_cycle_time``
    of case durations, as :func:`servops.mining.duration_summary` measures them (from
    the case's arrival where the log records enablement);
``arrivals_per_week``
    cases arriving per week in the steady part of each log
    (:func:`servops.sim.discover.steady_window`).

and gives a **verdict** (:data:`VERDICT_RULES`): ``unfit`` when any ratio is beyond
1.5 (or below 1 / 1.5); ``fit`` when every ratio is within 1.2 (1 / 1.2) and the 3-gram
and cycle-time distances are at most twice the half-vs-half floor; ``questionable``
otherwise. ``reasons`` says which rule decided, in words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from servops.errors import LogSchemaError
from servops.log.engine import epoch_s

if TYPE_CHECKING:
    from servops.log.eventlog import EventLog

__all__ = [
    "FIGURES",
    "MEASURES",
    "VERDICT_RULES",
    "FigureRatio",
    "LogDistances",
    "ValidationResult",
    "log_distances",
    "validate_twin",
]

Verdict = Literal["fit", "questionable", "unfit"]

#: Figures compared directly, twin against real (see the module docstring).
FIGURES = ("median_cycle_time", "p90_cycle_time", "arrivals_per_week")

#: The verdict's thresholds (also in the JSON of ``servops twin validate``).
VERDICT_RULES: dict[str, float] = {
    # unfit: some figure's ratio twin / real is above this or below its inverse
    "unfit_ratio": 1.5,
    # fit: every ratio within this (and its inverse) ...
    "fit_ratio": 1.2,
    # ... and ngram_3 and cycle_time_emd at most this times the half-vs-half floor
    "fit_distance_ratio": 2.0,
}

MEASURES = (
    "ngram_3",
    "cycle_time_emd",
    "absolute_event_emd",
    "circadian_event_emd",
    "arrival_emd",
)
_HOUR = 3600.0
_WEEK = 7 * 86400.0


@dataclass(frozen=True, slots=True)
class _Data:
    """A log as arrays: one row per activity instance, ordered by case then time."""

    case: np.ndarray  # int codes, rows of a case contiguous
    act: np.ndarray  # int codes from 1 (0 is the padding symbol)
    start: np.ndarray  # epoch seconds
    end: np.ndarray

    def subset(self, cases: np.ndarray) -> _Data:
        keep = np.isin(self.case, cases)
        return _Data(self.case[keep], self.act[keep], self.start[keep], self.end[keep])

    def shifted(self, seconds: float) -> _Data:
        return _Data(self.case, self.act, self.start - seconds, self.end - seconds)


def _extract(log: EventLog, vocab: dict[str, int]) -> _Data:
    tbl = log.query(f"""
        SELECT case_id, activity,
               {epoch_s('coalesce(start_timestamp, "timestamp")')} AS s,
               {epoch_s('"timestamp"')} AS e
        FROM instances
        ORDER BY case_id, s, e, event_index""").to_arrow_table()
    if tbl.num_rows == 0:
        msg = f"{log.meta.source}: the log has no activity instances to compare."
        raise LogSchemaError(msg)
    case = tbl.column("case_id").combine_chunks().dictionary_encode()
    acts = tbl.column("activity").combine_chunks().dictionary_encode()
    names = acts.dictionary.to_pylist()
    for n in names:
        vocab.setdefault(str(n), len(vocab) + 1)
    lut = np.asarray([vocab[str(n)] for n in names], dtype=np.int64)
    return _Data(
        case=np.asarray(case.indices.to_numpy(zero_copy_only=False), dtype=np.int64),
        act=lut[
            np.asarray(acts.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
        ],
        start=np.asarray(tbl.column("s").to_numpy(), dtype=float),
        end=np.asarray(tbl.column("e").to_numpy(), dtype=float),
    )


def _ngrams(d: _Data, n: int, base: int) -> dict[int, float]:
    """Relative frequencies of padded n-grams, each gram encoded as one integer."""
    c, k = d.act, d.case
    m = len(c)
    new_case = np.ones(m, dtype=bool)
    new_case[1:] = k[1:] != k[:-1]
    last = np.ones(m, dtype=bool)
    last[:-1] = k[1:] != k[:-1]
    # Position of each row within its case, to know where lags fall off the start.
    idx = np.arange(m)
    first_idx = np.maximum.accumulate(np.where(new_case, idx, 0))
    pos = idx - first_idx

    def lag(j: int) -> np.ndarray:
        out = np.zeros(m, dtype=np.int64)
        if j < m:
            out[j:] = c[:-j] if j else c
        if j:
            out[pos < j] = 0
        return out

    grams = [np.zeros(m, dtype=np.int64)]
    # Grams ending at each activity: (a[i-n+1] … a[i]), padded at the front.
    g = np.zeros(m, dtype=np.int64)
    for j in range(n - 1, -1, -1):
        g = g * base + lag(j)
    grams = [g]
    # Grams running past the end of the case: the last n-t activities + t pads.
    for t in range(1, n):
        g = np.zeros(int(last.sum()), dtype=np.int64)
        for j in range(n - 1 - t, -1, -1):
            g = g * base + lag(j)[last]
        for _ in range(t):
            g = g * base
        grams.append(g)
    allg = np.concatenate(grams)
    vals, counts = np.unique(allg, return_counts=True)
    total = counts.sum()
    return dict(zip(vals.tolist(), (counts / total).tolist(), strict=True))


def _ngram_distance(a: _Data, b: _Data, n: int, base: int) -> float:
    fa, fb = _ngrams(a, n, base), _ngrams(b, n, base)
    return 0.5 * sum(abs(fa.get(g, 0.0) - fb.get(g, 0.0)) for g in set(fa) | set(fb))


def _per_case(d: _Data) -> tuple[np.ndarray, np.ndarray]:
    """First start and last end of each case."""
    starts = np.ones(len(d.case), dtype=bool)
    starts[1:] = d.case[1:] != d.case[:-1]
    at = np.flatnonzero(starts)
    return np.minimum.reduceat(d.start, at), np.maximum.reduceat(d.end, at)


def _wasserstein(x: np.ndarray, y: np.ndarray) -> float:
    from scipy.stats import wasserstein_distance

    if len(x) == 0 or len(y) == 0:
        return math.nan
    return float(wasserstein_distance(x, y))


def _cycle(a: _Data, b: _Data) -> float:
    ca = np.subtract(*_per_case(a)[::-1])
    cb = np.subtract(*_per_case(b)[::-1])
    lo = min(ca.min(), cb.min())
    return _wasserstein(np.floor((ca - lo) / _HOUR), np.floor((cb - lo) / _HOUR))


def _absolute(a: _Data, b: _Data) -> float:
    xa = np.concatenate([a.start, a.end])
    xb = np.concatenate([b.start, b.end])
    origin = math.floor(min(xa.min(), xb.min()) / _HOUR) * _HOUR
    return _wasserstein(
        np.floor((xa - origin) / _HOUR), np.floor((xb - origin) / _HOUR)
    )


def _arrival(a: _Data, b: _Data) -> float:
    xa, xb = _per_case(a)[0], _per_case(b)[0]
    origin = math.floor(min(xa.min(), xb.min()) / _HOUR) * _HOUR
    return _wasserstein(
        np.floor((xa - origin) / _HOUR), np.floor((xb - origin) / _HOUR)
    )


def _circadian(a: _Data, b: _Data) -> float:
    def split(d: _Data) -> tuple[np.ndarray, np.ndarray]:
        x = np.concatenate([d.start, d.end])
        day = np.floor(x / 86400.0)
        weekday = ((day + 3) % 7).astype(int)  # 1970-01-01 was a Thursday
        hour = np.floor((x - day * 86400.0) / _HOUR)
        return weekday, hour

    wa, ha = split(a)
    wb, hb = split(b)
    out = []
    for day in range(7):
        x, y = ha[wa == day], hb[wb == day]
        if len(x) and len(y):
            out.append(_wasserstein(x, y))
        elif len(x) or len(y):
            out.append(23.0)
        else:
            out.append(0.0)
    return float(np.mean(out))


def _all(a: _Data, b: _Data, base: int) -> dict[str, float]:
    return {
        "ngram_3": _ngram_distance(a, b, 3, base),
        "cycle_time_emd": _cycle(a, b),
        "absolute_event_emd": _absolute(a, b),
        "circadian_event_emd": _circadian(a, b),
        "arrival_emd": _arrival(a, b),
    }


@dataclass(frozen=True, slots=True)
class LogDistances:
    """The five distances between two logs (see the module docstring for units)."""

    ngram_3: float
    cycle_time_emd: float
    absolute_event_emd: float
    circadian_event_emd: float
    arrival_emd: float

    def to_dict(self) -> dict[str, float | None]:
        """JSON-ready form."""
        return {m: _json(getattr(self, m)) for m in MEASURES}


def _json(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


@dataclass(frozen=True, slots=True)
class FigureRatio:
    """One figure of the real log and of the twin (seconds, or cases per week)."""

    name: str
    real: float | None
    twin: float | None

    @property
    def ratio(self) -> float | None:
        """``twin / real``; ``None`` when either is not measurable (or real is 0)."""
        if self.real is None or self.twin is None or not self.real > 0:
            return None
        return self.twin / self.real

    def to_dict(self) -> dict[str, float | None]:
        """JSON-ready form."""
        return {"real": self.real, "twin": self.twin, "ratio": self.ratio}


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """A twin against the real log: distances, floor, figure ratios and verdict.

    The distances sit beside the real log's half-vs-half floor; ``figures`` are the
    twin / real ratios of :data:`FIGURES`; ``verdict`` follows :data:`VERDICT_RULES`.
    """

    twin: LogDistances
    floor: LogDistances
    real_cases: int
    simulated_cases: int
    figures: tuple[FigureRatio, ...] = ()

    @property
    def verdict(self) -> Verdict:
        """``fit``, ``questionable`` or ``unfit`` (rules: :data:`VERDICT_RULES`)."""
        return self._judge()[0]

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the verdict is what it is, in words."""
        return self._judge()[1]

    def _judge(self) -> tuple[Verdict, tuple[str, ...]]:
        unfit = VERDICT_RULES["unfit_ratio"]
        fit = VERDICT_RULES["fit_ratio"]
        dist = VERDICT_RULES["fit_distance_ratio"]
        bad: list[str] = []
        loose: list[str] = []
        for f in self.figures:
            r = f.ratio
            label = f.name.replace("_", " ")
            if r is None:
                loose.append(f"{label}: not measurable in both logs")
            elif not 1 / unfit <= r <= unfit:
                bad.append(f"{label} is {r:.2f}× the real log's (limit {unfit}×)")
            elif not 1 / fit <= r <= fit:
                loose.append(f"{label} is {r:.2f}× the real log's (fit within {fit}×)")
        for m in ("ngram_3", "cycle_time_emd"):
            r = self.ratio(m)
            if not r <= dist:
                loose.append(
                    f"{m} is {r:.2f}× the log's half-vs-half distance "
                    f"(fit within {dist}×)"
                )
        if bad:
            return "unfit", tuple(bad + loose)
        if loose:
            return "questionable", tuple(loose)
        return "fit", (
            f"every figure within {fit}× the real log's and the distances within "
            f"{dist}× its half-vs-half floor",
        )

    def ratio(self, measure: str) -> float:
        """Twin distance divided by the floor (1 = as good as the log's own halves)."""
        f = getattr(self.floor, measure)
        t = getattr(self.twin, measure)
        return t / f if f > 0 else (math.inf if t > 0 else 1.0)

    def to_dict(self) -> dict[str, Any]:
        """Per measure: ``distance`` (twin), ``half_vs_half`` (floor) and ``ratio``."""
        out: dict[str, Any] = {
            m: {
                "distance": _json(getattr(self.twin, m)),
                "half_vs_half": _json(getattr(self.floor, m)),
                "ratio": _json(self.ratio(m)),
            }
            for m in MEASURES
        }
        out["real_cases"] = self.real_cases
        out["simulated_cases"] = self.simulated_cases
        out["figures"] = {f.name: f.to_dict() for f in self.figures}
        out["verdict"] = self.verdict
        out["reasons"] = list(self.reasons)
        out["verdict_rules"] = dict(VERDICT_RULES)
        return out


def log_distances(a: EventLog, b: EventLog) -> LogDistances:
    """The five log distances between ``a`` and ``b``.

    Examples
    --------
    >>> d = log_distances(tiny_log, tiny_log)
    >>> d.ngram_3, d.cycle_time_emd
    (0.0, 0.0)
    """
    vocab: dict[str, int] = {}
    da, db = _extract(a, vocab), _extract(b, vocab)
    return LogDistances(**_all(da, db, len(vocab) + 1))


def half_split(d: _Data) -> tuple[_Data, _Data]:
    """The cases of ``d`` split by arrival into two halves.

    The second half is moved back by a whole number of weeks to start where the first
    does (so weekdays and hours still line up).
    """
    first, _ = _per_case(d)
    case_ids = np.unique(d.case)
    if len(case_ids) < 2:  # two halves need two cases
        msg = (
            f"validating a twin compares the real log's two halves; the log has "
            f"{len(case_ids)} case(s). Hint: validate on a log (or filter) with more cases."
        )
        raise LogSchemaError(msg)
    order = case_ids[np.argsort(first, kind="stable")]
    half = len(order) // 2
    a, b = d.subset(order[:half]), d.subset(order[half:])
    gap = _per_case(b)[0].min() - _per_case(a)[0].min()
    return a, b.shifted(math.floor(gap / _WEEK) * _WEEK)


def validate_twin(real: EventLog, simulated: EventLog) -> ValidationResult:
    """Distances of ``simulated`` to ``real``, and of ``real``'s halves to each other.

    Simulate as many cases as the real log has, from its first arrival, for the
    absolute measures to mean something (``servops twin discover`` sets the model's
    start accordingly).

    Examples
    --------
    >>> r = validate_twin(tiny_log, tiny_log)
    >>> r.twin.ngram_3, r.real_cases
    (0.0, 5)
    """
    vocab: dict[str, int] = {}
    dr, ds = _extract(real, vocab), _extract(simulated, vocab)
    base = len(vocab) + 1
    h1, h2 = half_split(dr)
    return ValidationResult(
        twin=LogDistances(**_all(dr, ds, base)),
        floor=LogDistances(**_all(h1, h2, base)),
        real_cases=len(np.unique(dr.case)),
        simulated_cases=len(np.unique(ds.case)),
        figures=_figures(real, simulated, dr, ds),
    )


def _figures(
    real: EventLog, simulated: EventLog, dr: _Data, ds: _Data
) -> tuple[FigureRatio, ...]:
    from servops.mining.timing import duration_summary
    from servops.sim.discover import steady_window

    r, t = duration_summary(real), duration_summary(simulated)

    def weekly(d: _Data) -> float | None:
        arrivals = _per_case(d)[0]
        lo, hi = steady_window(arrivals)
        if not hi > lo:
            return None
        n = int(np.count_nonzero((arrivals >= lo) & (arrivals <= hi)))
        return n / ((hi - lo) / _WEEK)

    return (
        FigureRatio("median_cycle_time", r.median_s, t.median_s),
        FigureRatio("p90_cycle_time", r.p90_s, t.p90_s),
        FigureRatio("arrivals_per_week", weekly(dr), weekly(ds)),
    )
