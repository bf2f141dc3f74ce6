"""Tests for special causes: the eight Nelson/Minitab tests, Western Electric rules.

Each point is standardised as ``z = (x − center) / σ``, where σ is the standard
deviation of the plotted statistic (so zones work with varying limits, as on a p chart
with unequal subgroups). With Minitab's default ``K``:

====  ==================================================================================
test  signal at point *i* when …
====  ==================================================================================
1     1 point more than K = 3 σ from the center line
2     K = 9 points in a row on the same side of the center line
3     K = 6 points in a row, all increasing or all decreasing
4     K = 14 points in a row, alternating up and down
5     K = 2 out of K + 1 points more than 2 σ from the center line (same side)
6     K = 4 out of K + 1 points more than 1 σ from the center line (same side)
7     K = 15 points in a row within 1 σ of the center line (either side)
8     K = 8 points in a row more than 1 σ from the center line (either side)
====  ==================================================================================

References: L. S. Nelson, "The Shewhart control chart — tests for special causes",
*J. Quality Technology* 16(4), 1984; Minitab, "Tests for special causes" (methods and
formulas); Western Electric, *Statistical Quality Control Handbook*, 1956 (rules 1, 5,
6 and 8 points on one side).

Conventions, chosen to match Minitab:

* a signal is reported at the point that completes the pattern; while a run goes on,
  every further point completes it again and is flagged too;
* for tests 5 and 6 the completing point must itself lie beyond 2σ (1σ) on that side;
  near the start of a series the window is the points seen so far;
* "more than" and "within" are strict: a point exactly on a boundary counts for
  neither, a point on the center line breaks runs of test 2, equal neighbours break
  tests 3 and 4;
* missing values (NaN, e.g. the first moving range) are never flagged and break runs.

Examples
--------
>>> sig = run_tests([0, 0.5, 3.5, 0.2], center=0.0, sigma=1.0)
>>> [(s.index, s.test) for s in sig]
[(2, 1)]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from servops.errors import InvalidParameterError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from numpy.typing import ArrayLike, NDArray

__all__ = [
    "DEFAULT_K",
    "TEST_NUMBERS",
    "Rules",
    "RulesPreset",
    "Signal",
    "describe_test",
    "run_tests",
    "signal_indices",
    "standardize",
]

TEST_NUMBERS: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7, 8)

#: Minitab's default K for each test.
DEFAULT_K: Mapping[int, float] = {1: 3.0, 2: 9, 3: 6, 4: 14, 5: 2, 6: 4, 7: 15, 8: 8}

RulesPreset = Literal["minitab", "nelson", "western_electric", "attribute", "test1"]


def describe_test(test: int, k: float) -> str:
    """Minitab's wording of test ``test`` with parameter ``k``.

    Examples
    --------
    >>> describe_test(2, 9)
    '9 points in a row on same side of center line'
    """
    kk = f"{k:g}"
    texts = {
        1: f"1 point more than {kk} standard deviations from center line",
        2: f"{kk} points in a row on same side of center line",
        3: f"{kk} points in a row, all increasing or all decreasing",
        4: f"{kk} points in a row, alternating up and down",
        5: f"{kk} out of {int(k) + 1} points more than 2 standard deviations from "
        "center line (same side)",
        6: f"{kk} out of {int(k) + 1} points more than 1 standard deviation from "
        "center line (same side)",
        7: f"{kk} points in a row within 1 standard deviation of center line "
        "(either side)",
        8: f"{kk} points in a row more than 1 standard deviation from center line "
        "(either side)",
    }
    return texts[test]


# Smallest sensible K for each test (a "run" of 1 is no pattern).
_MIN_K: Mapping[int, float] = {1: 0.0, 2: 2, 3: 3, 4: 3, 5: 1, 6: 1, 7: 2, 8: 2}


@dataclass(frozen=True, slots=True)
class Rules:
    """Which tests to run and their K.

    Parameters
    ----------
    tests
        Test numbers (1–8) to run.
    k
        K per test; tests not named keep Minitab's default (:data:`DEFAULT_K`). K of
        test 1 is a number of σ (a float); the others are counts of points.

    Examples
    --------
    >>> Rules.western_electric().tests, Rules.western_electric().k[2]
    ((1, 2, 5, 6), 8)
    >>> Rules(k={2: 7}).k[2], Rules(k={2: 7}).k[3]
    (7, 6)
    """

    tests: tuple[int, ...] = TEST_NUMBERS
    k: Mapping[int, float] = field(default_factory=lambda: dict(DEFAULT_K))

    def __post_init__(self) -> None:
        tests = tuple(sorted(set(self.tests)))
        bad = [t for t in tests if t not in TEST_NUMBERS]
        if bad:
            msg = (
                f"The 'tests' parameter of Rules must hold test numbers 1 to 8. "
                f"Got {list(self.tests)!r} instead."
            )
            raise InvalidParameterError(msg)
        merged: dict[int, float] = dict(DEFAULT_K)
        for t, v in dict(self.k).items():
            if t not in TEST_NUMBERS:
                msg = (
                    f"The 'k' parameter of Rules maps test numbers 1 to 8 to K. "
                    f"Got test {t!r} instead."
                )
                raise InvalidParameterError(msg)
            obj: object = v
            ok = isinstance(obj, int | float) and not isinstance(obj, bool)
            ok = ok and math.isfinite(v) and (v > 0 if t == 1 else v >= _MIN_K[t])
            if t != 1:
                ok = ok and float(v).is_integer()
            if not ok:
                kind = "a number > 0" if t == 1 else f"an integer >= {_MIN_K[t]:g}"
                msg = (
                    f"K of test {t} must be {kind}. Got {v!r} instead. Hint: K of test "
                    f"1 is a number of σ, the others count points."
                )
                raise InvalidParameterError(msg)
            merged[t] = float(v) if t == 1 else int(v)
        object.__setattr__(self, "tests", tests)
        object.__setattr__(self, "k", merged)

    @classmethod
    def minitab(cls) -> Rules:
        """All eight tests with Minitab's default K (the same as Nelson's)."""
        return cls()

    @classmethod
    def western_electric(cls) -> Rules:
        """Western Electric rules: tests 1, 5, 6 and a run of 8 (not 9) on one side."""
        return cls(tests=(1, 2, 5, 6), k={2: 8})

    @classmethod
    def attribute(cls) -> Rules:
        """Run tests 1–4, as Minitab does on attribute (p, np, c, u) charts."""
        return cls(tests=(1, 2, 3, 4))

    @classmethod
    def preset(cls, name: RulesPreset) -> Rules:
        """Build a named set of rules.

        ``minitab``/``nelson``, ``western_electric``, ``attribute``, or ``test1``
        (points beyond the limits only).
        """
        if name in ("minitab", "nelson"):
            return cls.minitab()
        if name == "western_electric":
            return cls.western_electric()
        if name == "attribute":
            return cls.attribute()
        if name == "test1":
            return cls(tests=(1,))
        msg = (
            "The 'name' parameter of Rules.preset must be one of ['attribute', "
            f"'minitab', 'nelson', 'test1', 'western_electric']. Got {name!r} instead."
        )
        raise InvalidParameterError(msg)

    def restricted(self, allowed: Iterable[int]) -> Rules:
        """Keep only the tests that are also in ``allowed`` (same K)."""
        keep = set(allowed)
        return replace(self, tests=tuple(t for t in self.tests if t in keep))

    def with_k1(self, k1: float) -> Rules:
        """Return the same rules with test 1 at ``k1`` σ."""
        return Rules(tests=self.tests, k={**self.k, 1: k1})

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"tests": list(self.tests), "k": {str(t): self.k[t] for t in self.tests}}


@dataclass(frozen=True, slots=True)
class Signal:
    """One test firing at one point."""

    index: int
    test: int
    value: float
    description: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "index": self.index,
            "test": self.test,
            "value": self.value,
            "description": self.description,
        }


def standardize(
    values: ArrayLike, center: ArrayLike, sigma: ArrayLike
) -> NDArray[np.float64]:
    """``(x − center) / σ`` per point; σ = 0 gives 0 on the center line, ±inf off it.

    Examples
    --------
    >>> standardize([1.0, 3.0, 2.0], 2.0, [1.0, 0.5, 0.0]).tolist()
    [-1.0, 2.0, 0.0]
    """
    x = np.asarray(values, dtype=float)
    c = np.broadcast_to(np.asarray(center, dtype=float), x.shape)
    s = np.broadcast_to(np.asarray(sigma, dtype=float), x.shape)
    d = x - c
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(s > 0, d / np.where(s > 0, s, 1.0), np.sign(d) * np.inf)
    z = np.where((s <= 0) & (d == 0), 0.0, z)
    return np.where(np.isnan(x), np.nan, z)


def _run_end(cond: NDArray[np.bool_], k: int) -> NDArray[np.bool_]:
    """Flag i when cond holds at i and at the k − 1 points before it."""
    n = cond.size
    out = np.zeros(n, dtype=bool)
    if k <= 0 or n < k:
        return out
    c = np.concatenate(([0], np.cumsum(cond.astype(np.int64))))
    out[k - 1 :] = (c[k:] - c[:-k]) == k
    return out


def _count_last(cond: NDArray[np.bool_], w: int) -> NDArray[np.int64]:
    """How many of the last ``w`` points (fewer at the start) satisfy cond, per i."""
    c = np.concatenate(([0], np.cumsum(cond.astype(np.int64))))
    idx = np.arange(cond.size)
    lo = np.maximum(idx + 1 - w, 0)
    return c[idx + 1] - c[lo]


def run_tests(
    values: ArrayLike,
    center: ArrayLike,
    sigma: ArrayLike,
    *,
    rules: Rules | None = None,
) -> list[Signal]:
    """Run the tests for special causes on a plotted series.

    Parameters
    ----------
    values
        The plotted statistic, one per point (NaN = no point).
    center
        Center line, a scalar or one value per point.
    sigma
        Standard deviation of the plotted statistic (the width of one zone), a scalar
        or one value per point.
    rules
        Which tests and which K; default :meth:`Rules.minitab`.

    Returns
    -------
    list of Signal
        Sorted by point index, then test number.

    Examples
    --------
    Nine points above the center line trip test 2 at the ninth:

    >>> [(s.index, s.test) for s in run_tests([0.5] * 9, 0.0, 1.0)]
    [(8, 2)]
    """
    rules = rules or Rules()
    x = np.asarray(values, dtype=float)
    if x.ndim != 1:
        msg = f"run_tests needs a 1-D series of plotted values. Got shape {x.shape}."
        raise InvalidParameterError(msg)
    z = standardize(x, center, sigma)
    valid = ~np.isnan(z)
    zz = np.where(valid, z, 0.0)
    hits: list[NDArray[np.int64]] = []
    dx = np.full(x.size, np.nan)
    dx[1:] = np.diff(x)
    for t in rules.tests:
        k = rules.k[t]
        ki = int(k)
        if t == 1:
            fire = valid & (np.abs(zz) > k)
        elif t == 2:
            fire = _run_end(valid & (zz > 0), ki) | _run_end(valid & (zz < 0), ki)
        elif t == 3:
            up = np.nan_to_num(dx, nan=0.0) > 0
            down = np.nan_to_num(dx, nan=0.0) < 0
            fire = _run_end(up, ki - 1) | _run_end(down, ki - 1)
        elif t == 4:
            s = np.sign(np.nan_to_num(dx, nan=0.0))
            alt = np.zeros(x.size, dtype=bool)
            alt[2:] = (s[2:] * s[1:-1]) < 0
            fire = _run_end(alt, ki - 2)
        elif t in (5, 6):
            level = 2.0 if t == 5 else 1.0
            above = valid & (zz > level)
            below = valid & (zz < -level)
            fire = (above & (_count_last(above, ki + 1) >= ki)) | (
                below & (_count_last(below, ki + 1) >= ki)
            )
        elif t == 7:
            fire = _run_end(valid & (np.abs(zz) < 1.0), ki)
        else:
            fire = _run_end(valid & (np.abs(zz) > 1.0), ki)
        hits.append(np.flatnonzero(fire) * 16 + t)
    if not hits:
        return []
    # one sort of index·16 + test orders by point, then test
    keys = np.sort(np.concatenate(hits))
    idx, tests = (keys // 16).tolist(), (keys % 16).tolist()
    vals = x[keys // 16].tolist()
    texts = {t: describe_test(t, rules.k[t]) for t in rules.tests}
    return [
        Signal(index=i, test=t, value=v, description=texts[t])
        for i, t, v in zip(idx, tests, vals, strict=True)
    ]


def signal_indices(signals: Sequence[Signal]) -> list[int]:
    """Distinct point indices with at least one signal, ascending."""
    return sorted({s.index for s in signals})
