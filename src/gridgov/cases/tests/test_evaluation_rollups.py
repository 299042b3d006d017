"""The roll-ups kept by every workflow action equal a recount from the cases and events."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from gridgov.cases import evaluation
from gridgov.cases.actions import workflow as actions
from gridgov.cases.models import (
    Case,
    CaseTally,
    EvaluationCount,
    Grain,
    PersonCount,
    PersonRole,
    Source,
)
from gridgov.cases.tests import workflow_fixtures
from gridgov.cases.tests.workflow_fixtures import GRID, SIBLING_GRID, World, walk_to

pytestmark = pytest.mark.django_db
# The workflow's test world (fixtures are found by name in the module).
world = workflow_fixtures.world
_english = workflow_fixtures._english
_fresh_locate_index = workflow_fixtures._fresh_locate_index
_media = workflow_fixtures._media


def snapshot() -> dict[str, set[tuple[Any, ...]]]:
    """Every stored count that is not zero, as comparable tuples."""
    out: dict[str, set[tuple[Any, ...]]] = {}
    for model, keys, measures in (
        (EvaluationCount, evaluation.REGION_KEY, evaluation.REGION_MEASURES),
        (PersonCount, evaluation.PERSON_KEY, evaluation.PERSON_MEASURES),
    ):
        rows = model.objects.values_list(*keys, *measures)
        out[model.__name__] = {row for row in rows if any(row[len(keys) :])}
    tallies = CaseTally.objects.values_list("case_id", *evaluation.FACT_FIELDS)
    out["CaseTally"] = set(tallies)
    return out


def late(case: Case) -> Case:
    """Let the clock of the case's current stage run out (as if an hour had passed)."""
    past = timezone.now() - dt.timedelta(hours=1)
    Case.objects.filter(pk=case.pk).update(stage_deadline=past, deadline=past)
    return Case.objects.get(pk=case.pk)


def mixed_history(w: World) -> dict[str, Case]:
    """Cases that take every counted path: closed on time and late, returned and sent
    again, reworked, postponed, rated, cancelled, merged, reported on patrol."""
    made: dict[str, Case] = {}
    # A hotline report verified real by the grid's worker (missed by them), closed on time.
    made["closed"] = walk_to(w, w.report(), "close")
    actions.rate_case(made["closed"].public_token, rating="basic")
    # The worker's own patrol report, sent to the wrong department and returned, sent
    # again, disposed late, failing its check, reworked, then closed and rated.
    own = w.report(actor=w.worker, source=Source.PATROL)
    own = actions.file_case(own.pk, actor=w.supervision, version=own.version)
    own = actions.dispatch_case(
        own.pk, actor=w.command, version=own.version, department=w.other_department
    )
    own = actions.return_case(own.pk, actor=w.other_handler, version=own.version, reason="非本部门")
    own = late(own)  # the command centre is late dispatching it again
    own = actions.dispatch_case(own.pk, actor=w.command, version=own.version)
    own = actions.accept_case(own.pk, actor=w.handler, version=own.version)
    own = late(own)
    own = actions.dispose_case(own.pk, actor=w.handler, version=own.version, result="已处理")
    own = actions.request_check(own.pk, actor=w.supervision, version=own.version)
    own = actions.record_check(own.pk, actor=w.worker, version=own.version, passed=False)
    own = actions.rework_case(own.pk, actor=w.supervision, version=own.version, reason="未清理干净")
    own = actions.accept_case(own.pk, actor=w.handler, version=own.version)
    own = actions.dispose_case(own.pk, actor=w.handler, version=own.version, result="已清理")
    own = actions.request_check(own.pk, actor=w.supervision, version=own.version)
    own = late(own)
    own = actions.record_check(own.pk, actor=w.worker, version=own.version, passed=True)
    made["reworked"] = actions.close_case(own.pk, actor=w.supervision, version=own.version)
    actions.rate_case(made["reworked"].public_token, rating="unsatisfied")
    # Postponed while disposed of, then still open.
    postponed = walk_to(w, w.report(source=Source.CITIZEN, actor=None), "accept")
    asked = actions.request_postponement(
        postponed.pk,
        actor=w.handler,
        version=postponed.version,
        amount=1,
        unit="working_days",
        reason="需要协调",
    )
    actions.decide_postponement(asked.pk, actor=w.command, approve=True)
    made["postponed"] = Case.objects.get(pk=postponed.pk)
    # Verified as not real and cancelled; a duplicate merged; one waiting in another
    # township; one verified late.
    fake = walk_to(w, w.report(), "request_verification")
    fake = actions.record_verification(fake.pk, actor=w.worker, version=fake.version, is_real=False)
    made["cancelled"] = actions.cancel_case(
        fake.pk, actor=w.supervision, version=fake.version, reason="现场无此问题"
    )
    duplicate = w.report()
    made["merged"] = actions.merge_case(
        duplicate.pk, actor=w.supervision, version=duplicate.version, into_id=made["postponed"].pk
    )
    made["elsewhere"] = w.report(grid_code=SIBLING_GRID)
    slow = late(walk_to(w, w.report(), "request_verification"))
    made["verified_late"] = actions.record_verification(
        slow.pk, actor=w.worker, version=slow.version, is_real=True
    )
    return made


