"""Every list endpoint pages the same way: page and page_size out of range are brought
into it (core.paging.clamp), never refused; only a value that is not a number is."""

from __future__ import annotations

import pytest
from django.test import Client

from gridgov.core.paging import DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE

LISTS = [
    "/api/v1/territory/regions",
    "/api/v1/territory/regions/411302/children",
    "/api/v1/registry/people",
    "/api/v1/registry/households",
    "/api/v1/registry/buildings",
    "/api/v1/users",
    "/api/v1/audit/events",
]


@pytest.fixture
def api(territory, make_user) -> Client:
    """An administrator who is also township staff: every list above is open to them."""
    user = make_user("admin", "411302", extra=[("township_staff", "411302001")])
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize(
    ("asked", "served"),
    [
        ({"page_size": MAX_PAGE_SIZE + 1}, (1, MAX_PAGE_SIZE)),
        ({"page_size": 0}, (1, 1)),
        ({"page_size": -3, "page": 0}, (1, 1)),
        ({"page": "99999999999999999999"}, (MAX_PAGE, DEFAULT_PAGE_SIZE)),
        ({}, (1, DEFAULT_PAGE_SIZE)),
    ],
)
def test_paging_out_of_range_is_clamped(api, url, asked, served) -> None:
    response = api.get(url, asked)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["page"], body["page_size"]) == served


@pytest.mark.parametrize("url", LISTS)
def test_paging_that_is_not_a_number_is_refused_naming_the_field(api, url) -> None:
    response = api.get(url, {"page_size": "many"})
    assert response.status_code == 422
    assert list(response.json()["details"]["fields"]) == ["page_size"]
