"""Process maps: a static SVG and an interactive, self-contained HTML explorer.

The map is the directly-follows graph of :mod:`servops.mining.dfg` with an artificial
start (●) and end (■), drawn top to bottom with a layered (Sugiyama) layout written
here, without Graphviz:

1. cycles are broken by a depth-first search from the start that follows the most
   frequent edges first, reversing the edges that close a cycle (Gansner et al., "A
   technique for drawing directed graphs", IEEE TSE 1993, §2);
2. layers by longest path; edges spanning several layers get dummy nodes;
3. crossings are reduced by barycenter sweeps (Sugiyama, Tagawa & Toda 1981);
4. x positions pull each node towards its neighbours' mean, keeping order and spacing.

The interactive HTML does the same in our own JavaScript (``assets/process_map.js``),
so its *activity* slider (show the N most frequent activities) and *path* slider (show
more or fewer edges, keeping every shown activity connected) re-lay the map like Disco
or Celonis. Hiding an activity does not just drop its edges: each slider step holds the
DFG of the log *projected* onto the shown activities, computed in SQL, so ``a → x → b``
with ``x`` hidden becomes ``a → b`` with the right frequency and time.
"""

from __future__ import annotations

import importlib.resources
import itertools
import json
import math
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING, Any, Literal

from servops._durations import format_duration
from servops.errors import LogSchemaError
from servops.log.engine import quantile, seconds_between
from servops.mining.dfg import Dfg, discover_dfg

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from servops.log import EventLog

__all__ = [
    "Layout",
    "MapLevel",
    "ProcessMapData",
    "layered_layout",
    "map_fragment",
    "process_map_data",
    "render_html",
    "render_svg",
    "write_map",
]

START = "\u25cf start"
END = "\u25a0 end"
Mode = Literal["frequency", "performance"]

NODE_H = 38.0
LAYER_GAP = 58.0
NODE_GAP = 26.0
DUMMY_W = 8.0
MARGIN = 24.0
DUMMY_BUDGET = 4000


# -- data ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MapLevel:
    """The DFG of the log projected onto its ``k`` most frequent activities.

    ``edges`` rows are ``(source, target, frequency, cases, mean_s, median_s, p90_s)``
    with activity indices into :attr:`ProcessMapData.nodes`; ``start``/``end`` map
    activity index to case count.
    """

    k: int
    edges: tuple[tuple[int, int, int, int, float, float, float], ...]
    start: dict[int, int]
    end: dict[int, int]


@dataclass(frozen=True, slots=True)
class ProcessMapData:
    """Everything a process map shows: activities (most frequent first) and levels."""

    nodes: tuple[dict[str, Any], ...]
    levels: tuple[MapLevel, ...]
    n_cases: int
    has_start_times: bool

    def to_json(self) -> dict[str, Any]:
        """The compact form the JavaScript explorer reads."""
        return {
            "cases": self.n_cases,
            "hasStart": self.has_start_times,
            "nodes": list(self.nodes),
            "levels": [
                {
                    "k": lv.k,
                    "e": [list(e) for e in lv.edges],
                    "s": [[i, n] for i, n in lv.start.items()],
                    "t": [[i, n] for i, n in lv.end.items()],
                }
                for lv in self.levels
            ],
        }


