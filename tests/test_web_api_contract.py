"""Contract tests: the live JSON API against its own OpenAPI description (schemathesis).

schemathesis generates requests from ``/api/openapi.json`` (valid values of every
parameter, article ids, cursors) and checks each response: no server error, a documented
status code and content type, and a body that validates against the response schema.
Bounded: a fixed number of examples per operation, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.webserver import site_for

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def api_schema(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """The OpenAPI description loaded from a running site."""
    tmp = tmp_path_factory.mktemp(f"api-{request.param}")
    with site_for(request.param, request, tmp) as (base, _):
        yield schemathesis.openapi.from_url(base + "/api/openapi.json")


def test_api_conforms_to_its_openapi_description(api_schema: Any) -> None:
    # schemathesis' own pytest plugin does not run under this pytest, so each operation's
    # strategy is driven by hypothesis here; the checks are schemathesis' own.
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) == 4
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=30,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            derandomize=True,
        )
        def check(case: Any) -> None:
            case.call_and_validate(checks=CHECKS)

        check()


def test_described_paths_are_the_served_ones(api_schema: Any) -> None:
    raw = api_schema.raw_schema
    assert set(raw["paths"]) == {
        "/api/articles",
        "/api/articles/{article_id}",
        "/api/topics",
        "/api/sources",
    }
    base = api_schema.get_base_url().rstrip("/")
    for path in ("/api/articles", "/api/topics", "/api/sources", "/api/articles/1"):
        assert httpx.get(base + path, timeout=30).status_code == 200
    assert raw["paths"]["/api/articles"]["get"]["parameters"][0]["schema"]["enum"] == [
        "kuril",
        "peace_treaty",
    ]
