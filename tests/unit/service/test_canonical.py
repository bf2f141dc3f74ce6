"""The chain hash survives PostgreSQL's jsonb: what is hashed is what comes back."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servops.errors import InvalidParameterError
from servops.service.audit import canonical_payload, event_hash
from tests.pg import connect

T = datetime(2026, 1, 5, 9, 30, 0, 123456, tzinfo=UTC)

TEXT = st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"])
KEYS = st.text(alphabet=TEXT, max_size=8)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=TEXT)
)
payloads = st.dictionaries(
    KEYS,
    st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4)
        ),
        max_leaves=12,
    ),
    max_size=6,
)


def _hash(payload):
    return event_hash(
        "",
        ticket="T-1",
        seq=1,
        occurred_at=T,
        activity="x",
        resource=None,
        actor_id=None,
        role="system",
        lifecycle="complete",
        payload=payload,
    )


@pytest.fixture(scope="module")
def con(pg_url):
    with connect(pg_url) as c:
        yield c


@pytest.mark.property
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(payload=payloads)
def test_the_hash_of_a_payload_survives_jsonb(con, payload):
    stored = canonical_payload(payload)
    ((back,),) = con.run("SELECT CAST(:p AS jsonb)", p=json.dumps(stored))
    assert _hash(back) == _hash(stored)


def test_what_jsonb_changes_is_normalised_before_hashing(con):
    stored = canonical_payload(
        {
            "big": 1e20,
            "when": T,
            "n": 2.0,
            "tiny": 1.5e-7,
            "z": -0.0,
            "max": 1.7976931348623157e308,
        }
    )
    assert stored["big"] == 10**20 and isinstance(stored["big"], int)
    assert stored["max"] == 17976931348623157 * 10**292
    assert (stored["when"], stored["n"], stored["tiny"]) == (T.isoformat(), 2.0, 1.5e-7)
    assert repr(stored["z"]) == "0.0"
    ((back,),) = con.run("SELECT CAST(:p AS jsonb)", p=json.dumps(stored))
    assert _hash(back) == _hash(stored)


def test_values_jsonb_cannot_hold_are_refused():
    with pytest.raises(
        InvalidParameterError, match=r"payload\.x: nan is not a JSON number"
    ):
        canonical_payload({"x": float("nan")})
    with pytest.raises(InvalidParameterError, match="set is not JSON"):
        canonical_payload({"s": {1}})
    with pytest.raises(InvalidParameterError, match="NUL"):
        canonical_payload({"a\x00": 1})
    with pytest.raises(InvalidParameterError, match="not valid Unicode"):
        canonical_payload({"a": ["\ud800"]})
