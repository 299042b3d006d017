"""Registry actions: validation, the permission matrix, audit events with masked numbers
only, version checks, duplicates, care tags, movement and revealing a number."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from gridgov.accounts.tests.test_concurrency import race
from gridgov.audit.models import AuditEvent
from gridgov.core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from gridgov.core.system import SYSTEM
from gridgov.registry import actions, privacy, queries, rollups
from gridgov.registry.models import CareTag, Household, Movement, Person
from gridgov.registry.tests.core_fixtures import (
    GRID,
    GRID_2,
    NEIGHBOUR_GRID,
    POINT_IN_GRID,
    SIBLING_GRID,
    People,
    make_id_number,
    people_ctx,
    registry_state,
)

__all__ = ["people_ctx"]


def ago(days: int) -> dt.date:
    return dt.date.today() - dt.timedelta(days=days)


ID = make_id_number("411302", dt.date(1980, 5, 17), 123)  # male
PHONE = "13812345678"


def new_person(actor: Any, **fields: Any) -> Person:
    values: dict[str, Any] = {"name": "张伟", "grid_code": GRID, "id_number": ID, "phone": PHONE}
    values.update(fields)
    return actions.create_person(actor=actor, **values)


def fields_of(exc: pytest.ExceptionInfo[DomainError]) -> dict[str, str]:
    return exc.value.details.get("fields", {})


# --- creating people ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_person_is_stored_encrypted_hashed_and_masked(people_ctx: People) -> None:
    person = new_person(people_ctx.worker, phone="+86 138 1234 5678")
    person.refresh_from_db()
    assert person.id_number_masked == "4113**********123X"[:14] + ID[-4:]
    assert person.phone_masked == "138****5678"
    assert ID.encode() not in bytes(person.id_number_enc)
    assert privacy.person_numbers(person) == {"id_number": ID, "phone": PHONE}
    # Sex and birth date come from the ID number when not given.
    assert (person.sex, person.birth_date, person.birth_year) == ("M", dt.date(1980, 5, 17), 1980)
    assert person.version == 1


@pytest.mark.django_db
def test_the_grid_is_located_from_coordinates_or_taken_from_the_household(
    people_ctx: People,
) -> None:
    lon, lat = POINT_IN_GRID
    located = new_person(people_ctx.worker, grid_code=None, lon=lon, lat=lat)
    assert located.grid_code == GRID
    household = actions.create_household(
        actor=people_ctx.worker, address="河街3号", grid_code=GRID_2
    )
    member = new_person(
        people_ctx.worker, grid_code=None, id_number=None, household_id=household.pk, sex="F"
    )
    assert member.grid_code == GRID_2


@pytest.mark.django_db
def test_a_point_outside_every_grid_is_refused(people_ctx: People) -> None:
    before = registry_state()
    with pytest.raises(InvalidInput) as exc:
        new_person(people_ctx.worker, grid_code=None, lon=100.0, lat=20.0)
    assert "outside" in fields_of(exc)["lon"]
    with pytest.raises(InvalidInput) as exc:
        new_person(people_ctx.worker, grid_code=None)
    assert "grid_code" in fields_of(exc)
    with pytest.raises(InvalidInput) as exc:
        new_person(people_ctx.worker, grid_code="411302001001999")
    assert "grid_code" in fields_of(exc)
    assert registry_state() == before


@pytest.mark.django_db
def test_every_bad_field_is_named_at_once(people_ctx: People) -> None:
    before = registry_state()
    with pytest.raises(InvalidInput) as exc:
        new_person(
            people_ctx.worker,
            sex="F",
            birth_date="1981-01-01",
            phone="12345",
            hukou_code="4113",
            residence_type="tourist",
            relation="cousin",
        )
    assert set(fields_of(exc)) == {
        "sex",
        "birth_date",
        "phone",
        "hukou_code",
        "residence_type",
        "relation",
    }
    with pytest.raises(InvalidInput) as exc:
        new_person(people_ctx.worker, id_number=ID[:-1] + "0", name="")
    assert set(fields_of(exc)) == {"id_number", "name"}
    with pytest.raises(InvalidInput) as exc:
        new_person(people_ctx.worker, id_number=None)
    assert "sex" in fields_of(exc)  # neither given nor derivable
    assert registry_state() == before


@pytest.mark.django_db
def test_hukou_codes_of_6_9_or_12_digits_are_accepted(people_ctx: People) -> None:
    person = new_person(people_ctx.worker, hukou_code="510107001001", id_number=None, sex="F")
    assert person.hukou_code == "510107001001"


@pytest.mark.django_db
def test_a_duplicate_id_number_names_the_existing_person_masked(people_ctx: People) -> None:
    first = new_person(people_ctx.worker)
    before = registry_state()
    with pytest.raises(Conflict) as exc:
        new_person(people_ctx.township, grid_code=GRID_2, id_number=ID.lower())
    assert first.id_number_masked in exc.value.message
    assert GRID in exc.value.message
    assert ID not in exc.value.message
    # The 15-digit form of the same number is the same person.
    legacy = actions.create_person(
        actor=people_ctx.worker, name="李娜", sex="F", grid_code=GRID, id_number="110105491231002"
    )
    with pytest.raises(Conflict):
        new_person(people_ctx.worker, id_number="11010519491231002X", sex="F")
    assert legacy.id_number_masked == "1101**********002X"
    assert registry_state() != before  # only the legacy person was added


# --- the permission matrix ----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "refusal"),
    [
        ("anonymous", NotFound),
        ("neighbour", NotFound),
        ("sibling", NotFound),
        ("leader", PermissionDenied),
    ],
)
def test_refused_actors_change_nothing(people_ctx: People, who: str, refusal: type) -> None:
    person = new_person(people_ctx.worker)
    household = actions.create_household(actor=people_ctx.worker, address="河街1号", grid_code=GRID)
    tag = actions.add_care_tag(person.pk, actor=people_ctx.worker, kind="chronic")
    actor = None if who == "anonymous" else getattr(people_ctx, who)
    before = registry_state()
    attempts: list[Callable[[], Any]] = [
        lambda: new_person(actor, id_number=None, sex="F"),
        lambda: actions.update_person(person.pk, actor=actor, expected_version=1, name="王五"),
        lambda: actions.record_status(person.pk, actor=actor, status="deceased", date="2026-01-01"),
        lambda: actions.add_care_tag(person.pk, actor=actor, kind="dibao"),
        lambda: actions.end_care_tag(tag.pk, actor=actor, end_date="2026-01-01"),
        lambda: actions.record_movement(
            person.pk, actor=actor, kind="departure", date="2026-01-01"
        ),
        lambda: actions.update_household(household.pk, actor=actor, address="别处"),
        lambda: actions.set_household_head(household.pk, None, actor=actor),
        lambda: actions.create_household(actor=actor, address="河街2号", grid_code=GRID),
        lambda: actions.create_building(actor=actor, grid_code=GRID, name="楼", address="河街"),
        lambda: actions.reveal_number(person.pk, actor=actor, field="id_number"),
        lambda: actions.propose_elderly_alone(GRID, actor=actor),
    ]
    for attempt in attempts:
        with pytest.raises(refusal):
            attempt()
    assert registry_state() == before


@pytest.mark.django_db
def test_the_leader_sees_figures_but_no_people(people_ctx: People) -> None:
    new_person(people_ctx.worker)
    leader = people_ctx.leader
    assert queries.population_figures(leader, "4113")["total"] == 1
    assert queries.completeness_for(leader, "411302")["checked"] > 0
    assert not queries.visible_people(leader).exists()
    assert not queries.search_people(leader, id_number=ID).exists()
    with pytest.raises(NotFound):
        queries.get_person_for(leader, Person.objects.get().pk)
    with pytest.raises(NotFound):
        queries.population_figures(people_ctx.neighbour, GRID)


@pytest.mark.django_db
def test_township_staff_edit_but_may_not_reveal(people_ctx: People) -> None:
    person = new_person(people_ctx.township)
    with pytest.raises(PermissionDenied):
        actions.reveal_number(person.pk, actor=people_ctx.township, field="phone")


# --- audit --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_audit_events_hold_masked_numbers_only(people_ctx: People) -> None:
    worker = people_ctx.worker
    person = new_person(worker)
    person = actions.update_person(
        person.pk, actor=worker, expected_version=1, phone="0377-63334567"
    )
    actions.add_care_tag(
        person.pk,
        actor=worker,
        kind="disabled",
        attributes={"category": "肢体", "level": "二级"},
        care_contact_name="张丽",
        care_contact_phone="13987654321",
    )
    assert actions.reveal_number(person.pk, actor=worker, field="id_number", reason="核对") == ID
    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.action for e in events] == [
        "registry.person.create",
        "registry.person.update",
        "registry.tag.add",
        "registry.reveal",
    ]
    text = json.dumps([e.changes for e in events], ensure_ascii=False)
    for secret in (ID, PHONE, "63334567", "13987654321"):
        assert secret not in text
    assert events[0].changes["id_number_masked"] == person.id_number_masked
    assert events[1].changes["phone_masked"] == ["138****5678", "0377-******67"]
    assert events[3].changes == {
        "field": "id_number",
        "masked": person.id_number_masked,
        "reason": "核对",
    }
    assert events[3].actor_id == worker.pk and events[3].grid_code == GRID


# --- updates ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_stale_version_is_a_conflict_and_changes_nothing(people_ctx: People) -> None:
    person = new_person(people_ctx.worker)
    actions.update_person(person.pk, actor=people_ctx.worker, expected_version=1, name="张伟明")
    before = registry_state()
    with pytest.raises(Conflict):
        actions.update_person(person.pk, actor=people_ctx.worker, expected_version=1, name="张三")
    assert registry_state() == before


@pytest.mark.django_db
def test_updates_are_checked_against_the_stored_id_number(people_ctx: People) -> None:
    person = new_person(people_ctx.worker)
    with pytest.raises(InvalidInput) as exc:
        actions.update_person(person.pk, actor=people_ctx.worker, expected_version=1, sex="F")
    assert "sex" in fields_of(exc)
    other = make_id_number("411302", dt.date(1990, 1, 2), 222)  # a woman born 1990
    with pytest.raises(InvalidInput):
        actions.update_person(
            person.pk, actor=people_ctx.worker, expected_version=1, id_number=other
        )
    updated = actions.update_person(
        person.pk,
        actor=people_ctx.worker,
        expected_version=1,
        id_number=other,
        sex="F",
        birth_date="1990-01-02",
    )
    assert updated.id_number_masked.endswith(other[-4:])
    assert privacy.person_numbers(updated) == {"id_number": other, "phone": PHONE}
    assert updated.birth_year == 1990
    with pytest.raises(InvalidInput) as exc:
        actions.update_person(person.pk, actor=people_ctx.worker, expected_version=2, salary=1)
    assert "salary" in fields_of(exc)


@pytest.mark.django_db
def test_clearing_a_phone_keeps_the_id_number(people_ctx: People) -> None:
    person = new_person(people_ctx.worker)
    person = actions.update_person(person.pk, actor=people_ctx.worker, expected_version=1, phone="")
    assert (person.phone_hash, person.phone_masked, person.phone_enc) == ("", "", None)
    assert privacy.person_numbers(person)["id_number"] == ID


@pytest.mark.django_db
def test_households_heads_and_buildings(people_ctx: People) -> None:
    worker = people_ctx.worker
    building = actions.create_building(
        actor=worker, lon=POINT_IN_GRID[0], lat=POINT_IN_GRID[1], name="3号楼", address="河街3号"
    )
    assert building.grid_code == GRID
    household = actions.create_household(
        actor=worker, address="河街3号2单元301", building_id=building.pk, unit="2", room="301"
    )
    assert household.grid_code == GRID  # from its building
    head = new_person(worker, household_id=household.pk)
    spouse = new_person(
        worker, id_number=None, sex="F", household_id=household.pk, relation="spouse"
    )
    actions.set_household_head(household.pk, head.pk, actor=worker)
    head.refresh_from_db()
    assert head.relation == "head"
    actions.set_household_head(household.pk, spouse.pk, actor=worker)
    head.refresh_from_db()
    assert Household.objects.get().head_id == spouse.pk and head.relation == ""
    stranger = new_person(worker, id_number=None, sex="M")
    with pytest.raises(InvalidInput):
        actions.set_household_head(household.pk, stranger.pk, actor=worker)
    moved = actions.update_building(building.pk, actor=worker, expected_version=1, floors=6)
    assert moved.floors == 6 and moved.version == 2
    with pytest.raises(InvalidInput):
        actions.update_building(building.pk, actor=worker, floors=-1)
    # A building of another community is no household's building for this worker.
    foreign = actions.create_building(
        actor=people_ctx.sibling, grid_code=SIBLING_GRID, name="1号楼", address="新华路1号"
    )
    with pytest.raises(InvalidInput) as exc:
        actions.create_household(actor=worker, address="x", building_id=foreign.pk)
    assert "building_id" in fields_of(exc)


# --- status, care tags, movement ----------------------------------------------------------


@pytest.mark.django_db
def test_status_changes_move_the_counts(people_ctx: People) -> None:
    person = new_person(people_ctx.worker)
    assert rollups.figures(GRID)["total"] == 1
    actions.record_status(person.pk, actor=people_ctx.worker, status="deceased", date="2026-01-05")
    assert rollups.figures(GRID).get("total", 0) == 0
    with pytest.raises(InvalidInput):
        actions.record_status(person.pk, actor=people_ctx.worker, status="gone", date=None)
    actions.record_status(person.pk, actor=people_ctx.worker, status="living", date="2026-01-06")
    assert rollups.figures(GRID)["total"] == 1


@pytest.mark.django_db
def test_care_tags_validate_their_attributes_and_count_when_confirmed(people_ctx: People) -> None:
    worker = people_ctx.worker
    person = new_person(worker)
    with pytest.raises(InvalidInput) as exc:
        actions.add_care_tag(person.pk, actor=worker, kind="disabled", attributes={"level": "五级"})
    assert set(fields_of(exc)) == {"attributes.category", "attributes.level"}
    with pytest.raises(InvalidInput):
        actions.add_care_tag(person.pk, actor=worker, kind="unicorn")
    tag = actions.add_care_tag(
        person.pk,
        actor=worker,
        kind="disabled",
        attributes={"category": "视力", "level": "一级", "certificate": "41130219800517123X61"},
        care_contact_name="张丽",
        care_contact_phone="0377-63334567",
    )
    assert tag.status == "confirmed" and tag.confirmed_by == worker
    assert tag.care_contact_phone_masked == "0377-******67"
    assert privacy.contact_phone(tag) == "0377-63334567"
    assert rollups.figures(GRID)["tag:disabled"] == 1
    with pytest.raises(Conflict):
        actions.add_care_tag(person.pk, actor=worker, kind="disabled", attributes=tag.attributes)
    actions.end_care_tag(tag.pk, actor=worker, end_date="2026-02-01")
    assert rollups.figures(GRID).get("tag:disabled", 0) == 0
    with pytest.raises(Conflict):
        actions.end_care_tag(tag.pk, actor=worker, end_date="2026-02-01")
    with pytest.raises(Conflict):
        actions.confirm_care_tag(tag.pk, actor=worker)
    # Ended, the kind may be tagged again.
    actions.add_care_tag(
        person.pk, actor=worker, kind="disabled", attributes={"category": "视力", "level": "二级"}
    )


@pytest.mark.django_db
def test_a_transfer_moves_the_person_and_keeps_the_history(people_ctx: People) -> None:
    worker = people_ctx.worker
    household = actions.create_household(actor=worker, address="河街1号", grid_code=GRID)
    person = new_person(worker, household_id=household.pk)
    actions.set_household_head(household.pk, person.pk, actor=worker)
    tag = actions.add_care_tag(person.pk, actor=worker, kind="chronic")
    with pytest.raises(InvalidInput) as exc:
        actions.record_movement(person.pk, actor=worker, kind="transfer", date="2026-01-01")
    assert "to_grid" in fields_of(exc)
    # Into another community's grid: the worker is not responsible there.
    with pytest.raises(NotFound):
        actions.record_movement(
            person.pk, actor=worker, kind="transfer", date="2026-01-01", to_grid=NEIGHBOUR_GRID
        )
    movement = actions.record_movement(
        person.pk, actor=worker, kind="transfer", date=ago(10), to_grid=GRID_2, reason="搬家"
    )
    person.refresh_from_db()
    assert person.grid_code == GRID_2 and person.household_id is None
    assert Household.objects.get().head_id is None
    assert CareTag.objects.get(pk=tag.pk).grid_code == GRID_2
    assert (movement.from_grid, movement.to_grid, movement.grid_code) == (GRID, GRID_2, GRID_2)
    assert rollups.figures(GRID).get("total", 0) == 0
    assert rollups.figures(GRID_2)["total"] == rollups.figures(GRID_2)["tag:chronic"] == 1
    assert list(queries.recent_arrivals(worker, GRID_2)) == [movement]
    # Departure and arrival from elsewhere in China.
    actions.record_movement(
        person.pk, actor=worker, kind="departure", date=ago(5), to_code="440305"
    )
    person.refresh_from_db()
    assert person.status == "moved_out" and rollups.figures(GRID_2).get("total", 0) == 0
    actions.record_movement(
        person.pk,
        actor=worker,
        kind="arrival",
        date=ago(1),
        from_code="440305",
        transport="火车",
    )
    person.refresh_from_db()
    assert person.status == "living" and rollups.figures(GRID_2)["total"] == 1
    assert Movement.objects.filter(person=person).count() == 3
    with pytest.raises(InvalidInput) as exc:
        actions.record_movement(
            person.pk, actor=worker, kind="arrival", date="2999-01-01", from_code="12"
        )
    assert set(fields_of(exc)) == {"date", "from_code"}


@pytest.mark.django_db
def test_reveal_is_audited_and_limited_to_two_fields(people_ctx: People) -> None:
    person = new_person(people_ctx.worker)
    assert actions.reveal_number(person.pk, actor=people_ctx.worker, field="phone") == PHONE
    with pytest.raises(InvalidInput):
        actions.reveal_number(person.pk, actor=people_ctx.worker, field="name")
    with pytest.raises(NotFound):
        actions.reveal_number(person.pk, actor=people_ctx.neighbour, field="phone")
    assert AuditEvent.objects.filter(action="registry.reveal").count() == 1
    assert actions.reveal_number(person.pk, actor=SYSTEM, field="phone") == PHONE


# --- elderly living alone -----------------------------------------------------------------


@pytest.mark.django_db
def test_propose_elderly_alone(people_ctx: People, settings: Any) -> None:
    worker = people_ctx.worker
    year = dt.date.today().year

    def person_in_new_household(age: int, **fields: Any) -> Person:
        household = actions.create_household(actor=worker, address=f"河街{age}号", grid_code=GRID)
        born = dt.date(year - age, 1, 1)
        return new_person(
            worker, id_number=None, sex="F", birth_date=born, household_id=household.pk, **fields
        )

    alone = person_in_new_household(75)
    widowed = person_in_new_household(80)
    new_person(
        worker,
        id_number=None,
        sex="M",
        birth_date="1940-01-01",
        household_id=widowed.household_id,
        status="deceased",
    )
    couple = person_in_new_household(70)
    new_person(
        worker, id_number=None, sex="M", birth_date="1950-01-01", household_id=couple.household_id
    )
    young = person_in_new_household(50)
    already = person_in_new_household(66)
    actions.add_care_tag(already.pk, actor=worker, kind="elderly_alone")
    moved_out = person_in_new_household(90, status="moved_out")
    new_person(worker, id_number=None, sex="M", birth_date="1930-01-01")  # no household known

    assert actions.propose_elderly_alone(GRID, actor=worker) == 2
    proposed = CareTag.objects.filter(status="proposed")
    assert {t.person_id for t in proposed} == {alone.pk, widowed.pk}
    assert all(t.proposed_by_system for t in proposed)
    assert rollups.figures(GRID)["tag:elderly_alone"] == 1  # proposals do not count yet
    # Running again proposes nobody twice.
    assert actions.propose_elderly_alone(actor=worker) == 0
    # A lower configured age takes in the 50-year-old.
    settings.GRIDGOV_ELDERLY_ALONE_AGE = 50
    assert actions.propose_elderly_alone(actor=worker) == 1
    assert CareTag.objects.filter(person=young, status="proposed").exists()
    assert not CareTag.objects.filter(person=moved_out).exists()
    tag = CareTag.objects.get(person=alone)
    actions.confirm_care_tag(tag.pk, actor=worker)
    assert rollups.figures(GRID)["tag:elderly_alone"] == 2
    event = AuditEvent.objects.filter(action="registry.tag.propose").order_by("seq").first()
    assert event is not None and event.changes["proposed"] == 2


# --- the bulk path ------------------------------------------------------------------------


@pytest.mark.django_db
def test_bulk_insert_counts_audits_once_and_checks_scope(people_ctx: People) -> None:
    def row(i: int, grid: str) -> dict[str, Any]:
        number = make_id_number("411302", dt.date(1950 + i, 3, 4), 100 + i)
        return {
            "name": f"居民{i}",
            "sex": "M",
            "birth_date": dt.date(1950 + i, 3, 4),
            "birth_year": 1950 + i,
            "grid_code": grid,
            "residence_type": "migrant" if i % 2 else "registered",
            **privacy.seal_person_numbers(number, f"1381234{i:04d}"),
        }

    events = AuditEvent.objects.count()
    rows = [row(i, GRID if i < 30 else GRID_2) for i in range(40)]
    assert actions.bulk_insert_people(rows, actor=people_ctx.worker, source="people.csv") == 40
    assert AuditEvent.objects.count() == events + 1
    event = AuditEvent.objects.latest("seq")
    assert event.changes == {"source": "people.csv", "rows": 40, "grids": {GRID: 30, GRID_2: 10}}
    incremented = rollups.figures("4113")
    rollups.recount()
    assert rollups.figures("4113") == incremented
    assert incremented["total"] == 40 and incremented["residence:migrant"] == 20
    assert queries.completeness_for(people_ctx.worker, GRID)["checked"] > 0
    stored = Person.objects.get(name="居民7")
    assert privacy.person_numbers(stored)["phone"] == "13812340007"
    assert (stored.birth_date, stored.status, stored.version) == (dt.date(1957, 3, 4), "living", 1)
    assert abs((timezone.now() - stored.created_at).total_seconds()) < 600
    before = registry_state()
    with pytest.raises(Conflict):  # already registered: nothing of the batch is written
        actions.bulk_insert_people([row(40, GRID), row(3, GRID)], actor=SYSTEM, source="y.csv")
    assert registry_state() == before
    with pytest.raises(NotFound):
        actions.bulk_insert_people([row(99, SIBLING_GRID)], actor=people_ctx.worker, source="x.csv")
    assert registry_state() == before


# --- concurrency (PostgreSQL: real row locks and concurrent connections) -------------------

needs_concurrency = pytest.mark.skipif(
    connection.vendor == "sqlite", reason="needs concurrent connections (PostgreSQL)"
)


@needs_concurrency
@pytest.mark.django_db(transaction=True)
def test_the_same_id_number_registered_twice_at_once_is_stored_once(people_ctx: People) -> None:
    def register() -> Any:
        return new_person(people_ctx.worker)

    results = race(register, register, register)
    assert sum(isinstance(r, Person) for r in results) == 1, results
    assert sum(isinstance(r, Conflict) for r in results) == 2, results
    assert Person.objects.count() == 1
    assert rollups.figures(GRID)["total"] == 1


@needs_concurrency
@pytest.mark.django_db(transaction=True)
def test_two_edits_of_the_same_version_cannot_both_win(people_ctx: People) -> None:
    person = new_person(people_ctx.worker)

    def rename(name: str) -> Callable[[], Any]:
        return lambda: actions.update_person(
            person.pk, actor=people_ctx.worker, expected_version=1, name=name
        )

    results = race(rename("甲"), rename("乙"))
    won = [r for r in results if isinstance(r, Person)]
    assert len(won) == 1 and sum(isinstance(r, Conflict) for r in results) == 1, results
    assert Person.objects.get().name == won[0].name


@needs_concurrency
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_of_one_grid_keep_exact_counts(people_ctx: People) -> None:
    def register(i: int) -> Callable[[], Any]:
        return lambda: actions.create_person(
            actor=people_ctx.worker, name=f"并发{i}", grid_code=GRID, sex="F"
        )

    results = race(*(register(i) for i in range(6)))
    assert all(isinstance(r, Person) for r in results), results
    kept = rollups.figures(GRID)
    rollups.recount()
    assert kept == rollups.figures(GRID) and kept["total"] == 6
    assert queries.completeness_for(people_ctx.leader, GRID)["checked"] == 12


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lon", "lat", "field"),
    [("east", 33.0, "lon"), (float("nan"), 33.0, "lon"), (112.4, 91, "lat"), (112.4, None, "lat")],
)
def test_bad_coordinates_name_their_field(
    people_ctx: People, lon: Any, lat: Any, field: str
) -> None:
    with pytest.raises(InvalidInput) as exc:
        new_person(people_ctx.worker, lon=lon, lat=lat)
    assert field in fields_of(exc)
    person = new_person(people_ctx.worker)
    with pytest.raises(InvalidInput) as exc:
        actions.update_person(person.pk, actor=people_ctx.worker, expected_version="x", name="甲")
    assert "version" in fields_of(exc)  # the field clients send


@pytest.mark.django_db
def test_a_single_bad_field_is_named_in_the_message(people_ctx: People) -> None:
    from django.utils import translation

    with pytest.raises(InvalidInput) as exc:
        new_person(people_ctx.worker, id_number="123")
    assert exc.value.message.startswith("ID number: ")
    with translation.override("zh-hans"), pytest.raises(InvalidInput) as exc:
        new_person(people_ctx.worker, phone="123")
    assert exc.value.message.startswith("电话：")
    assert actions.field_label("household_id") == "household"
