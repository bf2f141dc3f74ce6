"""The demo: a synthetic IT service desk with known problems, and the report built from it."""

from __future__ import annotations

from servops.demo.generator import DemoData, generate_service_desk
from servops.demo.run import DemoResult, run_demo

__all__ = ["DemoData", "DemoResult", "generate_service_desk", "run_demo"]
