"""The demo city's responsibility list: departments reused or created, city-wide rows
with county overrides, one class by default department and one unassigned; idempotent."""

from __future__ import annotations

import pytest

from gridgov.accounts.models import Department
from gridgov.cases.catalogue_demo import seed_demo_responsibilities
from gridgov.cases.models import CaseClass, Responsibility
from gridgov.cases.queries import catalogue as queries
from gridgov.cases.tests.catalogue_fixtures import (
    CITY,
    GRID,
    SIBLING_GRID,
    Catalogue,
    cat,
    english,
    minor,
    state,
)
from gridgov.core.system import SystemActor

__all__ = ["cat", "english"]

pytestmark = pytest.mark.django_db
ACTOR = SystemActor(name="gridgov demo")


def test_the_demo_list_covers_the_city_with_county_overrides(cat: Catalogue) -> None:
    added = seed_demo_responsibilities(CITY, actor=ACTOR)
    minors = CaseClass.objects.filter(parent__isnull=False).count()
    assert added == Responsibility.objects.count() > minors - 3
    # Existing departments are reused, missing ones created once for the city.
    assert queries.responsible_department(minor("C0101"), GRID) == cat.water
    assert not Department.objects.filter(name="南阳市自来水公司").exists()
    gas = queries.responsible_department(minor("E0404"), GRID)
    assert gas is not None and (gas.name, gas.region_code) == ("南阳市燃气公司", CITY)
    # Each county's urban management bureau takes exposed garbage in its county.
    assert queries.responsible_department(minor("E0102"), GRID) == cat.county_dept
    assert queries.responsible_department(minor("E0102"), SIBLING_GRID) == cat.sibling_dept
    # A class without a county override stays with the city.
    assert queries.responsible_department(minor("C0402"), GRID).name == "南阳市园林绿化处"
    epidemic = queries.explain_responsibility(minor("E0607"), GRID)
    assert (epidemic.via, epidemic.department.name) == ("default", "南阳市卫生健康委员会")
    assert queries.explain_responsibility(minor("E0608"), GRID).via == "none"


def test_running_it_again_adds_nothing(cat: Catalogue) -> None:
    seed_demo_responsibilities(CITY, actor=ACTOR)
    before = state()
    assert seed_demo_responsibilities(CITY, actor=ACTOR) == 0
    assert state() == before
