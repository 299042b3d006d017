"""Every user-administration page and endpoint against the scope matrix: anonymous,
a role without users.manage, the administrator of the neighbouring county, and the
administrator of the user's own county. Refusals must change nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client

from gridgov.accounts import actions
from gridgov.accounts.models import ApiToken, Department, GridAssignment, RoleAssignment, User
from gridgov.audit.models import AuditEvent


@dataclass
class Target:
    user: User
    role_id: int
    grid_id: int


@pytest.fixture
def target(worker: User) -> Target:
    """The grid worker of 411302001001 with a second role and a grid, set up by the system."""
    extra = actions.grant_role(worker.pk, actor=None, role="citizen", region_code="411302001001")
    grid = actions.assign_grid(worker.pk, actor=None, grid_code="411302001001001")
    return Target(worker, extra.pk, grid.pk)


def snapshot() -> tuple[Any, ...]:
    """Everything an accounts action could change."""
    return (
        list(User.objects.order_by("pk").values()),
        list(RoleAssignment.objects.order_by("pk").values()),
        list(GridAssignment.objects.order_by("pk").values()),
        list(Department.objects.order_by("pk").values()),
        list(ApiToken.objects.order_by("pk").values()),
        AuditEvent.objects.count(),
    )


@dataclass
class Case:
    name: str
    method: str
    path: str  # formatted with uid, rid (role assignment), gid (grid assignment)
    data: dict[str, Any] = field(default_factory=dict)
    action: str | None = None  # audit action written on success
    ok: int = 302
    inactive: bool = False  # deactivate the target first

    def url(self, prefix: str, t: Target) -> str:
        return prefix + self.path.format(uid=t.user.pk, rid=t.role_id, gid=t.grid_id)

    def payload(self, t: Target) -> dict[str, Any]:
        return {k: (t.user.version if v == "VERSION" else v) for k, v in self.data.items()}


PAGE_CASES = [
    Case("detail", "get", "users/{uid}/", ok=200),
    Case(
        "edit",
        "post",
        "users/{uid}/",
        {"display_name": "李四", "version": "VERSION"},
        "user.update",
    ),
    Case(
        "grant",
        "post",
        "users/{uid}/roles/",
        {"role": "community_staff", "region_code": "411302001001"},
        "role.grant",
    ),
    Case("withdraw_role", "post", "users/{uid}/roles/{rid}/withdraw/", {}, "role.withdraw"),
    Case(
        "assign_grid", "post", "users/{uid}/grids/", {"grid_code": "411302001001002"}, "grid.assign"
    ),
    Case("withdraw_grid", "post", "users/{uid}/grids/{gid}/withdraw/", {}, "grid.withdraw"),
    Case(
        "deactivate", "post", "users/{uid}/deactivate/", {"version": "VERSION"}, "user.deactivate"
    ),
    Case("reactivate", "post", "users/{uid}/reactivate/", {}, "user.reactivate", inactive=True),
    Case("unlock", "post", "users/{uid}/unlock/", {}, "user.unlock"),
    Case(
        "reset_password",
        "post",
        "users/{uid}/password/",
        {"password": ""},
        "user.reset_password",
        ok=200,
    ),
]

API_CASES = [
    Case("detail", "get", "users/{uid}", ok=200),
    Case("edit", "patch", "users/{uid}", {"display_name": "李四"}, "user.update", ok=200),
    Case(
        "grant",
        "post",
        "users/{uid}/roles",
        {"role": "community_staff", "region_code": "411302001001"},
        "role.grant",
        ok=201,
    ),
    Case("withdraw_role", "post", "users/{uid}/roles/{rid}/withdraw", {}, "role.withdraw", ok=200),
    Case(
        "assign_grid",
        "post",
        "users/{uid}/grids",
        {"grid_code": "411302001001002", "deputy": True},
        "grid.assign",
        ok=201,
    ),
    Case("withdraw_grid", "post", "users/{uid}/grids/{gid}/withdraw", {}, "grid.withdraw", ok=200),
    Case("deactivate", "post", "users/{uid}/deactivate", {}, "user.deactivate", ok=200),
    Case(
        "reactivate", "post", "users/{uid}/reactivate", {}, "user.reactivate", ok=200, inactive=True
    ),
    Case("unlock", "post", "users/{uid}/unlock", {}, "user.unlock", ok=200),
    Case("reset_password", "post", "users/{uid}/reset-password", {}, "user.reset_password", ok=200),
]


def send(client: Client, case: Case, prefix: str, t: Target, *, api: bool):
    url, data = case.url(prefix, t), case.payload(t)
    if case.method == "get":
        return client.get(url)
    if api:
        return getattr(client, case.method)(url, json.dumps(data), content_type="application/json")
    return client.post(url, data)


def prepare(case: Case, t: Target) -> None:
    if case.inactive:
        User.objects.filter(pk=t.user.pk).update(is_active=False)
        t.user.refresh_from_db()


def check_error_shape(response: Any, code: str) -> None:
    body = response.json()
    assert set(body) == {"code", "message", "details"} and body["code"] == code


@pytest.fixture
def township_staff(make_user) -> User:
    """A role without users.manage, inside the target's county."""
    return make_user("township_staff", "411302001")


