"""``servops scorecard``: on-time rate and customer rating per agent or team."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, get_type_hints

import typer

from servops.cli._common import JsonOpt, KpiConfigOpt, log_command, progress
from servops.cli._render import emit, err_console, simple_table
from servops.errors import InvalidParameterError
from servops.log import EventLog

if TYPE_CHECKING:
    import pyarrow as pa
    from rich.console import Console

__all__ = ["read_ratings", "register"]

F = TypeVar("F", bound=Callable[..., Any])

#: Funnel signals in the table; the legend is printed below it.
SIGNAL_TEXT = {
    "high_998": "▲▲",
    "high_95": "▲",
    "within": "",
    "low_95": "▼",
    "low_998": "▼▼",
}


def _typed(func: F) -> F:
    func.__annotations__ = get_type_hints(func, include_extras=True)
    return func


def read_ratings(
    source: str, *, score_column: str | None, case_column: str
) -> pa.Table:
    """Survey answers as ``case_id`` and ``score``: a feedback file or a service URL.

    A ``postgresql://`` URL reads the live service's answered surveys
    (:func:`servops.service.surveys.survey_answers`; score column ``csat`` unless
    given).
    """
    from servops.service.events import is_service_url

    if is_service_url(source):
        from servops.service.db import make_engine, make_sessionmaker
        from servops.service.surveys import survey_answers

        engine = make_engine(source)
        try:
            with make_sessionmaker(engine)() as session:
                table = survey_answers(session)
        finally:
            engine.dispose()
        col = score_column or "csat"
        if col not in table.column_names:
            msg = (
                f"--score-column {col!r} is not a column of the service's survey "
                f"answers. Available columns: {sorted(table.column_names)}"
            )
            raise InvalidParameterError(msg)
        import pyarrow as pa

        return pa.table(
            {
                "case_id": table.column("case_id"),
                "score": table.column(col).cast(pa.float64()),
            }
        )
    if score_column is None:
        msg = "--feedback FILE needs --score-column (the rating column of the file)."
        raise InvalidParameterError(msg)
    from servops.feedback import read_feedback

    return read_feedback(Path(source), score=score_column, case=case_column)


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.1f}%"


def _num(v: float | None) -> str:
    return "–" if v is None else f"{v:.2f}"


def scorecard(
    log: EventLog,
    config: KpiConfigOpt = None,
    by: Annotated[
        str,
        typer.Option(
            "--by", help="agent (who resolved or last worked a case) or team."
        ),
    ] = "agent",
    team_column: Annotated[
        str | None,
        typer.Option(
            "--team-column",
            help="Case attribute naming the team (default: group, team, "
            "assignment_group, … whichever the log has).",
        ),
    ] = None,
    adjust: Annotated[
        str | None,
        typer.Option(
            "--adjust",
            help="Case attributes to adjust the case mix for, comma-separated, or "
            "'none' (default: priority, category, channel as the log has them).",
        ),
    ] = None,
    feedback: Annotated[
        str | None,
        typer.Option(
            "--feedback",
            help="Survey answers: a file (CSV/TSV, Excel, Parquet) or the live "
            "service's postgresql:// URL.",
        ),
    ] = None,
    score_column: Annotated[
        str | None,
        typer.Option(
            "--score-column",
            "-s",
            help="Rating column of --feedback (service default: csat).",
        ),
    ] = None,
    case_column: Annotated[
        str,
        typer.Option("--case-column", help="Case id column of the --feedback file."),
    ] = "case_id",
    rating_column: Annotated[
        str | None,
        typer.Option(
            "--rating-column", help="Or: a case attribute of the log holding a rating."
        ),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Scorecards: on-time rate and customer rating per agent or team.

    Case-mix adjusted (observed / expected on the same mix of priority, category and
    channel), shrunk for small samples (empirical Bayes), with funnel-plot signals.
    """
    from servops.kpi import load_config
    from servops.kpi.scorecards import scorecard as compute

    if by not in ("agent", "team"):
        msg = f"--by must be agent or team; got {by!r}."
        raise InvalidParameterError(msg)
    strata: tuple[str, ...] | None = None
    if adjust is not None:
        strata = (
            ()
            if adjust.strip().lower() == "none"
            else tuple(a.strip() for a in adjust.split(",") if a.strip())
        )
    if config is not None and str(log.meta.source).startswith("service "):
        # the live service's log: its SLA timers' reading of the config (policies and
        # calendars from the file, activity roles from the state machine)
        from servops.api.sla import timer_config

        cfg = timer_config(config).kpi
    else:
        cfg = load_config(config, log)
    for note in cfg.notes:
        err_console.print(f"[dim]note: {note}[/]")
    ratings = None
    if feedback is not None:
        with progress("reading survey answers"):
            ratings = read_ratings(
                feedback, score_column=score_column, case_column=case_column
            )
    with progress("computing scorecards", con=log.con):
        result = compute(
            log,
            cfg,
            by="team" if by == "team" else "agent",
            team_column=team_column,
            adjust=strata,
            ratings=ratings,
            rating_column=rating_column,
        )

    def render(c: Console) -> None:
        d = result.desk
        c.print(
            f"Desk: on time {_pct(d['on_time_rate'])} of {d['decided']:,} decided "
            f"cases; rating {_num(d['rating_mean'])} from {d['ratings']:,} answers."
        )
        rows = sorted(
            result.rows.to_pylist(),
            key=lambda r: (r["rank"] is None, r["rank"] or 0, r["name"]),
        )
        c.print(
            simple_table(
                f"Scorecards by {result.by}"
                + (f" ({result.team_column})" if result.team_column else ""),
                [
                    "#",
                    result.by,
                    "decided",
                    "on time",
                    "O/E",
                    "shrunk",
                    "",
                    "ratings",
                    "rating",
                    "shrunk",
                    "",
                ],
                [
                    [
                        "" if r["rank"] is None else r["rank"],
                        r["name"],
                        r["decided"],
                        _pct(r["on_time_rate"]),
                        _num(r["oe_ratio"]),
                        _pct(r["shrunken_rate"]),
                        SIGNAL_TEXT.get(r["signal"] or "", ""),
                        r["ratings"],
                        _num(r["rating_mean"]),
                        _num(r["rating_shrunken"]),
                        SIGNAL_TEXT.get(r["rating_signal"] or "", ""),
                    ]
                    for r in rows
                ],
            )
        )
        c.print(
            "[dim]O/E: on-time cases observed / expected on the same case mix; shrunk: "
            "empirical Bayes toward the desk; ▲/▼ outside the funnel's 95% limits, "
            "▲▲/▼▼ outside 99.8%.[/]"
        )
        for n in result.notes:
            c.print(f"[dim]note: {n}[/]")

    emit(result, as_json=json, render=render)


def register(app: typer.Typer) -> None:
    """Add ``scorecard`` to ``app``."""
    app.command("scorecard")(log_command(_typed(scorecard)))
