"""Completeness: the gaps a grid worker can fix, and the score rolled up every level."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from gridgov.core.errors import NotFound, PermissionDenied
from gridgov.registry import actions, completeness, queries
from gridgov.registry.models import GridCompleteness
from gridgov.registry.tests.core_fixtures import (
    GRID,
    GRID_2,
    SIBLING_GRID,
    People,
    make_id_number,
    people_ctx,
)

__all__ = ["people_ctx"]


def stored(grid: str) -> GridCompleteness:
    return GridCompleteness.objects.get(grid_code=grid)


@pytest.mark.django_db
def test_each_kind_of_gap_is_listed_and_fixing_it_removes_it(people_ctx: People) -> None:
    worker = people_ctx.worker
    empty_building = actions.create_building(
        actor=worker, grid_code=GRID, name="1号楼", address="河街1号"
    )
    household = actions.create_household(actor=worker, address="河街2号101", grid_code=GRID)
    complete = actions.create_person(
        actor=worker,
        name="完整",
        grid_code=GRID,
        id_number=make_id_number(seq=111),
        phone="13800000001",
        household_id=household.pk,
    )
    no_phone = actions.create_person(
        actor=worker, name="无电话", grid_code=GRID, id_number=make_id_number(seq=113)
    )
    no_id = actions.create_person(
        actor=worker, name="无证件", grid_code=GRID, sex="F", phone="13800000002"
    )
    overseas = actions.create_person(
        actor=worker,
        name="Smith",
        grid_code=GRID,
        sex="M",
        phone="13800000003",
        residence_type="overseas",
    )  # no resident ID expected
    away = actions.create_person(
        actor=worker,
        name="住别处",
        grid_code=GRID_2,
        sex="M",
        phone="13800000004",
        id_number=make_id_number(seq=115),
        household_id=household.pk,
    )
    tag = actions.add_care_tag(complete.pk, actor=worker, kind="chronic", care_contact_name="家属")

    gaps = completeness.gaps_for(GRID)
    assert gaps == {
        "person_no_phone": [no_phone.pk],
        "person_no_id": [no_id.pk],
        "care_no_contact": [tag.pk],
        "household_no_head": [household.pk],
        "building_empty": [empty_building.pk],
        "person_outside_grid": [],
    }
    assert completeness.gaps_for(GRID_2)["person_outside_grid"] == [away.pk]
    assert overseas.pk not in gaps["person_no_id"]
    # Checked in GRID: 4 living people for phone, 3 non-overseas for ID, 1 tag, 1 household,
    # 1 building, 1 person in a household = 11 items, 5 gaps.
    row = stored(GRID)
    assert (row.checked, row.gap_total) == (11, 5)
    assert row.score == pytest.approx(100 * (1 - 5 / 11), abs=0.01)

    actions.update_person(no_phone.pk, actor=worker, expected_version=1, phone="13800000005")
    actions.update_person(
        no_id.pk, actor=worker, expected_version=1, id_number=make_id_number(seq=112)
    )
    actions.set_household_head(household.pk, complete.pk, actor=worker)
    flat = actions.create_household(
        actor=worker, address="河街1号101", building_id=empty_building.pk
    )
    actions.end_care_tag(tag.pk, actor=worker, end_date=dt.date.today())
    actions.add_care_tag(
        complete.pk,
        actor=worker,
        kind="chronic",
        care_contact_name="家属",
        care_contact_phone="13800000009",
    )
    actions.update_person(away.pk, actor=worker, expected_version=1, grid_code=GRID)
    # Every gap fixed; the flat that filled the empty building has no head yet: a new gap.
    left = {kind: ids for kind, ids in completeness.gaps_for(GRID).items() if ids}
    assert left == {"household_no_head": [flat.pk]}
    assert stored(GRID).gaps == {"household_no_head": 1}
    assert completeness.gaps_for(GRID_2)["person_outside_grid"] == []


@pytest.mark.django_db
def test_refresh_matches_the_actions_and_scores_roll_up_weighted(
    people_ctx: People, django_assert_max_num_queries: Any
) -> None:
    worker = people_ctx.worker
    for i in range(3):  # GRID: 3 people without phone or ID → 6 checked, 6 gaps
        actions.create_person(actor=worker, name=f"甲{i}", grid_code=GRID, sex="M")
    actions.create_person(  # GRID_2: 1 complete person → 2 checked, 0 gaps
        actor=worker,
        name="乙",
        grid_code=GRID_2,
        id_number=make_id_number(seq=201),
        phone="13900000000",
    )
    actions.create_person(
        actor=people_ctx.sibling, name="丙", grid_code=SIBLING_GRID, sex="F", phone="13900000001"
    )
    kept = {r.grid_code: (r.checked, r.gaps, r.score) for r in GridCompleteness.objects.all()}
    GridCompleteness.objects.all().delete()
    completeness.refresh()
    assert {
        r.grid_code: (r.checked, r.gaps, r.score) for r in GridCompleteness.objects.all()
    } == kept
    assert kept[GRID] == (6, {"person_no_phone": 3, "person_no_id": 3}, 0.0)
    assert kept[GRID_2] == (2, {}, 100.0)
    with django_assert_max_num_queries(1):
        community = completeness.scores("411302001001")
    assert (community["checked"], community["gap_total"], community["grids"]) == (8, 6, 2)
    assert community["score"] == 25.0  # weighted by checked items: 1 − 6/8
    assert community["gaps"]["person_no_phone"] == 3
    with django_assert_max_num_queries(1):
        children = completeness.by_child("411302")
    assert [(code, s["checked"], s["gap_total"]) for code, s in children] == [
        ("411302001", 8, 6),
        ("411302002", 2, 1),
    ]
    assert completeness.scores("4114")["score"] == 100.0  # nothing to check


@pytest.mark.django_db
def test_completeness_queries_are_scoped(people_ctx: People) -> None:
    actions.create_person(actor=people_ctx.worker, name="甲", grid_code=GRID, sex="M")
    assert queries.completeness_for(people_ctx.leader, "4113")["gap_total"] == 2
    assert queries.gaps_for(people_ctx.worker, GRID)["person_no_id"]
    with pytest.raises(NotFound):
        queries.gaps_for(people_ctx.neighbour, GRID)
    with pytest.raises(NotFound):
        queries.completeness_for(people_ctx.sibling, GRID)
    with pytest.raises(PermissionDenied):
        queries.gaps_for(people_ctx.leader, GRID)  # leaders see scores, not the people


@pytest.mark.django_db
def test_a_head_who_leaves_or_dies_leaves_a_gap(people_ctx: People) -> None:
    worker = people_ctx.worker
    home = actions.create_household(actor=worker, address="河街5号", grid_code=GRID)
    other = actions.create_household(actor=worker, address="河街6号", grid_code=GRID)
    head = actions.create_person(
        actor=worker, name="户主", grid_code=GRID, sex="M", household_id=home.pk
    )
    actions.set_household_head(home.pk, head.pk, actor=worker)
    assert home.pk not in completeness.gaps_for(GRID)["household_no_head"]
    actions.record_status(head.pk, actor=worker, status="deceased", date=dt.date.today())
    assert home.pk in completeness.gaps_for(GRID)["household_no_head"]
    actions.record_status(head.pk, actor=worker, status="living", date=dt.date.today())
    assert home.pk not in completeness.gaps_for(GRID)["household_no_head"]
    # Moving to another household: the old one has no head any more.
    moved = actions.update_person(
        head.pk, actor=worker, expected_version=4, household_id=other.pk, relation="spouse"
    )
    assert (moved.household_id, moved.relation) == (other.pk, "spouse")
    home.refresh_from_db()
    assert home.head_id is None
    assert stored(GRID).gaps["household_no_head"] == 2
