"""Data-shape warnings: what in a log's time shape makes per-period figures misleading.

Three shapes that trials on real exports hit:

* **outlier dates**: a few events far outside the bulk of the log (one 2011 tweet in a
  2017 log). They stretch every period grid, make reports slow and start a digital twin
  years early. Found as events further from the central 99 % of the timestamps than
  that central span is long (and at most 1 % of the events); the warning names them,
  their cases and source rows, and says how to filter them out.
* **single cohort**: nearly all cases start in a short window and the log then only
  drains them (an extract of "tickets opened in March", followed to their end). Arrivals,
  backlog and closures after the window describe a drain, not a steady state. Flagged
  when 95 % of the case starts fall in the first fifth of the log's span.
* **tiny periods**: whole periods with only 1–2 arriving cases (their rates and means
  are noise).

:func:`shape_warnings` returns them as :class:`ShapeWarning` records (``to_dict`` for
JSON); the CLI prints them, and the report shows them in its overview.

Examples
--------
>>> shape_warnings(tiny_log)
[]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from servops.log.engine import epoch_s, quantile
from servops.log.periods import (
    key_starts,
    log_censored,
    log_span,
    period_label,
)

if TYPE_CHECKING:
    from servops.log.eventlog import EventLog
    from servops.log.periods import Period

__all__ = ["ShapeKind", "ShapeWarning", "shape_warnings"]

ShapeKind = Literal["outlier_dates", "single_cohort", "tiny_periods"]
#: Share of events an "outlier" group may hold at most (more is a second bulk).
_MAX_OUTLIER_SHARE = 0.01
#: Central span of the timestamps taken as the bulk.
_BULK = (0.005, 0.995)
#: Single cohort: 95 % of case starts within this share of the log's span.
_COHORT_SHARE = 0.2
_COHORT_MIN_DAYS = 2.0
_LISTED = 5


@dataclass(frozen=True, slots=True)
class ShapeWarning:
    """One warning about the log's time shape, with what it found."""

    kind: ShapeKind
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"kind": self.kind, "message": self.message, "details": self.details}


def _iso(t: datetime) -> str:
    return (
        t.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
        if t.tzinfo
        else f"{t:%Y-%m-%d %H:%M}"
    )


def _outliers(log: EventLog, n_events: int) -> ShapeWarning | None:
    e = epoch_s('"timestamp"')
    lo, hi = log.fetchone(
        f"SELECT {quantile(e, _BULK[0])}, {quantile(e, _BULK[1])} FROM events"
    )
    if lo is None or hi is None or hi <= lo:
        return None
    width = hi - lo
    far = f"({e} < {lo - width} OR {e} > {hi + width})"
    n = int(log.fetchone(f"SELECT count(*) FROM events WHERE {far}")[0])
    if n == 0 or n > _MAX_OUTLIER_SHARE * n_events:
        return None
    rows = log.fetchall(
        f'SELECT "timestamp", case_id, activity, event_index FROM events WHERE {far} '
        f'ORDER BY "timestamp", event_index LIMIT {_LISTED}'
    )
    bulk = [
        datetime.fromtimestamp(lo, UTC).strftime("%Y-%m-%d"),
        datetime.fromtimestamp(hi, UTC).strftime("%Y-%m-%d"),
    ]
    listed = [
        {
            "timestamp": _iso(r[0]),
            "case_id": str(r[1]),
            "activity": str(r[2]),
            "row": int(r[3]),
        }
        for r in rows
    ]
    named = "; ".join(
        f"{x['timestamp']} (case {x['case_id']}, {x['activity']}, source row {x['row']})"
        for x in listed
    ) + (" …" if n > len(listed) else "")
    before = any(r[0].timestamp() < lo for r in rows)
    cut = f"--from {bulk[0]}" if before else f"--to {bulk[1]}"
    msg = (
        f"{n} event(s) lie far outside the bulk of the log ({bulk[0]} … {bulk[1]}): "
        f"{named}. They stretch every period and the twin's start; leave them out "
        f"with {cut} --window trim (or fix them at the source)."
    )
    return ShapeWarning(
        "outlier_dates",
        msg,
        {"count": n, "bulk": bulk, "events": listed},
    )


