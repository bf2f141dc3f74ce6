r"""Shewhart, EWMA and CUSUM control charts: phase I limits and phase II monitoring.

Formulas (Montgomery, *Introduction to Statistical Quality Control*, 7th ed., ch. 6, 7
and 9; Minitab "Methods and formulas" for unequal subgroups). ``L`` is the ``sigma``
multiplier (3 by default); d2, d3 and c4 come from :mod:`servops.spc.constants`.

======  ==================================  =======================================
kind    plotted statistic                   center ± L·σ of that statistic
======  ==================================  =======================================
imr     individuals xᵢ; moving range MRᵢ    x̄ ± L·σ; d2(w)σ ± L·d3(w)σ (σ = MR̄/d2)
xbar_r  subgroup mean; range                x̿ ± L·σ/√nᵢ; d2(nᵢ)σ ± L·d3(nᵢ)σ
xbar_s  subgroup mean; standard deviation   x̿ ± L·σ/√nᵢ; c4(nᵢ)σ ± L·σ√(1 − c4²)
p       dᵢ/nᵢ                               p̄ ± L·√(p̄(1 − p̄)/nᵢ), p̄ = Σd/Σn
np      dᵢ                                  nᵢp̄ ± L·√(nᵢp̄(1 − p̄))
c       cᵢ                                  c̄ ± L·√c̄
u       cᵢ/nᵢ                               ū ± L·√(ū/nᵢ), ū = Σc/Σn
ewma    zᵢ = λxᵢ + (1 − λ)zᵢ₋₁, z₀ = μ₀     μ₀ ± L·σ√(λ/(2 − λ)·(1 − (1 − λ)²ⁱ))
cusum   C⁺ᵢ = max(0, xᵢ − μ₀ − kσ + C⁺ᵢ₋₁)  signal when C⁺ or C⁻ exceeds H = hσ
        C⁻ᵢ = max(0, μ₀ − kσ − xᵢ + C⁻ᵢ₋₁)
======  ==================================  =======================================

Lower limits of ranges, standard deviations and counts are floored at 0 (and p at 1).
σ within subgroups: ``rbar`` = Σfᵢ(Rᵢ/d2(nᵢ))/Σfᵢ with fᵢ = d2²/d3² (= R̄/d2 for equal
sizes); ``sbar`` = Σhᵢ(sᵢ/c4(nᵢ))/Σhᵢ with hᵢ = c4²/(1 − c4²) (= S̄/c4); ``pooled`` =
s_p/c4(Σ(nᵢ − 1) + 1). The grand mean is the mean of all observations.

Phase I (:meth:`ControlChart.fit`) estimates the limits from a baseline; with
``drop_out_of_control=True`` it drops the points that signal (test 1 by default) and
re-estimates until nothing new signals, as in Montgomery's "revised control limits".
The dropped points stay on the chart, flagged in ``excluded``. Phase II
(:meth:`ControlChart.monitor`) plots new data against the fixed limits.

Examples
--------
>>> chart = ControlChart("imr").fit([10.0, 12.0, 11.0, 13.0, 12.0])
>>> round(chart.center_, 2), round(chart.sigma_, 4)
(11.6, 1.3293)
>>> [round(v, 3) for v in chart.limits_["individuals"]]
[7.612, 11.6, 15.588]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Self, get_args

import numpy as np

from servops._spc_names import CHART_KINDS, ChartKind
from servops._validation import check_choice, check_interval
from servops.errors import InvalidParameterError, NotFittedError
from servops.spc.constants import c4, d2, d3
from servops.spc.rules import Rules, Signal, run_tests

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from numpy.typing import ArrayLike, NDArray

__all__ = [
    "ChartKind",
    "ChartPart",
    "ChartResult",
    "ControlChart",
    "SigmaMethod",
    "as_subgroups",
    "control_limits",
]

SigmaMethod = Literal["auto", "mr", "rbar", "sbar", "pooled"]
_ATTRIBUTE = ("p", "np", "c", "u")
_SUBGROUPED = ("xbar_r", "xbar_s")
_INDIVIDUAL = ("imr", "ewma", "cusum")


def _frozen(a: ArrayLike) -> NDArray[np.float64]:
    out = np.array(a, dtype=float)
    out.setflags(write=False)
    return out


def _scalar_or_list(a: NDArray[np.float64]) -> float | list[float | None] | None:
    finite = a[np.isfinite(a)]
    if a.size and finite.size == a.size and np.all(a == a[0]):
        return float(a[0])
    if a.size and finite.size == 0 and np.all(np.isnan(a)):
        return None
    return [float(v) if math.isfinite(v) else None for v in a]


def _listed(a: NDArray[np.float64]) -> list[float | None]:
    return [float(v) if math.isfinite(v) else None for v in a]


@dataclass(frozen=True, slots=True)
class ChartPart:
    """One chart of a result (an I-MR result has two parts: individuals and MR).

    Attributes
    ----------
    name
        ``individuals``, ``moving_range``, ``xbar``, ``range``, ``stdev``, ``p``,
        ``np``, ``c``, ``u``, ``ewma`` or ``cusum``.
    points
        The plotted statistic (NaN where there is none, e.g. the first moving range).
    center, lcl, ucl
        Center line and control limits per point.
    sigma
        Standard deviation of the plotted statistic per point: the width of one zone.
    signals
        Tests that fired, sorted by point.
    lower
        CUSUM only: the lower cumulative sum, plotted as ``−C⁻``.
    """

    name: str
    points: NDArray[np.float64]
    center: NDArray[np.float64]
    lcl: NDArray[np.float64]
    ucl: NDArray[np.float64]
    sigma: NDArray[np.float64]
    signals: tuple[Signal, ...]
    rules: Rules
    lower: NDArray[np.float64] | None = None

    def to_dict(self, labels: Sequence[str] | None = None) -> dict[str, Any]:
        """JSON-ready form: ``center``, ``ucl``, ``lcl`` are numbers when constant."""
        d: dict[str, Any] = {
            "chart": self.name,
            "center": _scalar_or_list(self.center),
            "ucl": _scalar_or_list(self.ucl),
            "lcl": _scalar_or_list(self.lcl),
            "sigma": _scalar_or_list(self.sigma),
            "points": _listed(self.points),
            "signals": [
                {**s.to_dict(), **({"label": labels[s.index]} if labels else {})}
                for s in self.signals
            ],
            "tests": self.rules.to_dict(),
        }
        if self.lower is not None:
            d["lower_points"] = _listed(self.lower)
        if labels is not None:
            d["labels"] = list(labels)
        return d


@dataclass(frozen=True, slots=True)
class ChartResult:
    """A control chart: its parts (one or two charts), estimates and signals.

    Attributes
    ----------
    kind
        The chart kind.
    phase
        ``"I"`` for limits estimated from these data, ``"II"`` for new data against
        fixed limits.
    parts
        The charts, primary first (e.g. individuals, then moving range).
    estimates
        What the limits were computed from (mean, σ, p̄, …).
    excluded
        Phase I points left out of the estimate because they signalled.
    labels
        Optional label per point (a period, a subgroup name).
    sizes
        Subgroup sizes (X̄ and attribute charts), else None.
    """

    kind: str
    phase: Literal["I", "II"]
    parts: tuple[ChartPart, ...]
    estimates: Mapping[str, float]
    excluded: tuple[int, ...] = ()
    labels: tuple[str, ...] | None = None
    sizes: NDArray[np.float64] | None = None

    @property
    def primary(self) -> ChartPart:
        """The first chart (individuals, X̄, p, …)."""
        return self.parts[0]

    @property
    def signals(self) -> list[tuple[str, Signal]]:
        """All signals as ``(chart name, signal)``, by point index."""
        out = [(p.name, s) for p in self.parts for s in p.signals]
        return sorted(out, key=lambda ps: (ps[1].index, ps[0], ps[1].test))

    def part(self, name: str) -> ChartPart:
        """Return the part called ``name``."""
        for p in self.parts:
            if p.name == name:
                return p
        msg = f"this {self.kind} result has no chart {name!r}; it has {self.names()}."
        raise KeyError(msg)

    def names(self) -> list[str]:
        """Names of the parts."""
        return [p.name for p in self.parts]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: ``{"kind", "phase", "estimates", "excluded", "charts"}``."""
        labels = list(self.labels) if self.labels is not None else None
        return {
            "kind": self.kind,
            "phase": self.phase,
            "estimates": {k: float(v) for k, v in self.estimates.items()},
            "excluded": list(self.excluded),
            "sizes": _listed(self.sizes) if self.sizes is not None else None,
            "charts": [p.to_dict(labels) for p in self.parts],
        }

    def chart_dicts(self) -> list[dict[str, Any]]:
        """Give one self-contained object per chart (kind, phase, estimates in each)."""
        base = self.to_dict()
        return [
            {
                **c,
                "kind": self.kind,
                "phase": self.phase,
                "estimates": base["estimates"],
                "excluded": base["excluded"],
            }
            for c in base["charts"]
        ]


