r"""Process capability (Cp, Cpk, Pp, Ppk, Cpm), DPMO and the sigma level.

With spec limits LSL/USL, process mean μ, σ within (short term) and σ overall (long
term)::

    Cp  = (USL − LSL) / 6σ_within      Cpk = min(USL − μ, μ − LSL) / 3σ_within
    Pp  = (USL − LSL) / 6σ_overall     Ppk = min(USL − μ, μ − LSL) / 3σ_overall
    Cpm = min(T − LSL, USL − T) / 3τ,  τ = √(Σ(xᵢ − T)² / (N − 1))     (Minitab)

σ within is MR̄/d2(2) for individual values and the pooled standard deviation
s_p/c4(Σ(nᵢ − 1) + 1) for subgroups (Minitab's defaults; ``rbar``/``sbar`` on request);
σ overall is the sample standard deviation of all values. With one spec limit only the
one-sided indices (Cpu/Cpl, Ppu/Ppl) exist, and Cp, Pp are ``None``.

**Sigma level.** DPMO is defects per million opportunities. The sigma level is the
normal quantile of the yield plus a shift::

    sigma level = Φ⁻¹(1 − DPMO / 10⁶) + shift

Motorola's convention adds ``shift = 1.5`` σ: long-term data are assumed to have drifted
1.5σ, so 3.4 DPMO is called "six sigma" although Φ⁻¹(1 − 3.4e-6) = 4.5. Pass
``shift=0`` for the plain (long-term) Z. :func:`capability` reports the sigma level of
the *expected overall* DPMO (both tails, σ overall), i.e. long-term performance.

Examples
--------
>>> round(sigma_level(3.4), 2), round(sigma_level(3.4, shift=0.0), 2)
(6.0, 4.5)
>>> round(dpmo(defects=12, units=400, opportunities=3), 1)
10000.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from servops._validation import check_choice, check_interval
from servops.errors import InvalidParameterError
from servops.spc.charts import as_subgroups
from servops.spc.constants import c4, d2, d3

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import ArrayLike, NDArray

__all__ = ["CapabilityResult", "WithinMethod", "capability", "dpmo", "sigma_level"]

WithinMethod = Literal["auto", "mr", "pooled", "rbar", "sbar"]


def dpmo(defects: float, units: float, opportunities: float = 1.0) -> float:
    """Defects per million opportunities: ``10⁶·defects / (units·opportunities)``."""
    check_interval(defects, "defects", "dpmo", low=0, closed="left")
    check_interval(units, "units", "dpmo", low=0)
    check_interval(opportunities, "opportunities", "dpmo", low=0)
    if defects > units * opportunities:
        msg = (
            f"dpmo: defects ({defects:g}) cannot exceed units × opportunities "
            f"({units * opportunities:g})."
        )
        raise InvalidParameterError(msg)
    return 1e6 * defects / (units * opportunities)


def _phi(z: float) -> float:
    """Standard normal CDF (scipy loads on first use: it is slow to import)."""
    from scipy.special import ndtr

    return float(ndtr(z))


def _phi_inv(p: float) -> float:
    """Standard normal quantile."""
    from scipy.special import ndtri

    return float(ndtri(p))


def sigma_level(dpmo_value: float, *, shift: float = 1.5) -> float:
    """Sigma level of a DPMO: ``Φ⁻¹(1 − DPMO/10⁶) + shift`` (1.5σ shift by default).

    Examples
    --------
    >>> round(sigma_level(66807), 2)
    3.0
    """
    check_interval(
        dpmo_value, "dpmo_value", "sigma_level", low=0, high=1e6, closed="both"
    )
    check_interval(shift, "shift", "sigma_level")
    return _phi_inv(1.0 - dpmo_value / 1e6) + shift


@dataclass(frozen=True, slots=True)
class CapabilityResult:
    """Capability indices of one process against its spec limits.

    Indices that need a missing spec limit are ``None``. ``ppm_*`` are parts per
    million outside the spec limits: observed, and expected from a normal model with σ
    within and with σ overall.
    """

    n: int
    mean: float
    sigma_within: float
    sigma_overall: float
    within_method: str
    lsl: float | None
    usl: float | None
    target: float | None
    cp: float | None
    cpl: float | None
    cpu: float | None
    cpk: float | None
    pp: float | None
    ppl: float | None
    ppu: float | None
    ppk: float | None
    cpm: float | None
    ppm_observed: float
    ppm_expected_within: float
    ppm_expected_overall: float
    dpmo: float
    sigma_level: float
    shift: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``sigma_level_note`` states the shift)."""
        d = {k: getattr(self, k) for k in self.__slots__}
        d["sigma_level_note"] = (
            f"sigma level = Φ⁻¹(1 − DPMO/1e6) + {self.shift:g} (shift in σ; "
            "1.5 is the Motorola convention, 0 gives the long-term Z)"
        )
        return d


