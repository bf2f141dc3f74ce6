"""``servops feedback``: survey scores, comment mining, sentiment, drivers, SERVQUAL, KANO.

``servops feedback FILE …`` analyses a feedback file (it is short for
``servops feedback analyze FILE …``); ``servops feedback sentiment|train|servqual|kano
FILE …`` run the other tools. A file literally named like a subcommand can be analysed
with the explicit ``analyze``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from servops._paths import DEFAULT_WORKSPACE
from servops.cli._common import DbOpt, JsonOpt, progress
from servops.cli._render import emit, simple_table
from servops.errors import InvalidParameterError

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["register"]

_DEFAULT = "analyze"


class _DefaultCommandGroup(TyperGroup):
    """A group whose first argument is a FILE for ``analyze`` unless it names a command."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # noqa: ANN401
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = [_DEFAULT, *args]
        return super().parse_args(ctx, args)


FileArg = Annotated[
    Path,
    typer.Argument(
        metavar="FILE",
        show_default=False,
        help="Feedback file: CSV/TSV, Excel or Parquet.",
    ),
]
TextOpt = Annotated[
    str | None, typer.Option("--text-column", "-t", help="Column holding the comment.")
]
ScoreOpt = Annotated[
    str | None,
    typer.Option(
        "--score-column", "-s", help="Column holding the rating (NPS 0–10 or CSAT 1–5)."
    ),
]
ModelOpt = Annotated[
    Path | None,
    typer.Option(
        "--model",
        "-m",
        help="A model from `servops feedback train` (default: shipped).",
    ),
]
SheetOpt = Annotated[str, typer.Option("--sheet", help="Excel sheet name or index.")]
EncodingOpt = Annotated[
    str | None, typer.Option("--encoding", help="CSV text encoding.")
]


def _sheet(s: str) -> str | int:
    return int(s) if s.isdigit() else s


def _model(path: Path | None) -> Any:  # noqa: ANN401
    if path is None:
        return None
    from servops.feedback import SentimentModel

    return SentimentModel.load(path)


def _fmt(v: object, digits: int = 1) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


ServiceOpt = Annotated[
    str | None,
    typer.Option(
        "--service",
        help="Analyse the live work-order service's survey answers instead of FILE: "
        "its database URL (postgresql://…; `servops service url` prints the embedded "
        "one's). Comments, NPS (CSAT with --scale csat or when no answer has an NPS), "
        "ticket segments; drivers from the service's event log unless --log is given.",
        show_default=False,
    ),
]


