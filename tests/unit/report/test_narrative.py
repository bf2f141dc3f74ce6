"""The diagnosis narrative: finds, sizes and narrates the demo's planted improvement.

On the demo desk with its planted change (Access reopen chance −20 points from
midway, see servops.demo.generator), the report's diagnosis (a) finds the project's
effect (improved, interval below zero), (b) sizes it (the interval covers the planted
effect: −20 points times the Access share of the desk's tickets), (c) narrates it in
English and Chinese with those numbers and the twin's prediction beside the measured
lead time, and every link in the report resolves to an element of the page.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

import servops as so
from servops.cli.main import app
from servops.demo.generator import REOPEN_CUT, generate_service_desk
from servops.demo.run import run_demo, write_improvement_files
from servops.errors import InvalidParameterError
from servops.improve import evaluate_projects, load_projects, target_status
from servops.improve.diagnosis import diagnose
from servops.kpi import compute_kpis, load_config
from servops.mining import bottlenecks
from servops.report.builder import ReportContext, build_sections, render_sections

KPI = Path(so.__file__).parent / "demo" / "kpi.yaml"
MODULES = (
    "servops.report.sections.overview",
    "servops.report.sections.process",
    "servops.report.sections.kpi",
    "servops.report.sections.improve",
    "servops.report.sections.diagnosis",
)


class _Page(HTMLParser):
    """Ids, links, and the text of each narrative claim with its link."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.claims: list[tuple[str, str]] = []
        self._claim: list[str] | None = None
        self._claim_link = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "a" and a.get("href"):
            self.links.append(str(a["href"]))
            if self._claim is not None:
                self._claim_link = str(a["href"])
        if tag == "li" and a.get("class") == "claim":
            self._claim, self._claim_link = [], ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "li" and self._claim is not None:
            self.claims.append(("".join(self._claim).strip(), self._claim_link))
            self._claim = None

    def handle_data(self, data: str) -> None:
        if self._claim is not None:
            self._claim.append(data)


