"""The territory API: regions, children, GeoJSON, create and update."""

from __future__ import annotations

from gridgov.territory import queries
from gridgov.territory.models import Region
from gridgov.territory.tests.conftest import box, client_for, snapshot

API = "/api/v1/territory"


def test_roots_are_where_the_scope_starts(territory, township_staff, make_user) -> None:
    body = client_for(township_staff).get(f"{API}/regions").json()
    assert [r["code"] for r in body["items"]] == ["411302001"]
    assert body["count"] == 1
    both = make_user("leader", "411302001", extra=[("leader", "411303")])
    codes = [r["code"] for r in client_for(both).get(f"{API}/regions").json()["items"]]
    assert codes == ["411302001", "411303"]


def test_region_detail_has_path_counts_area_and_bbox(
    territory, township_staff, django_assert_max_num_queries
) -> None:
    client = client_for(township_staff)
    client.get(f"{API}/regions")  # the session is loaded once
    with django_assert_max_num_queries(9):  # session (4, saved every request) + 5
        response = client.get(f"{API}/regions/411302001")
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["level"], body["kind"], body["parent_code"]) == (
        "东关街道",
        4,
        "street",
        "411302",
    )
    # Ancestors' names are shown even though the township's staff cannot open them.
    assert [(p["code"], p["name"]) for p in body["path"]] == [
        ("4113", "南阳市"),
        ("411302", "宛城区"),
    ]
    assert {c["level"]: c["count"] for c in body["child_counts"]} == {5: 2, 6: 8}
    assert body["bbox"] == [112.40, 33.00, 112.50, 33.10]
    assert 100e6 < body["area_m2"] < 105e6
    assert body["url"] == "/territory/411302001/"
    assert body["can_edit"] is False


def test_child_counts_per_level(territory) -> None:
    assert queries.child_counts(territory["4113"]) == {3: 2, 4: 3, 5: 4, 6: 16}
    assert queries.child_counts(territory["411302"]) == {4: 2, 5: 3, 6: 12}
    assert queries.child_counts(territory["411302001001001"]) == {}


def test_children_are_paged_and_searchable(
    territory, township_staff, django_assert_max_num_queries
) -> None:
    client = client_for(township_staff)
    client.get(f"{API}/regions")
    with django_assert_max_num_queries(9):  # session (4, saved every request) + 5
        body = client.get(f"{API}/regions/411302001/children?page_size=1").json()
    assert (body["count"], body["pages"]) == (2, 2)
    assert body["items"][0]["code"] == "411302001001"
    by_name = client.get(f"{API}/regions/411302001/children?q=市场").json()
    assert [r["code"] for r in by_name["items"]] == ["411302001002"]
    by_code = client.get(f"{API}/regions/411302001001/children?q=411302001001003").json()
    assert [r["code"] for r in by_code["items"]] == ["411302001001003"]


def test_children_geojson_features_and_bbox_filter(territory, township_staff) -> None:
    client = client_for(township_staff)
    body = client.get(f"{API}/regions/411302001/children.geojson").json()
    assert body["type"] == "FeatureCollection"
    props = [f["properties"] for f in body["features"]]
    assert [p["code"] for p in props] == ["411302001001", "411302001002"]
    assert props[0] == {
        "code": "411302001001",
        "name": "河街社区",
        "level": 5,
        "kind": "community",
        "url": "/territory/411302001001/",
        "label": "河街社区",
    }
    assert body["features"][0]["geometry"]["type"] == "MultiPolygon"
    east = client.get(f"{API}/regions/411302001/children.geojson?bbox=112.46,33.0,112.49,33.1")
    assert [f["id"] for f in east.json()["features"]] == ["411302001002"]
    bad = client.get(f"{API}/regions/411302001/children.geojson?bbox=1,2,3")
    assert bad.status_code == 422
    assert "bbox" in bad.json()["details"]["fields"]


def test_grids_are_labelled_by_what_sets_them_apart(territory, township_staff) -> None:
    client = client_for(township_staff)
    body = client.get(f"{API}/regions/411302001001/children.geojson").json()
    labels = [f["properties"]["label"] for f in body["features"]]
    assert labels == ["第1网格", "第2网格", "第3网格", "第4网格"]
    assert body["features"][0]["properties"]["name"] == "河街社区第1网格"


