"""``gridgov demo --no-serve`` end to end: the city, the departments and the logins.

Building takes a few seconds, so one test runs the command and checks its results in turn.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from gridgov.accounts.models import Department, GridAssignment, RoleAssignment, User
from gridgov.cases.models import Case, Component, Responsibility
from gridgov.cli import main
from gridgov.demo.users import DEMO_PASSWORD, DEMO_USERS
from gridgov.registry.models import Person
from gridgov.territory.models import Region

EXPECTED_SCOPES = {
    "gridworker": ("grid_worker", "411302001001"),
    "community": ("community_staff", "411302001001"),
    "township": ("township_staff", "411302001"),
    "supervision": ("supervision", "411302"),
    "command": ("command", "411302"),
    "department": ("department", "411302"),
    "leader": ("leader", "4113"),
    "admin": ("admin", "4113"),
    "citizen": ("citizen", "411302001001"),
}


def assert_logins_printed(out: str) -> None:
    for spec in DEMO_USERS:
        assert spec.username in out
    assert DEMO_PASSWORD in out
    assert "http://127.0.0.1:8000/" in out
    assert "东关街道" in out and "411302001" in out


def assert_roles_and_scopes() -> None:
    held = {
        a.user.username: (a.role, a.scope_code)
        for a in RoleAssignment.objects.active().select_related("user")
    }
    assert held == EXPECTED_SCOPES
    handler = RoleAssignment.objects.get(user__username="department")
    assert handler.department == Department.objects.get(name="宛城区城市管理局")
    assert User.objects.get(username="operator").is_superuser
    assert not User.objects.filter(is_superuser=True).exclude(username="operator").exists()
    covered = sorted(
        (a.grid_code, a.is_deputy)
        for a in GridAssignment.objects.active().filter(user__username="gridworker")
    )
    assert covered == [
        ("411302001001001", False),
        ("411302001001002", False),
        ("411302001001003", True),
    ]
    for spec in DEMO_USERS:
        assert User.objects.get(username=spec.username).check_password(DEMO_PASSWORD)


def assert_township_sees_only_its_street(client: Client) -> None:
    assert client.login(username="township", password=DEMO_PASSWORD)
    own = client.get("/api/v1/territory/regions/411302001")
    assert own.status_code == 200
    assert own.json()["name"] == "东关街道"
    for code in ("411302002", "411302002001", "411302002001001"):
        assert Region.objects.filter(code=code).exists()
        assert client.get(f"/api/v1/territory/regions/{code}").status_code == 404


@pytest.mark.django_db
def test_demo_builds_once_and_prints_a_login_per_role(
    client: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--lang", "en", "demo", "--no-serve"]) == 0
    assert_logins_printed(capsys.readouterr().out)
    assert_roles_and_scopes()
    assert_township_sees_only_its_street(client)
    content = assert_city_has_content(client)

    regions, users = Region.objects.count(), User.objects.count()
    assert main(["--lang", "en", "demo", "--no-serve"]) == 0
    assert "already built" in capsys.readouterr().out
    assert (Region.objects.count(), User.objects.count()) == (regions, users)
    assert city_content() == content  # a second start adds nothing


def city_content() -> tuple[int, ...]:
    return (
        Person.objects.count(),
        Responsibility.objects.count(),
        Component.objects.count(),
        Case.objects.count(),
    )


def assert_city_has_content(client: Client) -> tuple[int, ...]:
    """Residents, departments with their responsibilities, components and a case history,
    which the command centre's queue shows."""
    content = city_content()
    assert all(content), content
    assert Case.objects.filter(stage="closed").exists()
    assert Case.objects.exclude(stage__in=["closed", "cancelled"]).exists()
    client.logout()
    assert client.login(username="command", password=DEMO_PASSWORD)
    page = client.get("/cases/work/")
    assert page.status_code == 200
    return content


@pytest.mark.django_db
def test_demo_refuses_published_passwords_in_production(
    monkeypatch: pytest.MonkeyPatch, settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.DEBUG = False
    monkeypatch.setenv("GRIDGOV_PRODUCTION", "1")
    assert main(["--lang", "en", "demo", "--no-serve"]) == 1
    assert "GRIDGOV_PRODUCTION" in capsys.readouterr().out
    assert not User.objects.exists()
    assert not Region.objects.exists()