def _level_ks(n: int, max_levels: int) -> list[int]:
    """Slider steps: every count up to ``max_levels`` activities, else a geometric set.

    Examples
    --------
    >>> _level_ks(5, 24)
    [1, 2, 3, 4, 5]
    >>> ks = _level_ks(289, 24)
    >>> ks[0], ks[-1], len(ks) <= 24
    (1, 289, True)
    """
    if n <= max_levels:
        return list(range(1, n + 1))
    ks = {1, n}
    for i in range(max_levels):
        ks.add(
            round(
                math.exp(
                    math.log(2) + (math.log(n) - math.log(2)) * i / (max_levels - 3)
                )
            )
        )
    out = sorted(k for k in ks if 1 <= k <= n)
    while len(out) > max_levels:  # thin the top end evenly
        out.pop(len(out) // 2)
    return out


def _level(dfg: Dfg, index: Mapping[str, int], k: int) -> MapLevel:
    return MapLevel(
        k=k,
        edges=tuple(
            (
                index[e.source],
                index[e.target],
                e.frequency,
                e.cases,
                round(e.mean_s, 3),
                round(e.median_s, 3),
                round(e.p90_s, 3),
            )
            for e in dfg.edges
        ),
        start={index[a]: n for a, n in dfg.start_activities.items()},
        end={index[a]: n for a, n in dfg.end_activities.items()},
    )


def process_map_data(log: EventLog, *, max_levels: int = 24) -> ProcessMapData:
    """Compute the process map of ``log``: node statistics and one DFG per slider step.

    Parameters
    ----------
    log
        The event log.
    max_levels
        At most this many activity-slider steps (each is one SQL pass over the log).

    Examples
    --------
    >>> data = process_map_data(tiny_log)
    >>> [n["a"] for n in data.nodes][:2], [lv.k for lv in data.levels]
    (['Register', 'Close'], [1, 2, 3, 4, 5])
    """
    svc = seconds_between("start_timestamp", '"timestamp"')
    rows = log.fetchall(
        f"""
        SELECT activity, count(*) AS n, count(DISTINCT case_id),
          avg(CASE WHEN start_timestamp IS NOT NULL THEN {svc} END),
          {quantile(f"CASE WHEN start_timestamp IS NOT NULL THEN {svc} END", 0.5)}
        FROM instances GROUP BY activity ORDER BY n DESC, activity
        """
    )
    has_start = log.has_start_times
    nodes = tuple(
        {
            "a": str(a),
            "f": int(n),
            "c": int(c),
            "sm": None if (sm is None or not has_start) else round(float(sm), 3),
            "sd": None if (sd is None or not has_start) else round(float(sd), 3),
        }
        for a, n, c, sm, sd in rows
    )
    names = [str(r[0]) for r in rows]
    index = {a: i for i, a in enumerate(names)}
    levels = []
    full = discover_dfg(log)
    for k in _level_ks(len(names), max_levels):
        if k == len(names):
            dfg = full
        else:
            keep = ", ".join("'" + a.replace("'", "''") + "'" for a in names[:k])
            dfg = discover_dfg(log.where(f"activity IN ({keep})"))
        levels.append(_level(dfg, index, k))
    return ProcessMapData(
        nodes=nodes,
        levels=tuple(levels),
        n_cases=full.n_cases,
        has_start_times=has_start,
    )


# -- layout -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Layout:
    """Node centres, edge polylines (source to target) and the drawing's size."""

    positions: dict[str, tuple[float, float]]
    sizes: dict[str, tuple[float, float]]
    paths: dict[tuple[str, str], list[tuple[float, float]]]
    width: float
    height: float
    back_edges: frozenset[tuple[str, str]] = field(default_factory=frozenset)


def _text_width(label: str) -> float:
    return min(200.0, max(70.0, 6.6 * min(len(label), 28) + 22.0))


def layered_layout(
    nodes: Sequence[str],
    edges: Sequence[tuple[str, str, float]],
    *,
    widths: Mapping[str, float] | None = None,
    root: str | None = None,
    sink: str | None = None,
    sweeps: int = 8,
) -> Layout:
    """Lay out a directed graph in layers, top to bottom (Sugiyama style).

    Parameters
    ----------
    nodes
        Node ids; their order breaks ties.
    edges
        ``(source, target, weight)``; heavier edges are kept forward when breaking
        cycles and pull harder when placing nodes. Self-loops are ignored.
    widths
        Node widths in pixels (default from the id's length).
    root
        Where the depth-first search starts (the artificial start node).
    sink
        A node to put on the bottom layer (the artificial end node).
    sweeps
        Barycenter sweeps (down and up) to reduce crossings.

    Returns
    -------
    Layout

    Examples
    --------
    >>> lay = layered_layout(
    ...     ["s", "a", "b", "e"],
    ...     [("s", "a", 3), ("a", "b", 2), ("b", "a", 1), ("b", "e", 3)],
    ...     root="s",
    ... )
    >>> [round(lay.positions[n][1]) for n in "sabe"]
    [43, 139, 235, 331]
    >>> sorted(lay.back_edges)
    [('b', 'a')]
    """
    w = {n: (widths or {}).get(n, _text_width(n)) for n in nodes}
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    weight: dict[tuple[str, str], float] = {}
    for s, t, wt in sorted(edges, key=lambda e: -e[2]):
        if s == t or s not in succ or t not in succ:
            continue
        if (s, t) not in weight:
            succ[s].append(t)
        weight[(s, t)] = weight.get((s, t), 0.0) + float(wt)

    # 1. depth-first search, heaviest edges first: edges into the stack are back edges
    state: dict[str, int] = {}
    discovered: list[str] = []
    back: set[tuple[str, str]] = set()
    for r in ([root] if root in succ else []) + list(nodes):
        if state.get(r):
            continue
        state[r] = 1
        discovered.append(r)
        stack = [(r, iter(succ[r]))]
        while stack:
            v, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[v] = 2
                stack.pop()
            elif state.get(nxt, 0) == 0:
                state[nxt] = 1
                discovered.append(nxt)
                stack.append((nxt, iter(succ[nxt])))
            elif state[nxt] == 1:
                back.add((v, nxt))
    dag: dict[tuple[str, str], float] = {}
    for (s, t), wt in weight.items():
        key = (t, s) if (s, t) in back else (s, t)
        dag[key] = dag.get(key, 0.0) + wt

    # 2. longest-path layers in topological order (Kahn)
    preds: dict[str, list[str]] = {n: [] for n in nodes}
    outs: dict[str, list[str]] = {n: [] for n in nodes}
    for s, t in dag:
        preds[t].append(s)
        outs[s].append(t)
    indeg = {n: len(preds[n]) for n in nodes}
    rank = {n: i for i, n in enumerate(discovered)}
    ready = sorted((n for n in nodes if indeg[n] == 0), key=rank.__getitem__)
    layer: dict[str, int] = {}
    while ready:
        v = ready.pop(0)
        layer[v] = max((layer[p] + 1 for p in preds[v]), default=0)
        for t in outs[v]:
            indeg[t] -= 1
            if indeg[t] == 0:
                ready.append(t)
    if sink in layer:  # the end goes below everything (it has no successors)
        layer[sink] = 1 + max((lv for v, lv in layer.items() if v != sink), default=-1)

    # 3. dummy nodes on long edges
    chains: dict[tuple[str, str], list[str]] = {}
    lw: dict[str, int] = dict(layer)
    wid = dict(w)
    adj_w: dict[tuple[str, str], float] = {}
    budget = DUMMY_BUDGET  # past it, light long edges are drawn direct
    for (s, t), wt in sorted(dag.items(), key=lambda kv: -kv[1]):
        span = layer[t] - layer[s] - 1
        if span > budget:
            chains[(s, t)] = [s, t]
            continue
        budget -= span
        chain = [s]
        for i, lv in enumerate(range(layer[s] + 1, layer[t])):
            d = f"\x00{s}\x00{t}\x00{i}"
            lw[d] = lv
            wid[d] = DUMMY_W
            chain.append(d)
        chain.append(t)
        for a, b in itertools.pairwise(chain):
            adj_w[(a, b)] = adj_w.get((a, b), 0.0) + wt
        chains[(s, t)] = chain
    n_layers = max(lw.values(), default=0) + 1
    layers: list[list[str]] = [[] for _ in range(n_layers)]
    disc_rank = {n: i for i, n in enumerate(discovered)}
    for v in sorted(lw, key=lambda v: (disc_rank.get(v, len(disc_rank)), v)):
        layers[lw[v]].append(v)
    up: dict[str, list[tuple[str, float]]] = {v: [] for v in lw}
    down: dict[str, list[tuple[str, float]]] = {v: [] for v in lw}
    for (a, b), wt in adj_w.items():
        down[a].append((b, wt))
        up[b].append((a, wt))

    # 4. barycenter sweeps
    pos = {v: float(i) for layer_nodes in layers for i, v in enumerate(layer_nodes)}

    def bary(v: str, nbrs: list[tuple[str, float]]) -> float:
        tot = sum(wt for _, wt in nbrs)
        return sum(pos[u] * wt for u, wt in nbrs) / tot if tot else pos[v]

    for sweep in range(sweeps):
        rng = range(1, n_layers) if sweep % 2 == 0 else range(n_layers - 2, -1, -1)
        for li in rng:
            nb = up if sweep % 2 == 0 else down
            layers[li].sort(key=lambda v, nb=nb: (bary(v, nb[v]), pos[v]))  # type: ignore[misc]
            for i, v in enumerate(layers[li]):
                pos[v] = float(i)

    # 5. x coordinates: pull towards neighbours, keep order and spacing
    x: dict[str, float] = {}
    for layer_nodes in layers:
        cur = 0.0
        for v in layer_nodes:
            x[v] = cur + wid[v] / 2
            cur += wid[v] + NODE_GAP
        shift = cur / 2
        for v in layer_nodes:
            x[v] -= shift
    for rnd in range(12):
        rng = range(n_layers) if rnd % 2 == 0 else range(n_layers - 1, -1, -1)
        for li in rng:
            ln = layers[li]
            if not ln:
                continue
            want = []
            for v in ln:
                nbrs = up[v] + down[v]
                tot = sum(wt for _, wt in nbrs)
                want.append(sum(x[u] * wt for u, wt in nbrs) / tot if tot else x[v])
            gap = [(wid[a] + wid[b]) / 2 + NODE_GAP for a, b in itertools.pairwise(ln)]
            left = list(want)
            for i in range(1, len(ln)):
                left[i] = max(left[i], left[i - 1] + gap[i - 1])
            right = list(want)
            for i in range(len(ln) - 2, -1, -1):
                right[i] = min(right[i], right[i + 1] - gap[i])
            for i, v in enumerate(ln):
                x[v] = (left[i] + right[i]) / 2
    min_x = min((x[v] - wid[v] / 2 for v in x), default=0.0)
    max_x = max((x[v] + wid[v] / 2 for v in x), default=0.0)
    positions = {
        v: (x[v] - min_x + MARGIN, MARGIN + NODE_H / 2 + lw[v] * (NODE_H + LAYER_GAP))
        for v in lw
    }
    paths: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for s, t in weight:
        if (s, t) in back:
            pts = [positions[v] for v in reversed(chains[(t, s)])]
            (x0, y0), (x1, y1) = pts[0], pts[-1]
            pts[0] = (x0 + w[s] / 2 - 10, y0 - NODE_H / 2)
            pts[-1] = (x1 + w[t] / 2 - 10, y1 + NODE_H / 2)
            if len(pts) == 2:
                pts.insert(1, ((x0 + x1) / 2 + max(w[s], w[t]) / 2 + 18, (y0 + y1) / 2))
        else:
            pts = [positions[v] for v in chains[(s, t)]]
            pts[0] = (pts[0][0], pts[0][1] + NODE_H / 2)
            pts[-1] = (pts[-1][0], pts[-1][1] - NODE_H / 2)
        paths[(s, t)] = pts
    return Layout(
        positions={v: positions[v] for v in nodes if v in positions},
        sizes={v: (w[v], NODE_H) for v in nodes},
        paths=paths,
        width=max_x - min_x + 2 * MARGIN,
        height=MARGIN * 2 + n_layers * (NODE_H + LAYER_GAP) - LAYER_GAP,
        back_edges=frozenset(back),
    )


# -- SVG ------------------------------------------------------------------------------


def _mix(c0: tuple[int, int, int], c1: tuple[int, int, int], t: float) -> str:
    t = min(1.0, max(0.0, t))
    r, g, b = (round(a + (b_ - a) * t) for a, b_ in zip(c0, c1, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def _curve(pts: Sequence[tuple[float, float]]) -> str:
    """Smooth path through the points with vertical tangents (like d3.curveBumpY)."""
    d = f"M{pts[0][0]:.1f},{pts[0][1]:.1f}"
    for (x0, y0), (x1, y1) in itertools.pairwise(pts):
        ym = (y0 + y1) / 2
        d += f" C{x0:.1f},{ym:.1f} {x1:.1f},{ym:.1f} {x1:.1f},{y1:.1f}"
    return d


def _select(
    data: ProcessMapData, activities: int | None, paths: float
) -> tuple[MapLevel, list[tuple[int, int, int, int, float, float, float]]]:
    """The slider logic (mirrored in process_map.js): level and kept edges."""
    if not data.levels:
        msg = "the process map has no activities to draw (an empty log)"
        raise ValueError(msg)
    want = len(data.nodes) if activities is None else max(1, activities)
    level = next((lv for lv in data.levels if lv.k >= want), data.levels[-1])
    edges = sorted(level.edges, key=lambda e: (-e[2], e[0], e[1]))
    keep: set[int] = set()
    best_in: dict[int, int] = {}
    best_out: dict[int, int] = {}
    for i, e in enumerate(edges):
        if e[0] == e[1]:
            continue
        best_out.setdefault(e[0], i)
        best_in.setdefault(e[1], i)
    keep |= set(best_in.values()) | set(best_out.values())
    rest = [i for i in range(len(edges)) if i not in keep]
    keep |= set(rest[: math.ceil(len(rest) * max(0.0, min(1.0, paths)))])
    return level, [edges[i] for i in sorted(keep)]


def render_svg(
    data: ProcessMapData,
    *,
    mode: Mode = "frequency",
    activities: int | None = None,
    paths: float = 0.3,
    title: str = "",
) -> str:
    """Draw the process map as a standalone SVG document.

    Parameters
    ----------
    data
        From :func:`process_map_data`.
    mode
        Label and colour edges by ``"frequency"`` or mean time (``"performance"``).
    activities
        Show the N most frequent activities (all when ``None``).
    paths
        Share (0–1) of the edges beyond the ones that keep every activity connected.
    title
        Accessible title.

    Examples
    --------
    >>> svg = render_svg(process_map_data(tiny_log))
    >>> svg.startswith("<svg") and svg.count('class="node"') == 5
    True
    """
    level, edges = _select(data, activities, paths)
    names = [n["a"] for n in data.nodes[: level.k]]
    node_ids = [START, *names, END]
    graph: list[tuple[str, str, float]] = [
        (names[s], names[t], float(f)) for s, t, f, *_ in edges
    ]
    graph += [
        (START, names[i], float(n)) for i, n in level.start.items() if i < level.k
    ]
    graph += [(names[i], END, float(n)) for i, n in level.end.items() if i < level.k]
    widths = {START: 34.0, END: 34.0}
    lay = layered_layout(node_ids, graph, widths=widths, root=START, sink=END)
    max_f = max((n["f"] for n in data.nodes[: level.k]), default=1)
    max_e = max((e[2] for e in edges), default=1)
    max_t = max((e[4] for e in edges), default=1.0) or 1.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {lay.width:.0f} '
        f'{lay.height:.0f}" width="{lay.width:.0f}" height="{lay.height:.0f}" '
        f'role="img" aria-label="{escape(title or "process map")}" '
        f'font-family="system-ui, sans-serif">',
        '<defs><marker id="so-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" '
        'orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#475569"/></marker></defs>',
    ]
    for s, t, f, c, mean, med, _p90 in edges:
        a, b = names[s], names[t]
        perf = mode == "performance"
        share = (mean / max_t) if perf else (f / max_e)
        colour = (
            _mix((203, 213, 225), (185, 28, 28), share)
            if perf
            else _mix((148, 163, 184), (30, 41, 59), share)
        )
        width = 1.0 + 5.0 * math.sqrt(max(share, 0.0))
        label = format_duration(mean) if perf else f"{f:,}"
        tip = (
            f"{a} → {b}: {f:,} times in {c:,} cases; mean {format_duration(mean)}, "
            f"median {format_duration(med)}"
        )
        if s == t:
            x, y = lay.positions[a]
            hw = lay.sizes[a][0] / 2
            d = (
                f"M{x + hw:.1f},{y - 8:.1f} C{x + hw + 34:.1f},{y - 26:.1f} "
                f"{x + hw + 34:.1f},{y + 26:.1f} {x + hw:.1f},{y + 8:.1f}"
            )
            lx, ly = x + hw + 30, y
        else:
            pts = lay.paths[(a, b)]
            d = _curve(pts)
            mid = (
                pts[len(pts) // 2]
                if len(pts) > 2
                else ((pts[0][0] + pts[-1][0]) / 2, (pts[0][1] + pts[-1][1]) / 2)
            )
            lx, ly = mid
        parts.append(
            f'<g class="edge"><title>{escape(tip)}</title><path d="{d}" fill="none" '
            f'stroke="{colour}" stroke-width="{width:.1f}" marker-end="url(#so-arrow)"/>'
            f'<text x="{lx + 4:.1f}" y="{ly - 2:.1f}" font-size="10" fill="#334155" '
            f'paint-order="stroke" stroke="#fff" stroke-width="3">{escape(label)}</text>'
            "</g>"
        )
    for src, dst, cnt in [
        (START, names[i], n) for i, n in level.start.items() if i < level.k
    ] + [(names[i], END, n) for i, n in level.end.items() if i < level.k]:
        tpts = lay.paths.get((src, dst))
        if not tpts:
            continue
        parts.append(
            f'<g class="edge terminal"><title>{escape(f"{src} → {dst}: {cnt:,} cases")}'
            f'</title><path d="{_curve(tpts)}" fill="none" stroke="#94a3b8" '
            f'stroke-width="1.2" stroke-dasharray="4 3" marker-end="url(#so-arrow)"/></g>'
        )
    for i, name in enumerate(names):
        x, y = lay.positions[name]
        wdt, hgt = lay.sizes[name]
        nd = data.nodes[i]
        tone = math.sqrt(nd["f"] / max_f) if max_f else 0.0
        fill = _mix((219, 234, 254), (30, 64, 175), tone)
        ink = "#ffffff" if tone > 0.55 else "#0f172a"
        short = name if len(name) <= 28 else name[:27] + "…"
        sub = (
            f"{nd['f']:,}"
            if mode == "frequency" or nd["sm"] is None
            else format_duration(nd["sm"])
        )
        tip = f"{name}: {nd['f']:,} times in {nd['c']:,} cases"
        if nd["sm"] is not None:
            tip += f"; service mean {format_duration(nd['sm'])}, median {format_duration(nd['sd'])}"
        parts.append(
            f'<g class="node"><title>{escape(tip)}</title>'
            f'<rect x="{x - wdt / 2:.1f}" y="{y - hgt / 2:.1f}" width="{wdt:.1f}" '
            f'height="{hgt:.1f}" rx="6" fill="{fill}" stroke="#1e3a8a" '
            f'stroke-width="0.8"/><text x="{x:.1f}" y="{y - 2:.1f}" font-size="11.5" '
            f'text-anchor="middle" fill="{ink}">{escape(short)}</text>'
            f'<text x="{x:.1f}" y="{y + 12:.1f}" font-size="10" text-anchor="middle" '
            f'fill="{ink}">{escape(sub)}</text></g>'
        )
    for term, shape in ((START, "circle"), (END, "rect")):
        x, y = lay.positions[term]
        if shape == "circle":
            parts.append(
                f'<g class="terminal"><title>start</title><circle cx="{x:.1f}" '
                f'cy="{y:.1f}" r="12" fill="#16a34a"/></g>'
            )
        else:
            parts.append(
                f'<g class="terminal"><title>end</title><rect x="{x - 11:.1f}" '
                f'y="{y - 11:.1f}" width="22" height="22" fill="#0f172a"/></g>'
            )
    parts.append("</svg>")
    return "".join(parts)


# -- interactive HTML ------------------------------------------------------------------


def _asset(name: str) -> str:
    return (importlib.resources.files("servops.report") / "assets" / name).read_text(
        encoding="utf-8"
    )


def _json_for_script(obj: object) -> str:
    """JSON safe inside a <script> element (no ``</script>`` or ``<!--``)."""
    return (
        json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )


LABELS_EN = {
    "frequency": "Frequency",
    "performance": "Performance",
    "activities": "Activities",
    "paths": "Paths",
    "times": "times",
    "cases": "cases",
    "mean": "mean",
    "median": "median",
    "p90": "90th pct",
    "service": "service time",
    "start": "start",
    "end": "end",
    "shown": "shown",
    "of": "of",
    "hint": "Drag the sliders to show more activities or paths; hover for figures.",
    "fit": "Fit",
    "zoom_in": "+",
    "zoom_out": "−",
}
LABELS_ZH = {
    "frequency": "频次",
    "performance": "耗时",
    "activities": "活动",
    "paths": "路径",
    "times": "次",
    "cases": "个案例",
    "mean": "平均",
    "median": "中位数",
    "p90": "第90百分位",
    "service": "处理时间",
    "start": "开始",
    "end": "结束",
    "shown": "显示",
    "of": "/",
    "hint": "拖动滑块显示更多活动或路径；悬停查看数据。",
    "fit": "适应",
    "zoom_in": "+",
    "zoom_out": "−",
}

_counter = iter(range(1, 1_000_000))


def map_fragment(
    data: ProcessMapData,
    *,
    lang: Literal["en", "zh"] = "en",
    include_script: bool = True,
    default_activities: int = 30,
) -> str:
    """The interactive map as an HTML fragment (controls, SVG, inline data and script).

    The JavaScript and CSS are inlined once per fragment when ``include_script`` is
    true; a page with several maps may include them once and pass ``False`` for the
    others.
    """
    uid = f"so-map-{next(_counter)}"
    payload = data.to_json()
    payload["labels"] = LABELS_ZH if lang == "zh" else LABELS_EN
    payload["defaultActivities"] = min(default_activities, len(data.nodes))
    head = ""
    if include_script:
        head = (
            f"<style>{_asset('process_map.css')}</style>"
            f"<script>{_asset('process_map.js')}</script>"
        )
    return (
        f'{head}<div class="so-map" id="{uid}">'
        f'<script type="application/json" class="so-map-data">{_json_for_script(payload)}'
        "</script></div>"
        f"<script>ServopsMap.mount(document.getElementById({json.dumps(uid)}));</script>"
    )


def render_html(
    data: ProcessMapData,
    *,
    title: str = "Process map",
    lang: Literal["en", "zh"] = "en",
) -> str:
    """A self-contained interactive HTML page with the process map (no network)."""
    return (
        f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
        '<meta charset="utf-8"><meta name="viewport" content="width=device-width, '
        f'initial-scale=1"><title>{escape(title)}</title>'
        "<style>body{margin:0;font:14px/1.5 system-ui,-apple-system,'Segoe UI',"
        "'Noto Sans CJK SC','Microsoft YaHei',sans-serif;color:#111827;background:#fff}"
        "h1{font-size:18px;margin:12px 18px 0}</style></head><body>"
        f"<h1>{escape(title)}</h1>{map_fragment(data, lang=lang)}</body></html>"
    )


def write_map(
    log: EventLog,
    path: Path,
    *,
    mode: Mode = "frequency",
    activities: int | None = None,
    paths: float = 0.3,
    title: str | None = None,
    lang: Literal["en", "zh"] = "en",
) -> Path:
    """Write the process map of ``log`` as ``.svg`` (static) or ``.html`` (interactive)."""
    data = process_map_data(log)
    if not data.nodes:
        msg = log.nothing_message("no activity instances to draw")
        raise LogSchemaError(msg)
    name = title or f"Process map — {log.label}"
    if path.suffix.lower() == ".svg":
        path.write_text(
            render_svg(data, mode=mode, activities=activities, paths=paths, title=name),
            encoding="utf-8",
        )
    else:
        path.write_text(render_html(data, title=name, lang=lang), encoding="utf-8")
    return path
