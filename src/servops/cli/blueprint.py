"""``servops blueprint``: draw a service blueprint, overlay a log, check it, export BPMN."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from servops._paths import DEFAULT_WORKSPACE
from servops.cli._common import DbOpt, JsonOpt, KpiConfigOpt, log_command
from servops.cli._render import emit, err_console, fmt_duration, simple_table

if TYPE_CHECKING:
    from rich.console import Console

    from servops.log import EventLog

__all__ = ["register"]

F = TypeVar("F")

BlueprintArg = Annotated[
    Path,
    typer.Argument(
        metavar="BP.yaml",
        help="The blueprint YAML file (or a .bpmn file).",
        show_default=False,
    ),
]
LangOpt = Annotated[
    str, typer.Option("--lang", help="Labels: both (English with Chinese), en or zh.")
]


def _blueprint_first(func: Any) -> Any:  # noqa: ANN401 - a Typer command
    """Like ``log_command``, but the BP.yaml argument comes before LOG."""
    wrapped = log_command(func)
    sig = inspect.signature(wrapped)
    params = list(sig.parameters.values())
    bp = next(p for p in params if p.name == "blueprint")
    params.remove(bp)
    wrapped.__signature__ = sig.replace(parameters=[bp, *params])
    return wrapped


def _load(path: Path) -> Any:  # noqa: ANN401 - a Blueprint
    from servops.blueprint import load_blueprint
    from servops.blueprint.bpmn import read_bpmn

    if path.suffix.lower() in (".bpmn", ".xml"):
        return read_bpmn(path)
    return load_blueprint(path)


def render(
    blueprint: BlueprintArg,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="HTML (or .svg) file.")
    ] = Path("blueprint.html"),
    log: Annotated[
        str | None,
        typer.Option(
            "--log", help="A log file or stored log name to overlay live metrics."
        ),
    ] = None,
    overlay: Annotated[
        str,
        typer.Option(
            "--overlay", help="Colour steps by waiting, frequency or standard."
        ),
    ] = "waiting",
    lang: LangOpt = "both",
    config: KpiConfigOpt = None,
    db: DbOpt = Path(DEFAULT_WORKSPACE),
    json: JsonOpt = False,
) -> None:
    """Draw the blueprint as self-contained HTML (or SVG), optionally with a log overlay.

    The waiting overlay colours steps by the team's waiting; the customer's (pending,
    waiting for the customer, the resolved-to-closed window, as ``-c`` or the guessed
    KPI config says) is labelled apart.
    """
    from servops._validation import check_choice
    from servops.blueprint.overlay import overlay as make_overlay
    from servops.blueprint.render import render_html, render_svg

    check_choice(
        overlay,
        "overlay",
        "servops blueprint render",
        ("waiting", "frequency", "standard"),
    )
    check_choice(lang, "lang", "servops blueprint render", ("both", "en", "zh"))
    bp = _load(blueprint)
    ov = None
    if log is not None:
        from servops.kpi.cases import resolve_config
        from servops.sources import open_log

        event_log = open_log(log, db=db)
        side = resolve_config(config, event_log).customer_side()
        ov = make_overlay(event_log, bp, overlay, customer_side=side)  # type: ignore[arg-type]
    if output.suffix.lower() == ".svg":
        text = render_svg(bp, overlay=ov, lang=lang)  # type: ignore[arg-type]
    else:
        text = render_html(bp, overlay=ov, lang=lang)  # type: ignore[arg-type]
    output.write_text(text, encoding="utf-8")
    result: dict[str, Any] = {
        "output": str(output),
        "steps": len(bp.steps),
        "overlay": overlay if ov is not None else None,
    }
    if ov is not None:
        result["metrics"] = ov.to_dict()["steps"]
    emit(
        result,
        as_json=json,
        render=lambda c: c.print(
            f"Wrote {output} ({len(bp.steps)} steps"
            + (f", {overlay} overlay" if ov else "")
            + ")."
        ),
    )


def check(
    log: EventLog,
    blueprint: BlueprintArg,
    json: JsonOpt = False,
) -> None:
    """Replay the log on the blueprint: fitness, deviations and standard attainment."""
    from servops.blueprint import check_conformance

    result = check_conformance(log, _load(blueprint))

    def show(c: Console) -> None:
        c.print(
            f"Fitness [bold]{result.fitness:.3f}[/] over {result.cases:,} cases "
            f"({result.fitting_cases:,} fit exactly, {result.variants:,} variants)."
        )
        c.print(
            simple_table(
                "Deviations",
                ["kind", "step", "cases", "share"],
                [
                    [d.kind, d.step, d.cases, f"{d.share:.1%}"]
                    for d in result.deviations
                ],
            )
        )
        c.print(
            simple_table(
                "Steps",
                ["step", "cases", "standard", "attainment", "target"],
                [
                    [
                        s.step,
                        s.cases,
                        s.standard or "",
                        ""
                        if s.standard_attainment is None
                        else f"{s.standard_attainment:.1%}",
                        "" if s.target is None else f"{s.target:.0%}",
                    ]
                    for s in result.steps
                ],
            )
        )
        for n in result.notes:
            c.print(f"[dim]note: {n}[/]")

    emit(result, as_json=json, render=show)


def valuestream(
    log: EventLog,
    blueprint: BlueprintArg,
    json: JsonOpt = False,
) -> None:
    """Lead time, value-adding time and waste per step; process cycle efficiency."""
    from servops.blueprint.valuestream import value_stream

    result = value_stream(log, _load(blueprint))

    def show(c: Console) -> None:
        pce = "unknown" if result.pce is None else f"{result.pce:.2%}"
        c.print(
            f"Process cycle efficiency [bold]{pce}[/] over {result.cases:,} cases "
            f"(mean lead time {fmt_duration(result.lead_s / max(result.cases, 1))})."
        )
        n = max(result.cases, 1)
        c.print(
            simple_table(
                "Per step (per case averages)",
                [
                    "step",
                    "VA",
                    "instances",
                    "lead",
                    "value-adding",
                    "waiting",
                    "rework",
                    "handovers",
                ],
                [
                    [
                        s.step,
                        "yes" if s.value_adding else "",
                        s.instances,
                        fmt_duration(s.lead_s / n),
                        fmt_duration(s.value_adding_s / n),
                        fmt_duration(s.waiting_s / n),
                        fmt_duration(s.rework_s / n),
                        s.handovers,
                    ]
                    for s in result.steps
                ],
            )
        )
        for note in result.notes:
            c.print(f"[dim]note: {note}[/]")

    emit(result, as_json=json, render=show)


def bpmn(
    blueprint: BlueprintArg,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The .bpmn file.")
    ] = Path("flow.bpmn"),
) -> None:
    """Export the blueprint's flow as BPMN 2.0 with diagram (Camunda Modeler, bpmn.io)."""
    from servops.blueprint.bpmn import write_bpmn

    write_bpmn(_load(blueprint), output)
    err_console.print(f"Wrote {output}.")


def register(app: typer.Typer) -> None:
    """Add the ``blueprint`` command group to ``app``."""
    sub = typer.Typer(
        no_args_is_help=True,
        help="Service blueprints: draw, overlay a log, check, export BPMN.",
    )
    sub.command("render")(render)
    sub.command("check")(_blueprint_first(check))
    sub.command("valuestream")(_blueprint_first(valuestream))
    sub.command("bpmn")(bpmn)
    app.add_typer(sub, name="blueprint")
