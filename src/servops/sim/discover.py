"""Discover a simulation model from an event log.

What is learned, and how (all counting in SQL; Python only loops over activities):

* **Arrivals**: a Poisson process whose rate depends on weekday × hour: case arrivals
  (:func:`servops.log.schema.case_arrival`: the earliest enablement where the log
  records one, else the start of the case's first activity) in the log's steady part
  (:func:`steady_window`: no ramp-up, ramp-down or outlier dates) counted per slot,
  divided by the hours that slot was observed in that part (:func:`slot_exposure`; a
  part shorter than a week: by its length in weeks). The model starts where it starts.
* **Routing**: first-order probabilities (``start`` → first activity, activity → next
  or ``end``), plus second-order rows (``after``: next activity given the previous
  one) wherever they differ from the first-order row by more than ``after_tv`` in
  total variation and have ``min_support`` cases — which is what reproduces the log's
  3-grams. Loops are kept; ``max_visits`` is the most visits to one activity seen in a
  case (the loop guard).
* **Durations**: each activity instance adds ``e − f`` to its case, where ``e`` is its
  end and ``f`` the latest end before it in the case (the case's *frontier*; the sum
  over a case is its cycle time). Of this, ``min(end − start, e − f)`` is work
  (``duration``) and the rest is ``delay`` (waiting not caused by the pool). A log
  without start times has only delays. Each is fitted by
  :func:`~servops.sim.distributions.fit_distribution` (exponential, lognormal or
  gamma by Kolmogorov–Smirnov distance, else empirical quantiles).
* **Pools**: only *work* is pooled: activities with measured work time (start
  times) done by staff. Instantaneous activities (no work time: "Ticket created",
  "Resolved"), activities without a resource, and those done by the customer or the
  system (resource names in ``non_staff``) are events or waits, held by nobody. Each
  staff resource joins the pool of the work activity it performs most; an activity is
  done by the pool whose members did most of its instances; the pool's size is its
  number of members. A log without start times has no work, hence no pools.
* **Calendars**: per pool, the fewest weekday × hour slots that hold ``coverage`` of
  its members' events, plus every hour with at least a quarter of the median chosen
  hour's events (a working hour, however quiet), and the hours between a day's first
  and last.
* **Case attributes**: text attributes constant within each case with at most 20
  values, as value shares of all cases (so scenarios can give priority to, say, VIP
  cases); where some cases have no value the shares sum to less than 1 and as many
  simulated cases have none.

Because the log's own delays already include nights and weekends, calendars are not
applied to discovered delays twice: a delay ends when it ends; only the start of the
*work* waits for the pool to be on shift.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import UTC
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from servops.errors import InvalidParameterError, LogSchemaError
from servops.log.engine import epoch_s, quote
from servops.log.schema import case_begin, enabled_column
from servops.sim.calendars import Calendar
from servops.sim.distributions import Distribution, fit_distribution
from servops.sim.model import END, START, Activity, Arrivals, Model, Pool, Routing

if TYPE_CHECKING:
    from collections.abc import Sequence

    import duckdb
    import pyarrow as pa

    from servops.log.eventlog import EventLog

__all__ = ["NON_STAFF", "discover_model", "steady_window"]

#: Resource names (compared in lower case) that are not staff: their activities are
#: the customer's or the system's, and are never pooled work.
NON_STAFF = (
    "customer",
    "client",
    "caller",
    "requester",
    "requestor",
    "end user",
    "system",
    "auto",
    "automatic",
    "bot",
    "客户",
    "用户",
    "系统",
)

_ORDER = "s, e, event_index"


def _instances_sql(arrival: str) -> str:
    """Instances in case order with the frontier before each (SQL shared by Spark).

    ``arrival`` is an instance's :func:`~servops.log.schema.case_begin`; its minimum
    over the case is the case's arrival (``case_start``), the frontier of its first
    instance, so the waiting before the first activity is part of the case.
    """
    return f"""
    SELECT *,
      greatest(e - coalesce(frontier, case_start, s), 0) AS adds,
      CASE WHEN has_start THEN least(greatest(e - s, 0),
                                     greatest(e - coalesce(frontier, case_start, s), 0))
           ELSE 0 END AS work
    FROM (
      SELECT *,
        row_number() OVER w AS k,
        min(b) OVER (PARTITION BY case_id) AS case_start,
        row_number() OVER (PARTITION BY case_id, activity ORDER BY {_ORDER}) AS visit,
        coalesce(lag(activity) OVER w, '{START}') AS prev,
        coalesce(lead(activity) OVER w, '{END}') AS nxt,
        max(e) OVER (PARTITION BY case_id ORDER BY {_ORDER}
                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS frontier
      FROM (
        SELECT case_id, activity, resource, event_index,
               {epoch_s('coalesce(start_timestamp, "timestamp")')} AS s,
               {epoch_s('"timestamp"')} AS e,
               {epoch_s(arrival)} AS b,
               start_timestamp IS NOT NULL AS has_start
        FROM instances) AS inst
      WINDOW w AS (PARTITION BY case_id ORDER BY {_ORDER})) AS o
    """


def discover_model(
    log: EventLog,
    *,
    name: str | None = None,
    coverage: float = 0.95,
    min_support: int = 20,
    after_tv: float = 0.05,
    calendars: bool = True,
    max_quantiles: int = 101,
    anchor_corr: float = -0.5,
    non_staff: Sequence[str] = NON_STAFF,
) -> Model:
    """Fit a simulation :class:`~servops.sim.model.Model` to ``log``.

    Parameters
    ----------
    log
        The event log. Start timestamps, where present, separate work from waiting.
    name
        The model's name (default: the log's name).
    coverage
        Share of a pool's events its calendar must cover (0.95: 95 %).
    min_support
        Fewest cases behind a second-order routing row.
    after_tv
        Smallest total-variation difference from the first-order row for a
        second-order row to be kept.
    calendars
        Learn working calendars for pools (otherwise pools work round the clock).
    max_quantiles
        Quantiles stored for an empirical distribution.
    anchor_corr
        An activity whose delay correlates below this with the case's age when it is
        enabled is modelled as a timer from the case's arrival (``delay_from:
        arrival``), such as tickets closed a fixed time after they were opened.
    non_staff
        Resource names (any case) that are not staff, such as ``customer`` and
        ``system``: what they do is never pooled work.

    Returns
    -------
    Model

    Examples
    --------
    >>> m = discover_model(tiny_log)
    >>> sorted(m.activities)
    ['Close', 'Escalate', 'Register', 'Resolve', 'Triage']
    >>> m.routing.start
    {'Register': 1.0}
    """
    if not 0 < coverage <= 1:
        msg = f"The 'coverage' parameter of discover_model must be in (0, 1]. Got {coverage!r}."
        raise InvalidParameterError(msg)
    con = log.con
    rel = log.query(_instances_sql(case_begin(enabled_column(log.attributes))))
    tbl = rel.to_arrow_table()
    if tbl.num_rows == 0:
        msg = log.nothing_message("no activity instances to learn from")
        raise LogSchemaError(msg)
    view = f"__discover_{abs(hash((id(log), id(tbl))))}"
    con.register(view, tbl)
    try:
        return _discover(
            con,
            view,
            log,
            tbl,
            name=name,
            coverage=coverage,
            min_support=min_support,
            after_tv=after_tv,
            calendars=calendars,
            max_quantiles=max_quantiles,
            anchor_corr=anchor_corr,
            non_staff=frozenset(n.strip().lower() for n in non_staff),
        )
    finally:
        con.unregister(view)


def _discover(
    con: duckdb.DuckDBPyConnection,
    view: str,
    log: EventLog,
    tbl: pa.Table,
    *,
    name: str | None,
    coverage: float,
    min_support: int,
    after_tv: float,
    calendars: bool,
    max_quantiles: int,
    anchor_corr: float,
    non_staff: frozenset[str],
) -> Model:
    v = quote(view)

    def rows(sql: str) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in con.execute(sql).fetchall()]

    # -- arrivals ----------------------------------------------------------------------
    arr = np.sort(
        np.asarray(
            [float(r[0]) for r in rows(f"SELECT case_start FROM {v} WHERE k = 1")],
            dtype=float,
        )
    )
    n_cases = len(arr)
    lo, hi = steady_window(arr)
    steady = arr[(arr >= lo) & (arr <= hi)]
    weeks = max((hi - lo) / _WEEK_S, 1.0 / 7)
    # Epoch day 0 (1970-01-01) was a Thursday: +3 -> Monday = 0.
    dow = np.floor((steady / 86400.0 + 3) % 7).astype(int)
    hour = np.floor((steady % 86400.0) / 3600.0).astype(int)
    per_slot = np.bincount(dow * 24 + hour, minlength=7 * 24).astype(float)
    # the hours of the first and last arrivals were seen whole (their arrivals count)
    seen = (math.floor(lo / 3600.0) * 3600.0, math.floor(hi / 3600.0 + 1) * 3600.0)
    per_slot /= slot_exposure(*seen) if hi - lo >= _WEEK_S else weeks
    arrivals = Arrivals(
        weekly_per_hour=tuple(
            tuple(float(x) for x in per_slot[d * 24 : d * 24 + 24]) for d in range(7)
        )
    )
    t0 = float(steady[0])

    # -- routing -----------------------------------------------------------------------
    acts = [str(r[0]) for r in rows(f"SELECT DISTINCT activity FROM {v} ORDER BY 1")]
    start_counts = dict(
        rows(f"SELECT activity, count(*) FROM {v} WHERE k = 1 GROUP BY 1")
    )
    nxt: dict[str, dict[str, float]] = defaultdict(dict)
    for a, b, n in rows(f"SELECT activity, nxt, count(*) FROM {v} GROUP BY 1, 2"):
        nxt[str(a)][str(b)] = float(n)
    routing_next = {a: _normalise(nxt[a]) for a in acts}
    after: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
    ctx: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for p, a, b, n in rows(
        f"SELECT prev, activity, nxt, count(*) FROM {v} GROUP BY 1, 2, 3"
    ):
        ctx[(str(p), str(a))][str(b)] = float(n)
    for (p, a), counts in ctx.items():
        if sum(counts.values()) < min_support:
            continue
        row = _normalise(counts)
        base = routing_next[a]
        tv = 0.5 * sum(
            abs(row.get(k, 0.0) - base.get(k, 0.0)) for k in set(row) | set(base)
        )
        if tv > after_tv:
            after[a][p] = row
    by_visit: dict[str, dict[int, dict[str, float]]] = {}
    # Loops: successors by visit number, up to the last visit number seen in
    # min_support cases (later visits share that row), so that the number of rounds
    # follows the log rather than a geometric law.
    tops = dict(
        rows(f"""SELECT activity, max(visit) FROM (
        SELECT activity, visit, count(*) AS n FROM {v} GROUP BY 1, 2) WHERE n >= {min_support}
        GROUP BY 1 HAVING max(visit) > 1""")
    )
    if tops:
        vcounts: dict[str, dict[int, dict[str, float]]] = defaultdict(
            lambda: defaultdict(dict)
        )
        for a, n_visit, b, n in rows(f"""
                SELECT activity, visit, nxt, count(*) FROM {v} GROUP BY 1, 2, 3"""):
            if str(a) in tops:
                kv = min(int(n_visit), int(tops[str(a)]))
                cur = vcounts[str(a)][kv]
                cur[str(b)] = cur.get(str(b), 0.0) + float(n)
        by_visit = {
            a: {kv: _normalise(c) for kv, c in sorted(rws.items())}
            for a, rws in vcounts.items()
        }
    visits = rows(
        f"SELECT max(n) FROM (SELECT count(*) AS n FROM {v} GROUP BY case_id, activity)"
    )[0][0]
    routing = Routing(
        start=_normalise({str(k): float(n) for k, n in start_counts.items()}),
        next=routing_next,
        after=dict(after),
        by_visit=by_visit,
    )

    # -- durations and delays ----------------------------------------------------------
    act_col = np.asarray(tbl.column("activity").to_pylist(), dtype=object)
    prev_col = np.asarray(tbl.column("prev").to_pylist(), dtype=object)
    work = np.array(tbl.column("work").to_numpy(zero_copy_only=False), dtype=float)
    adds = np.asarray(tbl.column("adds").to_numpy(zero_copy_only=False), dtype=float)
    delay = adds - work
    frontier = np.asarray(
        tbl.column("frontier").to_numpy(zero_copy_only=False), dtype=float
    )
    case_start = np.asarray(
        tbl.column("case_start").to_numpy(zero_copy_only=False), dtype=float
    )
    e_col = np.asarray(tbl.column("e").to_numpy(zero_copy_only=False), dtype=float)
    has_start = bool(log.has_start_times)

    # -- pools -------------------------------------------------------------------------
    res_act = rows(f"""SELECT resource, activity, count(*) FROM {v}
                       WHERE resource IS NOT NULL GROUP BY 1, 2""")
    # Only work is pooled: activities with work time, done by staff.
    worked = {a for a in acts if work[act_col == a].any()} if has_start else set[str]()
    by_res: dict[str, Counter[str]] = defaultdict(Counter)
    for r, a, n in res_act:
        if str(a) in worked and str(r).strip().lower() not in non_staff:
            by_res[str(r)][str(a)] += int(n)
    home = {
        r: sorted(c.items(), key=lambda x: (-x[1], x[0]))[0][0]
        for r, c in by_res.items()
    }
    pool_members: dict[str, list[str]] = defaultdict(list)
    for r, a in sorted(home.items()):
        pool_members[_pool_name(a)].append(r)
    act_pool: dict[str, str] = {}
    for a in acts:
        per_pool: Counter[str] = Counter()
        for r, c in by_res.items():
            if a in c:
                per_pool[_pool_name(home[r])] += c[a]
        if per_pool:
            act_pool[a] = sorted(per_pool.items(), key=lambda x: (-x[1], x[0]))[0][0]
    used = set(act_pool.values())
    pools: dict[str, Pool] = {}
    res_slots: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    if calendars and by_res:
        for r, dow, hr, n in rows(f"""
                SELECT resource, CAST(floor(((x / 86400.0) + 3) % 7) AS INT),
                       CAST(floor((x % 86400.0) / 3600.0) AS INT), count(*)
                FROM (SELECT resource, s AS x FROM {v} WHERE resource IS NOT NULL
                      UNION ALL
                      SELECT resource, e AS x FROM {v} WHERE resource IS NOT NULL)
                GROUP BY 1, 2, 3"""):
            res_slots[str(r)].append((int(dow), int(hr), int(n)))
    # People multitask: a pool is at least as large as the most work it had in
    # progress at once in the log (otherwise the twin queues work the log did not).
    peak: dict[str, int] = {}
    if act_pool and has_start_any(con, v):
        con.register("__discover_pools", _pool_table(act_pool))
        try:
            peak = {
                str(p): int(n)
                for p, n in rows(f"""
                SELECT pool, max(c) FROM (
                  SELECT pool, sum(d) OVER (PARTITION BY pool ORDER BY x, d
                                           ROWS UNBOUNDED PRECEDING) AS c
                  FROM (SELECT m.pool, i.e - i.work AS x, 1 AS d FROM {v} i
                          JOIN __discover_pools m USING (activity) WHERE i.work > 0
                        UNION ALL
                        SELECT m.pool, i.e AS x, -1 AS d FROM {v} i
                          JOIN __discover_pools m USING (activity) WHERE i.work > 0))
                GROUP BY pool""")
            }
        finally:
            con.unregister("__discover_pools")
    for pname in sorted(used):
        members = pool_members.get(pname, [])
        cal = Calendar.always()
        if calendars:
            slot_counts: Counter[tuple[int, int]] = Counter()
            for r in members:
                for d, h, n in res_slots.get(r, []):
                    slot_counts[(d, h)] += n
            cal = _calendar(slot_counts, coverage)
        pools[pname] = Pool(
            name=pname,
            size=max(len(members), peak.get(pname, 0), 1),
            calendar=cal,
            resources=tuple(members),
        )

    # The twin recreates two parts of the wait before a pool's work, so they are taken
    # out of the discovered delay: the queue (the time all of the pool was busy, by the
    # log's own work intervals: the twin queues for the pool again) and, with
    # calendars, the time the pool was off shift (the twin waits for the shift; a
    # night's wait drawn for a ticket enabled at 10:00 would otherwise push it into
    # the night and then wait for the morning too). The demo's L2 work waited 13 h in
    # the log and 28 h in a twin that kept both. A pool sized by the most work in
    # progress at once is rarely all busy, so a log whose people do other work between
    # cases keeps its delays.
    if has_start and act_pool:
        s_col = np.asarray(tbl.column("s").to_numpy(zero_copy_only=False), dtype=float)
        for pname, pool in pools.items():
            sel = np.isin(act_col, [a for a, p in act_pool.items() if p == pname])
            sel &= work > 0
            enabled = frontier[sel]
            begun = np.minimum(s_col[sel], e_col[sel] - work[sel])
            queue = pool_queue(
                e_col[sel] - work[sel],
                e_col[sel],
                enabled,
                begun,
                pool.size,
                delay[sel],
            )
            off = np.zeros_like(queue)
            if not pool.calendar.is_always:
                ok = np.isfinite(enabled) & (begun > enabled)
                on = _on_shift(pool.calendar, enabled[ok], begun[ok])
                off[ok] = (begun[ok] - enabled[ok]) - on
                # only where the work began as the shift did (within its first hour):
                # the wait ended because the pool came on shift (taking out every
                # off-shift wait made BPIC 2012's twin 0.7x its log's median: its
                # people work outside the learned calendar)
                after_start = (
                    _on_shift(pool.calendar, begun - 3600.0, begun) < 3600.0 - 1e-6
                )
                off[~after_start] = 0.0
                queue[ok] = np.minimum(queue[ok], on)  # the queue while on shift
            delay[sel] = np.maximum(delay[sel] - queue - off, 0.0)

    # Work that runs across the end of a shift (and on the next day) holds nobody
    # overnight: only its on-shift time is work, the rest of the span is a delay (the
    # demo's L2 work: 60 % of its hours were in instances spanning nights, and a twin
    # that held people through them ran its teams at 98 %).
    if calendars:
        for pname, pool in pools.items():
            if pool.calendar.is_always:
                continue
            sel = np.isin(act_col, [a for a, p in act_pool.items() if p == pname])
            sel &= work > 0
            on = _on_shift(pool.calendar, e_col[sel] - work[sel], e_col[sel])
            shorter = np.where(on > 0, np.minimum(on, work[sel]), work[sel])
            delay[sel] += work[sel] - shorter
            work[sel] = shorter
    activities: dict[str, Activity] = {}
    for a in acts:
        mask = act_col == a
        w = work[mask]
        d = delay[mask]
        dur = (
            fit_distribution(w, n_quantiles=max_quantiles)
            if has_start and w.any()
            else Distribution.fixed(0.0)
        )
        delay_from: Literal["enabled", "arrival"] = "enabled"
        # A timer: the time already spent in the case is made up for (strongly
        # negative correlation between this delay and the case's age when enabled),
        # so the activity happens at a fairly fixed time after the arrival.
        age = frontier[mask] - case_start[mask]
        ok = np.isfinite(age)
        if ok.sum() >= min_support and np.std(d[ok]) > 0 and np.std(age[ok]) > 0:
            corr = float(np.corrcoef(d[ok], age[ok])[0, 1])
            if corr < anchor_corr:
                delay_from = "arrival"
                d = e_col[mask] - w - case_start[mask]
        dl = fit_distribution(d, n_quantiles=max_quantiles) if d.any() else None
        d_after: dict[str, Distribution] = {}
        if dl is not None and delay_from == "enabled":
            # Waits often depend on what came before (a call-back after an offer is
            # not a call-back after a call-back).
            prev_a = prev_col[mask]
            for p_name in np.unique(prev_a):
                sel = prev_a == p_name
                if sel.sum() >= min_support and sel.sum() < len(d):
                    sub = d[sel]
                    d_after[str(p_name)] = (
                        fit_distribution(sub, n_quantiles=max_quantiles)
                        if sub.any()
                        else Distribution.fixed(0.0)
                    )
        activities[a] = Activity(
            name=a,
            duration=dur,
            pool=act_pool.get(a),
            delay=dl,
            delay_from=delay_from if dl is not None else "enabled",
            delay_after=d_after,
        )

    attrs = _case_attributes(log)
    cycle = (
        rows(
            f"SELECT median(ct) FROM (SELECT max(e) - min(s) AS ct FROM {v} "
            f"GROUP BY case_id)"
        )[0][0]
        or 0.0
    )
    unit = "hour" if cycle >= 2 * 86400 else ("minute" if cycle >= 120 else "second")
    from datetime import datetime

    start = datetime.fromtimestamp(math.floor(t0 / 3600) * 3600, tz=UTC)
    notes: tuple[str, ...] = (
        f"discovered by servops from {log.meta.source}: {n_cases} cases, "
        f"{tbl.num_rows} activity instances",
        f"arrivals: {per_slot.sum():.4g} per week, from the steady part of the "
        f"log ({_day(lo)} to {_day(hi)}, {len(steady)} of {n_cases} cases)",
        "start times: "
        + (
            "yes (work and delay separated)"
            if has_start
            else "no (all time between events is delay)"
        ),
    )
    from servops.log.shape import shape_warnings

    # A single-cohort extract or stray dates: the twin's arrivals may not be typical.
    notes += tuple(f"warning: {w.message}" for w in shape_warnings(log))
    return Model(
        activities=activities,
        pools=pools,
        routing=routing,
        arrivals=arrivals,
        name=name or log.meta.name or "discovered",
        time_unit=unit,  # type: ignore[arg-type]
        start=start,
        attributes=attrs,
        max_visits=int(min(max(int(visits or 1), 1), 1000)),
        notes=notes,
    )


_WEEK_S = 7 * 86400.0


def pool_queue(
    busy_from: np.ndarray,
    busy_to: np.ndarray,
    enabled: np.ndarray,
    started: np.ndarray,
    size: int,
    delay: np.ndarray,
) -> np.ndarray:
    """Seconds each instance waited for its pool: all its members busy, before it began.

    ``busy_from``/``busy_to`` are the pool's work intervals in the log (the instances
    themselves). An instance enabled at ``enabled`` and started at ``started`` queued
    for the time in between during which all ``size`` members were at work; the rest
    of that wait had a member free, so it was not the pool's doing. At most ``delay``;
    instances without an enablement (NaN: a case's first) did not queue.

    Examples
    --------
    >>> import numpy as np
    >>> # one member, busy 0-20 and 25-35; the second enabled at 5, started at 25:
    >>> # it queued 5-20 (15 s), then waited 5 s with the member free
    >>> pool_queue(
    ...     np.array([0.0, 25.0]),
    ...     np.array([20.0, 35.0]),
    ...     np.array([np.nan, 5.0]),
    ...     np.array([0.0, 25.0]),
    ...     1,
    ...     np.array([0.0, 20.0]),
    ... ).tolist()
    [0.0, 15.0]
    """
    out = np.zeros(len(enabled), dtype=float)
    if len(enabled) == 0:
        return out
    times = np.concatenate([busy_from, busy_to])
    steps = np.concatenate([np.ones(len(busy_from)), -np.ones(len(busy_to))])
    order = np.lexsort((steps, times))  # at one moment, ends before starts
    times, busy = times[order], np.cumsum(steps[order])
    # segment k runs from times[k] to times[k + 1] with busy[k] members at work;
    # full[k]: all busy; cum[k]: all-busy seconds before times[k]
    full = (busy >= size).astype(float)
    cum = np.concatenate([[0.0], np.cumsum(np.diff(times) * full[:-1])])

    def all_busy_before(x: np.ndarray) -> np.ndarray:
        k = np.searchsorted(times, x, side="right") - 1
        kk = np.maximum(k, 0)
        return np.where(k < 0, 0.0, cum[kk] + (x - times[kk]) * full[kk])

    ok = np.isfinite(enabled) & (started > enabled)
    q = all_busy_before(started[ok]) - all_busy_before(enabled[ok])
    out[ok] = np.clip(q, 0.0, np.maximum(delay[ok], 0.0))
    return out


def slot_exposure(lo: float, hi: float) -> np.ndarray:
    """Hours of each weekday × hour slot (Monday 00:00 first) within ``[lo, hi]``.

    A slot's arrival rate is its count over the hours it was observed: dividing every
    slot by the span in weeks counts a partial week's days as if the whole week had
    been seen (the demo's 1,500 tickets, Monday to Thursday 3.4 weeks later, gave a
    twin 433 arrivals a week for the desk's 406: Monday to Thursday, its busiest days,
    were seen four times and Friday to Sunday three).

    Examples
    --------
    >>> mon = 4 * 86400.0  # 1970-01-05 was a Monday
    >>> x = slot_exposure(mon + 9.5 * 3600, mon + 7 * 86400 + 11 * 3600)
    >>> x[[9, 10, 11, 12, 24 + 9]].tolist()  # Monday 09-12, Tuesday 09:00
    [1.5, 2.0, 1.0, 1.0, 1.0]
    """
    full = math.floor((hi - lo) / _WEEK_S)
    out = np.full(7 * 24, float(full))
    t = lo + full * _WEEK_S
    while t < hi:
        k = math.floor((t / 3600.0 + 3 * 24) % (7 * 24))  # epoch hour 0: a Thursday
        nxt = min((math.floor(t / 3600.0) + 1) * 3600.0, hi)
        out[k] += (nxt - t) / 3600.0
        t = nxt
    return out


def _on_shift(cal: Calendar, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Seconds of ``[start, end]`` (epoch seconds, UTC) that ``cal`` is on shift.

    Examples
    --------
    >>> cal = Calendar.from_slots([(0, 9), (0, 10)])  # Monday 09:00-11:00
    >>> mon = 4 * 86400.0  # 1970-01-05 was a Monday
    >>> _on_shift(cal, np.array([mon + 10 * 3600]), np.array([mon + 7 * 86400]))
    array([3600.])
    """
    xs = [0.0]
    ys = [0.0]
    for a, b in cal.intervals:
        xs += [a, b]
        ys += [ys[-1], ys[-1] + (b - a)]
    xs.append(_WEEK_S)
    ys.append(ys[-1])
    per_week = ys[-1]

    def cumulative(t: np.ndarray) -> np.ndarray:
        u = t + 3 * 86400.0  # weeks from Monday 1969-12-29
        k = np.floor(u / _WEEK_S)
        return np.asarray(
            k * per_week + np.interp(u - k * _WEEK_S, xs, ys), dtype=float
        )

    out: np.ndarray = np.clip(cumulative(end) - cumulative(start), 0.0, None)
    return out


def steady_window(arrivals_s: np.ndarray, *, level: float = 0.5) -> tuple[float, float]:
    """The steady part of a log's case arrivals, as ``(from, to)`` epoch seconds.

    Arrivals are counted per week (from the first arrival; a short last week is
    scaled up to a whole one). The typical level is the weekly count a typical case
    arrived in (the median of the weekly counts weighted by themselves). The steady
    part runs from the first to the last week with at least ``level`` times that, so
    a ramp-up (old cases in an extract of recent work), a ramp-down or a lone outlier
    date does not dilute the arrival rate. Weeks inside the part count, quiet or not.

    Examples
    --------
    >>> week = 7 * 86400.0
    >>> ramp = [i * 10 * week for i in range(10)]  # 1 case every 10 weeks
    >>> busy = [100 * week + i * week / 150 for i in range(1500)]  # 150 per week
    >>> lo, hi = steady_window(np.asarray(ramp + busy))
    >>> round(lo / week), round(hi / week)
    (100, 110)
    """
    t = np.sort(np.asarray(arrivals_s, dtype=float))
    if len(t) == 0:
        msg = "no case arrivals to estimate a rate from"
        raise LogSchemaError(msg)
    t0, t1 = float(t[0]), float(t[-1])
    n_bins = int((t1 - t0) // _WEEK_S) + 1
    if n_bins < 3:
        return t0, t1
    counts = np.bincount(
        np.minimum(((t - t0) // _WEEK_S).astype(int), n_bins - 1), minlength=n_bins
    ).astype(float)
    last_len = t1 - (t0 + (n_bins - 1) * _WEEK_S)
    if last_len < 86400.0:
        counts[-1] = 0.0  # less than a day: too short to say
    else:
        counts[-1] *= _WEEK_S / last_len
    order = np.sort(counts)
    typical = float(order[np.searchsorted(np.cumsum(order), order.sum() / 2)])
    threshold = level * typical
    busy = np.flatnonzero(counts >= threshold)
    i0, i1 = int(busy[0]), int(busy[-1])
    lo = float(t[np.searchsorted(t, t0 + i0 * _WEEK_S)])
    hi = min(t0 + (i1 + 1) * _WEEK_S, t1)
    return lo, hi if hi > lo else t1


def _day(epoch: float) -> str:
    from datetime import datetime

    return datetime.fromtimestamp(epoch, tz=UTC).date().isoformat()


def has_start_any(con: Any, view: str) -> bool:  # noqa: ANN401
    """Whether any instance in ``view`` has work time."""
    return bool(
        con.execute(f"SELECT count(*) FROM {view} WHERE work > 0").fetchall()[0][0]
    )


def _pool_table(act_pool: dict[str, str]) -> Any:  # noqa: ANN401 - a pyarrow Table
    import pyarrow as pa

    return pa.table({"activity": list(act_pool), "pool": list(act_pool.values())})


def _pool_name(activity: str) -> str:
    return f"{activity} team"


def _normalise(counts: dict[str, float]) -> dict[str, float]:
    total = sum(counts.values())
    return {k: n / total for k, n in sorted(counts.items(), key=lambda x: -x[1])}


def _calendar(counts: Counter[tuple[int, int]], coverage: float) -> Calendar:
    total = sum(counts.values())
    if total == 0:
        return Calendar.always()
    chosen: list[tuple[int, int]] = []
    acc = 0
    for slot, n in sorted(counts.items(), key=lambda x: (-x[1], x[0])):
        if acc >= coverage * total:
            break
        chosen.append(slot)
        acc += n
    # An hour with a working hour's events is a working hour: at least a quarter of
    # the median chosen hour's count. Coverage alone drops the quietest 5 % even when
    # every hour is worked: the demo's L2 lost Thursday 17-18 and Friday 16-18 (47 of
    # its 50 hours, 6 % of its capacity), which with the arrivals counted too high put
    # the twin's L2 at 100 % busy and its backlog growing without bound.
    if chosen:
        typical = float(np.median([counts[c] for c in chosen]))
        chosen += [c for c, n in counts.items() if c not in chosen and n >= typical / 4]
    # A shift is one stretch of a day: the hours between a day's first and last chosen
    # hour are on shift too (a quiet lunch hour or mid-afternoon holds fewer events,
    # not fewer people; dropping them cut the demo's L2 Monday to 8-12, 13-14, 15-18).
    by_day: dict[int, list[int]] = defaultdict(list)
    for d, h in chosen:
        by_day[d].append(h)
    chosen = [(d, h) for d, hs in by_day.items() for h in range(min(hs), max(hs) + 1)]
    if len(chosen) >= 7 * 24:
        return Calendar.always()
    return Calendar.from_slots(chosen)


def _case_attributes(
    log: EventLog, max_values: int = 20
) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for attr, typ in log.attributes.items():
        if typ.upper() not in ("VARCHAR", "BOOLEAN"):
            continue
        q = quote(attr)
        row = log.fetchone(f"""
            SELECT count(*) FILTER (WHERE n > 1), count(DISTINCT v), count(*), count(v)
            FROM (SELECT case_id, count(DISTINCT {q}) AS n, min(CAST({q} AS VARCHAR)) AS v
                  FROM events GROUP BY case_id)""")
        # Kept: constant within cases, at most max_values values, and saying something
        # (two values or more, or one value that some cases lack).
        if (
            row[0]
            or not 1 <= row[1] <= max_values
            or (row[1] == 1 and row[3] == row[2])
        ):
            continue
        shares = log.fetchall(f"""
            SELECT v, count(*) FROM (SELECT case_id, min(CAST({q} AS VARCHAR)) AS v
                                     FROM events GROUP BY case_id)
            WHERE v IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1""")
        # Shares of all cases: an attribute seen in a handful of cases stays rare in
        # the twin (the other cases have no value), not given to every case.
        cases = int(row[2])
        if shares and cases:
            out[attr] = {str(k): int(n) / cases for k, n in shares}
    return out
