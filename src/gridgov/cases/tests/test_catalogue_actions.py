"""Changing classes and the responsibility list: validation naming the field, versions,
audit, and who may change what (classes: the city; rows: inside one's own area)."""

from __future__ import annotations

from typing import Any

import pytest

from gridgov.audit.models import AuditEvent
from gridgov.cases.actions import catalogue as actions
from gridgov.cases.models import CaseClass, Responsibility
from gridgov.cases.tests.catalogue_fixtures import (
    CITY,
    COMMUNITY,
    COUNTY,
    GRID,
    SIBLING,
    Catalogue,
    cat,
    english,
    minor,
    state,
)
from gridgov.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied

__all__ = ["cat", "english"]

pytestmark = pytest.mark.django_db


def invalid_fields(call: Any) -> dict[str, str]:
    """The fields an InvalidInput names, proving nothing changed meanwhile."""
    before = state()
    with pytest.raises(InvalidInput) as raised:
        call()
    assert state() == before
    return raised.value.details["fields"]


# --- classes ----------------------------------------------------------------------------


def test_a_city_administrator_creates_a_minor_class(cat: Catalogue) -> None:
    cls = actions.create_class(
        actor=cat.city_admin,
        kind="event",
        code="0610",
        name="高空抛物",
        filing_condition="发现高空抛物、坠物隐患",
        closing_condition="隐患已消除",
        limit_value=1,
        limit_unit="working_days",
        default_department_id=cat.county_dept.pk,
    )
    assert cls.parent == CaseClass.objects.get(kind="event", code="06")
    assert (cls.service_code, cls.version, cls.is_active) == ("E0610", 1, True)
    event = AuditEvent.objects.get(action="cases.class.create")
    assert event.changes["code"] == "0610" and event.changes["limit_unit"] == "working_days"


def test_a_major_class_has_two_digits_and_no_limit(cat: Catalogue) -> None:
    major = actions.create_class(actor=cat.city_admin, kind="event", code="07", name="城市管理扩展")
    assert major.parent is None and major.limit_value is None
    fields = invalid_fields(
        lambda: actions.create_class(
            actor=cat.city_admin,
            kind="event",
            code="08",
            name="x",
            limit_value=2,
            limit_unit="working_days",
        )
    )
    assert "limit_value" in fields


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"code": "123"}, "code"),
        ({"code": "01a1"}, "code"),
        ({"code": "0700"}, "code"),  # minors are numbered from 01
        ({"code": "0901"}, "code"),  # there is no event major 09
        ({"code": "0101"}, "code"),  # taken
        ({"kind": "thing"}, "kind"),
        ({"name": ""}, "name"),
        ({"name": "长" * 61}, "name"),
        ({"limit_value": None, "limit_unit": ""}, "limit_value"),
        ({"limit_value": 0}, "limit_value"),
        ({"limit_value": "two"}, "limit_value"),
        ({"limit_unit": "weeks"}, "limit_unit"),
        ({"default_department_id": 999999}, "default_department"),
        ({"attributes": "situation"}, "attributes"),
        ({"attributes": [{"code": "a b", "description": "x", "datatype": "string"}]}, "attributes"),
        ({"attributes": [{"code": "a", "description": "x", "datatype": "colour"}]}, "attributes"),
        (
            {"attributes": [{"code": "a", "description": "x", "datatype": "singlevaluelist"}]},
            "attributes",
        ),
        (
            {
                "attributes": [
                    {
                        "code": "a",
                        "description": "x",
                        "datatype": "singlevaluelist",
                        "values": [{"key": "k", "name": "n", "limit_value": 2, "limit_unit": "x"}],
                    }
                ]
            },
            "attributes",
        ),
    ],
)
def test_a_bad_class_names_its_field(cat: Catalogue, values: dict[str, Any], field: str) -> None:
    arguments = {
        "kind": "event",
        "code": "0610",
        "name": "高空抛物",
        "limit_value": 1,
        "limit_unit": "working_days",
        **values,
    }
    fields = invalid_fields(lambda: actions.create_class(actor=cat.city_admin, **arguments))
    assert field in fields, fields


def test_a_message_names_the_field_in_words(cat: Catalogue) -> None:
    with pytest.raises(InvalidInput) as raised:
        actions.create_class(
            actor=cat.city_admin,
            kind="event",
            code="0610",
            name="x",
            limit_value=2,
            limit_unit="weeks",
        )
    assert raised.value.message.startswith("time limit unit: one of: Urgent hours")
    with pytest.raises(InvalidInput) as raised:
        actions.create_class(actor=cat.city_admin, kind="thing", code="1", name="x")
    assert raised.value.message == "Please correct these fields: kind、code."
    with pytest.raises(InvalidInput) as raised:
        actions.create_class(actor=cat.city_admin, kind="event", code="0610", name="x")
    assert (
        raised.value.details["fields"]["limit_value"] == "a minor class needs a disposal time limit"
    )


