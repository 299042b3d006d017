"""Who may reach what: every territory page and endpoint, for anonymous callers, a citizen,
the staff of the neighbouring township and the township's own staff. Refusals change nothing.
"""

from __future__ import annotations

import pytest

from gridgov.territory.tests.conftest import box, client_for, snapshot

# The township under test, one of its communities and one of its grids.
TARGETS = ["411302001", "411302001001", "411302001001001"]
PAGES = ["/territory/{code}/", "/territory/{code}/?q=1&page=2"]
API_READS = [
    "/api/v1/territory/regions/{code}",
    "/api/v1/territory/regions/{code}/children",
    "/api/v1/territory/regions/{code}/children.geojson",
    "/api/v1/territory/regions/{code}/boundary.geojson",
    "/api/v1/territory/regions/{code}/grids.geojson",
]
INSIDE_POINT = {"lon": 112.41, "lat": 33.09}  # in grid 411302001001001


@pytest.fixture
def people(territory, make_user, citizen, sibling_staff, township_staff) -> dict:
    return {
        "anonymous": None,
        "citizen": citizen,
        "sibling": sibling_staff,
        "own": township_staff,
    }


@pytest.mark.parametrize("code", TARGETS)
@pytest.mark.parametrize("url", PAGES)
def test_pages(people, territory, code, url) -> None:
    url = url.format(code=code)
    anonymous = client_for(None).get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    assert client_for(people["citizen"]).get(url).status_code in (403, 404)
    sibling = client_for(people["sibling"]).get(url)
    assert sibling.status_code == 404
    assert territory[code].name not in sibling.content.decode()  # the 404 tells nothing
    assert client_for(people["own"]).get(url).status_code == 200


@pytest.mark.parametrize("code", TARGETS)
@pytest.mark.parametrize("url", API_READS)
def test_api_reads(people, code, url) -> None:
    url = url.format(code=code)
    assert client_for(None).get(url).status_code == 401
    assert client_for(people["citizen"]).get(url).status_code in (403, 404)
    sibling = client_for(people["sibling"]).get(url)
    assert sibling.status_code == 404
    assert sibling.json()["code"] == "not_found"
    assert client_for(people["own"]).get(url).status_code == 200


def test_guessed_and_malformed_codes_are_plain_404s(people) -> None:
    own = client_for(people["own"])
    for code in ["411302001009", "411302001001999", "4113020010019999", "abc", "411302001%00"]:
        assert own.get(f"/territory/{code}/").status_code == 404
        assert own.get(f"/api/v1/territory/regions/{code}").status_code == 404


def test_the_region_list_and_browse(people) -> None:
    assert client_for(None).get("/api/v1/territory/regions").status_code == 401
    assert client_for(people["citizen"]).get("/api/v1/territory/regions").json()["count"] == 0
    sibling = client_for(people["sibling"]).get("/api/v1/territory/regions").json()
    assert [r["code"] for r in sibling["items"]] == ["411302002"]
    assert client_for(None).get("/territory/").status_code == 302
    assert client_for(people["citizen"]).get("/territory/").status_code == 403
    assert client_for(people["sibling"]).get("/territory/")["Location"] == "/territory/411302002/"


def test_locate(people) -> None:
    url = "/api/v1/territory/locate"
    assert client_for(None).get(url, INSIDE_POINT).status_code == 401
    assert client_for(people["citizen"]).get(url, INSIDE_POINT).status_code == 404
    sibling = client_for(people["sibling"]).get(url, INSIDE_POINT)
    assert (sibling.status_code, sibling.json()["code"]) == (404, "outside_territory")
    assert client_for(people["own"]).get(url, INSIDE_POINT).json()["grid_code"] == TARGETS[2]


@pytest.mark.parametrize("who", ["citizen", "sibling", "own"])
def test_writes_are_refused_and_change_nothing(people, who) -> None:
    client = client_for(people[who])
    before = snapshot()
    answers = [
        client.post(
            "/api/v1/territory/regions",
            {"code": "411302001003", "name": "x"},
            content_type="application/json",
        ),
        client.patch(
            "/api/v1/territory/regions/411302001001",
            {"name": "x", "geometry": box(112.4, 33.0, 112.41, 33.01)},
            content_type="application/json",
        ),
        client.delete("/api/v1/territory/regions/411302001001001"),
        client.post(
            "/api/v1/territory/import",
            {"type": "FeatureCollection", "features": []},
            content_type="application/json",
        ),
    ]
    expected = {"citizen": {403, 404}, "sibling": {403, 404}, "own": {403}}[who]
    assert {a.status_code for a in answers} <= expected
    assert snapshot() == before
