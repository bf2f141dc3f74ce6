"""A workspace: event logs stored by name in one DuckDB file (default ``./servops.duckdb``).

An import runs in one transaction: if anything fails, the workspace is as it was.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from servops._paths import DEFAULT_WORKSPACE
from servops.errors import InvalidParameterError, LogSchemaError, WorkspaceError
from servops.log.engine import connect, fetch_first, quote
from servops.log.eventlog import EventLog, LogMeta
from servops.log.ingest import ImportReport, ingest
from servops.log.load import ReadOptions
from servops.log.read import read_log_with_report

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime
    from types import TracebackType

    from servops._typing import PathLike
    from servops.io import ColumnMap
    from servops.log.meta import LogTables

__all__ = ["DEFAULT_WORKSPACE", "StoredLog", "Workspace", "open_log"]

_CATALOG = "servops_logs"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")


@dataclass(frozen=True, slots=True)
class StoredLog:
    """A log in a workspace."""

    name: str
    source: str
    events: int
    cases: int
    imported_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "source": self.source,
            "events": self.events,
            "cases": self.cases,
            "imported_at": self.imported_at.isoformat(),
        }


class Workspace:
    """Event logs stored by name in a DuckDB file.

    Examples
    --------
    >>> ws = Workspace(tmp_path / "w.duckdb")
    >>> log, report = ws.import_log(DATA / "running-example.xes", "running")
    >>> [s.name for s in ws.logs()], ws.load("running").n_cases()
    (['running'], 6)
    >>> ws.close()
    """

    def __init__(
        self, path: PathLike = DEFAULT_WORKSPACE, *, read_only: bool = False
    ) -> None:
        self.path = Path(path)
        try:
            self.con = connect(str(self.path), read_only=read_only)
        except duckdb.Error as exc:
            msg = f"{self.path}: cannot be opened as a servops workspace (DuckDB file): {exc}"
            raise WorkspaceError(msg) from exc
        if not read_only:
            self.con.execute(
                f"CREATE TABLE IF NOT EXISTS {_CATALOG} (name VARCHAR PRIMARY KEY, "
                "events_table VARCHAR, instances_sql VARCHAR, meta VARCHAR, "
                "imported_at TIMESTAMPTZ, events BIGINT, cases BIGINT)"
            )

    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self,
        et: type[BaseException] | None,
        ev: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the file."""
        self.con.close()

    def _has_catalog(self) -> bool:
        row = fetch_first(
            self.con,
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
            [_CATALOG],
        )
        return bool(row and row[0])

    def logs(self) -> list[StoredLog]:
        """The stored logs, by name."""
        if not self._has_catalog():
            return []
        return [
            StoredLog(
                name=r[0],
                source=json.loads(r[1])["source"],
                events=int(r[2]),
                cases=int(r[3]),
                imported_at=r[4],
            )
            for r in self.con.execute(
                f"SELECT name, meta, events, cases, imported_at FROM {_CATALOG} ORDER BY name"
            ).fetchall()
        ]

    def __contains__(self, name: object) -> bool:
        return any(s.name == name for s in self.logs())

    def load(self, name: str) -> EventLog:
        """The stored log ``name``."""
        row = None
        if self._has_catalog():
            row = fetch_first(
                self.con,
                f"SELECT events_table, instances_sql, meta FROM {_CATALOG} WHERE name = ?",
                [name],
            )
        if row is None:
            names = [s.name for s in self.logs()]
            msg = (
                f"no log named {name!r} in workspace {self.path}. Stored logs: {names}. "
                f"Hint: import it with `servops import FILE --name {name}`."
            )
            raise WorkspaceError(msg)
        return EventLog(self.con, row[0], row[1], LogMeta.from_dict(json.loads(row[2])))

    def import_log(
        self,
        source: PathLike | object,
        name: str,
        *,
        replace: bool = False,
        columns: ColumnMap | None = None,
        options: ReadOptions | None = None,
        stage: Callable[[str], None] | None = None,
    ) -> tuple[EventLog, ImportReport]:
        """Import a file or table as ``name``; all or nothing.

        ``options`` says how to read it (:class:`~servops.log.read.ReadOptions`,
        including a case table to join); ``columns``, when given, overrides its column
        map.

        Raises
        ------
        WorkspaceError
            ``name`` exists and ``replace`` is false.
        """
        if not _NAME.match(name):
            msg = (
                f"The 'name' of a stored log must be letters, digits, '_', '-' or '.', "
                f"starting with a letter or digit (at most 100). Got {name!r} instead."
            )
            raise InvalidParameterError(msg)
        if name in self and not replace:
            msg = (
                f"a log named {name!r} is already in {self.path}. Hint: pass --replace "
                f"to overwrite it, or choose another --name."
            )
            raise WorkspaceError(msg)
        opts = options or ReadOptions()
        if columns is not None:
            opts = dataclasses.replace(opts, columns=columns)
        raw = opts.open(self.con, source)
        table = f"log:{name}"

        def register(tables: LogTables) -> None:
            log = EventLog.wrap(opts.join_cases(tables, quote(table)))
            counts = log.fetchone(
                "SELECT count(*), count(DISTINCT case_id) FROM events"
            )
            self.con.execute(f"DELETE FROM {_CATALOG} WHERE name = ?", [name])
            self.con.execute(
                f"INSERT INTO {_CATALOG} VALUES (?, ?, ?, ?, now(), ?, ?)",
                [
                    name,
                    quote(table),
                    log.stored_instances_sql,
                    json.dumps(log.meta.to_dict()),
                    counts[0],
                    counts[1],
                ],
            )

        try:
            _, report = ingest(
                self.con,
                raw,
                table,
                opts.import_options(),
                on_bad_rows=opts.on_bad_rows,
                name=name,
                stage=stage,
                inside=lambda: self._drop_tables(name),
                before_commit=register,
            )
        finally:
            raw.close()
        log = self.load(name)
        return log, dataclasses.replace(report, notes=log.meta.notes)

    def _drop_tables(self, name: str) -> None:
        # workspaces written before pairing moved into the events table also hold a
        # copied instances table
        for t in (f"log:{name}:instances", f"log:{name}"):
            self.con.execute(f"DROP TABLE IF EXISTS {quote(t)}")

    def drop(self, name: str) -> None:
        """Remove the stored log ``name``."""
        if name not in self:
            msg = f"no log named {name!r} in workspace {self.path}."
            raise WorkspaceError(msg)
        self.con.execute("BEGIN TRANSACTION")
        try:
            self._drop_tables(name)
            self.con.execute(f"DELETE FROM {_CATALOG} WHERE name = ?", [name])
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise


