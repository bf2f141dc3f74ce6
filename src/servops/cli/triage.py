"""``servops triage``: train, evaluate and use the ticket text classifier.

``train FILE`` fits a model on labelled (closed) tickets and reports a time-ordered
hold-out against the majority-class baseline; ``evaluate MODEL FILE`` measures a saved
model on other (later) tickets; ``suggest MODEL TEXT`` (or ``--file``) suggests labels.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from servops.cli._common import JsonOpt, progress
from servops.cli._render import emit, simple_table
from servops.errors import InvalidParameterError

if TYPE_CHECKING:
    from rich.console import Console

    from servops.triage import Evaluation, TicketData

__all__ = ["register"]

FileArg = Annotated[
    Path,
    typer.Argument(
        metavar="FILE",
        show_default=False,
        help="Tickets: CSV/TSV (gzip ok), Excel or Parquet.",
    ),
]
ModelArg = Annotated[
    Path,
    typer.Argument(
        metavar="MODEL",
        show_default=False,
        help="A model file from `servops triage train`.",
    ),
]
TextOpt = Annotated[
    str, typer.Option("--text", "-t", help="Column with the ticket text.")
]
LabelOpt = Annotated[
    str, typer.Option("--label", "-l", help="Column with the category or group.")
]
TimeOpt = Annotated[
    str | None,
    typer.Option(
        "--time",
        help="Column with the ticket's arrival time (orders the split; "
        "without it the file order is the time order).",
    ),
]
SubjectOpt = Annotated[
    str | None,
    typer.Option("--subject", help="Column with the ticket subject (put before text)."),
]
ThresholdOpt = Annotated[
    float | None,
    typer.Option(
        "--threshold",
        help="Confidence below which the classifier abstains (0–1).",
        show_default=False,
    ),
]
SheetOpt = Annotated[str, typer.Option("--sheet", help="Excel sheet name or index.")]


def _read(
    file: Path,
    *,
    text: str,
    label: str | None,
    time: str | None,
    subject: str | None,
    sheet: str,
) -> TicketData:
    from servops.triage import read_tickets

    return read_tickets(
        file,
        text=text,
        label=label,
        time=time,
        subject=subject,
        sheet=int(sheet) if sheet.isdigit() else sheet,
    )


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.1f} %"


def _render_eval(ev: Evaluation, title: str) -> Any:  # noqa: ANN401
    def render(console: Console) -> None:
        rows = [
            ("tickets", str(ev.n)),
            ("accuracy", _pct(ev.accuracy)),
            ("macro-F1", f"{ev.macro_f1:.3f}"),
            ("top-2 accuracy", _pct(ev.top2_accuracy)),
            (
                "majority baseline",
                f"{_pct(ev.baseline_accuracy)} (macro-F1 {ev.baseline_macro_f1:.3f}; "
                f"always {ev.baseline_label!r})",
            ),
            (
                f"coverage at confidence ≥ {ev.threshold:g}",
                f"{_pct(ev.coverage)} (accuracy there {_pct(ev.covered_accuracy)})",
            ),
            (
                "calibration",
                "–"
                if ev.ece is None or ev.log_loss is None
                else f"ECE {ev.ece:.3f}, log loss {ev.log_loss:.3f}",
            ),
        ]
        console.print(simple_table(title, ["measure", "value"], rows))
        console.print(
            simple_table(
                "Coverage and accuracy by confidence threshold",
                ["threshold", "coverage", "accuracy"],
                [
                    (f"{r['threshold']:g}", _pct(r["coverage"]), _pct(r["accuracy"]))
                    for r in ev.by_threshold
                ],
            )
        )
        for n in ev.notes:
            console.print(f"[dim]note: {n}[/]")

    return render


def train(
    file: FileArg,
    text: TextOpt,
    label: LabelOpt,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Model file to write (.npz).")
    ],
    time: TimeOpt = None,
    subject: SubjectOpt = None,
    threshold: ThresholdOpt = None,
    holdout: Annotated[
        float,
        typer.Option(
            "--holdout",
            help="Share of the newest tickets held out to report accuracy (0 skips).",
        ),
    ] = 0.2,
    sheet: SheetOpt = "0",
    as_json: JsonOpt = False,
) -> None:
    """Train a classifier on labelled tickets; report a time-ordered hold-out."""
    from servops import triage

    if not 0.0 <= holdout < 1.0:
        msg = f"--holdout must be in [0, 1); got {holdout!r}."
        raise InvalidParameterError(msg)
    data = _read(file, text=text, label=label, time=time, subject=subject, sheet=sheet)
    labels = data.labels or ()
    kw: dict[str, Any] = {} if threshold is None else {"threshold": threshold}
    ev = None
    with progress("training") as step:
        if holdout > 0:
            step("time-ordered hold-out")
            _, ev = triage.validate(
                data.texts, labels, data.times, test_share=holdout, **kw
            )
        step("final model on all tickets")
        model = triage.train(data.texts, labels, data.times, **kw)
        model.save(output)
    out = {
        "model": str(output),
        "tickets": len(data.texts),
        "classes": len(model.classes),
        "temperature": model.temperature,
        "threshold": model.threshold,
        "holdout": None if ev is None else ev.to_dict(),
        "notes": list(data.notes),
    }

    def render(console: Console) -> None:
        for n in data.notes:
            console.print(f"[dim]note: {n}[/]")
        if ev is not None:
            _render_eval(ev, f"Time-ordered hold-out ({holdout:.0%} newest)")(console)
        console.print(
            f"Model trained on {len(data.texts)} tickets, {len(model.classes)} labels "
            f"(calibration temperature {model.temperature:.2f}) → {output}"
        )

    emit(out, as_json=as_json, render=render)


def evaluate(
    model: ModelArg,
    file: FileArg,
    text: TextOpt,
    label: LabelOpt,
    subject: SubjectOpt = None,
    threshold: ThresholdOpt = None,
    sheet: SheetOpt = "0",
    as_json: JsonOpt = False,
) -> None:
    """Measure a saved model on labelled tickets (e.g. later ones it has not seen)."""
    from servops.triage import TicketClassifier

    clf = TicketClassifier.load(model)
    data = _read(file, text=text, label=label, time=None, subject=subject, sheet=sheet)
    ev = clf.evaluate(data.texts, data.labels or (), threshold=threshold)
    ev = replace(ev, notes=(*data.notes, *ev.notes))
    emit(ev, as_json=as_json, render=_render_eval(ev, f"{model.name} on {file.name}"))


def suggest(
    model: ModelArg,
    texts: Annotated[
        list[str] | None,
        typer.Argument(metavar="[TEXT]...", help="Ticket texts to classify."),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", "-f", help="Classify every ticket of this file."),
    ] = None,
    text: Annotated[
        str | None,
        typer.Option("--text", "-t", help="Text column of --file."),
    ] = None,
    subject: SubjectOpt = None,
    top: Annotated[int, typer.Option("--top", help="Alternatives to list.")] = 3,
    sheet: SheetOpt = "0",
    as_json: JsonOpt = False,
) -> None:
    """Suggest a label for ticket texts (arguments) or for every ticket of a file."""
    from servops.triage import TicketClassifier

    clf = TicketClassifier.load(model)
    notes: tuple[str, ...] = ()
    if file is not None:
        if text is None:
            msg = "--file needs --text naming its text column."
            raise InvalidParameterError(msg)
        data = _read(
            file, text=text, label=None, time=None, subject=subject, sheet=sheet
        )
        docs, rows, notes = list(data.texts), list(data.rows), data.notes
    elif texts:
        docs, rows = list(texts), list(range(1, len(texts) + 1))
    else:
        msg = "give ticket texts as arguments, or --file FILE --text COLUMN."
        raise InvalidParameterError(msg)
    out = [
        {"row": r, **s.to_dict()}
        for r, s in zip(rows, clf.suggest_many(docs, top=top), strict=True)
    ]

    def render(console: Console) -> None:
        console.print(
            simple_table(
                f"Suggestions (abstain below confidence {clf.threshold:g})",
                ["row", "suggested", "confidence", "alternatives"],
                [
                    (
                        str(o["row"]),
                        o["label"] or "(abstain)",
                        f"{o['confidence']:.2f}",
                        "; ".join(
                            f"{a['label']} {a['p']:.2f}" for a in o["alternatives"][1:]
                        ),
                    )
                    for o in out
                ],
            )
        )
        for n in notes:
            console.print(f"[dim]note: {n}[/]")

    emit({"suggestions": out, "notes": list(notes)}, as_json=as_json, render=render)


def register(app: typer.Typer) -> None:
    """Add ``servops triage`` and its subcommands to ``app``."""
    sub = typer.Typer(
        no_args_is_help=True,
        help="Suggest a ticket's category or group from its text (Chinese and English): "
        "train on closed tickets, evaluate on later ones, suggest.",
    )
    sub.command("train")(train)
    sub.command("evaluate")(evaluate)
    sub.command("suggest")(suggest)
    app.add_typer(sub, name="triage")
