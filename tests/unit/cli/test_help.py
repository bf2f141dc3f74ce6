"""Every command and every option of ``servops`` explains itself in ``--help``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from servops.cli.main import app

if TYPE_CHECKING:
    from collections.abc import Iterator


def _commands(cmd: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    subs = getattr(cmd, "commands", None)
    if subs:
        for name, sub in subs.items():
            yield from _commands(sub, (*path, name))
    else:
        yield " ".join(path), cmd


def test_every_option_has_help_text():
    commands = list(_commands(typer.main.get_command(app)))
    assert len(commands) > 25
    undocumented = [
        (name, p.name)
        for name, cmd in commands
        for p in cmd.params
        if type(p).__name__.endswith("Option") and p.name != "help" and not p.help
    ]
    assert undocumented == []
    assert [name for name, cmd in commands if not (cmd.help or "").strip()] == []
