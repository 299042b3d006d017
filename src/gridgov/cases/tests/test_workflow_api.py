"""The workflow through the REST API: report, every move, queues, errors in one shape."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from gridgov.accounts.models import User
from gridgov.cases.models import Case, Stage
from gridgov.cases.tests.workflow_fixtures import (
    GRID,
    POINT,
    World,
    _english,
    _fresh_locate_index,
    _media,
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