def _within(
    groups: list[NDArray[np.float64]] | None, x: NDArray[np.float64], method: str
) -> float:
    if groups is None:
        mr = np.abs(np.diff(x))
        return float(np.mean(mr) / d2(2))
    n = np.array([g.size for g in groups])
    usable = [g for g in groups if g.size > 1]
    if not usable:
        msg = "capability: σ within needs subgroups of 2 or more values."
        raise InvalidParameterError(msg)
    if method == "pooled":
        ss = sum(float(np.sum((g - g.mean()) ** 2)) for g in usable)
        dof = int(np.sum(n[n > 1] - 1))
        return math.sqrt(ss / dof) / c4(min(dof + 1, 100))
    nu = np.array([g.size for g in usable])
    if method == "rbar":
        r = np.array([np.ptp(g) for g in usable])
        d2n = np.array([d2(int(m)) for m in nu])
        f = d2n**2 / np.array([d3(int(m)) for m in nu]) ** 2
        return float(np.sum(f * r / d2n) / np.sum(f))
    s = np.array([np.std(g, ddof=1) for g in usable])
    c4n = np.array([c4(int(m)) for m in nu])
    h = c4n**2 / (1 - c4n**2)
    return float(np.sum(h * s / c4n) / np.sum(h))


def _ppm(mean: float, sd: float, lsl: float | None, usl: float | None) -> float:
    if sd <= 0:
        out = (lsl is not None and mean < lsl) or (usl is not None and mean > usl)
        return 1e6 if out else 0.0
    lo = _phi((lsl - mean) / sd) if lsl is not None else 0.0
    hi = _phi((mean - usl) / sd) if usl is not None else 0.0
    return 1e6 * (lo + hi)


def _ratio(num: float, den: float) -> float:
    if den > 0:
        return num / den
    return math.inf if num > 0 else (-math.inf if num < 0 else math.nan)


