"""The rules of user administration: where roles may be bound, who may grant what,
grid slots, history, concurrent edits, passwords. Through the real pages and API."""

from __future__ import annotations

import json

import pytest

from gridgov.accounts import actions
from gridgov.accounts.models import GridAssignment, RoleAssignment, User
from gridgov.audit.models import AuditEvent
from gridgov.conftest import PASSWORD
from gridgov.core.errors import Conflict, InvalidInput, PermissionDenied


def grant(client, user, **data):
    return client.post(
        f"/api/v1/users/{user.pk}/roles", json.dumps(data), content_type="application/json"
    )


def fields_of(response) -> dict[str, str]:
    assert response.status_code == 422, response.content
    return response.json()["details"]["fields"]


@pytest.mark.parametrize(
    ("role", "code"),
    [
        ("grid_worker", "411302001"),  # a township is too wide for a grid worker
        ("township_staff", "411302001001"),  # a community is not a township
        ("community_staff", "411302"),
        ("citizen", "411302"),
        ("supervision", "411302001"),
        ("admin", "411302001001001"),
        ("grid_worker", "41130200100x"),
    ],
)
def test_roles_are_bound_at_a_sensible_level(client, county_admin, worker, role, code):
    client.force_login(county_admin)
    before = RoleAssignment.objects.count()
    assert "region_code" in fields_of(grant(client, worker, role=role, region_code=code))
    assert RoleAssignment.objects.count() == before


def test_unknown_code_and_foreign_code_get_the_same_answer(client, county_admin, worker):
    client.force_login(county_admin)
    unknown = fields_of(grant(client, worker, role="citizen", region_code="411302009009"))
    foreign = fields_of(grant(client, worker, role="citizen", region_code="411303001001"))
    assert unknown == foreign


def test_department_role_needs_a_department_in_scope(client, county_admin, worker, territory):
    from gridgov.accounts.models import Department

    client.force_login(county_admin)
    assert "department_id" in fields_of(grant(client, worker, role="department"))
    far = Department.objects.create(code="far", name="卧龙城管", region=territory["411303"])
    assert "department_id" in fields_of(
        grant(client, worker, role="department", department_id=far.pk)
    )
    near = Department.objects.create(code="near", name="宛城城管", region=territory["411302"])
    assert "region_code" in fields_of(
        grant(client, worker, role="department", department_id=near.pk, region_code="411302")
    )
    assert grant(client, worker, role="department", department_id=near.pk).status_code == 201
    assert "department_id" in fields_of(
        grant(client, worker, role="citizen", region_code="411302001001", department_id=near.pk)
    )


def test_admin_cannot_grant_admin_above_own_scope(client, territory, make_user, worker):
    township_admin = make_user("admin", "411302001")
    client.force_login(township_admin)
    assert "region_code" in fields_of(grant(client, worker, role="admin", region_code="411302"))
    assert "region_code" in fields_of(grant(client, worker, role="admin", region_code="4113"))
    assert grant(client, worker, role="admin", region_code="411302001").status_code == 201


def test_same_role_twice_is_refused(client, county_admin, worker):
    client.force_login(county_admin)
    assert "role" in fields_of(
        grant(client, worker, role="grid_worker", region_code="411302001001")
    )


def test_user_with_roles_in_two_counties_is_visible_but_not_manageable(
    client, make_user, county_admin
):
    both = make_user("grid_worker", "411302001001", extra=[("citizen", "411303001001")])
    client.force_login(county_admin)
    assert client.get(f"/api/v1/users/{both.pk}").json()["can_manage"] is False
    page = client.get(f"/accounts/users/{both.pk}/")
    assert page.status_code == 200 and page.context["can_manage"] is False
    response = client.post(f"/api/v1/users/{both.pk}/deactivate")
    assert response.status_code == 403
    both.refresh_from_db()
    assert both.is_active


def test_operator_accounts_are_managed_by_operators_only(client, county_admin, operator, territory):
    actions.grant_role(operator.pk, actor=None, role="admin", region_code="411302")
    client.force_login(county_admin)
    assert (
        client.post(
            f"/api/v1/users/{operator.pk}/reset-password", "{}", content_type="application/json"
        ).status_code
        == 403
    )


