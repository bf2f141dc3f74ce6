"""Ticket text classifier: time-ordered accuracy against the majority baseline, and speed.

On the CFPB complaints with a narrative (../shared/data/tickets, received before
2019-07-01): train on the oldest 80 %, test on the newest 20 % (as the classifier is used:
trained on the past, applied to what comes next), for the label ``Product`` and, harder,
``Issue``. Prints accuracy, macro-F1, top-2 accuracy, the majority-class baseline, the
coverage and covered accuracy at the default confidence threshold, the calibration error,
the training time and the time to suggest one ticket.

With ``--compare`` it also scores the alternatives considered (each feature block alone,
linear SVM, complement naive Bayes) on three time-ordered cut points (55/70/85 % of the
tickets for training, the next 15 % for testing), the procedure that chose the model.

    python benchmarks/bench_triage.py [--compare]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from servops import triage

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared/data/tickets/cfpb_complaints_2015_2019h1.csv.gz"
TEXT, TIME = "Consumer complaint narrative", "Date received"


def holdout(label: str) -> None:
    d = triage.read_tickets(DATA, text=TEXT, label=label, time=TIME)
    t = time.perf_counter()
    model, ev = triage.validate(d.texts, d.labels or (), d.times, test_share=0.2)
    train_s = time.perf_counter() - t
    probe = list(d.texts[-50:])
    lat = []
    for text in probe:
        t = time.perf_counter()
        model.suggest(text)
        lat.append(time.perf_counter() - t)
    print(
        f"{label}: {len(d.texts)} tickets, {len(model.classes)} labels; "
        f"{ev.notes[0]}\n"
        f"  accuracy {ev.accuracy:.3f}  macro-F1 {ev.macro_f1:.3f}  "
        f"top-2 {ev.top2_accuracy:.3f}\n"
        f"  majority baseline accuracy {ev.baseline_accuracy:.3f}  "
        f"macro-F1 {ev.baseline_macro_f1:.3f}\n"
        f"  at confidence >= {ev.threshold:g}: coverage {ev.coverage:.3f}, "
        f"accuracy {ev.covered_accuracy:.3f}; ECE {ev.ece:.3f}, "
        f"temperature {model.temperature:.2f}, unseen labels in test {ev.unseen}\n"
        f"  validate (calibration fit + final fit) {train_s:.1f} s; suggest one ticket "
        f"{statistics.median(lat) * 1000:.1f} ms (median of {len(lat)})"
    )


def compare() -> None:
    import scipy.sparse as sp
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.naive_bayes import ComplementNB
    from sklearn.svm import LinearSVC

    from servops.triage.features import fit_features

    d = triage.read_tickets(DATA, text=TEXT, label="Product", time=TIME)
    order = np.argsort(
        np.asarray([t.timestamp() for t in d.times or ()]), kind="stable"
    )
    x_all = [d.texts[i] for i in order]
    y = np.asarray([(d.labels or ())[i] for i in order], dtype=object)
    n = len(x_all)
    cuts = [(int(n * f), int(n * (f + 0.15))) for f in (0.55, 0.7, 0.85)]
    models = {
        "LR C=30 words+chars (chosen)": (
            "wc",
            lambda: LogisticRegression(C=30, max_iter=3000),
        ),
        "LR C=30 words": ("w", lambda: LogisticRegression(C=30, max_iter=3000)),
        "LR C=30 chars": ("c", lambda: LogisticRegression(C=30, max_iter=3000)),
        "LR C=1 words+chars": ("wc", lambda: LogisticRegression(C=1, max_iter=3000)),
        "LinearSVC C=1 words+chars": ("wc", lambda: LinearSVC(C=1.0)),
        "ComplementNB words+chars": ("wc", lambda: ComplementNB(alpha=0.3)),
    }
    for name, (blocks, make) in models.items():
        accs, f1s = [], []
        for a, b in cuts:
            fs = fit_features(x_all[:a])
            xa, xb = fs.transform(x_all[:a]), fs.transform(x_all[a:b])
            nw = len(fs.words)
            if blocks == "w":
                xa, xb = xa[:, :nw], xb[:, :nw]
            elif blocks == "c":
                xa, xb = xa[:, nw:], xb[:, nw:]
            p = make().fit(sp.csr_matrix(xa), y[:a]).predict(sp.csr_matrix(xb))
            accs.append(accuracy_score(y[a:b], p))
            f1s.append(f1_score(y[a:b], p, average="macro", zero_division=0))
        print(
            f"  {name:32s} accuracy {np.mean(accs):.3f} {np.round(accs, 3).tolist()}"
            f"  macro-F1 {np.mean(f1s):.3f}"
        )
    base = []
    for a, b in cuts:
        vals, counts = np.unique(y[:a], return_counts=True)
        base.append(float(np.mean(y[a:b] == vals[counts.argmax()])))
    print(
        f"  {'majority class':32s} accuracy {np.mean(base):.3f} {np.round(base, 3).tolist()}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--compare", action="store_true")
    args = ap.parse_args()
    holdout("Product")
    holdout("Issue")
    if args.compare:
        print("Product, three time-ordered cut points:")
        compare()


if __name__ == "__main__":
    main()
