r"""Drivers of dissatisfaction: which themes and process features lower the score most.

Each candidate driver is a yes/no feature of a response: a comment theme (see
:func:`servops.feedback.themes`), or — when the responses link to an event log by case id
— a process feature of the case:

- ``duration > N h``: the case took longer than ``wait_hours`` (end − start);
- ``SLA breached``: longer than ``sla_hours`` (when given);
- ``reassigned ≥ k×``: at least ``reassign_times`` + 1 different people worked on the
  case (resources named system/sys/auto/bot do not count);
- ``reopened`` / ``escalated``: an activity whose name contains *reopen* / *escalat*;
- ``attr = value``: each level of a case attribute with at most 12 levels (channel,
  priority, segment, …).

For a feature present in :math:`n_1` responses and absent in :math:`n_0`, the **effect**
is the difference of the score metric (NPS points, CSAT %-points, or the mean score) with
vs. without, with a normal-approximation interval
:math:`\Delta \pm z\sqrt{\mathrm{SE}_1^2 + \mathrm{SE}_0^2}`; the NPS standard error is
the multinomial one of :mod:`servops.feedback.scores`. **Impact** = effect × share of
responses with the feature: how many points the overall score would rise if the feature
behaved like the rest (a Pareto of what to fix first). ``adjusted`` is the coefficient of
the feature in one least-squares regression of the per-response metric (+100 promoter,
0 passive, −100 detractor for NPS) on all features together, with its 95 % interval,
so overlapping features (long waits *and* reassignment) are not double counted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from servops._validation import check_interval
from servops.errors import LogSchemaError

if TYPE_CHECKING:
    import pyarrow as pa

    from servops.log import EventLog

__all__ = ["DriverResult", "case_features", "drivers"]


def case_features(
    log: EventLog,
    *,
    wait_hours: float | None = None,
    sla_hours: float | None = None,
    reassign_times: int = 2,
    max_levels: int = 12,
) -> pa.Table:
    """Per-case yes/no process features (see the module doc); one row per case.

    ``wait_hours`` defaults to the 75th percentile of case duration, rounded.
    """
    from servops.log.engine import epoch_s, quantile, quote
    from servops.log.schema import case_arrival

    end = epoch_s('max("timestamp")')
    start = epoch_s(case_arrival(log.attributes))
    dur = f"({end} - {start}) / 3600.0"
    if wait_hours is None:
        q = log.fetchone(
            f"SELECT {quantile('d', 0.75)} FROM (SELECT {dur} AS d FROM "
            f"instances GROUP BY case_id)"
        )[0]
        wait_hours = float(max(1, round(q))) if q is not None and q > 0 else 24.0
    check_interval(wait_hours, "wait_hours", "case_features", low=0)
    parts = [
        f'{dur} > {float(wait_hours)} AS "duration > {wait_hours:g}h"',
        "sum(CASE WHEN lower(activity) LIKE '%reopen%' THEN 1 ELSE 0 END) > 0 AS reopened",
        "sum(CASE WHEN lower(activity) LIKE '%escalat%' THEN 1 ELSE 0 END) > 0 AS escalated",
        f'max(handover) >= {int(reassign_times)} AS "reassigned ≥{int(reassign_times)}×"',
    ]
    if sla_hours is not None:
        check_interval(sla_hours, "sla_hours", "case_features", low=0)
        parts.append(f'{dur} > {float(sla_hours)} AS "SLA breached"')
    people = "CASE WHEN lower(resource) NOT IN ('system', 'sys', 'auto', 'bot') THEN resource END"
    sql = f"""
        SELECT case_id, {", ".join(parts)} FROM (
          SELECT *, count(DISTINCT {people}) OVER (PARTITION BY case_id) - 1 AS handover
          FROM instances
        ) hs GROUP BY case_id
    """
    table = log.query(sql).to_arrow_table()
    import pyarrow as pa

    cols = {n: table.column(n) for n in table.column_names}
    std = {
        "case_id",
        "activity",
        "timestamp",
        "start_timestamp",
        "resource",
        "lifecycle",
        "event_index",
    }
    for attr in log.attributes:
        if attr in std:
            continue
        q = quote(attr)
        levels = log.fetchone(
            f"SELECT count(DISTINCT {q}), max(k) FROM instances, (SELECT max(c) AS k FROM "
            f"(SELECT count(DISTINCT {q}) AS c FROM instances GROUP BY case_id))"
        )
        if not levels[0] or levels[0] > max_levels or (levels[1] or 0) > 1:
            continue  # not a case attribute with few levels
        lv = log.query(
            f"SELECT case_id, CAST(max({q}) AS VARCHAR) AS v FROM instances GROUP BY case_id"
        ).to_arrow_table()
        mapping = dict(
            zip(
                lv.column("case_id").to_pylist(),
                lv.column("v").to_pylist(),
                strict=True,
            )
        )
        vals = [mapping.get(c) for c in table.column("case_id").to_pylist()]
        for level in sorted({v for v in vals if v is not None}):
            cols[f"{attr} = {level}"] = pa.array([v == level for v in vals], pa.bool_())
    return pa.table(cols)


@dataclass(frozen=True, slots=True)
class DriverResult:
    """Drivers sorted by impact (most score lost first)."""

    drivers: pa.Table
    metric: Literal["nps", "csat", "mean"]
    overall: float
    n: int
    linked: int | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "metric": self.metric,
            "overall": self.overall,
            "n": self.n,
            "linked": self.linked,
            "drivers": self.drivers.to_pylist(),
        }


def _per_response(scores: np.ndarray, metric: str) -> np.ndarray:
    if metric == "nps":
        return np.where(scores >= 9, 100.0, np.where(scores <= 6, -100.0, 0.0))
    if metric == "csat":
        return np.where(scores >= 4, 100.0, 0.0)
    return scores.astype(np.float64)


def drivers(
    feedback: pa.Table,
    *,
    log: EventLog | None = None,
    metric: Literal["auto", "nps", "csat", "mean"] = "auto",
    theme_method: Literal["taxonomy", "nmf"] = "taxonomy",
    wait_hours: float | None = None,
    sla_hours: float | None = None,
    reassign_times: int = 2,
    min_count: int = 5,
    confidence: float = 0.95,
) -> DriverResult:
    """Rank themes and process features by how much they lower the score.

    Parameters
    ----------
    feedback
        A canonical feedback table (:func:`servops.feedback.read_feedback`) with
        ``score`` and optionally ``comment`` and ``case_id``.
    log
        An event log whose ``case_id`` values match the feedback's ``case_id``.
    metric
        ``nps`` (0–10), ``csat`` (1–5, %-satisfied) or ``mean``; ``auto`` picks NPS or
        CSAT from the scores.
    min_count
        Features present (or absent) in fewer responses are skipped.

    Examples
    --------
    >>> import pyarrow as pa
    >>> fb = pa.table(
    ...     {
    ...         "score": [2, 1, 5, 5, 4, 5] * 3,
    ...         "comment": ["waited 3 hours", "slow", "great", "ok", "fine", ""] * 3,
    ...     }
    ... )
    >>> r = drivers(fb, min_count=3)
    >>> row = r.drivers.to_pylist()[0]
    >>> row["driver"], row["effect"]
    ('theme: waiting', -100.0)
    """
    import pyarrow as pa

    from servops.feedback.scores import detect_scale
    from servops.feedback.text import themes

    if "score" not in feedback.column_names:
        msg = (
            "drivers() needs a 'score' column (see read_feedback). "
            f"Available columns: {feedback.column_names}"
        )
        raise LogSchemaError(msg)
    raw = feedback.column("score").to_pylist()
    keep = np.array(
        [s is not None and not (isinstance(s, float) and math.isnan(s)) for s in raw]
    )
    scores = np.array(
        [float(s) if k else np.nan for s, k in zip(raw, keep, strict=True)]
    )
    m: Literal["nps", "csat", "mean"] = (
        detect_scale([s for s in raw if s is not None]) if metric == "auto" else metric
    )
    y = _per_response(scores, m)
    features: dict[str, np.ndarray] = {}
    if "comment" in feedback.column_names:
        tr = themes(feedback.column("comment").to_pylist(), method=theme_method)
        names = {r["theme"]: r["name_en"] for r in tr.themes.to_pylist()}
        for th, flag in tr.flags(feedback.num_rows).items():
            features[
                f"theme: {names.get(th, th)}"
                if theme_method == "nmf"
                else f"theme: {th}"
            ] = flag
    linked: int | None = None
    if log is not None:
        if "case_id" not in feedback.column_names:
            msg = (
                "drivers() with a log needs a 'case_id' column in the feedback "
                f"(--case-column). Available columns: {feedback.column_names}"
            )
            raise LogSchemaError(msg)
        cf = case_features(
            log,
            wait_hours=wait_hours,
            sla_hours=sla_hours,
            reassign_times=reassign_times,
        )
        index = {c: i for i, c in enumerate(cf.column("case_id").to_pylist())}
        pos = np.array(
            [
                index.get(c, -1) if c is not None else -1
                for c in feedback.column("case_id").to_pylist()
            ]
        )
        linked_mask = pos >= 0
        linked = int(linked_mask.sum())
        for name in cf.column_names[1:]:
            col = np.array(cf.column(name).to_pylist(), dtype=object)
            flag = np.zeros(feedback.num_rows, dtype=bool)
            flag[linked_mask] = col[pos[linked_mask]] == True  # noqa: E712 - object array
            features[f"process: {name}"] = flag
    z = _z(confidence)
    overall = float(np.mean(y[keep])) if keep.any() else math.nan
    rows: list[dict[str, Any]] = []
    usable = []
    for name, flag in features.items():
        f1 = flag & keep
        f0 = ~flag & keep
        n1, n0 = int(f1.sum()), int(f0.sum())
        if n1 < min_count or n0 < min_count:
            continue
        usable.append(name)
        m1, m0 = float(y[f1].mean()), float(y[f0].mean())
        se = math.sqrt(_se2(scores[f1], m) + _se2(scores[f0], m))
        eff = m1 - m0
        rows.append(
            {
                "driver": name,
                "kind": name.split(":", 1)[0],
                "n_with": n1,
                "n_without": n0,
                "share": n1 / int(keep.sum()),
                "score_with": m1,
                "score_without": m0,
                "effect": eff,
                "ci_low": eff - z * se,
                "ci_high": eff + z * se,
                "impact": eff * n1 / int(keep.sum()),
            }
        )
    adjusted = _ols({k: features[k][keep] for k in usable}, y[keep], z)
    for r in rows:
        r["adjusted"], r["adjusted_ci_low"], r["adjusted_ci_high"] = adjusted.get(
            r["driver"], (None, None, None)
        )
    rows.sort(key=lambda r: (r["impact"], r["driver"]))
    schema = pa.schema(
        [
            ("driver", pa.string()),
            ("kind", pa.string()),
            ("n_with", pa.int64()),
            ("n_without", pa.int64()),
            ("share", pa.float64()),
            ("score_with", pa.float64()),
            ("score_without", pa.float64()),
            ("effect", pa.float64()),
            ("ci_low", pa.float64()),
            ("ci_high", pa.float64()),
            ("impact", pa.float64()),
            ("adjusted", pa.float64()),
            ("adjusted_ci_low", pa.float64()),
            ("adjusted_ci_high", pa.float64()),
        ]
    )
    return DriverResult(
        pa.Table.from_pylist(rows, schema=schema), m, overall, int(keep.sum()), linked
    )


def _z(confidence: float) -> float:
    from scipy.stats import norm

    check_interval(confidence, "confidence", "drivers", low=0, high=1)
    return float(norm.ppf(0.5 + confidence / 2))


def _se2(s: np.ndarray, metric: str) -> float:
    n = len(s)
    if metric == "nps":
        pp, pd = float((s >= 9).mean()), float((s <= 6).mean())
        return 1e4 * max(pp + pd - (pp - pd) ** 2, 0.0) / n
    if metric == "csat":
        p = float((s >= 4).mean())
        return 1e4 * p * (1 - p) / n
    return float(s.var(ddof=1)) / n if n > 1 else math.nan


def _ols(
    features: dict[str, np.ndarray], y: np.ndarray, z: float
) -> dict[str, tuple[float, float, float]]:
    names = list(features)
    if not names:
        return {}
    x = np.column_stack(
        [np.ones(len(y))] + [features[k].astype(np.float64) for k in names]
    )
    if len(y) <= x.shape[1] + 1:
        return {}
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ beta
    sigma2 = float(resid @ resid) / (len(y) - x.shape[1])
    cov = sigma2 * np.linalg.pinv(x.T @ x)
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    return {
        k: (
            float(beta[i + 1]),
            float(beta[i + 1] - z * se[i + 1]),
            float(beta[i + 1] + z * se[i + 1]),
        )
        for i, k in enumerate(names)
    }
