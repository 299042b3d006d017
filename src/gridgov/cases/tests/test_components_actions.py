"""Component actions: ID generation and validation, updates, states, retirement, scope."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgov.audit.models import AuditEvent
from gridgov.cases.actions import components as actions
from gridgov.cases.models import Component, ComponentState
from gridgov.cases.tests.component_fixtures import (
    COUNTY,
    GRID,
    GRID_2,
    POINT_IN_GRID,
    SIBLING_GRID,
    Ctx,
    _english,
    _fresh_locate_index,
    ctx,
)
from gridgov.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied

__all__ = ["_english", "_fresh_locate_index", "ctx"]


def test_generated_ids_count_per_county_and_class(ctx: Ctx) -> None:
    first = ctx.make()
    second = ctx.make(grid_code=GRID_2)
    lamp = ctx.make(case_class="0110", name="路灯")
    assert first.component_id == f"{COUNTY}0101000001"
    assert second.component_id == f"{COUNTY}0101000002"
    assert lamp.component_id == f"{COUNTY}0110000001"
    # A county of its own counts from 1 again.
    other = actions.create_component(
        actor=ctx.supervision.__class__.objects.get(pk=ctx.supervision.pk),
        case_class="0101",
        name="上水井盖",
        grid_code=GRID,
        component_id=f"{COUNTY}0101000009",
    )
    assert other.component_id.endswith("000009")
    # Generation continues above the highest given ID.
    assert ctx.make().component_id == f"{COUNTY}0101000010"


def test_class_by_name_and_department_by_code(ctx: Ctx) -> None:
    component = ctx.make(case_class="路灯", competent_department=ctx.department.code)
    assert component.case_class.code == "0110"
    assert component.competent_department == ctx.department


@pytest.mark.parametrize(
    ("component_id", "reason"),
    [
        ("411302010100001", "16 digits"),
        ("41130201010000x1", "16 digits"),
        ("4199990101000001", "not a county of the territory"),
        ("4113030101000001", "not the county of the grid"),
        ("4113020110000001", "must be the class code 0101"),
        ("4113020101000000", "starts at 000001"),
    ],
)
def test_given_ids_are_checked(ctx: Ctx, component_id: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        ctx.make(component_id=component_id)
    assert reason in caught.value.details["fields"]["component_id"]
    assert not Component.objects.exists()


def test_a_given_id_is_unique(ctx: Ctx) -> None:
    ctx.make(component_id=f"{COUNTY}0101000003")
    with pytest.raises(InvalidInput) as caught:
        ctx.make(component_id=f"{COUNTY}0101000003")
    assert "already registered" in caught.value.details["fields"]["component_id"]
    assert Component.objects.count() == 1


def test_bad_fields_are_named(ctx: Ctx) -> None:
    with pytest.raises(InvalidInput) as caught:
        ctx.make(case_class="0999", name="", state="broken-ish", surveyed_on="2024-13-01")
    assert set(caught.value.details["fields"]) == {"case_class", "name", "state", "surveyed_on"}
    with pytest.raises(InvalidInput) as caught:
        ctx.make(case_class="03")  # a major class
    assert "minor class" in caught.value.details["fields"]["case_class"]


def test_grid_located_from_coordinates(ctx: Ctx) -> None:
    component = ctx.make(grid_code=None, lon=POINT_IN_GRID[0], lat=POINT_IN_GRID[1])
    assert component.grid_code == GRID
    with pytest.raises(InvalidInput) as caught:
        ctx.make(grid_code=None, lon=100.0, lat=20.0)
    assert "outside every grid" in caught.value.details["fields"]["lon"]
    with pytest.raises(InvalidInput):
        ctx.make(grid_code=None)


def test_scope_of_creation(ctx: Ctx) -> None:
    with pytest.raises(NotFound):  # a sibling township: outside the scope
        actions.create_component(
            actor=ctx.sibling, case_class="0101", name="上水井盖", grid_code=GRID
        )
    with pytest.raises(PermissionDenied):  # a grid worker sees but may not edit
        actions.create_component(actor=ctx.worker, case_class="0101", name="井盖", grid_code=GRID)
    with pytest.raises(NotFound):  # nobody signed in reaches nothing
        actions.create_component(actor=None, case_class="0101", name="井盖", grid_code=GRID)
    assert not Component.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="components.").exists()


def test_update_is_version_checked_and_audited(ctx: Ctx) -> None:
    component = ctx.make()
    changed = actions.update_component(
        component.pk,
        actor=ctx.township,
        expected_version=1,
        name="上水井盖（东）",
        owner="供水公司",
    )
    assert (changed.name, changed.owner, changed.version) == ("上水井盖（东）", "供水公司", 2)
    event = AuditEvent.objects.filter(action="components.update").get()
    assert event.changes["name"] == ["上水井盖", "上水井盖（东）"]
    with pytest.raises(Conflict):
        actions.update_component(component.pk, actor=ctx.township, expected_version=1, name="x")
    with pytest.raises(InvalidInput) as caught:
        actions.update_component(component.pk, actor=ctx.township, case_class="0110")
    assert "case_class" in caught.value.details["fields"]
    component.refresh_from_db()
    assert component.name == "上水井盖（东）"


def test_moving_to_another_grid_needs_scope_there(ctx: Ctx) -> None:
    component = ctx.make()
    moved = actions.update_component(component.pk, actor=ctx.township, grid_code=GRID_2)
    assert moved.grid_code == GRID_2
    with pytest.raises(NotFound):
        actions.update_component(component.pk, actor=ctx.township, grid_code=SIBLING_GRID)
    relocated = actions.update_component(
        component.pk, actor=ctx.township, lon=POINT_IN_GRID[0], lat=POINT_IN_GRID[1]
    )
    assert relocated.grid_code == GRID


def test_state_change_with_date(ctx: Ctx) -> None:
    component = ctx.make()
    changed = actions.change_component_state(
        component.pk, actor=ctx.township, state="破损", changed_on="2024-05-06", note="裂缝"
    )
    assert changed.state == ComponentState.DAMAGED
    assert changed.changed_on == dt.date(2024, 5, 6)
    event = AuditEvent.objects.filter(action="components.state").get()
    assert event.changes["state"] == ["intact", "damaged"]
    assert event.changes["remark"] == "裂缝"
    with pytest.raises(InvalidInput):
        actions.change_component_state(component.pk, actor=ctx.township, state="gone")
    with pytest.raises(NotFound):
        actions.change_component_state(component.pk, actor=ctx.sibling, state="lost")
    with pytest.raises(PermissionDenied):
        actions.change_component_state(component.pk, actor=ctx.worker, state="lost")
    component.refresh_from_db()
    assert component.state == ComponentState.DAMAGED and component.version == 2


def test_retire_keeps_the_record_and_the_id(ctx: Ctx) -> None:
    component = ctx.make()
    with pytest.raises(InvalidInput):
        actions.retire_component(component.pk, actor=ctx.township, reason="")
    retired = actions.retire_component(component.pk, actor=ctx.township, reason="道路改造拆除")
    assert retired.is_retired and retired.retired_reason == "道路改造拆除"
    with pytest.raises(Conflict):
        actions.update_component(component.pk, actor=ctx.township, name="x")
    # The ID is not handed out again.
    assert ctx.make().component_id == f"{COUNTY}0101000002"
    restored = actions.restore_component(component.pk, actor=ctx.township)
    assert not restored.is_retired
    with pytest.raises(Conflict):
        actions.restore_component(component.pk, actor=ctx.township)
    assert Component.objects.count() == 2
