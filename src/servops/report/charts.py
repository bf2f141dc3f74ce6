"""Small SVG charts for the report: bars, lines with reference lines, KPI cards.

Pure functions returning SVG/HTML strings; no JavaScript and no network. Text is escaped.
Sections compose these; a section with a special picture (a process map, a blueprint)
draws its own SVG.
"""

from __future__ import annotations

import math
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["PALETTE", "bar_chart", "kpi_cards", "line_chart", "nice_ticks"]

PALETTE = (
    "#2563eb",
    "#dc2626",
    "#16a34a",
    "#d97706",
    "#7c3aed",
    "#0891b2",
    "#db2777",
    "#4b5563",
)


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values covering ``[lo, hi]``.

    Examples
    --------
    >>> nice_ticks(0, 97)
    [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
    """
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0, 1.0]
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = []
    v = start
    while v < hi + step * 0.999:
        ticks.append(float(round(v, 10)))
        v += step
    return ticks


def _fmt(v: float) -> str:
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:.3g}M"
    if a >= 1e4:
        return f"{v / 1e3:.3g}k"
    if a == int(a):
        return f"{int(v)}"
    return f"{v:.3g}"


def _frame(title: str, width: int, height: int, body: str) -> str:
    return (
        f'<figure class="chart"><figcaption>{escape(title)}</figcaption>'
        f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">{body}</svg>'
        f"</figure>"
    )


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    y_label: str = "",
    horizontal: bool = False,
    highlight: Sequence[bool] | None = None,
    cumulative: Sequence[float] | None = None,
    width: int = 760,
) -> str:
    """A bar chart; ``cumulative`` (0–1 shares) adds a Pareto line on a right axis."""
    n = len(values)
    if n == 0:
        return f'<p class="empty">{escape(title)}: –</p>'
    if horizontal:
        row = 22
        height = 30 + row * n
        left = min(320, 8 + 7 * max(len(str(lb)) for lb in labels))
        vmax = max(max(values), 1e-12)
        parts = []
        for i, (lb, v) in enumerate(zip(labels, values, strict=True)):
            y = 10 + i * row
            w = (width - left - 70) * (v / vmax)
            color = PALETTE[1] if highlight and highlight[i] else PALETTE[0]
            parts.append(
                f'<text x="{left - 6}" y="{y + 14}" text-anchor="end" class="lbl">'
                f"{escape(str(lb))}</text>"
                f'<rect x="{left}" y="{y + 2}" width="{max(w, 0.5):.1f}" height="{row - 6}" '
                f'fill="{color}"><title>{escape(str(lb))}: {_fmt(v)}</title></rect>'
                f'<text x="{left + w + 4:.1f}" y="{y + 14}" class="val">{_fmt(v)}</text>'
            )
        return _frame(title, width, height, "".join(parts))
    height = 260
    left, right, top, bottom = 56, 48 if cumulative else 16, 14, 58
    pw, ph = width - left - right, height - top - bottom
    ticks = nice_ticks(0.0, max(max(values), 0.0))
    vmax = ticks[-1] or 1.0
    bw = pw / n
    parts = [
        f'<line x1="{left}" y1="{top + ph - ph * t / vmax:.1f}" x2="{left + pw}" '
        f'y2="{top + ph - ph * t / vmax:.1f}" class="grid"/>'
        f'<text x="{left - 6}" y="{top + ph - ph * t / vmax + 4:.1f}" text-anchor="end" '
        f'class="tick">{_fmt(t)}</text>'
        for t in ticks
    ]
    step = max(1, math.ceil(n / 24))
    for i, v in enumerate(values):
        h = ph * max(v, 0.0) / vmax
        x = left + i * bw
        color = PALETTE[1] if highlight and highlight[i] else PALETTE[0]
        parts.append(
            f'<rect x="{x + bw * 0.12:.1f}" y="{top + ph - h:.1f}" width="{bw * 0.76:.1f}" '
            f'height="{h:.1f}" fill="{color}"><title>{escape(str(labels[i]))}: {_fmt(v)}'
            f"</title></rect>"
        )
        if i % step == 0:
            parts.append(
                f'<text transform="translate({x + bw / 2:.1f},{top + ph + 10}) rotate(35)" '
                f'class="tick">{escape(str(labels[i])[:18])}</text>'
            )
    if cumulative:
        pts = " ".join(
            f"{left + (i + 0.5) * bw:.1f},{top + ph - ph * c:.1f}"
            for i, c in enumerate(cumulative)
        )
        parts.append(
            f'<polyline points="{pts}" fill="none" stroke="{PALETTE[3]}" '
            f'stroke-width="2"/>'
        )
        parts.extend(
            f'<text x="{left + pw + 4}" y="{top + ph - ph * q + 4:.1f}" class="tick">'
            f"{int(q * 100)}%</text>"
            for q in (0, 0.5, 0.8, 1.0)
        )
    if y_label:
        parts.append(
            f'<text x="12" y="{top + ph / 2}" transform="rotate(-90 12 '
            f'{top + ph / 2})" class="axis">{escape(y_label)}</text>'
        )
    return _frame(title, width, height, "".join(parts))


def line_chart(
    x_labels: Sequence[str],
    series: dict[str, Sequence[float | None]],
    *,
    title: str,
    y_label: str = "",
    hlines: Sequence[tuple[float, str, str]] = (),
    markers: Sequence[tuple[int, float, str]] = (),
    width: int = 760,
    height: int = 280,
) -> str:
    """Lines over a shared x axis.

    ``hlines`` are reference lines ``(value, label, css colour)`` such as control limits;
    ``markers`` are points ``(index, value, tooltip)`` drawn as red rings (signals).
    """
    n = len(x_labels)
    if n == 0:
        return f'<p class="empty">{escape(title)}: –</p>'
    vals = [v for s in series.values() for v in s if v is not None and math.isfinite(v)]
    vals += [h[0] for h in hlines if math.isfinite(h[0])]
    lo, hi = (min(vals), max(vals)) if vals else (0.0, 1.0)
    ticks = nice_ticks(lo, hi)
    lo, hi = ticks[0], ticks[-1]
    left, right, top, bottom = 56, 90, 14, 58
    pw, ph = width - left - right, height - top - bottom

    def px(i: int) -> float:
        return left + (pw * i / (n - 1) if n > 1 else pw / 2)

    def py(v: float) -> float:
        return top + ph - ph * (v - lo) / ((hi - lo) or 1.0)

    parts = [
        f'<line x1="{left}" y1="{py(t):.1f}" x2="{left + pw}" y2="{py(t):.1f}" class="grid"/>'
        f'<text x="{left - 6}" y="{py(t) + 4:.1f}" text-anchor="end" class="tick">'
        f"{_fmt(t)}</text>"
        for t in ticks
    ]
    for value, label, color in hlines:
        if math.isfinite(value):
            parts.append(
                f'<line x1="{left}" y1="{py(value):.1f}" x2="{left + pw}" y2="{py(value):.1f}"'
                f' stroke="{color}" stroke-dasharray="5 3"/>'
                f'<text x="{left + pw + 4}" y="{py(value) + 4:.1f}" class="tick" '
                f'fill="{color}">{escape(label)}</text>'
            )
    for k, (name, ys) in enumerate(series.items()):
        color = PALETTE[k % len(PALETTE)]
        segs: list[list[str]] = [[]]
        for i, v in enumerate(ys):
            if v is None or not math.isfinite(v):
                segs.append([])
                continue
            segs[-1].append(f"{px(i):.1f},{py(v):.1f}")
        for seg in segs:
            if len(seg) > 1:
                parts.append(
                    f'<polyline points="{" ".join(seg)}" fill="none" '
                    f'stroke="{color}" stroke-width="1.6"/>'
                )
        if n <= 120:
            parts.extend(
                f'<circle cx="{px(i):.1f}" cy="{py(v):.1f}" r="2.4" fill="{color}">'
                f"<title>{escape(str(x_labels[i]))} · {escape(name)}: {_fmt(v)}</title>"
                f"</circle>"
                for i, v in enumerate(ys)
                if v is not None and math.isfinite(v)
            )
    for i, v, tip in markers:
        parts.append(
            f'<circle cx="{px(i):.1f}" cy="{py(v):.1f}" r="6" fill="none" '
            f'stroke="{PALETTE[1]}" stroke-width="2"><title>{escape(tip)}</title>'
            f"</circle>"
        )
    step = max(1, math.ceil(n / 16))
    parts.extend(
        f'<text transform="translate({px(i):.1f},{top + ph + 10}) rotate(35)" '
        f'class="tick">{escape(str(x_labels[i])[:18])}</text>'
        for i in range(0, n, step)
    )
    if len(series) > 1:
        parts.extend(
            f'<rect x="{left + 8 + 130 * k}" y="{top - 12}" width="10" height="10" '
            f'fill="{PALETTE[k % len(PALETTE)]}"/><text x="{left + 22 + 130 * k}" '
            f'y="{top - 3}" class="tick">{escape(name[:18])}</text>'
            for k, name in enumerate(series)
        )
    if y_label:
        parts.append(
            f'<text x="12" y="{top + ph / 2}" transform="rotate(-90 12 '
            f'{top + ph / 2})" class="axis">{escape(y_label)}</text>'
        )
    return _frame(title, width, height, "".join(parts))


def kpi_cards(items: Sequence[tuple[str, str]], *, notes: Sequence[str] = ()) -> str:
    """A row of headline figures ``(label, value)``, with optional small notes."""
    cards = "".join(
        f'<div class="card"><div class="card-value">{escape(v)}</div>'
        f'<div class="card-label">{escape(lb)}</div>'
        + (
            f'<div class="card-note">{escape(notes[i])}</div>'
            if i < len(notes) and notes[i]
            else ""
        )
        + "</div>"
        for i, (lb, v) in enumerate(items)
    )
    return f'<div class="cards">{cards}</div>'
