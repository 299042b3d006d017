"""API bearer tokens (valid, expired, revoked, wrong), the token page and GET /api/v1/me."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from gridgov.accounts import actions
from gridgov.accounts.models import ApiToken, Department
from gridgov.accounts.tokens import hash_token
from gridgov.audit.models import AuditEvent


def bearer(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def assert_unauthenticated(response) -> None:
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "unauthenticated" and body["message"] and body["details"] == {}


def test_valid_token_authenticates(worker):
    token, raw = actions.create_token(actor=worker, name="phone app")
    response = bearer(raw).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["username"] == "worker302"
    token.refresh_from_db()
    assert token.last_used_at is not None
    # Only the hash is stored, never the secret.
    assert token.token_hash == hash_token(raw) and raw not in str(list(ApiToken.objects.values()))


def test_expired_token_is_refused(worker):
    token, raw = actions.create_token(actor=worker, name="old")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_unauthenticated(bearer(raw).get("/api/v1/me"))


def test_revoked_token_is_refused(worker):
    token, raw = actions.create_token(actor=worker, name="lost phone")
    actions.revoke_token(token.pk, actor=worker)
    assert_unauthenticated(bearer(raw).get("/api/v1/me"))
    assert AuditEvent.objects.filter(action="token.revoke", object_id=str(token.pk)).exists()


def test_wrong_token_and_no_token_are_refused(worker):
    _token, raw = actions.create_token(actor=worker, name="x")
    assert_unauthenticated(bearer(raw[:-1] + ("A" if raw[-1] != "A" else "B")).get("/api/v1/me"))
    assert_unauthenticated(bearer("not-a-token").get("/api/v1/me"))
    assert_unauthenticated(Client().get("/api/v1/me"))


def test_deactivated_users_token_is_refused(worker):
    _token, raw = actions.create_token(actor=worker, name="x")
    actions.deactivate_user(worker.pk, actor=None)
    assert_unauthenticated(bearer(raw).get("/api/v1/me"))


def test_locked_users_token_is_refused_until_unlocked(worker, county_admin, settings):
    token, raw = actions.create_token(actor=worker, name="x")
    for _ in range(settings.GRIDGOV_LOGIN_MAX_FAILURES):
        Client().post("/accounts/login/", {"username": "worker302", "password": "wrong"})
    worker.refresh_from_db()
    assert worker.is_locked
    assert_unauthenticated(bearer(raw).get("/api/v1/me"))
    created = bearer(raw).post(
        "/api/v1/tokens", {"name": "another"}, content_type="application/json"
    )
    assert_unauthenticated(created)
    assert list(ApiToken.objects.filter(user=worker)) == [token]
    token.refresh_from_db()
    assert token.last_used_at is None  # a refused token is not marked as used
    actions.unlock_user(worker.pk, actor=county_admin)
    assert bearer(raw).get("/api/v1/me").status_code == 200


def test_token_expiry_defaults_to_setting(worker, settings):
    token, _raw = actions.create_token(actor=worker, name="x")
    expected = timezone.now() + timedelta(days=settings.GRIDGOV_API_TOKEN_DAYS)
    assert abs((token.expires_at - expected).total_seconds()) < 60


def test_token_api_create_list_revoke_own(client, worker, county_admin):
    client.force_login(worker)
    created = client.post(
        "/api/v1/tokens", json.dumps({"name": "cli", "days": 7}), content_type="application/json"
    )
    assert created.status_code == 201
    body = created.json()
    assert body["token"].startswith(body["prefix"])
    listed = client.get("/api/v1/tokens").json()
    assert [t["id"] for t in listed["items"]] == [body["id"]]
    assert "token" not in listed["items"][0]
    # Someone else's token: not found, and still usable.
    other, other_raw = actions.create_token(actor=county_admin, name="admin's")
    assert client.post(f"/api/v1/tokens/{other.pk}/revoke").status_code == 404
    assert bearer(other_raw).get("/api/v1/me").status_code == 200
    assert client.post(f"/api/v1/tokens/{body['id']}/revoke").json()["revoked_at"]


@pytest.mark.parametrize("days", [0, 3651])
def test_token_lifetime_is_bounded(client, worker, days):
    client.force_login(worker)
    response = client.post(
        "/api/v1/tokens", json.dumps({"name": "x", "days": days}), content_type="application/json"
    )
    assert response.status_code == 422 and "days" in response.json()["details"]["fields"]
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("name", ["\x00", "cli\x1b[31m", "a\x7fb"])
def test_token_name_with_control_characters_is_refused(client, worker, name):
    # PostgreSQL refuses NUL in text outright: a clear 422, not a server error.
    client.force_login(worker)
    response = client.post(
        "/api/v1/tokens", json.dumps({"name": name}), content_type="application/json"
    )
    assert response.status_code == 422 and "name" in response.json()["details"]["fields"]
    assert not ApiToken.objects.exists()


def test_token_page_shows_secret_once(client, worker):
    client.force_login(worker)
    response = client.post("/accounts/tokens/", {"name": "phone", "days": 30})
    assert response.status_code == 200
    raw = response.context["new_token"]["raw"]
    assert raw in response.content.decode()
    again = client.get("/accounts/tokens/")
    assert raw not in again.content.decode()
    assert ApiToken.objects.get().prefix in again.content.decode()
    # The help text names the header literally; "<token>" must not become a tag.
    assert "Bearer &lt;令牌&gt;" in again.content.decode()


def test_token_page_revoke_own_only(client, worker, county_admin):
    token, _raw = actions.create_token(actor=worker, name="mine")
    theirs, _ = actions.create_token(actor=county_admin, name="theirs")
    client.force_login(worker)
    assert client.post(f"/accounts/tokens/{theirs.pk}/revoke/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_token_pages_need_login(client, db):
    assert client.get("/accounts/tokens/").status_code == 302
    assert client.get("/api/v1/tokens").status_code == 401


def test_nobody_creates_tokens_for_someone_else(county_admin, worker):
    with pytest.raises(actions.PermissionDenied):
        actions.create_token(actor=county_admin, owner=worker, name="x")
    assert not ApiToken.objects.exists()


def test_me_lists_roles_scopes_grids_and_capabilities(client, worker, territory):
    actions.assign_grid(worker.pk, actor=None, grid_code="411302001001003", deputy=True)
    department = Department.objects.create(code="d1", name="城管局", region=territory["411302"])
    actions.grant_role(worker.pk, actor=None, role="department", department_id=department.pk)
    client.force_login(worker)
    me = client.get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="en").json()
    assert me["username"] == "worker302" and me["display_name"] == "张三"
    assert me["language"] == "en"
    roles = {(r["role"], r["scope_code"], r["scope_name"]) for r in me["roles"]}
    assert roles == {
        ("grid_worker", "411302001001", "河街社区"),
        ("department", "411302", "宛城区"),
    }
    assert [r["department"]["code"] for r in me["roles"] if r["department"]] == ["d1"]
    assert me["grids"] == [
        {"grid_code": "411302001001003", "grid_name": "河街社区第3网格", "is_deputy": True}
    ]
    # A grid worker's and a department handler's capabilities, together and sorted.
    assert me["capabilities"] == [
        "cases.dispose",
        "cases.report",
        "cases.verify",
        "cases.view",
        "components.view",
        "epidemic.aggregate",
        "epidemic.declare",
        "epidemic.follow_up",
        "epidemic.report",
        "epidemic.screen",
        "epidemic.view",
        "registry.aggregate",
        "registry.edit",
        "registry.reveal",
        "registry.view",
        "territory.view",
    ]
    assert me["is_operator"] is False


def test_me_of_an_administrator_and_an_operator(client, county_admin, operator):
    client.force_login(county_admin)
    assert "users.manage" in client.get("/api/v1/me").json()["capabilities"]
    client.force_login(operator)
    me = client.get("/api/v1/me").json()
    assert me["is_operator"] is True and "audit.view" in me["capabilities"]
