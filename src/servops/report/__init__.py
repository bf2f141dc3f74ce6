"""The self-contained HTML report (Jinja2; SVG charts and our own JavaScript, no CDN)."""

from __future__ import annotations

from servops.report.builder import ReportContext, Section, build_report, render_report

__all__ = ["ReportContext", "Section", "build_report", "render_report"]
