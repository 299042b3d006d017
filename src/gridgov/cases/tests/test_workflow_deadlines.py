"""Clocks: stage deadlines, the disposal deadline set at dispatch and moved by approved
postponements, the on-time marks evaluation counts, and escalation of overdue cases."""

from __future__ import annotations

import argparse
import datetime as dt

import pytest

from gridgov.cases import calendar
from gridgov.cases import workflow as machine
from gridgov.cases.actions import workflow as actions
from gridgov.cases.models import CaseEvent, Postponement, PostponementStatus, Stage
from gridgov.cases.queries import workflow as queries
from gridgov.cases.tests.workflow_fixtures import (
    SYSTEM,
    World,
    _english,
    _fresh_locate_index,
    _media,
    case_at,
    world,
)
from gridgov.cases.workflow_cli import register_workflow
from gridgov.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from gridgov.inbox.models import Message, MessageKind

__all__ = ["_english", "_fresh_locate_index", "_media", "world"]

pytestmark = pytest.mark.django_db
SECOND = dt.timedelta(seconds=1)


def last_event(case_id: int) -> CaseEvent:
    return CaseEvent.objects.filter(case_id=case_id).latest("at", "pk")


def test_stage_clocks_start_with_their_stage_and_mark_the_step_on_time(world: World) -> None:
    case = case_at(world, Stage.VERIFYING)
    assert case.stage_started_at is not None
    assert case.stage_deadline == calendar.deadline(case.stage_started_at, 1, "working_hours")
    due = case.stage_deadline
    case = actions.record_verification(
        case.pk, actor=world.worker, version=case.version, is_real=True
    )
    assert case.stage_deadline is None
    event = last_event(case.pk)
    assert dt.datetime.fromisoformat(event.data["due"]) == due and event.data["on_time"] is True


def test_stage_limits_come_from_settings(world: World, settings: object) -> None:
    settings.GRIDGOV_CASE_DISPATCH_LIMIT = "3 urgent_hours"  # type: ignore[attr-defined]
    case = case_at(world, Stage.FILED)
    assert case.stage_deadline == case.stage_started_at + dt.timedelta(hours=3)
    settings.GRIDGOV_CASE_DISPATCH_LIMIT = "soon"  # type: ignore[attr-defined]
    with pytest.raises(Exception, match="GRIDGOV_CASE_DISPATCH_LIMIT"):
        machine.stage_limit(Stage.FILED)


def test_dispatch_starts_the_disposal_clock_from_the_class_limit(world: World) -> None:
    case = case_at(world, Stage.DISPATCHED)
    assert (case.limit_value, case.limit_unit) == (2, "working_days")
    assert case.deadline == calendar.deadline(case.dispatched_at, 2, "working_days")
    assert dt.datetime.fromisoformat(last_event(case.pk).data["deadline"]) == case.deadline
    case = actions.accept_case(case.pk, actor=world.handler, version=case.version)
    case = actions.dispose_case(case.pk, actor=world.handler, version=case.version, result="好")
    event = last_event(case.pk)
    assert (
        event.data["on_time"] is True
        and dt.datetime.fromisoformat(event.data["due"]) == case.deadline
    )


def test_an_approved_postponement_extends_the_deadline(world: World) -> None:
    case = case_at(world, Stage.ACCEPTED)
    deadline = case.deadline
    for amount, unit in ((0, "working_days"), (2, "fortnights")):
        with pytest.raises(InvalidInput):
            actions.request_postponement(
                case.pk,
                actor=world.handler,
                version=case.version,
                amount=amount,
                unit=unit,
                reason="材料未到",
            )
    with pytest.raises(PermissionDenied):
        actions.request_postponement(
            case.pk,
            actor=world.command,
            version=case.version,
            amount=1,
            unit="working_days",
            reason="x",
        )
    asked = actions.request_postponement(
        case.pk,
        actor=world.handler,
        version=case.version,
        amount=3,
        unit="working_days",
        reason="需采购配件",
    )
    case.refresh_from_db()
    with pytest.raises(Conflict):  # one pending request at a time
        actions.request_postponement(
            case.pk,
            actor=world.handler,
            version=case.version,
            amount=1,
            unit="working_days",
            reason="再延",
        )
    assert queries.allowed_actions(world.command, case) == [
        "approve_postponement",
        "reject_postponement",
    ]
    for wrong in (world.handler, world.supervision):
        with pytest.raises(PermissionDenied):
            actions.decide_postponement(asked.pk, actor=wrong, approve=True)
    with pytest.raises(NotFound):
        actions.decide_postponement(asked.pk, actor=world.other_command, approve=True)
    decided = actions.decide_postponement(asked.pk, actor=world.command, approve=True, note="同意")
    assert decided.status == PostponementStatus.APPROVED and decided.decided_by == world.command
    case.refresh_from_db()
    assert case.deadline == calendar.deadline(deadline, 3, "working_days")
    assert case.postponement_count == 1 and case.stage == Stage.ACCEPTED
    with pytest.raises(Conflict):
        actions.decide_postponement(asked.pk, actor=world.command, approve=False)


