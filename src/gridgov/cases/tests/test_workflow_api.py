"""The workflow through the REST API: report, every move, queues, errors in one shape."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from gridgov.accounts.models import ApiToken, User
from gridgov.accounts.tokens import new_token
from gridgov.cases import calendar
from gridgov.cases.actions import workflow as actions
from gridgov.cases.api import workflow as api
from gridgov.cases.models import Case, Stage
from gridgov.cases.tests.workflow_fixtures import (
    GRID,
    POINT,
    World,
    _english,
    _fresh_locate_index,
    _media,
    case_at,
    photo,
    world,
)

__all__ = ["_english", "_fresh_locate_index", "_media", "world"]

pytestmark = pytest.mark.django_db
BASE = "/api/v1/cases"


def as_user(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def move(user: User, case: dict[str, Any], path: str, **body: Any) -> Any:
    return as_user(user).post(
        f"{BASE}/{case['id']}/{path}",
        {"version": case["version"], **body},
        content_type="application/json",
    )


def test_the_whole_workflow_through_the_api(world: World) -> None:
    response = as_user(world.supervision).post(
        f"{BASE}/",
        {
            "source": "hotline",
            "description": "井盖缺失",
            "lon": POINT[0],
            "lat": POINT[1],
            "case_class": world.case_class.pk,
            "reporter_phone": "13812345678",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    case = response.json()
    assert case["grid_code"] == GRID and case["reporter_phone_masked"] == "138****5678"
    steps = [
        (world.supervision, "request-verification", {}),
        (world.worker, "record-verification", {"is_real": True}),
        (world.supervision, "file", {}),
        (world.command, "dispatch", {}),
        (world.handler, "accept", {}),
        (world.handler, "dispose", {"result": "已处理"}),
        (world.supervision, "request-check", {}),
        (world.worker, "record-check", {"passed": True}),
        (world.supervision, "close", {}),
    ]
    for user, path, extra in steps:
        response = move(user, case, path, **extra)
        assert response.status_code == 200, (path, response.json())
        case = response.json()
    assert case["stage"] == Stage.CLOSED
    assert [e["action"] for e in case["timeline"]][-1] == "close"
    assert Case.objects.get().stage == Stage.CLOSED


# --- what an answer costs -----------------------------------------------------------------


def test_the_answer_to_a_report_is_the_case_as_read_later(world: World) -> None:
    client = as_user(world.worker)
    made = client.post(
        f"{BASE}/",
        {
            "source": "patrol",
            "description": "井盖缺失",
            "grid_code": GRID,
            "case_class": str(world.case_class.pk),
            "photos": [photo(), photo("b.png", "PNG")],
        },
    )
    assert made.status_code == 201, made.json()
    answer = made.json()
    assert [e["action"] for e in answer["timeline"]] == ["report"]
    assert answer["timeline"][0]["photos"] == answer["photos"] and len(answer["photos"]) == 2
    assert answer == client.get(f"{BASE}/{answer['id']}").json()


def test_the_answer_to_a_report_reads_nothing_more(
    world: World, django_assert_num_queries: Any
) -> None:
    case = world.report(photos=[photo()])
    with django_assert_num_queries(0):  # its event and photo are those the action wrote
        answer = api.case_detail(world.supervision, case)
    assert [e["action"] for e in answer["timeline"]] == ["report"]
    assert [p["id"] for p in answer["timeline"][0]["photos"]] == [answer["photos"][0]["id"]]


@pytest.mark.parametrize(
    ("stage", "queries"),
    [
        (Stage.FILED, 2),  # the timeline's events and the case's photos (theirs too)
        (Stage.DISPOSED, 2),
        (Stage.DISPATCHED, 3),  # ... and a postponement waiting for a decision
    ],
)
def test_the_answer_to_a_move_reads_its_timeline_once(
    world: World, django_assert_num_queries: Any, stage: str, queries: int
) -> None:
    case = case_at(world, stage)
    actor = world.handler if stage == Stage.DISPOSED else world.supervision
    with calendar.pinned():  # as in a request, where the move has read the calendar
        calendar.current()
        with django_assert_num_queries(queries):
            answer = api.case_detail(actor, case)
    assert answer["stage"] == stage and len(answer["timeline"]) == case.events.count()


def test_a_report_and_a_move_keep_to_their_query_budget(
    world: World, django_assert_max_num_queries: Any
) -> None:
    """A hotline system's requests, whole (the token, the audit chain, inbox and the
    evaluation roll-ups included): more queries here slow every call (bench/filing.py)."""
    raw, prefix, digest = new_token()
    ApiToken.objects.create(
        user=world.supervision, name="hotline", prefix=prefix, token_hash=digest
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    body = {"source": "hotline", "description": "井盖缺失", "lon": POINT[0], "lat": POINT[1]}
    body["case_class"] = world.case_class.pk
    client.post(f"{BASE}/", body, content_type="application/json")  # the day's first number
    with django_assert_max_num_queries(26):
        made = client.post(f"{BASE}/", body, content_type="application/json")
    assert made.status_code == 201
    with django_assert_max_num_queries(26):
        filed = client.post(
            f"{BASE}/{made.json()['id']}/file",
            {"version": made.json()["version"]},
            content_type="application/json",
        )
    assert filed.status_code == 200


def test_a_move_writes_every_column_it_changed(world: World) -> None:
    """Moves save only the columns they change: each leaves the row as it left the case."""
    case = world.report()
    for action, call, actor, extra in [
        ("request_verification", actions.request_verification, world.supervision, {}),
        ("record_verification", actions.record_verification, world.worker, {"is_real": True}),
        ("file", actions.file_case, world.supervision, {}),
        ("dispatch", actions.dispatch_case, world.command, {}),
        ("accept", actions.accept_case, world.handler, {}),
        ("dispose", actions.dispose_case, world.handler, {"result": "已清理"}),
        ("request_check", actions.request_check, world.supervision, {}),
        ("record_check", actions.record_check, world.worker, {"passed": False}),
        ("rework", actions.rework_case, world.supervision, {"reason": "未清理干净"}),
    ]:
        case = call(case.pk, actor=actor, version=case.version, **extra)
        stored = Case.objects.get(pk=case.pk)
        for field in Case._meta.concrete_fields:
            assert getattr(stored, field.attname) == getattr(case, field.attname), (action, field)


def test_a_url_that_names_no_case_answers_the_apis_404(world: World) -> None:
    client = as_user(world.supervision)
    for path in (f"{BASE}/null,null", f"{BASE}/12/nothing", f"{BASE}/attachments/x"):
        response = client.get(path)
        assert response.status_code == 404 and response.json()["code"] == "not_found", path
    assert client.post(f"{BASE}/abc/file", {}, content_type="application/json").status_code == 404
    moved = client.get(BASE)  # the list's URL ends in a slash: Django's redirect stays
    assert moved.status_code == 301 and moved["Location"] == f"{BASE}/"
