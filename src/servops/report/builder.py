"""Assemble the HTML report from sections.

Each concern contributes one module in :mod:`servops.report.sections` with a function
``build(ctx: ReportContext) -> Section | None`` (``None`` when it has nothing to say for
this log). The builder calls them in the order of :data:`SECTION_MODULES` and writes one
HTML file with everything inline: CSS, SVG, and JavaScript — no network at view time.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

if TYPE_CHECKING:
    from collections.abc import Mapping

    from servops._typing import PathLike
    from servops.log import EventLog

__all__ = [
    "SECTION_MODULES",
    "ReportContext",
    "Section",
    "build_report",
    "build_sections",
    "render_report",
    "render_sections",
]

#: Section modules, in report order.
SECTION_MODULES: tuple[str, ...] = (
    # map: what the process is and where the time goes
    "servops.report.sections.overview",
    "servops.report.sections.process",
    "servops.report.sections.blueprint",
    # measure and monitor
    "servops.report.sections.kpi",
    "servops.report.sections.spc",
    # customers
    "servops.report.sections.feedback",
    "servops.report.sections.scorecard",
    # simulate and improve
    "servops.report.sections.twin",
    "servops.report.sections.staffing",
    "servops.report.sections.improve",
    # built last from the others' results, shown first (``Section.lead``)
    "servops.report.sections.diagnosis",
)

Lang = Literal["en", "zh"]


@dataclass(frozen=True, slots=True)
class Section:
    """One report section: an anchor id, a title and its HTML body (trusted markup).

    A ``lead`` section is shown before the others whatever its place in the build
    order (the diagnosis narrative is built last, from the other sections' results).
    """

    id: str
    title: str
    html: str
    summary: str = ""
    lead: bool = False


@dataclass
class ReportContext:
    """What sections get: the log, the language and optional inputs (``extras``).

    ``extras`` carries inputs beyond the log that some sections use, such as
    ``"feedback"`` (a feedback table), ``"blueprint"`` (a blueprint path), ``"sim_model"``
    or ``"kpi_config"``; a section whose input is absent returns ``None``.
    """

    log: EventLog
    lang: Lang = "en"
    title: str = "Service report"
    extras: Mapping[str, Any] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict)

    def t(self, en: str, zh: str) -> str:
        """The text in the report's language."""
        return zh if self.lang == "zh" else en


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("servops.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def build_sections(
    ctx: ReportContext, modules: tuple[str, ...] = SECTION_MODULES
) -> list[Section]:
    """Build the sections that have something to say for ``ctx``, in build order.

    The ids of the sections built so far are kept in ``ctx.cache["section_ids"]``, so
    that a later section links only to sections the report has.
    """
    sections: list[Section] = []
    built = ctx.cache.setdefault("section_ids", [])
    for name in modules:
        section = importlib.import_module(name).build(ctx)
        if section is not None:
            sections.append(section)
            built.append(section.id)
    return sections


def render_sections(ctx: ReportContext, sections: list[Section]) -> str:
    """Return the report HTML with ``sections`` (``lead`` sections first)."""
    template = _env().get_template("report.html.j2")
    sections = [s for s in sections if s.lead] + [s for s in sections if not s.lead]
    return template.render(
        title=ctx.title,
        lang=ctx.lang,
        t=ctx.t,
        sections=[
            {"id": s.id, "title": s.title, "html": Markup(s.html), "summary": s.summary}
            for s in sections
        ],
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        source=ctx.log.label,
    )


def render_report(
    ctx: ReportContext, modules: tuple[str, ...] = SECTION_MODULES
) -> str:
    """Build every section and return the report HTML."""
    return render_sections(ctx, build_sections(ctx, modules))


def build_report(
    log: EventLog,
    path: PathLike = "servops-report.html",
    *,
    lang: Lang = "en",
    title: str | None = None,
    extras: Mapping[str, Any] | None = None,
) -> Path:
    """Write the HTML report for ``log`` to ``path`` and return the path."""
    ctx = ReportContext(
        log=log,
        lang=lang,
        title=title or ("服务运营报告" if lang == "zh" else "Service report"),
        extras=extras or {},
    )
    out = Path(path)
    out.write_text(render_report(ctx), encoding="utf-8")
    return out
