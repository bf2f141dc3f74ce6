"""A/B tests: sample size and power, a fixed-horizon test, an always-valid sequential test.

Sample size (two-sided level ``α``, power ``1 - β``, ``k = n_treatment / n_control``;
``z_a = Φ⁻¹(1 - α/2)``, ``z_b = Φ⁻¹(1 - β)``):

* two proportions (Fleiss, Levin & Paik 2003, eq. 4.14, no continuity correction), with
  ``p̄ = (p_c + k p_t) / (1 + k)``:
  ``n_c = [z_a sqrt(p̄(1 - p̄)(1 + 1/k)) + z_b sqrt(p_c(1 - p_c) + p_t(1 - p_t)/k)]² / Δ²``;
* two means with standard deviation ``σ``: ``n_c = (z_a + z_b)² σ² (1 + 1/k) / Δ²``.

The fixed-horizon test of two proportions is the pooled z-test; its interval is
Newcombe's (:func:`~servops.improve.intervals.newcombe_interval`). Looking at it before
the planned sample size is reached and stopping on the first ``p < α`` inflates false
positives (the tests show by how much).

The sequential test is always valid: it may be looked at after every case. Cases of the
two variants are paired in arrival order; under "no difference" each *discordant* pair
(one success, one failure) has the success in the treatment arm with probability exactly
1/2, whatever the common rate. The e-process is the Beta(a, a)-mixture likelihood ratio
against that fair coin after ``m`` discordant pairs of which ``s`` favour the treatment,

    E_m = B(a + s, a + m - s) / B(a, a) · 2^m,

a nonnegative martingale under the null, so by Ville's inequality
``P(sup_m E_m ≥ 1/α) ≤ α``: rejecting the first time ``E_m ≥ 1/α`` keeps the error at
``α`` under continuous peeking (Robbins 1970; Howard, Ramdas et al. 2021, "Time-uniform,
nonparametric, nonasymptotic confidence sequences").

Durations of cases still open at the end of the data (a live service's log) are not
known yet: they are right-censored. :func:`ab_test` leaves them out of the differences
of mean, median and p90 (naming how many in each arm) and adds the log-rank test
(:func:`scipy.stats.logrank`), which counts them as censored at the end of the data, so
an arm whose slow cases are still open does not look faster for it. A case is open
while it has no close (or, with no close activity in the config, no resolution).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import special, stats

from servops._validation import check_choice, check_interval
from servops.errors import InvalidParameterError
from servops.improve.beforeafter import (
    DURATION_METRICS,
    METRICS,
    RATE_METRICS,
    metric_label,
    metric_values,
)
from servops.improve.censoring import censored_durations, still_open
from servops.improve.intervals import Interval, bootstrap_differences, newcombe_interval
from servops.kpi.cases import case_metrics, resolve_config

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

    from servops._typing import PathLike, Seed
    from servops.kpi.config import KpiConfig
    from servops.log import EventLog

__all__ = [
    "AbTestResult",
    "FixedHorizonResult",
    "SampleSize",
    "SequentialResult",
    "ab_test",
    "fixed_horizon_test",
    "power_proportions",
    "sample_size_means",
    "sample_size_proportions",
    "sequential_log_evalues",
    "sequential_test",
]


@dataclass(frozen=True, slots=True)
class SampleSize:
    """Cases needed per arm to detect ``effect`` with ``power`` at level ``alpha``."""

    n_control: int
    n_treatment: int
    effect: float
    alpha: float
    power: float
    method: str

    @property
    def total(self) -> int:
        """Cases in both arms."""
        return self.n_control + self.n_treatment

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {**asdict(self), "total": self.total}


def _check_plan(alpha: float, power: float, ratio: float, owner: str) -> None:
    check_interval(alpha, "alpha", owner, low=0, high=1)
    check_interval(power, "power", owner, low=0, high=1)
    check_interval(ratio, "ratio", owner, low=0)


def sample_size_proportions(
    p_control: float,
    p_treatment: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
) -> SampleSize:
    """Cases per arm for a two-sided test of two proportions.

    Parameters
    ----------
    p_control, p_treatment
        The rates expected in the control arm and under the change.
    alpha
        Two-sided significance level.
    power
        Probability of detecting the difference if it is real.
    ratio
        ``n_treatment / n_control``.

    Examples
    --------
    >>> sample_size_proportions(0.3, 0.4).n_control
    356
    """
    owner = "sample_size_proportions"
    check_interval(p_control, "p_control", owner, low=0, high=1)
    check_interval(p_treatment, "p_treatment", owner, low=0, high=1)
    _check_plan(alpha, power, ratio, owner)
    delta = p_treatment - p_control
    if delta == 0:
        msg = (
            f"The 'p_treatment' parameter of {owner} must differ from p_control "
            f"({p_control}); got the same value: no sample size detects no difference."
        )
        raise InvalidParameterError(msg)
    k = ratio
    za = float(stats.norm.ppf(1 - alpha / 2))
    zb = float(stats.norm.ppf(power))
    pbar = (p_control + k * p_treatment) / (1 + k)
    root = za * math.sqrt(pbar * (1 - pbar) * (1 + 1 / k)) + zb * math.sqrt(
        p_control * (1 - p_control) + p_treatment * (1 - p_treatment) / k
    )
    n_c = math.ceil(root**2 / delta**2 - 1e-9)
    return SampleSize(n_c, math.ceil(k * n_c - 1e-9), delta, alpha, power, "fleiss")


def power_proportions(
    n_control: int,
    n_treatment: int,
    p_control: float,
    p_treatment: float,
    *,
    alpha: float = 0.05,
) -> float:
    """Power of the two-sided pooled z-test at these sample sizes (normal approximation).

    Examples
    --------
    >>> round(power_proportions(356, 356, 0.3, 0.4), 3)
    0.8
    """
    owner = "power_proportions"
    check_interval(n_control, "n_control", owner, low=1, closed="left")
    check_interval(n_treatment, "n_treatment", owner, low=1, closed="left")
    za = float(stats.norm.ppf(1 - alpha / 2))
    k = n_treatment / n_control
    pbar = (p_control + k * p_treatment) / (1 + k)
    se0 = math.sqrt(pbar * (1 - pbar) * (1 / n_control + 1 / n_treatment))
    se1 = math.sqrt(
        p_control * (1 - p_control) / n_control
        + p_treatment * (1 - p_treatment) / n_treatment
    )
    d = abs(p_treatment - p_control)
    return float(
        stats.norm.cdf((d - za * se0) / se1) + stats.norm.cdf((-d - za * se0) / se1)
    )


def sample_size_means(
    delta: float,
    sd: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
) -> SampleSize:
    """Cases per arm for a two-sided test of two means (e.g. handle times, seconds).

    Examples
    --------
    >>> sample_size_means(1800, 7200).n_control  # a quarter of a standard deviation
    252
    """
    owner = "sample_size_means"
    check_interval(sd, "sd", owner, low=0)
    _check_plan(alpha, power, ratio, owner)
    if delta == 0 or not math.isfinite(delta):
        msg = f"The 'delta' parameter of {owner} must be a non-zero number. Got {delta!r}."
        raise InvalidParameterError(msg)
    za = float(stats.norm.ppf(1 - alpha / 2))
    zb = float(stats.norm.ppf(power))
    n_c = math.ceil((za + zb) ** 2 * sd**2 * (1 + 1 / ratio) / delta**2 - 1e-9)
    return SampleSize(n_c, math.ceil(ratio * n_c - 1e-9), delta, alpha, power, "normal")


@dataclass(frozen=True, slots=True)
class FixedHorizonResult:
    """Pooled z-test of two proportions and Newcombe's interval of the difference."""

    n_control: int
    n_treatment: int
    rate_control: float
    rate_treatment: float
    difference: Interval
    z: float
    p_value: float
    alpha: float

    @property
    def significant(self) -> bool:
        """``p_value < alpha``."""
        return self.p_value < self.alpha

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        d = asdict(self)
        d["difference"] = self.difference.to_dict()
        return {**d, "significant": self.significant}


