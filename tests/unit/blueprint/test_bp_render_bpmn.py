"""Drawing (SVG/HTML, real Chromium) and BPMN export/import."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from servops.blueprint import load_blueprint, parse_blueprint
from servops.blueprint.bpmn import BPMN, BPMNDI, DC, from_bpmn, read_bpmn, to_bpmn
from servops.blueprint.overlay import overlay
from servops.blueprint.render import layout, render_html, render_svg, write_html
from servops.errors import ConfigError, InvalidParameterError
from tests.browser import external_requests, open_page, screenshot
from tests.paths import shared_log
from tests.unit.blueprint._logs import make_log, seq
from tests.unit.blueprint.test_bp_model import DEMO, EXAMPLE


def test_layout_follows_time_and_keeps_cells_apart():
    bp = load_blueprint(EXAMPLE)
    boxes = layout(bp)
    col = {s: b.column for s, b in boxes.items()}
    for a, b in bp.edges():
        if a in col and b in col and (a, b) not in (("wait", "take"),):
            assert col[a] < col[b], (a, b)
    cells = [(b.column, bp.step(s).lane) for s, b in boxes.items()]
    assert len(cells) == len(set(cells))
    assert col["kb"] == col["resolve"]  # align


def test_svg_has_lanes_lines_bilingual_labels_and_escapes_text():
    bp = parse_blueprint("""
name: "Repairs <&> co"
name_zh: 维修
steps:
  - {id: a, name: "Call <us>", name_zh: 来电, lane: customer, activities: [A],
     moment_of_truth: true, evidence: phone menu}
  - {id: b, name: Fix, lane: backstage, activities: [B], fail_point: parts missing,
     standard: within 2 h}
""")
    svg = render_svg(bp)
    for text in (
        "Line of interaction",
        "互动分界线",
        "Line of visibility",
        "可视分界线",
        "Line of internal interaction",
        "Customer actions",
        "顾客行为",
        "Support processes",
        "Physical evidence",
        "phone menu",
        "来电",
        "Call &lt;us&gt;",
        "Repairs &lt;&amp;&gt; co",
        "◷≤2h",
        "★",
        "Ⓕ",
    ):
        assert text in svg, text
    assert "<us>" not in svg
    ET.fromstring(svg)  # well-formed XML
    zh = render_svg(bp, lang="zh")
    assert "顾客行为" in zh and "Customer actions" not in zh
    with pytest.raises(InvalidParameterError, match="'lang'"):
        render_svg(bp, lang="fr")  # type: ignore[arg-type]


def test_overlay_is_drawn():
    log = make_log({"1": ["A", "B", "B", "C"], "2": ["A", "C"]})
    bp = seq()
    svg = render_svg(bp, overlay=overlay(log, bp, "frequency"))
    assert (
        "100% cases" in svg and "50% cases" in svg and "↻100%" in svg
    )  # b: 1 case, repeated


@pytest.mark.browser
def test_html_renders_in_chromium_without_errors_or_network(tmp_path):
    import servops as so

    log = so.read_log(shared_log("helpdesk.xes.gz"))
    bp = load_blueprint(EXAMPLE)
    out = write_html(bp, tmp_path / "bp.html", overlay=overlay(log, bp, "standard"))
    with open_page(out, width=1500) as visit:
        page = visit.page
        assert page.title() == "Helpdesk ticket"
        assert page.locator("svg.blueprint g.bp-step").count() == len(bp.steps)
        box = page.locator("svg.blueprint").bounding_box()
        assert box["width"] > 1000 and box["height"] > 500
        # the Chinese label is laid out by a real CJK font: wider than one em per char
        zh = page.locator("text", has_text="坐席受理工单").first.bounding_box()
        assert zh["width"] > 6 * 9
        png = screenshot(visit, tmp_path / "bp.png")
        assert png.stat().st_size > 50_000
        assert visit.console_errors == []
        assert visit.page_errors == []
        assert external_requests(visit) == []


def test_html_is_self_contained():
    html = render_html(seq(), lang="en")
    assert html.startswith("<!DOCTYPE html>")
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "<script" not in html and "https://" not in html


# -- BPMN ------------------------------------------------------------------------------
def _nodes(xml: str) -> tuple[dict[str, str], list[ET.Element], list[ET.Element]]:
    root = ET.fromstring(xml)
    proc = root.find(f"{{{BPMN}}}process")
    assert proc is not None
    kinds = {
        el.attrib["id"]: el.tag.split("}")[1]
        for el in proc
        if "id" in el.attrib and el.tag.split("}")[1] != "sequenceFlow"
    }
    flows = proc.findall(f"{{{BPMN}}}sequenceFlow")
    shapes = root.findall(f".//{{{BPMNDI}}}BPMNShape")
    return kinds, flows, shapes


@pytest.mark.parametrize("path", [EXAMPLE, DEMO])
def test_bpmn_round_trip_and_complete_diagram(path):
    bp = load_blueprint(path)
    xml = to_bpmn(bp)
    kinds, flows, shapes = _nodes(xml)
    assert sum(k == "task" for k in kinds.values()) == len(bp.flow_steps())
    shaped = {s.attrib["bpmnElement"] for s in shapes}
    assert set(kinds) - {"LaneSet_1"} <= shaped
    edges = {
        e.attrib["bpmnElement"]
        for e in ET.fromstring(xml).iter(f"{{{BPMNDI}}}BPMNEdge")
    }
    assert edges == {f.attrib["id"] for f in flows}
    # flow nodes do not overlap
    boxes = []
    for s in shapes:
        if (
            s.attrib["bpmnElement"] in kinds
            and kinds[s.attrib["bpmnElement"]] != "lane"
        ):
            bounds = s.find(f"{{{DC}}}Bounds")
            assert bounds is not None
            b = bounds.attrib
            boxes.append(tuple(float(b[k]) for k in ("x", "y", "width", "height")))
    for i, (x1, y1, w1, h1) in enumerate(boxes):
        for x2, y2, w2, h2 in boxes[i + 1 :]:
            assert x1 + w1 <= x2 or x2 + w2 <= x1 or y1 + h1 <= y2 or y2 + h2 <= y1
    back = from_bpmn(xml)
    assert sorted(back.edges()) == sorted(bp.edges())
    assert {s.id: s.lane for s in back.steps} == {
        s: bp.step(s).lane for s in bp.flow_steps()
    }


def test_bpmn_parallel_round_trip(tmp_path):
    bp = parse_blueprint("""
