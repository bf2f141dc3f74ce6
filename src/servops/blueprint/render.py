"""Draw a blueprint as SVG, or as one self-contained HTML page, in the classic layout.

Physical evidence runs along the top; below it the four action lanes (customer,
frontstage, backstage, support) as horizontal bands, separated by the line of
interaction, the line of visibility and the line of internal interaction. Steps are boxes
in time order (columns follow the flow; loops are cut), arrows follow the flow across
lanes, and loops are drawn as dashed arcs under the boxes. Labels are English, Chinese,
or both. With an :class:`~servops.blueprint.overlay.Overlay` each box is filled by the
metric and carries badges for standard breaches and rework.

Everything is inline: no script, no font or image is fetched.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from servops._validation import check_choice

if TYPE_CHECKING:
    from servops.blueprint.model import Blueprint, Step
    from servops.blueprint.overlay import Overlay

__all__ = ["Lang", "layout", "render_html", "render_svg", "write_html"]

Lang = Literal["en", "zh", "both"]

_LEFT = 150  # lane-label column
_COL = 184  # column pitch
_BOX_W = 144
_EVID_H = 62
_LANE_H = 128
_TOP = 44
_FONT = (
    'system-ui, -apple-system, "Segoe UI", "Noto Sans CJK SC", "Noto Sans SC", '
    '"PingFang SC", "Microsoft YaHei", sans-serif'
)
_LANE_FILL = {
    "customer": "#fff7ed",
    "frontstage": "#eff6ff",
    "backstage": "#f5f3ff",
    "support": "#f0fdf4",
}
_LINES = (
    ("customer", "Line of interaction", "互动分界线", "none"),
    ("frontstage", "Line of visibility", "可视分界线", "8 5"),
    ("backstage", "Line of internal interaction", "内部互动分界线", "2 4"),
)


def _width(text: str, px: float) -> float:
    """Rough rendered width: East Asian wide characters count double."""
    w = 0.0
    for ch in text:
        w += 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.56
    return w * px


def _wrap(text: str, max_px: float, px: float, lines: int = 2) -> list[str]:
    """Greedy wrap at spaces (or anywhere for CJK), ellipsis after ``lines`` lines."""
    words: list[str] = []
    for token in text.split(" "):
        if any(unicodedata.east_asian_width(c) in ("W", "F") for c in token):
            words.extend(token)  # CJK text may break between any two characters
        else:
            words.append(token + " ")
    out: list[str] = []
    cur = ""
    for w in words:
        if cur and _width((cur + w).rstrip(), px) > max_px:
            out.append(cur.rstrip())
            cur = w
        else:
            cur += w
    if cur.strip():
        out.append(cur.rstrip())
    if len(out) > lines:
        out = out[:lines]
        last = out[-1]
        while last and _width(last + "…", px) > max_px:
            last = last[:-1]
        out[-1] = last + "…"
    return out


@dataclass(frozen=True, slots=True)
class Box:
    """Where one step is drawn."""

    step: str
    column: int
    x: float
    y: float
    w: float
    h: float


def layout(bp: Blueprint) -> dict[str, Box]:
    """Columns and boxes of the steps: time order along x, lanes along y.

    A step sits one column after its latest predecessor (loops cut); steps off the
    flow sit with their ``align`` step; two steps never share a cell.
    """
    order = bp.order()
    pos = {s: i for i, s in enumerate(order)}
    preds: dict[str, list[str]] = {}
    for a, b in bp.edges():
        if a in pos and b in pos and pos[a] < pos[b]:
            preds.setdefault(b, []).append(a)
    col: dict[str, int] = {}
    taken: set[tuple[int, str]] = set()
    for i, sid in enumerate(order):
        step = bp.step(sid)
        if step.align is not None and step.align in col:
            c = col[step.align]
        elif sid in preds:
            c = max(col[p] + 1 for p in preds[sid] if p in col)
        elif not any(sid in link.sources or sid in link.targets for link in bp.flow):
            c = col[order[i - 1]] if i > 0 else 0  # off the flow: beside its neighbour
        else:
            c = 0
        while (c, step.lane) in taken:
            c += 1
        taken.add((c, step.lane))
        col[sid] = c
    lanes = [ln.id for ln in bp.lanes]
    out = {}
    for sid, c in col.items():
        lane = lanes.index(bp.step(sid).lane)
        out[sid] = Box(
            step=sid,
            column=c,
            x=_LEFT + c * _COL + (_COL - _BOX_W) / 2,
            y=_TOP + _EVID_H + lane * _LANE_H + 14,
            w=_BOX_W,
            h=_LANE_H - 28,
        )
    return out


def _tspan_lines(
    x: float,
    y: float,
    lines: list[str],
    px: float,
    cls: str,
    anchor: str = "middle",
    dy: float | None = None,
) -> str:
    dy = dy or px * 1.25
    return "".join(
        f'<text x="{x:.1f}" y="{y + i * dy:.1f}" text-anchor="{anchor}" class="{cls}">'
        f"{escape(line)}</text>"
        for i, line in enumerate(lines)
    )


def _labels(step: Step, lang: Lang) -> tuple[str, str]:
    if lang == "zh":
        return step.label("zh"), ""
    if lang == "en":
        return step.label("en"), ""
    return step.name, step.name_zh if step.name_zh != step.name else ""


def _tooltip(step: Step, ov_label: str) -> str:
    parts = [step.name + (f" · {step.name_zh}" if step.name_zh else "")]
    if step.description:
        parts.append(step.description.strip())
    for key, val in (
        ("touchpoint", step.touchpoint),
        ("channel", step.channel),
        ("evidence", step.evidence),
    ):
        if val:
            parts.append(f"{key}: {val}")
    if step.activities:
        parts.append("log activities: " + ", ".join(step.activities))
    if step.standard:
        parts.append(f"standard: {step.standard.text}")
    if step.moment_of_truth:
        parts.append("moment of truth")
    if step.fail_point:
        parts.append("fail point" + (f": {step.fail_note}" if step.fail_note else ""))
    if ov_label:
        parts.append(ov_label)
    return "\n".join(parts)


def render_svg(
    bp: Blueprint, *, overlay: Overlay | None = None, lang: Lang = "both"
) -> str:
    r"""The blueprint as one ``<svg>`` element (inline-ready, text escaped).

    Parameters
    ----------
    bp
        The blueprint.
    overlay
        Per-step metrics from :func:`servops.blueprint.overlay.overlay`.
    lang
        ``en``, ``zh`` or ``both`` (English with Chinese beneath).

    Examples
    --------
    >>> from servops.blueprint.model import parse_blueprint
    >>> bp = parse_blueprint(
    ...     "name: x\nsteps:\n- {id: a, name: Ask, name_zh: 询问, "
    ...     "lane: customer, activities: [A]}"
    ... )
    >>> svg = render_svg(bp)
    >>> svg.startswith("<svg") and "询问" in svg and "Line of visibility" in svg
    True
    """
    check_choice(lang, "lang", "render_svg", ("en", "zh", "both"))
    boxes = layout(bp)
    ncols = max((b.column for b in boxes.values()), default=0) + 1
    width = _LEFT + ncols * _COL + 30
    lanes_y0 = _TOP + _EVID_H
    height = lanes_y0 + len(bp.lanes) * _LANE_H + 40
    zh = lang == "zh"

    def both(en: str, cn: str) -> str:
        return cn if zh else en if lang == "en" else f"{en} · {cn}"

    parts: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" class="blueprint" role="img" '
        f'aria-label="{escape(bp.label("zh" if zh else "en"))}" '
        f'style="max-width:100%;height:auto;font-family:{escape(_FONT)}">',
        "<defs>"
        '<marker id="bp-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#475569"/></marker>'
        '<marker id="bp-arrow-loop" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#7c3aed"/></marker>'
        "</defs>",
        "<style>"
        ".bp-title{font-size:17px;font-weight:600;fill:#0f172a}"
        ".bp-lane{font-size:12.5px;font-weight:600;fill:#1e293b}"
        ".bp-lane2{font-size:11.5px;fill:#475569}"
        ".bp-line{font-size:10.5px;font-style:italic;fill:#334155}"
        ".bp-name{font-size:12.5px;font-weight:600;fill:#0f172a}"
        ".bp-name2{font-size:11.5px;fill:#334155}"
        ".bp-meta{font-size:10.5px;fill:#334155}"
        ".bp-metric{font-size:11px;font-weight:600;fill:#0f172a}"
        ".bp-evid{font-size:10.5px;fill:#78350f}"
        ".bp-badge{font-size:10px;font-weight:700;fill:#fff}"
        "</style>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="12" y="26" class="bp-title">'
        f"{escape(both(bp.name, bp.name_zh or bp.name))}</text>",
    ]
    # physical evidence band
    parts.append(
        f'<rect x="0" y="{_TOP}" width="{width}" height="{_EVID_H}" fill="#fefce8"/>'
        + _tspan_lines(
            12,
            _TOP + 26,
            [("物证" if zh else "Physical evidence")],
            12.5,
            "bp-lane",
            "start",
        )
        + (
            _tspan_lines(12, _TOP + 42, ["物证"], 11.5, "bp-lane2", "start")
            if lang == "both"
            else ""
        )
    )
    # lanes
    for k, ln in enumerate(bp.lanes):
        y: float = lanes_y0 + k * _LANE_H
        label1 = ln.label("zh") if zh else ln.name
        parts.append(
            f'<rect x="0" y="{y}" width="{width}" height="{_LANE_H}" '
            f'fill="{_LANE_FILL[ln.id]}"/>'
            + _tspan_lines(
                12, y + 24, _wrap(label1, _LEFT - 20, 12.5), 12.5, "bp-lane", "start"
            )
            + (
                _tspan_lines(
                    12,
                    y + 24 + 16 * len(_wrap(label1, _LEFT - 20, 12.5)),
                    _wrap(ln.name_zh, _LEFT - 20, 11.5),
                    11.5,
                    "bp-lane2",
                    "start",
                )
                if lang == "both"
                else ""
            )
        )
    parts.append(
        f'<line x1="{_LEFT - 8}" y1="{_TOP}" x2="{_LEFT - 8}" '
        f'y2="{lanes_y0 + len(bp.lanes) * _LANE_H}" stroke="#cbd5e1"/>'
    )
    lane_ids: list[str] = [ln.id for ln in bp.lanes]
    for lane_id, en, cn, dash in _LINES:
        y = lanes_y0 + (lane_ids.index(lane_id) + 1) * _LANE_H
        parts.append(
            f'<line x1="0" y1="{y}" x2="{width}" y2="{y}" stroke="#0f172a" '
            f'stroke-width="1.6" stroke-dasharray="{dash}"/>'
            f'<text x="{width - 8}" y="{y - 5}" text-anchor="end" class="bp-line">'
            f"{escape(both(en, cn))}</text>"
        )
    # evidence per column
    evid: dict[int, list[str]] = {}
    for s in bp.steps:
        text = (s.evidence_zh or s.evidence) if zh else s.evidence
        if lang == "both" and s.evidence_zh:
            text = f"{s.evidence} / {s.evidence_zh}" if s.evidence else s.evidence_zh
        if text:
            evid.setdefault(boxes[s.id].column, []).append(text)
    for c, texts in evid.items():
        x = _LEFT + c * _COL + 6
        lines = _wrap("; ".join(texts), _COL - 24, 10.5, lines=3)
        parts.append(
            f'<rect x="{x}" y="{_TOP + 6}" width="{_COL - 12}" height="{_EVID_H - 12}" '
            f'rx="5" fill="#fef3c7" stroke="#d97706" stroke-width="0.8"/>'
            + _tspan_lines(x + (_COL - 12) / 2, _TOP + 22, lines, 10.5, "bp-evid")
        )
    # arrows: the declared flow
    for a, b in bp.edges():
        if a in ("start", "end") or b in ("start", "end"):
            continue
        ba, bb = boxes[a], boxes[b]
        if bb.column > ba.column:
            x1, y1 = ba.x + ba.w, ba.y + ba.h / 2
            x2, y2 = bb.x, bb.y + bb.h / 2
            dx = max(24.0, (x2 - x1) / 2)
            if abs(y1 - y2) < 1 and bb.column - ba.column > 1:
                lift = 36.0
                d = (
                    f"M{x1:.1f},{y1 - 16:.1f} C{x1 + dx:.1f},{y1 - 16 - lift:.1f} "
                    f"{x2 - dx:.1f},{y2 - 16 - lift:.1f} {x2:.1f},{y2 - 16:.1f}"
                )
            else:
                d = f"M{x1:.1f},{y1:.1f} C{x1 + dx:.1f},{y1:.1f} {x2 - dx:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
            parts.append(
                f'<path d="{d}" fill="none" stroke="#475569" '
                f'stroke-width="1.4" marker-end="url(#bp-arrow)"/>'
            )
        else:
            x1, y1 = ba.x + ba.w * 0.35, ba.y + ba.h
            x2, y2 = bb.x + bb.w * 0.65, bb.y + bb.h
            drop = 22.0
            d = (
                f"M{x1:.1f},{y1:.1f} C{x1:.1f},{y1 + drop:.1f} {x2:.1f},"
                f"{y2 + drop:.1f} {x2:.1f},{y2:.1f}"
            )
            parts.append(
                f'<path d="{d}" fill="none" stroke="#7c3aed" '
                f'stroke-width="1.3" stroke-dasharray="5 3" '
                f'marker-end="url(#bp-arrow-loop)"/>'
            )
    # start and end markers
    for a, b in bp.edges():
        if a == "start" and b in boxes:
            bx = boxes[b]
            parts.append(
                f'<circle cx="{bx.x - 14:.1f}" cy="{bx.y + bx.h / 2:.1f}" r="6" '
                f'fill="#0f172a"><title>start</title></circle>'
            )
        if b == "end" and a in boxes:
            bx = boxes[a]
            cx, cy = bx.x + bx.w + 16, bx.y + bx.h / 2
            parts.append(
                f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="7" fill="#fff" '
                f'stroke="#0f172a" stroke-width="1.6"/>'
                f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4" fill="#0f172a">'
                f"<title>end</title></circle>"
            )
    # boxes
    for s in bp.steps:
        bx = boxes[s.id]
        so = overlay.steps.get(s.id) if overlay is not None else None
        fill = so.colour if so is not None else "#ffffff"
        in_flow = bool(s.activities)
        stroke = "#dc2626" if so is not None and so.hot_breach else "#334155"
        sw = 2.6 if so is not None and so.hot_breach else 1.2
        dash = "" if in_flow else ' stroke-dasharray="4 3"'
        name1, name2 = _labels(s, lang)
        cx = bx.x + bx.w / 2
        tip = _tooltip(s, so.label if so else "")
        parts.append(
            f'<g class="bp-step" data-step="{escape(s.id)}"><title>{escape(tip)}</title>'
            f'<rect x="{bx.x:.1f}" y="{bx.y:.1f}" width="{bx.w}" height="{bx.h}" rx="7" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="{sw}"{dash}/>'
        )
        y = bx.y + 17
        l1 = _wrap(name1, bx.w - 12, 12.5)
        parts.append(_tspan_lines(cx, y, l1, 12.5, "bp-name"))
        y += len(l1) * 15.5
        if name2:
            l2 = _wrap(name2, bx.w - 12, 11.5, lines=1)
            parts.append(_tspan_lines(cx, y, l2, 11.5, "bp-name2"))
            y += 14
        meta = []
        if s.touchpoint and y < bx.y + bx.h - 30:
            meta.append(s.touchpoint)
        for line in meta:
            parts.append(
                _tspan_lines(
                    cx, y, _wrap(line, bx.w - 12, 10.5, lines=1), 10.5, "bp-meta"
                )
            )
        # bottom row: symbols, standard, metric
        sym = []
        if s.moment_of_truth:
            sym.append('<tspan fill="#b45309">★</tspan>')
        if s.fail_point:
            sym.append('<tspan fill="#dc2626" font-weight="700">Ⓕ</tspan>')
        if s.standard:
            sym.append(f'<tspan fill="#1d4ed8">◷{escape(s.standard.short())}</tspan>')
        by = bx.y + bx.h - 8
        if sym:
            parts.append(
                f'<text x="{bx.x + 7:.1f}" y="{by:.1f}" class="bp-meta">'
                f"{' '.join(sym)}</text>"
            )
        if so is not None and so.label:
            parts.append(
                f'<text x="{bx.x + bx.w - 7:.1f}" y="{by:.1f}" '
                f'text-anchor="end" class="bp-metric">{escape(so.label)}</text>'
            )
        if so is not None and so.breaches > 0:
            txt = f"✕{so.breaches:,}"
            w = _width(txt, 10) + 10
            parts.append(
                f'<rect x="{bx.x + bx.w - w + 6:.1f}" y="{bx.y - 9:.1f}" width="{w:.1f}" '
                f'height="16" rx="8" fill="#dc2626"><title>{so.breaches:,} cases '
                f"breached the standard</title></rect>"
                f'<text x="{bx.x + bx.w - w / 2 + 6:.1f}" y="{bx.y + 3:.1f}" '
                f'text-anchor="middle" class="bp-badge">{escape(txt)}</text>'
            )
        if so is not None and so.rework_cases > 0:
            pct = so.rework_share
            txt = "↻<1%" if pct < 0.005 else f"↻{pct:.0%}"
            w = _width(txt, 10) + 10
            colour = "#7c3aed" if so.hot_rework else "#a78bfa"
            parts.append(
                f'<rect x="{bx.x - 6:.1f}" y="{bx.y - 9:.1f}" width="{w:.1f}" height="16" '
                f'rx="8" fill="{colour}"><title>{so.rework_cases:,} cases repeat this '
                f"step</title></rect>"
                f'<text x="{bx.x - 6 + w / 2:.1f}" y="{bx.y + 3:.1f}" text-anchor="middle" '
                f'class="bp-badge">{escape(txt)}</text>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def _legend(overlay: Overlay | None, lang: Lang) -> str:
    zh = lang == "zh"

    def t(en: str, cn: str) -> str:
        return cn if zh else en if lang == "en" else f"{en} / {cn}"

    items = [
        ("<span style='color:#b45309'>★</span>", t("moment of truth", "关键时刻")),
        (
            "<span style='color:#dc2626;font-weight:700'>Ⓕ</span>",
            t("fail point", "失误点"),
        ),
        ("<span style='color:#1d4ed8'>◷</span>", t("service standard", "服务标准")),
        ("<span style='color:#7c3aed'>⤺</span>", t("loop in the flow", "流程循环")),
        (
            "<span style='border:1px dashed #334155;padding:0 6px'>&nbsp;</span>",
            t("not recorded in the log", "日志中无记录"),
        ),
    ]
    if overlay is not None:
        items += [
            (
                "<span class='pill' style='background:#dc2626'>✕</span>",
                t(
                    "cases breaching the standard (thick red border: where breaches "
                    "concentrate)",
                    "未达标案例（红色粗框：未达标集中处）",
                ),
            ),
            (
                "<span class='pill' style='background:#7c3aed'>↻</span>",
                t(
                    "share of cases repeating the step (dark: where rework concentrates)",
                    "重复执行该步骤的案例比例（深色：返工集中处）",
                ),
            ),
        ]
        scale = {
            "waiting": t(
                "fill: mean waiting before the step, green short → red long",
                "填充：步骤前平均等待，绿短→红长",
            ),
            "frequency": t(
                "fill: share of cases that pass the step, light → dark",
                "填充：经过该步骤的案例比例，浅→深",
            ),
            "standard": t(
                "fill: standard attainment, green ≥ target, amber within 10 "
                "points, red below",
                "填充：标准达成率，绿≥目标，黄差10点内，红低于",
            ),
        }[overlay.metric]
        items.append(("", scale))
    return (
        "<ul class='bp-legend'>"
        + "".join(f"<li>{sym} {escape(text)}</li>" for sym, text in items)
        + "</ul>"
    )


_CSS = """
body{margin:0;padding:18px 24px;background:#f8fafc;color:#0f172a;
 font:14px/1.5 system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","Noto Sans SC",
 "PingFang SC","Microsoft YaHei",sans-serif}
