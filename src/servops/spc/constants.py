r"""Control-chart constants, computed rather than typed in.

Printed tables of control-chart constants carry typos and stop at n = 25; these are
computed from their definitions for any subgroup size ``n`` from 2 to 100:

* :math:`d_2(n) = E[R]/\sigma`, the mean range of ``n`` standard normal draws::

      d2(n) = ∫ [1 − Φ(x)ⁿ − (1 − Φ(x))ⁿ] dx            (Tippett 1925)

* :math:`d_3(n) = \mathrm{sd}(R)/\sigma`, from the second moment of the range::

      E[R²] = 2 ∬_{x<y} [1 − Φ(y)ⁿ − (1 − Φ(x))ⁿ + (Φ(y) − Φ(x))ⁿ] dx dy
      d3(n) = √(E[R²] − d2(n)²)

  (``R = ∫ 1{min ≤ t < max} dt``, so ``R²`` is a double integral of
  ``P(min ≤ x, max > y)``.)
* :math:`c_4(n) = E[s]/\sigma = \sqrt{2/(n-1)}\,\Gamma(n/2)/\Gamma((n-1)/2)`.

The chart factors follow (Montgomery, *Introduction to Statistical Quality Control*,
appendix VI): ``A2 = 3/(d2√n)``, ``A3 = 3/(c4√n)``, ``D3,D4 = 1 ∓ 3 d3/d2`` (D3 floored
at 0), ``B3,B4 = 1 ∓ 3√(1 − c4²)/c4``, ``E2 = 3/d2``. All factors are for 3σ limits; the
charts themselves use d2, d3 and c4 directly so that any ``sigma`` multiplier works.

Examples
--------
>>> round(d2(2), 4), round(d3(2), 4), round(c4(5), 4)
(1.1284, 0.8525, 0.94)
>>> round(D4(2), 3), round(A2(5), 3)
(3.267, 0.577)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Any

__all__ = [
    "A2",
    "A3",
    "B3",
    "B4",
    "D3",
    "D4",
    "E2",
    "ChartConstants",
    "c4",
    "chart_constants",
    "d2",
    "d3",
]

_MAX_N = 100


def _check_n(n: int, *, low: int = 2) -> int:
    obj: object = n
    if isinstance(obj, bool) or not isinstance(obj, int) or not low <= obj <= _MAX_N:
        msg = (
            f"The 'n' parameter (subgroup size) must be an int in the range "
            f"[{low}, {_MAX_N}]. Got {n!r} instead."
        )
        from servops.errors import InvalidParameterError

        raise InvalidParameterError(msg)
    return n


@cache
def d2(n: int) -> float:
    """Compute E[R]/σ for the range R of ``n`` standard normal observations."""
    _check_n(n)
    # scipy is heavy (0.25 s to import): only loaded when a constant is computed
    from scipy import integrate
    from scipy.special import ndtr

    def f(x: float) -> float:
        return float(1.0 - ndtr(x) ** n - ndtr(-x) ** n)

    value, _ = integrate.quad(
        f, -math.inf, math.inf, epsabs=1e-13, epsrel=1e-13, limit=200
    )
    return float(value)


@cache
def _range_second_moment(n: int) -> float:
    # Substitute y = x + u so the triangle x < y becomes a rectangle: the integrand is
    # smooth there and dblquad converges quickly. Beyond ±12σ every term is < 1e-30.
    from scipy import integrate
    from scipy.special import ndtr

    def g(u: float, x: float) -> float:
        a = ndtr(x)
        b = ndtr(x + u)
        return float(1.0 - b**n - ndtr(-x) ** n + (b - a) ** n)

    value, _ = integrate.dblquad(g, -12.0, 12.0, 0.0, 24.0, epsabs=1e-11, epsrel=1e-11)
    return 2.0 * float(value)


@cache
def d3(n: int) -> float:
    """Compute sd(R)/σ for the range R of ``n`` standard normal observations."""
    _check_n(n)
    return math.sqrt(_range_second_moment(n) - d2(n) ** 2)


@cache
def c4(n: int) -> float:
    """Compute E[s]/σ for the sample standard deviation of ``n`` normal values."""
    _check_n(n)
    return math.sqrt(2.0 / (n - 1)) * math.exp(
        math.lgamma(n / 2) - math.lgamma((n - 1) / 2)
    )


def A2(n: int) -> float:
    """X̄ chart factor for limits from R̄: ``3 / (d2 √n)``."""
    return 3.0 / (d2(n) * math.sqrt(n))


def A3(n: int) -> float:
    """X̄ chart factor for limits from S̄: ``3 / (c4 √n)``."""
    return 3.0 / (c4(n) * math.sqrt(n))


def D3(n: int) -> float:
    """R chart lower factor: ``max(0, 1 − 3 d3/d2)``."""
    return max(0.0, 1.0 - 3.0 * d3(n) / d2(n))


def D4(n: int) -> float:
    """R chart upper factor: ``1 + 3 d3/d2``."""
    return 1.0 + 3.0 * d3(n) / d2(n)


def B3(n: int) -> float:
    """S chart lower factor: ``max(0, 1 − 3√(1 − c4²)/c4)``."""
    c = c4(n)
    return max(0.0, 1.0 - 3.0 * math.sqrt(1.0 - c * c) / c)


def B4(n: int) -> float:
    """S chart upper factor: ``1 + 3√(1 − c4²)/c4``."""
    c = c4(n)
    return 1.0 + 3.0 * math.sqrt(1.0 - c * c) / c


def E2(n: int) -> float:
    """Individuals chart factor for limits from the mean moving range of span n."""
    return 3.0 / d2(n)


@dataclass(frozen=True, slots=True)
class ChartConstants:
    """All constants for one subgroup size (3σ factors)."""

    n: int
    d2: float
    d3: float
    c4: float
    A2: float
    A3: float
    B3: float
    B4: float
    D3: float
    D4: float
    E2: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {k: getattr(self, k) for k in self.__slots__}


def chart_constants(n: int) -> ChartConstants:
    """Compute the control-chart constants for subgroup size ``n``.

    Examples
    --------
    >>> k = chart_constants(5)
    >>> round(k.d2, 3), round(k.D4, 3), round(k.B4, 3)
    (2.326, 2.114, 2.089)
    """
    return ChartConstants(
        n=n,
        d2=d2(n),
        d3=d3(n),
        c4=c4(n),
        A2=A2(n),
        A3=A3(n),
        B3=B3(n),
        B4=B4(n),
        D3=D3(n),
        D4=D4(n),
        E2=E2(n),
    )
