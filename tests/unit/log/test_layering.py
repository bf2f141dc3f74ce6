"""servops.log imports one way: no cycle inside it, nothing from the layers above it.

The import graph is read from the source with ``ast`` (so a new upward import, even one
deferred inside a function, fails here), and each module is imported alone in a fresh
interpreter (a cycle shows up as a partially initialised module there).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

LOG = Path(__file__).resolve().parents[3] / "src" / "servops" / "log"
MODULES = sorted(
    f"servops.log.{p.stem}" for p in LOG.glob("*.py") if p.stem != "__init__"
)
#: Layers above the event-log core (STYLE.md: dependencies point left).
ABOVE = (
    "servops.service",
    "servops.api",
    "servops.cli",
    "servops.web",
    "servops.report",
)


def imports_of(path: Path) -> set[str]:
    """Every servops module ``path`` imports, at top level or inside a function."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return {m for m in out if m.startswith("servops")}


def log_graph() -> dict[str, set[str]]:
    """servops.log module -> the servops.log modules it imports."""
    mods = {m.rsplit(".", 1)[1] for m in MODULES}
    graph: dict[str, set[str]] = {}
    for p in LOG.glob("*.py"):
        if p.stem == "__init__":
            continue
        deps = {
            m.split(".")[2]
            for m in imports_of(p)
            if m.startswith("servops.log.") and m.split(".")[2] in mods
        }
        graph[p.stem] = deps - {p.stem}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of ``graph`` as a path (first node repeated at the end), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for d in sorted(graph.get(n, ())):
            if state.get(d) == 1:
                return [*stack[stack.index(d) :], d]
            if d not in state and (c := visit(d)) is not None:
                return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state and (c := visit(n)) is not None:
            return c
    return None


def test_find_cycle_finds_one():
    # the checker itself can fail: eventlog -> read -> ingest -> eventlog (the old graph)
    old = {"eventlog": {"read"}, "read": {"ingest"}, "ingest": {"eventlog"}}
    assert find_cycle(old) == ["eventlog", "read", "ingest", "eventlog"]
    assert (
        find_cycle({"eventlog": {"load"}, "load": {"ingest"}, "ingest": set()}) is None
    )


def test_no_import_cycle_in_log():
    graph = log_graph()
    assert {"eventlog", "read", "ingest", "load", "meta"} <= set(graph)
    assert find_cycle(graph) is None


def test_log_does_not_import_the_layers_above():
    offending = {
        p.name: sorted(m for m in imports_of(p) if m.startswith(ABOVE))
        for p in LOG.glob("*.py")
    }
    assert {k: v for k, v in offending.items() if v} == {}


def test_readers_build_tables_and_eventlog_wraps_them():
    graph = log_graph()
    assert "eventlog" not in graph["ingest"]
    assert "eventlog" not in graph["load"]
    assert "read" not in graph["eventlog"]
    assert "eventlog" in graph["read"]


def test_each_log_module_imports_alone():
    # one interpreter, servops forgotten before each import (numpy & co stay loaded)
    script = (
        "import importlib, sys\n"
        f"for m in {MODULES!r}:\n"
        "    for k in [k for k in sys.modules if k.startswith('servops')]:\n"
        "        del sys.modules[k]\n"
        "    importlib.import_module(m)\n"
        "    print(m)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == MODULES


def test_open_log_reads_service_urls_above_log():
    import servops as so
    import servops.log
    import servops.sources

    assert so.open_log is servops.sources.open_log
    assert servops.sources.is_service_url("postgres://u@h/db")
    assert not servops.sources.is_service_url("demo.csv")
    # the log layer alone does not know the service: it says who opens URLs
    with pytest.raises(
        so.LogSchemaError, match=r"a URL is opened by servops\.open_log"
    ):
        servops.log.open_log("sqlite://nothing")