def test_an_inactive_department_cannot_be_the_default(cat: Catalogue) -> None:
    cat.water.is_active = False
    cat.water.save()
    cls = minor("E0401")
    fields = invalid_fields(
        lambda: actions.set_default_department(
            cls.pk, actor=cat.city_admin, version=cls.version, department_id=cat.water.pk
        )
    )
    assert fields == {"default_department": "this department is no longer active"}


def test_updating_a_class_is_versioned_and_audited(cat: Catalogue) -> None:
    cls = minor("C0102")
    changed = actions.update_class(
        cls.pk,
        actor=cat.city_admin,
        version=1,
        limit_value=3,
        limit_unit="urgent_hours",
        closing_condition="井盖复位",
    )
    assert (changed.limit_value, changed.closing_condition, changed.version) == (3, "井盖复位", 2)
    event = AuditEvent.objects.get(action="cases.class.update")
    assert event.changes == {
        "closing_condition": [cls.closing_condition, "井盖复位"],
        "limit_value": [2, 3],
    }
    # The attributes were not given, so they stayed.
    assert changed.attributes == cls.attributes
    before = state()
    with pytest.raises(Conflict):
        actions.update_class(cls.pk, actor=cat.city_admin, version=1, name="旧版本")
    assert state() == before


def test_an_update_that_changes_nothing_writes_nothing(cat: Catalogue) -> None:
    cls = minor("C0102")
    before = state()
    actions.update_class(cls.pk, actor=cat.city_admin, version=1, name=cls.name)
    assert state() == before


def test_deactivating_and_reactivating(cat: Catalogue) -> None:
    cls = minor("E0501")
    actions.deactivate_class(cls.pk, actor=cat.city_admin, version=1)
    cls.refresh_from_db()
    assert (cls.is_active, cls.version) == (False, 2)
    actions.reactivate_class(cls.pk, actor=cat.city_admin, version="2")
    cls.refresh_from_db()
    assert (cls.is_active, cls.version) == (True, 3)
    assert list(
        AuditEvent.objects.filter(action__startswith="cases.class.")
        .order_by("seq")
        .values_list("action", flat=True)
    ) == ["cases.class.deactivate", "cases.class.reactivate"]


def test_classes_are_the_citys_to_change(cat: Catalogue) -> None:
    cls = minor("E0501")
    before = state()
    for user in (cat.county_admin, cat.sibling_admin):
        with pytest.raises(PermissionDenied) as raised:
            actions.update_class(cls.pk, actor=user, version=1, name="改")
        assert "city" in raised.value.message
    for user in (cat.command, cat.worker, cat.citizen, None):
        with pytest.raises(PermissionDenied):
            actions.deactivate_class(cls.pk, actor=user, version=1)
        with pytest.raises(PermissionDenied):
            actions.create_class(actor=user, kind="event", code="07", name="x")
    assert state() == before


def test_an_unknown_class_is_not_found(cat: Catalogue) -> None:
    with pytest.raises(NotFound):
        actions.update_class(10**9, actor=cat.city_admin, version=1, name="x")


# --- responsibilities -------------------------------------------------------------------


def test_adding_a_row(cat: Catalogue) -> None:
    row = actions.add_responsibility(
        actor=cat.county_admin,
        case_class_id=minor("E0102").pk,
        region_code=COUNTY,
        department_id=cat.county_dept.pk,
        note="区城管局负责",
    )
    assert (row.region_code, row.department, row.is_active, row.version) == (
        COUNTY,
        cat.county_dept,
        True,
        1,
    )
    event = AuditEvent.objects.get(action="cases.responsibility.add")
    assert event.grid_code == COUNTY
    assert event.changes["case_class"] == "E0102"


def test_a_county_may_name_a_city_department_for_its_own_area(cat: Catalogue) -> None:
    row = actions.add_responsibility(
        actor=cat.county_admin,
        case_class_id=minor("E0401").pk,
        region_code=COMMUNITY,
        department_id=cat.water.pk,
    )
    assert row.department == cat.water


