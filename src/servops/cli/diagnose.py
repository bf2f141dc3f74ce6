"""``servops diagnose``: the current state and the problems ranked by impact."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from servops.cli._common import (
    JsonOpt,
    KpiConfigOpt,
    ReportLangOpt,
    log_command,
    progress,
    report_lang,
)
from servops.cli._render import emit, simple_table

if TYPE_CHECKING:
    from rich.console import Console

    from servops.log import EventLog

__all__ = ["register"]


def diagnose_cmd(
    log: EventLog,
    config: KpiConfigOpt = None,
    targets: Annotated[
        Path | None,
        typer.Option(
            "--targets",
            help="KPI targets YAML whose status to add.",
            show_default=False,
        ),
    ] = None,
    projects: Annotated[
        Path | None,
        typer.Option(
            "--projects",
            help="Improvement projects YAML whose measured effects to add.",
            show_default=False,
        ),
    ] = None,
    top: Annotated[
        int, typer.Option("--top", help="At most this many problems.", min=1)
    ] = 8,
    twin: Annotated[
        bool,
        typer.Option(
            "--twin",
            help="Add what-if options from the twin discovered from the log (checked "
            "against it first; an unfit twin's options are marked not to be trusted).",
        ),
    ] = False,
    twin_model: Annotated[
        Path | None,
        typer.Option(
            "--twin-model",
            metavar="MODEL.yaml",
            help="Add what-if options from this simulation model (implies --twin; "
            "used as given, not checked against the log).",
            show_default=False,
        ),
    ] = None,
    twin_replications: Annotated[
        int | None,
        typer.Option(
            "--twin-replications",
            help="Replications of each what-if run (default: the report's, 5).",
            min=2,
            show_default=False,
        ),
    ] = None,
    twin_cases: Annotated[
        int | None,
        typer.Option(
            "--twin-cases",
            help="Cases per what-if replication (default: the report's, 500).",
            min=1,
            show_default=False,
        ),
    ] = None,
    lang: ReportLangOpt = "en",
    json: JsonOpt = False,
) -> None:
    """Current state and problems ranked by impact, with their evidence.

    Impact is the share of a total a problem accounts for: of all cases' lead time
    (waiting, rework) or of all SLA breaches (breach causes). The sentences are the
    ones the report's diagnosis section prints (--lang zh for Chinese). With --twin
    (or --twin-model MODEL.yaml), the twin's what-if options (the report's twin
    scenarios), each tied to the problem it addresses; an unfit twin's are marked as
    not to be trusted. With --json, the
    diagnosis object (`servops.improve.diagnose`) and the sentences.
    """
    from servops.cli.kpi import service_config
    from servops.improve.diagnosis import diagnose
    from servops.report.narrative import (
        impact_definition,
        problem_claim,
        project_claims,
        state_claims,
        target_claim,
        twin_caveat,
        whatif_claim,
    )
    from servops.report.sections.improve import TARGETS_ANCHOR, project_anchor

    language = report_lang(lang)
    cfg = config if config is not None else service_config(log)
    with progress("diagnosing", con=log.con):
        d = diagnose(
            log,
            config=cfg,
            targets=targets,
            projects=projects,
            top=top,
            twin=twin_model if twin_model is not None else twin,
            **({} if twin_cases is None else {"twin_cases": twin_cases}),
            **(
                {}
                if twin_replications is None
                else {"twin_replications": twin_replications}
            ),
        )
    caveat = None if d.twin is None else twin_caveat(d.twin.verdict)
    whatifs = [*([] if caveat is None else [caveat]), *map(whatif_claim, d.whatifs)]
    sentences = [
        *state_claims(d.state),
        *(problem_claim(p) for p in d.problems),
        *(target_claim(s, TARGETS_ANCHOR) for s in d.targets),
        *whatifs,
        *(
            c
            for ev in d.projects
            for c in project_claims(ev, project_anchor(ev.project.id))
        ),
    ]
    out: dict[str, Any] = {
        **d.to_dict(),
        "sentences": [c.text(language) for c in sentences],
    }

    def render(c: Console) -> None:
        for claim in state_claims(d.state):
            c.print(claim.text(language), soft_wrap=True)
        c.print(
            simple_table(
                "Problems ranked by impact",
                ["#", "kind", "problem", "impact", "of", "source"],
                [
                    [
                        p.rank,
                        p.kind,
                        p.subject,
                        f"{100 * p.impact:.1f} %",
                        p.impact_of.replace("_", " "),
                        p.source,
                    ]
                    for p in d.problems
                ],
            )
        )
        c.print(f"[dim]{impact_definition().text(language)}[/]", soft_wrap=True)
        if d.twin is not None:
            tw = d.twin
            n_act, n_pool = len(tw.model.activities), len(tw.model.pools)
            if language == "zh":
                origin = "给定" if tw.origin == "given" else "从日志发现"
                check = (
                    "未与日志核对"
                    if tw.verdict is None
                    else "与日志核对："
                    + {"fit": "合格", "questionable": "存疑", "unfit": "不合格"}[
                        tw.verdict
                    ]
                )
                line = (
                    f"孪生模型（{origin}，{n_act} 个活动，{n_pool} 个资源池），{check}；"
                    f"尝试 {len(tw.options)} 个情景，每个 {tw.replications} 次重复、"
                    f"每次 {tw.cases} 个案例。"
                )
            else:
                check = (
                    "not checked against the log"
                    if tw.verdict is None
                    else f"checked against the log: {tw.verdict.upper()}"
                )
                line = (
                    f"Twin ({tw.origin}, {n_act} activities, {n_pool} pools), {check}; "
                    f"{len(tw.options)} what-if(s) tried, {tw.replications} "
                    f"replications of {tw.cases} cases each."
                )
            c.print(line, soft_wrap=True, highlight=False, markup=False)
        for s in sentences[len(state_claims(d.state)) :]:
            # plain text: a cause label or a what-if may hold [brackets]
            c.print(
                f"• {s.text(language)}", soft_wrap=True, highlight=False, markup=False
            )
        for note in d.notes:
            c.print(f"Note: {note}", style="dim", soft_wrap=True, markup=False)

    emit(out, as_json=json, render=render)


def register(app: typer.Typer) -> None:
    """Add the ``diagnose`` command to ``app``."""
    app.command("diagnose")(log_command(diagnose_cmd))
