"""The epidemic API through HTTP: declarations received twice are counted once (single and
batch), errors in the one shape naming the item and field, risk areas, health codes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from gridgov.epidemic import rules
from gridgov.epidemic.models import HealthDeclaration
from gridgov.epidemic.tests.fixtures import Epi, epidemic_state
from gridgov.registry.tests.core_fixtures import GRID
from gridgov.registry.tests.web_fixtures import client_for

pytestmark = pytest.mark.django_db
BASE = "/api/v1/epidemic"


def post(client: Any, url: str, body: Any) -> Any:
    return client.post(url, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")


def test_a_declaration_sent_twice_answers_201_then_200_and_counts_once(epi: Epi) -> None:
    client = client_for(epi.r.worker)
    body = {
        "person_id": epi.r.person.pk,
        "client_key": str(uuid.uuid4()),
        "temperature": 38.4,
        "symptoms": ["cough"],
    }
    first = post(client, f"{BASE}/declarations", body)
    second = post(client, f"{BASE}/declarations", body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"] and second.json()["created"] is False
    figures = client.get(f"{BASE}/figures/{GRID}").json()
    assert figures["day"]["declarations"] == 1 and figures["day"]["abnormal"] == 1
    assert figures["current"] == {"code:yellow": 1}
    code = client.get(f"{BASE}/people/{epi.r.person.pk}/health-code").json()
    assert code["colour"] == "yellow" and code["history"][0]["reason"] == "fever"


def test_a_batch_retried_is_counted_once(epi: Epi) -> None:
    client = client_for(epi.r.worker)
    items = [
        {"person_id": person.pk, "client_key": uuid.uuid4().hex, "temperature": 36.5}
        for person in (epi.r.person, epi.spouse, epi.r.elder)
    ]
    first = post(client, f"{BASE}/declarations/batch", {"items": items}).json()
    again = post(client, f"{BASE}/declarations/batch", {"items": items}).json()
    assert (first["created"], first["duplicates"]) == (3, 0)
    assert (again["created"], again["duplicates"]) == (0, 3)
    assert HealthDeclaration.objects.count() == 3
    listed = client.get(f"{BASE}/declarations?code={GRID}&date={rules.today()}").json()
    assert listed["count"] == 3


def test_a_bad_item_is_named_by_index_and_field_and_nothing_is_written(epi: Epi) -> None:
    client = client_for(epi.r.worker)
    before = epidemic_state()
    items = [
        {"person_id": epi.r.person.pk, "client_key": uuid.uuid4().hex},
        {"person_id": epi.spouse.pk, "client_key": "x", "symptoms": ["hiccups"]},
    ]
    response = post(client, f"{BASE}/declarations/batch", {"items": items})
    assert response.status_code == 422
    error = response.json()
    assert error["code"] == "invalid"
    assert {"items.1.client_key", "items.1.symptoms.0"} <= set(error["details"]["fields"])
    outside = [{"person_id": epi.r.sibling_person.pk, "client_key": uuid.uuid4().hex}]
    response = post(client, f"{BASE}/declarations/batch", {"items": outside})
    assert response.status_code == 404
    assert response.json()["details"] == {"items": {"0": {"person_id": "not found"}}}
    assert epidemic_state() == before


def test_risk_areas_through_the_api(epi: Epi) -> None:
    client = client_for(epi.county)
    created = post(
        client,
        f"{BASE}/risk-areas",
        {"division_code": "420102", "level": "high", "valid_from": str(rules.today())},
    )
    assert created.status_code == 201
    area = created.json()
    assert area["name"] == "湖北省武汉市江岸区" and area["active_today"] is True
    changed = client.patch(
        f"{BASE}/risk-areas/{area['id']}",
        {"level": "medium", "version": 1},
        content_type="application/json",
    )
    assert changed.json()["level"] == "medium"
    stale = client.patch(
        f"{BASE}/risk-areas/{area['id']}",
        {"level": "low", "version": 1},
        content_type="application/json",
    )
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    match = client_for(epi.r.worker).get(f"{BASE}/risk-areas/match?code=420102003").json()
    assert match["level"] == "medium" and [a["division_code"] for a in match["areas"]] == ["420102"]
    bad = post(client, f"{BASE}/risk-areas", {"division_code": "4", "level": "high"})
    assert bad.status_code == 422 and "division_code" in bad.json()["details"]["fields"]
