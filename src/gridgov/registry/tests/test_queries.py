"""Scoped reads of the registry: search by name, exact number, address and filters."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from gridgov.core.errors import InvalidInput, NotFound
from gridgov.registry import actions, queries
from gridgov.registry.models import Person
from gridgov.registry.tests.core_fixtures import (
    GRID,
    GRID_2,
    SIBLING_GRID,
    People,
    make_id_number,
    people_ctx,
)

__all__ = ["people_ctx"]

YEAR = dt.date.today().year


@pytest.fixture
def residents(people_ctx: People) -> dict[str, Person]:
    worker = people_ctx.worker
    make = actions.create_person
    found = {
        "wang": make(
            actor=worker,
            name="王建国",
            grid_code=GRID,
            id_number=make_id_number("411302", dt.date(YEAR - 72, 3, 1), 11),
            phone="13812345678",
            address="河街1号",
        ),
        "wang2": make(
            actor=worker,
            name="王丽",
            grid_code=GRID_2,
            sex="F",
            birth_date=dt.date(YEAR - 30, 6, 1),
            residence_type="migrant",
            phone="0377-63334567",
            address="市场路8号",
        ),
        "li": make(
            actor=worker,
            name="李强",
            grid_code=GRID,
            sex="M",
            birth_date=dt.date(YEAR - 5, 1, 1),
            status="moved_out",
            address="河街2号",
        ),
        "far": make(
            actor=people_ctx.sibling,
            name="王五",
            grid_code=SIBLING_GRID,
            sex="M",
            phone="13900000000",
        ),
    }
    actions.add_care_tag(found["wang"].pk, actor=worker, kind="chronic")
    return found


def names(queryset: Any) -> set[str]:
    return set(queryset.values_list("name", flat=True))


@pytest.mark.django_db
def test_search_by_each_criterion(people_ctx: People, residents: dict[str, Person]) -> None:
    worker = people_ctx.worker
    search = queries.search_people
    assert names(search(worker, q="王")) == {"王建国", "王丽"}  # not the sibling township's
    assert names(
        search(worker, id_number=make_id_number("411302", dt.date(YEAR - 72, 3, 1), 11).lower())
    ) == {"王建国"}
    assert names(search(worker, phone="+86 138 1234 5678")) == {"王建国"}
    assert names(search(worker, phone="(0377) 63334567")) == {"王丽"}
    assert names(search(worker, phone="13900000000")) == set()  # exists, outside the scope
    assert names(search(worker, id_number="not a number")) == set()
    assert names(search(worker, address="河街")) == {"王建国", "李强"}
    assert names(search(worker, grid=GRID_2)) == {"王丽"}
    assert names(search(worker, tag="chronic")) == {"王建国"}
    assert names(search(worker, residence_type="migrant")) == {"王丽"}
    assert names(search(worker, status="moved_out")) == {"李强"}
    assert names(search(worker, age_band="70-79")) == {"王建国"}
    assert names(search(worker, age_band="0-6")) == {"李强"}
    assert names(search(worker, q="王", age_band="18-34", residence_type="migrant")) == {"王丽"}
    with pytest.raises(InvalidInput):
        search(worker, age_band="old")


@pytest.mark.django_db
def test_reads_are_scoped(people_ctx: People, residents: dict[str, Person]) -> None:
    wang = residents["wang"]
    assert queries.get_person_for(people_ctx.worker, wang.pk) == wang
    assert queries.get_person_for(people_ctx.township, wang.pk) == wang
    for outsider in (None, people_ctx.neighbour, people_ctx.sibling, people_ctx.leader):
        with pytest.raises(NotFound):
            queries.get_person_for(outsider, wang.pk)
        assert not queries.visible_people(outsider).filter(pk=wang.pk).exists()
    with pytest.raises(NotFound):
        queries.get_person_for(people_ctx.worker, "abc")
    assert names(queries.visible_people(people_ctx.sibling)) == {"王五"}


@pytest.mark.django_db
def test_recent_arrivals_of_a_grid(people_ctx: People, residents: dict[str, Person]) -> None:
    worker = people_ctx.worker
    li = residents["li"]
    today = dt.date.today()
    actions.record_movement(li.pk, actor=worker, kind="arrival", date=today, from_code="440305")
    old = actions.record_movement(
        residents["wang"].pk, actor=worker, kind="arrival", date=today - dt.timedelta(days=40)
    )
    arrivals = list(queries.recent_arrivals(worker, GRID))
    assert [m.person for m in arrivals] == [li]
    assert old in queries.recent_arrivals(worker, GRID, days=60)
    with pytest.raises(NotFound):
        queries.recent_arrivals(people_ctx.neighbour, GRID)
