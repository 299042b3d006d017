"""The catalogue endpoints under /api/v1/cases: answers, errors naming fields, the
permission matrix (anonymous 401, wrong role 403, another county 404, own area 200), refused
calls changing nothing, and bounded queries on lists."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from gridgov.accounts.models import User
from gridgov.cases.models import Responsibility
from gridgov.cases.tests.catalogue_fixtures import (
    CITY,
    COMMUNITY,
    COUNTY,
    GRID,
    SIBLING,
    SIBLING_GRID,
    Catalogue,
    cat,
    english,
    minor,
    state,
)

__all__ = ["cat", "english"]

pytestmark = pytest.mark.django_db
BASE = "/api/v1/cases"


def call(user: User | None, method: str, path: str, body: Any = None) -> Any:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    if method in ("get", "delete"):
        return getattr(client, method)(BASE + path, body)
    return getattr(client, method)(
        BASE + path, json.dumps(body or {}), content_type="application/json"
    )


@pytest.fixture
def rows(cat: Catalogue) -> dict[str, Responsibility]:
    return {
        "city": cat.rule("E0102", CITY, cat.city_dept),
        "county": cat.rule("E0102", COUNTY, cat.county_dept),
        "sibling": cat.rule("E0102", SIBLING, cat.sibling_dept),
    }


def test_classes_flat_and_as_a_tree(cat: Catalogue) -> None:
    answer = call(cat.worker, "get", "/classes", {"kind": "event", "q": "垃圾"}).json()
    names = [item["name"] for item in answer["items"]]
    assert "暴露垃圾" in names and all(item["kind"] == "event" for item in answer["items"])
    garbage = next(item for item in answer["items"] if item["name"] == "暴露垃圾")
    assert garbage["service_code"] == "E0102" and garbage["major_name"] == "市容环境"
    assert (garbage["limit_value"], garbage["limit_unit"]) == (2, "working_hours")
    assert garbage["limit_label"] == "2 Working hours"
    tree = call(cat.worker, "get", "/classes/tree", {"kind": "component"}).json()
    assert [major["code"] for major in tree] == ["01", "02", "03", "04", "05", "06"]
    cover = next(m for m in tree[0]["minors"] if m["code"] == "0102")
    assert cover["attributes"][0]["code"] == "situation"
    one = call(cat.worker, "get", f"/classes/{cover['id']}").json()
    assert one["name"] == "污水井盖" and one["usable"] is True


def test_inactive_classes_leave_the_tree_but_not_the_flat_list(cat: Catalogue) -> None:
    cover = minor("C0102")
    cover.is_active = False
    cover.save()
    tree = call(cat.worker, "get", "/classes/tree", {"kind": "component"}).json()
    assert "0102" not in [m["code"] for m in tree[0]["minors"]]
    everything = call(cat.worker, "get", "/classes/tree", {"kind": "component", "active": "false"})
    assert "0102" in [m["code"] for m in everything.json()[0]["minors"]]
    inactive = call(cat.worker, "get", "/classes", {"active": "false"}).json()
    assert [item["service_code"] for item in inactive["items"]] == ["C0102"]


def test_class_reads_need_a_case_role(cat: Catalogue) -> None:
    cover = minor("C0102")
    for path in ("/classes", "/classes/tree", f"/classes/{cover.pk}"):
        assert call(None, "get", path).status_code == 401
        assert call(cat.citizen, "get", path).status_code == 403
        assert call(cat.handler, "get", path).status_code == 200
    assert call(cat.worker, "get", "/classes/99999999").status_code == 404
    assert call(cat.worker, "get", f"/classes/{10**20}").status_code == 404
    assert call(cat.city_admin, "get", f"/responsibilities/{10**20}").status_code == 404


def test_patching_a_class(cat: Catalogue) -> None:
    cover = minor("C0102")
    body = {"version": 1, "limit_value": 3, "default_department_id": cat.city_dept.pk}
    before = state()
    for user, expected in ((cat.county_admin, 403), (cat.worker, 403), (None, 401)):
        assert call(user, "patch", f"/classes/{cover.pk}", body).status_code == expected
    assert state() == before
    answer = call(cat.city_admin, "patch", f"/classes/{cover.pk}", body)
    assert answer.status_code == 200
    data = answer.json()
    assert (data["limit_value"], data["version"]) == (3, 2)
    assert data["default_department"]["code"] == "city-urban"
    assert data["filing_condition"] == cover.filing_condition  # not sent: unchanged
    stale = call(cat.city_admin, "patch", f"/classes/{cover.pk}", body)
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    bad = call(cat.city_admin, "patch", f"/classes/{cover.pk}", {"version": 2, "limit_unit": "x"})
    assert bad.status_code == 422
    assert set(bad.json()["details"]["fields"]) == {"limit_unit"}
    deactivated = call(cat.city_admin, "post", f"/classes/{cover.pk}/deactivate", {"version": 2})
    assert deactivated.json()["is_active"] is False


def test_switching_a_class_needs_the_version_read(cat: Catalogue) -> None:
    """The shared VersionIn leaves the version optional in the schema; the catalogue's
    actions require it, so a missing or unusable one is a 422 naming it, and a stale one
    a 409 carrying the current version — each changing nothing."""
    cover = minor("C0102")
    path = f"/classes/{cover.pk}/deactivate"
    before = state()
    missing = call(cat.city_admin, "post", path, {})
    assert missing.status_code == 422
    assert missing.json()["details"]["fields"] == {"version": "required"}
    assert call(cat.city_admin, "post", path, {"version": 0}).status_code == 422
    stale = call(cat.city_admin, "post", path, {"version": 7})
    assert stale.status_code == 409 and stale.json()["details"]["version"] == 1
    assert state() == before
    assert call(cat.city_admin, "post", path, {"version": 1}).json()["is_active"] is False


def test_creating_a_class(cat: Catalogue) -> None:
    body = {"kind": "event", "code": "0610", "name": "高空抛物", "limit_value": 1}
    answer = call(cat.city_admin, "post", "/classes", body)
    assert answer.status_code == 422
    assert answer.json()["details"]["fields"] == {
        "limit_unit": "one of: Urgent hours, Working hours, Working days"
    }
    answer = call(cat.city_admin, "post", "/classes", {**body, "limit_unit": "working_days"})
    assert answer.status_code == 201 and answer.json()["service_code"] == "E0610"


def test_responsibility_list_by_area(cat: Catalogue, rows: Any) -> None:
    for user, expected in ((None, 401), (cat.citizen, 403), (cat.worker, 403), (cat.handler, 403)):
        assert call(user, "get", "/responsibilities").status_code == expected
    answer = call(cat.county_admin, "get", "/responsibilities").json()
    assert {(i["region_code"], i["can_edit"]) for i in answer["items"]} == {
        (CITY, False),
        (COUNTY, True),
    }
    assert answer["items"][0]["region_name"] in ("南阳市", "宛城区")
    sibling = call(cat.sibling_admin, "get", "/responsibilities").json()
    assert {i["region_code"] for i in sibling["items"]} == {CITY, SIBLING}
    row = rows["county"]
    assert call(cat.sibling_admin, "get", f"/responsibilities/{row.pk}").status_code == 404
    assert call(cat.command, "get", f"/responsibilities/{row.pk}").status_code == 200


def test_responsibility_writes_by_area(cat: Catalogue, rows: Any) -> None:
    county, city = rows["county"], rows["city"]
    before = state()
    refused = [
        (
            "patch",
            f"/responsibilities/{county.pk}",
            {"version": 1, "note": "x"},
            cat.sibling_admin,
            404,
        ),
        (
            "patch",
            f"/responsibilities/{city.pk}",
            {"version": 1, "note": "x"},
            cat.county_admin,
            403,
        ),
        ("patch", f"/responsibilities/{county.pk}", {"version": 1, "note": "x"}, cat.command, 403),
        ("delete", f"/responsibilities/{county.pk}?version=1", None, cat.sibling_admin, 404),
        ("delete", f"/responsibilities/{city.pk}?version=1", None, cat.county_admin, 403),
        ("delete", f"/responsibilities/{county.pk}?version=1", None, None, 401),
        (
            "post",
            "/responsibilities",
            {
                "case_class_id": minor("E0103").pk,
                "region_code": COUNTY,
                "department_id": cat.city_dept.pk,
            },
            cat.sibling_admin,
            422,
        ),
        (
            "post",
            "/responsibilities",
            {
                "case_class_id": minor("E0103").pk,
                "region_code": COUNTY,
                "department_id": cat.city_dept.pk,
            },
            cat.command,
            403,
        ),
    ]
    for method, path, body, user, expected in refused:
        assert call(user, method, path, body).status_code == expected, (method, path, user)
    assert state() == before

    added = call(
        cat.county_admin,
        "post",
        "/responsibilities",
        {
            "case_class_id": minor("E0103").pk,
            "region_code": COMMUNITY,
            "department_id": cat.water.pk,
        },
    )
    assert added.status_code == 201 and added.json()["region_name"] == "河街社区"
    changed = call(
        cat.county_admin,
        "patch",
        f"/responsibilities/{county.pk}",
        {"version": 1, "department_id": cat.water.pk, "note": "供水"},
    )
    assert changed.status_code == 200 and changed.json()["department"]["code"] == "city-water"
    removed = call(cat.county_admin, "delete", f"/responsibilities/{county.pk}?version=2")
    assert removed.status_code == 200 and removed.json()["is_active"] is False
    history = call(cat.county_admin, "get", "/responsibilities", {"state": "removed"}).json()
    assert [i["id"] for i in history["items"]] == [county.pk]


def test_the_match_endpoint(cat: Catalogue, rows: Any) -> None:
    answer = call(
        cat.county_admin, "get", "/responsibility/match", {"class": "E0102", "grid_code": GRID}
    )
    assert answer.status_code == 200
    data = answer.json()
    assert (data["via"], data["department"]["code"]) == ("rule", "wancheng-urban")
    assert data["rule"]["region_code"] == COUNTY and data["region_name"] == "河街社区第1网格"
    city_wide = call(
        cat.city_admin,
        "get",
        "/responsibility/match",
        {"class": "E0102", "grid_code": SIBLING_GRID},
    )
    assert city_wide.json()["department"]["code"] == "wolong-urban"
    by_id = call(
        cat.command, "get", "/responsibility/match", {"class": minor("E0601").pk, "grid_code": GRID}
    )
    assert by_id.json() | {"case_class": None} == {
        "department": None,
        "via": "none",
        "rule": None,
        "case_class": None,
        "code": GRID,
        "region_name": "河街社区第1网格",
    }
    bad = call(
        cat.county_admin, "get", "/responsibility/match", {"class": "E01", "grid_code": GRID}
    )
    assert bad.status_code == 422 and "class" in bad.json()["details"]["fields"]
    outside = {"class": "E0102", "grid_code": SIBLING_GRID}
    assert call(cat.county_admin, "get", "/responsibility/match", outside).status_code == 404
    assert call(cat.worker, "get", "/responsibility/match", outside).status_code == 403
    assert call(None, "get", "/responsibility/match", outside).status_code == 401


def test_import_and_export_endpoints(cat: Catalogue, rows: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    export = call(cat.county_admin, "get", "/responsibilities/export", {"format": "csv"})
    assert export.status_code == 200
    assert "卧龙区城市管理局" not in export.content.decode("utf-8-sig")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(cat.county_admin)
    upload = SimpleUploadedFile(
        "list.csv",
        f"类别编码,区域代码,责任部门编码\nE0103,{COUNTY},wancheng-urban\nE9,{COUNTY},x\n".encode(),
    )
    answer = client.post(
        BASE + "/responsibilities/import", {"file": upload, "policy": "skip_invalid"}
    )
    assert answer.status_code == 200
    report = answer.json()
    assert (report["created"], report["rejected"], report["written"]) == (1, 1, True)
    assert report["errors"][0]["row"] == 3
    assert {e["column"] for e in report["errors"]} == {"类别编码", "责任部门编码"}


def test_lists_cost_a_bounded_number_of_queries(
    cat: Catalogue, django_assert_max_num_queries: Any
) -> None:
    for code in ("0101", "0102", "0103", "0104", "0105", "0106", "0107", "0108"):
        cat.rule(f"E{code}", CITY, cat.city_dept)
        cat.rule(f"E{code}", COUNTY, cat.county_dept)
        cat.rule(f"C{code}", COUNTY, cat.water)
    client = Client()
    client.force_login(cat.county_admin)
    client.get(BASE + "/classes")
    # Session, user and roles, then the page's count and rows (and the session saved).
    with django_assert_max_num_queries(8):
        answer = client.get(BASE + "/classes", {"page_size": 200})
    assert answer.json()["count"] > 100
    with django_assert_max_num_queries(8):
        client.get(BASE + "/classes/tree")
    with django_assert_max_num_queries(10):
        answer = client.get(BASE + "/responsibilities")
    assert answer.json()["count"] == 24
