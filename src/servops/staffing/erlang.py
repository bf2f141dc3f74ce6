r"""Erlang B, C and A: queueing formulas for staffing a service desk or call centre.

Notation: calls arrive at rate :math:`\lambda` (Poisson), service takes on average
:math:`\mathrm{AHT} = 1/\mu`, customers waiting give up after an exponential patience
with mean :math:`1/\theta` (Erlang A only), :math:`N` agents serve first come, first
served. The offered load is :math:`A = \lambda \cdot \mathrm{AHT}` Erlangs, e.g.
100 calls in 30 minutes with AHT 180 s offer :math:`A = 100 \cdot 180 / 1800 = 10`.

Erlang B (M/M/N/N, blocked calls lost), by the stable recursion

.. math:: B(0, A) = 1, \qquad B(k, A) = \frac{A\,B(k-1, A)}{k + A\,B(k-1, A)}

(values stay in [0, 1]: no factorials, no overflow, O(N) for thousands of agents).

Erlang C (M/M/N, infinite patience; needs :math:`A < N`), probability of waiting

.. math:: C(N, A) = \frac{B(N, A)}{1 - \frac{A}{N}\,(1 - B(N, A))},

service level (share answered within :math:`t`), average speed of answer, occupancy

.. math::
   \mathrm{SL}(t) = 1 - C\,e^{-(N - A)\,t/\mathrm{AHT}}, \qquad
   \mathrm{ASA} = \frac{C \cdot \mathrm{AHT}}{N - A}, \qquad \text{occ} = A / N.

Erlang A (Palm 1943; M/M/N+M of Garnett, Mandelbaum & Reiman 2002): with
:math:`x = N\mu/\theta`, :math:`y = \lambda/\theta`, :math:`E = B(N, A)` and

.. math:: \mathcal{A}(x, y) = 1 + \sum_{j \ge 1} \frac{y^j}{\prod_{k=1}^{j} (x + k)}
          = \frac{x\,e^{y}}{y^{x}}\,\gamma(x, y),

the stationary probabilities are :math:`\pi_{N+j} = \pi_N\,y^j/\prod_{k\le j}(x+k)`,
:math:`\pi_N = E / (1 + (\mathcal{A}(x,y) - 1)E)`, so :math:`P(W>0) = \pi_N
\mathcal{A}(x,y)` and :math:`P(\mathrm{Ab}) = \theta\,\mathbb{E}[Q]/\lambda`. An arrival
finding :math:`j` waiting is served after :math:`V_j = \sum_{i=0}^{j}
\mathrm{Exp}(N\mu + i\theta)` unless its own patience runs out first; tilting by
:math:`e^{-\theta V}` and solving the backward equations along characteristics gives
the share **answered within t among all arrivals** (abandoners count as failures):

.. math::
   \mathrm{SL}(t) = P(W{=}0) + \pi_N\frac{x}{x+1}\Big[\mathcal{A}(x{+}1, y)
   - e^{-\theta (x+1) t + y (1 - e^{-\theta t})}
     \,\mathcal{A}(x{+}1, y e^{-\theta t})\Big].

Every series is summed in log space (log-sum-exp with ``gammaln``), so thousands of
agents and heavy overload are fine. Shrinkage (breaks, training, absence) turns agents
on the queue into agents to schedule: :math:`S = \lceil N / (1 - s) \rceil`, rounded up
once, at the very end.

References
----------
A. K. Erlang (1917); C. Palm (1943), *Intensitätsschwankungen im Fernsprechverkehr*;
O. Garnett, A. Mandelbaum, M. Reiman (2002), "Designing a call center with impatient
customers", *M&SOM* 4(3); A. Mandelbaum, S. Zeltyn (2007), "The M/M/n+G queue: summary
of performance measures"; G. Koole, *Call Center Optimization* (2013), ch. 5 (the
100 calls / 30 min / AHT 180 s / 80-in-20 s example needs 14 agents, SL 0.8884).

Unlike pyworkforce, the service-level *threshold* ("answered within 20 s") is called
``threshold`` and an ASA target is a real average speed of answer; agents are the
smallest integer meeting every target, so ``agents - 1`` always fails one of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeAlias

import numpy as np

from servops._validation import check_interval
from servops.errors import InvalidParameterError, UnstableSystemError

__all__ = [
    "Duration",
    "QueueMetrics",
    "StaffingResult",
    "agents_for_target",
    "asa",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "occupancy",
    "offered_load",
    "service_level",
    "with_shrinkage",
]

#: A duration: a :class:`~datetime.timedelta`, or a number of seconds.
Duration: TypeAlias = timedelta | float


def seconds(
    value: Duration, name: str, owner: str, *, allow_zero: bool = False
) -> float:
    """Return a duration in seconds, checked to be positive (or non-negative)."""
    s = value.total_seconds() if isinstance(value, timedelta) else value
    return check_interval(
        s, name, owner, low=0.0, closed="left" if allow_zero else "neither"
    )


def _check_agents(agents: object, owner: str) -> int:
    if (
        isinstance(agents, bool)
        or not isinstance(agents, int | np.integer)
        or agents < 0
    ):
        msg = (
            f"The 'agents' parameter of {owner} must be an int in the range [0, inf). "
            f"Got {agents!r} instead."
        )
        raise InvalidParameterError(msg)
    return int(agents)


def _check_load(load: float, owner: str) -> float:
    return check_interval(load, "load", owner, low=0.0, closed="left")


# -- Erlang B and C --------------------------------------------------------------------
def erlang_b(agents: int, load: float) -> float:
    """Blocking probability of M/M/N/N (Erlang B), by the stable recursion.

    Parameters
    ----------
    agents
        Number of servers N (0 or more).
    load
        Offered load A in Erlangs (arrival rate × mean service time).

    Returns
    -------
    float
        B(N, A) in [0, 1].

    Examples
    --------
    >>> round(erlang_b(2, 1.0), 6)  # (1/2) / (1 + 1 + 1/2)
    0.2
    >>> erlang_b(5000, 4800.0) < 0.01
    True
    """
    n = _check_agents(agents, "erlang_b")
    a = _check_load(load, "erlang_b")
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(agents: int, load: float) -> float:
    """Probability that a call waits in M/M/N (Erlang C).

    Parameters
    ----------
    agents
        Number of agents N; must exceed the load.
    load
        Offered load A in Erlangs.

    Returns
    -------
    float
        C(N, A) = B / (1 − (A/N)(1 − B)).

    Raises
    ------
    UnstableSystemError
        If ``load >= agents``: the queue grows without bound.

    Examples
    --------
    >>> round(erlang_c(14, 10.0), 4)
    0.1741
    """
    n = _check_agents(agents, "erlang_c")
    a = _check_load(load, "erlang_c")
    _check_stable(n, a, "erlang_c")
    if a == 0:
        return 0.0
    b = erlang_b(n, a)
    return b / (1.0 - (a / n) * (1.0 - b))


def _check_stable(n: int, a: float, owner: str) -> None:
    if a > 0 and a >= n:
        msg = (
            f"{owner}: an offered load of {a:g} Erlangs needs more than {a:g} agents "
            f"(Erlang C has no steady state when load >= agents); got {n} agent(s). "
            f"Use at least {math.floor(a) + 1} agents, or erlang_a(...) with a "
            f"patience to model an overloaded queue where callers abandon."
        )
        raise UnstableSystemError(msg)


def service_level(
    agents: int, load: float, *, aht: Duration, threshold: Duration
) -> float:
    """Share of calls answered within ``threshold`` (Erlang C).

    Parameters
    ----------
    agents
        Number of agents N (> load).
    load
        Offered load A in Erlangs.
    aht
        Average handle time (timedelta or seconds).
    threshold
        The "answered within" time of the target (e.g. 20 s of "80 % in 20 s").

    Returns
    -------
    float
        1 − C(N, A) · exp(−(N − A) · threshold / AHT).

    Examples
    --------
    >>> round(service_level(14, 10.0, aht=180, threshold=20), 4)
    0.8884
    """
    a = _check_load(load, "service_level")
    h = seconds(aht, "aht", "service_level")
    t = seconds(threshold, "threshold", "service_level", allow_zero=True)
    c = erlang_c(agents, a)
    return 1.0 - c * math.exp(-(agents - a) * t / h)


def asa(agents: int, load: float, *, aht: Duration) -> float:
    """Average speed of answer in seconds (Erlang C): C(N, A) · AHT / (N − A).

    Examples
    --------
    >>> round(asa(14, 10.0, aht=180), 2)
    7.84
    """
    a = _check_load(load, "asa")
    h = seconds(aht, "aht", "asa")
    c = erlang_c(agents, a)
    return 0.0 if c == 0 else c * h / (agents - a)


def occupancy(agents: int, load: float) -> float:
    """Share of agent time spent serving: A / N (Erlang C; capped at 1).

    Examples
    --------
    >>> round(occupancy(14, 10.0), 4)
    0.7143
    """
    n = _check_agents(agents, "occupancy")
    a = _check_load(load, "occupancy")
    if n == 0:
        return 0.0 if a == 0 else 1.0
    return min(a / n, 1.0)


def offered_load(calls: float, *, interval: Duration, aht: Duration) -> float:
    """Offered load in Erlangs: calls per interval × AHT / interval length.

    Examples
    --------
    >>> offered_load(100, interval=timedelta(minutes=30), aht=180)
    10.0
    """
    c = check_interval(calls, "calls", "offered_load", low=0.0, closed="left")
    return (
        c
        * seconds(aht, "aht", "offered_load")
        / seconds(interval, "interval", "offered_load")
    )


# -- Erlang A --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class QueueMetrics:
    """What a queue with a given number of agents achieves.

    ``service_level`` is the share of *all* arrivals answered within the threshold (with
    abandonment, callers who hang up count as failures); ``asa_s`` is the mean wait of
    answered calls; ``mean_wait_s`` the mean time in queue of all arrivals (answered or
    not); ``occupancy`` the share of agent time busy.
    """

    agents: int
    load_erlangs: float
    p_wait: float
    service_level: float
    asa_s: float
    occupancy: float
    p_abandon: float = 0.0
    mean_wait_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "agents": self.agents,
            "load_erlangs": self.load_erlangs,
            "p_wait": self.p_wait,
            "service_level": self.service_level,
            "asa_s": self.asa_s,
            "occupancy": self.occupancy,
            "p_abandon": self.p_abandon,
            "mean_wait_s": self.mean_wait_s,
        }


def _log_series(x: float, y: float) -> np.ndarray:
    """Log terms ``log(y^j / prod_{k<=j}(x+k))``, j = 0, 1, …, until negligible."""
    if y <= 0:
        return np.zeros(1)
    from scipy.special import gammaln  # slow to import: loaded on first use

    peak = max(0.0, y - x)
    size = int(peak + 12.0 * math.sqrt(y + 1.0) + 64)
    while True:
        j = np.arange(size, dtype=float)
        terms = j * math.log(y) - (gammaln(x + j + 1.0) - gammaln(x + 1.0))
        # The terms rise to a peak near j = y - x, then fall faster than geometrically;
        # stop once the tail is below 1e-20 of the peak.
        if terms[-1] < terms.max() - 46.0 and np.argmax(terms) < size - 1:
            return terms
        size *= 2


def _lse(terms: np.ndarray, b: np.ndarray | None = None) -> float:
    """log(sum(b * exp(terms))) for b >= 0 (scipy's logsumexp is 20x slower here)."""
    if terms.size == 0:
        return -math.inf
    m = float(terms.max())
    w = np.exp(terms - m)
    total = float(np.dot(w, b) if b is not None else w.sum())
    return m + math.log(total) if total > 0 else -math.inf


def _erlang_b_log(n: int, a: float) -> float:
    """Return log B(n, a), by the recursion in logs (B underflows when n >> a)."""
    if a == 0:
        return 0.0 if n == 0 else -math.inf
    log_a = math.log(a)
    log_b = 0.0
    for k in range(1, n + 1):
        log_b = log_a + log_b - math.log(k + a * math.exp(log_b))
    return log_b


def erlang_a(
    agents: int,
    load: float,
    *,
    aht: Duration,
    patience: Duration,
    threshold: Duration,
) -> QueueMetrics:
    """Queue metrics of M/M/N+M (Erlang A): callers abandon after exponential patience.

    Parameters
    ----------
    agents
        Number of agents N (0 or more; loads above N are fine: callers abandon).
    load
        Offered load A in Erlangs.
    aht
        Average handle time.
    patience
        Mean patience of waiting callers (1/θ).
    threshold
        The "answered within" time for the service level.

    Returns
    -------
    QueueMetrics
        P(wait), P(abandon), service level (answered within the threshold, among all
        arrivals), ASA of answered calls, mean wait of all arrivals and occupancy.

    Examples
    --------
    >>> m = erlang_a(14, 10.0, aht=180, patience=120, threshold=20)
    >>> round(m.service_level, 4), round(m.p_abandon, 4), round(m.asa_s, 2)
    (0.9327, 0.0228, 2.35)
    """
    n = _check_agents(agents, "erlang_a")
    a = _check_load(load, "erlang_a")
    h = seconds(aht, "aht", "erlang_a")
    pat = seconds(patience, "patience", "erlang_a")
    t = seconds(threshold, "threshold", "erlang_a", allow_zero=True)
    if a == 0:
        return QueueMetrics(n, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0)
    theta = 1.0 / pat
    mu = 1.0 / h
    lam = a * mu
    y = lam / theta
    if n == 0:
        return QueueMetrics(0, a, 1.0, 0.0, 0.0, 0.0, 1.0, pat)
    x = n * mu / theta
    log_e = _erlang_b_log(n, a)
    terms = _log_series(x, y)
    log_a = float(_lse(terms))
    if log_e == -math.inf:
        return QueueMetrics(n, a, 0.0, 1.0, 0.0, a / n, 0.0, 0.0)
    # P(W > 0) = A E / (1 + (A - 1) E) = 1 / (1 + (1 - E) / (E A)), in logs
    log1m_e = math.log1p(-math.exp(log_e)) if log_e < 0 else -math.inf
    r = math.exp(min(log1m_e - log_e - log_a, 700.0))
    p_wait = 1.0 / (1.0 + r)
    log_pi_n = math.log(p_wait) - log_a if p_wait > 0 else -math.inf
    # P(Ab) = theta E[Q] / lambda = pi_N * sum_j j t_j / y
    j = np.arange(terms.size, dtype=float)
    mask = j > 0
    log_eq = float(_lse(terms[mask] + np.log(j[mask]))) if mask.any() else -math.inf
    p_ab = math.exp(log_pi_n + log_eq - math.log(y)) if mask.any() else 0.0
    # Served after waiting: weights w_j = pi_N x y^j / prod_{k<=j+1}(x+k).
    base = log_pi_n + math.log(x) - math.log(x + 1.0)
    terms1 = _log_series(x + 1.0, y)
    served_wait = math.exp(base + float(_lse(terms1)))
    decay = math.exp(-theta * t)
    if t > 0:
        late = math.exp(
            base
            - theta * (x + 1.0) * t
            + y * (1.0 - decay)
            + float(_lse(_log_series(x + 1.0, y * decay)))
        )
    else:
        late = served_wait
    p_no_wait = 1.0 - p_wait
    sl = p_no_wait + max(served_wait - late, 0.0)
    # Mean wait of those served after waiting: E[V'_j] = sum_{k<=j+1} 1/(theta (x+k)).
    jj = np.arange(terms1.size, dtype=float)
    harmonic = np.cumsum(1.0 / (theta * (x + 1.0 + jj)))
    wait_served = math.exp(base + float(_lse(terms1, b=harmonic)))
    p_served = max(1.0 - p_ab, 1e-300)
    occ = min(a * (1.0 - p_ab) / n, 1.0)
    return QueueMetrics(
        agents=n,
        load_erlangs=a,
        p_wait=min(max(p_wait, 0.0), 1.0),
        service_level=min(max(sl, 0.0), 1.0),
        asa_s=wait_served / p_served,
        occupancy=occ,
        p_abandon=min(max(p_ab, 0.0), 1.0),
        mean_wait_s=p_ab * pat,
    )


# -- staffing --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class StaffingResult:
    """The smallest staffing that meets every target, and what it achieves.

    ``agents_on_queue`` is the smallest integer N meeting the targets; ``agents`` is
    the headcount to schedule once shrinkage is added (``ceil(N / (1 - shrinkage))``,
    rounded once); ``required_fte`` is the same before rounding (sum these, not
    ``agents``, when pooling intervals or queues).
    """

    agents: int
    agents_on_queue: int
    required_fte: float
    service_level: float
    asa_s: float
    occupancy: float
    p_wait: float
    p_abandon: float | None
    load_erlangs: float
    calls: float
    interval_s: float
    aht_s: float
    shrinkage: float
    model: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: agents, service_level, asa_s, occupancy first."""
        return {
            "agents": self.agents,
            "service_level": self.service_level,
            "asa_s": self.asa_s,
            "occupancy": self.occupancy,
            "agents_on_queue": self.agents_on_queue,
            "required_fte": self.required_fte,
            "p_wait": self.p_wait,
            "p_abandon": self.p_abandon,
            "load_erlangs": self.load_erlangs,
            "calls": self.calls,
            "interval_s": self.interval_s,
            "aht_s": self.aht_s,
            "shrinkage": self.shrinkage,
            "model": self.model,
        }


def with_shrinkage(agents: int, shrinkage: float) -> int:
    """Agents to schedule so ``agents`` remain after ``shrinkage`` (rounded up once).

    Guards against the floating-point trap ``21 / (1 - 0.3) = 30.000000000000004``,
    which a bare ``ceil`` turns into 31.

    Examples
    --------
    >>> with_shrinkage(21, 0.3)
    30
    >>> with_shrinkage(14, 0.25)
    19
    """
    n = _check_agents(agents, "with_shrinkage")
    s = check_interval(
        shrinkage, "shrinkage", "with_shrinkage", low=0.0, high=1.0, closed="left"
    )
    return math.ceil(round(n / (1.0 - s), 9))


@dataclass(frozen=True, slots=True)
class Targets:
    """Validated staffing targets (all optional; at least one must be set)."""

    service_level: float | None = None
    threshold_s: float = 0.0
    asa_s: float | None = None
    max_occupancy: float | None = None
    max_abandon: float | None = None

    def met(self, m: QueueMetrics) -> bool:
        """Whether metrics ``m`` meet every target."""
        eps = 1e-12  # a target met to within rounding counts as met
        return (
            (self.service_level is None or m.service_level >= self.service_level - eps)
            and (self.asa_s is None or m.asa_s <= self.asa_s + eps)
            and (self.max_occupancy is None or m.occupancy <= self.max_occupancy + eps)
            and (self.max_abandon is None or m.p_abandon <= self.max_abandon + eps)
        )


def make_targets(
    owner: str,
    *,
    service_level: float | None,
    threshold: Duration | None,
    asa: Duration | None,
    max_occupancy: float | None,
    max_abandon: float | None = None,
) -> Targets:
    """Check and bundle staffing targets."""
    if (
        service_level is None
        and asa is None
        and max_occupancy is None
        and max_abandon is None
    ):
        msg = (
            f"{owner} needs at least one target: service_level (with threshold), asa, "
            "max_occupancy or max_abandon. Got none."
        )
        raise InvalidParameterError(msg)
    sl = None
    t = 0.0
    if service_level is not None:
        sl = check_interval(service_level, "service_level", owner, low=0.0, high=1.0)
        if threshold is None:
            msg = (
                f"The 'threshold' parameter of {owner} is required with service_level "
                f"(answered within how long?). Got None; e.g. threshold=20 for 80/20."
            )
            raise InvalidParameterError(msg)
        t = seconds(threshold, "threshold", owner, allow_zero=True)
    asa_s = None if asa is None else seconds(asa, "asa", owner)
    occ = (
        None
        if max_occupancy is None
        else check_interval(
            max_occupancy, "max_occupancy", owner, low=0.0, high=1.0, closed="right"
        )
    )
    ab = (
        None
        if max_abandon is None
        else check_interval(max_abandon, "max_abandon", owner, low=0.0, high=1.0)
    )
    return Targets(sl, t, asa_s, occ, ab)


def erlang_c_staffing(
    loads: np.ndarray, aht_s: np.ndarray, targets: Targets
) -> dict[str, np.ndarray]:
    """Smallest N per row meeting the targets under Erlang C, vectorised over rows.

    Walks N = 1, 2, … with the Erlang B recursion for all rows at once and records, for
    each row, the first N that meets every target, so the answer is minimal by
    construction. Rows with zero load need 0 agents.
    """
    a = np.asarray(loads, dtype=float)
    h = np.broadcast_to(np.asarray(aht_s, dtype=float), a.shape)
    m = a.size
    agents = np.zeros(m, dtype=np.int64)
    sl = np.ones(m)
    asa_out = np.zeros(m)
    occ = np.zeros(m)
    pw = np.zeros(m)
    todo = a > 0
    b = np.ones(m)
    k = 0
    limit = (
        float(a.max(initial=0.0)) + 60.0 * math.sqrt(float(a.max(initial=0.0))) + 1000
    )
    while todo.any():
        k += 1
        if k > limit:
            msg = (
                f"erlang_c_staffing: no staffing up to {k - 1} agents meets the "
                f"targets {targets}; they are unreachable in practice (is "
                f"service_level ~1 with a zero threshold?)."
            )
            raise InvalidParameterError(msg)
        b = a * b / (k + a * b)
        cand = todo & (a < k)
        if not cand.any():
            continue
        ac, bc, hc = a[cand], b[cand], h[cand]
        c = bc / (1.0 - (ac / k) * (1.0 - bc))
        gap = k - ac
        sl_c = 1.0 - c * np.exp(-gap * targets.threshold_s / hc)
        asa_c = c * hc / gap
        occ_c = ac / k
        ok = np.ones(ac.size, dtype=bool)
        if targets.service_level is not None:
            ok &= sl_c >= targets.service_level - 1e-12
        if targets.asa_s is not None:
            ok &= asa_c <= targets.asa_s + 1e-12
        if targets.max_occupancy is not None:
            ok &= occ_c <= targets.max_occupancy + 1e-12
        idx = np.flatnonzero(cand)[ok]
        agents[idx] = k
        sl[idx] = sl_c[ok]
        asa_out[idx] = asa_c[ok]
        occ[idx] = occ_c[ok]
        pw[idx] = c[ok]
        todo[idx] = False
    return {
        "agents": agents,
        "service_level": sl,
        "asa_s": asa_out,
        "occupancy": occ,
        "p_wait": pw,
    }


def erlang_a_staffing(
    load: float,
    aht_s: float,
    patience_s: float,
    targets: Targets,
    *,
    guess: int | None = None,
) -> QueueMetrics:
    """Smallest N meeting the targets under Erlang A.

    Starts from ``guess`` (e.g. the Erlang C answer, usually within a few agents), walks
    down while N − 1 still meets the targets, or searches upwards (doubling, then
    bisection) when the guess fails. Metrics are monotone in N, and the answer is
    always checked: N meets every target and N − 1 does not.
    """
    if load == 0:
        return QueueMetrics(0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0)

    def metrics(n: int) -> QueueMetrics:
        return erlang_a(
            n, load, aht=aht_s, patience=patience_s, threshold=targets.threshold_s
        )

    hi = max(1, guess if guess is not None else math.ceil(load))
    lo = 0
    m_hi = metrics(hi)
    if targets.met(m_hi):
        lo = max(0, hi - 4)
        if lo > 0 and targets.met(metrics(lo)):
            lo = 0  # far below the guess: bisect the whole range
    else:
        while not targets.met(m_hi):
            lo = hi
            hi *= 2
            if hi > 100 * (load + 100):
                msg = (
                    f"erlang_a_staffing: no staffing up to {hi} agents meets the "
                    f"targets {targets} at a load of {load:g} Erlangs."
                )
                raise InvalidParameterError(msg)
            m_hi = metrics(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        m_mid = metrics(mid)
        if targets.met(m_mid):
            hi, m_hi = mid, m_mid
        else:
            lo = mid
    while hi > 0:
        m_lower = metrics(hi - 1)
        if not targets.met(m_lower):
            break
        hi, m_hi = hi - 1, m_lower
    return m_hi


def agents_for_target(
    calls: float,
    *,
    interval: Duration,
    aht: Duration,
    service_level: float | None = None,
    threshold: Duration | None = None,
    asa: Duration | None = None,
    max_occupancy: float | None = None,
    max_abandon: float | None = None,
    patience: Duration | None = None,
    shrinkage: float = 0.0,
) -> StaffingResult:
    """Find the fewest agents meeting every target by Erlang C (A with a patience).

    Parameters
    ----------
    calls
        Calls (contacts, cases) arriving in one interval.
    interval
        Length of the interval (timedelta or seconds).
    aht
        Average handle time.
    service_level, threshold
        Target share answered within ``threshold`` (e.g. 0.8 and 20 s).
    asa
        Target average speed of answer (a real mean wait, not a threshold).
    max_occupancy
        Upper bound on agent occupancy (e.g. 0.85).
    max_abandon
        Upper bound on the abandonment rate (Erlang A only; needs ``patience``).
    patience
        Mean patience of waiting callers; switches to Erlang A.
    shrinkage
        Share of paid time agents are off the queue (breaks, training, absence).

    Returns
    -------
    StaffingResult
        ``agents`` (to schedule, with shrinkage), ``agents_on_queue`` and what they
        achieve.

    Raises
    ------
    InvalidParameterError
        If no target is given, or a value is out of range.

    Examples
    --------
    >>> r = agents_for_target(
    ...     100, interval=1800, aht=180, service_level=0.8, threshold=20
    ... )
    >>> r.agents, round(r.service_level, 4), round(r.asa_s, 1), round(r.occupancy, 3)
    (14, 0.8884, 7.8, 0.714)
    >>> agents_for_target(
    ...     100, interval=1800, aht=180, service_level=0.8, threshold=20, shrinkage=0.3
    ... ).agents
    20
    """
    owner = "agents_for_target"
    n_calls = check_interval(calls, "calls", owner, low=0.0, closed="left")
    iv = seconds(interval, "interval", owner)
    h = seconds(aht, "aht", owner)
    s = check_interval(shrinkage, "shrinkage", owner, low=0.0, high=1.0, closed="left")
    targets = make_targets(
        owner,
        service_level=service_level,
        threshold=threshold,
        asa=asa,
        max_occupancy=max_occupancy,
        max_abandon=max_abandon,
    )
    load = n_calls * h / iv
    if patience is None:
        if targets.max_abandon is not None:
            msg = (
                f"The 'max_abandon' parameter of {owner} needs a patience (Erlang A); "
                f"Erlang C has no abandonment. Got max_abandon={max_abandon!r} and "
                "patience=None."
            )
            raise InvalidParameterError(msg)
        out = erlang_c_staffing(np.array([load]), np.array([h]), targets)
        n = int(out["agents"][0])
        m = QueueMetrics(
            n,
            load,
            float(out["p_wait"][0]),
            float(out["service_level"][0]),
            float(out["asa_s"][0]),
            float(out["occupancy"][0]),
        )
        p_ab: float | None = None
        model = "erlang_c"
    else:
        pat = seconds(patience, "patience", owner)
        m = erlang_a_staffing(load, h, pat, targets)
        n = m.agents
        p_ab = m.p_abandon
        model = "erlang_a"
    return StaffingResult(
        agents=with_shrinkage(n, s),
        agents_on_queue=n,
        required_fte=n / (1.0 - s),
        service_level=m.service_level,
        asa_s=m.asa_s,
        occupancy=m.occupancy,
        p_wait=m.p_wait,
        p_abandon=p_ab,
        load_erlangs=load,
        calls=n_calls,
        interval_s=iv,
        aht_s=h,
        shrinkage=s,
        model=model,
    )
