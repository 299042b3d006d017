"""Two people acting on one case at once cannot both win: the version check refuses the
second (both databases), and on PostgreSQL the row lock makes truly concurrent moves
wait for each other and then refuse (real concurrent connections)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client

from gridgov.accounts.tests.test_concurrency import race
from gridgov.cases.actions import workflow as actions
from gridgov.cases.models import Case, CaseEvent, Stage
from gridgov.cases.tests.workflow_fixtures import (
    World,
    _english,
    _fresh_locate_index,
    _media,
    case_at,
    world,
)
from gridgov.core.errors import Conflict, NotFound

__all__ = ["_english", "_fresh_locate_index", "_media", "world"]

needs_concurrency = pytest.mark.skipif(
    connection.vendor == "sqlite", reason="needs concurrent connections (PostgreSQL)"
)


def dispatch_twice(world: World, case: Case) -> list[Any]:
    """What two dispatchers who loaded the same version get, one after the other."""
    results: list[Any] = []
    for department in (world.department, world.other_department):
        try:
            results.append(
                actions.dispatch_case(
                    case.pk, actor=world.command, version=case.version, department=department
                )
            )
        except Conflict as exc:
            results.append(exc)
    return results


@pytest.mark.django_db
def test_the_second_of_two_dispatches_of_one_version_is_refused(world: World) -> None:
    case = case_at(world, Stage.FILED)
    first, second = dispatch_twice(world, case)
    assert isinstance(first, Case) and isinstance(second, Conflict)
    assert "Someone else changed case" in second.message
    stored = Case.objects.get(pk=case.pk)
    assert stored.department == world.department and stored.dispatch_count == 1
    assert CaseEvent.objects.filter(case=case, action="dispatch").count() == 1


@pytest.mark.django_db
def test_through_the_api_the_loser_gets_a_409(world: World) -> None:
    case = case_at(world, Stage.FILED)
    client = Client()
    client.force_login(world.command)
    url = f"/api/v1/cases/{case.pk}/dispatch"
    body = {"version": case.version}
    assert client.post(url, body, content_type="application/json").status_code == 200
    late = client.post(url, body, content_type="application/json")
    assert late.status_code == 409
    error = late.json()
    assert error["code"] == "conflict" and case.number in error["message"]
    assert error["details"]["stage"] == Stage.DISPATCHED


@needs_concurrency
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_dispatches_one_wins(world: World) -> None:
    case = case_at(world, Stage.FILED)

    def dispatch(department: Any) -> Any:
        return lambda: actions.dispatch_case(
            case.pk, actor=world.command, version=case.version, department=department
        )

    results = race(dispatch(world.department), dispatch(world.other_department))
    won = [r for r in results if isinstance(r, Case)]
    lost = [r for r in results if isinstance(r, Conflict)]
    assert len(won) == 1 and len(lost) == 1, results
    stored = Case.objects.get(pk=case.pk)
    assert stored.department_id == won[0].department_id and stored.dispatch_count == 1
    assert stored.version == case.version + 1
    assert CaseEvent.objects.filter(case=case, action="dispatch").count() == 1


@needs_concurrency
@pytest.mark.django_db(transaction=True)
def test_accept_and_return_at_once_cannot_both_happen(world: World) -> None:
    case = case_at(world, Stage.DISPATCHED)
    results = race(
        lambda: actions.accept_case(case.pk, actor=world.handler, version=case.version),
        lambda: actions.return_case(
            case.pk, actor=world.handler, version=case.version, reason="不属本局"
        ),
    )
    accepted, returned = results
    stored = Case.objects.get(pk=case.pk)
    if isinstance(accepted, Case):  # the return came second: the version moved on
        assert isinstance(returned, Conflict) and stored.stage == Stage.ACCEPTED
    else:  # the accept came second: the case is no longer the department's to see
        assert isinstance(accepted, NotFound) and isinstance(returned, Case), results
        assert stored.stage == Stage.FILED and stored.department is None


@needs_concurrency
@pytest.mark.django_db(transaction=True)
def test_concurrent_reports_get_distinct_consecutive_numbers(world: World) -> None:
    results = race(*(world.report for _ in range(4)))
    assert all(isinstance(r, Case) for r in results), results
    serials = sorted(int(r.number[-6:]) for r in results)
    assert serials == [1, 2, 3, 4]
