"""Default file names, importable without DuckDB (CLI options show them in ``--help``)."""

from __future__ import annotations

__all__ = ["DEFAULT_WORKSPACE"]

#: The workspace file holding stored logs when ``--db`` / ``db=`` is not given.
DEFAULT_WORKSPACE = "servops.duckdb"
