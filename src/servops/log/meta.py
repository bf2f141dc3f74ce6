"""What an import leaves behind: the stored tables and the facts about them.

Below :mod:`servops.log.eventlog`: the readers (:mod:`~servops.log.ingest`,
:mod:`~servops.log.load`) build :class:`LogTables`, and
:class:`~servops.log.eventlog.EventLog` wraps them, so the modules of ``servops.log``
import one way only.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

__all__ = ["InstanceSource", "LogMeta", "LogTables"]


@dataclass(frozen=True, slots=True)
class LogMeta:
    """Facts about a log fixed at import: where it came from and how it was read."""

    source: str
    timezone: str = "UTC"
    lifecycle_mode: str = "none"
    has_start: bool = False
    column_map: dict[str, str | None] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    skipped_rows: int = 0
    name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "source": self.source,
            "timezone": self.timezone,
            "lifecycle_mode": self.lifecycle_mode,
            "has_start": self.has_start,
            "column_map": dict(self.column_map),
            "attributes": dict(self.attributes),
            "notes": list(self.notes),
            "skipped_rows": self.skipped_rows,
            "name": self.name,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LogMeta:
        """Inverse of :meth:`to_dict`."""
        return cls(
            source=d["source"],
            timezone=d.get("timezone", "UTC"),
            lifecycle_mode=d.get("lifecycle_mode", "none"),
            has_start=bool(d.get("has_start", False)),
            column_map=dict(d.get("column_map", {})),
            attributes=dict(d.get("attributes", {})),
            notes=tuple(d.get("notes", ())),
            skipped_rows=int(d.get("skipped_rows", 0)),
            name=d.get("name"),
        )


class InstanceSource:
    """Where a log's activity instances come from, shared by all views of the log.

    Pairing start and complete events (an ``UPDATE`` that gives each complete event
    its start's time, see :mod:`servops.log.lifecycle`) can wait until the instances
    are first queried (``build``): reading a log into memory then costs no more than
    reading it, and a log whose instances are never asked for never pays for them.
    """

    __slots__ = ("_build", "_con", "_sql")

    def __init__(self, con: duckdb.DuckDBPyConnection, sql: str) -> None:
        self._con = con
        self._sql = sql
        self._build: str | None = None

    @classmethod
    def pending(
        cls, con: duckdb.DuckDBPyConnection, sql: str, build: str
    ) -> InstanceSource:
        """Instances given by ``sql`` once the statement ``build`` has run (first use)."""
        source = cls(con, sql)
        source._build = build
        return source

    @property
    def sql(self) -> str:
        """SQL yielding the instances (pairing the events first if still pending)."""
        if self._build is not None:
            self._con.execute(self._build)
            self._build = None
        return self._sql


@dataclass(frozen=True, slots=True)
class LogTables:
    """A log as stored: its events table, where its instances come from, its facts.

    What :func:`~servops.log.ingest.ingest` and :func:`~servops.log.load.load` build;
    :meth:`EventLog.wrap <servops.log.eventlog.EventLog.wrap>` makes it a log.
    """

    con: duckdb.DuckDBPyConnection
    events_table: str
    instances: InstanceSource
    meta: LogMeta

    @property
    def attributes(self) -> dict[str, str]:
        """Attribute columns and their DuckDB types."""
        return dict(self.meta.attributes)

    def with_meta(self, **changes: Any) -> LogTables:  # noqa: ANN401
        """The same tables with some metadata changed."""
        return replace(self, meta=replace(self.meta, **changes))
