"""A/B experiment parsing and arms (no database)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servops.errors import ConfigError
from servops.service.experiments import Experiment, arm
from servops.service.routing import RoutingConfig, TicketFacts

SALT = "s" * 16


def test_arm_is_the_keyed_hash_below_the_share() -> None:
    # HMAC-SHA-256(key "s"*16, "x\0T-000001") -> first 8 bytes / 2**64 = 0.58057 (by hand,
    # with hmac); T-000002 -> 0.32053
    assert arm(Experiment("x", 0.58, SALT), "T-000001") == "A"
    assert arm(Experiment("x", 0.59, SALT), "T-000001") == "B"
    assert arm(Experiment("x", 0.32, SALT), "T-000002") == "A"
    assert arm(Experiment("x", 0.33, SALT), "T-000002") == "B"
    # another salt or name gives another draw
    other = [arm(Experiment("x", 0.5, "t" * 16), f"T-{i}") for i in range(64)]
    mine = [arm(Experiment("x", 0.5, SALT), f"T-{i}") for i in range(64)]
    assert other != mine


@given(st.text(min_size=1, max_size=20))
def test_share_0_and_1_are_all_a_and_all_b(number: str) -> None:
    assert arm(Experiment("x", 0.0, SALT), number) == "A"
    assert arm(Experiment("x", 1.0, SALT), number) == "B"


def test_parse_window_and_when() -> None:
    text = (
        "experiments:\n"
        f"  - {{name: t, share: 0.5, salt: {SALT}, when: {{channel: web}},\n"
        "      start: 2026-12-01, end: '2027-01-01T00:00:00+01:00'}\n"
    )
    (e,) = RoutingConfig.from_yaml(text).experiments
    assert e.attribute == "ab_t"
    assert e.start == datetime(2026, 12, 1, tzinfo=UTC)
    assert not e.active(datetime(2026, 11, 30, 23, 59, tzinfo=UTC))
    assert e.active(datetime(2026, 12, 1, tzinfo=UTC))
    assert not e.active(datetime(2026, 12, 31, 23, 0, tzinfo=UTC))  # = end, exclusive
    assert e.matches(TicketFacts(channel="web"))
    assert not e.matches(TicketFacts(channel="email"))
    assert RoutingConfig.from_yaml("strategy: least_loaded\n").experiments == ()


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (
            f"{{name: t, share: 1.5, salt: {SALT}}}",
            "experiments[0] (t).share (config, line 3)",
        ),
        (f"{{name: t, share: true, salt: {SALT}}}", "share"),
        (
            "{name: t, share: 0.5, salt: short}",
            "experiments[0] (t).salt (config, line 3)",
        ),
        (f"{{name: ab-x, share: 0.5, salt: {SALT}}}", "experiments[0].name"),
        (
            f"{{name: t, share: 0.5, salt: {SALT}, colour: red}}",
            "unknown keys ['colour']",
        ),
        (
            f"{{name: t, share: 0.5, salt: {SALT}, when: {{team: [a]}}}}",
            "unknown condition",
        ),
        (
            f"{{name: t, share: 0.5, salt: {SALT}, start: 2027-01-01, end: 2026-01-01}}",
            "is not after the start",
        ),
    ],
)
def test_bad_experiments_name_key_and_line(body: str, needle: str) -> None:
    with pytest.raises(ConfigError) as info:
        RoutingConfig.from_yaml(f"strategy: least_loaded\nexperiments:\n  - {body}\n")
    assert needle in str(info.value)


def test_duplicate_name_is_refused() -> None:
    text = f"experiments:\n  - {{name: t, share: 0.1, salt: {SALT}}}\n  - {{name: t, share: 0.2, salt: {SALT}}}\n"
    with pytest.raises(ConfigError, match="defined twice"):
        RoutingConfig.from_yaml(text)