# -- data shapes ------------------------------------------------------------
def as_subgroups(
    values: ArrayLike | Sequence[Sequence[float]],
    *,
    size: int | None = None,
    subgroups: Sequence[object] | None = None,
) -> list[NDArray[np.float64]]:
    """Split measurements into subgroups.

    Parameters
    ----------
    values
        A 2-D array (one row per subgroup), a list of sequences (unequal sizes), or a
        flat series split by ``size`` or ``subgroups``.
    size
        Consecutive subgroups of this size (the last may be shorter).
    subgroups
        A label per value; subgroups are kept in order of first appearance.

    Examples
    --------
    >>> [g.tolist() for g in as_subgroups([1, 2, 3, 4, 5], size=2)]
    [[1.0, 2.0], [3.0, 4.0], [5.0]]
    >>> [g.tolist() for g in as_subgroups([1, 2, 3], subgroups=["b", "a", "b"])]
    [[1.0, 3.0], [2.0]]
    """
    if size is not None or subgroups is not None:
        flat = np.asarray(values, dtype=float)
        if flat.ndim != 1:
            msg = (
                "Split a flat series with 'size' or 'subgroups'; got an array of shape "
                f"{flat.shape}. Hint: pass a 2-D array or a list of subgroups instead."
            )
            raise InvalidParameterError(msg)
        if subgroups is not None:
            if len(subgroups) != flat.size:
                msg = (
                    f"'subgroups' needs one label per value: got {len(subgroups)} "
                    "labels "
                    f"for {flat.size} values."
                )
                raise InvalidParameterError(msg)
            order: dict[object, list[int]] = {}
            for i, g in enumerate(subgroups):
                order.setdefault(g, []).append(i)
            return [flat[idx] for idx in order.values()]
        assert size is not None
        obj: object = size
        if isinstance(obj, bool) or not isinstance(obj, int | np.integer) or obj < 1:
            msg = f"The 'size' parameter must be an int >= 1. Got {size!r} instead."
            raise InvalidParameterError(msg)
        return [flat[i : i + int(size)] for i in range(0, flat.size, int(size))]
    if isinstance(values, np.ndarray) and values.ndim == 2:
        return [np.asarray(r, dtype=float) for r in values]
    groups = list(values)  # type: ignore[arg-type]
    if groups and all(np.ndim(g) == 0 for g in groups):
        msg = (
            "Subgrouped charts need subgroups: a 2-D array, a list of sequences, or a "
            "flat series with 'size' or 'subgroups'. Got a flat series of "
            f"{len(groups)} values. Hint: ControlChart('xbar_r', size=5)."
        )
        raise InvalidParameterError(msg)
    return [np.atleast_1d(np.asarray(g, dtype=float)) for g in groups]


