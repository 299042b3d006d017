"""What a report and a move accept as input, the same through the action, the API and the
pages: several answers to a multiple-choice question, and no control characters in any
free text (PostgreSQL refuses a NUL outright: without the check it was a 500)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from gridgov.accounts.models import User
from gridgov.audit.models import AuditEvent
from gridgov.cases.actions import workflow as actions
from gridgov.cases.models import Case, Stage
from gridgov.cases.tests.workflow_fixtures import (
    GRID,
    POINT,
    World,
    _english,
    _fresh_locate_index,
    _media,
    case_at,
    world,
)
from gridgov.core.errors import InvalidInput
from gridgov.inbox.models import Message

__all__ = ["_english", "_fresh_locate_index", "_media", "world"]

pytestmark = pytest.mark.django_db
BASE = "/api/v1/cases"

QUESTIONS = [
    {
        "code": "hazards",
        "description": "危险",
        "datatype": "multivaluelist",
        "required": False,
        "values": [{"key": "traffic", "name": "影响交通"}, {"key": "children", "name": "危及儿童"}],
    },
    {"code": "size", "description": "规模", "datatype": "string", "required": False},
]


@pytest.fixture
def asked(world: World) -> World:
    """The world's class asks the questions above."""
    world.case_class.attributes = QUESTIONS
    world.case_class.save()
    return world


