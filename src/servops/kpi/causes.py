"""Root causes of an outcome: SLA breach, long lead time, or reopen.

Which case attributes and process features are over-represented among the cases that
had the outcome?

For every binary *factor* ``f`` (``channel = email``, ``has activity 'Escalated to L2'``,
``handled by L2-03``, ``variant …``, ``handovers 2``, ``arrived 17:00``, ``arrived on Sat``)
over the ``N`` cases for which the outcome is decided, ``K`` of them positive:

* support ``n / N`` (``n`` cases have ``f``), ``k`` of them positive;
* rate ``k / n``, rate without ``(K - k) / (N - n)``, effect = the difference,
  lift = ``(k / n) / (K / N)``, excess = ``k - n K / N`` (positives beyond chance);
* p-value of over-representation: one-sided Fisher exact test, i.e. the hypergeometric
  tail ``P(X >= k)``, ``X ~ Hypergeom(N, K, n)``;
* q-value: Benjamini–Hochberg (1995) over all factors tested (false discovery rate).

Views on top: a Pareto of causes (greedy: each positive case is counted for the first,
most explaining significant factor it has, so shares add up to at most 100 %), and a small
decision tree (scikit-learn CART, depth 3, balanced classes) over the strongest factors.
These are associations found in the log, not proof of causation: a factor can ride along
with the true cause.

What is left out, so that a factor can be a cause at all:

* what happened after the outcome's moment: for a first-response breach, everything
  after the first response (or after the case's arrival when it was never answered);
  for a resolution breach or a met SLA, everything after the resolution; for a reopen,
  everything after the first resolution;
* timestamps and dates, and near-unique attributes (more distinct values than half the
  cases, or than 200): identifiers and free text explain nothing;
* duplicate factors: factors held by exactly the same cases are one factor (the first
  by kind: attribute, activity, resource, handovers, arrival, variant);
* factors or attributes named in ``exclude``; for SLA breaches also the variants
  (each path is cut at a different moment, so a cut path would only tell which target
  was breached), and a count of no handovers (a non-event).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from servops._validation import check_choice, check_interval
from servops.kpi.cases import (
    METRIC_COLUMNS,
    case_metrics,
    handler_sql,
    resolve_config,
    sql_in,
    state_log,
    work_step_sql,
)
from servops.kpi.kpis import registered
from servops.log.engine import local_time, quantile, quote
from servops.log.schema import INSTANCE_ORDER

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

    from servops._typing import PathLike
    from servops.kpi.config import KpiConfig
    from servops.log import EventLog

__all__ = ["OUTCOMES", "Outcome", "RootCauses", "root_causes"]

Outcome = Literal["sla_breach", "long_lead_time", "reopen"]
OUTCOMES: tuple[str, ...] = ("sla_breach", "long_lead_time", "reopen")
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MAX_LEVELS = 200
#: An attribute with more distinct values than this share of the cases is an identifier.
_NEAR_UNIQUE = 0.5
#: Preference among factors held by the same cases (lower first).
_KIND_RANK = {
    "attribute": 0,
    "activity": 1,
    "resource": 2,
    "handovers": 3,
    "arrival_hour": 4,
    "arrival_weekday": 5,
    "variant": 6,
}


@dataclass(frozen=True, slots=True)
class RootCauses:
    """Over-represented factors for an outcome, a Pareto of causes and a decision tree.

    Attributes
    ----------
    outcome
        ``sla_breach``, ``long_lead_time`` or ``reopen``.
    definition
        The outcome in words (e.g. the lead-time threshold).
    cases, positives, base_rate
        Cases with a decided outcome, how many had it, and the share.
    factors
        One row per factor tested: ``kind``, ``name``, ``value``, ``label``, ``cases``,
        ``support``, ``outcome_cases``, ``rate``, ``rate_without``, ``effect``, ``lift``,
        ``excess``, ``p_value``, ``q_value``, ``significant``; significant ones first,
        by excess.
    pareto
        Causes in order with ``cases`` (positives first explained by it), ``share`` and
        ``cumulative`` share of all positives; the rest is ``(other)``.
    tree
        ``rules`` (text), ``leaves`` (conditions, cases, rate), ``depth``, ``features``.
    notes
        What was left out and why.
    """

    outcome: str
    definition: str
    cases: int
    positives: int
    base_rate: float | None
    factors: pa.Table
    pareto: tuple[dict[str, Any], ...]
    tree: dict[str, Any]
    alpha: float
    notes: tuple[str, ...] = ()

    def significant(self) -> list[dict[str, Any]]:
        """The significant over-represented factors, strongest first."""
        return [r for r in self.factors.to_pylist() if r["significant"]]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "outcome": self.outcome,
            "definition": self.definition,
            "cases": self.cases,
            "positives": self.positives,
            "base_rate": self.base_rate,
            "alpha": self.alpha,
            "factors": self.factors.to_pylist(),
            "pareto": [dict(p) for p in self.pareto],
            "tree": self.tree,
            "notes": list(self.notes),
        }


def _label(kind: str, name: str, value: str) -> str:
    if kind == "attribute":
        return f"{name} = {value}"
    if kind == "activity":
        return f"has activity '{value}'"
    if kind == "resource":
        return f"handled by {value}"
    if kind == "variant":
        return f"variant {value if len(value) <= 90 else value[:87] + '…'}"
    if kind == "handovers":
        return f"handovers = {value}"
    if kind == "arrival_hour":
        return f"arrived {int(value):02d}:00–{int(value) + 1:02d}:00"
    if kind == "arrival_weekday":
        return f"arrived on {value}"
    return f"{name} = {value}"


def _features_sql(
    src: str, attrs: list[str], cfg: KpiConfig, *, before_reopen: bool, tz: str
) -> str:
    """(case_id, kind, name, value) for every factor a decided case has.

    With ``before_reopen`` only what happened up to a case's first resolution counts
    (the rework after a reopen is a consequence of it, not a cause). Otherwise only what
    happened up to the case's ``__cut`` moment in ``src`` (when not null).
    """
    cut = (
        f"JOIN (SELECT case_id, __cut FROM {src}) cc USING (case_id) WHERE "
        '(cc.__cut IS NULL OR i."timestamp" <= cc.__cut) AND'
    )
    if before_reopen:
        # Up to the first resolution for every case (reopened or not), so that neither
        # the rework after a reopen nor the closing after a clean resolution tells.
        marks, op = (cfg.resolved, "<=") if cfg.resolved else (cfg.reopened, "<")
        cut = (
            'LEFT JOIN (SELECT case_id, min("timestamp") AS __cut FROM instances WHERE '
            f"{sql_in('activity', marks)} GROUP BY case_id) r USING (case_id) "
            f'WHERE (r.__cut IS NULL OR i."timestamp" {op} r.__cut) AND'
        )
    local = local_time("arrived_at", tz)
    parts = [
        f"SELECT case_id, 'attribute' AS kind, {_lit(a)} AS name, "
        f"CAST({quote(a)} AS VARCHAR) AS value FROM {src} WHERE {quote(a)} IS NOT NULL"
        for a in attrs
    ]
    parts += [
        # (named here too: with no attributes this is the first part, which names them)
        "SELECT DISTINCT case_id, 'activity' AS kind, 'activity' AS name, "
        "activity AS value FROM inst",
        "SELECT DISTINCT case_id, 'resource', 'resource', resource FROM inst "
        "WHERE resource IS NOT NULL AND NOT "
        f"({sql_in('resource', cfg.ignore_resources)}) AND NOT "
        f"({sql_in('activity', cfg.customer_activities)})",
        "SELECT case_id, 'variant', 'variant', string_agg(activity, ' → ' ORDER BY "
        f"{INSTANCE_ORDER}) FROM inst GROUP BY case_id",
        # one or more handovers (none is no event: with the cut at the outcome's
        # moment it would only say "decided early")
        "SELECT case_id, 'handovers', 'handovers', CASE WHEN h >= 3 THEN '3+' "
        "ELSE CAST(h AS VARCHAR) END FROM ho WHERE h > 0",
        f"SELECT case_id, 'arrival_hour', 'arrival hour', "
        f"CAST(hour({local}) AS VARCHAR) FROM {src}",
        f"SELECT case_id, 'arrival_weekday', 'arrival weekday', "
        f"CAST(isodow({local}) AS VARCHAR) FROM {src}",
    ]
    return f"""