def capability(
    values: ArrayLike | Sequence[Sequence[float]],
    *,
    lsl: float | None = None,
    usl: float | None = None,
    target: float | None = None,
    size: int | None = None,
    subgroups: Sequence[object] | None = None,
    within: WithinMethod = "auto",
    shift: float = 1.5,
) -> CapabilityResult:
    """Capability of a process against one- or two-sided spec limits.

    Parameters
    ----------
    values
        Individual values (a flat series), or subgroups (a 2-D array or a list of
        sequences; or a flat series with ``size`` or ``subgroups``).
    lsl, usl
        Lower and upper spec limits; at least one.
    target
        Target T for Cpm (default: the spec midpoint when both limits are given).
    size, subgroups
        How to split a flat series into subgroups (see :func:`as_subgroups`).
    within
        σ within: ``mr`` (individuals; the default for them), ``pooled`` (the default
        for subgroups), ``rbar`` or ``sbar``.
    shift
        σ shift added to the sigma level (1.5, Motorola's; 0 for none).

    Returns
    -------
    CapabilityResult

    Examples
    --------
    >>> r = capability([9.8, 10.1, 10.0, 9.9, 10.2, 10.0], lsl=9.0, usl=11.0)
    >>> round(r.cp, 3), round(r.ppk, 3)
    (1.881, 2.357)
    """
    owner = "capability"
    check_choice(within, "within", owner, ["auto", "mr", "pooled", "rbar", "sbar"])
    check_interval(shift, "shift", owner)
    if lsl is None and usl is None:
        msg = (
            "capability needs at least one spec limit: pass lsl=..., usl=... or both. "
            "Got neither."
        )
        raise InvalidParameterError(msg)
    for name, v in (("lsl", lsl), ("usl", usl), ("target", target)):
        if v is not None:
            check_interval(v, name, owner)
    if lsl is not None and usl is not None and not lsl < usl:
        msg = f"capability needs lsl < usl. Got lsl={lsl!r}, usl={usl!r}."
        raise InvalidParameterError(msg)
    subgrouped = size is not None or subgroups is not None
    if not subgrouped:
        if isinstance(values, np.ndarray):
            subgrouped = values.ndim == 2
        else:
            subgrouped = any(np.ndim(v) > 0 for v in values)  # type: ignore[union-attr]
    groups = (
        as_subgroups(values, size=size, subgroups=subgroups) if subgrouped else None
    )
    x = (
        np.concatenate(groups)
        if groups is not None
        else np.asarray(values, dtype=float)
    )
    if x.ndim != 1 or x.size < 2 or not np.all(np.isfinite(x)):
        msg = (
            f"capability needs at least 2 finite values; got {x.size} value(s)"
            f"{' with NaN or inf' if not np.all(np.isfinite(x)) else ''}."
        )
        raise InvalidParameterError(msg)
    method = within
    if method == "auto":
        method = "pooled" if groups is not None else "mr"
    if method != "mr" and groups is None:
        msg = (
            f"capability: within={method!r} needs subgroups. Hint: pass size=N or "
            "subgroups=..., or use within='mr' for individual values."
        )
        raise InvalidParameterError(msg)
    # 'mr' on subgroups reads the values in order, as one series of individuals
    s_within = _within(None if method == "mr" else groups, x, method)
    mean = float(np.mean(x))
    s_overall = float(np.std(x, ddof=1))

    def indices(
        sd: float,
    ) -> tuple[float | None, float | None, float | None, float | None]:
        lo = _ratio(mean - lsl, 3 * sd) if lsl is not None else None
        hi = _ratio(usl - mean, 3 * sd) if usl is not None else None
        both = (
            _ratio(usl - lsl, 6 * sd) if lsl is not None and usl is not None else None
        )
        k = min(v for v in (lo, hi) if v is not None)
        return both, lo, hi, k

    cp, cpl, cpu, cpk = indices(s_within)
    pp, ppl, ppu, ppk = indices(s_overall)
    t = target
    if t is None and lsl is not None and usl is not None:
        t = (lsl + usl) / 2
    cpm = None
    if t is not None:
        tau = math.sqrt(float(np.sum((x - t) ** 2)) / (x.size - 1))
        reach = [
            v
            for v in (
                (t - lsl) if lsl is not None else None,
                (usl - t) if usl is not None else None,
            )
            if v is not None
        ]
        cpm = _ratio(min(reach), 3 * tau)
    out = int(np.sum(x < lsl)) if lsl is not None else 0
    out += int(np.sum(x > usl)) if usl is not None else 0
    ppm_obs = 1e6 * float(out) / x.size
    ppm_overall = _ppm(mean, s_overall, lsl, usl)
    level = _phi_inv(1.0 - min(ppm_overall, 1e6) / 1e6) + shift
    return CapabilityResult(
        n=int(x.size),
        mean=mean,
        sigma_within=s_within,
        sigma_overall=s_overall,
        within_method=method,
        lsl=lsl,
        usl=usl,
        target=t,
        cp=cp,
        cpl=cpl,
        cpu=cpu,
        cpk=cpk,
        pp=pp,
        ppl=ppl,
        ppu=ppu,
        ppk=ppk,
        cpm=cpm,
        ppm_observed=ppm_obs,
        ppm_expected_within=_ppm(mean, s_within, lsl, usl),
        ppm_expected_overall=ppm_overall,
        dpmo=ppm_overall,
        sigma_level=level,
        shift=shift,
    )
