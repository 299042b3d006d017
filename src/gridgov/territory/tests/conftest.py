"""Fixtures of the territory tests: people around the test territory, and small helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from gridgov.accounts.models import User
from gridgov.audit.models import AuditEvent
from gridgov.territory import locating
from gridgov.territory.models import Region

OWN_TOWNSHIP = "411302001"
SIBLING_TOWNSHIP = "411302002"


@pytest.fixture(autouse=True)
def _fresh_locate_index() -> None:
    # Each test builds its own territory; never answer from a previous test's grids.
    locating.forget()


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages of direct calls in English, so tests may read them; requests still pick
    their language in the middleware (zh-hans by default)."""
    with translation.override("en"):
        yield


@pytest.fixture
def township_staff(territory: dict[str, Region], make_user: Callable[..., User]) -> User:
    return make_user("township_staff", OWN_TOWNSHIP, username="dongguan-staff")


@pytest.fixture
def sibling_staff(territory: dict[str, Region], make_user: Callable[..., User]) -> User:
    return make_user("township_staff", SIBLING_TOWNSHIP, username="xinhua-staff")


@pytest.fixture
def county_admin(territory: dict[str, Region], make_user: Callable[..., User]) -> User:
    return make_user("admin", "411302", username="wancheng-admin")


@pytest.fixture
def city_admin(territory: dict[str, Region], make_user: Callable[..., User]) -> User:
    return make_user("admin", "4113", username="nanyang-admin")


@pytest.fixture
def citizen(territory: dict[str, Region], make_user: Callable[..., User]) -> User:
    return make_user("citizen", "411302001001", username="resident")


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def box(lon0: float, lat0: float, lon1: float, lat1: float) -> dict[str, Any]:
    """A GeoJSON Polygon of a lon/lat box."""
    return {
        "type": "Polygon",
        "coordinates": [[[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]],
    }


def snapshot() -> tuple[Any, ...]:
    """Everything a refused call must leave unchanged: regions and the audit trail."""
    regions = tuple(
        Region.objects.order_by("code").values_list("code", "name", "version", "area_m2")
    )
    return regions, AuditEvent.objects.count()