def _individuals(values: ArrayLike, owner: str) -> NDArray[np.float64]:
    x = np.asarray(values, dtype=float)
    if x.ndim != 1:
        msg = f"{owner} needs a 1-D series of individual values; got shape {x.shape}."
        raise InvalidParameterError(msg)
    bad = np.flatnonzero(~np.isfinite(x))
    if bad.size:
        msg = (
            f"{owner} needs finite values; got {float(x[bad[0]])} at position {int(bad[0])} "
            f"({bad.size} non-finite value(s) in all). Hint: drop missing values first."
        )
        raise InvalidParameterError(msg)
    return x


def _counts_sizes(
    counts: ArrayLike, sizes: ArrayLike | None, kind: str, default_size: int | None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    c = _individuals(counts, f"the {kind} chart")
    if np.any(c < 0):
        i = int(np.flatnonzero(c < 0)[0])
        msg = f"{kind} chart counts must be >= 0; got {c[i]!r} at position {i}."
        raise InvalidParameterError(msg)
    if kind == "c":
        return c, np.ones_like(c)
    if sizes is None:
        if default_size is None:
            what = "units inspected" if kind == "u" else "subgroup sizes"
            msg = (
                f"A {kind} chart needs the {what}: pass sizes=... to fit/monitor, or "
                f"ControlChart({kind!r}, size=N) for a constant size."
            )
            raise InvalidParameterError(msg)
        n = np.full(c.shape, float(default_size))
    else:
        n = np.broadcast_to(np.asarray(sizes, dtype=float), c.shape).copy()
    if np.any(~np.isfinite(n)) or np.any(n <= 0):
        i = int(np.flatnonzero(~np.isfinite(n) | (n <= 0))[0])
        msg = f"{kind} chart sizes must be > 0; got {n[i]!r} at position {i}."
        raise InvalidParameterError(msg)
    if kind in ("p", "np") and np.any(c > n):
        i = int(np.flatnonzero(c > n)[0])
        msg = (
            f"A {kind} chart counts defectives out of a subgroup: got {c[i]:g} "
            f"defectives in a subgroup of {n[i]:g} at position {i}."
        )
        raise InvalidParameterError(msg)
    return c, n


def _ranges(groups: list[NDArray[np.float64]]) -> NDArray[np.float64]:
    return np.array([np.ptp(g) if g.size > 1 else np.nan for g in groups])


def _stdevs(groups: list[NDArray[np.float64]]) -> NDArray[np.float64]:
    return np.array([np.std(g, ddof=1) if g.size > 1 else np.nan for g in groups])


def _moving_range(x: NDArray[np.float64], w: int) -> NDArray[np.float64]:
    mr = np.full(x.size, np.nan)
    if x.size >= w:
        win = np.lib.stride_tricks.sliding_window_view(x, w)
        mr[w - 1 :] = win.max(axis=1) - win.min(axis=1)
    return mr


# -- the estimator ----------------------------------------------------------
@dataclass
class _Params:
    """What phase I learns; phase II reuses it."""

    mean: float = math.nan
    sigma: float = math.nan
    rate: float = math.nan  # p̄, c̄ or ū


class ControlChart:
    """A control chart estimator: ``fit`` a phase I baseline, ``monitor`` new data.

    Parameters
    ----------
    kind
        ``imr``, ``xbar_r``, ``xbar_s``, ``p``, ``np``, ``c``, ``u``, ``ewma`` or
        ``cusum``.
    sigma
        The multiplier L of the control limits (3). Also test 1's K unless ``rules``
        says otherwise.
    rules
        Tests for special causes (default: all eight, Minitab's K). Attribute charts
        and the dispersion charts (MR, R, S) run only tests 1–4 of these, as Minitab
        does; EWMA and CUSUM run test 1 only.
    size
        Subgroup size to split a flat series into (X̄ charts), or the constant
        subgroup size / units (p, np, u) when ``sizes`` is not given.
    sigma_method
        σ within: ``mr`` (I-MR, EWMA, CUSUM), ``rbar`` (X̄-R), ``sbar`` or ``pooled``
        (X̄-S). ``auto`` picks the one in that order.
    mr_span
        Span w of the moving range (2).
    target
        A known process mean μ₀ (standard given) instead of the baseline mean; the
        reference value of EWMA and CUSUM.
    known_sigma
        A known process σ instead of the estimate.
    lam
        EWMA weight λ in (0, 1] (Minitab's default 0.2).
    k
        CUSUM allowance in σ (0.5).
    h
        CUSUM decision interval in σ (4, Minitab's default).
    drop_out_of_control
        Phase I: drop signalling points and re-estimate until none are left.
    drop_tests
        Which tests make a phase I point drop out (test 1).
    max_passes
        Most re-estimation passes.
    lower_bound
        The least value the charted quantity can take (0 for durations and counts):
        lower limits of the individuals, X̄ and EWMA charts below it are clipped to it
        (a limit of −2 h says nothing). Tests are unchanged: no point can fall below
        such a limit.

    Attributes
    ----------
    center_ : float
        Center of the primary chart (mean, p̄, c̄, ū…; for ``np`` p̄).
    sigma_ : float
        σ of the process (variables charts) or NaN (attribute charts).
    limits_ : dict[str, tuple[float, float, float]]
        ``(lcl, center, ucl)`` per part for a typical point (the first one; with
        varying sizes see ``result_``).
    result_ : ChartResult
        The phase I chart of the baseline.
    excluded_ : tuple[int, ...]
        Baseline points left out of the estimate.

    Examples
    --------
    >>> chart = ControlChart("p").fit([3, 5, 2, 8], sizes=[100, 100, 100, 100])
    >>> round(chart.center_, 4), [round(v, 4) for v in chart.limits_["p"]]
    (0.045, [0.0, 0.045, 0.1072])
    >>> [(s.index, s.test) for s in chart.monitor([20], sizes=[100]).primary.signals]
    [(0, 1)]
    """

    def __init__(
        self,
        kind: ChartKind = "imr",
        *,
        sigma: float = 3.0,
        rules: Rules | None = None,
        size: int | None = None,
        sigma_method: SigmaMethod = "auto",
        mr_span: int = 2,
        target: float | None = None,
        known_sigma: float | None = None,
        lam: float = 0.2,
        k: float = 0.5,
        h: float = 4.0,
        drop_out_of_control: bool = False,
        drop_tests: tuple[int, ...] = (1,),
        max_passes: int = 10,
        lower_bound: float | None = None,
    ) -> None:
        self.kind = kind
        self.sigma = sigma
        self.rules = rules
        self.size = size
        self.sigma_method = sigma_method
        self.mr_span = mr_span
        self.target = target
        self.known_sigma = known_sigma
        self.lam = lam
        self.k = k
        self.h = h
        self.drop_out_of_control = drop_out_of_control
        self.drop_tests = drop_tests
        self.max_passes = max_passes
        self.lower_bound = lower_bound

    def __repr__(self) -> str:
        return f"ControlChart(kind={self.kind!r}, sigma={self.sigma!r})"

    # -- parameter checks --------------------------------------------------
    def _validate(self) -> None:
        owner = "ControlChart"
        check_choice(self.kind, "kind", owner, CHART_KINDS)
        check_interval(self.sigma, "sigma", owner, low=0)
        check_choice(self.sigma_method, "sigma_method", owner, get_args(SigmaMethod))
        allowed = {
            "imr": ("auto", "mr"),
            "ewma": ("auto", "mr"),
            "cusum": ("auto", "mr"),
            "xbar_r": ("auto", "rbar", "sbar", "pooled"),
            "xbar_s": ("auto", "rbar", "sbar", "pooled"),
        }.get(self.kind, ("auto",))
        if self.sigma_method not in allowed:
            msg = (
                f"The 'sigma_method' parameter of ControlChart must be one of "
                f"{sorted(allowed)} for a {self.kind} chart. Got {self.sigma_method!r} "
                "instead."
            )
            raise InvalidParameterError(msg)
        span: object = self.mr_span
        if isinstance(span, bool) or not isinstance(span, int) or not 2 <= span <= 100:
            msg = (
                "The 'mr_span' parameter of ControlChart must be an int in the range "
                f"[2, 100]. Got {self.mr_span!r} instead."
            )
            raise InvalidParameterError(msg)
        if self.target is not None:
            check_interval(self.target, "target", owner)
        if self.known_sigma is not None:
            check_interval(self.known_sigma, "known_sigma", owner, low=0)
        check_interval(self.lam, "lam", owner, low=0, high=1, closed="right")
        check_interval(self.k, "k", owner, low=0, closed="left")
        check_interval(self.h, "h", owner, low=0)
        check_interval(self.max_passes, "max_passes", owner, low=1, closed="left")
        if self.lower_bound is not None:
            check_interval(self.lower_bound, "lower_bound", owner)
        if self.rules is not None and not isinstance(self.rules, Rules):
            msg = (
                "The 'rules' parameter of ControlChart must be a Rules instance. Got "
                f"{self.rules!r} instead. Hint: Rules.western_electric()."
            )
            raise InvalidParameterError(msg)
        Rules(tests=self.drop_tests)

    def _rules(self, part: str) -> Rules:
        base = self.rules if self.rules is not None else Rules().with_k1(self.sigma)
        if self.kind in ("ewma", "cusum"):
            return base.restricted((1,))
        if self.kind in _ATTRIBUTE or part in ("moving_range", "range", "stdev"):
            return base.restricted((1, 2, 3, 4))
        return base

    def _method(self) -> str:
        if self.sigma_method != "auto":
            return self.sigma_method
        return {"xbar_r": "rbar", "xbar_s": "sbar"}.get(self.kind, "mr")

    # -- data preparation --------------------------------------------------
    def _prepare(
        self,
        data: ArrayLike | Sequence[Sequence[float]],
        sizes: ArrayLike | None,
        subgroups: Sequence[object] | None,
    ) -> tuple[Any, NDArray[np.float64] | None, int]:
        """Return (payload, sizes, number of points)."""
        if self.kind in _INDIVIDUAL:
            x = _individuals(data, f"the {self.kind} chart")
            return x, None, x.size
        if self.kind in _SUBGROUPED:
            groups = as_subgroups(data, size=self.size, subgroups=subgroups)
            bad = [
                i
                for i, g in enumerate(groups)
                if g.size < 2 or not np.all(np.isfinite(g))
            ]
            if bad:
                g = groups[bad[0]]
                msg = (
                    f"An {self.kind} chart needs subgroups of 2 or more finite values; "
                    f"subgroup {bad[0]} has {g.tolist()!r}. Hint: an I-MR chart suits "
                    "single values."
                )
                raise InvalidParameterError(msg)
            n = np.array([g.size for g in groups], dtype=float)
            return groups, n, len(groups)
        c, n = _counts_sizes(data, sizes, self.kind, self.size)
        return c, (None if self.kind == "c" else n), c.size

    # -- estimation -------------------------------------------------------------------
    def _estimate(self, payload: Any, keep: NDArray[np.bool_]) -> _Params:  # noqa: ANN401
        p = _Params()
        kind = self.kind
        if kind in _INDIVIDUAL:
            x = payload
            p.mean = float(np.mean(x[keep])) if self.target is None else self.target
            if self.known_sigma is not None:
                p.sigma = self.known_sigma
            else:
                w = self.mr_span
                mr = _moving_range(x, w)
                ok = np.zeros(x.size, dtype=bool)
                if x.size >= w:
                    kw = np.lib.stride_tricks.sliding_window_view(keep, w).all(axis=1)
                    ok[w - 1 :] = kw
                if not ok.any():
                    msg = (
                        f"A {kind} chart needs at least {w} consecutive points to "
                        f"estimate σ from moving ranges; got {int(keep.sum())} usable "
                        "point(s). Hint: pass known_sigma=..."
                    )
                    raise InvalidParameterError(msg)
                p.sigma = float(np.mean(mr[ok]) / d2(w))
            return p
        if kind in _SUBGROUPED:
            groups = [g for g, k in zip(payload, keep, strict=True) if k]
            allv = np.concatenate(groups)
            p.mean = float(np.mean(allv)) if self.target is None else self.target
            if self.known_sigma is not None:
                p.sigma = self.known_sigma
                return p
            n = np.array([g.size for g in groups])
            method = self._method()
            if method == "rbar":
                r = _ranges(groups)
                d2n = np.array([d2(int(m)) for m in n])
                d3n = np.array([d3(int(m)) for m in n])
                f = d2n**2 / d3n**2
                p.sigma = float(np.sum(f * r / d2n) / np.sum(f))
            elif method == "sbar":
                s = _stdevs(groups)
                c4n = np.array([c4(int(m)) for m in n])
                hh = c4n**2 / (1 - c4n**2)
                p.sigma = float(np.sum(hh * s / c4n) / np.sum(hh))
            else:
                ss = sum(float(np.sum((g - g.mean()) ** 2)) for g in groups)
                dof = int(np.sum(n - 1))
                p.sigma = math.sqrt(ss / dof) / c4(min(dof + 1, 100))
            return p
        c, nn = payload
        ck, nk = c[keep], nn[keep]
        if kind == "c":
            p.rate = float(np.mean(ck))
        else:
            p.rate = float(np.sum(ck) / np.sum(nk))
        return p

    # -- applying limits --------------------------------------------------------------
    def _parts(self, payload: Any, prm: _Params) -> tuple[ChartPart, ...]:  # noqa: ANN401
        L = self.sigma
        kind = self.kind
        bound = -math.inf if self.lower_bound is None else float(self.lower_bound)
        parts: list[tuple[str, Any, Any, Any, Any, Any]] = []
        if kind == "imr":
            x = payload
            s = prm.sigma
            w = self.mr_span
            parts.append(
                (
                    "individuals",
                    x,
                    np.full(x.size, prm.mean),
                    np.full(x.size, s),
                    bound,
                    math.inf,
                )
            )
            parts.append(
                (
                    "moving_range",
                    _moving_range(x, w),
                    np.full(x.size, d2(w) * s),
                    np.full(x.size, d3(w) * s),
                    0.0,
                    math.inf,
                )
            )
        elif kind in _SUBGROUPED:
            groups = payload
            n = np.array([g.size for g in groups])
            means = np.array([g.mean() for g in groups])
            s = prm.sigma
            parts.append(
                (
                    "xbar",
                    means,
                    np.full(n.size, prm.mean),
                    s / np.sqrt(n),
                    bound,
                    math.inf,
                )
            )
            if kind == "xbar_r":
                parts.append(
                    (
                        "range",
                        _ranges(groups),
                        np.array([d2(int(m)) * s for m in n]),
                        np.array([d3(int(m)) * s for m in n]),
                        0.0,
                        math.inf,
                    )
                )
            else:
                c4n = np.array([c4(int(m)) for m in n])
                parts.append(
                    (
                        "stdev",
                        _stdevs(groups),
                        c4n * s,
                        s * np.sqrt(1 - c4n**2),
                        0.0,
                        math.inf,
                    )
                )
        elif kind in _ATTRIBUTE:
            c, nn = payload
            r = prm.rate
            if kind == "p":
                parts.append(
                    (
                        "p",
                        c / nn,
                        np.full(c.size, r),
                        np.sqrt(r * (1 - r) / nn),
                        0.0,
                        1.0,
                    )
                )
            elif kind == "np":
                parts.append(("np", c, nn * r, np.sqrt(nn * r * (1 - r)), 0.0, nn))
            elif kind == "c":
                parts.append(
                    (
                        "c",
                        c,
                        np.full(c.size, r),
                        np.full(c.size, math.sqrt(r)),
                        0.0,
                        math.inf,
                    )
                )
            else:
                parts.append(
                    ("u", c / nn, np.full(c.size, r), np.sqrt(r / nn), 0.0, math.inf)
                )
        elif kind == "ewma":
            return (self._ewma(payload, prm),)
        else:
            return (self._cusum(payload, prm),)
        out = []
        for name, pts, center, sd, floor, ceil in parts:
            lcl = np.maximum(center - L * sd, floor)
            ucl = np.minimum(center + L * sd, ceil)
            rules = self._rules(name)
            sig = run_tests(pts, center, sd, rules=rules)
            out.append(
                ChartPart(
                    name=name,
                    points=_frozen(pts),
                    center=_frozen(center),
                    lcl=_frozen(lcl),
                    ucl=_frozen(ucl),
                    sigma=_frozen(sd),
                    signals=tuple(sig),
                    rules=rules,
                )
            )
        return tuple(out)

    def _ewma(self, x: NDArray[np.float64], prm: _Params) -> ChartPart:
        lam, L = self.lam, self.sigma
        bound = -math.inf if self.lower_bound is None else float(self.lower_bound)
        z = np.empty(x.size)
        prev = prm.mean
        for i, v in enumerate(x):  # a first-order recursion; series are short
            prev = lam * v + (1 - lam) * prev
            z[i] = prev
        step = np.arange(1, x.size + 1)
        sd = prm.sigma * np.sqrt(lam / (2 - lam) * (1 - (1 - lam) ** (2 * step)))
        center = np.full(x.size, prm.mean)
        rules = self._rules("ewma")
        sig = run_tests(z, center, sd, rules=rules.with_k1(L))
        return ChartPart(
            name="ewma",
            points=_frozen(z),
            center=_frozen(center),
            lcl=_frozen(np.maximum(center - L * sd, bound)),
            ucl=_frozen(center + L * sd),
            sigma=_frozen(sd),
            signals=tuple(sig),
            rules=rules.with_k1(L),
        )

    def _cusum(self, x: NDArray[np.float64], prm: _Params) -> ChartPart:
        s = prm.sigma
        kk, hh = self.k * s, self.h * s
        up = np.empty(x.size)
        lo = np.empty(x.size)
        cp = cm = 0.0
        for i, v in enumerate(x):  # a first-order recursion; series are short
            cp = max(0.0, v - prm.mean - kk + cp)
            cm = max(0.0, prm.mean - kk - v + cm)
            up[i], lo[i] = cp, cm
        desc = f"cumulative sum beyond the decision interval H = {self.h:g} σ"
        sig = [
            Signal(
                index=int(i),
                test=1,
                value=float(up[i] if up[i] > hh else -lo[i]),
                description=desc,
            )
            for i in np.flatnonzero((up > hh) | (lo > hh))
        ]
        zeros = np.zeros(x.size)
        return ChartPart(
            name="cusum",
            points=_frozen(up),
            center=_frozen(zeros),
            lcl=_frozen(zeros - hh),
            ucl=_frozen(zeros + hh),
            sigma=_frozen(np.full(x.size, s)),
            signals=tuple(sig),
            rules=Rules(tests=(1,), k={1: self.h}),
            lower=_frozen(-lo),
        )

    def _estimates(self, prm: _Params) -> dict[str, float]:
        if self.kind in _ATTRIBUTE:
            name = {"p": "p_bar", "np": "p_bar", "c": "c_bar", "u": "u_bar"}[self.kind]
            return {name: prm.rate}
        return {"mean": prm.mean, "sigma": prm.sigma}

    def _labels(
        self, labels: Sequence[object] | None, n: int
    ) -> tuple[str, ...] | None:
        if labels is None:
            return None
        if len(labels) != n:
            msg = (
                f"'labels' needs one label per point: got {len(labels)} for {n} points."
            )
            raise InvalidParameterError(msg)
        return tuple(str(v) for v in labels)

    # -- public -----------------------------------------------------------------------
    def fit(
        self,
        baseline: ArrayLike | Sequence[Sequence[float]],
        *,
        sizes: ArrayLike | None = None,
        subgroups: Sequence[object] | None = None,
        labels: Sequence[object] | None = None,
    ) -> Self:
        """Phase I: estimate the limits from ``baseline`` and chart it.

        Parameters
        ----------
        baseline
            Individual values (``imr``, ``ewma``, ``cusum``); subgroups (``xbar_r``,
            ``xbar_s``: a 2-D array, a list of sequences, or a flat series with
            ``size``/``subgroups``); counts of defectives (``p``, ``np``) or defects
            (``c``, ``u``).
        sizes
            Subgroup sizes (``p``, ``np``) or units inspected (``u``), per point or one
            number.
        subgroups
            Subgroup label per value, for X̄ charts fed a flat series.
        labels
            A label per plotted point (e.g. the period).

        Returns
        -------
        ControlChart
            ``self``, with ``center_``, ``sigma_``, ``limits_``, ``result_``.
        """
        self._validate()
        payload, n_sizes, npts = self._prepare(baseline, sizes, subgroups)
        if npts < 2:
            msg = (
                f"Phase I needs at least 2 points to estimate limits; got {npts}. "
                "Hint: "
                "use a longer baseline."
            )
            raise InvalidParameterError(msg)
        if self.kind in _ATTRIBUTE:
            payload = (payload, n_sizes if n_sizes is not None else np.ones(npts))
        keep = np.ones(npts, dtype=bool)
        prm = self._estimate(payload, keep)
        parts = self._parts(payload, prm)
        if self.drop_out_of_control:
            for _ in range(int(self.max_passes)):
                bad = {
                    s.index
                    for p in parts
                    for s in p.signals
                    if s.test in self.drop_tests and keep[s.index]
                }
                if not bad or keep.sum() - len(bad) < 2:
                    break
                keep[list(bad)] = False
                prm = self._estimate(payload, keep)
                parts = self._parts(payload, prm)
        self._params = prm
        self.excluded_ = tuple(int(i) for i in np.flatnonzero(~keep))
        self.result_ = ChartResult(
            kind=self.kind,
            phase="I",
            parts=parts,
            estimates=self._estimates(prm),
            excluded=self.excluded_,
            labels=self._labels(labels, npts),
            sizes=_frozen(n_sizes) if n_sizes is not None else None,
        )
        self.center_ = prm.rate if self.kind in _ATTRIBUTE else prm.mean
        self.sigma_ = prm.sigma
        self.limits_ = {
            p.name: (float(p.lcl[0]), float(p.center[0]), float(p.ucl[0]))
            for p in parts
        }
        return self

    def monitor(
        self,
        new: ArrayLike | Sequence[Sequence[float]],
        *,
        sizes: ArrayLike | None = None,
        subgroups: Sequence[object] | None = None,
        labels: Sequence[object] | None = None,
    ) -> ChartResult:
        """Phase II: chart ``new`` data against the fitted limits.

        Takes the same data shapes as :meth:`fit`. EWMA and CUSUM restart from μ₀; the
        first moving range of new individuals is undefined.
        """
        if not hasattr(self, "_params"):
            msg = (
                "This ControlChart is not fitted yet. Call fit(baseline) before "
                "monitor(new)."
            )
            raise NotFittedError(msg)
        self._validate()
        payload, n_sizes, npts = self._prepare(new, sizes, subgroups)
        if self.kind in _ATTRIBUTE:
            payload = (payload, n_sizes if n_sizes is not None else np.ones(npts))
        parts = self._parts(payload, self._params)
        return ChartResult(
            kind=self.kind,
            phase="II",
            parts=parts,
            estimates=self._estimates(self._params),
            excluded=(),
            labels=self._labels(labels, npts),
            sizes=_frozen(n_sizes) if n_sizes is not None else None,
        )


def control_limits(
    data: ArrayLike | Sequence[Sequence[float]],
    kind: ChartKind = "imr",
    *,
    sizes: ArrayLike | None = None,
    subgroups: Sequence[object] | None = None,
    labels: Sequence[object] | None = None,
    **params: Any,  # noqa: ANN401
) -> ChartResult:
    """Phase I control chart of ``data``: the function twin of :class:`ControlChart`.

    Parameters
    ----------
    data, sizes, subgroups, labels
        As for :meth:`ControlChart.fit`.
    kind
        The chart kind.
    **params
        Any :class:`ControlChart` parameter (``sigma``, ``rules``, ``size``, …).

    Examples
    --------
    >>> r = control_limits([[1, 2, 3], [2, 3, 4], [3, 4, 5]], kind="xbar_r")
    >>> r.names(), round(float(r.part("range").center[0]), 3)
    (['xbar', 'range'], 2.0)
    """
    chart = ControlChart(kind, **params).fit(
        data, sizes=sizes, subgroups=subgroups, labels=labels
    )
    return chart.result_
