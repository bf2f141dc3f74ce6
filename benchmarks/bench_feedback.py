"""Benchmark: score 10,000 Chinese and English comments with the default sentiment model.

Run: ``/work/venv/bin/python benchmarks/bench_feedback.py [--repeat 3] [--train]``.

Comments come from ../shared/data/feedback (ChnSentiCorp hotel reviews and the UCI Yelp
sentences, cycled to 10,000). Both files are held out: the default model never saw them
(its English training sentences were checked against them for exact and normalised
duplicates).
Peers, when importable (e.g. ``PYTHONPATH=/tmp/peers``): snownlp (Chinese, MIT) and
vaderSentiment (English, MIT), timed on the same comments of their language.
``--train`` also runs 5-fold CV training on each file (slow: about a minute).
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from pathlib import Path

import numpy as np

FEEDBACK = Path(__file__).resolve().parents[2] / "shared" / "data" / "feedback"


def load() -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    with (FEEDBACK / "ChnSentiCorp_htl_all.csv").open(encoding="utf-8") as fh:
        zh = [(r["review"], int(r["label"])) for r in csv.DictReader(fh) if r["review"]]
    en = []
    for line in (
        (FEEDBACK / "uci_yelp_labelled.txt").read_text(encoding="utf-8").splitlines()
    ):
        text, _, lab = line.rpartition("\t")
        if lab.strip() in ("0", "1"):
            en.append((text, int(lab)))
    return zh, en


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--train", action="store_true")
    args = ap.parse_args()
    zh, en = load()
    pool = [t for t, _ in zh] + [t for t, _ in en]
    texts = [pool[i % len(pool)] for i in range(10_000)]
    n_zh = sum(1 for t in texts if any("\u4e00" <= c <= "\u9fff" for c in t))

    t0 = time.perf_counter()
    from servops.feedback import default_model, sentiment_scores, train

    sentiment_scores(["warm-up"])
    cold = time.perf_counter() - t0
    warm = timed(lambda: sentiment_scores(texts), args.repeat)
    print(
        f"servops: 10,000 comments ({n_zh:,} zh) in {warm:.2f} s (median of "
        f"{args.repeat}); first call incl. imports and model load {cold:.2f} s"
    )

    m = default_model()
    for name, rows in (("ChnSentiCorp hotels (zh)", zh), ("UCI Yelp (en)", en)):
        p = m.predict_proba([t for t, _ in rows])
        y = np.array([lab for _, lab in rows])
        print(
            f"default model accuracy, {name}: {((p > 0.5) == y).mean():.3f} (n={len(y):,})"
        )

    zh_texts = [t for t in texts if any("\u4e00" <= c <= "\u9fff" for c in t)]
    en_texts = [t for t in texts if t not in set(zh_texts)]
    try:
        from snownlp import SnowNLP

        sub = zh_texts[:1000]
        s = timed(lambda: [SnowNLP(t).sentiments for t in sub], 1)
        ours = timed(lambda: sentiment_scores(sub), args.repeat)
        sample = zh[::8]  # the file is sorted by label: take every 8th review
        p = np.array([SnowNLP(t).sentiments for t, _ in sample])
        acc = ((p > 0.5) == np.array([lab for _, lab in sample])).mean()
        print(
            f"snownlp: 1,000 zh comments in {s:.2f} s vs servops {ours:.3f} s "
            f"(snownlp / servops = {s / ours:.0f}×); snownlp accuracy on every 8th "
            f"hotel review {acc:.3f} (n={len(sample)}; its training corpus contains "
            f"ChnSentiCorp, so this is not held out for snownlp)"
        )
    except ImportError:
        print("snownlp not importable: peer skipped")
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        va = SentimentIntensityAnalyzer()
        v = timed(lambda: [va.polarity_scores(t) for t in en_texts], args.repeat)
        ours = timed(lambda: sentiment_scores(en_texts), args.repeat)
        pv = np.array([va.polarity_scores(t)["compound"] for t, _ in en])
        acc = ((pv > 0) == np.array([lab for _, lab in en])).mean()
        print(
            f"VADER: {len(en_texts):,} en comments in {v:.2f} s vs servops {ours:.3f} s "
            f"(VADER / servops = {v / ours:.1f}×); VADER accuracy on Yelp {acc:.3f}"
        )
    except ImportError:
        print("vaderSentiment not importable: peer skipped")

    if args.train:
        for name, rows in (("ChnSentiCorp hotels (zh)", zh), ("UCI Yelp (en)", en)):
            t = time.perf_counter()
            r = train([x for x, _ in rows], [lab for _, lab in rows])
            print(
                f"train 5-fold CV, {name}: accuracy {r.accuracy:.3f}, macro-F1 "
                f"{r.macro_f1:.3f} ({time.perf_counter() - t:.0f} s)"
            )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