def analyze(
    file: Annotated[
        Path | None,
        typer.Argument(
            metavar="FILE",
            show_default=False,
            help="Feedback file: CSV/TSV, Excel or Parquet (or give --service).",
        ),
    ] = None,
    service: ServiceOpt = None,
    text_column: TextOpt = None,
    score_column: ScoreOpt = None,
    case_column: Annotated[
        str | None,
        typer.Option(
            "--case-column", "-k", help="Column with the case id linking to --log."
        ),
    ] = None,
    date_column: Annotated[
        str | None,
        typer.Option(
            "--date-column", "-d", help="Column with the submission time (trend)."
        ),
    ] = None,
    log: Annotated[
        str | None,
        typer.Option(
            "--log", help="Event log (file or stored name) for process drivers."
        ),
    ] = None,
    db: DbOpt = Path(DEFAULT_WORKSPACE),
    scale: Annotated[
        str, typer.Option("--scale", help="auto, nps (0–10) or csat (1–5).")
    ] = "auto",
    wait_hours: Annotated[
        float | None,
        typer.Option(
            "--wait-hours", help="Driver 'duration > N h' (default: 75th percentile)."
        ),
    ] = None,
    sla_hours: Annotated[
        float | None,
        typer.Option(
            "--sla-hours", help="Driver 'SLA breached' when the case took longer."
        ),
    ] = None,
    model: ModelOpt = None,
    sheet: SheetOpt = "0",
    encoding: EncodingOpt = None,
    json: JsonOpt = False,
) -> None:
    """Scores with confidence intervals, languages, sentiment, themes and drivers."""
    from servops.feedback import analyze_feedback, read_feedback

    if (file is None) == (service is None):
        msg = "give a feedback FILE or --service URL, not both or neither."
        raise typer.BadParameter(msg)
    if service is None and text_column is None and score_column is None:
        msg = "give at least one of --text-column and --score-column."
        raise InvalidParameterError(msg)
    if scale not in ("auto", "nps", "csat"):
        msg = f"--scale must be auto, nps or csat; got {scale!r}."
        raise InvalidParameterError(msg)
    if service is not None:
        from servops.service.surveys import read_service_feedback

        if text_column or score_column or case_column or date_column:
            msg = (
                "--service reads the survey answers' own columns: leave out "
                "--text-column, --score-column, --case-column and --date-column "
                "(--scale csat picks the CSAT answers)."
            )
            raise InvalidParameterError(msg)
        table = read_service_feedback(
            service,
            score=None if scale == "auto" else ("csat" if scale == "csat" else "nps"),
        )
    else:
        assert file is not None
        table = read_feedback(
            file,
            text=text_column,
            score=score_column,
            case=case_column,
            date=date_column,
            sheet=_sheet(sheet),
            encoding=encoding,
        )
    event_log = None
    if service is not None and log is None:
        from servops.sources import open_log

        with progress("reading the service's event log"):
            event_log = open_log(service)  # drivers: the tickets' process
    elif log is not None:
        if case_column is None and service is None:
            msg = "--log needs --case-column to link responses to cases."
            raise InvalidParameterError(msg)
        from servops.sources import open_log

        with progress("reading log"):
            event_log = open_log(log, db=db)
    with progress("analysing feedback"):
        result = analyze_feedback(
            table,
            log=event_log,
            model=_model(model),
            scale=scale,  # type: ignore[arg-type]
            wait_hours=wait_hours,
            sla_hours=sla_hours,
        )

    def render(c: Console) -> None:
        d = result.to_dict()
        if d["score"]:
            s = d["score"]
            name = "NPS" if d["scale"] == "nps" else "CSAT %"
            value = s["nps"] if d["scale"] == "nps" else s["csat"]
            c.print(
                f"[bold]{name}[/] {_fmt(value)}  (95% CI {_fmt(s['ci_low'])} … "
                f"{_fmt(s['ci_high'])}, n = {s['n']:,})"
            )
        if d["languages"]:
            c.print(
                "Languages: "
                + ", ".join(f"{k} {v:,}" for k, v in d["languages"].items())
            )
            c.print(
                "Sentiment: "
                + ", ".join(f"{k} {v:,}" for k, v in d["sentiment"].items())
            )
        if d["themes"]:
            c.print(
                simple_table(
                    "Themes",
                    ["theme", "comments", "example"],
                    [
                        [t["name_en"], t["comments"], (t["examples"] or [""])[0][:60]]
                        for t in d["themes"]
                    ],
                )
            )
        if d["drivers"] and d["drivers"]["drivers"]:
            c.print(
                simple_table(
                    "Drivers (most score lost first)",
                    ["driver", "n", "effect", "95% CI", "impact"],
                    [
                        [
                            r["driver"],
                            r["n_with"],
                            round(r["effect"], 1),
                            f"{r['ci_low']:.1f} … {r['ci_high']:.1f}",
                            round(r["impact"], 2),
                        ]
                        for r in d["drivers"]["drivers"][:12]
                    ],
                )
            )

    emit(result, as_json=json, render=render)


def sentiment(
    file: FileArg,
    text_column: Annotated[
        str, typer.Option("--text-column", "-t", help="Column holding the comment.")
    ],
    model: ModelOpt = None,
    sheet: SheetOpt = "0",
    encoding: EncodingOpt = None,
    json: JsonOpt = False,
) -> None:
    """Label each comment positive/negative/neutral with score = P(positive)."""
    from servops.feedback import read_feedback, sentiment_scores

    table = read_feedback(
        file, text=text_column, sheet=_sheet(sheet), encoding=encoding
    )
    with progress("scoring comments"):
        scored = sentiment_scores(table.column("comment").to_pylist(), _model(model))
    rows = [{"row": i + 1, **r} for i, r in enumerate(scored.to_pylist())]

    def render(c: Console) -> None:
        c.print(
            simple_table(
                "Sentiment",
                ["row", "label", "score", "text"],
                [
                    [
                        r["row"],
                        r["label"] or "–",
                        _fmt(r["score"], 3),
                        (r["text"] or "")[:70],
                    ]
                    for r in rows
                ],
            )
        )

    emit(rows, as_json=json, render=render)