def test_a_user_whose_roles_were_all_withdrawn_stays_with_their_county(
    client, county_admin, other_admin, worker
):
    role = worker.role_assignments.get()
    actions.withdraw_role(worker.pk, role.pk, actor=county_admin)
    client.force_login(county_admin)
    assert client.get(f"/api/v1/users/{worker.pk}").status_code == 200
    client.force_login(other_admin)
    assert client.get(f"/api/v1/users/{worker.pk}").status_code == 404


def test_withdrawn_role_stays_as_history_and_takes_its_grids(client, county_admin, worker):
    actions.assign_grid(worker.pk, actor=county_admin, grid_code="411302001001001")
    role = worker.role_assignments.get()
    client.force_login(county_admin)
    response = client.post(f"/api/v1/users/{worker.pk}/roles/{role.pk}/withdraw")
    assert response.status_code == 200 and response.json()["withdrawn_at"]
    role.refresh_from_db()
    assert role.withdrawn_at is not None and role.withdrawn_by == county_admin
    assert not GridAssignment.objects.active().filter(user=worker).exists()
    assert GridAssignment.objects.filter(user=worker).count() == 1
    detail = client.get(f"/api/v1/users/{worker.pk}").json()
    assert detail["roles"] == [] and len(detail["role_history"]) == 1
    again = client.post(f"/api/v1/users/{worker.pk}/roles/{role.pk}/withdraw")
    assert again.status_code == 409


def assign(client, user, code, deputy=False):
    return client.post(
        f"/api/v1/users/{user.pk}/grids",
        json.dumps({"grid_code": code, "deputy": deputy}),
        content_type="application/json",
    )


def test_grid_has_one_main_worker_and_one_deputy(client, county_admin, worker, make_user):
    second = make_user("grid_worker", "411302001001")
    third = make_user("grid_worker", "411302001001001")  # bound to the grid itself
    client.force_login(county_admin)
    grid = "411302001001001"
    assert assign(client, worker, grid).status_code == 201
    assert "grid_code" in fields_of(assign(client, second, grid))
    assert assign(client, second, grid, deputy=True).status_code == 201
    assert "grid_code" in fields_of(assign(client, third, grid, deputy=True))
    assert "grid_code" in fields_of(assign(client, worker, grid, deputy=True))
    # One worker covers several grids.
    assert assign(client, worker, "411302001001002").status_code == 201
    assert GridAssignment.objects.active().filter(user=worker).count() == 2


def test_grid_needs_the_grid_worker_role_over_it(client, county_admin, worker, make_user):
    staff = make_user("community_staff", "411302001001")
    client.force_login(county_admin)
    assert "grid_code" in fields_of(assign(client, staff, "411302001001001"))
    # The worker's community is 411302001001; a grid of the next community is not theirs.
    assert "grid_code" in fields_of(assign(client, worker, "411302001002001"))
    assert "grid_code" in fields_of(assign(client, worker, "411302001001"))  # not a grid
    assert not GridAssignment.objects.exists()


def test_stale_edit_is_refused_not_overwritten(client, county_admin, worker):
    client.force_login(county_admin)
    stale_version = worker.version
    first = client.post(
        f"/accounts/users/{worker.pk}/",
        {"display_name": "第一", "email": "", "version": stale_version},
    )
    assert first.status_code == 302
    second = client.post(
        f"/accounts/users/{worker.pk}/",
        {"display_name": "第二", "email": "", "version": stale_version},
    )
    assert second.status_code == 200
    assert second.context["edit_form"].non_field_errors()
    worker.refresh_from_db()
    assert worker.display_name == "第一"
    api = client.patch(
        f"/api/v1/users/{worker.pk}",
        json.dumps({"display_name": "第三", "version": stale_version}),
        content_type="application/json",
    )
    assert api.status_code == 409 and api.json()["code"] == "conflict"


def test_update_records_changed_fields_only(client, county_admin, worker):
    client.force_login(county_admin)
    client.patch(
        f"/api/v1/users/{worker.pk}",
        json.dumps({"display_name": "李四", "email": ""}),
        content_type="application/json",
    )
    event = AuditEvent.objects.get(action="user.update")
    assert event.changes == {"display_name": ["张三", "李四"]}
    assert event.grid_code == "411302001001"