def open_log(
    spec: PathLike | EventLog,
    *,
    db: PathLike = DEFAULT_WORKSPACE,
    options: ReadOptions | None = None,
) -> EventLog:
    """A log from a file path or from a name stored in the workspace ``db``.

    A file is read (in memory, as ``options`` say); otherwise ``spec`` is looked up by
    name in ``db`` (so a folder that happens to share a stored log's name does not hide
    the log). A stored log was read when it was imported: ``options`` do not apply.
    A service's ``postgresql://`` URL is opened one layer up, by
    :func:`servops.open_log <servops.sources.open_log>`.
    """
    if isinstance(spec, EventLog):
        return spec
    path = Path(spec)
    if path.is_file():
        log, _ = read_log_with_report(path, options)
        return log
    dbp = Path(db)
    names: list[str] = []
    if dbp.is_file():
        ws = Workspace(dbp, read_only=True)
        if str(spec) in ws:
            return ws.load(str(spec))
        names = [s.name for s in ws.logs()]
        ws.close()
    if path.exists():  # a folder, say: let the reader explain
        log, _ = read_log_with_report(path, options)
        return log
    hint = (
        "Hint: a URL is opened by servops.open_log."
        if "://" in str(spec)
        else "Hint: check the path, or import it with `servops import FILE --name NAME`."
    )
    msg = (
        f"{spec!s}: neither a file nor a log stored in workspace {dbp} "
        f"(stored: {names}). {hint}"
    )
    raise LogSchemaError(msg)
