"""Interrupted time series: false-positive rates on null series, and speed, beside peers.

For series with no change (white noise or AR(1) noise, the change half-way) the
level-change test at alpha = 5 % should reject about 5 % of the time. Compared in the
same run, on the same series:

* servops ``inference="bootstrap"`` (the default: HAC statistic, AR(1) bootstrap-t);
* servops ``inference="t"`` and statsmodels ``OLS.fit(cov_type="HAC", use_t=True)`` —
  the same numbers (parity), the peer;
* statsmodels plain OLS (iid standard errors).

Also the time of one fit (median of 5 repeats of 50 fits). Run::

    .venv/bin/python benchmarks/bench_its.py [--seeds 1000]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import statsmodels.api as sm

from servops.improve.its import interrupted_time_series, newey_west_lags


def _series(seed: int, n: int, rho: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    e = rng.normal(size=n)
    y = np.empty(n)
    y[0] = e[0] / np.sqrt(1 - rho**2)
    for i in range(1, n):
        y[i] = rho * y[i - 1] + e[i]
    return y


def _design(n: int, cut: int) -> np.ndarray:
    t = np.arange(n, dtype=float)
    d = (t >= cut).astype(float)
    return np.column_stack([np.ones(n), t, d, (t - cut) * d])


def rates(n: int, rho: float, seeds: int) -> dict[str, float]:
    cut = n // 2
    x = _design(n, cut)
    lags = newey_west_lags(n)
    hits = {"bootstrap": 0, "hac_t": 0, "statsmodels_hac_t": 0, "statsmodels_ols": 0}
    for s in range(seeds):
        y = _series(s, n, rho)
        hits["bootstrap"] += interrupted_time_series(y, cut, seed=s).p_level < 0.05
        hits["hac_t"] += interrupted_time_series(y, cut, inference="t").p_level < 0.05
        hac = sm.OLS(y, x).fit(
            cov_type="HAC",
            cov_kwds={"maxlags": lags, "use_correction": True},
            use_t=True,
        )
        hits["statsmodels_hac_t"] += hac.pvalues[2] < 0.05
        hits["statsmodels_ols"] += sm.OLS(y, x).fit().pvalues[2] < 0.05
    return {k: v / seeds for k, v in hits.items()}


def timing(n: int) -> dict[str, float]:
    y = _series(0, n, 0.3)
    x = _design(n, n // 2)
    lags = newey_west_lags(n)

    def ours_boot() -> None:
        interrupted_time_series(y, n // 2)

    def ours_t() -> None:
        interrupted_time_series(y, n // 2, inference="t")

    def peer() -> None:
        sm.OLS(y, x).fit(
            cov_type="HAC",
            cov_kwds={"maxlags": lags, "use_correction": True},
            use_t=True,
        )

    out = {}
    for name, f in (("bootstrap", ours_boot), ("hac_t", ours_t), ("statsmodels", peer)):
        runs = []
        for _ in range(5):
            t0 = time.perf_counter()
            for _ in range(50):
                f()
            runs.append((time.perf_counter() - t0) / 50 * 1000)
        out[name] = statistics.median(runs)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=1000)
    args = ap.parse_args()
    print(f"false-positive rate of the level change at alpha 0.05, {args.seeds} series")
    print("n    rho   bootstrap  hac_t  statsmodels_hac_t  statsmodels_ols")
    for n, rho in ((26, 0.0), (52, 0.0), (52, 0.3), (104, 0.3), (52, 0.6)):
        r = rates(n, rho, args.seeds)
        print(
            f"{n:<4} {rho:<5} {r['bootstrap']:<10.3f} {r['hac_t']:<6.3f} "
            f"{r['statsmodels_hac_t']:<18.3f} {r['statsmodels_ols']:.3f}"
        )
    for n in (52, 365):
        t = timing(n)
        print(
            f"one fit, n={n}: bootstrap {t['bootstrap']:.1f} ms, HAC t "
            f"{t['hac_t']:.2f} ms, statsmodels HAC {t['statsmodels']:.2f} ms"
        )


if __name__ == "__main__":
    main()
