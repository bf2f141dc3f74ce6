"""The README's Python example runs as written (in a scratch copy of the layout)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from servops.demo import run_demo
from tests.paths import SHARED

ROOT = Path(__file__).resolve().parents[1]


def _python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), re.S)


def test_readme_python_example_runs(tmp_path, monkeypatch):
    if not SHARED.exists():
        pytest.skip("shared data not present")
    work = tmp_path / "checkout"
    work.mkdir()
    (tmp_path / "shared").symlink_to(SHARED.parent)  # so ../shared/data resolves
    monkeypatch.chdir(work)
    run_demo(cases=120, out="r.html", db="servops.duckdb", data_dir="servops-demo")
    blocks = _python_blocks(ROOT / "README.md")
    assert blocks, "README has a Python example"
    for code in blocks:
        exec(compile(code, "README.md", "exec"), {"__name__": "__readme__"})
    assert Path("servops.duckdb").exists()
