"""The one YAML loader: every config error names the file, the line and the key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from servops._yaml import load_yaml, parse_yaml
from servops.blueprint import load_blueprint
from servops.errors import ConfigError
from servops.kpi import load_config
from servops.sim import load_model
from servops.sim.scenario import load_scenario
from servops.staffing import read_shift_templates

ROOT = Path(__file__).resolve().parents[2]


def test_lines_of_key_paths():
    doc = parse_yaml("a: 1\nb:\n  - x: 2\n    y: [3, 4]\n", "f.yaml")
    assert doc.lines[("a",)] == 1
    assert doc.lines[("b", 0, "x")] == 3
    assert doc.lines[("b", 0, "y", 1)] == 4
    assert doc.line(("b", 0, "nope")) == 3  # nearest ancestor
    assert doc.where(("b", 0, "y")) == "b[0].y (f.yaml, line 4)"
    assert doc.where(()) == "(top level) (f.yaml, line 1)"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("f.yaml: b[0].x: bad", "b[0].x (f.yaml, line 3): bad"),
        (
            "b[0] (named).y must be a number",
            "b[0] (named).y (f.yaml, line 4) must be a number",
        ),
        ("'f.yaml': b: bad", "b (f.yaml, line 2): bad"),
        ("f.yaml: nothing here", "f.yaml: nothing here"),
        ("no key at all", "f.yaml: no key at all"),
    ],
)
def test_locate(message, expected):
    doc = parse_yaml("a: 1\nb:\n  - x: 2\n    y: [3, 4]\n", "f.yaml")
    assert str(doc.locate(ConfigError(message))) == expected


def test_syntax_error_has_the_line(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("a: 1\nb: [unclosed\nc: 2\n")
    with pytest.raises(
        ConfigError, match=r"model .*bad\.yaml, line \d: not valid YAML"
    ):
        load_yaml(p, what="model")
    with pytest.raises(ConfigError, match="does not exist"):
        load_yaml(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="is a folder"):
        load_yaml(tmp_path)


def _fails(load, path, key, line):
    with pytest.raises(ConfigError) as info:
        load(path)
    text = str(info.value)
    assert text.startswith(key), text
    assert f"({path}, line {line})" in text, text


def test_every_config_names_file_line_and_key(tmp_path):
    kpi = tmp_path / "kpi.yaml"
    kpi.write_text("sla:\n  - name: std\n    first_response: 1h\n    resolution: 8\n")
    _fails(load_config, kpi, "sla[0] (std).resolution", 4)

    mmc = (ROOT / "docs" / "examples" / "mmc.yaml").read_text()
    model = tmp_path / "model.yaml"
    model.write_text(mmc.replace("size: 10", "size: -1"))
    line = 1 + mmc.splitlines().index("    size: 10")
    _fails(load_model, model, "pools.agents.size", line)

    scen = tmp_path / "scenario.yaml"
    scen.write_text("edits:\n  - arrivals: {factor: 1.1}\n  - hire: {pool: a}\n")
    _fails(load_scenario, scen, "edits[1]", 3)

    shifts = tmp_path / "shifts.yaml"
    shifts.write_text(
        "shifts:\n  - name: early\n    length: 8 hrs\n    starts: ['26:00']\n"
    )
    _fails(read_shift_templates, shifts, "shifts[0] (early).starts", 4)
    shifts.write_text(
        "shifts:\n  - name: early\n    length: soon\n    starts: ['06:00']\n"
    )
    _fails(read_shift_templates, shifts, "shifts[0] (early).length", 3)

    bp = tmp_path / "bp.yaml"
    bp.write_text("name: x\nsteps:\n  - {id: a, name: A, lane: kitchen}\nflow: []\n")
    with pytest.raises(ConfigError, match=re.escape(f"steps[0].lane ({bp}, line 3)")):
        load_blueprint(bp)


def test_service_configs_use_the_same_loader(tmp_path):
    from servops.service.escalation import load_escalation
    from servops.service.routing import RoutingConfig

    p = tmp_path / "esc.yaml"
    p.write_text("warn_at: 0.8\nrules: [unclosed\n")
    with pytest.raises(
        ConfigError, match=r"escalation rules .*esc\.yaml, line \d+: not valid"
    ):
        load_escalation(p)
    with pytest.raises(ConfigError, match="does not exist"):
        load_escalation(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="routing config, line 2: not valid YAML"):
        RoutingConfig.from_yaml("strategy: [x\n")


def test_shift_numbers_are_checked(tmp_path):
    shifts = tmp_path / "shifts.yaml"
    shifts.write_text(
        "shifts:\n  - name: early\n    length: 8h\n    starts: ['06:00']\n"
        "    cost: cheap\n"
    )
    _fails(read_shift_templates, shifts, "shifts[0] (early).cost", 5)
    shifts.write_text(
        "shifts:\n  - name: early\n    length: 8h\n    starts: ['06:00']\n"
        "    max_shifts: 2.5\n"
    )
    _fails(read_shift_templates, shifts, "shifts[0] (early).max_shifts", 5)
