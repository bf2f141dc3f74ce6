"""Staffing schedules through the simulator ("proof by simulation").

Erlang C assumes a steady state; a real day has a new arrival rate and a new number
of agents every half hour, queues that carry over from one interval to the next, and
callers who give up. :func:`schedule_model` builds the model of such a day (Poisson
arrivals at a rate per interval, a pool whose size follows the schedule, a service-time
distribution, optional patience) and :func:`service_level_by_interval` reads the
simulated service level per interval back from the simulated log::

    from datetime import timedelta
    import servops as so

    model = so.sim.schedule_model(
        arrivals_per_interval=[40, 55, 80, 90, 70],  # calls per 30 minutes
        agents=[5, 6, 9, 10, 8],  # agents on duty per interval
        interval=timedelta(minutes=30),
        service=so.sim.Distribution.exponential(180.0),  # AHT 3 minutes (seconds)
    )
    runs = [so.sim.simulate(model, seed=s) for s in range(10)]
    table = so.sim.service_level_by_interval(runs, threshold=timedelta(seconds=20))

Agents who go off duty finish the call they are on. Calls still waiting when the last
interval ends are served by the last interval's agents (the schedule's last value
holds), so every call gets an answer or abandons.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from servops.errors import InvalidParameterError
from servops.log.engine import epoch_s
from servops.sim.model import END, Activity, Arrivals, Model, Pool, Routing, Schedule

if TYPE_CHECKING:
    import pyarrow as pa

    from servops.sim.distributions import Distribution
    from servops.sim.run import SimulationResult

__all__ = ["schedule_model", "service_level_by_interval"]


def schedule_model(
    *,
    arrivals_per_interval: Sequence[float],
    agents: Sequence[int],
    interval: timedelta,
    service: Distribution,
    patience: Distribution | None = None,
    start: datetime = datetime(2024, 1, 1, tzinfo=UTC),
    activity: str = "Call",
    pool: str = "agents",
) -> Model:
    """A one-activity model: arrivals and agents per interval, a service distribution.

    Parameters
    ----------
    arrivals_per_interval
        Expected arrivals in each interval (Poisson). Arrivals stop after the last one.
    agents
        Agents on duty in each interval (same length).
    interval
        Length of an interval (15 or 30 minutes, typically).
    service
        Handling time (seconds), e.g. ``Distribution.exponential(aht_s)``.
    patience
        Time a caller waits before abandoning (None: nobody abandons).
    start
        When the first interval begins.

    Examples
    --------
    >>> from servops.sim.distributions import Distribution
    >>> from servops.sim.run import simulate
    >>> m = schedule_model(
    ...     arrivals_per_interval=[30, 60],
    ...     agents=[2, 4],
    ...     interval=timedelta(minutes=30),
    ...     service=Distribution.exponential(120.0),
    ... )
    >>> m.pools["agents"].schedule.values
    (2.0, 4.0, 4.0)
    >>> simulate(m, seed=1).kpis.arrived > 0
    True
    """
    if len(arrivals_per_interval) != len(agents) or not agents:
        msg = (
            f"schedule_model: 'arrivals_per_interval' and 'agents' must have the same, "
            f"non-zero length; got {len(arrivals_per_interval)} and {len(agents)}."
        )
        raise InvalidParameterError(msg)
    if any(a < 0 for a in agents) or any(x < 0 for x in arrivals_per_interval):
        msg = "schedule_model: arrivals and agents must be >= 0."
        raise InvalidParameterError(msg)
    step = interval.total_seconds()
    if step <= 0:
        msg = f"The 'interval' parameter of schedule_model must be positive. Got {interval!r}."
        raise InvalidParameterError(msg)
    rates = (*tuple(float(x) / step for x in arrivals_per_interval), 0.0)
    # The last staffing level holds after the day so the queue drains.
    sizes = (*tuple(float(a) for a in agents), float(agents[-1]))
    if sizes[-1] == 0:
        sizes = (*sizes[:-1], float(max(agents) or 1))
    return Model(
        activities={
            activity: Activity(
                name=activity, duration=service, pool=pool, patience=patience
            )
        },
        pools={pool: Pool(name=pool, schedule=Schedule(step, sizes))},
        routing=Routing(start={activity: 1.0}, next={activity: {END: 1.0}}),
        arrivals=Arrivals(schedule=Schedule(step, rates)),
        name="staffing schedule",
        time_unit="minute",
        start=start,
    )


def service_level_by_interval(
    runs: SimulationResult | Sequence[SimulationResult],
    *,
    threshold: timedelta,
    interval: timedelta | None = None,
) -> pa.Table:
    """Simulated service level per interval of arrival, averaged over runs.

    A case counts in the interval in which it became ready for the activity (for a
    one-activity model: when it called). Service level = share answered within
    ``threshold``; abandoned calls are not answered (they count as misses).

    Returns
    -------
    pyarrow.Table
        ``interval`` (index), ``interval_start``, ``offered``, ``answered_within``,
        ``service_level``, ``abandoned`` and ``mean_wait_s`` (of answered calls);
        counts are means per run, the service level is pooled over runs.
    """
    import pyarrow as pa

    items = [runs] if not isinstance(runs, Sequence) else list(runs)
    if not items:
        msg = "service_level_by_interval: give at least one simulation result."
        raise InvalidParameterError(msg)
    model = items[0].model
    if interval is None:
        sch = next((p.schedule for p in model.pools.values() if p.schedule), None)
        if sch is None:
            msg = (
                "service_level_by_interval: the model has no schedule; give 'interval'."
            )
            raise InvalidParameterError(msg)
        step = sch.interval_s
    else:
        step = interval.total_seconds()
    origin = model.start.timestamp()
    thr = threshold.total_seconds()
    agg: dict[int, list[float]] = {}
    for run in items:
        if run.event_log is None:
            msg = "service_level_by_interval needs runs made with keep_log=True."
            raise InvalidParameterError(msg)
        rows = run.log.fetchall(f"""
            SELECT CAST(floor(({epoch_s("enabled_timestamp")} - {origin}) / {step}) AS BIGINT)
                     AS k,
                   count(*) AS answered,
                   count(*) FILTER (WHERE {epoch_s("start_timestamp")}
                                          - {epoch_s("enabled_timestamp")} <= {thr}) AS ok,
                   sum({epoch_s("start_timestamp")} - {epoch_s("enabled_timestamp")}) AS w
            FROM instances GROUP BY 1 ORDER BY 1""")
        for k, answered, ok, w in rows:
            a = agg.setdefault(int(k), [0.0, 0.0, 0.0, 0.0])
            a[0] += answered
            a[1] += ok
            a[2] += w or 0.0
        if run.abandonments is not None and run.abandonments.num_rows:
            t = np.asarray(
                [
                    x.timestamp()
                    for x in run.abandonments.column("enabled_timestamp").to_pylist()
                ]
            )
            for k in np.floor((t - origin) / step).astype(int).tolist():
                agg.setdefault(int(k), [0.0, 0.0, 0.0, 0.0])[3] += 1
    ks = sorted(agg)
    answered = np.array([agg[k][0] for k in ks])
    gone = np.array([agg[k][3] for k in ks])
    offered = answered + gone
    ok = np.array([agg[k][1] for k in ks])
    waits = np.array([agg[k][2] for k in ks])
    return pa.table(
        {
            "interval": pa.array(ks, pa.int64()),
            "interval_start": pa.array(
                [model.start + timedelta(seconds=k * step) for k in ks],
                pa.timestamp("us", tz="UTC"),
            ),
            "offered": offered / len(items),
            "answered_within": ok / len(items),
            "service_level": np.divide(
                ok, offered, out=np.full(len(ks), np.nan), where=offered > 0
            ),
            "abandoned": gone / len(items),
            "mean_wait_s": np.divide(
                waits, answered, out=np.full(len(ks), np.nan), where=answered > 0
            ),
        }
    )
