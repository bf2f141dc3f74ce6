"""Doctest namespace for ``src/servops`` (test fixtures live in tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
# Alembic's env.py runs only under alembic (its context has no config on import).
collect_ignore_glob = ["src/servops/service/migrations/*"]
SHARED_DATA = HERE.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _doctest_namespace(doctest_namespace: dict[str, Any], tmp_path: Path) -> None:
    import servops
    from servops.io import ColumnMap

    doctest_namespace["DATA"] = SHARED_DATA / "eventlogs"
    doctest_namespace["TINY"] = HERE / "tests" / "data" / "tiny.csv"
    doctest_namespace["tmp_path"] = tmp_path
    doctest_namespace["ColumnMap"] = ColumnMap
    doctest_namespace["so"] = servops
    doctest_namespace["tiny_log"] = servops.read_log(
        HERE / "tests" / "data" / "tiny.csv"
    )
