"""The ``servops`` command: one command group per concern, errors printed plainly.

Command modules load when their command runs: ``servops --help`` lists the commands
from :data:`COMMANDS` (a test keeps it equal to what the modules register) without
importing numpy, pyarrow, duckdb or the analysis packages, so it starts fast.
"""

from __future__ import annotations

import functools
import importlib
import sys
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperCommand, TyperGroup

from servops.cli._render import err_console
from servops.errors import ServopsError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from contextlib import AbstractContextManager

__all__ = ["COMMANDS", "COMMAND_MODULES", "app", "main"]

_LOGS = "servops.cli.logs"
_MINING = "servops.cli.mining"
_KPI = "servops.cli.kpi"
_SPC = "servops.cli.spc"
_SIM = "servops.cli.sim"
_STAFFING = "servops.cli.staffing"

#: Command -> (module whose ``register(app)`` adds it, the line ``servops --help`` shows).
COMMANDS: dict[str, tuple[str, str]] = {
    "import": (
        _LOGS,
        "Store a log in the workspace under a name; later commands take the name.",
    ),
    "info": (
        _LOGS,
        "Cases, events, activities, resources, variants, time span, lifecycle and "
        "attributes.",
    ),
    "logs": (_LOGS, "List the logs stored in the workspace."),
    "export": (
        "servops.cli.export",
        "Write a log as Hive-partitioned Parquet (by month, day or year) for Spark.",
    ),
    "drop": (_LOGS, "Remove a stored log from the workspace."),
    "dfg": (
        _MINING,
        "Directly-follows graph: activity and edge frequencies, transition times.",
    ),
    "variants": (
        _MINING,
        "Variants (activity sequences), most frequent first, with shares and "
        "durations.",
    ),
    "activities": (
        _MINING,
        "Per activity: frequency, cases, resources, service and waiting time.",
    ),
    "bottlenecks": (
        _MINING,
        "Activities and transitions ranked by the team's waiting; value stream and "
        "PCE.",
    ),
    "rework": (
        _MINING,
        "Repeated activities and loops per case, and the time they cost.",
    ),
    "handovers": (_MINING, "Handover-of-work network between resources or groups."),
    "map": (
        _MINING,
        "Write the process map: interactive HTML (sliders, hover) or a static SVG.",
    ),
    "kpi": (_KPI, "KPIs per period and segment."),
    "sla": (
        _KPI,
        "SLA attainment per policy (and in total) and the breaches, most late first.",
    ),
    "scorecard": (
        "servops.cli.scorecard",
        "Scorecards: on-time rate and customer rating per agent or team.",
    ),
    "why": (
        _KPI,
        "Root causes: which attributes and process features go with an outcome.",
    ),
    "spc": (
        _SPC,
        "Control chart with the Nelson/Minitab tests, of a numbers file or a log's KPI.",
    ),
    "alerts": (
        _SPC,
        "Alerts from control charts of the log's KPI series, newest first, with a "
        "summary.",
    ),
    "feedback": (
        "servops.cli.feedback",
        "Customer feedback: `servops feedback FILE -t COMMENT -s SCORE` analyses a "
        "file; subcommands score sentiment, train a model, SERVQUAL and KANO.",
    ),
    "blueprint": (
        "servops.cli.blueprint",
        "Service blueprints: draw, overlay a log, check, export BPMN.",
    ),
    "simulate": (_SIM, "Simulate a model: KPIs with 95% confidence intervals."),
    "twin": (_SIM, "Discover a simulation model from a log, and check it."),
    "forecast": (
        _STAFFING,
        "Forecast arrivals (and handle time) per interval, scored against seasonal "
        "naive.",
    ),
    "staff": (
        _STAFFING,
        "Agents needed to meet a service-level, ASA or occupancy target (Erlang C or "
        "A).",
    ),
    "schedule": (
        _STAFFING,
        "Cheapest shifts covering the agents needed per interval (MILP, HiGHS).",
    ),
    "report": (
        "servops.cli.report",
        "Write the HTML report of a log: process, KPIs, control charts, twin, "
        "staffing.",
    ),
    "demo": (
        "servops.cli.demo",
        "Generate a realistic IT service-desk log, store it as `demo`, write the HTML "
        "report.",
    ),
    "triage": (
        "servops.cli.triage",
        "Suggest a ticket's category or group from its text (Chinese and English): "
        "train on closed tickets, evaluate on later ones, suggest.",
    ),
    "service": (
        "servops.cli.service",
        "The work-order service's database: start, stop, status, url, migrate, "
        "import history, the KPI config of its log.",
    ),
    "audit": (
        "servops.cli.service",
        "The service's tamper-evident audit trail: verify it, sign a checkpoint.",
    ),
    "serve": (
        "servops.cli.serve",
        "Run the work-order service (API, worker); --demo lets the digital twin work "
        "the desk.",
    ),
    "diagnose": (
        "servops.cli.diagnose",
        "Current state and problems ranked by impact, with their evidence.",
    ),
    "improve": (
        "servops.cli.improve",
        "Evidence that a change worked: before/after comparisons, sample size, A/B "
        "tests, KPI targets, improvement projects, SPC phases, interrupted time series, "
        "cost.",
    ),
}

#: Modules that add commands; each has ``register(app: typer.Typer) -> None``.
COMMAND_MODULES = tuple(dict.fromkeys(module for module, _ in COMMANDS.values()))


@functools.cache
def module_commands(module: str) -> TyperGroup:
    """The commands ``module`` registers, as a click group (imported on first use)."""
    sub = typer.Typer(rich_markup_mode="rich", pretty_exceptions_enable=False)
    importlib.import_module(module).register(sub)
    return typer.main.get_group(sub)


class _Group(TyperGroup):
    """Lazy commands; ServopsError printed as ``ClassName: message``, exit code 1."""

    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:  # noqa: ANN401, ARG002
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:  # noqa: ANN401, ARG002
        if cmd_name not in COMMANDS:
            return None
        module, line = COMMANDS[cmd_name]
        if self._listing:  # the command list of --help: its line, no import
            return TyperCommand(cmd_name, help=line, short_help=line)
        return module_commands(module).commands.get(cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:  # noqa: ANN401
        with self._list_only():
            super().format_help(ctx, formatter)

    def _list_only(self) -> AbstractContextManager[None]:
        from contextlib import contextmanager

        @contextmanager
        def listing() -> Iterator[None]:
            self._listing = True
            try:
                yield
            finally:
                self._listing = False

        return listing()

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
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _servops() -> None:
    """Map, measure, monitor, simulate and improve service processes from event logs."""


def main() -> None:
    """Entry point of the ``servops`` console script."""
    sys.exit(app())
