"""BPMN 2.0 export (with diagram interchange) and import of simple BPMN models.

:func:`to_bpmn` writes the blueprint's flow as a BPMN 2.0 collaboration: one pool whose
lanes are the blueprint's lanes, a task per step of the flow, exclusive gateways where
the flow chooses or merges (``b | c``), parallel gateways where it splits or joins
(``b & c``), and a BPMNDI diagram laid out like the blueprint, so the file opens laid
out in Camunda Modeler or bpmn.io.

:func:`from_bpmn` reads the simple BPMN most tools write back: tasks (of any kind),
start and end events, exclusive and parallel gateways, sequence flows and lanes. Each
task becomes a step whose log activity is the task's name; lanes are matched to the
blueprint lanes by name (customer/顾客, front/前台, back/后台, support/支持; otherwise
backstage).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING, Any

from servops.blueprint.model import LANES, parse_blueprint
from servops.blueprint.render import layout
from servops.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from servops.blueprint.model import Blueprint

__all__ = ["from_bpmn", "read_bpmn", "to_bpmn", "write_bpmn"]

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"

_PITCH = 260
_LANE_H = 150
_POOL_X = 120
_LABEL_W = 30
_TASK_W, _TASK_H = 110, 70
_GW = 50
_EV = 36


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


class _Builder:
    """Collects BPMN nodes, flows and their shapes."""

    def __init__(self) -> None:
        self.nodes: dict[str, tuple[str, str, str]] = {}  # id -> (tag, name, lane)
        self.pos: dict[str, tuple[float, float, float, float]] = {}
        self.flows: list[tuple[str, str, str]] = []

    def node(
        self,
        nid: str,
        tag: str,
        name: str,
        lane: str,
        box: tuple[float, float, float, float],
    ) -> str:
        if nid not in self.nodes:
            self.nodes[nid] = (tag, name, lane)
            self.pos[nid] = box
        return nid

    def flow(self, a: str, b: str) -> None:
        fid = f"Flow_{len(self.flows) + 1}"
        if not any(f[1] == a and f[2] == b for f in self.flows):
            self.flows.append((fid, a, b))


def to_bpmn(bp: Blueprint) -> str:
    """The blueprint's flow as BPMN 2.0 XML with a laid-out diagram.

    Examples
    --------
    >>> from servops.blueprint.model import LANES, parse_blueprint
    >>> bp = parse_blueprint('''
    ... name: x
    ... steps:
    ...   - {id: a, name: Ask, lane: customer, activities: [A]}
    ...   - {id: b, name: Answer, lane: frontstage, activities: [B]}
    ...   - {id: c, name: Escalate, lane: backstage, activities: [C]}
    ... flow: ["start -> a -> b | c", "b -> end", "c -> end"]
    ... ''')
    >>> xml = to_bpmn(bp)
    >>> "exclusiveGateway" in xml and "BPMNShape" in xml
    True
    >>> sorted(from_bpmn(xml).edges()) == sorted(bp.edges())
    True
    """
    boxes = layout(bp)
    lanes_used = [
        ln
        for ln in bp.lanes
        if any(s.lane == ln.id for s in bp.steps if s.id in bp.flow_steps())
    ]
    if not lanes_used:
        lanes_used = list(bp.lanes[:1])
    lane_row: dict[str, int] = {ln.id: k for k, ln in enumerate(lanes_used)}
    flow_steps = bp.flow_steps()
    x0 = _POOL_X + _LABEL_W + 110

    def cx(col: float) -> float:
        return x0 + col * _PITCH

    def lane_y(lane: str) -> float:
        return 60 + lane_row[lane] * _LANE_H + _LANE_H / 2

    lane_of = {s.id: s.lane for s in bp.steps}
    b = _Builder()
    for s in bp.steps:
        if s.id not in flow_steps:
            continue
        col = boxes[s.id].column
        b.node(
            f"Task_{s.id}",
            "task",
            s.name + (f" ({s.name_zh})" if s.name_zh else ""),
            s.lane,
            (cx(col), lane_y(s.lane) - _TASK_H / 2, _TASK_W, _TASK_H),
        )
    first_cols = [boxes[t].column for a, t in bp.edges() if a == "start"]
    last_cols = [boxes[a].column for a, t in bp.edges() if t == "end"]
    start_lane = next(lane_of[t] for a, t in bp.edges() if a == "start")
    end_lane = next(lane_of[a] for a, t in bp.edges() if t == "end")
    b.node(
        "StartEvent_1",
        "startEvent",
        "start",
        start_lane,
        (cx(min(first_cols)) - 170, lane_y(start_lane) - _EV / 2, _EV, _EV),
    )
    b.node(
        "EndEvent_1",
        "endEvent",
        "end",
        end_lane,
        (cx(max(last_cols)) + _TASK_W + 120, lane_y(end_lane) - _EV / 2, _EV, _EV),
    )

    def node_id(n: str) -> str:
        return {"start": "StartEvent_1", "end": "EndEvent_1"}.get(n, f"Task_{n}")

    def right(n: str) -> tuple[float, str]:
        x, _, w, _ = b.pos[node_id(n)]
        return x + w, lane_of.get(n, start_lane if n == "start" else end_lane)

    def left(n: str) -> tuple[float, str]:
        x = b.pos[node_id(n)][0]
        return x, lane_of.get(n, end_lane if n == "end" else start_lane)

    # successors and predecessors by kind
    xor_succ: dict[str, list[str]] = {}
    xor_pred: dict[str, list[str]] = {}
    and_split: dict[str, tuple[str, ...]] = {}
    and_join: dict[str, tuple[str, ...]] = {}
    for link in bp.flow:
        if link.split == "and":
            and_split[link.sources[0]] = link.targets
        elif link.join == "and":
            and_join[link.targets[0]] = link.sources
        else:
            for a, t in link.edges():
                xor_succ.setdefault(a, [])
                if t not in xor_succ[a]:
                    xor_succ[a].append(t)
                xor_pred.setdefault(t, [])
                if a not in xor_pred[t]:
                    xor_pred[t].append(a)

    def in_node(t: str) -> str:
        """The node a flow into step ``t`` must reach (its join gateway, if any)."""
        if t in and_join:
            x, lane = left(t)
            return b.node(
                f"Gateway_join_{t}",
                "parallelGateway",
                "",
                lane,
                (x - 20 - _GW, lane_y(lane) - _GW / 2, _GW, _GW),
            )
        if len(xor_pred.get(t, [])) > 1:
            x, lane = left(t)
            return b.node(
                f"Gateway_merge_{t}",
                "exclusiveGateway",
                "",
                lane,
                (x - 20 - _GW, lane_y(lane) - _GW / 2, _GW, _GW),
            )
        return node_id(t)

    for src in ["start", *flow_steps]:
        outs: list[str] = [in_node(t) for t in xor_succ.get(src, [])]
        outs += [in_node(t) for t, srcs in and_join.items() if src in srcs]
        if src in and_split:
            x, lane = right(src)
            gw = b.node(
                f"Gateway_fork_{src}",
                "parallelGateway",
                "",
                lane,
                (x + 20, lane_y(lane) - _GW / 2, _GW, _GW),
            )
            b.flow(node_id(src), gw)
            for t in and_split[src]:
                b.flow(gw, in_node(t))
        elif len(outs) > 1:
            x, lane = right(src)
            gw = b.node(
                f"Gateway_split_{src}",
                "exclusiveGateway",
                "",
                lane,
                (x + 20, lane_y(lane) - _GW / 2, _GW, _GW),
            )
            b.flow(node_id(src), gw)
            for o in outs:
                b.flow(gw, o)
        elif outs:
            b.flow(node_id(src), outs[0])
    for t, _ in list(and_join.items()):
        b.flow(f"Gateway_join_{t}", node_id(t))
    for t, preds in xor_pred.items():
        if len(preds) > 1 and t not in and_join:
            b.flow(f"Gateway_merge_{t}", node_id(t))
    return _write(bp, b, lanes_used, lane_row)


def _write(
    bp: Blueprint, b: _Builder, lanes: list[Any], lane_row: dict[str, int]
) -> str:
    ET.register_namespace("bpmn", BPMN)
    ET.register_namespace("bpmndi", BPMNDI)
    ET.register_namespace("dc", DC)
    ET.register_namespace("di", DI)
    pid = "Process_" + re.sub(r"[^A-Za-z0-9_]", "_", bp.name)[:40]
    defs = ET.Element(
        _q(BPMN, "definitions"),
        {
            "id": "Definitions_1",
            "targetNamespace": "https://servops.dev/blueprint",
            "exporter": "servops",
            "exporterVersion": "0.1",
        },
    )
    collab = ET.SubElement(defs, _q(BPMN, "collaboration"), {"id": "Collaboration_1"})
    ET.SubElement(
        collab,
        _q(BPMN, "participant"),
        {"id": "Participant_1", "name": bp.name, "processRef": pid},
    )
    proc = ET.SubElement(
        defs, _q(BPMN, "process"), {"id": pid, "name": bp.name, "isExecutable": "false"}
    )
    lane_set = ET.SubElement(proc, _q(BPMN, "laneSet"), {"id": "LaneSet_1"})
    for ln in lanes:
        lane_el = ET.SubElement(
            lane_set,
            _q(BPMN, "lane"),
            {"id": f"Lane_{ln.id}", "name": f"{ln.name} / {ln.name_zh}"},
        )
        for nid, (_, _, lane) in b.nodes.items():
            if lane == ln.id:
                ET.SubElement(lane_el, _q(BPMN, "flowNodeRef")).text = nid
    incoming: dict[str, list[str]] = {}
    outgoing: dict[str, list[str]] = {}
    for fid, a, c in b.flows:
        outgoing.setdefault(a, []).append(fid)
        incoming.setdefault(c, []).append(fid)
    for nid, (tag, name, _) in b.nodes.items():
        attrs = {"id": nid}
        if name:
            attrs["name"] = name
        el = ET.SubElement(proc, _q(BPMN, tag), attrs)
        for fid in incoming.get(nid, []):
            ET.SubElement(el, _q(BPMN, "incoming")).text = fid
        for fid in outgoing.get(nid, []):
            ET.SubElement(el, _q(BPMN, "outgoing")).text = fid
    for fid, a, c in b.flows:
        ET.SubElement(
            proc, _q(BPMN, "sequenceFlow"), {"id": fid, "sourceRef": a, "targetRef": c}
        )
    # diagram
    diagram = ET.SubElement(defs, _q(BPMNDI, "BPMNDiagram"), {"id": "BPMNDiagram_1"})
    plane = ET.SubElement(
        diagram,
        _q(BPMNDI, "BPMNPlane"),
        {"id": "BPMNPlane_1", "bpmnElement": "Collaboration_1"},
    )
    right = max(x + w for x, _, w, _ in b.pos.values()) + 60
    pool_w = right - _POOL_X
    pool_h = len(lanes) * _LANE_H

    def shape(
        el_id: str,
        x: float,
        y: float,
        w: float,
        h: float,
        extra: dict[str, str] | None = None,
    ) -> None:
        sh = ET.SubElement(
            plane,
            _q(BPMNDI, "BPMNShape"),
            {"id": f"{el_id}_di", "bpmnElement": el_id, **(extra or {})},
        )
        ET.SubElement(
            sh,
            _q(DC, "Bounds"),
            {
                "x": f"{x:.0f}",
                "y": f"{y:.0f}",
                "width": f"{w:.0f}",
                "height": f"{h:.0f}",
            },
        )

    shape("Participant_1", _POOL_X, 60, pool_w, pool_h, {"isHorizontal": "true"})
    for ln in lanes:
        shape(
            f"Lane_{ln.id}",
            _POOL_X + _LABEL_W,
            60 + lane_row[ln.id] * _LANE_H,
            pool_w - _LABEL_W,
            _LANE_H,
            {"isHorizontal": "true"},
        )
    for nid, (x, y, w, h) in b.pos.items():
        extra = (
            {"isMarkerVisible": "true"}
            if b.nodes[nid][0] == "exclusiveGateway"
            else None
        )
        shape(nid, x, y, w, h, extra)
    for fid, a, c in b.flows:
        edge = ET.SubElement(
            plane, _q(BPMNDI, "BPMNEdge"), {"id": f"{fid}_di", "bpmnElement": fid}
        )
        for px, py in _route(b.pos[a], b.pos[c]):
            ET.SubElement(
                edge, _q(DI, "waypoint"), {"x": f"{px:.0f}", "y": f"{py:.0f}"}
            )
    ET.indent(defs)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(defs, "unicode") + "\n"
    )


def _route(
    a: tuple[float, float, float, float], c: tuple[float, float, float, float]
) -> list[tuple[float, float]]:
    """Orthogonal waypoints: forward flows right-to-left, backward flows below."""
    ax, ay, aw, ah = a
    cx_, cy, cw, ch = c
    if cx_ >= ax + aw:
        x1, y1 = ax + aw, ay + ah / 2
        x2, y2 = cx_, cy + ch / 2
        if abs(y1 - y2) < 1:
            return [(x1, y1), (x2, y2)]
        xm = (x1 + x2) / 2
        return [(x1, y1), (xm, y1), (xm, y2), (x2, y2)]
    y = max(ay + ah, cy + ch) + 22
    return [
        (ax + aw / 2, ay + ah),
        (ax + aw / 2, y),
        (cx_ + cw / 2, y),
        (cx_ + cw / 2, cy + ch),
    ]


def write_bpmn(bp: Blueprint, path: str | Path) -> Path:
    """Write :func:`to_bpmn` to ``path`` and return the path."""
    out = Path(path)
    out.write_text(to_bpmn(bp), encoding="utf-8")
    return out


# --------------------------------------------------------------------------------------
# import
# --------------------------------------------------------------------------------------
_TASKS = {
    "task",
    "userTask",
    "serviceTask",
    "manualTask",
    "scriptTask",
    "sendTask",
    "receiveTask",
    "businessRuleTask",
    "callActivity",
    "subProcess",
}
_PASS = {
    "exclusiveGateway",
    "eventBasedGateway",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
}
_LANE_WORDS = (
    ("customer", ("customer", "client", "user", "顾客", "客户", "用户")),
    ("backstage", ("back", "invisible", "后台")),
    ("frontstage", ("front", "onstage", "visible", "前台")),
    ("support", ("support", "支持", "system", "系统")),
)


def _lane_for(name: str) -> str:
    low = name.lower()
    for lane, words in _LANE_WORDS:
        if any(w in low for w in words):
            return lane
    return "backstage"


def _sid(raw: str, used: Iterable[str]) -> str:
    s = re.sub(r"[^A-Za-z0-9_\-]", "_", raw)
    s = re.sub(r"^(Task|Activity)_", "", s) or s
    if not s[0].isalpha():
        s = "s_" + s
    if s in ("start", "end"):
        s = s + "_step"
    base, k = s, 2
    while s in used:
        s, k = f"{base}_{k}", k + 1
    return s


def from_bpmn(xml: str, *, source: str = "<bpmn>") -> Blueprint:
    """Build a blueprint from simple BPMN 2.0 XML.

    Parameters
    ----------
    xml
        The BPMN document.
    source
        A name for error messages.

    Raises
    ------
    ConfigError
        For XML that is not BPMN, inclusive gateways, or gateway combinations the
        blueprint flow cannot say without silent steps.
    """
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        msg = f"{source}: not well-formed XML ({exc}). Hint: is this a .bpmn file?"
        raise ConfigError(msg) from exc
    procs = root.findall(_q(BPMN, "process"))
    if not procs:
        msg = (
            f"{source}: no <bpmn:process> in the document (root element "
            f"{root.tag!r}). Hint: export BPMN 2.0 XML from your modeller."
        )
        raise ConfigError(msg)
    proc = next(
        (p for p in procs if any(child.tag.endswith("sequenceFlow") for child in p)),
        procs[0],
    )
    kind: dict[str, str] = {}
    names: dict[str, str] = {}
    for el in proc:
        tag = el.tag.split("}")[-1]
        if (
            tag in _TASKS
            or tag in _PASS
            or tag
            in (
                "startEvent",
                "endEvent",
                "parallelGateway",
                "inclusiveGateway",
                "complexGateway",
            )
        ):
            kind[el.attrib["id"]] = tag
            names[el.attrib["id"]] = (el.attrib.get("name") or el.attrib["id"]).strip()
    bad = [n for n, k in kind.items() if k in ("inclusiveGateway", "complexGateway")]
    if bad:
        msg = (
            f"{source}: {kind[bad[0]]} {bad[0]!r} is not supported; a blueprint flow "
            f"has exclusive (|) and parallel (&) gateways only."
        )
        raise ConfigError(msg)
    succ: dict[str, list[str]] = {}
    pred: dict[str, list[str]] = {}
    for f in proc.iter(_q(BPMN, "sequenceFlow")):
        a, c = f.attrib["sourceRef"], f.attrib["targetRef"]
        succ.setdefault(a, []).append(c)
        pred.setdefault(c, []).append(a)
    lanes: dict[str, str] = {}
    for lane in proc.iter(_q(BPMN, "lane")):
        own = lane.attrib.get("id", "").removeprefix("Lane_")
        lane_id = own if own in LANES else _lane_for(lane.attrib.get("name", ""))
        for ref in lane.iter(_q(BPMN, "flowNodeRef")):
            lanes[(ref.text or "").strip()] = lane_id
    tasks = [n for n, k in kind.items() if k in _TASKS]
    if not tasks:
        msg = f"{source}: the process has no tasks."
        raise ConfigError(msg)
    used: list[str] = []
    ids: dict[str, str] = {}
    for n in tasks:
        ids[n] = _sid(n, used)
        used.append(ids[n])
    for n, k in kind.items():
        if k == "startEvent":
            ids[n] = "start"
        elif k == "endEvent":
            ids[n] = "end"

    def reach(node: str, seen: set[str]) -> list[str]:
        """Tasks/events reached from ``node`` through exclusive gateways."""
        if node in seen:
            return []
        seen.add(node)
        k = kind.get(node)
        if k in _TASKS or k in ("startEvent", "endEvent"):
            return [node]
        if k in _PASS or (
            k == "parallelGateway"
            and len(succ.get(node, [])) == 1
            and len(pred.get(node, [])) == 1
        ):
            return [t for nxt in succ.get(node, []) for t in reach(nxt, seen)]
        if k == "parallelGateway":
            return [node]
        msg = f"{source}: flow reaches {node!r}, which is not a known BPMN element."
        raise ConfigError(msg)

    flow: list[str] = []
    for n in [n for n, k in kind.items() if k in _TASKS or k == "startEvent"]:
        for nxt in succ.get(n, []):
            for t in reach(nxt, set()):
                if kind[t] == "parallelGateway":
                    outs = succ.get(t, [])
                    ins = pred.get(t, [])
                    if len(outs) > 1 and len(ins) == 1:
                        targets = [_direct(x, kind, source) for x in outs]
                        flow.append(
                            f"{ids[n]} -> " + " & ".join(ids[x] for x in targets)
                        )
                    elif len(ins) > 1 and len(outs) == 1:
                        target = _direct(outs[0], kind, source)
                        sources = [_direct_back(x, kind, source) for x in ins]
                        stmt = (
                            " & ".join(ids[x] for x in sources) + f" -> {ids[target]}"
                        )
                        if stmt not in flow:
                            flow.append(stmt)
                    else:
                        msg = (
                            f"{source}: parallel gateway {t!r} both splits and joins; "
                            f"split it into two gateways."
                        )
                        raise ConfigError(msg)
                else:
                    stmt = f"{ids[n]} -> {ids[t]}"
                    if stmt not in flow:
                        flow.append(stmt)
    steps = [
        {
            "id": ids[n],
            "name": names[n],
            "lane": lanes.get(n, "backstage"),
            "activities": [names[n]],
        }
        for n in tasks
    ]
    spec: dict[str, Any] = {
        "name": proc.attrib.get("name") or proc.attrib.get("id", "BPMN"),
        "steps": steps,
        "flow": flow,
    }
    return parse_blueprint(spec, source=source)


def _direct(node: str, kind: dict[str, str], source: str) -> str:
    k = kind.get(node)
    if k in _TASKS or k == "endEvent":
        return node
    msg = (
        f"{source}: a parallel split must lead straight to tasks; {node!r} "
        f"({k}) follows one. Hint: the blueprint flow has no silent steps."
    )
    raise ConfigError(msg)


def _direct_back(node: str, kind: dict[str, str], source: str) -> str:
    k = kind.get(node)
    if k in _TASKS or k == "startEvent":
        return node
    msg = (
        f"{source}: a parallel join must be fed straight by tasks; {node!r} "
        f"({k}) feeds one."
    )
    raise ConfigError(msg)


def read_bpmn(path: str | Path) -> Blueprint:
    """Read a ``.bpmn`` file into a blueprint (see :func:`from_bpmn`)."""
    p = Path(path)
    if not p.is_file():
        msg = f"BPMN file not found: {str(p)!r}."
        raise ConfigError(msg)
    return from_bpmn(p.read_text(encoding="utf-8"), source=str(p))
