"""The YAML config: parsing, defaults, and errors that say what the log has instead."""

from __future__ import annotations

from pathlib import Path

import pytest

import servops as so
from servops.errors import ConfigError
from servops.kpi import load_config
from servops.kpi.config import config_from_dict
from tests.paths import shared_log
from tests.unit.kpi.conftest import make_log

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "src" / "servops" / "demo" / "kpi.yaml"
EXAMPLE = ROOT / "docs" / "examples" / "kpi.yaml"


def test_demo_config_loads_and_matches_the_demo_names(synth_log):
    cfg = load_config(DEMO, synth_log)
    assert cfg.first_response == ("First response",)
    assert cfg.pauses[0].start == ("Waiting for customer",)
    assert cfg.pauses[0].end == ("Customer replied",)
    assert [p.name for p in cfg.policies] == ["VIP", "P1", "P2", "P3", "P4"]
    assert cfg.policies[0].first_response_s == 2 * 3600
    assert cfg.policies[0].resolution_s == 16 * 3600
    assert cfg.policies[0].calendar.timezone == "UTC"  # the demo desk works in UTC
    assert not cfg.policies[1].calendar.is_always_open
    assert cfg.timezone == "UTC"


def test_example_config_fits_the_helpdesk_log():
    log = so.read_log(shared_log("helpdesk.xes.gz"))
    cfg = load_config(EXAMPLE, log)
    assert cfg.resolved == ("Resolve ticket",)
    assert cfg.calendars[0].weekly_seconds == 5 * 8.5 * 3600


def test_unknown_activity_lists_the_logs_activities(tmp_path, tiny_log):
    p = tmp_path / "k.yaml"
    p.write_text("activities:\n  resolved: Solved\n")
    with pytest.raises(ConfigError, match=r"'Solved' not in the log") as info:
        load_config(p, tiny_log)
    for act in ("Register", "Triage", "Resolve", "Close", "Escalate"):
        assert repr(act) in str(info.value)
    assert str(p) in str(info.value)


def test_unknown_attribute_in_policy(tmp_path, tiny_log):
    p = tmp_path / "k.yaml"
    p.write_text("sla:\n  - {name: a, when: {prio: high}, resolution: 1h}\n")
    with pytest.raises(
        ConfigError, match=r"\['prio'\].*attributes: \['channel', 'priority'\]"
    ):
        load_config(p, tiny_log)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"activites": {}}, r"unknown key\(s\) \['activites'\]"),
        ({"activities": {"resolve": "x"}}, r"unknown key\(s\) \['resolve'\]"),
        ({"activities": {"closed": {"a": 1}}}, "expected an activity name"),
        ({"pauses": [{"end": "x"}]}, "'start'.*is required"),
        ({"pauses": "Wait"}, "must be a list"),
        ({"sla": [{"name": "a"}]}, "give a 'first_response' or a 'resolution'"),
        ({"sla": [{"resolution": "soon"}]}, "not a duration"),
        ({"sla": [{"resolution": "8"}]}, "not a duration"),
        ({"sla": [{"resolution": "0h"}]}, "longer than zero"),
        (
            {"sla": [{"resolution": "8h", "calendar": "office"}]},
            "calendar 'office' is not",
        ),
        (
            {
                "calendars": {"o": {"hours": {"mon": "08:00-18:00"}}},
                "sla": [{"resolution": "3d", "calendar": "o"}],
            },
            "uses days on a business",
        ),
        (
            {
                "sla": [
                    {"name": "a", "resolution": "1h"},
                    {"name": "a", "resolution": "2h"},
                ]
            },
            "unique",
        ),
        ({"timezone": "Europe/Atlantis"}, "unknown time zone"),
        ({"fcr": {"max_handovers": -1}}, "whole number"),
        ({"causes": {"long_lead_time_quantile": 1.5}}, r"in \(0, 1\)"),
        ({"calendars": {"24x7": {"hours": {"mon": "08:00-18:00"}}}}, "reserved"),
    ],
)
def test_bad_configs(data, match):
    with pytest.raises(ConfigError, match=match):
        config_from_dict(data, source="k.yaml")


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")
    p = tmp_path / "bad.yaml"
    p.write_text("activities: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(p)


def test_default_guesses_ticket_names_and_says_so(synth_log):
    cfg = load_config(None, synth_log)
    assert cfg.first_response == ("First response",)
    assert cfg.resolved == ("Resolved",)
    assert cfg.closed == ("Closed",)
    assert cfg.reopened == ("Reopened",)
    assert cfg.pauses[0].start == ("Waiting for customer",)
    assert cfg.pauses[0].end == ("Customer replied",)
    assert cfg.ignore_resources == ("system",)
    assert any("guessed resolved" in n for n in cfg.notes)


def test_default_without_close_activity_says_so():
    log = make_log(
        [("a", "Start", "2024-01-08 09:00", "x"), ("a", "End", "2024-01-08 10:00", "x")]
    )
    cfg = load_config(None, log)
    assert cfg.closed == ()
    assert any("closed at its last event" in n for n in cfg.notes)


def test_default_guess_on_helpdesk_and_bpic2013():
    hd = load_config(None, so.read_log(shared_log("helpdesk.xes.gz")))
    assert hd.first_response == ("Take in charge ticket",)
    assert hd.closed == ("Closed",)
    bp = load_config(
        None,
        so.read_log(
            shared_log("bpic2013_incidents.xes.gz"),
            columns=so.ColumnMap(activity="concept:name+lifecycle:transition"),
        ),
    )
    assert bp.resolved == ("Completed+Resolved",)
    assert bp.closed == ("Completed+Closed",)
    assert "Accepted+Wait - User" in bp.pauses[0].start
    assert bp.pauses[0].end == ()  # a state: until the next event


def test_config_round_trips_to_dict():
    cfg = load_config(DEMO)
    d = cfg.to_dict()
    assert d["sla"][0] == {
        "name": "VIP",
        "when": {"segment": ["VIP"]},
        "first_response_s": 7200.0,
        "resolution_s": 57600.0,
        "calendar": "office",
    }
    assert d["calendars"][0]["hours"]["mon"] == ["08:00-18:00"]
