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


def simple_table(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]
) -> Table:
    """A Rich table with right-aligned numbers."""
    table = Table(title=title, title_justify="left")
    first = rows[0] if rows else []
    for i, c in enumerate(columns):
        numeric = i < len(first) and isinstance(first[i], int | float)
        table.add_column(c, justify="right" if numeric else "left")
    for r in rows:
        table.add_row(*(f"{v:,.3g}" if isinstance(v, float) else str(v) for v in r))
    return table
