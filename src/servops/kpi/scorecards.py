r"""Agent and team scorecards: on-time rate and customer rating, fair to small samples.

Two dimensions per agent (or team): the **on-time rate** against the SLA and the mean
**customer rating**. Both are compared with the desk as a whole, allowing for the mix of
work each agent got and for how few tickets some agents have.

Who a case belongs to
    The agent of a case is the resource of its last resolution event or work step
    (:func:`servops.kpi.cases.work_step_sql`: not customer turns, closing steps or
    ignored resources such as ``system``) — the person who resolved it, or who worked it
    last while it is still open. Cases without such an event are *unattributed*: they
    count in the desk figures and in their own row, never dropped. A team is a case
    attribute (``group``, ``team``, ``assignment_group`` … or ``team_column``).

On-time rate
    Met / decided with the SLA status of :func:`servops.kpi.case_metrics` — the same
    definition as SLA attainment (:data:`servops.kpi.cases.SLA_AGGREGATES`); pending
    cases are not decided and do not count. The desk rate :math:`\hat p` is the
    attainment over all decided cases.

Case-mix adjustment (indirect standardisation)
    Each case belongs to a stratum, the combination of the ``adjust`` attributes
    (priority, category, channel by default). The desk's rate in stratum :math:`s` is
    :math:`p_s`; agent :math:`i` with decided cases :math:`c` expects
    :math:`E_i = \sum_c p_{s(c)}` on-time cases and met :math:`O_i`. The ratio
    :math:`O_i/E_i` says how the agent did against the desk on the same mix; the
    adjusted rate is :math:`\hat p\,O_i/E_i` (the indirectly standardised rate; it can
    exceed 100 % when an agent with a hard mix met nearly everything). Without
    ``adjust`` there is one stratum, :math:`E_i = n_i \hat p`, and the adjusted rate is
    the observed one.

Small-sample shrinkage (empirical Bayes)
    *Rates*, beta-binomial: :math:`O_i \sim \mathrm{Bin}(n_i, \theta_i)`,
    :math:`\theta_i \sim \mathrm{Beta}(M e_i, M(1-e_i))` with :math:`e_i = E_i/n_i` the
    desk's rate on the agent's mix. The prior strength :math:`M` (in tickets) is the
    **maximum-likelihood** estimate under the beta-binomial marginal
    (``scipy.stats.betabinom``, bounded search on :math:`\log M`). The posterior mean
    :math:`(O_i + M e_i)/(n_i + M)`, scaled by :math:`\hat p/e_i`, gives the shrunken
    rate :math:`w_i r_i + (1-w_i)\hat p` with :math:`w_i = n_i/(n_i+M)` and
    :math:`r_i` the adjusted rate: every agent moves toward the desk rate, the more the
    fewer tickets it has. When the agents differ no more than chance allows, the
    likelihood is flat in :math:`M` up to the bound and every agent is pooled to the
    desk (``prior_tickets`` is ``None``, a note says so).

    *Ratings*, normal-normal: the mean :math:`\bar y_i` of :math:`m_i` ratings minus the
    desk's mean on the agent's mix :math:`\bar e_i` is
    :math:`N(\delta_i, \sigma^2/m_i)` with :math:`\delta_i \sim N(0, \tau^2)`;
    :math:`\sigma^2` is the pooled within-agent variance and :math:`\tau^2` its
    **maximum-likelihood** estimate (bounded search). Shrunken rating
    :math:`\mu + B_i(\bar y_i - \bar e_i)`, :math:`B_i = \tau^2/(\tau^2+\sigma^2/m_i)`,
    :math:`\mu` the desk's mean rating.

Funnel plot (Spiegelhalter 2005)
    Control limits around :math:`\hat p` for a rate over :math:`n` tickets are the exact
    binomial quantiles :math:`F^{-1}(q; n, \hat p)/n` for :math:`q` = 0.025/0.975 (95 %)
    and 0.001/0.999 (99.8 %). An agent above the 99.8 % limit is ``high_998``, above the
    95 % one ``high_95``, likewise ``low_…``, else ``within``. The adjusted rate is
    plotted against the same limits (an approximation: its variance is that of a
    binomial rate on the agent's own mix). Ratings use normal limits
    :math:`\mu \pm z\,\sigma/\sqrt{m}`.

Reference: D. J. Spiegelhalter, "Funnel plots for comparing institutional performance",
*Statistics in Medicine* 24 (2005) 1185–1202; Efron & Morris (1975) for shrinkage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pyarrow as pa

from servops._validation import check_choice
from servops.errors import InvalidParameterError, LogSchemaError
from servops.kpi.cases import case_metrics, resolve_config, sql_in, work_step_sql
from servops.kpi.kpis import registered
from servops.log.engine import quote

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

    from servops._typing import PathLike
    from servops.kpi.config import KpiConfig
    from servops.log import EventLog

__all__ = [
    "DEFAULT_ADJUST",
    "TEAM_COLUMNS",
    "ScorecardResult",
    "beta_binomial_strength",
    "funnel_limits",
    "normal_between_variance",
    "scorecard",
    "shrunken_rates",
]

By = Literal["agent", "team"]
#: Case attributes adjusted for by default (those the log has).
DEFAULT_ADJUST = ("priority", "category", "channel")
#: Case attributes tried, in order, as the team when ``team_column`` is not given.
TEAM_COLUMNS = ("group", "team", "assignment_group", "support_group", "queue")
UNATTRIBUTED = "(unattributed)"
#: The funnel's control-limit levels: two-sided coverage.
LEVELS = (0.95, 0.998)
_M_BOUNDS = (1e-2, 1e6)
_SIGNALS = ("low_998", "low_95", "within", "high_95", "high_998")


@dataclass(frozen=True, slots=True)
class ScorecardResult:
    r"""Scorecards per agent or team, the desk figures and the funnel limits.

    Attributes
    ----------
    by
        ``"agent"`` or ``"team"``.
    team_column
        The case attribute used as the team (``None`` for agents).
    adjust
        The attributes whose combinations are the strata of the case-mix adjustment.
    rows
        One row per agent or team (the unattributed cases last): ``name``, ``cases``,
        ``decided``, ``on_time``, ``on_time_rate`` (observed), ``expected_rate`` (the
        desk's on the same mix), ``oe_ratio``, ``adjusted_rate``, ``shrunken_rate``,
        ``weight`` (:math:`w_i`), ``signal`` (funnel), ``rank`` (1 = best shrunken
        rate), ``rank_observed``, ``ratings``, ``rating_mean``, ``rating_expected``,
        ``rating_adjusted``, ``rating_shrunken``, ``rating_signal``. ``null`` where not
        measurable (no decided case, no rating).
    desk
        ``cases``, ``decided``, ``on_time``, ``on_time_rate`` (= SLA attainment),
        ``ratings``, ``rating_mean``, ``rating_sd`` (pooled within), ``strata``.
    funnel
        ``n`` with ``lower_998``, ``lower_95``, ``upper_95``, ``upper_998`` around the
        desk rate (rates).
    prior_tickets
        The beta-binomial prior strength :math:`M` (``None``: complete pooling, or
        not estimable).
    rating_tau
        The between-agent standard deviation of ratings :math:`\tau` (``None`` when not
        estimable).
    notes
        What was left out and why, and how the figures were made.
    """

    by: By
    team_column: str | None
    adjust: tuple[str, ...]
    rows: pa.Table
    desk: dict[str, Any]
    funnel: pa.Table
    prior_tickets: float | None
    rating_tau: float | None
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "by": self.by,
            "team_column": self.team_column,
            "adjust": list(self.adjust),
            "desk": dict(self.desk),
            "prior_tickets": self.prior_tickets,
            "rating_tau": self.rating_tau,
            "method": {
                "rates": "beta-binomial empirical Bayes, prior strength by maximum "
                "likelihood; indirect standardisation over the strata",
                "ratings": "normal-normal empirical Bayes, between-agent variance by "
                "maximum likelihood",
                "funnel": "exact binomial quantiles around the desk rate",
            },
            "rows": self.rows.to_pylist(),
            "funnel": self.funnel.to_pylist(),
            "notes": list(self.notes),
        }


def funnel_limits(
    p: float, n: Sequence[int] | NDArray[np.int64], levels: Sequence[float] = LEVELS
) -> dict[float, tuple[NDArray[np.float64], NDArray[np.float64]]]:
    """Exact binomial control limits of a rate over ``n`` cases around ``p``.

    Parameters
    ----------
    p
        The target (desk) rate in [0, 1].
    n
        Numbers of cases (each ≥ 1).
    levels
        Two-sided coverages, e.g. 0.95 and 0.998.

    Returns
    -------
    dict
        level → (lower, upper) rate arrays: ``binom.ppf((1 ± level)/2, n, p) / n``.

    Examples
    --------
    >>> lim = funnel_limits(0.8, [10, 100])
    >>> [round(float(x), 2) for x in lim[0.95][0]], [float(x) for x in lim[0.95][1]]
    ([0.5, 0.72], [1.0, 0.88])
    """
    from scipy.stats import binom

    if not 0 <= p <= 1:
        msg = (
            f"The 'p' parameter of funnel_limits must be in [0, 1]. Got {p!r} instead."
        )
        raise InvalidParameterError(msg)
    ns = np.asarray(n, dtype=np.int64)
    if ns.size and ns.min() < 1:
        msg = f"funnel_limits needs n >= 1; got {int(ns.min())}."
        raise InvalidParameterError(msg)
    out = {}
    for level in levels:
        a = (1 - level) / 2
        lo = binom.ppf(a, ns, p) / ns
        hi = binom.ppf(1 - a, ns, p) / ns
        out[level] = (np.asarray(lo, dtype=float), np.asarray(hi, dtype=float))
    return out


def beta_binomial_strength(
    k: NDArray[np.float64], n: NDArray[np.float64], mean: NDArray[np.float64]
) -> float | None:
    """Maximum-likelihood prior strength :math:`M` of a beta-binomial with known means.

    ``k[i] ~ BetaBin(n[i], M mean[i], M (1 - mean[i]))``. Returns ``None`` when the
    likelihood is largest at the upper bound (no variation beyond chance: complete
    pooling) or fewer than three groups have cases.

    Examples
    --------
    >>> k = np.array([5.0, 50, 95])
    >>> n = np.array([100.0, 100, 100])
    >>> m = beta_binomial_strength(k, n, np.full(3, 0.5))
    >>> 1 < m < 10  # far more spread than binomial noise: a weak prior
    True
    >>> beta_binomial_strength(np.array([50.0, 51, 49]), n, np.full(3, 0.5)) is None
    True
    """
    from scipy.optimize import minimize_scalar
    from scipy.stats import betabinom

    use = n > 0
    if int(use.sum()) < 3:
        return None
    kk, nn = k[use], n[use]
    mu = np.clip(mean[use], 1e-9, 1 - 1e-9)

    def nll(log_m: float) -> float:
        m = math.exp(log_m)
        return -float(np.sum(betabinom.logpmf(kk, nn, m * mu, m * (1 - mu))))

    lo, hi = math.log(_M_BOUNDS[0]), math.log(_M_BOUNDS[1])
    res = minimize_scalar(nll, bounds=(lo, hi), method="bounded")
    best = float(res.x)
    # the bounded search stops short of a flat edge: compare with the edge itself
    if nll(hi) <= float(res.fun) + 1e-9 or best > hi - 0.5:
        return None
    return math.exp(best)


def shrunken_rates(
    on_time: NDArray[np.float64],
    decided: NDArray[np.float64],
    expected: NDArray[np.float64],
    desk_rate: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64], float | None]:
    r"""Adjusted rates shrunk toward the desk rate (beta-binomial empirical Bayes).

    Parameters
    ----------
    on_time, decided
        Per group: on-time cases :math:`O_i` and decided cases :math:`n_i` (each > 0).
    expected
        Per group: expected on-time cases :math:`E_i` on its mix (> 0).
    desk_rate
        :math:`\hat p`.

    Returns
    -------
    tuple
        The shrunken rates :math:`w_i\,\hat p O_i/E_i + (1-w_i)\hat p`, the weights
        :math:`w_i = n_i/(n_i+M)` and :math:`M` (``None``: complete pooling, weights 0).

    Examples
    --------
    >>> r, w, m = shrunken_rates(
    ...     np.array([2.0, 45, 90]),
    ...     np.array([10.0, 50, 100]),
    ...     np.array([8.0, 40, 80]),
    ...     0.8,
    ... )
    >>> bool(
    ...     np.all(
    ...         np.abs(r - 0.8)
    ...         <= np.abs(0.8 * np.array([2 / 8, 45 / 40, 90 / 80]) - 0.8)
    ...     )
    ... )
    True
    """
    k = np.asarray(on_time, dtype=float)
    n = np.asarray(decided, dtype=float)
    e = np.asarray(expected, dtype=float)
    m = beta_binomial_strength(k, n, e / n)
    w = np.zeros(n.size) if m is None else n / (n + m)
    return w * desk_rate * k / e + (1 - w) * desk_rate, w, m


def normal_between_variance(
    d: NDArray[np.float64], se2: NDArray[np.float64]
) -> float | None:
    r"""Maximum-likelihood :math:`\tau^2` with ``d[i] ~ N(0, tau2 + se2[i])``.

    ``None`` with fewer than three groups.

    Examples
    --------
    >>> round(normal_between_variance(np.array([-2.0, 0, 2]), np.full(3, 1e-6)), 3)
    2.667
    >>> normal_between_variance(np.array([0.1, -0.1, 0.0]), np.full(3, 1.0))
    0.0
    """
    from scipy.optimize import minimize_scalar

    if d.size < 3:
        return None

    def nll(tau2: float) -> float:
        v = tau2 + se2
        return float(0.5 * np.sum(np.log(v) + d * d / v))

    hi = float(max(np.max(d * d), 1e-12)) * 4
    res = minimize_scalar(nll, bounds=(0.0, hi), method="bounded")
    best = float(res.x)
    return 0.0 if nll(0.0) <= float(res.fun) else best


def _signal(
    y: float | None, lo95: float, hi95: float, lo998: float, hi998: float
) -> str | None:
    if y is None:
        return None
    if y > hi998:
        return "high_998"
    if y > hi95:
        return "high_95"
    if y < lo998:
        return "low_998"
    if y < lo95:
        return "low_95"
    return "within"


def _team_column(columns: list[str], team_column: str | None, attrs: list[str]) -> str:
    if team_column is not None:
        if team_column not in columns:
            msg = (
                f"The 'team_column' parameter of scorecard must be a case attribute. "
                f"Got {team_column!r} instead. Attributes of this log: {attrs}."
            )
            raise InvalidParameterError(msg)
        return team_column
    for c in TEAM_COLUMNS:
        if c in columns:
            return c
    msg = (
        f"scorecard by team needs a team attribute: none of {list(TEAM_COLUMNS)} is in "
        f"this log. Attributes of this log: {attrs}. Give team_column (--team-column)."
    )
    raise InvalidParameterError(msg)


def _agents_sql(cfg: KpiConfig) -> str:
    """Per case: the resource of its last resolution or work step (``agent``)."""
    resolved = cfg.resolved or cfg.closed
    ignored = sql_in("resource", cfg.ignore_resources)
    return f"""
SELECT case_id, resource AS agent FROM (
  SELECT case_id, resource, row_number() OVER (
    PARTITION BY case_id ORDER BY "timestamp" DESC, event_index DESC) AS rn
  FROM (SELECT *, resource AS handler FROM instances) i
  WHERE resource IS NOT NULL AND NOT ({ignored})
    AND (({sql_in("activity", resolved)}) OR ({work_step_sql(cfg)}))
) WHERE rn = 1
"""


def scorecard(
    log: EventLog,
    config: KpiConfig | PathLike | None = None,
    *,
    by: By = "agent",
    team_column: str | None = None,
    adjust: Sequence[str] | None = None,
    ratings: pa.Table | None = None,
    rating_column: str | None = None,
    cases: pa.Table | None = None,
) -> ScorecardResult:
    """On-time rate and customer rating per agent or team, adjusted and shrunken.

    Parameters
    ----------
    log
        The event log.
    config
        A :class:`~servops.kpi.KpiConfig` or YAML path with ``sla`` policies (as for
        :func:`~servops.kpi.sla_report`).
    by
        ``"agent"`` (the resource that resolved or last worked a case) or ``"team"``.
    team_column
        The case attribute naming the team (default: the first of
        :data:`TEAM_COLUMNS` the log has).
    adjust
        Case attributes to adjust for (default: those of :data:`DEFAULT_ADJUST` the log
        has; ``()`` for none).
    ratings
        Survey answers: a table with ``case_id`` and ``score`` (as
        :func:`servops.feedback.read_feedback` returns); one row per answer.
    rating_column
        Or: a case attribute of the log holding the case's rating.
    cases
        The result of :func:`~servops.kpi.case_metrics` if already computed.

    Returns
    -------
    ScorecardResult

    Raises
    ------
    InvalidParameterError
        Unknown ``by``, team or ``adjust`` column, both ``ratings`` and
        ``rating_column``.
    LogSchemaError
        ``ratings`` lacks ``case_id`` or ``score``.

    Examples
    --------
    >>> from servops.kpi.config import config_from_dict
    >>> cfg = config_from_dict(
    ...     {
    ...         "activities": {"resolved": "Resolve", "closed": "Close"},
    ...         "sla": [{"name": "all", "resolution": "2h"}],
    ...     }
    ... )
    >>> sc = so.kpi.scorecard(tiny_log, cfg, adjust=())
    >>> [(r["name"], r["decided"], r["on_time"]) for r in sc.rows.to_pylist()]
    [('bob', 2, 2), ('carol', 2, 1)]
    >>> sc.desk["on_time_rate"]
    0.75
    """
    check_choice(by, "by", "scorecard", ("agent", "team"))
    if ratings is not None and rating_column is not None:
        msg = "scorecard takes ratings or rating_column, not both."
        raise InvalidParameterError(msg)
    cfg = resolve_config(config, log)
    wanted_attrs: set[str] = set()
    for name in (*(adjust or DEFAULT_ADJUST), team_column, rating_column):
        if name is not None:
            wanted_attrs.add(name)
    wanted_attrs.update(TEAM_COLUMNS if by == "team" and team_column is None else ())
    table = (
        case_metrics(log, cfg, attributes=sorted(wanted_attrs))
        if cases is None
        else cases
    )
    columns = table.column_names
    attrs = sorted(log.attributes)
    if adjust is None:
        strata = tuple(a for a in DEFAULT_ADJUST if a in columns)
    else:
        strata = tuple(adjust)
        for a in strata:
            if a not in columns:
                msg = (
                    f"The 'adjust' parameter of scorecard must name case attributes. "
                    f"Got {a!r} instead. Attributes of this log: {attrs}."
                )
                raise InvalidParameterError(msg)
    team = _team_column(columns, team_column, attrs) if by == "team" else None
    if rating_column is not None and rating_column not in columns:
        msg = (
            f"The 'rating_column' parameter of scorecard must be a case attribute. Got "
            f"{rating_column!r} instead. Attributes of this log: {attrs}."
        )
        raise InvalidParameterError(msg)
    if ratings is not None:
        missing = [c for c in ("case_id", "score") if c not in ratings.column_names]
        if missing:
            msg = (
                f"ratings table: missing column(s) {missing}; it needs case_id and "
                f"score. Available columns: {sorted(ratings.column_names)}"
            )
            raise LogSchemaError(msg)

    notes: list[str] = []
    key = (
        "to_json(list_value("
        + ", ".join(f"CAST(c.{quote(a)} AS VARCHAR)" for a in strata)
        + "))"
        if strata
        else "'[]'"
    )
    grp = (
        f"coalesce(a.agent, '{UNATTRIBUTED}')"
        if team is None
        else f"coalesce(CAST(c.{quote(team)} AS VARCHAR), '{UNATTRIBUTED}')"
    )
    con = log.con
    with registered(con, table) as src:
        agents = (
            ""
            if team is not None
            else f"LEFT JOIN ({_agents_sql(cfg)}) a USING (case_id)"
        )
        per_case = f"""
            SELECT c.case_id, {grp} AS grp, {key} AS stratum, c.sla_status
              {f", CAST(c.{quote(rating_column)} AS DOUBLE) AS rating" if rating_column else ""}
            FROM {src} c {agents}
        """
        rate_rows = log.query(f"""
            SELECT grp, stratum, count(*) AS cases,
              count(*) FILTER (WHERE sla_status IN ('met', 'breached')) AS decided,
              count(*) FILTER (WHERE sla_status = 'met') AS met
            FROM ({per_case}) GROUP BY grp, stratum
        """).fetchall()
        if ratings is not None:
            with registered(con, ratings.select(["case_id", "score"])) as rsrc:
                rating_rows = log.query(f"""
                    SELECT p.grp, p.stratum, CAST(r.score AS DOUBLE) AS y,
                      p.case_id IS NULL AS unmatched
                    FROM {rsrc} r LEFT JOIN ({per_case}) p
                      ON p.case_id = CAST(r.case_id AS VARCHAR)
                """).fetchall()
        elif rating_column is not None:
            rating_rows = log.query(
                f"SELECT grp, stratum, rating AS y, FALSE FROM ({per_case})"
                " WHERE rating IS NOT NULL"
            ).fetchall()
        else:
            rating_rows = []
    rows_out, desk, funnel, m_hat, tau = _figures(
        rate_rows,
        rating_rows,
        notes,
        have_ratings=bool(ratings is not None or rating_column),
    )
    desk["strata"] = desk.pop("_strata")
    pending = int(sum(r[2] - r[3] for r in rate_rows))
    if pending:
        notes.append(
            f"{pending:,} case(s) with no SLA decision yet (pending or no policy) do "
            "not count in on-time rates"
        )
    un = next((r for r in rows_out if r["name"] == UNATTRIBUTED), None)
    if un is not None and un["cases"]:
        who = (
            "no agent (no resolution or work step by a person)"
            if team is None
            else (f"no {team}")
        )
        notes.append(
            f"{un['cases']:,} case(s) have {who}: they count in the desk figures and "
            f"the {UNATTRIBUTED} row, not in the ranking"
        )
    if strata:
        notes.append(
            f"case-mix adjusted for {', '.join(strata)} ({desk['strata']} strata with "
            "decided cases): expected = the desk's on-time rate on the same mix"
        )
    else:
        notes.append("no case-mix adjustment: the adjusted rate is the observed one")
    if m_hat is None and desk["decided"]:
        notes.append(
            "the on-time rates differ no more than chance allows (or fewer than three "
            "groups): every shrunken rate is the desk rate"
        )
    return ScorecardResult(
        by=by,
        team_column=team,
        adjust=strata,
        rows=pa.Table.from_pylist(rows_out, schema=_SCHEMA),
        desk=desk,
        funnel=funnel,
        prior_tickets=m_hat,
        rating_tau=tau,
        notes=tuple(notes),
    )


_SCHEMA = pa.schema(
    [
        ("name", pa.string()),
        ("cases", pa.int64()),
        ("decided", pa.int64()),
        ("on_time", pa.int64()),
        ("on_time_rate", pa.float64()),
        ("expected_rate", pa.float64()),
        ("oe_ratio", pa.float64()),
        ("adjusted_rate", pa.float64()),
        ("shrunken_rate", pa.float64()),
        ("weight", pa.float64()),
        ("signal", pa.string()),
        ("rank", pa.int64()),
        ("rank_observed", pa.int64()),
        ("ratings", pa.int64()),
        ("rating_mean", pa.float64()),
        ("rating_expected", pa.float64()),
        ("rating_adjusted", pa.float64()),
        ("rating_shrunken", pa.float64()),
        ("rating_signal", pa.string()),
    ]
)


def _ranks(values: list[float | None]) -> list[int | None]:
    """1 = highest; ties share the smaller rank; ``None`` stays ``None``."""
    present = sorted((v for v in values if v is not None), reverse=True)
    first: dict[float, int] = {}
    for i, v in enumerate(present):
        first.setdefault(v, i + 1)
    return [None if v is None else first[v] for v in values]


def _funnel_grid(max_n: int) -> NDArray[np.int64]:
    if max_n <= 400:
        return np.arange(1, max_n + 1, dtype=np.int64)
    grid = np.unique(np.round(np.geomspace(1, max_n, 300)).astype(np.int64))
    return grid


def _figures(
    rate_rows: list[tuple[Any, ...]],
    rating_rows: list[tuple[Any, ...]],
    notes: list[str],
    *,
    have_ratings: bool,
) -> tuple[list[dict[str, Any]], dict[str, Any], pa.Table, float | None, float | None]:
    names = sorted({str(r[0]) for r in rate_rows} - {UNATTRIBUTED})
    if any(str(r[0]) == UNATTRIBUTED for r in rate_rows) or not rate_rows:
        names.append(UNATTRIBUTED)
    gi = {g: i for i, g in enumerate(names)}
    strata = sorted({str(r[1]) for r in rate_rows})
    si = {s: i for i, s in enumerate(strata)}
    g_n, s_n = len(names), len(strata)
    cases = np.zeros(g_n)
    dec = np.zeros((g_n, s_n))
    met = np.zeros((g_n, s_n))
    for g, s, c, d, m in rate_rows:
        cases[gi[str(g)]] += c
        dec[gi[str(g)], si[str(s)]] += d
        met[gi[str(g)], si[str(s)]] += m
    n_dec, n_met = dec.sum(axis=1), met.sum(axis=1)
    tot_dec, tot_met = float(n_dec.sum()), float(n_met.sum())
    p_hat = tot_met / tot_dec if tot_dec else None
    s_dec = dec.sum(axis=0)
    p_s = np.divide(met.sum(axis=0), s_dec, out=np.zeros(s_n), where=s_dec > 0)
    expected = dec @ p_s
    ranked = np.array([g != UNATTRIBUTED for g in names])

    m_hat: float | None = None
    observed = [
        None if n_dec[i] == 0 else float(n_met[i] / n_dec[i]) for i in range(g_n)
    ]
    exp_rate = [
        None if n_dec[i] == 0 else float(expected[i] / n_dec[i]) for i in range(g_n)
    ]
    oe = [
        None if n_dec[i] == 0 or expected[i] <= 0 else float(n_met[i] / expected[i])
        for i in range(g_n)
    ]
    adjusted = [None if o is None or p_hat is None else p_hat * o for o in oe]
    fit = ranked & (n_dec > 0) & (expected > 0)
    shrunk: list[float | None] = [None] * g_n
    weight: list[float | None] = [None] * g_n
    if p_hat is not None and fit.any():
        rates, weights, m_hat = shrunken_rates(
            n_met[fit], n_dec[fit], expected[fit], p_hat
        )
        for j, idx in enumerate(np.flatnonzero(fit).tolist()):
            shrunk[idx] = float(rates[j])
            weight[idx] = float(weights[j])
    signals: list[str | None] = [None] * g_n
    lim_rows: dict[str, list[Any]] = {
        k: [] for k in ("n", "lower_998", "lower_95", "upper_95", "upper_998")
    }
    if p_hat is not None:
        at = funnel_limits(p_hat, np.maximum(n_dec, 1).astype(np.int64))
        for i in range(g_n):
            if n_dec[i] == 0:
                continue
            signals[i] = _signal(
                adjusted[i],
                at[0.95][0][i],
                at[0.95][1][i],
                at[0.998][0][i],
                at[0.998][1][i],
            )
        grid = _funnel_grid(int(max(n_dec.max(), 1)))
        lim = funnel_limits(p_hat, grid)
        lim_rows = {
            "n": grid.tolist(),
            "lower_998": lim[0.998][0].tolist(),
            "lower_95": lim[0.95][0].tolist(),
            "upper_95": lim[0.95][1].tolist(),
            "upper_998": lim[0.998][1].tolist(),
        }
    funnel = pa.table(
        lim_rows,
        schema=pa.schema(
            [("n", pa.int64())]
            + [
                (k, pa.float64())
                for k in ("lower_998", "lower_95", "upper_95", "upper_998")
            ]
        ),
    )

    # ratings
    r_cnt = np.zeros(g_n)
    r_sum = np.zeros(g_n)
    r_ss = np.zeros(g_n)
    unmatched = missing = 0
    ys: list[tuple[int, int, float]] = []
    for g, s, y, un in rating_rows:
        if un:
            unmatched += 1
            continue
        if y is None or not math.isfinite(float(y)):
            missing += 1
            continue
        ys.append((gi[str(g)], si.get(str(s), -1), float(y)))
    if unmatched:
        notes.append(
            f"{unmatched:,} rating(s) name a case that is not in the log: left out"
        )
    if missing:
        notes.append(f"{missing:,} rating(s) without a score: left out")
    st_cnt: dict[int, int] = {}
    st_sum: dict[int, float] = {}
    for g, s, y in ys:
        r_cnt[g] += 1
        r_sum[g] += y
        r_ss[g] += y * y
        st_cnt[s] = st_cnt.get(s, 0) + 1
        st_sum[s] = st_sum.get(s, 0.0) + y
    n_r = int(r_cnt.sum())
    mu = float(r_sum.sum() / n_r) if n_r else None
    r_exp = np.zeros(g_n)
    for g, s, _ in ys:
        r_exp[g] += st_sum[s] / st_cnt[s]
    means = np.divide(r_sum, r_cnt, out=np.full(g_n, np.nan), where=r_cnt > 0)
    e_means = np.divide(r_exp, r_cnt, out=np.full(g_n, np.nan), where=r_cnt > 0)
    groups_rated = int((r_cnt > 0).sum())
    within = float(np.nansum(r_ss - r_cnt * np.nan_to_num(means) ** 2))
    sigma2 = within / (n_r - groups_rated) if n_r > groups_rated else None
    tau2: float | None = None
    rfit = ranked & (r_cnt > 0)
    if sigma2 is not None and sigma2 > 0 and mu is not None:
        tau2 = normal_between_variance((means - e_means)[rfit], sigma2 / r_cnt[rfit])
    elif have_ratings and n_r:
        notes.append(
            "too few ratings per agent to estimate their spread: ratings are not shrunk"
        )
    r_signal: list[str | None] = [None] * g_n
    r_shrunk: list[float | None] = [None] * g_n
    for i in range(g_n):
        if r_cnt[i] == 0 or mu is None:
            continue
        adj = mu + means[i] - e_means[i]
        if sigma2 is not None:
            se = math.sqrt(sigma2 / r_cnt[i])
            r_signal[i] = _signal(
                adj,
                mu - 1.959964 * se,
                mu + 1.959964 * se,
                mu - 3.090232 * se,
                mu + 3.090232 * se,
            )
        if tau2 is not None and rfit[i] and sigma2 is not None:
            b = tau2 / (tau2 + sigma2 / r_cnt[i])
            r_shrunk[i] = mu + b * (means[i] - e_means[i])

    rank = _ranks([shrunk[i] if ranked[i] else None for i in range(g_n)])
    rank_obs = _ranks([observed[i] if ranked[i] else None for i in range(g_n)])
    rows = []
    for i, g in enumerate(names):
        has_r = r_cnt[i] > 0
        rows.append(
            {
                "name": g,
                "cases": int(cases[i]),
                "decided": int(n_dec[i]),
                "on_time": int(n_met[i]),
                "on_time_rate": observed[i],
                "expected_rate": exp_rate[i],
                "oe_ratio": oe[i],
                "adjusted_rate": adjusted[i],
                "shrunken_rate": shrunk[i],
                "weight": weight[i],
                "signal": signals[i],
                "rank": rank[i],
                "rank_observed": rank_obs[i],
                "ratings": int(r_cnt[i]),
                "rating_mean": float(means[i]) if has_r else None,
                "rating_expected": float(e_means[i]) if has_r else None,
                "rating_adjusted": float(mu + means[i] - e_means[i])
                if has_r and mu is not None
                else None,
                "rating_shrunken": r_shrunk[i],
                "rating_signal": r_signal[i],
            }
        )
    desk = {
        "cases": int(cases.sum()),
        "decided": int(tot_dec),
        "on_time": int(tot_met),
        "on_time_rate": p_hat,
        "ratings": n_r,
        "rating_mean": mu,
        "rating_sd": None if sigma2 is None else math.sqrt(sigma2),
        "_strata": int((s_dec > 0).sum()),
    }
    tau = None if tau2 is None else math.sqrt(tau2)
    return rows, desk, funnel, m_hat, tau