def train(
    file: FileArg,
    text_column: Annotated[
        str, typer.Option("--text-column", "-t", help="Column holding the comment.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the model.")],
    label_column: Annotated[
        str | None,
        typer.Option("--label-column", "-l", help="positive/negative (or 1/0) labels."),
    ] = None,
    score_column: Annotated[
        str | None,
        typer.Option(
            "--score-column",
            "-s",
            help="Ratings instead of labels: CSAT ≤2 negative, ≥4 positive; NPS 0–6 / 9–10.",
        ),
    ] = None,
    folds: Annotated[int, typer.Option("--folds", help="Cross-validation folds.")] = 5,
    prior: Annotated[
        bool,
        typer.Option(
            "--prior/--no-prior", help="Use the default model's score as a feature."
        ),
    ] = True,
    sheet: SheetOpt = "0",
    encoding: EncodingOpt = None,
    json: JsonOpt = False,
) -> None:
    """Fit a sentiment model on your labels or ratings; print cross-validated accuracy."""
    from servops.feedback import read_feedback
    from servops.feedback import train as fit

    if (label_column is None) == (score_column is None):
        msg = "give exactly one of --label-column and --score-column."
        raise InvalidParameterError(msg)
    table = read_feedback(
        file,
        text=text_column,
        score=score_column,
        sheet=_sheet(sheet),
        encoding=encoding,
    )
    texts = table.column("comment").to_pylist()
    with progress("training"):
        if label_column is not None:
            if label_column not in table.column_names:
                from servops.errors import LogSchemaError

                msg = (
                    f"{file}: the label column {label_column!r} does not exist. "
                    f"Available columns: {table.column_names}"
                )
                raise LogSchemaError(msg)
            result = fit(
                texts, table.column(label_column).to_pylist(), folds=folds, prior=prior
            )
        else:
            result = fit(
                texts,
                ratings=table.column("score").to_pylist(),
                folds=folds,
                prior=prior,
            )
    result.model.save(out)
    data = {**result.to_dict(), "model": str(out)}

    def render(c: Console) -> None:
        c.print(
            f"Trained on {result.n:,} comments ({result.n_positive:,} positive, "
            f"{result.n_negative:,} negative; {result.n_excluded:,} left out)."
        )
        c.print(
            f"{result.folds}-fold CV accuracy [bold]{result.accuracy:.3f}[/], "
            f"macro-F1 {result.macro_f1:.3f}"
            + (
                f" (default model: {result.default_accuracy:.3f})"
                if result.default_accuracy is not None
                else ""
            )
        )
        c.print(f"Model written to {out}.")

    emit(data, as_json=json, render=render)


def servqual(
    file: FileArg,
    weights: Annotated[
        str | None,
        typer.Option(
            "--weights", help="Importance points, e.g. reliability=30,empathy=10,…"
        ),
    ] = None,
    sheet: SheetOpt = "0",
    encoding: EncodingOpt = None,
    json: JsonOpt = False,
) -> None:
    """SERVQUAL gaps (perception − expectation) per item and dimension."""
    from servops.feedback import read_feedback
    from servops.feedback import servqual as run

    table = read_feedback(file, sheet=_sheet(sheet), encoding=encoding)
    w: dict[str, float] | None = None
    if weights:
        try:
            w = {
                k.strip(): float(v)
                for k, v in (p.split("=") for p in weights.split(","))
            }
        except ValueError as exc:
            msg = (
                f"--weights must look like reliability=30,empathy=10; got {weights!r}."
            )
            raise InvalidParameterError(msg) from exc
    result = run(table, weights=w)

    def render(c: Console) -> None:
        c.print(
            simple_table(
                "SERVQUAL gaps (P − E)",
                ["dimension", "E", "P", "gap", "95% CI"],
                [
                    [
                        d["dimension"],
                        round(d["expectation"], 2),
                        round(d["perception"], 2),
                        round(d["gap"], 2),
                        f"{_fmt(d['ci_low'], 2)} … {_fmt(d['ci_high'], 2)}",
                    ]
                    for d in result.dimensions.to_pylist()
                ],
            )
        )
        c.print(
            f"SERVQUAL score {result.score:.2f}"
            + (
                f", weighted {result.weighted_score:.2f}"
                if result.weighted_score is not None
                else ""
            )
        )

    emit(result, as_json=json, render=render)


def kano(
    file: FileArg,
    sheet: SheetOpt = "0",
    encoding: EncodingOpt = None,
    json: JsonOpt = False,
) -> None:
    """KANO categories with better/worse coefficients per feature."""
    from servops.feedback import kano as run
    from servops.feedback import read_feedback

    table = read_feedback(file, sheet=_sheet(sheet), encoding=encoding)
    result = run(table)
    rows = result.to_pylist()

    def render(c: Console) -> None:
        c.print(
            simple_table(
                "KANO",
                [
                    "feature",
                    "n",
                    "A",
                    "O",
                    "M",
                    "I",
                    "R",
                    "Q",
                    "category",
                    "better",
                    "worse",
                ],
                [
                    [
                        r["feature"],
                        r["n"],
                        r["A"],
                        r["O"],
                        r["M"],
                        r["I"],
                        r["R"],
                        r["Q"],
                        r["category"],
                        _fmt(r["better"], 2),
                        _fmt(r["worse"], 2),
                    ]
                    for r in rows
                ],
            )
        )

    emit(rows, as_json=json, render=render)


def register(app: typer.Typer) -> None:
    """Add ``servops feedback`` and its subcommands to ``app``."""
    sub = typer.Typer(
        cls=_DefaultCommandGroup,
        no_args_is_help=True,
        help="Customer feedback: `servops feedback FILE -t COMMENT -s SCORE` analyses a "
        "file; subcommands score sentiment, train a model, SERVQUAL and KANO.",
    )
    sub.command(_DEFAULT)(analyze)
    sub.command("sentiment")(sentiment)
    sub.command("train")(train)
    sub.command("servqual")(servqual)
    sub.command("kano")(kano)
    app.add_typer(sub, name="feedback")