WITH inst AS (
  SELECT i.case_id, i.activity, i.start_timestamp, i."timestamp", i.event_index,
    i.resource, {handler_sql(cfg, "i.")} AS handler
  FROM instances i {cut} i.case_id IN (SELECT case_id FROM {src})
), ho AS (
  SELECT case_id, sum(CASE WHEN prev IS NOT NULL AND prev <> handler THEN 1 ELSE 0 END)
    AS h
  FROM (SELECT case_id, handler, lag(handler) OVER (
          PARTITION BY case_id ORDER BY {INSTANCE_ORDER}) AS prev
        FROM inst WHERE {work_step_sql(cfg)})
  GROUP BY case_id
)
""" + "\nUNION ALL\n".join(parts)


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def root_causes(
    log: EventLog,
    outcome: Outcome = "sla_breach",
    config: KpiConfig | PathLike | None = None,
    *,
    cases: pa.Table | None = None,
    min_support: float = 0.02,
    alpha: float = 0.05,
    max_depth: int = 3,
    long_lead_time_s: float | None = None,
    exclude: Sequence[str] = (),
) -> RootCauses:
    """Which attributes and process features go with an outcome, and how strongly.

    Parameters
    ----------
    log
        The event log.
    outcome
        ``"sla_breach"`` (cases that met or breached an SLA), ``"long_lead_time"`` (closed
        cases above the config's lead-time quantile, default p90, or above
        ``long_lead_time_s``) or ``"reopen"`` (cases ever resolved or closed).
    config
        A :class:`KpiConfig`, a YAML path, or ``None`` to guess.
    cases
        The result of :func:`case_metrics` if already computed.
    min_support
        Factors present in fewer than this share of cases (or fewer than 5 cases) are not
        tested.
    alpha
        False discovery rate for the Benjamini–Hochberg control.
    max_depth
        Depth of the decision tree.
    long_lead_time_s
        Lead-time threshold for ``"long_lead_time"`` in seconds (overrides the quantile).
    exclude
        Factors to leave out: attribute names, factor kinds (``activity``,
        ``resource``, ``variant``, ``handovers``, ``arrival_hour``,
        ``arrival_weekday``) or factor labels as printed.

    Returns
    -------
    RootCauses

    Examples
    --------
    >>> rc = so.kpi.root_causes(tiny_log, "long_lead_time", min_support=0.2)
    >>> rc.cases, rc.positives
    (4, 1)
    """
    check_choice(outcome, "outcome", "root_causes", OUTCOMES)
    check_interval(
        min_support, "min_support", "root_causes", low=0, high=1, closed="left"
    )
    check_interval(alpha, "alpha", "root_causes", low=0, high=1)
    check_interval(max_depth, "max_depth", "root_causes", low=1, high=10, closed="both")
    cfg = resolve_config(config, log)
    log = state_log(log, cfg)
    table = case_metrics(log, cfg) if cases is None else cases
    notes: list[str] = []
    con = log.con
    excluded = set(exclude)

    if outcome == "long_lead_time":
        if long_lead_time_s is None:
            with registered(con, table) as src:
                thr = con.execute(
                    f"SELECT {quantile('lead_time_s', cfg.long_lead_time_quantile)} "
                    f"FROM {src}"
                ).fetchall()[0][0]
            q = round(cfg.long_lead_time_quantile * 100)
            definition = f"lead time above its p{q}" + (
                f" ({thr / 3600:.1f} h)" if thr is not None else ""
            )
        else:
            thr = check_interval(
                long_lead_time_s, "long_lead_time_s", "root_causes", low=0
            )
            definition = f"lead time above {thr / 3600:.1f} h"
        include, positive = "lead_time_s IS NOT NULL", f"lead_time_s > {thr or 0.0!r}"
        cut = "closed_at"
    elif outcome == "reopen":
        include = "resolved_at IS NOT NULL OR closed_at IS NOT NULL OR reopened"
        positive = "reopened"
        definition = "case reopened after resolution"
        cut = "NULL"  # cut at the first resolution, in _features_sql
        if not cfg.measures_reopen:
            include = "FALSE"
            notes.append(cfg.unmeasurable()["reopen_rate"])
    else:
        include, positive = (
            "sla_status IN ('met', 'breached')",
            "sla_status = 'breached'",
        )
        definition = "an SLA target breached (first response or resolution)"
        # a first-response breach is decided at the first response (what came after
        # cannot have caused it); anything else at the resolution
        cut = (
            "CASE WHEN response_breached THEN coalesce(first_response_at, arrived_at) "
            "ELSE coalesce(resolved_at, closed_at) END"
        )
        if not cfg.policies:
            notes.append("no SLA policy configured: no case has an SLA outcome")
        if "variant" not in excluded:
            # a path cut at the first response for some cases and at the resolution
            # for others tells only which target was breached
            excluded.add("variant")
            notes.append(
                "variants left out: each case's path is cut where its outcome was "
                "decided (first response or resolution), so a cut path would only "
                "tell which target was breached"
            )

    with registered(con, table) as all_cases:
        ytab = con.sql(
            f"SELECT *, ({positive}) AS __y, {cut} AS __cut FROM {all_cases} "
            f"WHERE {include}"
        ).to_arrow_table()
    n_total = ytab.num_rows
    y = np.asarray(ytab.column("__y").to_numpy(zero_copy_only=False), dtype=bool)
    k_total = int(y.sum())
    base = k_total / n_total if n_total else None
    empty = _empty_factors()
    if n_total == 0 or k_total == 0 or k_total == n_total:
        notes.append(
            "the outcome does not vary among the decided cases: nothing to explain"
        )
        return RootCauses(
            outcome,
            definition,
            n_total,
            k_total,
            base,
            empty,
            (),
            {},
            alpha,
            tuple(notes),
        )

    attrs = []
    for c in ytab.column_names:
        if c in METRIC_COLUMNS or c in ("__y", "__cut") or c in excluded:
            continue
        kind = ytab.schema.field(c).type
        if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
            notes.append(f"attribute {c!r} is a date or time: left out")
            continue
        levels = pc.count_distinct(ytab.column(c)).as_py()
        if levels > _NEAR_UNIQUE * n_total:
            notes.append(
                f"attribute {c!r} has {levels:,} values for {n_total:,} cases "
                "(an identifier or free text): left out"
            )
            continue
        if levels > _MAX_LEVELS:
            notes.append(
                f"attribute {c!r} has {levels:,} values, more than {_MAX_LEVELS} to "
                "test one by one: left out (exclude others or group it first)"
            )
            continue
        attrs.append(c)
    min_cases = max(5, math.ceil(min_support * n_total))
    with log.registered(ytab) as src:
        feats = _features_sql(
            src, attrs, cfg, before_reopen=outcome == "reopen", tz=cfg.timezone
        )
        stats = log.query(f"""
            SELECT f.kind, f.name, f.value, count(*) AS n,
              sum(CASE WHEN s.__y THEN 1 ELSE 0 END) AS k,
              md5(string_agg(CAST(f.case_id AS VARCHAR), chr(31) ORDER BY f.case_id))
                AS members
            FROM ({feats}) f JOIN {src} s USING (case_id)
            GROUP BY f.kind, f.name, f.value
            HAVING count(*) >= {min_cases} AND count(*) < {n_total}
        """).to_arrow_table()
        stats = _distinct_factors(stats, excluded)
        factors = _test(stats, n_total, k_total, alpha)
        top = factors.slice(0, 0)
        if factors.num_rows:
            order = np.argsort(factors.column("p_value").to_numpy(), kind="stable")
            top = factors.take(order[:25])
        member = _membership(log, feats, top, ytab)

    pareto = _pareto(factors, member, top, y)
    tree = _tree(member, top, y, max_depth)
    if factors.num_rows == 0:
        notes.append(f"no factor is present in at least {min_cases} cases")
    return RootCauses(
        outcome,
        definition,
        n_total,
        k_total,
        base,
        factors,
        pareto,
        tree,
        alpha,
        tuple(notes),
    )


def _distinct_factors(stats: pa.Table, excluded: set[str]) -> pa.Table:
    """Drop excluded factors, and all but one of the factors held by the same cases."""
    kinds = stats.column("kind").to_pylist()
    names = stats.column("name").to_pylist()
    values = stats.column("value").to_pylist()
    members = stats.column("members").to_pylist()
    order = sorted(
        range(stats.num_rows),
        key=lambda i: (_KIND_RANK.get(kinds[i], 9), kinds[i], names[i], values[i]),
    )
    seen: set[str] = set()
    keep = []
    for i in order:  # over factors (hundreds), not cases
        label = _label(kinds[i], names[i], values[i])
        if (
            kinds[i] in excluded
            or names[i] in excluded
            or label in excluded
            or members[i] in seen
        ):
            continue
        seen.add(members[i])
        keep.append(i)
    # in that order, not the engine's (a GROUP BY has none): ties in the tests' ranking
    # keep it, so the result is the same on every engine and every run
    return stats.take(pa.array(keep, pa.int64())).drop_columns(["members"])


def _empty_factors() -> pa.Table:
    return _test(
        pa.table(
            {
                "kind": pa.array([], pa.string()),
                "name": pa.array([], pa.string()),
                "value": pa.array([], pa.string()),
                "n": pa.array([], pa.int64()),
                "k": pa.array([], pa.int64()),
            }
        ),
        1,
        0,
        0.05,
    )


def _test(stats: pa.Table, n_total: int, k_total: int, alpha: float) -> pa.Table:
    """Rates, lift, effect, one-sided Fisher p-values and BH q-values per factor."""
    from scipy.stats import false_discovery_control, hypergeom

    n = np.asarray(stats.column("n").to_numpy(zero_copy_only=False), dtype=np.float64)
    k = np.asarray(stats.column("k").to_numpy(zero_copy_only=False), dtype=np.float64)
    base = k_total / n_total if n_total else np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = k / n
        without = (k_total - k) / (n_total - n)
        lift = rate / base
    p = hypergeom.sf(k - 1, n_total, k_total, n) if n.size else np.zeros(0)
    p = np.clip(p, 0.0, 1.0)
    q = false_discovery_control(p, method="bh") if p.size else np.zeros(0)
    effect = rate - without
    excess = k - n * base
    sig = (q <= alpha) & (effect > 0)
    kinds = stats.column("kind").to_pylist()
    names = stats.column("name").to_pylist()
    values = stats.column("value").to_pylist()
    if "arrival_weekday" in kinds:
        values = [
            _WEEKDAYS[int(v) - 1] if kd == "arrival_weekday" else v
            for kd, v in zip(kinds, values, strict=True)
        ]
    labels = [_label(a, b, c) for a, b, c in zip(kinds, names, values, strict=True)]
    order = np.lexsort((-excess, ~sig)) if n.size else np.zeros(0, dtype=np.int64)
    table = pa.table(
        {
            "kind": pa.array(kinds, pa.string()),
            "name": pa.array(names, pa.string()),
            "value": pa.array(values, pa.string()),
            "label": pa.array(labels, pa.string()),
            "cases": pa.array(n.astype(np.int64)),
            "support": pa.array(n / n_total),
            "outcome_cases": pa.array(k.astype(np.int64)),
            "rate": pa.array(rate),
            "rate_without": pa.array(without, mask=~np.isfinite(without)),
            "effect": pa.array(effect, mask=~np.isfinite(effect)),
            "lift": pa.array(lift),
            "excess": pa.array(excess),
            "p_value": pa.array(p),
            "q_value": pa.array(q),
            "significant": pa.array(sig, pa.bool_()),
        }
    )
    return table.take(pa.array(order, pa.int64()))


def _membership(
    log: EventLog, feats: str, top: pa.Table, ytab: pa.Table
) -> NDArray[np.bool_]:
    """Boolean matrix: decided case (rows, ``ytab`` order) × factor (``top`` order)."""
    mat = np.zeros((ytab.num_rows, top.num_rows), dtype=bool)
    if top.num_rows == 0:
        return mat
    raw_values = top.column("value").to_pylist()
    kinds = top.column("kind").to_pylist()
    # weekday values were renamed for display: map back to the SQL form
    sql_values = [
        str(_WEEKDAYS.index(v) + 1) if kd == "arrival_weekday" else v
        for kd, v in zip(kinds, raw_values, strict=True)
    ]
    keys = pa.table(
        {
            "kind": kinds,
            "name": top.column("name").to_pylist(),
            "value": sql_values,
            "j": np.arange(top.num_rows),
        }
    )
    with log.registered(keys) as kt:
        hits = log.query(f"""
            SELECT f.case_id, kt.j FROM ({feats}) f
            JOIN {kt} kt ON f.kind = kt.kind AND f.name = kt.name AND f.value = kt.value
        """).to_arrow_table()
    rows = pc.index_in(hits.column("case_id"), value_set=ytab.column("case_id"))
    r = np.asarray(rows.to_numpy(zero_copy_only=False), dtype=np.int64)
    j = np.asarray(hits.column("j").to_numpy(zero_copy_only=False), dtype=np.int64)
    mat[r, j] = True
    return mat


def _pareto(
    factors: pa.Table, member: NDArray[np.bool_], top: pa.Table, y: NDArray[np.bool_]
) -> tuple[dict[str, Any], ...]:
    """Greedy cover of the positive cases by significant factors (≤ 10 causes)."""
    if top.num_rows == 0 or not factors.num_rows:
        return ()
    sig = np.asarray(
        top.column("significant").to_numpy(zero_copy_only=False), dtype=bool
    )
    labels = top.column("label").to_pylist()
    pos = member[y][:, sig]
    cand = [labels[i] for i in np.flatnonzero(sig)]
    total = int(y.sum())
    left = np.ones(pos.shape[0], dtype=bool)
    out: list[dict[str, Any]] = []
    cum = 0
    for _ in range(min(10, len(cand))):  # at most 10 steps over candidate factors
        gain = (pos & left[:, None]).sum(axis=0)
        best = int(np.argmax(gain))
        if gain[best] == 0:
            break
        cum += int(gain[best])
        out.append(
            {
                "cause": cand[best],
                "cases": int(gain[best]),
                "share": float(gain[best] / total),
                "cumulative": cum / total,
            }
        )
        left &= ~pos[:, best]
    if out and cum < total:
        out.append(
            {
                "cause": "(other)",
                "cases": total - cum,
                "share": float((total - cum) / total),
                "cumulative": 1.0,
            }
        )
    return tuple(out)


def _tree(
    member: NDArray[np.bool_], top: pa.Table, y: NDArray[np.bool_], max_depth: int
) -> dict[str, Any]:
    """A small CART tree over the strongest factors (present / absent)."""
    from sklearn.tree import DecisionTreeClassifier, export_text

    names = top.column("label").to_pylist()
    if not names:
        return {}
    x = member.astype(np.float64)
    n = y.size
    clf = DecisionTreeClassifier(
        max_depth=max_depth,
        min_samples_leaf=max(5, math.ceil(0.02 * n)),
        class_weight="balanced",
        random_state=0,
    ).fit(x, y)
    t = clf.tree_
    leaf_of = clf.apply(x)
    counts = np.bincount(leaf_of, minlength=t.node_count)
    pos = np.bincount(leaf_of, weights=y.astype(np.float64), minlength=t.node_count)
    leaves: list[dict[str, Any]] = []
    stack: list[tuple[int, list[str]]] = [(0, [])]
    while stack:  # walks the tree's nodes (at most 2^(depth+1)), not the cases
        node, path = stack.pop()
        left, right = int(t.children_left[node]), int(t.children_right[node])
        if left == -1:
            leaves.append(
                {
                    "conditions": path,
                    "cases": int(counts[node]),
                    "outcome_cases": int(pos[node]),
                    "rate": float(pos[node] / counts[node]) if counts[node] else None,
                }
            )
            continue
        f = int(t.feature[node])
        no, yes = f"not {names[f]}", names[f]
        stack.append((right, [*path, yes]))
        stack.append((left, [*path, no]))
    leaves.sort(key=lambda d: -(d["rate"] or 0.0))
    return {
        "depth": int(clf.get_depth()),
        "features": names,
        "rules": export_text(clf, feature_names=names, show_weights=False),
        "leaves": leaves,
        "accuracy": float((clf.predict(x) == y).mean()),
    }
