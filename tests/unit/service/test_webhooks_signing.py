"""Webhook signatures and backoff, checked against the hmac module and by hand."""

from __future__ import annotations

import hashlib
import hmac
import itertools
from datetime import timedelta

from servops.service.webhooks import backoff, sign, verify_signature


def test_signature_is_hmac_sha256_of_the_body() -> None:
    body = b'{"event_id":1}'
    expected = hmac.new(b"secret-123", body, hashlib.sha256).hexdigest()
    assert sign("secret-123", body) == f"sha256={expected}"
    assert verify_signature("secret-123", body, f"sha256={expected}")
    assert not verify_signature("secret-124", body, f"sha256={expected}")
    assert not verify_signature("secret-123", body + b" ", f"sha256={expected}")


def test_backoff_doubles_and_is_capped() -> None:
    got = [backoff(n) for n in range(1, 12)]
    assert got[:4] == [timedelta(seconds=s) for s in (10, 20, 40, 80)]
    assert max(got) == timedelta(hours=1)
    assert all(a <= b for a, b in itertools.pairwise(got))
