"""Fixtures of the registry page and API tests: a small register written through the
actions (so roll-ups and completeness are what the product keeps), and clients.

Test modules import what they use by name, e.g.
``from gridgov.registry.tests.web_fixtures import register, client_for``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from gridgov.accounts.models import GridAssignment, User
from gridgov.registry import actions
from gridgov.registry.models import Building, CareTag, Household, Person
from gridgov.registry.tests.core_fixtures import (
    COMMUNITY,
    GRID,
    GRID_2,
    NEIGHBOUR_GRID,
    SIBLING_GRID,
    SIBLING_TOWNSHIP,
    keyring,
    make_id_number,
)
from gridgov.territory.models import Region

__all__ = ["Register", "client_for", "keyring", "register"]

ID_NUMBER = make_id_number("411302", dt.date(1980, 5, 17), 123)  # a man
PHONE = "13812345678"
ELDER_ID = make_id_number("411302", dt.date(1940, 2, 3), 246)  # a woman of 80+
SIBLING_ID = make_id_number("411302", dt.date(1990, 1, 1), 135)
NEIGHBOUR_ID = make_id_number("411302", dt.date(1985, 3, 3), 157)


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@dataclass
class Register:
    """The people around grid ``GRID`` and what is registered there."""

    worker: User  # grid worker of COMMUNITY, assigned to GRID
    community: User  # community staff of COMMUNITY (import, export, reveal)
    township: User  # township staff over GRID's township (no reveal)
    sibling: User  # township staff of the sibling township
    neighbour: User  # grid worker of the neighbouring community
    leader: User  # leader over the city: aggregates only
    citizen: User
    supervision: User
    building: Building
    household: Household
    person: Person  # with ID and phone number, head of the household
    elder: Person  # over 80, alone in her household, with a care tag
    migrant: Person  # in GRID_2, arrived recently
    sibling_person: Person
    neighbour_person: Person
    tag: CareTag


def _grid_worker(make_user: Callable[..., User], grid: str) -> User:
    user = make_user("grid_worker", COMMUNITY, username="hejie-worker", display_name="张网格")
    GridAssignment.objects.create(user=user, grid=Region.objects.get(code=grid), grid_code=grid)
    return user


@pytest.fixture
def register(
    keyring: Any, territory: dict[str, Region], make_user: Callable[..., User]
) -> Register:
    worker = _grid_worker(make_user, GRID)
    sibling = make_user("township_staff", SIBLING_TOWNSHIP, username="xinhua-staff")
    neighbour = make_user("grid_worker", "411302001002", username="shichang-worker")
    building = actions.create_building(
        actor=worker, grid_code=GRID, name="3号楼", address="河街路12号3号楼", floors=6
    )
    household = actions.create_household(
        actor=worker, address="河街路12号3号楼1单元101", building_id=building.pk, unit="1单元"
    )
    person = actions.create_person(
        actor=worker,
        name="王建国",
        id_number=ID_NUMBER,
        phone=PHONE,
        household_id=household.pk,
        relation="head",
        address="河街路12号3号楼1单元101",
    )
    actions.set_household_head(household.pk, person.pk, actor=worker)
    lone = actions.create_household(actor=worker, address="河街路14号", grid_code=GRID)
    elder = actions.create_person(
        actor=worker, name="李秀英", id_number=ELDER_ID, household_id=lone.pk, address="河街路14号"
    )
    tag = actions.add_care_tag(
        elder.pk,
        actor=worker,
        kind="disabled",
        attributes={"category": "肢体", "level": "二级"},
        care_contact_name="李明",
    )
    migrant = actions.create_person(
        actor=worker, name="赵流动", sex="F", grid_code=GRID_2, residence_type="migrant"
    )
    actions.record_movement(
        migrant.pk,
        actor=worker,
        kind="arrival",
        date=dt.date.today() - dt.timedelta(days=3),
        from_code="330102",
        reason="务工",
    )
    sibling_person = actions.create_person(
        actor=sibling, name="孙邻居", id_number=SIBLING_ID, grid_code=SIBLING_GRID
    )
    neighbour_person = actions.create_person(
        actor=neighbour, name="周隔壁", id_number=NEIGHBOUR_ID, grid_code=NEIGHBOUR_GRID
    )
    return Register(
        worker=worker,
        community=make_user("community_staff", COMMUNITY, username="hejie-staff"),
        township=make_user("township_staff", "411302001", username="dongguan-staff"),
        sibling=sibling,
        neighbour=neighbour,
        leader=make_user("leader", "4113", username="city-leader"),
        citizen=make_user("citizen", COMMUNITY, username="resident"),
        supervision=make_user("supervision", "411302", username="supervisor"),
        building=Building.objects.get(pk=building.pk),
        household=Household.objects.get(pk=household.pk),
        person=Person.objects.get(pk=person.pk),
        elder=Person.objects.get(pk=elder.pk),
        migrant=Person.objects.get(pk=migrant.pk),
        sibling_person=sibling_person,
        neighbour_person=neighbour_person,
        tag=tag,
    )
