"""Pytest fixtures for tests of the accounts and audit apps (imported by their conftest):
the people of a small administration."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gridgov.accounts.models import User


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