def test_invalid_email_is_a_field_error(client, county_admin, worker):
    client.force_login(county_admin)
    response = client.patch(
        f"/api/v1/users/{worker.pk}",
        json.dumps({"email": "not-an-email"}),
        content_type="application/json",
    )
    assert "email" in fields_of(response)


def test_admin_cannot_deactivate_self(county_admin):
    with pytest.raises(InvalidInput):
        actions.deactivate_user(county_admin.pk, actor=county_admin)


def test_deactivated_user_cannot_log_in_and_reactivates(client, county_admin, worker):
    actions.deactivate_user(worker.pk, actor=county_admin)
    client.post("/accounts/login/", {"username": "worker302", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    actions.reactivate_user(worker.pk, actor=county_admin)
    client.post("/accounts/login/", {"username": "worker302", "password": PASSWORD})
    assert client.session["_auth_user_id"] == str(worker.pk)


def test_reset_password_validates_and_unlocks(client, county_admin, worker):
    User.objects.filter(pk=worker.pk).update(failed_logins=5, locked_until="2999-01-01T00:00Z")
    client.force_login(county_admin)
    weak = client.post(f"/accounts/users/{worker.pk}/password/", {"password": "12345678"})
    assert weak.status_code == 200 and weak.context["reset_form"].errors["password"]
    chosen = client.post(
        f"/accounts/users/{worker.pk}/password/", {"password": "Brand-new-pass-77"}
    )
    assert chosen.status_code == 302
    worker.refresh_from_db()
    assert worker.check_password("Brand-new-pass-77") and not worker.is_locked
    event = AuditEvent.objects.filter(action="user.reset_password").latest("seq")
    assert event.changes == {"password": "set", "unlocked": True}
    assert "Brand-new-pass-77" not in json.dumps(list(AuditEvent.objects.values("changes")))


def test_change_own_password(client, worker):
    client.force_login(worker)
    wrong = client.post(
        "/accounts/password/",
        {
            "old_password": "nope",
            "new_password": "Another-pass-88",
            "new_password_again": "Another-pass-88",
        },
    )
    assert wrong.context["form"].errors["old_password"]
    mismatch = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password": "Another-pass-88", "new_password_again": "x"},
    )
    assert mismatch.context["form"].errors["new_password_again"]
    ok = client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password": "Another-pass-88",
            "new_password_again": "Another-pass-88",
        },
    )
    assert ok.status_code == 302
    worker.refresh_from_db()
    assert worker.check_password("Another-pass-88")
    # Still logged in: the session hash was updated.
    assert client.get("/accounts/password/").status_code == 200
    assert AuditEvent.objects.filter(action="user.password_change", actor_id=worker.pk).exists()


def test_username_is_unique_regardless_of_case(county_admin, worker):
    with pytest.raises(InvalidInput) as refused:
        actions.create_user(
            "WORKER302", actor=county_admin, role="citizen", region_code="411302001001"
        )
    assert "username" in refused.value.details["fields"]


def test_role_without_manage_cannot_use_actions(worker):
    with pytest.raises(PermissionDenied):
        actions.create_user("x", actor=worker, role="citizen", region_code="411302001001")


def test_version_conflict_on_departments(county_admin, territory):
    department = actions.create_department(
        actor=county_admin, code="cg", name="城管局", region_code="411302"
    )
    actions.update_department(department.pk, actor=county_admin, name="城管执法局", version=1)
    with pytest.raises(Conflict):
        actions.update_department(department.pk, actor=county_admin, phone="123", version=1)


@pytest.mark.parametrize("big", [2**63, 10**30])
def test_huge_ids_are_not_found_not_overflows(client, county_admin, worker, big):
    client.force_login(county_admin)
    assert client.get(f"/api/v1/users/{big}").status_code == 404
    assert client.get(f"/accounts/users/{big}/").status_code == 404
    assert client.post(f"/api/v1/users/{worker.pk}/roles/{big}/withdraw").status_code == 404
    assert client.post(f"/api/v1/tokens/{big}/revoke").status_code == 404
    assert client.get(f"/api/v1/departments/{big}").status_code == 404
    granted = grant(client, worker, role="department", department_id=big)
    assert "department_id" in fields_of(granted)
    assert client.get(f"/audit/events/{big}/").status_code == 404
