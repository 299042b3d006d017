"""Departments: pages and API under the scope matrix."""

from __future__ import annotations

import json

import pytest

from gridgov.accounts import actions
from gridgov.accounts.models import Department, RoleAssignment
from gridgov.audit.models import AuditEvent


@pytest.fixture
def urban(county_admin):
    return actions.create_department(
        actor=county_admin, code="wancheng-cg", name="宛城区城管局", region_code="411302"
    )


def send_json(client, method, url, data):
    return getattr(client, method)(url, json.dumps(data), content_type="application/json")


def state():
    return list(Department.objects.order_by("pk").values()), AuditEvent.objects.count()


def test_department_pages_matrix(client, urban, worker, other_admin, county_admin):
    edit = f"/accounts/departments/{urban.pk}/"
    change = {"name": "改名", "region_code": "411302", "phone": "", "is_active": "on", "version": 1}
    # anonymous
    assert client.get("/accounts/departments/").status_code == 302
    assert client.post(edit, change).status_code == 302
    before = state()
    # no departments.manage
    client.force_login(worker)
    for url in ("/accounts/departments/", "/accounts/departments/new/", edit):
        assert client.get(url).status_code == 403
    assert client.post(edit, change).status_code == 403
    assert state() == before
    # the neighbouring county's administrator
    client.force_login(other_admin)
    listed = client.get("/accounts/departments/").context["page"].items
    assert urban not in listed
    assert client.get(edit).status_code == 404
    assert client.post(edit, change).status_code == 404
    refused = client.post(
        "/accounts/departments/new/", {"code": "x", "name": "x", "region_code": "411302"}
    )
    assert refused.context["form"].errors["region_code"]
    assert state() == before
    # the county's own administrator
    client.force_login(county_admin)
    assert urban in client.get("/accounts/departments/").context["page"].items
    assert client.post(edit, change).status_code == 302
    urban.refresh_from_db()
    assert urban.name == "改名" and urban.version == 2
    event = AuditEvent.objects.get(action="department.update")
    assert event.changes == {"name": ["宛城区城管局", "改名"]} and event.grid_code == "411302"


def test_department_code_is_unique_and_slug(client, urban, county_admin):
    client.force_login(county_admin)
    duplicate = client.post(
        "/accounts/departments/new/", {"code": "wancheng-cg", "name": "x", "region_code": "411302"}
    )
    assert duplicate.context["form"].errors["code"]
    bad = client.post(
        "/accounts/departments/new/", {"code": "有 空格", "name": "x", "region_code": "411302"}
    )
    assert bad.context["form"].errors["code"]
    assert Department.objects.count() == 1


def test_department_api(client, county_admin, other_admin, worker, urban):
    client.force_login(county_admin)
    created = send_json(
        client,
        "post",
        "/api/v1/departments",
        {"code": "wc-water", "name": "水务局", "region_code": "411302001"},
    )
    assert created.status_code == 201 and created.json()["region_name"] == "东关街道"
    codes = {d["code"] for d in client.get("/api/v1/departments").json()["items"]}
    assert codes == {"wancheng-cg", "wc-water"}
    client.force_login(other_admin)
    assert client.get("/api/v1/departments").json()["items"] == []
    assert client.get(f"/api/v1/departments/{urban.pk}").status_code == 404
    patch = send_json(client, "patch", f"/api/v1/departments/{urban.pk}", {"name": "x"})
    assert patch.status_code == 404
    client.force_login(worker)
    refused = send_json(
        client, "post", "/api/v1/departments", {"code": "x", "name": "x", "region_code": "411302"}
    )
    assert refused.status_code == 403
    assert Department.objects.count() == 2


def test_moving_a_department_moves_its_handlers_scope(county_admin, urban, make_user):
    handler = make_user("department", department=urban)
    actions.update_department(urban.pk, actor=county_admin, region_code="411302001")
    assert RoleAssignment.objects.get(user=handler).scope_code == "411302001"


def test_department_handler_sees_own_department_but_cannot_edit(client, urban, make_user):
    handler = make_user("department", department=urban)
    client.force_login(handler)
    assert client.get(f"/api/v1/departments/{urban.pk}").status_code == 200
    patch = send_json(client, "patch", f"/api/v1/departments/{urban.pk}", {"name": "x"})
    assert patch.status_code == 403
