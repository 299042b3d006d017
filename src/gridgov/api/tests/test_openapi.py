"""The whole API against its own OpenAPI document, with generated requests (schemathesis).

No request may produce a server error, and every response must match the schema the
API publishes for it — the contract hotline systems and mobile apps are built against.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gridgov.accounts.models import ApiToken
from gridgov.accounts.tokens import new_token
from gridgov.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def wsgi_in_test_transaction() -> Iterator[None]:
    """Calling the raw WSGI app fires the request signals, whose handler would close the
    connection that holds the test's transaction; Django's own test client detaches it too."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(territory, make_user, wsgi_in_test_transaction) -> dict[str, str]:
    user = make_user("admin", "411302", username="api-admin")
    raw, prefix, digest = new_token()
    ApiToken.objects.create(user=user, name="schemathesis", prefix=prefix, token_hash=digest)
    return {"Authorization": f"Bearer {raw}"}


def test_openapi_document_is_served(client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert any(path.startswith("/api/v1/") for path in document["paths"])


def generated(max_examples: int) -> settings:
    """Hypothesis settings of a schema test: repeatable, no deadline, no health checks."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )


def assert_honours_schema(case: Any, headers: dict[str, str]) -> None:
    """Call a generated request: no server error, and the answer is as documented."""
    response = case.call(headers=headers)
    assert response.status_code < 500, response.text[:500]
    case.validate_response(
        response,
        checks=[status_code_conformance, content_type_conformance, response_schema_conformance],
    )


@schema.parametrize()
@generated(max_examples=12)
@pytest.mark.django_db
def test_api_honours_its_schema(case, bearer) -> None:
    assert_honours_schema(case, bearer)
