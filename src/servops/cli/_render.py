"""Print results as JSON (``--json``) or as Rich tables for people."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, is_dataclass
from datetime import date, datetime, timedelta
from typing import Any

from rich.console import Console
from rich.table import Table

from servops._durations import format_duration as fmt_duration

__all__ = [
    "console",
    "emit",
    "err_console",
    "fmt_duration",
    "simple_table",
    "table_from_rows",
    "to_jsonable",
]

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def to_jsonable(obj: Any) -> Any:  # noqa: ANN401 - any result object
    """Turn results (dataclasses with ``to_dict``, Arrow tables, datetimes…) into JSON types."""
    if hasattr(obj, "to_dict") and callable(obj.to_dict):
        return to_jsonable(obj.to_dict())
    if hasattr(obj, "to_pylist") and callable(obj.to_pylist):  # pyarrow.Table
        return to_jsonable(obj.to_pylist())
    if is_dataclass(obj) and not isinstance(obj, type):
        return to_jsonable(asdict(obj))
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    if isinstance(obj, timedelta):
        return obj.total_seconds()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalar
        return to_jsonable(obj.item())
    return obj


def emit(
    data: Any,  # noqa: ANN401
    *,
    as_json: bool,
    render: Callable[[Console], None] | None = None,
) -> None:
    """Print ``data`` as JSON, or call ``render`` to print it for people."""
    if as_json or render is None:
        sys.stdout.write(
            json.dumps(to_jsonable(data), ensure_ascii=False, indent=2) + "\n"
        )
        return
    render(console)


#: Cells that say nothing: a column holding only these is left out.
EMPTY_CELLS = (None, "", "–")


def _cell(v: object) -> str:
    if isinstance(v, float):
        if not math.isfinite(v):
            return "–"
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.3g}"
    return "" if v is None else str(v)


def simple_table(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]
) -> Table:
    """A Rich table that stays readable in a narrow terminal (100 columns).

    Rules, for every command: a column whose cells are all empty (None, "" or "–")
    is left out; a single row with more than two columns is printed transposed (one
    line per column: field, value); numbers are right-aligned and never broken,
    text wraps (long words fold) rather than being cut off.

    Examples
    --------
    >>> import io
    >>> from rich.console import Console
    >>> c = Console(width=40, file=io.StringIO(), record=True)
    >>> c.print(
    ...     simple_table(
    ...         "Log",
    ...         ["cases", "events", "start", "note"],
    ...         [[5, 20, "2024-01-08", None]],
    ...     )
    ... )
    >>> for line in c.export_text().splitlines():
    ...     print(line.rstrip())
    Log
    ┏━━━━━━━━┳━━━━━━━━━━━━┓
    ┃ field  ┃ value      ┃
    ┡━━━━━━━━╇━━━━━━━━━━━━┩
    │ cases  │ 5          │
    │ events │ 20         │
    │ start  │ 2024-01-08 │
    └────────┴────────────┘
    """
    keep = [
        i
        for i in range(len(columns))
        if not rows or any(i < len(r) and r[i] not in EMPTY_CELLS for r in rows)
    ]
    columns = [columns[i] for i in keep]
    rows = [[r[i] if i < len(r) else None for i in keep] for r in rows]
    if len(rows) == 1 and len(columns) > 2:
        rows = [[c or "", v] for c, v in zip(columns, rows[0], strict=True)]
        columns = ["field", "value"]
    table = Table(title=title, title_justify="left")
    for i, c in enumerate(columns):
        values = [r[i] for r in rows if r[i] not in EMPTY_CELLS]
        numeric = bool(values) and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in values
        )
        if numeric:
            table.add_column(c, justify="right", no_wrap=True)
        else:
            table.add_column(c, justify="left", overflow="fold")
    for r in rows:
        table.add_row(*(_cell(v) for v in r))
    return table


def table_from_rows(title: str, rows: Sequence[Mapping[str, object]]) -> Table:
    """:func:`simple_table` of dicts (the keys of the first row are the columns)."""
    columns = list(rows[0]) if rows else []
    return simple_table(title, columns, [[r.get(c) for c in columns] for r in rows])