def client_for(user: User | None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def post_json(user: User, path: str, body: dict[str, Any]) -> Any:
    return client_for(user).post(path, body, content_type="application/json")


def unchanged(call: Callable[[], Any]) -> Any:
    """Run a refused call and prove it left no case, event, audit event or message."""

    def counts() -> tuple[int, ...]:
        return (
            Case.objects.count(),
            sum(c.events.count() for c in Case.objects.all()),
            AuditEvent.objects.count(),
            Message.objects.count(),
            *Case.objects.order_by("pk").values_list("version", flat=True),
        )

    before = counts()
    result = call()
    assert counts() == before
    return result


def refused_fields(call: Callable[[], Any]) -> dict[str, str]:
    with pytest.raises(InvalidInput) as refused:
        unchanged(call)
    return refused.value.details["fields"]


# --- several answers to a multiple-choice question ----------------------------------------


def test_a_multiple_choice_answer_is_a_list_of_the_questions_keys(asked: World) -> None:
    case = asked.report(attributes={"hazards": ["traffic", "children", "traffic"]})
    assert case.attributes == {"hazards": ["traffic", "children"]}  # each key once, in order
    assert asked.report(attributes={"hazards": "traffic"}).attributes == {"hazards": "traffic"}
    assert asked.report(attributes={"hazards": []}).attributes == {}  # nothing chosen


@pytest.mark.parametrize(
    ("answers", "field", "reason"),
    [
        ({"hazards": ["traffic", "fire"]}, "hazards", "must be one of: traffic, children"),
        ({"size": ["big", "small"]}, "size", "give one value"),
        ({"hazards": [{"key": "traffic"}]}, "hazards", "give a plain value"),
        ({"size": {"nested": 1}}, "size", "give a plain value"),
        ({"size": "两\x00立方"}, "size", "contains control characters"),
    ],
)
def test_a_wrong_answer_is_refused_naming_its_question(
    asked: World, answers: dict[str, Any], field: str, reason: str
) -> None:
    assert refused_fields(lambda: asked.report(attributes=answers)) == {
        f"attributes.{field}": reason
    }


def test_a_required_multiple_choice_needs_a_key(asked: World) -> None:
    asked.case_class.attributes = [{**QUESTIONS[0], "required": True}]
    asked.case_class.save()
    assert refused_fields(lambda: asked.report(attributes={"hazards": []})) == {
        "attributes.hazards": "required"
    }


def test_the_api_takes_a_list_in_json_and_repeated_form_fields(asked: World) -> None:
    body = {
        "source": "hotline",
        "description": "井盖松动",
        "grid_code": GRID,
        "case_class": asked.case_class.pk,
    }
    made = post_json(
        asked.supervision, f"{BASE}/", {**body, "attributes": {"hazards": ["traffic", "children"]}}
    )
    assert made.status_code == 201, made.json()
    assert made.json()["attributes"] == {"hazards": ["traffic", "children"]}
    client = client_for(asked.supervision)
    for name in ("attribute[hazards]", "attribute[hazards][]"):
        made = client.post(f"{BASE}/", {**body, name: ["children", "traffic"]})
        assert made.status_code == 201, made.json()
        assert made.json()["attributes"] == {"hazards": ["children", "traffic"]}
    wrong = unchanged(
        lambda: client.post(f"{BASE}/", {**body, "attribute[hazards][]": ["traffic", "fire"]})
    )
    assert wrong.status_code == 422
    assert wrong.json()["details"]["fields"] == {
        "attributes.hazards": "must be one of: traffic, children"
    }


def report_page_data(world: World, **extra: Any) -> dict[str, Any]:
    lon, lat = POINT
    return {
        "lon": lon,
        "lat": lat,
        "case_class": world.case_class.pk,
        "description": "井盖松动",
        f"attr_{world.case_class.pk}_hazards": ["traffic", "children"],
        **extra,
    }


@pytest.mark.parametrize("page", ["cases:report", "cases:public_report"])
def test_the_report_pages_send_the_ticked_boxes(asked: World, page: str) -> None:
    user = asked.worker if page == "cases:report" else None
    response = client_for(user).post(reverse(page), report_page_data(asked))
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.get()
    assert case.attributes == {"hazards": ["traffic", "children"]}
    html = client_for(asked.supervision).get(reverse("cases:case_detail", args=[case.pk]))
    assert "影响交通、危及儿童" in html.content.decode()


def test_a_refused_answer_shows_under_its_question_on_the_page(asked: World) -> None:
    field = f"attr_{asked.case_class.pk}_size"
    response = unchanged(
        lambda: client_for(asked.worker).post(
            reverse("cases:report"), report_page_data(asked, **{field: "两\x01立方"})
        )
    )
    assert response.status_code == 422
    assert response.context["form"].errors[field] == ["contains control characters"]


# --- control characters -------------------------------------------------------------------

REPORT_TEXTS = [
    ("description", "description"),
    ("address", "address"),
    ("reporter_name", "reporter_name"),
]


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\x7f", "\x85"])
@pytest.mark.parametrize(("name", "field"), REPORT_TEXTS)
def test_a_report_with_a_control_character_is_a_422_naming_the_field(
    world: World, name: str, field: str, character: str
) -> None:
    body = {
        "source": "hotline",
        "description": "井盖缺失",
        "grid_code": GRID,
        name: f"建设{character}路",
    }
    response = unchanged(lambda: post_json(world.supervision, f"{BASE}/", body))
    assert response.status_code == 422, response.content
    assert response.json()["details"]["fields"] == {field: "contains control characters"}
    assert response.json()["code"] == "invalid"


def test_line_breaks_and_tabs_are_text(world: World) -> None:
    case = world.report(description="井盖缺失\r\n已设\t警示")
    assert case.description == "井盖缺失\r\n已设\t警示"


@pytest.mark.parametrize("component", ["411302000000\x00001", "１２", "²"])
def test_a_component_id_that_is_not_digits_is_refused(world: World, component: str) -> None:
    assert refused_fields(lambda: world.report(component=component)) == {
        "component": "no component has this ID"
    }


# Every move that takes free text: (stage, path, actor, body with the bad text, field).
MOVES_WITH_TEXT: list[tuple[str, str, str, dict[str, Any], str]] = [
    (Stage.REPORTED, "request-verification", "supervision", {"note": "请\x00核实"}, "note"),
    (Stage.VERIFYING, "record-verification", "worker", {"is_real": True, "note": "\x00"}, "note"),
    (Stage.VERIFIED, "file", "supervision", {"note": "立\x00案"}, "note"),
    (Stage.REPORTED, "cancel", "supervision", {"reason": "重\x00复"}, "reason"),
    (Stage.FILED, "dispatch", "command", {"note": "速\x00办"}, "note"),
    (Stage.DISPATCHED, "return", "handler", {"reason": "非\x00本部门"}, "reason"),
    (Stage.ACCEPTED, "dispose", "handler", {"result": "已\x00清理"}, "result"),
    (
        Stage.ACCEPTED,
        "postpone",
        "handler",
        {"amount": 1, "unit": "working_days", "reason": "\x00"},
        "reason",
    ),
    (Stage.DISPOSED, "request-check", "supervision", {"note": "\x00"}, "note"),
    (Stage.CHECKING, "record-check", "worker", {"passed": False, "note": "\x00"}, "note"),
    (Stage.CHECKED, "rework", "supervision", {"reason": "未\x00解决"}, "reason"),
]


@pytest.mark.parametrize(
    ("stage", "path", "who", "body", "field"), MOVES_WITH_TEXT, ids=[m[1] for m in MOVES_WITH_TEXT]
)
def test_a_move_with_a_control_character_is_a_422_naming_the_field(
    world: World, stage: str, path: str, who: str, body: dict[str, Any], field: str
) -> None:
    case = case_at(world, stage)
    if path == "rework":  # a failed check, so that rework is the move to make
        case = case_at(world, Stage.CHECKING)
        case = actions.record_check(case.pk, actor=world.worker, version=case.version, passed=False)
    response = unchanged(
        lambda: post_json(
            getattr(world, who), f"{BASE}/{case.pk}/{path}", {"version": case.version, **body}
        )
    )
    assert response.status_code == 422, response.content
    assert response.json()["details"]["fields"] == {field: "contains control characters"}


def test_a_postponement_decision_and_a_rating_refuse_control_characters(world: World) -> None:
    case = case_at(world, Stage.ACCEPTED)
    asked = actions.request_postponement(
        case.pk,
        actor=world.handler,
        version=case.version,
        amount=1,
        unit="working_days",
        reason="雨天",
    )
    decided = unchanged(
        lambda: post_json(
            world.command, f"{BASE}/postponements/{asked.pk}/approve", {"note": "\x00"}
        )
    )
    assert decided.status_code == 422
    assert decided.json()["details"]["fields"] == {"note": "contains control characters"}
    closed = case_at(world, Stage.CLOSED)
    rated = unchanged(
        lambda: client_for(None).post(
            f"{BASE}/track/{closed.public_token}/rating",
            {"rating": "satisfied", "comment": "很\x00好"},
            content_type="application/json",
        )
    )
    assert rated.status_code == 422
    assert rated.json()["details"]["fields"] == {"comment": "contains control characters"}


def test_the_pages_refuse_control_characters_on_the_field(world: World) -> None:
    response = unchanged(
        lambda: client_for(world.supervision).post(
            reverse("cases:hotline"), {"grid_code": GRID, "description": "井盖\x01缺失"}
        )
    )
    assert response.status_code == 422
    assert response.context["form"].errors["description"] == ["contains control characters"]
    case = case_at(world, Stage.REPORTED)
    refused = unchanged(
        lambda: client_for(world.supervision).post(
            reverse("cases:case_move", args=[case.pk, "cancel"]),
            {"version": case.version, "reason": "重\x1b复"},
        )
    )
    assert refused.status_code == 422
    assert "contains control characters" in refused.content.decode()


def test_a_search_with_a_control_character_is_refused_not_a_500(world: World) -> None:
    world.report()
    api = client_for(world.supervision).get(f"{BASE}/", {"q": "井\x00盖"})
    assert api.status_code == 422
    assert api.json()["details"]["fields"] == {"q": "contains control characters"}
    page = client_for(world.supervision).get(reverse("cases:case_list"), {"q": "井\x01盖"})
    assert page.status_code == 200
    assert page.context["filters"].errors["q"] == ["Control characters are not allowed."]
