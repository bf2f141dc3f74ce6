"""Property tests of the API against its own OpenAPI schema (schemathesis): never a 5xx.

Every operation gets generated requests (valid and invalid) as the admin, who may call
all of them; a server error fails the test with the request that caused it. The default
run is bounded (a few examples per operation); the slow one runs many more.
"""

from __future__ import annotations

import warnings

import pytest
from hypothesis import HealthCheck, given, settings

pytestmark = pytest.mark.filterwarnings(
    "ignore::starlette.exceptions.StarletteDeprecationWarning"
)


def _operations() -> list[tuple[str, str]]:
    from servops.api import ServiceSettings, create_app

    app = create_app(
        ServiceSettings(database_url="postgresql://nobody@127.0.0.1:1/none")
    )
    return sorted(
        (m.upper(), p) for p, ops in app.openapi()["paths"].items() for m in ops
    )


OPERATIONS = _operations()


def _check(world, method: str, path: str, examples: int) -> None:
    import schemathesis

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        schema = schemathesis.openapi.from_asgi("/openapi.json", world.client.app)
    op = schema[path][method]
    auth = world.h("admin")

    @given(case=op.as_strategy())
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        r = case.call(headers=auth)
        assert r.status_code < 500, (
            case.method,
            case.formatted_path,
            case.body,
            r.status_code,
            r.text,
        )
        if r.status_code in (401, 403, 404, 409, 422):
            body = r.json()
            assert set(body) >= {"type", "detail"}, body

    run()


@pytest.mark.parametrize(
    ("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS]
)
def test_no_server_errors(world, method: str, path: str) -> None:
    _check(world, method, path, examples=8)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS]
)
def test_no_server_errors_long(world, method: str, path: str) -> None:
    _check(world, method, path, examples=150)
