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

One optional column, where the log has it (:data:`ENABLED`):

=================  ===========  ==================================================
enabled_timestamp  TIMESTAMPTZ  when the instance could have started: the case's
                                arrival for its first activity, the end of the work
                                before it otherwise (queue time = start − enabled)
=================  ===========  ==================================================

Simulated logs always have it; a file's column of that name, or of a name Prosimos and
Simod write (``enable_time``, ``enable_timestamp``… see
:data:`servops.io.columns.ENABLED_NAMES`), is used when it holds timestamps. Where an
instance has it, waiting is measured from it (so the wait before a case's first activity
is measurable) and the case begins at its earliest enablement (:func:`case_begin`);
elsewhere enablement is the end of the work before (or the case's first start).

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

from typing import TYPE_CHECKING

from servops.io.columns import ENABLED_NAMES, fold_name

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "BEGIN",
    "CORE_COLUMNS",
    "ENABLED",
    "INSTANCE_ORDER",
    "INSTANCE_ORDER_KEYS",
    "ORDER",
    "case_arrival",
    "case_begin",
    "enabled_column",
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

#: The optional canonical enablement column (see the module docstring).
ENABLED = "enabled_timestamp"


def enabled_column(attributes: Mapping[str, str]) -> str | None:
    """The quoted enablement column of a log with these attributes, or ``None``.

    ``attributes`` maps a log's attribute names to their DuckDB types. The column is
    :data:`ENABLED` or one named as Prosimos/Simod logs name it, holding timestamps.

    Examples
    --------
    >>> enabled_column({"enable_time": "TIMESTAMP WITH TIME ZONE", "x": "VARCHAR"})
    '"enable_time"'
    >>> enabled_column({"enable_time": "VARCHAR"}) is None
    True
    """
    wanted = {fold_name(n) for n in ENABLED_NAMES}
    for name in sorted(attributes, key=lambda n: n != ENABLED):
        if fold_name(name) in wanted and attributes[name].upper().startswith(
            "TIMESTAMP"
        ):
            return '"' + name.replace('"', '""') + '"'
    return None


def case_begin(enabled: str | None) -> str:
    """An instance's :data:`BEGIN`, or its enablement where that is earlier.

    ``min()`` of it over a case is the case's arrival (:func:`case_arrival`).

    ``enabled`` is the (quoted) enablement column, from :func:`enabled_column`.
    """
    if enabled is None:
        return BEGIN
    return f"least({BEGIN}, coalesce({enabled}, {BEGIN}))"


def case_arrival(attributes: Mapping[str, str]) -> str:
    """SQL aggregate: when a case began, for a query over a log's rows.

    The least :func:`case_begin` of the rows: the case's earliest enablement where the
    log records one (:func:`enabled_column`), else its first start (or first event).
    Grouped by ``case_id`` it is each case's arrival; over the whole log, the log's
    first moment. The one definition of a case's start: arrivals per interval, case
    durations, the log's span and the report's weekly arrivals all use it.

    ``attributes`` maps the log's attribute names to their DuckDB types
    (``EventLog.attributes``); the rows are its ``events`` or ``instances``.

    Examples
    --------
    >>> case_arrival({}) == f"min({BEGIN})"
    True
    >>> "enabled_timestamp" in case_arrival({"enabled_timestamp": "TIMESTAMPTZ"})
    True
    """
    return f"min({case_begin(enabled_column(attributes))})"
