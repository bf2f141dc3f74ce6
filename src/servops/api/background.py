"""The service's background work: webhook deliveries, SLA timer ticks, audit checkpoints.

:func:`run_worker` loops until told to stop, in a thread of ``servops serve`` or on its
own (``servops serve --worker``). Each pass is its own transaction; several workers may run
at once (rows are taken with ``FOR UPDATE SKIP LOCKED``). Nothing is kept in memory
between passes, so a restart resumes where the database says.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import threading
    from collections.abc import Callable

    from servops.service.timers import TimerConfig

__all__ = ["WorkerStats", "run_worker"]

log = logging.getLogger("servops.worker")


@dataclass
class WorkerStats:
    """What the worker did since it started."""

    passes: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    checkpoints: int = 0
    sla_ticks: int = 0
    warned: int = 0
    breached: int = 0
    errors: list[str] = field(default_factory=list)


def run_worker(
    url: str,
    *,
    stop: threading.Event,
    audit_key: bytes | None = None,
    timers: TimerConfig | None = None,
    interval: float = 1.0,
    checkpoint_every: timedelta = timedelta(minutes=10),
    now: Callable[[], datetime] | None = None,
) -> WorkerStats:
    """Work until ``stop`` is set; return what was done.

    Each ``interval`` seconds: deliver due webhooks and tick the SLA timers (with
    ``timers``); every ``checkpoint_every``: sign an audit checkpoint (with ``audit_key``).
    """
    import httpx

    from servops.service import audit, webhooks
    from servops.service.db import make_engine, make_sessionmaker
    from servops.service.timers import tick

    clock = now or (lambda: datetime.now(UTC))
    engine = make_engine(url, pool_size=2)
    factory = make_sessionmaker(engine)
    webhooks.install_outbox(
        factory, now=clock
    )  # SLA warnings and breaches reach webhooks too
    stats = WorkerStats()
    last_checkpoint: datetime | None = None
    try:
        with httpx.Client(timeout=10) as client:
            while not stop.is_set():
                try:
                    with factory() as s:
                        rep = webhooks.deliver_due(s, client, now=clock)
                        s.commit()
                    stats.delivered += rep.delivered
                    stats.retried += rep.retried
                    stats.failed += rep.failed
                    if timers is not None:
                        with factory() as s:
                            res = tick(s, clock, timers)
                            s.commit()
                        stats.sla_ticks += 1
                        stats.warned += res.warned
                        stats.breached += res.breached
                    t = clock()
                    if audit_key is not None and (
                        last_checkpoint is None
                        or t - last_checkpoint >= checkpoint_every
                    ):
                        with factory() as s:
                            audit.checkpoint(s, audit_key, now=clock)
                            s.commit()
                        last_checkpoint = t
                        stats.checkpoints += 1
                except Exception as exc:  # the worker must outlive one bad pass
                    log.exception("worker pass failed")
                    stats.errors.append(f"{type(exc).__name__}: {exc}")
                    del stats.errors[:-20]
                stats.passes += 1
                stop.wait(interval)
    finally:
        engine.dispose()
    return stats
