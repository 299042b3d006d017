"""The command line, translations of the pages, and query counts of the lists."""

from __future__ import annotations

import pytest
from django.test import Client

from gridgov import cli
from gridgov.accounts import actions
from gridgov.accounts.models import ApiToken, User
from gridgov.audit.models import AuditEvent


def run(capsys, *argv: str) -> tuple[int, str]:
    """The command in English (its messages are checked below), and what it printed."""
    code = cli.main(["--lang", "en", *argv])
    return code, capsys.readouterr().out


def test_cli_token_create_and_revoke(capsys, worker):
    code, out = run(
        capsys, "token", "create", "--user", "worker302", "--name", "sync", "--days", "5"
    )
    assert code == 0
    raw = out.strip().splitlines()[-1]
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/me").status_code == 200
    event = AuditEvent.objects.get(action="token.create")
    assert event.channel == "cli" and event.actor_name == "system"
    token = ApiToken.objects.get()
    code, _out = run(capsys, "token", "revoke", token.prefix)
    assert code == 0
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/me").status_code == 401


def test_cli_token_for_unknown_user(capsys, db):
    code, out = run(capsys, "token", "create", "--user", "ghost")
    assert code == 2 and "ghost" in out
    assert not ApiToken.objects.exists()


def test_cli_user_create_unlock_and_operator(capsys, territory):
    code, out = run(
        capsys, "user", "create", "li", "--role", "township_staff", "--code", "411302001"
    )
    assert code == 0
    password = out.split("once): ")[1].strip()
    user = User.objects.get(username="li")
    assert user.check_password(password)
    User.objects.filter(pk=user.pk).update(failed_logins=5, locked_until="2999-01-01T00:00Z")
    assert run(capsys, "user", "unlock", "li")[0] == 0
    user.refresh_from_db()
    assert not user.is_locked
    code, _ = run(capsys, "user", "create-operator", "root", "--password", "Root-pass-2026!")
    assert code == 0 and User.objects.get(username="root").is_superuser
    assert AuditEvent.objects.filter(channel="cli").count() >= 4


def test_cli_speaks_chinese_by_default(capsys, territory, monkeypatch):
    monkeypatch.delenv("LANGUAGE", raising=False)
    assert (
        cli.main(["user", "create", "li", "--role", "township_staff", "--code", "411302001"]) == 0
    )
    out = capsys.readouterr().out
    assert "已创建用户 li" in out and "密码" in out and "created" not in out


def test_cli_refuses_nonsense_with_the_field(capsys, territory):
    code, out = run(capsys, "user", "create", "li", "--role", "grid_worker", "--code", "4113")
    assert code == 2 and "region_code" in out
    assert not User.objects.filter(username="li").exists()


@pytest.mark.parametrize(("language", "label"), [("zh-hans", "用户名"), ("en", "Username")])
def test_login_page_in_both_languages(client, db, language, label):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert label in response.content.decode()


@pytest.mark.parametrize(("language", "label"), [("zh-hans", "授予角色"), ("en", "Grant a role")])
def test_user_page_in_both_languages(client, county_admin, worker, language, label):
    client.force_login(county_admin)
    response = client.get(f"/accounts/users/{worker.pk}/", HTTP_ACCEPT_LANGUAGE=language)
    assert label in response.content.decode()


def test_lock_message_is_translated(client, worker, settings):
    settings.GRIDGOV_LOGIN_MAX_FAILURES = 1
    response = client.post(
        "/accounts/login/",
        {"username": "worker302", "password": "wrong"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert "已锁定" in response.content.decode()


def test_user_list_query_count_does_not_grow(
    client, county_admin, make_user, django_assert_max_num_queries
):
    for n in range(25):
        make_user(
            "grid_worker", "411302001001", extra=[("citizen", "411302001001")], username=f"w{n}"
        )
    client.force_login(county_admin)
    with django_assert_max_num_queries(10):
        page = client.get("/accounts/users/?q=w")
    assert len(page.context["page"].items) == 25
    with django_assert_max_num_queries(10):
        api = client.get("/api/v1/users?role=grid_worker")
    assert api.json()["count"] == 25


def test_user_detail_and_token_list_query_counts(
    client, county_admin, worker, django_assert_max_num_queries
):
    for n in range(5):
        actions.create_token(actor=county_admin, name=f"t{n}")
    client.force_login(county_admin)
    with django_assert_max_num_queries(16):
        assert client.get(f"/accounts/users/{worker.pk}/").status_code == 200
    # 8 each, + the inbox's unread count in the menu.
    with django_assert_max_num_queries(9):
        assert client.get("/accounts/tokens/").status_code == 200
    with django_assert_max_num_queries(9):
        assert client.get("/accounts/departments/").status_code == 200


def test_departments_are_in_the_navigation_of_administrators_only(client, county_admin, worker):
    client.force_login(county_admin)
    assert "/accounts/departments/" in client.get("/").content.decode()
    client.force_login(worker)
    assert "/accounts/departments/" not in client.get("/").content.decode()


def test_django_admin_is_read_only_for_operators(client, operator, worker):
    actions.create_token(actor=worker, name="x")
    client.force_login(operator)
    for model in (
        "accounts/user",
        "accounts/roleassignment",
        "accounts/apitoken",
        "audit/auditevent",
    ):
        assert client.get(f"/ops/admin/{model}/").status_code == 200
        assert client.get(f"/ops/admin/{model}/add/").status_code == 403
    event = AuditEvent.objects.first()
    change = client.post(f"/ops/admin/audit/auditevent/{event.pk}/change/", {"action": "x"})
    assert change.status_code == 403
    delete = client.post(f"/ops/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk, action=event.action).exists()
