"""SLA timers in the service: the timer config, and a sync of every changed ticket's clocks.

The policies and calendars are a KPI config YAML (the one ``servops sla -c`` reads); the
activity roles come from the service's state machine
(:meth:`~servops.service.statemachine.StateMachine.kpi_config`), so the timers and the
live log's KPIs read the same events the same way. :func:`install_timer_sync` makes every
session of the API bring the ``sla_timers`` rows of each ticket that got an event up to
date in the same transaction (:func:`servops.service.timers.sync_appended`); the worker's
:func:`servops.service.timers.tick` fires warnings, breaches and escalations.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.orm import Session, sessionmaker

    from servops.service.models import Event
    from servops.service.timers import TimerConfig

__all__ = ["install_timer_sync", "timer_config"]


def timer_config(sla: Path, escalation: Path | None = None) -> TimerConfig:
    """The timer config: policies and calendars of ``sla``, roles of the state machine.

    The roles are the packaged state machine's; at run time
    :func:`servops.service.config_store.live_timer_config` replaces them (and the
    policies) with those of the stored versions in force.
    """
    from servops.kpi.config import load_config
    from servops.service.escalation import load_escalation
    from servops.service.statemachine import default_state_machine
    from servops.service.timers import TimerConfig

    roles = default_state_machine().kpi_config()
    kpi = dataclasses.replace(
        load_config(sla),
        first_response=roles.first_response,
        resolved=roles.resolved,
        closed=roles.closed,
        reopened=roles.reopened,
        customer=roles.customer,
        pauses=roles.pauses,
    )
    return TimerConfig(kpi=kpi, escalation=load_escalation(escalation))


def install_timer_sync(factory: sessionmaker[Session], config: TimerConfig) -> None:
    """Sync the SLA timers of every ticket that got an event, just before each commit.

    The events the transaction appended (:func:`servops.service.events.appended_events`)
    bring each ticket's rows up to date (:func:`servops.service.timers.sync_appended`).
    """
    from sqlalchemy import event as sa_event

    from servops.service.config_store import live_timer_config
    from servops.service.events import appended_events
    from servops.service.timers import sync_appended

    def sync(session: Session) -> None:
        events = appended_events(session)
        if not events:
            return
        # the newest stored SLA and state-machine versions (parsed once per version)
        live, _ = live_timer_config(session, config)
        by_ticket: dict[int, list[Event]] = {}
        for e in events:
            by_ticket.setdefault(e.ticket_id, []).append(e)
        for ticket_id in sorted(by_ticket):
            sync_appended(session, ticket_id, live, by_ticket[ticket_id])

    sa_event.listen(factory, "before_commit", sync)