def test_a_refused_postponement_leaves_the_deadline(world: World) -> None:
    case = case_at(world, Stage.DISPATCHED)
    asked = actions.request_postponement(
        case.pk,
        actor=world.handler,
        version=case.version,
        amount=1,
        unit="urgent_hours",
        reason="等待",
    )
    with pytest.raises(Conflict):  # a stale case version, when given, is checked
        actions.decide_postponement(asked.pk, actor=world.command, approve=False, version=1)
    actions.decide_postponement(asked.pk, actor=world.command, approve=False, note="不同意")
    case.refresh_from_db()
    assert Postponement.objects.get().status == PostponementStatus.REJECTED
    assert case.postponement_count == 0
    assert case.deadline == calendar.deadline(case.dispatched_at, 2, "working_days")
    notices = Message.objects.filter(recipient=world.handler, kind=MessageKind.NOTICE)
    assert notices.filter(topic=f"case:{case.pk}").count() == 1


# --- escalation ---------------------------------------------------------------------------


def alerts(user: object) -> list[Message]:
    return list(Message.objects.filter(recipient=user, kind=MessageKind.ALERT))


def test_overdue_cases_escalate_once_to_the_supervisor_of_their_owner(world: World) -> None:
    filed = case_at(world, Stage.FILED)  # the command centre is late to dispatch
    held = case_at(world, Stage.ACCEPTED)  # the department is late
    checking = case_at(world, Stage.CHECKING)  # the grid worker is late to check
    dues = (filed.stage_deadline, held.deadline, checking.stage_deadline)
    later = max(dues) + SECOND
    with pytest.raises(PermissionDenied):
        actions.escalate_overdue(actor=world.command, now=later)
    assert actions.escalate_overdue(actor=SYSTEM, now=min(dues) - SECOND) == 0
    assert actions.escalate_overdue(actor=SYSTEM, now=later) == 3
    assert actions.escalate_overdue(actor=SYSTEM, now=later + SECOND) == 0  # not repeated
    events = {e.case_id: e for e in CaseEvent.objects.filter(action="escalate")}
    assert events[filed.pk].data["to"] == "leaders"
    assert events[held.pk].data["to"] == "command"
    assert events[checking.pk].data["to"] == "supervision"
    assert dt.datetime.fromisoformat(events[held.pk].data["due"]) == held.deadline
    assert len(alerts(world.leader)) == 1 and len(alerts(world.command)) == 1
    assert len(alerts(world.supervision)) == 1 and alerts(world.other_command) == []
    version = held.version
    held.refresh_from_db()  # an escalation changes nobody's work in progress
    assert held.version == version and held.stage == Stage.ACCEPTED


def test_a_postponed_deadline_that_passes_again_escalates_again(world: World) -> None:
    case = case_at(world, Stage.ACCEPTED)
    assert actions.escalate_overdue(actor=SYSTEM, now=case.deadline + SECOND) == 1
    asked = actions.request_postponement(
        case.pk,
        actor=world.handler,
        version=case.version,
        amount=1,
        unit="working_days",
        reason="需要更多时间",
    )
    actions.decide_postponement(asked.pk, actor=world.command, approve=True)
    case.refresh_from_db()
    assert actions.escalate_overdue(actor=SYSTEM, now=case.deadline - SECOND) == 0
    assert actions.escalate_overdue(actor=SYSTEM, now=case.deadline + SECOND) == 1
    assert CaseEvent.objects.filter(case=case, action="escalate").count() == 2


def test_without_leaders_a_late_dispatch_goes_to_the_supervision_centre(world: World) -> None:
    world.leader.is_active = False
    world.leader.save()
    case = case_at(world, Stage.FILED)
    assert actions.escalate_overdue(actor=SYSTEM, now=case.stage_deadline + SECOND) == 1
    assert len(alerts(world.supervision)) == 1


def test_the_escalate_command(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    case = case_at(world, Stage.ACCEPTED)
    parser = argparse.ArgumentParser()
    register_workflow(parser.add_subparsers())
    late = (calendar.local(case.deadline) + dt.timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M")
    args = parser.parse_args(["cases", "escalate", "--at", late])
    assert args.func(args) == 0
    assert "1 overdue case escalated." in capsys.readouterr().out
    assert args.func(args) == 0
    assert "0 overdue cases escalated." in capsys.readouterr().out
    bad = parser.parse_args(["cases", "escalate", "--at", "tomorrow"])
    assert bad.func(bad) == 1