h1{font-size:20px;margin:0 0 4px} p.desc{color:#475569;max-width:960px}
.bp-wrap{overflow-x:auto;background:#fff;border:1px solid #e2e8f0;border-radius:8px;
 padding:8px}
ul.bp-legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:6px 18px;
 font-size:12.5px;color:#334155}
.pill{display:inline-block;color:#fff;border-radius:8px;padding:0 6px;font-size:11px}
table.bp{border-collapse:collapse;font-size:12.5px;margin-top:14px;background:#fff}
table.bp th,table.bp td{border-bottom:1px solid #e2e8f0;padding:4px 8px;text-align:left;
 vertical-align:top}
"""


def _step_table(bp: Blueprint, overlay: Overlay | None, lang: Lang) -> str:
    zh = lang == "zh"

    def t(en: str, cn: str) -> str:
        return cn if zh else en if lang == "en" else f"{en} {cn}"

    head = [
        t("Step", "步骤"),
        t("Lane", "泳道"),
        t("Touchpoint", "接触点"),
        t("Standard", "服务标准"),
        t("Log activities", "日志活动"),
    ]
    if overlay is not None:
        head += [t("Cases", "案例"), t("Metric", "指标")]
    rows = []
    for s in bp.steps:
        name = (
            s.label("zh")
            if zh
            else s.name + (f" · {s.name_zh}" if lang == "both" and s.name_zh else "")
        )
        cells = [
            name,
            bp.lane(s.lane).label("zh" if zh else "en"),
            s.touchpoint,
            s.standard.text if s.standard else "",
            ", ".join(s.activities),
        ]
        if overlay is not None:
            so = overlay.steps.get(s.id)
            cells += [f"{so.cases:,}" if so else "", so.label if so else ""]
        rows.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    return (
        "<table class='bp'><thead><tr>"
        + "".join(f"<th>{escape(h)}</th>" for h in head)
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def render_html(
    bp: Blueprint,
    *,
    overlay: Overlay | None = None,
    lang: Lang = "both",
    title: str | None = None,
) -> str:
    """A self-contained HTML page: the drawing, a legend and the step table."""
    heading = title or (bp.label("zh") if lang == "zh" else bp.name)
    html_lang = "zh-CN" if lang == "zh" else "en"
    desc = (
        f"<p class='desc'>{escape(bp.description.strip())}</p>"
        if bp.description
        else ""
    )
    return (
        f"<!DOCTYPE html><html lang='{html_lang}'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<meta name='generator' content='servops'><title>{escape(heading)}</title>"
        f"<style>{_CSS}</style></head><body>"
        f"<h1>{escape(heading)}</h1>{desc}"
        f"<div class='bp-wrap'>{render_svg(bp, overlay=overlay, lang=lang)}</div>"
        f"{_legend(overlay, lang)}{_step_table(bp, overlay, lang)}"
        f"</body></html>"
    )


def write_html(
    bp: Blueprint,
    path: str | Path,
    *,
    overlay: Overlay | None = None,
    lang: Lang = "both",
) -> Path:
    """Write :func:`render_html` to ``path`` and return the path."""
    out = Path(path)
    out.write_text(render_html(bp, overlay=overlay, lang=lang), encoding="utf-8")
    return out