def test_boundary_geojson_is_the_region_itself(territory, township_staff) -> None:
    body = client_for(township_staff).get(f"{API}/regions/411302001/boundary.geojson").json()
    assert [f["id"] for f in body["features"]] == ["411302001"]


def test_grids_geojson_with_bbox_and_limit(territory, county_admin) -> None:
    client = client_for(county_admin)
    body = client.get(f"{API}/regions/411302/grids.geojson").json()
    assert len(body["features"]) == 12
    assert {f["properties"]["kind"] for f in body["features"]} == {"grid"}
    # The north-west quadrant of 河街社区 only (a bbox strictly inside it).
    nw = client.get(f"{API}/regions/411302/grids.geojson?bbox=112.401,33.051,112.42,33.09").json()
    assert [f["id"] for f in nw["features"]] == ["411302001001001"]
    refused = client.get(f"{API}/regions/411302/grids.geojson?limit=5")
    assert refused.status_code == 422
    assert refused.json()["code"] == "too_many_features"
    assert "bbox" in refused.json()["message"]


def test_create_and_update_through_the_api(territory, county_admin) -> None:
    client = client_for(county_admin)
    created = client.post(
        f"{API}/regions",
        {"code": "411302001003", "name": "新社区", "geometry": box(112.40, 33.0, 112.41, 33.01)},
        content_type="application/json",
    )
    assert created.status_code == 201
    assert created.json()["kind"] == "community"
    assert created.json()["can_edit"] is True
    renamed = client.patch(
        f"{API}/regions/411302001003",
        {"name": "新建社区", "version": 1},
        content_type="application/json",
    )
    assert renamed.status_code == 200
    assert renamed.json()["version"] == 2
    stale = client.patch(
        f"{API}/regions/411302001003", {"name": "x", "version": 1}, content_type="application/json"
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "conflict"
    bad = client.post(
        f"{API}/regions",
        {"code": "411302001004", "name": "x", "geometry": {"type": "Polygon", "coordinates": []}},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert "geometry" in bad.json()["details"]["fields"]
    deleted = client.delete(f"{API}/regions/411302001003")
    assert deleted.status_code == 204
    assert not Region.objects.filter(code="411302001003").exists()


def test_changes_refused_for_wrong_role_and_scope(
    territory, township_staff, sibling_staff, county_admin
) -> None:
    before = snapshot()
    new = {"code": "411302001003", "name": "x"}
    assert (
        client_for(township_staff)
        .post(f"{API}/regions", new, content_type="application/json")
        .status_code
        == 403
    )
    assert (
        client_for(sibling_staff)
        .patch(f"{API}/regions/411302001", {"name": "y"}, content_type="application/json")
        .status_code
        == 404
    )
    assert (
        client_for(county_admin)
        .patch(f"{API}/regions/411303001", {"name": "y"}, content_type="application/json")
        .status_code
        == 404
    )
    assert client_for(county_admin).delete(f"{API}/regions/411303001001001").status_code == 404
    assert (
        client_for(None).post(f"{API}/regions", new, content_type="application/json").status_code
        == 401
    )
    assert snapshot() == before


def test_hostile_input_gets_clear_errors_not_server_errors(territory, county_admin) -> None:
    client = client_for(county_admin)
    post = {"content_type": "application/json"}
    nul_name = client.post(f"{API}/regions", {"code": "411302001003", "name": "a\x00b"}, **post)
    assert (nul_name.status_code, list(nul_name.json()["details"]["fields"])) == (422, ["name"])
    projected = client.post(
        f"{API}/regions",
        {"code": "411302001003", "name": "x", "geometry": box(500000, 3600000, 501000, 3601000)},
        **post,
    )
    assert projected.status_code == 422
    assert "projected" in projected.json()["details"]["fields"]["geometry"]
    assert client.get(f"{API}/regions/411302/children?q=%00").status_code == 200
    assert client.get(f"{API}/regions?page=x").status_code == 422
    assert client.get(f"{API}/regions/4113%000").status_code == 404
    assert not Region.objects.filter(code="411302001003").exists()