def _add(cat: Catalogue, actor: Any = "county admin", **values: Any) -> Any:
    arguments = {
        "case_class_id": minor("E0102").pk,
        "region_code": COUNTY,
        "department_id": cat.county_dept.pk,
        **values,
    }
    if actor == "county admin":
        actor = cat.county_admin
    return lambda: actions.add_responsibility(actor=actor, **arguments)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"case_class_id": "major"}, "case_class"),
        ({"case_class_id": 10**9}, "case_class"),
        ({"region_code": "411399"}, "region_code"),  # no such node
        ({"region_code": SIBLING}, "region_code"),  # exists, outside the actor's area
        ({"region_code": CITY}, "region_code"),  # above the actor's area
        ({"region_code": "4113O2"}, "region_code"),
        ({"department_id": None}, "department"),
        ({"department_id": 10**9}, "department"),
        ({"note": "备" * 201}, "note"),
    ],
)
def test_a_bad_row_names_its_field(cat: Catalogue, values: dict[str, Any], field: str) -> None:
    if values.get("case_class_id") == "major":
        values["case_class_id"] = CaseClass.objects.get(kind="event", code="01").pk
    fields = invalid_fields(_add(cat, **values))
    assert field in fields, fields


def test_the_department_must_serve_the_place(cat: Catalogue) -> None:
    fields = invalid_fields(_add(cat, actor=cat.city_admin, region_code=SIBLING))
    assert "does not contain 411303" in fields["department"]


def test_an_inactive_department_cannot_take_a_row(cat: Catalogue) -> None:
    cat.county_dept.is_active = False
    cat.county_dept.save()
    assert invalid_fields(_add(cat)) == {"department": "this department is no longer active"}


def test_one_active_row_per_class_and_place(cat: Catalogue) -> None:
    _add(cat)()
    fields = invalid_fields(_add(cat, department_id=cat.water.pk))
    assert "change that row instead" in fields["region_code"]


def test_changing_and_removing_a_row(cat: Catalogue) -> None:
    row = _add(cat)()
    changed = actions.change_responsibility(
        row.pk, actor=cat.county_admin, version=1, department_id=cat.water.pk, note="供水"
    )
    assert (changed.department, changed.note, changed.version) == (cat.water, "供水", 2)
    with pytest.raises(Conflict):
        actions.change_responsibility(row.pk, actor=cat.county_admin, version=1, note="旧")
    removed = actions.remove_responsibility(row.pk, actor=cat.county_admin, version=2)
    assert (removed.is_active, removed.version) == (False, 3)
    assert list(
        AuditEvent.objects.filter(action__startswith="cases.responsibility.")
        .order_by("seq")
        .values_list("action", flat=True)
    ) == ["cases.responsibility.add", "cases.responsibility.change", "cases.responsibility.remove"]
    # The place is free again: a new row may be added; the removed one stays as history.
    _add(cat)()
    assert Responsibility.objects.filter(region_code=COUNTY).count() == 2
    with pytest.raises(Conflict):
        actions.change_responsibility(row.pk, actor=cat.county_admin, version=3, note="x")


def test_a_change_names_its_bad_field(cat: Catalogue) -> None:
    row = _add(cat)()
    fields = invalid_fields(
        lambda: actions.change_responsibility(
            row.pk, actor=cat.county_admin, version=1, department_id=cat.sibling_dept.pk
        )
    )
    assert "department" in fields


def test_rows_above_ones_area_are_read_only_and_other_areas_do_not_exist(cat: Catalogue) -> None:
    city_row = cat.rule("E0102", CITY, cat.city_dept)
    sibling_row = cat.rule("E0102", SIBLING, cat.sibling_dept)
    county_row = cat.rule("E0102", COUNTY, cat.county_dept)
    before = state()
    with pytest.raises(PermissionDenied):
        actions.change_responsibility(city_row.pk, actor=cat.county_admin, version=1, note="x")
    with pytest.raises(PermissionDenied):
        actions.remove_responsibility(city_row.pk, actor=cat.county_admin, version=1)
    with pytest.raises(NotFound):
        actions.remove_responsibility(sibling_row.pk, actor=cat.county_admin, version=1)
    with pytest.raises(NotFound):
        actions.remove_responsibility(county_row.pk, actor=cat.sibling_admin, version=1)
    for user in (cat.command, cat.worker, cat.handler, cat.citizen, None):
        with pytest.raises(PermissionDenied):
            actions.remove_responsibility(county_row.pk, actor=user, version=1)
        with pytest.raises(PermissionDenied):
            _add(cat, actor=user, region_code=GRID)()
    assert state() == before
    # The city administrator may change all of them.
    actions.remove_responsibility(county_row.pk, actor=cat.city_admin, version=1)
