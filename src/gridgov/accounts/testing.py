"""Pytest fixtures for tests of the accounts and audit apps (imported by their conftest):
the people of a small administration, a clean login throttle, quick password hashing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache

from gridgov.accounts.models import User

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
    # The login throttle counts failures per address in the cache; no test inherits them.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def county_admin(territory: Any, make_user: Callable[..., User]) -> User:
    """Administrator of 宛城区 (411302)."""
    return make_user("admin", "411302", username="admin302")


@pytest.fixture
def other_admin(territory: Any, make_user: Callable[..., User]) -> User:
    """Administrator of the neighbouring 卧龙区 (411303)."""
    return make_user("admin", "411303", username="admin303")


@pytest.fixture
def worker(territory: Any, make_user: Callable[..., User]) -> User:
    """A grid worker of 河街社区 (411302001001), inside 411302."""
    return make_user("grid_worker", "411302001001", username="worker302", display_name="张三")


@pytest.fixture
def operator(db: Any) -> User:
    return User.objects.create_superuser("ops", password="Ops-test-pass-2026")  # noqa: S106
