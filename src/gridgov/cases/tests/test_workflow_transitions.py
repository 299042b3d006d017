"""Every transition by the right role and by every wrong one; impossible moves; the rules
beyond the table (verification, return, rework, merge, close)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import translation

from gridgov.audit.models import AuditEvent
from gridgov.cases import workflow as machine
from gridgov.cases.actions import workflow as actions
from gridgov.cases.models import Case, CaseEvent, Source, Stage
from gridgov.cases.tests.workflow_fixtures import (
    GRID,
    STAGE_AFTER,
    World,
    _english,
    _fresh_locate_index,
    _media,
    case_at,
    walk_to,
    world,
)
from gridgov.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from gridgov.inbox.models import Message

__all__ = ["_english", "_fresh_locate_index", "_media", "world"]

pytestmark = pytest.mark.django_db

# The stage each move of the usual path starts from.
SOURCE_STAGE = dict(
    zip(STAGE_AFTER, [Stage.REPORTED, *list(STAGE_AFTER.values())[:-1]], strict=True)
)
USERS = (
    "worker",
    "other_worker",
    "supervision",
    "other_supervision",
    "command",
    "other_command",
    "handler",
    "other_handler",
    "leader",
    "citizen",
    "admin",
)
RIGHT = {
    "request_verification": "supervision",
    "record_verification": "worker",
    "file": "supervision",
    "dispatch": "command",
    "accept": "handler",
    "dispose": "handler",
    "request_check": "supervision",
    "record_check": "worker",
    "close": "supervision",
}
CALLS: dict[str, tuple[Callable[..., Any], dict[str, Any]]] = {
    "request_verification": (actions.request_verification, {}),
    "record_verification": (actions.record_verification, {"is_real": True}),
    "file": (actions.file_case, {}),
    "dispatch": (actions.dispatch_case, {}),
    "accept": (actions.accept_case, {}),
    "dispose": (actions.dispose_case, {"result": "已处理"}),
    "request_check": (actions.request_check, {}),
    "record_check": (actions.record_check, {"passed": True}),
    "close": (actions.close_case, {}),
}


def state(case: Case) -> tuple[Any, ...]:
    """Everything a refused move must leave as it was."""
    case.refresh_from_db()
    return (
        case.stage,
        case.version,
        case.department_id,
        case.deadline,
        CaseEvent.objects.filter(case=case).count(),
        AuditEvent.objects.count(),
        Message.objects.count(),
    )


def test_a_case_walks_from_report_to_close(world: World) -> None:
    case = world.report()
    assert case.stage == Stage.REPORTED and case.number.endswith("000001")
    assert case.supervisor == world.worker
    assert case.suggested_department == world.department
    case = walk_to(world, case, "close")
    assert case.stage == Stage.CLOSED and case.closed_on_time is True
    actions_taken = list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions_taken == ["report", *STAGE_AFTER]
    assert Case.objects.get().version == 1 + len(STAGE_AFTER)
    audit = set(AuditEvent.objects.values_list("action", flat=True))
    assert {f"cases.{a}" for a in ["report", *STAGE_AFTER]} <= audit


@pytest.mark.parametrize("action", list(RIGHT))
def test_each_move_is_refused_to_every_wrong_role_and_taken_by_the_right_one(
    world: World, action: str
) -> None:
    case = case_at(world, SOURCE_STAGE[action])
    call, extra = CALLS[action]
    before = state(case)
    for name in USERS:
        if name == RIGHT[action]:
            continue
        user = getattr(world, name)
        with pytest.raises((PermissionDenied, NotFound)) as refused:
            call(case.pk, actor=user, version=case.version, **extra)
        # Those who may see the case are told "not yours"; the others learn nothing.
        sees = name in ("worker", "supervision", "command", "admin") or (
            name == "handler" and case.department_id == world.department.pk
        )
        assert isinstance(refused.value, PermissionDenied if sees else NotFound), name
        assert state(case) == before, name
    with pytest.raises(NotFound):
        call(case.pk, actor=None, version=case.version, **extra)
    moved = call(case.pk, actor=getattr(world, RIGHT[action]), version=case.version, **extra)
    assert moved.stage == STAGE_AFTER[action] and moved.version == case.version + 1
    assert CaseEvent.objects.filter(case=case).latest("at", "pk").action == action


@pytest.mark.parametrize(
    ("stage", "action"),
    [
        (Stage.REPORTED, "dispatch"),
        (Stage.REPORTED, "close"),
        (Stage.ACCEPTED, "accept"),
        (Stage.FILED, "cancel"),
        (Stage.DISPATCHED, "dispose"),
        (Stage.DISPOSED, "close"),
        (Stage.CLOSED, "rework"),
    ],
)
def test_an_impossible_move_is_a_conflict_naming_the_stage(
    world: World, stage: str, action: str
) -> None:
    case = case_at(world, stage)
    before = state(case)
    calls = {
        "dispatch": (actions.dispatch_case, world.command, {}),
        "close": (actions.close_case, world.supervision, {}),
        "accept": (actions.accept_case, world.handler, {}),
        "cancel": (actions.cancel_case, world.supervision, {"reason": "无效"}),
        "dispose": (actions.dispose_case, world.handler, {"result": "好"}),
        "rework": (actions.rework_case, world.supervision, {"reason": "再做"}),
    }
    call, actor, extra = calls[action]
    with pytest.raises(Conflict) as refused:
        call(case.pk, actor=actor, version=case.version, **extra)
    assert f"“{machine.stage_label(stage)}”" in refused.value.message
    assert refused.value.details == {"stage": stage, "action": action}
    assert state(case) == before


def test_a_stale_version_is_refused_and_changes_nothing(world: World) -> None:
    case = case_at(world, Stage.FILED)
    before = state(case)
    with pytest.raises(Conflict) as refused:
        actions.dispatch_case(case.pk, actor=world.command, version=case.version - 1)
    assert "Someone else changed case" in refused.value.message
    assert state(case) == before
    with pytest.raises(InvalidInput) as bad:
        actions.dispatch_case(case.pk, actor=world.command, version="x")
    assert "version" in bad.value.details["fields"]


def test_the_grids_own_worker_reporting_on_patrol_skips_verification(world: World) -> None:
    own = world.report(actor=world.worker, source=Source.PATROL)
    assert own.stage == Stage.VERIFIED and own.verified is True and own.verified_at
    assert CaseEvent.objects.get(case=own).data["verified_on_report"] is True
    # The supervision centre reporting on patrol, or the worker by hotline: not verified.
    other = world.report(actor=world.supervision, source=Source.PATROL)
    hotline = world.report(actor=world.worker, source=Source.HOTLINE)
    assert other.stage == hotline.stage == Stage.REPORTED
    filed = actions.file_case(own.pk, actor=world.supervision, version=own.version)
    assert filed.stage == Stage.FILED


def test_filing_without_verification_and_with_a_class_chosen_at_filing(world: World) -> None:
    case = world.report(case_class=None)
    with pytest.raises(InvalidInput) as refused:
        actions.file_case(case.pk, actor=world.supervision, version=case.version)
    assert "case_class" in refused.value.details["fields"]
    filed = actions.file_case(
        case.pk, actor=world.supervision, version=case.version, case_class=world.case_class.pk
    )
    assert filed.case_class == world.case_class and filed.suggested_department == world.department
    assert (filed.limit_value, filed.limit_unit) == (2, "working_days")
    assert filed.stage_deadline is not None and filed.stage_started_at is not None


def test_a_report_found_not_real_can_only_be_cancelled(world: World) -> None:
    case = case_at(world, Stage.VERIFYING)
    case = actions.record_verification(
        case.pk, actor=world.worker, version=case.version, is_real=False, note="现场无此问题"
    )
    assert case.stage == Stage.VERIFIED and case.verified is False
    with pytest.raises(Conflict):
        actions.file_case(case.pk, actor=world.supervision, version=case.version)
    with pytest.raises(InvalidInput):
        actions.cancel_case(case.pk, actor=world.supervision, version=case.version, reason=" ")
    case = actions.cancel_case(
        case.pk, actor=world.supervision, version=case.version, reason="核实不属实"
    )
    assert case.stage == Stage.CANCELLED and case.cancel_reason == "核实不属实"


def test_a_wrongly_sent_case_is_returned_and_dispatched_again(world: World) -> None:
    case = case_at(world, Stage.DISPATCHED)
    first_deadline = case.deadline
    case = actions.return_case(
        case.pk, actor=world.handler, version=case.version, reason="不属本局职责"
    )
    assert case.stage == Stage.FILED and case.department is None and case.deadline is None
    assert case.return_count == 1 and case.stage_deadline is not None
    event = CaseEvent.objects.filter(case=case).latest("at", "pk")
    assert event.department == world.department
    case = actions.dispatch_case(
        case.pk, actor=world.command, version=case.version, department=world.other_department
    )
    assert case.department == world.other_department and case.dispatch_count == 2
    assert case.deadline is not None and case.deadline >= first_deadline
    # The first department no longer sees it; the second one does its work.
    with pytest.raises(NotFound):
        actions.accept_case(case.pk, actor=world.handler, version=case.version)
    assert actions.accept_case(case.pk, actor=world.other_handler, version=case.version).stage == (
        Stage.ACCEPTED
    )


def test_a_failed_check_sends_the_case_back_to_the_same_department(world: World) -> None:
    case = case_at(world, Stage.CHECKING)
    deadline = case.deadline
    case = actions.record_check(case.pk, actor=world.worker, version=case.version, passed=False)
    with pytest.raises(Conflict):
        actions.close_case(case.pk, actor=world.supervision, version=case.version)
    case = actions.rework_case(
        case.pk, actor=world.supervision, version=case.version, reason="未清理干净"
    )
    assert case.stage == Stage.DISPATCHED and case.department == world.department
    assert case.rework_count == 1 and case.deadline == deadline and case.check_passed is None
    case = walk_to(world, case, "close")  # accept, dispose, check again, close
    assert case.stage == Stage.CLOSED


def test_a_passed_check_is_closed_not_reworked(world: World) -> None:
    case = case_at(world, Stage.CHECKED)
    with pytest.raises(Conflict):
        actions.rework_case(case.pk, actor=world.supervision, version=case.version, reason="x")
    # Rework straight from the department's feedback, without a check, is allowed.
    disposed = case_at(world, Stage.DISPOSED)
    reworked = actions.rework_case(
        disposed.pk, actor=world.supervision, version=disposed.version, reason="反馈不完整"
    )
    assert reworked.stage == Stage.DISPATCHED


def test_merging_a_duplicate_cancels_it_with_a_link(world: World) -> None:
    first = case_at(world, Stage.FILED)
    duplicate = world.report()
    for into in (duplicate.pk, 999_999):
        with pytest.raises(InvalidInput):
            actions.merge_case(
                duplicate.pk, actor=world.supervision, version=duplicate.version, into_id=into
            )
    merged = actions.merge_case(
        duplicate.pk, actor=world.supervision, version=duplicate.version, into_id=first.pk
    )
    assert merged.stage == Stage.CANCELLED and merged.merged_into == first
    assert first.number in merged.cancel_reason
    closed = case_at(world, Stage.CLOSED)
    third = world.report()
    with pytest.raises(InvalidInput):
        actions.merge_case(
            third.pk, actor=world.supervision, version=third.version, into_id=closed.pk
        )


def test_numbers_count_up_per_day(world: World) -> None:
    numbers = [world.report().number for _ in range(3)]
    assert [n[-6:] for n in numbers] == ["000001", "000002", "000003"]
    assert len({n[:8] for n in numbers}) == 1 and len(numbers[0]) == 14


def test_each_move_tells_the_next_owner_and_retires_the_last_message(world: World) -> None:
    case = world.report()
    inbox = Message.objects.filter(topic=f"case:{case.pk}")
    assert set(inbox.values_list("recipient__username", flat=True)) == {"supervision"}
    case = walk_to(world, case, "file")
    unread = inbox.filter(read_at__isnull=True)
    assert set(unread.values_list("recipient__username", flat=True)) == {"command"}
    case = actions.dispatch_case(case.pk, actor=world.command, version=case.version)
    assert set(unread.values_list("recipient__username", flat=True)) == {"handler"}
    message = unread.get()
    assert message.link.endswith(f"/{case.pk}/") and message.grid_code == GRID


def test_reports_need_a_grid_inside_the_city_and_the_right_to_report(world: World) -> None:
    with pytest.raises(InvalidInput) as outside:
        world.report(grid_code=None, lon=100.0, lat=30.0)
    assert "location" in outside.value.details["fields"]
    assert "100.000000, 30.000000" in outside.value.message
    with pytest.raises(InvalidInput) as unknown:
        world.report(grid_code="411302001001999")
    assert "grid_code" in unknown.value.details["fields"]
    with pytest.raises(InvalidInput) as phone:
        world.report(reporter_phone="12345")
    assert "reporter_phone" in phone.value.details["fields"]
    with pytest.raises(InvalidInput) as empty:
        world.report(description="  ")
    assert empty.value.message == "description: required"
    with translation.override("zh-hans"), pytest.raises(InvalidInput) as empty:
        world.report(description="  ")
    assert empty.value.message == "问题描述：必填"
    # Anonymous: the citizen source is open, the hotline source is not.
    assert world.report(actor=None, source=Source.CITIZEN).reporter is None
    with pytest.raises(PermissionDenied):
        world.report(actor=None, source=Source.HOTLINE)
    # A grid worker reports in their own community only; outside it the grid "does not exist".
    with pytest.raises(NotFound):
        world.report(actor=world.other_worker, source=Source.PATROL)
    with pytest.raises(PermissionDenied):
        world.report(actor=world.handler, source=Source.HOTLINE)
    assert Case.objects.count() == 1


def test_a_report_located_by_its_point_gets_the_grid_supervisor_and_department(
    world: World,
) -> None:
    case = world.report(grid_code=None, lon=112.41, lat=33.09, address="河街 12 号")
    assert case.grid_code == GRID and (case.lon, case.lat) == (112.41, 33.09)
    assert case.supervisor == world.worker and case.suggested_department == world.department
    nobody = world.report(case_class=world.other_class)
    assert nobody.suggested_department is None


def test_required_report_attributes_are_asked_for(world: World) -> None:
    world.case_class.attributes = [
        {
            "code": "situation",
            "description": "情况",
            "datatype": "singlevaluelist",
            "required": True,
            "values": [{"key": "missing", "name": "丢失"}, {"key": "broken", "name": "破损"}],
        }
    ]
    world.case_class.save()
    with pytest.raises(InvalidInput) as missing:
        world.report()
    assert "attributes.situation" in missing.value.details["fields"]
    with pytest.raises(InvalidInput):
        world.report(attributes={"situation": "gone"})
    assert world.report(attributes={"situation": "broken"}).attributes == {"situation": "broken"}