def _pages(log, extras):
    pages = {}
    for lang in ("en", "zh"):
        ctx = ReportContext(log=log, lang=lang, extras=extras)
        html = render_sections(ctx, build_sections(ctx, MODULES))
        page = _Page()
        page.feed(html)
        pages[lang] = (html, page, ctx)
    return pages


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo desk (1000 cases, seed 7) with its planted change, en and zh pages.

    The project is evaluated once for both languages, without its twin prediction
    (the slow test below runs the whole demo with it).
    """
    folder = tmp_path_factory.mktemp("demo")
    data = generate_service_desk(cases=1000, seed=7, improve_at="midway")
    assert data.improved_at is not None
    targets, projects, _ = write_improvement_files(
        folder, data.events, data.improved_at
    )
    log = so.read_log(data.events)
    unpredicted = [
        replace(p, expected=tuple(replace(e, predicted_by=None) for e in p.expected))
        for p in load_projects(projects)
    ]
    cfg = load_config(KPI, log)
    extras = {
        "kpi_config": cfg,
        "targets": target_status(log, targets, config=cfg),
        "projects": evaluate_projects(log, unpredicted, config=cfg),
    }
    return data, log, _pages(log, extras)


def _evidence(ctx, metric="reopened"):
    (ev,) = ctx.cache["project_evaluations"]
    return ev.evidence(metric)


def test_finds_the_planted_improvement(demo):
    _, _, pages = demo
    m = _evidence(pages["en"][2])
    assert m.verdict == "improved"
    assert m.effect is not None
    assert m.effect.high < 0
    assert m.measured is not None
    assert m.measured.segment == {}


def _planted(m):
    """The planted effect on the desk's reopen rate, by construction of the generator.

    Access tickets created after the change reopen REOPEN_CUT less often, the others
    as before: on the desk the rate falls by REOPEN_CUT times the Access share of the
    cases after the change.
    """
    (mix,) = [x for x in m.measured.mix if x.attribute == "category"]
    return -REOPEN_CUT * mix.after["Access"]


def test_sizes_it_within_the_interval(demo):
    _, _, pages = demo
    m = _evidence(pages["en"][2])
    assert m.effect is not None
    planted = _planted(m)
    assert -0.07 < planted < -0.05
    assert m.effect.low <= planted <= m.effect.high
    assert m.covers_expected is True


def test_narrates_it_in_both_languages(demo):
    _, _, pages = demo
    m = _evidence(pages["en"][2])
    iv = m.effect
    assert iv is not None
    size, lo, hi = (f"{100 * abs(x):.1f}" for x in (iv.estimate, iv.low, iv.high))
    en = [c for c, _ in pages["en"][1].claims if "P-01" in c and "reopen" in c]
    zh = [c for c, _ in pages["zh"][1].claims if "P-01" in c and "重开率" in c]
    assert len(en) == 1
    assert len(zh) == 1
    assert f"reopen rate fell by {size} points after" in en[0]
    assert f"95 % CI \N{MINUS SIGN}{lo} to \N{MINUS SIGN}{hi} points" in en[0]
    assert "points, within the interval" in en[0]
    assert f"之后重开率下降 {size} 个百分点" in zh[0]
    assert f"95 % 置信区间 \N{MINUS SIGN}{lo} 至 \N{MINUS SIGN}{hi} 个百分点" in zh[0]
    assert "在区间内" in zh[0]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_link_resolves_and_every_claim_is_linked(demo, lang):
    _, _, pages = demo
    html, page, _ = pages[lang]
    assert page.claims
    local = [h for h in page.links if h.startswith("#")]
    assert local
    missing = sorted({h for h in local if h[1:] not in page.ids})
    assert missing == []
    for text, link in page.claims:
        assert link.startswith("#"), text
    # the narrative comes first
    assert html.index('id="diagnosis"') < html.index('id="overview"')


def test_the_narrative_follows_the_seeds_order(demo):
    _, _, pages = demo
    html = pages["en"][0]
    heads = [
        "1. Current state",
        "2. Problems, ranked by impact",
        "3. Targets",
        "4. Improvement projects and their measured effects",
    ]
    at = [html.index(h) for h in heads]
    assert at == sorted(at)
    zh = pages["zh"][0]
    assert zh.index("现状分析") < zh.index("问题识别") < zh.index("目标设定")


def test_figures_are_the_sections_figures(demo):
    _, log, pages = demo
    ctx = pages["en"][2]
    d = ctx.cache["diagnosis"]
    cfg = load_config(KPI, log)
    total = compute_kpis(log, cfg, by=None).to_pylist()[0]
    assert d.state.sla_attainment == pytest.approx(total["sla_attainment"], abs=1e-12)
    assert d.state.cases == total["cases"]
    bn = bottlenecks(log, customer_side=cfg.customer_side())
    lead = bn.value_stream.lead_time_mean_s * bn.value_stream.cases
    waits = {a.activity: a.team_wait_total_s / lead for a in bn.activities}
    for p in d.problems:
        if p.kind == "waiting":
            assert p.impact == pytest.approx(waits[p.subject], rel=1e-9)
    impacts = [p.impact for p in d.problems]
    assert impacts == sorted(impacts, reverse=True)
    assert [p.rank for p in d.problems] == list(range(1, len(d.problems) + 1))
    # the demo's planted e-mail problem is found, with its breach ratio
    email = [p for p in d.problems if p.subject == "channel = email"]
    assert len(email) == 1
    assert email[0].figures["ratio"] > 1.5


def _hand_log() -> so.EventLog:
    t = lambda h, m=0: datetime(2026, 3, 2, h, m, tzinfo=UTC)  # noqa: E731
    rows = [
        ("c1", "A", t(9), t(10), "r1"),
        ("c1", "B", t(12), t(13), "r2"),
        ("c2", "A", t(9), t(9, 30), "r1"),
        ("c2", "B", t(10, 30), t(11), "r2"),
    ]
    return so.read_log(
        pa.table(
            {
                "case_id": [r[0] for r in rows],
                "activity": [r[1] for r in rows],
                "start_timestamp": pa.array(
                    [r[2] for r in rows], pa.timestamp("us", tz="UTC")
                ),
                "timestamp": pa.array(
                    [r[3] for r in rows], pa.timestamp("us", tz="UTC")
                ),
                "resource": [r[4] for r in rows],
            }
        )
    )


def test_hand_computed_impact():
    # lead times 4 h and 2 h (6 h in all); the team waits 2 h and 1 h before B:
    # waiting before B is 3 h / 6 h = 50 % of all lead time, 1.5 h on average
    d = diagnose(_hand_log())
    assert [(p.kind, p.subject) for p in d.problems] == [("waiting", "B")]
    (p,) = d.problems
    assert p.impact == pytest.approx(0.5)
    assert p.figures["waiting_mean_s"] == pytest.approx(5400)
    assert p.figures["frequency"] == 2
    assert p.impact_of == "lead_time"
    assert d.state.cases == 2
    assert d.state.sla_attainment is None


def test_bad_parameters():
    with pytest.raises(InvalidParameterError, match="'top' parameter of diagnose"):
        diagnose(_hand_log(), top=0)
    with pytest.raises(InvalidParameterError, match="min_impact"):
        diagnose(_hand_log(), min_impact=2)


def test_cli_prints_the_same_ranked_problems(demo, tmp_path):
    data, log, _ = demo
    path = tmp_path / "log.parquet"
    import pyarrow.parquet as pq

    pq.write_table(data.events, path)
    res = CliRunner().invoke(app, ["diagnose", str(path), "-c", str(KPI), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    api = diagnose(log, config=KPI)
    assert [(p["subject"], p["kind"]) for p in out["problems"]] == [
        (p.subject, p.kind) for p in api.problems
    ]
    assert [p["impact"] for p in out["problems"]] == pytest.approx(
        [p.impact for p in api.problems], rel=1e-9
    )
    assert out["sentences"][0].endswith("still open at the end of the data.")
    res = CliRunner().invoke(
        app, ["diagnose", str(path), "-c", str(KPI), "--lang", "zh"]
    )
    assert res.exit_code == 0, res.output
    assert "交付周期中位数" in res.stdout


@pytest.mark.slow
def test_the_demo_report_finds_sizes_and_narrates_with_the_twin(tmp_path):
    """The whole `servops demo` (3000 cases, seed 7, every section) in both languages."""
    pages = {}
    for lang in ("en", "zh"):
        res = run_demo(
            out=tmp_path / f"{lang}.html",
            db=tmp_path / f"{lang}.duckdb",
            data_dir=tmp_path / lang,
            lang=lang,
        )
        page = _Page()
        page.feed(res.report.read_text(encoding="utf-8"))
        pages[lang] = page
    log = so.read_log(tmp_path / "en" / "tickets.csv")
    (ev,) = evaluate_projects(log, res.projects, config=KPI)
    m = ev.evidence("reopened")
    assert m.verdict == "improved"
    assert m.effect is not None
    assert m.effect.low <= _planted(m) <= m.effect.high
    size = f"{100 * abs(m.effect.estimate):.1f}"
    assert any(f"reopen rate fell by {size} points" in c for c, _ in pages["en"].claims)
    assert any(f"重开率下降 {size} 个百分点" in c for c, _ in pages["zh"].claims)
    lt = ev.evidence("lead_time")
    assert lt.prediction is not None
    assert lt.prediction.predicted is not None
    assert lt.prediction.predicted.mean < 0  # fewer reopens: shorter lead time
    covers = "covers it" if lt.prediction.covers else "does not cover it"
    en = [c for c, _ in pages["en"].claims if "the twin predicted" in c]
    assert len(en) == 1
    assert covers in en[0]
    assert any("孪生模型预测" in c for c, _ in pages["zh"].claims)
    for page in pages.values():
        local = [h for h in page.links if h.startswith("#")]
        assert sorted({h for h in local if h[1:] not in page.ids}) == []
        assert all(link.startswith("#") for _, link in page.claims)


@pytest.mark.slow
def test_report_command_takes_targets_and_projects(tmp_path):
    data = generate_service_desk(cases=1000, seed=7, improve_at="midway")
    assert data.improved_at is not None
    targets, projects, _ = write_improvement_files(
        tmp_path, data.events, data.improved_at
    )
    import pyarrow.parquet as pq

    pq.write_table(data.events, tmp_path / "log.parquet")
    out = tmp_path / "r.html"
    args = ["report", str(tmp_path / "log.parquet"), "-c", str(KPI), "-o", str(out)]
    args += ["--targets", str(targets), "--projects", str(projects), "--json"]
    res = CliRunner().invoke(app, [*args, "--lang", "zh"])
    assert res.exit_code == 0, res.output
    ids = [s["id"] for s in json.loads(res.stdout)["sections"]]
    assert {"improve", "diagnosis"} <= set(ids)
    html = out.read_text(encoding="utf-8")
    assert html.index('id="diagnosis"') < html.index('id="overview"')
    assert "改进项目 P-01" in html
