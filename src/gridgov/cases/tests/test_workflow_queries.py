"""The reads: who sees which cases, each role's work queue and its order, the traffic
light, the timeline, likely duplicates, search filters and the public tracking view."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.utils import timezone

from gridgov.cases.actions import workflow as actions
from gridgov.cases.models import Case, Stage
from gridgov.cases.queries import workflow as queries
from gridgov.cases.tests.workflow_fixtures import (
    GRID,
    OTHER_GRID,
    POINT,
    World,
    _english,
    _fresh_locate_index,
    _media,
    case_at,
    walk_to,
    world,
)
from gridgov.core.errors import InvalidInput, NotFound

__all__ = ["_english", "_fresh_locate_index", "_media", "world"]

pytestmark = pytest.mark.django_db
HOUR = dt.timedelta(hours=1)


def numbers(cases: object) -> list[str]:
    return [c.number for c in cases]  # type: ignore[attr-defined]


def test_departments_see_their_own_cases_not_their_territory(world: World) -> None:
    mine = case_at(world, Stage.DISPATCHED)
    filed = case_at(world, Stage.FILED)
    assert numbers(queries.visible_cases(world.handler)) == [mine.number]
    assert list(queries.visible_cases(world.other_handler)) == []
    assert set(numbers(queries.visible_cases(world.supervision))) == {mine.number, filed.number}
    assert list(queries.visible_cases(world.other_supervision)) == []
    assert list(queries.visible_cases(world.citizen)) == [] == list(queries.visible_cases(None))
    with pytest.raises(NotFound):
        queries.get_case_for(world.handler, filed.pk)
    assert queries.get_case_for(world.worker, filed.pk) == filed


def test_each_role_has_its_own_work_queue(world: World) -> None:
    by_stage = {
        stage: case_at(world, stage)
        for stage in (
            Stage.REPORTED,
            Stage.VERIFYING,
            Stage.FILED,
            Stage.DISPATCHED,
            Stage.ACCEPTED,
            Stage.DISPOSED,
            Stage.CHECKING,
            Stage.CLOSED,
        )
    }
    unassigned = case_at(world, Stage.FILED, case_class=world.other_class)
    asking = by_stage[Stage.ACCEPTED]
    actions.request_postponement(
        asking.pk,
        actor=world.handler,
        version=asking.version,
        amount=1,
        unit="working_days",
        reason="缺材料",
    )

    def queue(user: object) -> set[str]:
        return {c.stage for c in queries.work_queue(user)}

    assert queue(world.worker) == {Stage.VERIFYING, Stage.CHECKING}
    assert queue(world.other_worker) == set()
    assert queue(world.supervision) == {Stage.REPORTED, Stage.DISPOSED}
    assert queue(world.command) == {Stage.FILED, Stage.ACCEPTED}  # ACCEPTED: its postponement
    assert queue(world.handler) == {Stage.DISPATCHED, Stage.ACCEPTED}
    assert queue(world.other_command) == queue(world.other_handler) == queue(world.citizen) == set()
    assert numbers(queries.unassigned_cases(world.command)) == [unassigned.number]
    assert [p.case_id for p in queries.pending_postponements(world.command)] == [asking.pk]
    assert list(queries.pending_postponements(world.handler)) == []


def test_the_queue_puts_overdue_first_then_least_time_left(world: World) -> None:
    now = timezone.now()
    relaxed, urgent, late = (case_at(world, Stage.FILED) for _ in range(3))
    for case, due in ((relaxed, now + 5 * HOUR), (urgent, now + HOUR), (late, now - HOUR)):
        Case.objects.filter(pk=case.pk).update(stage_deadline=due, stage_started_at=now - 2 * HOUR)
    no_clock = case_at(world, Stage.DISPATCHED)
    Case.objects.filter(pk=no_clock.pk).update(deadline=None)
    assert numbers(queries.work_queue(world.command)) == [
        late.number,
        urgent.number,
        relaxed.number,
    ]
    assert numbers(queries.search_cases(world.command, overdue=True)) == [late.number]
    assert late.number not in numbers(queries.search_cases(world.command, overdue=False))


def test_the_traffic_light_follows_the_share_of_the_limit_used(world: World) -> None:
    case = case_at(world, Stage.FILED, case_class=world.other_class)  # 4 urgent hours
    case = actions.dispatch_case(
        case.pk, actor=world.command, version=case.version, department=world.department
    )
    start = case.dispatched_at
    assert case.deadline == start + 4 * HOUR
    for used, light in (
        (0.5, "green"),
        (0.79, "green"),
        (0.8, "yellow"),
        (1.0, "yellow"),
        (1.01, "red"),
    ):
        assert queries.traffic_light(case, start + used * 4 * HOUR) == light, used
    assert queries.traffic_light(case_at(world, Stage.REPORTED)) == ""
    assert queries.traffic_light(case_at(world, Stage.CLOSED)) == ""
    verifying = case_at(world, Stage.VERIFYING)
    assert queries.traffic_light(verifying, verifying.stage_started_at) == "green"
    assert queries.traffic_light(verifying, verifying.stage_deadline + HOUR) == "red"


def test_the_timeline_says_who_did_what_and_how_long_each_stage_took(world: World) -> None:
    case = case_at(world, Stage.ACCEPTED)
    actions.request_postponement(
        case.pk,
        actor=world.handler,
        version=case.version,
        amount=2,
        unit="working_hours",
        reason="等零件",
    )
    entries = queries.timeline(case)
    assert [e.action for e in entries] == [
        "report",
        "request_verification",
        "record_verification",
        "file",
        "dispatch",
        "accept",
        "request_postponement",
    ]
    by_action = {e.action: e for e in entries}
    assert by_action["report"].stage_took is None and by_action["report"].actor == "supervision"
    assert by_action["accept"].department == world.department.name
    assert by_action["request_postponement"].stage_took is None
    dispatch, filing = by_action["dispatch"], by_action["file"]
    assert dispatch.stage_took == dispatch.at - filing.at
    assert dispatch.from_label == "Filed" and dispatch.to_label == "Dispatched"
    assert by_action["record_verification"].label == "Verified on site"


def test_likely_duplicates_are_open_nearby_and_of_the_same_class(world: World) -> None:
    lon, lat = POINT
    metre = 1 / 111_320
    case = world.report(grid_code=None, lon=lon, lat=lat)
    near = world.report(grid_code=None, lon=lon, lat=lat + 30 * metre)
    far = world.report(grid_code=None, lon=lon, lat=lat + 500 * metre)  # too far for 100 m
    world.report(grid_code=None, lon=lon, lat=lat, case_class=world.other_class)
    closed = case_at(world, Stage.CLOSED, grid_code=None, lon=lon, lat=lat)
    unplaced = world.report()  # same grid, no point
    found = queries.likely_duplicates(case)
    assert numbers(found) == [near.number, unplaced.number]
    assert abs(found[0].distance_m - 30) < 1 and found[1].distance_m is None
    assert len(queries.likely_duplicates(case, 1000)) == 3
    assert closed.number not in numbers(queries.likely_duplicates(case, 1000))
    assert queries.likely_duplicates(case, user=world.other_worker) == []
    # Without a point of its own, a case is compared with the open ones of its grid.
    assert numbers(queries.likely_duplicates(unplaced)) == [case.number, near.number, far.number]


def test_search_filters(world: World) -> None:
    filed = case_at(world, Stage.FILED)
    other = world.report(grid_code=OTHER_GRID, case_class=world.other_class, source="patrol")
    user = world.supervision
    assert numbers(queries.search_cases(user, q=filed.number)) == [filed.number]
    assert numbers(queries.search_cases(user, q=filed.number[:8])) != []
    assert numbers(queries.search_cases(user, stage=Stage.FILED)) == [filed.number]
    assert set(numbers(queries.search_cases(user, stage="open"))) == {filed.number, other.number}
    assert numbers(queries.search_cases(user, grid=OTHER_GRID)) == [other.number]
    assert numbers(queries.search_cases(user, grid=GRID)) == [filed.number]
    assert numbers(queries.search_cases(user, case_class=world.other_class.pk)) == [other.number]
    assert numbers(queries.search_cases(user, source="patrol")) == [other.number]
    assert numbers(queries.search_cases(user, q="建筑垃圾")) != []
    with pytest.raises(InvalidInput) as bad:
        queries.search_cases(user, stage="lost")
    assert "stage" in bad.value.details["fields"]


def test_the_tracking_view_has_no_personal_data(world: World) -> None:
    case = walk_to(world, world.report(reporter_name="李四"), "close")
    public = queries.get_case_by_token(case.public_token)
    fields = {f.name for f in dataclasses.fields(public)}
    assert not fields & {"reporter_name", "reporter_phone_masked", "supervisor", "reporter"}
    assert public.stage == Stage.CLOSED and public.can_rate and public.result == "已清理"
    assert [s.label for s in public.steps] == [
        "Reported",
        "Filed",
        "Dispatched",
        "Disposed",
        "Closed",
    ]
    for token in ("nonsense", "00000000-0000-0000-0000-000000000000"):
        with pytest.raises(NotFound):
            queries.get_case_by_token(token)


def test_allowed_actions_follow_stage_role_and_record(world: World) -> None:
    reported = world.report()
    assert queries.allowed_actions(world.supervision, reported) == [
        "request_verification",
        "file",
        "cancel",
        "merge",
    ]
    assert queries.allowed_actions(world.command, reported) == []
    checked = case_at(world, Stage.CHECKED)
    assert queries.allowed_actions(world.supervision, checked) == ["close"]
    held = case_at(world, Stage.ACCEPTED)
    assert queries.allowed_actions(world.handler, held) == ["dispose", "request_postponement"]
