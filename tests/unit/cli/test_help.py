"""Every command and every option of ``servops`` explains itself in ``--help``.

The command list of ``servops --help`` comes from ``COMMANDS`` without importing the
command modules (a fast start); these tests keep it equal to what the modules register.
"""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from servops.cli.main import COMMAND_MODULES, COMMANDS, app, module_commands

if TYPE_CHECKING:
    from collections.abc import Iterator

runner = CliRunner()


def _commands(cmd: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    if isinstance(cmd, TyperGroup):
        for name in cmd.list_commands(None):  # type: ignore[arg-type]
            yield from _commands(cmd.get_command(None, name), (*path, name))  # type: ignore[arg-type]
    else:
        yield " ".join(path), cmd


def test_every_option_has_help_text():
    root = typer.main.get_command(app)
    commands = list(_commands(root))
    assert len(commands) > 25
    undocumented = [
        (name, p.name)
        for name, cmd in commands
        for p in cmd.params
        if type(p).__name__.endswith("Option") and p.name != "help" and not p.help
    ]
    assert undocumented == []
    assert [name for name, cmd in commands if not (cmd.help or "").strip()] == []


def test_command_table_matches_the_modules():
    registered = {}
    for module in COMMAND_MODULES:
        for name, cmd in module_commands(module).commands.items():
            registered[name] = (module, cmd.get_short_help_str(limit=1000))
    assert registered == COMMANDS


def test_help_lists_every_command():
    r = runner.invoke(app, ["--help"], env={"COLUMNS": "100"})
    assert r.exit_code == 0, r.output
    for name in COMMANDS:
        assert f" {name} " in r.output
    assert "Map, measure, monitor" in r.output
    assert max(len(line) for line in r.output.splitlines()) <= 100


def test_errors_exit_1_and_unknown_commands_2():
    r = runner.invoke(app, ["staff", "--calls", "10"])
    assert r.exit_code == 1
    assert "InvalidParameterError" in r.output
    assert runner.invoke(app, ["no-such-command"]).exit_code == 2


def test_cli_entry_point_is_light():
    # Building the command line (what `servops --help` does) loads no analysis stack;
    # the start-up time itself is measured in benchmarks/bench_cli.py.
    code = (
        "import sys, typer\n"
        "from servops.cli.main import app\n"
        "typer.main.get_command(app)\n"
        "heavy = {'numpy', 'duckdb', 'pyarrow', 'scipy', 'sklearn', 'statsforecast',\n"
        "         'pandas', 'jinja2', 'highspy'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