REFUSED = [  # caller fixture, status, API error code
    pytest.param("township_staff", 403, "forbidden", id="role_without_user_management_forbidden"),
    pytest.param("other_admin", 404, "not_found", id="admin_of_the_neighbouring_county_404"),
]


@pytest.mark.parametrize("api", [False, True], ids=["page", "api"])
@pytest.mark.parametrize("case_index", range(len(PAGE_CASES)), ids=[c.name for c in PAGE_CASES])
class TestUserAdministrationMatrix:
    def case(self, api: bool, case_index: int) -> tuple[Case, str]:
        return (API_CASES if api else PAGE_CASES)[case_index], ("/api/v1/" if api else "/accounts/")

    def test_anonymous_is_sent_to_log_in(self, client, target, api, case_index):
        case, prefix = self.case(api, case_index)
        prepare(case, target)
        before = snapshot()
        response = send(client, case, prefix, target, api=api)
        if api:
            assert response.status_code == 401
            check_error_shape(response, "unauthenticated")
        else:
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert snapshot() == before

    @pytest.mark.parametrize(("caller", "status", "code"), REFUSED)
    def test_refused_caller_changes_nothing(
        self, request, client, target, caller, status, code, api, case_index
    ):
        case, prefix = self.case(api, case_index)
        prepare(case, target)
        client.force_login(request.getfixturevalue(caller))
        before = snapshot()
        response = send(client, case, prefix, target, api=api)
        assert response.status_code == status
        if api:
            check_error_shape(response, code)
        assert snapshot() == before

    def test_admin_of_the_users_county_succeeds_and_is_audited(
        self, client, target, county_admin, api, case_index
    ):
        case, prefix = self.case(api, case_index)
        prepare(case, target)
        client.force_login(county_admin)
        count = AuditEvent.objects.count()
        response = send(client, case, prefix, target, api=api)
        assert response.status_code == case.ok, response.content[:500]
        if case.action is None:
            assert AuditEvent.objects.count() == count
            return
        event = AuditEvent.objects.filter(action=case.action).latest("seq")
        assert event.seq > count and event.actor_id == county_admin.pk
        assert event.grid_code.startswith("411302")
        assert event.channel == ("api" if api else "web")


# ---------------------------------------------------------------------------------------
# Lists and creation: the neighbour sees nothing and creates nothing in another county.


def test_user_list_shows_only_own_county(client, target, county_admin, other_admin, make_user):
    neighbour = make_user("grid_worker", "411303001001", username="worker303")
    client.force_login(county_admin)
    page = client.get("/accounts/users/")
    shown = {u.pk for u in page.context["page"].items}
    assert target.user.pk in shown and neighbour.pk not in shown
    api = client.get("/api/v1/users").json()
    assert {u["id"] for u in api["items"]} == shown


def test_user_lists_forbidden_without_user_management(client, worker):
    client.force_login(worker)
    assert client.get("/accounts/users/").status_code == 403
    assert client.get("/api/v1/users").status_code == 403
    assert client.get("/accounts/users/new/").status_code == 403


@pytest.mark.parametrize("api", [False, True], ids=["page", "api"])
def test_creating_a_user_in_another_county_is_refused(client, territory, other_admin, api):
    client.force_login(other_admin)
    before = snapshot()
    data = {"username": "intruder", "role": "grid_worker", "region_code": "411302001001"}
    if api:
        response = client.post("/api/v1/users", json.dumps(data), content_type="application/json")
        assert response.status_code == 422
        assert "region_code" in response.json()["details"]["fields"]
    else:
        response = client.post("/accounts/users/new/", data)
        assert response.status_code == 200
        assert response.context["form"].errors["region_code"]
    assert snapshot() == before


@pytest.mark.parametrize("api", [False, True], ids=["page", "api"])
def test_creating_a_user_in_own_county(client, territory, county_admin, api):
    client.force_login(county_admin)
    data = {"username": "newbie", "role": "grid_worker", "region_code": "411302001001"}
    if api:
        response = client.post("/api/v1/users", json.dumps(data), content_type="application/json")
        assert response.status_code == 201
        password = response.json()["password"]
    else:
        response = client.post("/accounts/users/new/", data)
        assert response.status_code == 200
        password = response.context["password"]
        assert password in response.content.decode()
    user = User.objects.get(username="newbie")
    assert user.check_password(password)
    assert list(user.role_assignments.values_list("role", "scope_code")) == [
        ("grid_worker", "411302001001")
    ]
    assert AuditEvent.objects.filter(action="user.create", object_id=str(user.pk)).exists()
    assert AuditEvent.objects.filter(action="role.grant", grid_code="411302001001").exists()