def test_rollups_equal_a_recount_after_a_mixed_history(world: World) -> None:
    mixed_history(world)
    kept = snapshot()
    assert kept["EvaluationCount"] and kept["PersonCount"]
    summary = evaluation.rebuild_evaluation()
    assert summary.cases == Case.objects.count()
    assert snapshot() == kept


def test_a_recount_since_a_day_keeps_earlier_days(world: World) -> None:
    mixed_history(world)
    kept = snapshot()
    evaluation.rebuild_evaluation(since=timezone.localdate())
    assert snapshot() == kept
    evaluation.rebuild_evaluation(since=timezone.localdate() - dt.timedelta(days=400))
    assert snapshot() == kept


def _grid_day(model: Any, **keys: Any) -> Any:
    return model.objects.get(grain=Grain.DAY, level=15, start=timezone.localdate(), **keys)


def test_what_the_history_counts(world: World) -> None:
    made = mixed_history(world)
    today = timezone.localdate()
    total = evaluation.region_rows(evaluation.Counts())  # nothing to add: empty
    assert total == {}
    county = EvaluationCount.objects.filter(
        grain=Grain.YEAR, level=6, code="411302", start=today.replace(month=1, day=1)
    )
    sums = {m: sum(getattr(r, m) for r in county) for m in evaluation.REGION_MEASURES}
    assert sums["reported"] == 7
    assert sums["valid"] == 3  # closed, reworked, postponed were filed
    assert sums["invalid"] == 2  # cancelled, merged
    assert sums["filed"] == 3 and sums["closed"] == 2 and sums["closed_on_time"] == 1
    assert sums["postponed"] == 1 and sums["reworked"] == 1
    assert sums["dispatches"] == 4 and sums["dispatch_returned"] == 1
    assert sums["dispatched_on_time"] == 3  # the second dispatch of the returned case was late
    assert sums["verifications"] == 4 and sums["verified_on_time"] == 3
    assert sums["checks"] == 3 and sums["checked_on_time"] == 2
    assert (sums["rated_basic"], sums["rated_unsatisfied"], sums["rated_satisfied"]) == (1, 1, 0)
    # Missed: the public reports verified real in the worker's grid (hotline closed,
    # citizen postponed, hotline verified late).
    worker = _grid_day(PersonCount, role=PersonRole.SUPERVISOR, person_id=world.worker.pk)
    assert worker.missed == 3
    assert (worker.reported, worker.valid, worker.invalid) == (1, 1, 0)
    assert (worker.verifications, worker.verified_on_time) == (4, 3)
    # The returned dispatch counts against the dispatcher, on the dispatch's day.
    command = _grid_day(PersonCount, role=PersonRole.DISPATCHER, person_id=world.command.pk)
    assert (command.dispatches, command.dispatched_on_time, command.dispatch_returned) == (4, 3, 1)
    # Outcomes go to the department the case ended with.
    department = _grid_day(EvaluationCount, code=GRID, department_id=world.department.pk)
    assert (department.filed, department.closed, department.reworked) == (3, 2, 1)
    assert made["reworked"].department_id == world.department.pk
