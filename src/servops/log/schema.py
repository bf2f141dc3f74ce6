"""The canonical event-log schema.

Each stored log has an **events** table, one row per event as read (every lifecycle
transition kept), and an **instances** relation, one row per activity instance (start and
complete paired). Both have these columns first, then the log's own attributes:

=================  ===========  ==================================================
column             type         meaning
=================  ===========  ==================================================
case_id            VARCHAR      the case (ticket, claim, visit…)
activity           VARCHAR      what happened
timestamp          TIMESTAMPTZ  when it ended (UTC)
start_timestamp    TIMESTAMPTZ  when it started, where known (UTC)
resource           VARCHAR      who did it, where known
lifecycle          VARCHAR      XES transition in lower case, NULL for atomic events
event_index        BIGINT       1-based position in the source (keeps file order)
=================  ===========  ==================================================

Within a case, events are ordered by ``timestamp`` then ``event_index`` (:data:`ORDER`);
activity instances by start (end where no start is known), then end, then file order
(:data:`INSTANCE_ORDER`). Every analysis that sequences instances (process map, variants,
handovers, rework, conformance, root causes) uses that one order, so their counts agree.

Where start and complete events are paired, the pairing is stored in the events: a
paired complete event carries its start's time as ``start_timestamp`` (and its start's
resource if it had none), and the instances are the complete and atomic events. In
memory that happens when the instances are first used; before that, complete events have
no ``start_timestamp``.
"""

from __future__ import annotations

__all__ = [
    "BEGIN",
    "CORE_COLUMNS",
    "INSTANCE_ORDER",
    "INSTANCE_ORDER_KEYS",
    "ORDER",
]

CORE_COLUMNS = (
    "case_id",
    "activity",
    "timestamp",
    "start_timestamp",
    "resource",
    "lifecycle",
    "event_index",
)

#: The canonical order of events within a case, as an SQL ORDER BY list.
ORDER = '"timestamp", event_index'

#: The keys that order activity instances within a case: start time (end time where no
#: start is known), end time, file order. On logs without start times it is :data:`ORDER`.
INSTANCE_ORDER_KEYS = (
    'coalesce(start_timestamp, "timestamp")',
    '"timestamp"',
    "event_index",
)
#: :data:`INSTANCE_ORDER_KEYS` as an SQL ORDER BY list.
INSTANCE_ORDER = ", ".join(INSTANCE_ORDER_KEYS)

#: When an activity instance began, for durations: its start, or its end where no start
#: is known or the recorded start is after the end. A case begins at the least of these.
BEGIN = 'least(coalesce(start_timestamp, "timestamp"), "timestamp")'