def _z_test(
    x_c: NDArray[np.float64],
    n_c: NDArray[np.float64],
    x_t: NDArray[np.float64],
    n_t: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Pooled z statistic and two-sided p-value, elementwise (for simulations too)."""
    pool = (x_c + x_t) / (n_c + n_t)
    se = np.sqrt(pool * (1 - pool) * (1 / n_c + 1 / n_t))
    diff = x_t / n_t - x_c / n_c
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, diff / np.where(se > 0, se, 1.0), 0.0)
    return z, 2 * special.ndtr(-np.abs(z))


def fixed_horizon_test(
    successes_control: int,
    n_control: int,
    successes_treatment: int,
    n_treatment: int,
    *,
    alpha: float = 0.05,
) -> FixedHorizonResult:
    """Two-sided pooled z-test of two proportions, at the planned sample size.

    Examples
    --------
    >>> r = fixed_horizon_test(30, 100, 45, 100)
    >>> round(r.z, 3), round(r.p_value, 4)
    (2.191, 0.0285)
    """
    check_interval(alpha, "alpha", "fixed_horizon_test", low=0, high=1)
    iv = newcombe_interval(
        successes_control,
        n_control,
        successes_treatment,
        n_treatment,
        level=1 - alpha,
    )
    z, p = _z_test(
        np.array([successes_control], dtype=np.float64),
        np.array([n_control], dtype=np.float64),
        np.array([successes_treatment], dtype=np.float64),
        np.array([n_treatment], dtype=np.float64),
    )
    return FixedHorizonResult(
        n_control,
        n_treatment,
        successes_control / n_control,
        successes_treatment / n_treatment,
        iv,
        float(z[0]),
        float(p[0]),
        alpha,
    )


def sequential_log_evalues(
    control: ArrayLike, treatment: ArrayLike, *, concentration: float = 10.0
) -> NDArray[np.float64]:
    """The log e-value after each pair (last axis): the Beta-mixture e-process of the module text.

    ``control`` and ``treatment`` are 0/1 outcomes in arrival order, paired position by
    position (the longer one's tail waits for its partner); 2-D arrays hold one run per
    row.

    Examples
    --------
    >>> np.exp(sequential_log_evalues([0, 0], [1, 1], concentration=1)).round(3)
    array([1.   , 1.333])
    """
    check_interval(concentration, "concentration", "sequential_log_evalues", low=0)
    c = np.asarray(control, dtype=np.float64)
    t = np.asarray(treatment, dtype=np.float64)
    m = min(c.shape[-1], t.shape[-1])
    c, t = c[..., :m], t[..., :m]
    disc = c != t
    pairs = np.cumsum(disc, axis=-1)
    wins = np.cumsum(disc & (t == 1), axis=-1)
    a = concentration
    out: NDArray[np.float64] = (
        special.betaln(a + wins, a + pairs - wins)
        - special.betaln(a, a)
        + pairs * math.log(2)
    )
    return out


@dataclass(frozen=True, slots=True)
class SequentialResult:
    """The always-valid test after the pairs seen so far.

    ``stopped_at`` is the first pair (1-based) where ``E ≥ 1/α``, ``None`` if it never
    was: the test may continue (or stop for futility; the error rate holds either way).
    """

    pairs: int
    discordant: int
    e_value: float
    max_e_value: float
    stopped_at: int | None
    alpha: float
    concentration: float

    @property
    def rejected(self) -> bool:
        """Whether "no difference" was rejected at some look."""
        return self.stopped_at is not None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {**asdict(self), "rejected": self.rejected}


def sequential_test(
    control: ArrayLike,
    treatment: ArrayLike,
    *,
    alpha: float = 0.05,
    concentration: float = 10.0,
) -> SequentialResult:
    """Always-valid sequential test of two rates on 0/1 outcomes in arrival order.

    Parameters
    ----------
    control, treatment
        Outcomes (1 success, 0 failure) of each arm's cases in arrival order.
    alpha
        The error rate that holds however often the result is looked at.
    concentration
        ``a`` of the Beta(a, a) mixture: larger values favour detecting small effects
        (about ``1 / (8 d²)`` for an expected shift ``d`` of the discordant-pair share
        from 1/2), smaller ones large effects early.

    Examples
    --------
    >>> r = sequential_test([0] * 40, [1] * 40)
    >>> r.rejected, r.stopped_at
    (True, 15)
    """
    check_interval(alpha, "alpha", "sequential_test", low=0, high=1)
    for name, v in (("control", control), ("treatment", treatment)):
        x = np.asarray(v, dtype=np.float64)
        if x.ndim != 1 or not np.isin(x, (0.0, 1.0)).all():
            msg = (
                f"The {name!r} outcomes of sequential_test must be a 1-D sequence of 0 "
                f"and 1. Got shape {x.shape} with values {np.unique(x)[:5].tolist()}."
            )
            raise InvalidParameterError(msg)
    log_e = sequential_log_evalues(control, treatment, concentration=concentration)
    hit = np.nonzero(log_e >= math.log(1 / alpha))[0]
    c = np.asarray(control, dtype=np.float64)[: log_e.size]
    t = np.asarray(treatment, dtype=np.float64)[: log_e.size]
    return SequentialResult(
        pairs=int(log_e.size),
        discordant=int((c != t).sum()),
        e_value=float(np.exp(log_e[-1])) if log_e.size else 1.0,
        max_e_value=float(np.exp(log_e.max())) if log_e.size else 1.0,
        stopped_at=int(hit[0]) + 1 if hit.size else None,
        alpha=alpha,
        concentration=concentration,
    )


@dataclass(frozen=True, slots=True)
class AbTestResult:
    """An A/B comparison of ``metric`` between two variants recorded on the cases.

    Rates get the fixed-horizon test and the sequential test; durations get bootstrap
    intervals of the differences (treatment - control) of mean, median and p90 and the
    Mann-Whitney p-value (no sequential test: it is defined for 0/1 outcomes here), all
    on the cases whose duration is known. ``open_control`` / ``open_treatment`` count the
    cases still open whose duration is right-censored (left out of those), and
    ``censored_p_value`` is the log-rank test's with them counted as censored.
    """

    metric: str
    variant_column: str
    control: str
    treatment: str
    n_control: int
    n_treatment: int
    measured_control: int
    measured_treatment: int
    fixed: FixedHorizonResult | None
    sequential: SequentialResult | None
    effects: dict[str, Interval]
    p_value: float | None
    summary: str
    notes: tuple[str, ...]
    srm_p_value: float | None = None
    open_control: int = 0
    open_treatment: int = 0
    censored_p_value: float | None = None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "metric": self.metric,
            "variant_column": self.variant_column,
            "control": self.control,
            "treatment": self.treatment,
            "n_control": self.n_control,
            "n_treatment": self.n_treatment,
            "measured_control": self.measured_control,
            "measured_treatment": self.measured_treatment,
            "fixed": None if self.fixed is None else self.fixed.to_dict(),
            "sequential": None
            if self.sequential is None
            else self.sequential.to_dict(),
            "effects": {k: v.to_dict() for k, v in self.effects.items()},
            "p_value": self.p_value,
            "summary": self.summary,
            "notes": list(self.notes),
            "srm_p_value": self.srm_p_value,
            "open_control": self.open_control,
            "open_treatment": self.open_treatment,
            "censored_p_value": self.censored_p_value,
        }


def _arms(
    variants: list[str], control: str | None, treatment: str | None, column: str
) -> tuple[str, str]:
    seen = sorted(set(variants))
    if control is None and treatment is None:
        if len(seen) != 2:
            msg = (
                f"Column {column!r} holds {len(seen)} variants {seen[:10]}; an A/B test "
                "compares two: name them with control= and treatment=."
            )
            raise InvalidParameterError(msg)
        return seen[0], seen[1]
    if control is None or treatment is None:
        given = control if control is not None else treatment
        rest = [v for v in seen if v != given]
        if len(rest) != 1:
            msg = (
                f"Column {column!r} holds variants {seen[:10]}: give both control= and "
                "treatment=."
            )
            raise InvalidParameterError(msg)
        control = control if control is not None else rest[0]
        treatment = treatment if treatment is not None else rest[0]
    for name, v in (("control", control), ("treatment", treatment)):
        if v not in seen:
            msg = (
                f"The {name!r} variant {v!r} does not occur in column {column!r}. "
                f"Variants there: {seen[:10]}."
            )
            raise InvalidParameterError(msg)
    return control, treatment


def _logrank(
    done_c: NDArray[np.float64],
    open_c: NDArray[np.float64],
    done_t: NDArray[np.float64],
    open_t: NDArray[np.float64],
) -> float | None:
    """Two-sided log-rank p-value, open cases right-censored (None without events)."""
    if (
        done_c.size + done_t.size == 0
        or min(done_c.size + open_c.size, done_t.size + open_t.size) < 2
    ):
        return None
    res = stats.logrank(
        stats.CensoredData(uncensored=done_t, right=open_t),
        stats.CensoredData(uncensored=done_c, right=open_c),
    )
    p = float(res.pvalue)
    return p if math.isfinite(p) else None


def ab_test(
    log: EventLog,
    variant_column: str,
    metric: str,
    *,
    control: str | None = None,
    treatment: str | None = None,
    config: KpiConfig | PathLike | None = None,
    alpha: float = 0.05,
    concentration: float = 10.0,
    expected_share: float | None = None,
    n_resamples: int = 2000,
    seed: Seed = 0,
) -> AbTestResult:
    """Compare ``metric`` between the two variants a case attribute records.

    Parameters
    ----------
    log
        The event log; ``variant_column`` is a case attribute (e.g. ``procedure``).
    variant_column
        The attribute holding each case's variant (assigned at random).
    metric
        A metric of :func:`~servops.improve.before_after` (``sla_met``, ``fcr``,
        ``reopened``, ``lead_time``, ...).
    control, treatment
        The two variants (default: the two values, in sorted order).
    config
        KPI config (object, YAML path, or ``None`` to guess).
    alpha
        Significance level; confidence intervals are at ``1 - alpha``.
    concentration
        Prior of the sequential test (:func:`sequential_test`).
    expected_share
        The treatment's planned share of the two arms (e.g. 0.5): checks for a sample
        ratio mismatch (exact binomial test; p < 0.001 is named in ``notes``, since a
        split unlike the plan means the assignment or the logging is broken).
    n_resamples, seed
        Bootstrap settings for durations.
    """
    owner = "ab_test"
    check_choice(metric, "metric", owner, METRICS)
    check_interval(alpha, "alpha", owner, low=0, high=1)
    cfg = resolve_config(config, log)
    if variant_column not in log.attributes:
        msg = (
            f"The 'variant_column' parameter of {owner} must be a case attribute of the "
            f"log. Got {variant_column!r}; attributes: {sorted(log.attributes)}."
        )
        raise InvalidParameterError(msg)
    cases = case_metrics(log, cfg).sort_by(
        [("arrived_at", "ascending"), ("case_id", "ascending")]
    )
    raw = cases.column(variant_column).to_pylist()
    missing = sum(v is None for v in raw)
    variants = [str(v) for v in raw if v is not None]
    ctrl, treat = _arms(variants, control, treatment, variant_column)
    arm = np.array(["" if v is None else str(v) for v in raw], dtype=object)
    values = metric_values(cases, metric)
    n_c, n_t = int((arm == ctrl).sum()), int((arm == treat).sum())
    notes = []
    censored = np.zeros(values.size, dtype=bool)
    waited_s = np.zeros(values.size)
    if metric in DURATION_METRICS:
        is_open = still_open(cases, cfg)
        if is_open is None:
            notes.append(
                "The KPI config names no close or resolution activity: open cases "
                f"cannot be told from closed ones, so every case's {metric_label(metric)} "
                "runs to its last event (give a config with -c / config=)."
            )
        else:
            # open, with no value yet (an open case may already have a first response)
            censored = censored_durations(values, is_open, metric)
            values = np.where(censored, np.nan, values)
            end = log.fetchone('SELECT max("timestamp") FROM events')[0]
            arrived = cases.column("arrived_at").to_pylist()
            waited_s = np.array(
                [
                    (end - a).total_seconds() if c and a is not None else 0.0
                    for a, c in zip(arrived, censored, strict=True)
                ]
            )
    ok = ~np.isnan(values)
    xc, xt = values[ok & (arm == ctrl)], values[ok & (arm == treat)]
    open_c = int((censored & (arm == ctrl)).sum())
    open_t = int((censored & (arm == treat)).sum())
    srm_p = None
    if expected_share is not None:
        check_interval(expected_share, "expected_share", owner, low=0, high=1)
        srm_p = float(stats.binomtest(n_t, n_c + n_t, expected_share).pvalue)
        if srm_p < 0.001:
            notes.append(
                f"Sample ratio mismatch: {treat} has {n_t} of {n_c + n_t} cases "
                f"({n_t / (n_c + n_t):.1%}), planned {expected_share:.1%} "
                f"(p = {srm_p:.2g}); check the assignment before trusting the result."
            )
    if missing:
        notes.append(f"{missing} case(s) have no {variant_column!r} and are left out.")
    others = len(variants) - n_c - n_t
    if others:
        notes.append(f"{others} case(s) of other variants are left out.")
    if open_c or open_t:
        notes.append(
            f"{open_c} control and {open_t} treatment case(s) are still open at the end "
            f"of the data: their {metric_label(metric)} is right-censored (not known "
            "yet), so they are left out of the differences; the log-rank test counts "
            "them as censored."
        )
    if xc.size + open_c < n_c or xt.size + open_t < n_t:
        notes.append(
            f"{n_c - xc.size - open_c} control and {n_t - xt.size - open_t} treatment "
            f"case(s) have no measured {metric_label(metric)}; they are left out."
        )
    fixed = seq = None
    effects: dict[str, Interval] = {}
    p_value = censored_p = None
    label = metric_label(metric)
    pct = f"{round(100 * (1 - alpha))} %"
    if xc.size < 2 or xt.size < 2:
        summary = (
            f"{label}: not measurable ({xc.size} control and {xt.size} treatment "
            "cases measured; at least 2 each are needed)."
        )
    elif metric in RATE_METRICS:
        fixed = fixed_horizon_test(
            int(xc.sum()), xc.size, int(xt.sum()), xt.size, alpha=alpha
        )
        seq = sequential_test(xc, xt, alpha=alpha, concentration=concentration)
        iv = fixed.difference
        summary = (
            f"{label}: {treat} {100 * fixed.rate_treatment:.1f} % vs {ctrl} "
            f"{100 * fixed.rate_control:.1f} % ({100 * iv.estimate:+.1f} points, {pct} "
            f"CI {100 * iv.low:+.1f} to {100 * iv.high:+.1f}; p = {fixed.p_value:.3g}). "
            + (
                f"The always-valid sequential test rejected 'no difference' after "
                f"{seq.stopped_at} pairs."
                if seq.rejected
                else "The always-valid sequential test has not (yet) rejected 'no "
                f"difference' (e-value {seq.e_value:.3g}, threshold {1 / alpha:.3g})."
            )
        )
    else:
        boot = bootstrap_differences(
            xc, xt, level=1 - alpha, n_resamples=n_resamples, seed=seed
        )
        effects = {str(k): v for k, v in boot.items()}
        p_value = float(stats.mannwhitneyu(xt, xc, alternative="two-sided").pvalue)
        med = effects["median"]
        summary = (
            f"median {label}: {treat} {np.median(xt) / 3600:.1f} h vs {ctrl} "
            f"{np.median(xc) / 3600:.1f} h ({med.estimate / 3600:+.1f} h, {pct} CI "
            f"{med.low / 3600:+.1f} to {med.high / 3600:+.1f} h; Mann-Whitney "
            f"p = {p_value:.3g})."
        )
        notes.append("The sequential test is for rates (0/1 outcomes) only.")
    if metric in DURATION_METRICS and (open_c or open_t):
        censored_p = _logrank(
            xc,
            waited_s[censored & (arm == ctrl)],
            xt,
            waited_s[censored & (arm == treat)],
        )
        if censored_p is not None:
            summary += (
                f" With the {open_c + open_t} open case(s) as censored, log-rank "
                f"p = {censored_p:.3g}."
            )
    return AbTestResult(
        metric=metric,
        variant_column=variant_column,
        control=ctrl,
        treatment=treat,
        n_control=n_c,
        n_treatment=n_t,
        measured_control=int(xc.size),
        measured_treatment=int(xt.size),
        fixed=fixed,
        sequential=seq,
        effects=effects,
        p_value=p_value,
        summary=summary[0].upper() + summary[1:],
        notes=tuple(notes),
        srm_p_value=srm_p,
        open_control=open_c,
        open_treatment=open_t,
        censored_p_value=censored_p,
    )
