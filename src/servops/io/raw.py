"""A raw source: a file or table as DuckDB sees it, before mapping to the canonical schema."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

__all__ = ["RawSource", "sniff_kind"]


@dataclass
class RawSource:
    """A source that DuckDB can select from, with what is needed to report on its rows.

    Attributes
    ----------
    label
        How to name the source in messages (a path, or ``<pandas DataFrame>``).
    kind
        ``csv``, ``xes``, ``excel``, ``parquet`` or ``table``.
    from_sql
        SQL usable after ``FROM`` (a table function call or a registered view).
    columns
        Column names in source order.
    types
        DuckDB type name per column.
    first_row
        The row number a user sees for the first data row (2 for a CSV with a header).
    row_word
        ``row`` for tabular files, ``event`` for XES.
    cleanups
        Callables that release temporary files or registrations.
    """

    label: str
    kind: str
    from_sql: str
    columns: list[str]
    types: dict[str, str]
    first_row: int = 1
    row_word: str = "row"
    #: SQL giving each row's 1-based position in the source, or ``None`` when the
    #: source has no such column and rows are numbered by insertion order (DuckDB keeps
    #: a single-source scan's order through projections into ``CREATE TABLE AS``; a
    #: numbering window, ``WITH ORDINALITY``, would make the read single-threaded).
    row_sql: str | None = "__servops_row"
    notes: list[str] = field(default_factory=list)
    cleanups: list[Callable[[], None]] = field(default_factory=list)
    #: Other ways to read the same source, tried in order if ``from_sql`` fails, each
    #: with the note to record when it is used (e.g. padding short CSV rows).
    fallbacks: list[tuple[str, str]] = field(default_factory=list)
    #: For readers that can turn missing-value markers into NULL themselves while
    #: parsing (CSV): given one of the ``from_sql`` strings above and the markers,
    #: returns that SQL with the reader doing it. Much cheaper than a SQL test per value.
    with_nulls: Callable[[str, tuple[str, ...]], str] | None = None

    def close(self) -> None:
        """Release temporary files and registrations."""
        while self.cleanups:
            self.cleanups.pop()()


def sniff_kind(path: Path) -> str:
    """Tell a file's format from its first bytes, not its name.

    Returns ``xes``, ``excel``, ``parquet`` or ``csv``.
    """
    import gzip

    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
        return "excel"
    if head.startswith(b"\x1f\x8b"):
        try:
            with gzip.open(path, "rb") as gz:
                head = gz.read(512)
        except (OSError, EOFError):
            return "csv"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"<?xml") or text.startswith(b"<log"):
        return "xes"
    return "csv"
