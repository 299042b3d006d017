"""The registry endpoints against their OpenAPI document, called by someone who may use
them: community staff (view, edit, reveal, import, export) over a community with people.

The project-wide schema test (api/tests/test_openapi.py) calls as a county administrator,
who holds only registry.aggregate, so most registry answers it sees are 403s; here the
generated requests reach the successful paths too — no 5xx, every answer as documented.
"""

from __future__ import annotations

from typing import Any

import pytest

from gridgov.accounts.models import ApiToken
from gridgov.accounts.tokens import new_token
from gridgov.api.tests.test_openapi import (
    assert_honours_schema,
    generated,
    schema,
    wsgi_in_test_transaction,
)
from gridgov.registry.tests.web_fixtures import Register

__all__ = ["wsgi_in_test_transaction"]

registry_schema = schema.include(path_regex="^/api/v1/registry/")


@pytest.fixture
def staff_bearer(register: Register, wsgi_in_test_transaction: Any) -> dict[str, str]:
    raw, prefix, digest = new_token()
    ApiToken.objects.create(
        user=register.community, name="schema", prefix=prefix, token_hash=digest
    )
    return {"Authorization": f"Bearer {raw}"}


@registry_schema.parametrize()
@generated(max_examples=15)
@pytest.mark.django_db
def test_registry_api_honours_its_schema(case: Any, staff_bearer: dict[str, str]) -> None:
    assert_honours_schema(case, staff_bearer)