name: par
steps:
  - {id: a, name: A, lane: customer, activities: [A]}
  - {id: b, name: B, lane: frontstage, activities: [B]}
  - {id: c, name: C, lane: backstage, activities: [C]}
  - {id: d, name: D, lane: support, activities: [D]}
flow: ["start -> a -> b & c", "b & c -> d -> end"]
""")
    path = tmp_path / "p.bpmn"
    path.write_text(to_bpmn(bp), encoding="utf-8")
    back = read_bpmn(path)
    assert [(link.text()) for link in back.flow if "&" in link.text()] == [
        "a -> b & c",
        "b & c -> d",
    ]


def test_pm4py_reads_the_export(tmp_path):
    pm4py = pytest.importorskip("pm4py")
    bp = load_blueprint(EXAMPLE)
    path = tmp_path / "h.bpmn"
    path.write_text(to_bpmn(bp), encoding="utf-8")
    graph = pm4py.read_bpmn(str(path))
    names = {n.get_name() for n in graph.get_nodes()}
    assert {
        bp.step(s).name + f" ({bp.step(s).name_zh})" for s in bp.flow_steps()
    } <= names


@pytest.mark.parametrize(
    ("xml", "match"),
    [
        ("<not xml", "not well-formed XML"),
        ("<a/>", "no <bpmn:process>"),
        (
            f'<definitions xmlns="{BPMN}"><process id="p"><startEvent id="s"/>'
            f'<inclusiveGateway id="g"/></process></definitions>',
            "inclusiveGateway",
        ),
        (
            f'<definitions xmlns="{BPMN}"><process id="p"><startEvent id="s"/>'
            f"</process></definitions>",
            "no tasks",
        ),
    ],
)
def test_bpmn_import_errors(xml, match):
    with pytest.raises(ConfigError, match=match):
        from_bpmn(xml)
