"""The work queue in the database: ordered most urgent first, its traffic lights counted
and filtered there (the yellow moment is stored with each deadline), the clocks computed
for the page shown only — so a city's queue of hundreds costs what a queue of ten does."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gridgov.cases import calendar
from gridgov.cases.actions import workflow as actions
from gridgov.cases.models import Case, Stage
from gridgov.cases.queries import workflow as queries
from gridgov.cases.tests.workflow_fixtures import (
    World,
    _english,
    _fresh_locate_index,
    _media,
    case_at,
    world,
)

__all__ = ["_english", "_fresh_locate_index", "_media", "world"]

pytestmark = pytest.mark.django_db
HOUR = dt.timedelta(hours=1)
CLOCK_COLUMNS = ("dispatched_at", "deadline", "warn_at", "stage_started_at")


def dispatched(world: World) -> Case:
    """A case the department holds, under the 4 urgent hours of ``other_class``."""
    case = case_at(world, Stage.FILED, case_class=world.other_class)
    return actions.dispatch_case(
        case.pk, actor=world.command, version=case.version, department=world.department
    )


def aged(case: Case, by: dt.timedelta) -> Case:
    """The case as if its clock had started ``by`` earlier (every clock column moved)."""
    moved = {name: getattr(case, name) - by for name in CLOCK_COLUMNS if getattr(case, name)}
    Case.objects.filter(pk=case.pk).update(**moved)
    case.refresh_from_db()
    return case


def copies(case: Case, count: int) -> None:
    """``count`` more cases like ``case`` (same clock, other numbers), written at once."""
    fields = {
        f.attname: getattr(case, f.attname)
        for f in Case._meta.concrete_fields
        if f.attname not in ("id", "number", "public_token")
    }
    Case.objects.bulk_create(Case(**fields, number=uuid.uuid4().hex[:14]) for _ in range(count))


def test_each_clock_stores_when_it_turns_yellow(world: World) -> None:
    case = dispatched(world)
    assert case.warn_at == case.dispatched_at + 0.8 * 4 * HOUR  # urgent hours: the wall clock
    verifying = case_at(world, Stage.VERIFYING)  # one working hour (settings)
    start, due, warn = verifying.stage_started_at, verifying.stage_deadline, verifying.stage_warn_at
    assert start < warn < due
    used = calendar.used_fraction(start, due, warn, "working_hours")  # in working time
    assert used == pytest.approx(queries.YELLOW, abs=1e-6)
    assert queries.traffic_light(verifying, warn - dt.timedelta(seconds=1)) == "green"
    assert queries.traffic_light(verifying, warn) == "yellow"
    assert queries.traffic_light(verifying, due) == "yellow"
    assert queries.traffic_light(verifying, due + dt.timedelta(seconds=1)) == "red"


def test_a_postponement_moves_the_yellow_moment_and_a_return_clears_it(world: World) -> None:
    case = dispatched(world)
    case = actions.accept_case(case.pk, actor=world.handler, version=case.version)
    before = case.warn_at
    asked = actions.request_postponement(
        case.pk,
        actor=world.handler,
        version=case.version,
        amount=4,
        unit="urgent_hours",
        reason="雨",
    )
    actions.decide_postponement(asked.pk, actor=world.command, approve=True)
    case.refresh_from_db()
    assert case.warn_at == case.dispatched_at + 0.8 * 8 * HOUR and case.warn_at > before
    returned = dispatched(world)
    returned = actions.return_case(
        returned.pk, actor=world.handler, version=returned.version, reason="非本部门"
    )
    assert returned.deadline is None and returned.warn_at is None


def test_the_database_gives_every_case_the_light_its_card_shows(world: World) -> None:
    green, yellow, red = dispatched(world), dispatched(world), dispatched(world)
    aged(yellow, 3.5 * HOUR)
    aged(red, 5 * HOUR)
    legacy = aged(dispatched(world), 3.5 * HOUR)  # a clock without a stored yellow moment
    Case.objects.filter(pk=legacy.pk).update(warn_at=None)
    now = timezone.now()
    rows = queries.with_lights(queries.work_queue(world.handler), now)
    counts, unknown = queries.lights_of(rows, now)
    assert counts == {"": 0, "red": 1, "yellow": 2, "green": 1}
    assert unknown["yellow"] == [legacy.pk]
    for case in rows:
        assert queries.traffic_light(case, now) == (
            case.light if case.light != "?" else "yellow"  # type: ignore[attr-defined]
        )
    assert [c.pk for c in queries.of_light(rows, "yellow", unknown)] == [yellow.pk, legacy.pk]
    assert [c.pk for c in rows] == [red.pk, yellow.pk, legacy.pk, green.pk]  # most urgent first


def queue_page(user: Any, **params: str) -> tuple[Any, int]:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    client.get(reverse("cases:my_cases"))  # the session and the first look-ups
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("cases:my_cases"), params)
    assert response.status_code == 200
    return response, len(captured)


def test_the_queue_page_costs_the_same_for_10_and_200_cases(world: World) -> None:
    yellow = aged(dispatched(world), 3.5 * HOUR)
    legacy = aged(dispatched(world), 5 * HOUR)
    Case.objects.filter(pk=legacy.pk).update(warn_at=None)
    copies(yellow, 8)
    small, few = queue_page(world.handler)
    _page, few_yellow = queue_page(world.handler, light="yellow")
    copies(yellow, 190)
    large, many = queue_page(world.handler)
    large_yellow, many_yellow = queue_page(world.handler, light="yellow")
    assert (few, few_yellow) == (many, many_yellow)
    assert small.context["total"] == 10 and large.context["total"] == 200
    assert large.context["counts"] == {"": 0, "red": 1, "yellow": 199, "green": 0}
    assert large.context["page"].count == 200 and len(large.context["page"].items) == 30
    first = large.context["page"].items[0]
    assert first.pk == legacy.pk and first.clock.light == "red"  # overdue first
    assert {c.clock.light for c in large_yellow.context["page"].items} == {"yellow"}
    assert large_yellow.context["page"].count == 199
