"""Fixtures shared by every app's tests: the small test territory and users per role."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from gridgov.accounts.models import Department, RoleAssignment, User
from gridgov.accounts.roles import Role
from gridgov.territory.models import Region
from gridgov.territory.testing import build_test_territory

PASSWORD = "Grid-test-pass-2026"
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def _quick_passwords(settings: Any) -> None:
    # Argon2 costs a quarter of a second per hash by design; tests that are about the
    # hasher ask for ``argon2`` instead.
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture
def argon2(settings: Any) -> None:
    """The project's real hashers (Argon2 first)."""
    from gridgov import settings as project

    settings.PASSWORD_HASHERS = project.PASSWORD_HASHERS


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # The login throttle counts failures per address in the shared cache; no test inherits them.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def territory(db: Any) -> dict[str, Region]:
    return build_test_territory()


@pytest.fixture
def make_user(db: Any) -> Callable[..., User]:
    """make_user(role, code) or make_user(role, department=dept); several roles via extra=[...]."""

    def make(
        role: str | None = None,
        code: str | None = None,
        *,
        department: Department | None = None,
        username: str | None = None,
        extra: list[tuple[str, str]] | None = None,
        **fields: Any,
    ) -> User:
        user = User.objects.create_user(
            username=username or f"user{next(_counter)}", password=PASSWORD, **fields
        )
        for r, c in ([(role, code)] if role else []) + list(extra or []):
            if r == Role.DEPARTMENT or (department is not None and c is None):
                assert department is not None
                RoleAssignment.objects.create(
                    user=user, role=r, department=department, scope_code=department.region_code
                )
            else:
                assert c is not None, "a territory role needs a code"
                region = Region.objects.get(code=c)
                RoleAssignment.objects.create(user=user, role=r, region=region, scope_code=c)
        return user

    return make


@pytest.fixture
def department(territory: dict[str, Region]) -> Department:
    return Department.objects.create(
        code="wancheng-urban", name="宛城区城市管理局", region=territory["411302"]
    )


@pytest.fixture
def login(client: Client) -> Callable[[User], Client]:
    def do(user: User) -> Client:
        client.force_login(user)
        return client

    return do
