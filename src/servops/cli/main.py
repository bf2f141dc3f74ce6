"""The ``servops`` command: one command group per concern, errors printed plainly."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer
from typer.core import TyperGroup

from servops.cli._render import err_console
from servops.errors import ServopsError

__all__ = ["app", "main"]

#: Modules that add commands; each has ``register(app: typer.Typer) -> None``.
COMMAND_MODULES = (
    "servops.cli.logs",  # import, info, logs, drop
    "servops.cli.mining",  # dfg, variants, activities, bottlenecks, rework, handovers, map
    "servops.cli.kpi",  # kpi, sla, why
    "servops.cli.spc",  # spc, alerts
    "servops.cli.feedback",  # feedback …
    "servops.cli.blueprint",  # blueprint …
    "servops.cli.sim",  # simulate, twin …
    "servops.cli.staffing",  # forecast, staff, schedule
    "servops.cli.report",  # report
    "servops.cli.demo",  # demo
    "servops.cli.triage",  # triage train, evaluate, suggest
    "servops.cli.service",  # service start/stop/status/url/migrate/import, audit …
)


class _Group(TyperGroup):
    """Print ServopsError as ``ClassName: message`` on stderr and exit 1 (no traceback)."""

    def invoke(self, ctx: Any) -> Any:  # noqa: ANN401
        try:
            return super().invoke(ctx)
        except ServopsError as exc:
            err_console.print(
                f"[bold red]{type(exc).__name__}[/]: {exc}",
                markup=True,
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(1) from exc


app = typer.Typer(
    name="servops",
    cls=_Group,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    help="Map, measure, monitor, simulate and improve service processes from event logs.",
    context_settings={"help_option_names": ["-h", "--help"]},
)

for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main() -> None:
    """Entry point of the ``servops`` console script."""
    sys.exit(app())
