"""CLI start-up stays light: registering commands imports no DuckDB, pyarrow or numpy.

Each check runs in a fresh interpreter and looks at ``sys.modules`` afterwards, so a
module-level ``import duckdb`` (or an import of ``servops.log``, which brings it) in a
command module fails here. Timing is in benchmarks/bench_cli.py.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("duckdb", "pyarrow", "numpy", "pandas", "scipy")
#: Command modules whose registration is light (spc's option help lists the chart kinds
#: and KPI names from the light servops._spc_names).
LIGHT_MODULES = (
    "servops.cli.logs",
    "servops.cli.spc",
    "servops.cli.kpi",
    "servops.cli.mining",
    "servops.cli.sim",
    "servops.cli.staffing",
    "servops.cli.report",
    "servops.cli.feedback",
    "servops.cli.blueprint",
    "servops.cli.demo",
    "servops.cli.triage",
    "servops.cli.improve",
)


def loaded_after(code: str, cwd: str | None = None) -> list[str]:
    """The heavy modules loaded after running ``code`` in a fresh interpreter."""
    script = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def test_the_check_sees_a_heavy_import():
    assert loaded_after("import servops.log") == ["duckdb", "pyarrow", "numpy"]


def test_importing_the_cli_and_help_are_light():
    code = (
        "from servops.cli.main import app\n"
        "try:\n"
        "    app(['--help'], standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
    )
    assert loaded_after(code) == []


def test_registering_the_command_modules_is_light():
    # one interpreter: after each module's registration, what has been loaded so far
    code = (
        "import sys\n"
        "from servops.cli.main import module_commands\n"
        f"for m in {LIGHT_MODULES!r}:\n"
        "    assert module_commands(m).commands, m\n"
        f"    heavy = [h for h in {HEAVY!r} if h in sys.modules]\n"
        "    assert not heavy, f'registering {m} imported {heavy}'\n"
    )
    assert loaded_after(code) == []


def test_logs_on_an_empty_workspace_is_light(tmp_path):
    code = "from servops.cli.main import app\napp(['logs', '--json'], standalone_mode=False)\n"
    assert loaded_after(code, cwd=str(tmp_path)) == []