def _cohort(log: EventLog) -> ShapeWarning | None:
    from servops.log.schema import case_arrival

    row = log.fetchone(
        f"""
        SELECT min(s), {quantile("s", 0.95)}, count(*),
          (SELECT {epoch_s('max("timestamp")')} FROM events)
        FROM (SELECT case_id, {epoch_s(case_arrival(log.attributes))} AS s
              FROM events GROUP BY case_id)
        """
    )
    first, q95, n_cases, end = row
    if first is None or end is None or n_cases < 20:
        return None
    span = end - first
    if span < _COHORT_MIN_DAYS * 86400 or (q95 - first) > _COHORT_SHARE * span:
        return None
    a = datetime.fromtimestamp(first, UTC)
    b = datetime.fromtimestamp(q95, UTC)
    z = datetime.fromtimestamp(end, UTC)
    msg = (
        f"single-cohort extract: 95 % of the {n_cases:,} cases start between "
        f"{a:%Y-%m-%d} and {b:%Y-%m-%d} ({(q95 - first) / 86400:.1f} of "
        f"{span / 86400:.1f} days); after that the log only drains them until "
        f"{z:%Y-%m-%d}. Arrival rates, backlog and closures after {b:%Y-%m-%d} "
        "describe the drain, not a steady state (trends, forecasts and a twin's "
        "arrivals are not representative): keep cases that started in a window "
        f"(--from {a:%Y-%m-%d} --to {b + timedelta(days=1):%Y-%m-%d} --window started) "
        "or use an "
        "extract with continuous arrivals."
    )
    return ShapeWarning(
        "single_cohort",
        msg,
        {
            "cases": int(n_cases),
            "starts_from": a.isoformat(),
            "starts_p95": b.isoformat(),
            "log_end": z.isoformat(),
        },
    )


def _tiny(log: EventLog, by: Period, timezone: str) -> ShapeWarning | None:
    from servops.log.periods import bucket_sql
    from servops.log.schema import case_arrival

    first, last = log_span(log, timezone)
    if first is None or last is None:
        return None
    key = bucket_sql("e", by, timezone, first.year - 1, last.year + 1)
    rows = log.fetchall(
        f"""
        SELECT {key} AS p, count(*) FROM (
          SELECT {epoch_s(case_arrival(log.attributes))} AS e FROM events
          GROUP BY case_id)
        GROUP BY p ORDER BY p
        """
    )
    starts = key_starts([int(r[0]) for r in rows], by)
    cut = log_censored(log, starts, by, timezone)
    tiny = [
        period_label(s, by)
        for s, r, c in zip(starts, rows, cut, strict=True)
        if int(r[1]) <= 2 and not c
    ]
    if not tiny:
        return None
    shown = ", ".join(tiny[:8]) + (" …" if len(tiny) > 8 else "")
    msg = (
        f"{len(tiny)} {by}(s) with only 1–2 arriving cases ({shown}): their rates and "
        "means are noise; a longer period pools more cases."
    )
    return ShapeWarning("tiny_periods", msg, {"by": by, "periods": tiny})


def shape_warnings(
    log: EventLog, *, by: Period | None = None, timezone: str | None = None
) -> list[ShapeWarning]:
    """Warnings about the log's time shape: outlier dates, a single cohort, tiny periods.

    Parameters
    ----------
    log
        The event log.
    by
        Also check for whole periods of this length with only 1–2 arriving cases.
    timezone
        Zone of those periods (default the log's).

    Returns
    -------
    list of ShapeWarning
        Empty when nothing looks off.
    """
    n_events = int(log.fetchone("SELECT count(*) FROM events")[0])
    if n_events == 0:
        return []
    found = [_outliers(log, n_events), _cohort(log)]
    if by is not None:
        found.append(_tiny(log, by, timezone or log.meta.timezone or "UTC"))
    return [w for w in found if w is not None]
