"""Every workflow endpoint against anonymous callers, the wrong role, the wrong scope and
the right scope; refused calls change nothing; lists keep their query count."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from gridgov.audit.models import AuditEvent
from gridgov.cases.actions import workflow as actions
from gridgov.cases.models import Case, CaseEvent, Stage
from gridgov.cases.tests.workflow_fixtures import (
    GRID,
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


def client_for(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def post(user: Any, url: str, body: dict[str, Any] | None = None) -> Any:
    return client_for(user).post(url, json.dumps(body or {}), content_type="application/json")


def snapshot() -> tuple[Any, ...]:
    return (
        list(Case.objects.order_by("pk").values_list("stage", "version", "department_id")),
        CaseEvent.objects.count(),
        AuditEvent.objects.count(),
    )


READS = [
    "/{id}",
    "/{id}/duplicates",
]


@pytest.mark.parametrize("path", READS)
def test_reading_one_case(world: World, path: str) -> None:
    case = case_at(world, Stage.FILED)
    url = BASE + path.format(id=case.pk)
    assert client_for(None).get(url).status_code == 401
    for outsider in (world.other_supervision, world.other_worker, world.handler, world.citizen):
        response = client_for(outsider).get(url)
        assert response.status_code == 404, outsider
        assert set(response.json()) == {"code", "message", "details"}
    for insider in (world.supervision, world.worker, world.command, world.admin):
        assert client_for(insider).get(url).status_code == 200, insider


def test_the_case_detail(world: World) -> None:
    case = case_at(world, Stage.DISPATCHED)
    body = client_for(world.handler).get(f"{BASE}/{case.pk}").json()
    assert body["number"] == case.number and body["stage"] == Stage.DISPATCHED
    assert body["allowed_actions"] == ["accept", "return", "request_postponement"]
    assert body["traffic_light"] == "green" and body["due"] is not None
    assert [e["action"] for e in body["timeline"]][-1] == "dispatch"
    assert client_for(world.supervision).get(f"{BASE}/{case.pk}").json()["allowed_actions"] == []


@pytest.mark.parametrize("path", ["/", "/queue", "/unassigned", "/postponements"])
def test_lists_and_queues(world: World, path: str) -> None:
    case_at(world, Stage.FILED, case_class=world.other_class)  # filed, unassigned
    assert client_for(None).get(BASE + path).status_code == 401
    for outsider in (world.other_supervision, world.other_command, world.citizen):
        response = client_for(outsider).get(BASE + path)
        assert response.status_code == 200 and response.json()["count"] == 0, outsider
    expected = {"/": 1, "/queue": 1, "/unassigned": 1, "/postponements": 0}[path]
    assert client_for(world.command).get(BASE + path).json()["count"] == expected


def test_list_filters_and_paging(world: World) -> None:
    filed = case_at(world, Stage.FILED)
    world.report()
    client = client_for(world.supervision)
    page = client.get(f"{BASE}/", {"page_size": 1, "page": 2}).json()
    assert page["count"] == 2 and page["pages"] == 2 and page["items"][0]["number"] == filed.number
    assert client.get(f"{BASE}/", {"q": filed.number}).json()["count"] == 1
    assert client.get(f"{BASE}/", {"stage": "filed", "grid": GRID[:9]}).json()["count"] == 1
    assert client.get(f"{BASE}/", {"overdue": "true"}).json()["count"] == 0
    bad = client.get(f"{BASE}/", {"stage": "lost"})
    assert bad.status_code == 422 and "stage" in bad.json()["details"]["fields"]
    # Paging out of range is brought into range, as on every list (core.paging.clamp).
    clamped = client.get(f"{BASE}/", {"page_size": 0, "page": 0}).json()
    assert (clamped["page_size"], clamped["page"], len(clamped["items"])) == (1, 1, 1)


def test_reporting(world: World) -> None:
    body = {"source": "patrol", "description": "占道经营", "grid_code": GRID}
    assert post(None, f"{BASE}/", body).status_code == 401
    assert post(world.citizen, f"{BASE}/", body).status_code == 403
    assert post(world.handler, f"{BASE}/", body).status_code == 403
    assert post(world.other_worker, f"{BASE}/", body).status_code == 404
    assert Case.objects.count() == 0
    made = post(world.worker, f"{BASE}/", body)
    assert made.status_code == 201 and made.json()["stage"] == Stage.VERIFIED
    # A leader may report but not read cases: the answer shows what was reported, once.
    told = post(world.leader, f"{BASE}/", {**body, "source": "leader"})
    assert told.status_code == 201 and told.json()["allowed_actions"] == []
    assert client_for(world.leader).get(f"{BASE}/{told.json()['id']}").status_code == 404
    invalid = post(world.worker, f"{BASE}/", {"source": "rumour", "lon": 500})
    assert invalid.status_code == 422
    assert {"source", "description", "lon"} <= set(invalid.json()["details"]["fields"])
    outside = post(world.worker, f"{BASE}/", {**body, "grid_code": None, "lon": 100, "lat": 30})
    assert outside.status_code == 422 and "location" in outside.json()["details"]["fields"]


def test_reporting_with_photos_as_a_form(world: World) -> None:
    response = client_for(world.worker).post(
        f"{BASE}/",
        {
            "source": "patrol",
            "description": "井盖破损",
            "lon": "112.41",
            "lat": "33.09",
            "case_class": str(world.case_class.pk),
            "attribute[depth]": "30",
            "photos": [photo(), photo("b.png", "PNG")],
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert len(body["photos"]) == 2 and body["attributes"] == {"depth": "30"}
    assert body["photos"][0]["thumbnail_url"].endswith("?thumbnail=1")


MOVES: list[tuple[str, str, str, dict[str, Any], tuple[str, ...]]] = [
    # (stage, path, right user, body, in-scope wrong users)
    (Stage.REPORTED, "request-verification", "supervision", {}, ("worker", "command")),
    (Stage.VERIFYING, "record-verification", "worker", {"is_real": True}, ("supervision",)),
    (Stage.VERIFIED, "file", "supervision", {}, ("worker", "command")),
    (Stage.REPORTED, "cancel", "supervision", {"reason": "重复"}, ("command",)),
    (Stage.FILED, "dispatch", "command", {}, ("supervision", "worker")),
    (Stage.DISPATCHED, "accept", "handler", {}, ("command", "supervision")),
    (Stage.DISPATCHED, "return", "handler", {"reason": "不属本局"}, ("command",)),
    (Stage.ACCEPTED, "dispose", "handler", {"result": "已修复"}, ("command",)),
    (Stage.DISPOSED, "request-check", "supervision", {}, ("worker", "handler")),
    (Stage.CHECKING, "record-check", "worker", {"passed": False}, ("supervision",)),
    (Stage.CHECKED, "close", "supervision", {}, ()),
    (Stage.DISPOSED, "rework", "supervision", {"reason": "不彻底"}, ("command",)),
]


@pytest.mark.parametrize(("stage", "path", "right", "extra", "wrong"), MOVES)
def test_each_move_endpoint(
    world: World, stage: str, path: str, right: str, extra: dict[str, Any], wrong: tuple[str, ...]
) -> None:
    case = case_at(world, stage)
    url = f"{BASE}/{case.pk}/{path}"
    body = {"version": case.version, **extra}
    before = snapshot()
    assert post(None, url, body).status_code == 401
    for name in wrong:
        response = post(getattr(world, name), url, body)
        assert response.status_code == 403 and response.json()["code"] == "forbidden", name
    for name in ("other_supervision", "other_command", "other_handler", "citizen"):
        assert post(getattr(world, name), url, body).status_code == 404, name
    stale = post(getattr(world, right), url, {**body, "version": case.version + 5})
    assert stale.status_code == 409
    missing = post(
        getattr(world, right), url, {key: v for key, v in body.items() if key != "version"}
    )
    assert missing.status_code == 422 and "version" in missing.json()["details"]["fields"]
    assert snapshot() == before
    done = post(getattr(world, right), url, body)
    assert done.status_code == 200, done.json()
    assert done.json()["version"] == case.version + 1
    again = post(getattr(world, right), url, {**body, "version": case.version + 1})
    # The same move again does not fit the new stage (a returned case is not theirs).
    assert again.status_code == (404 if path == "return" else 409)


def test_merging_through_the_api(world: World) -> None:
    first, second = world.report(), world.report()
    url = f"{BASE}/{second.pk}/merge"
    assert post(world.command, url, {"version": 1, "into_id": first.pk}).status_code == 403
    done = post(world.supervision, url, {"version": 1, "into_id": first.pk})
    assert done.status_code == 200 and done.json()["merged_into"] == first.number


def test_postponements_through_the_api(world: World) -> None:
    case = case_at(world, Stage.ACCEPTED)
    url = f"{BASE}/{case.pk}/postpone"
    body = {"version": case.version, "amount": 2, "unit": "working_days", "reason": "缺配件"}
    assert post(world.command, url, body).status_code == 403
    assert post(world.other_handler, url, body).status_code == 404
    made = post(world.handler, url, body)
    assert made.status_code == 201 and made.json()["status"] == "pending"
    pk = made.json()["id"]
    listed = client_for(world.command).get(f"{BASE}/postponements").json()
    assert [p["id"] for p in listed["items"]] == [pk]
    assert post(world.handler, f"{BASE}/postponements/{pk}/approve").status_code == 403
    assert post(world.other_command, f"{BASE}/postponements/{pk}/approve").status_code == 404
    approved = post(world.command, f"{BASE}/postponements/{pk}/approve", {"note": "同意"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert post(world.command, f"{BASE}/postponements/{pk}/reject").status_code == 409
    assert post(world.command, f"{BASE}/postponements/999999/reject").status_code == 404


def test_tracking_and_rating_are_public(world: World) -> None:
    open_case = world.report()
    track = f"{BASE}/track/{open_case.public_token}"
    answer = client_for(None).get(track)
    assert answer.status_code == 200 and answer.json()["number"] == open_case.number
    assert client_for(None).get(f"{BASE}/track/not-a-token").status_code in (404, 422)
    assert (
        client_for(None).get(f"{BASE}/track/{'0' * 8}-0000-0000-0000-{'0' * 12}").status_code == 404
    )
    assert post(None, f"{track}/rating", {"rating": "satisfied"}).status_code == 409
    closed = case_at(world, Stage.CLOSED)
    rating = f"{BASE}/track/{closed.public_token}/rating"
    assert post(None, rating, {"rating": "ecstatic"}).status_code == 422
    rated = post(None, rating, {"rating": "basic", "comment": "还行"})
    assert rated.status_code == 200 and rated.json()["rating"] == "basic"
    assert rated.json()["can_rate"] is False
    assert post(None, rating, {"rating": "satisfied"}).status_code == 409
    assert Case.objects.get(pk=closed.pk).rating == "basic"


# --- query counts -------------------------------------------------------------------------


def many_cases(world: World, n: int) -> None:
    for _ in range(n):
        case_at(world, Stage.DISPATCHED)
        case_at(world, Stage.FILED, case_class=world.other_class)


@pytest.mark.parametrize(
    ("path", "user"),
    [
        ("/", "supervision"),
        ("/queue", "command"),
        ("/queue", "handler"),
        ("/unassigned", "command"),
        ("/postponements?pending=false", "command"),
    ],
)
def test_lists_do_not_grow_in_queries_with_their_rows(
    world: World, path: str, user: str, django_assert_max_num_queries: Callable[..., Any]
) -> None:
    many_cases(world, 6)
    for case in Case.objects.filter(stage=Stage.DISPATCHED)[:3]:
        actions.request_postponement(
            case.pk,
            actor=world.handler,
            version=case.version,
            amount=1,
            unit="urgent_hours",
            reason="等",
        )
    client = client_for(getattr(world, user))
    client.get(BASE + path)  # sessions, calendar and the like warmed up
    with django_assert_max_num_queries(9):
        response = client.get(BASE + path)
    assert response.status_code == 200 and response.json()["count"] >= 3


def test_duplicates_keep_their_query_count(
    world: World, django_assert_max_num_queries: Callable[..., Any]
) -> None:
    cases = [world.report(grid_code=None, lon=112.41, lat=33.09) for _ in range(8)]
    client = client_for(world.supervision)
    client.get(f"{BASE}/{cases[0].pk}/duplicates")
    with django_assert_max_num_queries(9):
        response = client.get(f"{BASE}/{cases[0].pk}/duplicates")
    assert len(response.json()) == 7
