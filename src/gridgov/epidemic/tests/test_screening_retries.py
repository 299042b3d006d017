"""A screening sent twice is recorded once: with the client key the sender chose (the API's
``client_key``, the form's hidden one), a repeat answers the first record (200 instead of
201) and changes nothing — no second record, no figure counted twice, no audit event; the
same key for another visit is refused (409), a malformed one is a 422 naming it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client

from gridgov.epidemic.actions import screening as actions
from gridgov.epidemic.models import ScreeningRecord, ScreeningTask
from gridgov.epidemic.tallies.screening import TALLY
from gridgov.epidemic.tests.fixtures import Epi, epidemic_state
from gridgov.epidemic.tests.test_screening_pages import client_for

pytestmark = pytest.mark.django_db
API = "/api/v1/epidemic/screening"
TOWNSHIP = "411302001"


def post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(API + path, body, content_type="application/json")


@pytest.fixture
def task(epi: Epi) -> ScreeningTask:
    campaign = actions.create_campaign(
        actor=epi.r.township, name="全员", region_code=TOWNSHIP, target="everyone"
    )
    actions.start_campaign(campaign.pk, actor=epi.r.township)
    return ScreeningTask.objects.get(campaign=campaign, person=epi.r.person)


def test_a_task_record_sent_again_answers_the_first(epi: Epi, task: ScreeningTask) -> None:
    worker = client_for(epi.r.worker)
    key = str(uuid.uuid4())
    body = {"version": task.version, "health": "normal", "client_key": key}
    first = post(worker, f"/tasks/{task.pk}/record", body)
    assert first.status_code == 201 and first.json()["client_key"] == key
    after_first = epidemic_state()
    # The answer was lost; the phone sends the same body again (the task's version is old).
    again = post(worker, f"/tasks/{task.pk}/record", body)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert epidemic_state() == after_first
    assert ScreeningRecord.objects.count() == 1 and TALLY.matches_recount()
    # Without the key the old version is what it is: someone screened the task since.
    stale = post(worker, f"/tasks/{task.pk}/record", {"version": task.version})
    assert stale.status_code == 409


def test_a_key_is_for_one_visit(epi: Epi, task: ScreeningTask) -> None:
    worker = client_for(epi.r.worker)
    key = str(uuid.uuid4())
    assert (
        post(worker, "/records", {"person_id": epi.spouse.pk, "client_key": key}).status_code == 201
    )
    before = epidemic_state()
    for path, body in (
        ("/records", {"person_id": epi.r.elder.pk, "client_key": key}),  # another person
        (f"/tasks/{task.pk}/record", {"version": task.version, "client_key": key}),  # a task
    ):
        refused = post(worker, path, body)
        assert refused.status_code == 409, path
        assert refused.json()["details"]["client_key"] == key
    # Another grid worker of the grid sending the same key is another sender: refused too.
    community = client_for(epi.r.community)
    assert (
        post(community, "/records", {"person_id": epi.spouse.pk, "client_key": key}).status_code
        == 409
    )
    assert epidemic_state() == before


def test_a_malformed_key_is_refused_and_changes_nothing(epi: Epi) -> None:
    worker = client_for(epi.r.worker)
    before = epidemic_state()
    for key in ("short", "has spaces in it", "x" * 65):
        refused = post(worker, "/records", {"person_id": epi.spouse.pk, "client_key": key})
        assert refused.status_code == 422, key
        assert "client_key" in refused.json()["details"]["fields"], key
    assert epidemic_state() == before


def test_the_form_sent_twice_records_once(epi: Epi, task: ScreeningTask) -> None:
    worker = client_for(epi.r.worker)
    page = worker.get(f"/epidemic/screening/tasks/{task.pk}/").content.decode()
    assert 'name="client_key"' in page
    key = page.split('name="client_key" value="', 1)[1].split('"', 1)[0]
    body = {"version": str(task.version), "health": "normal", "client_key": key}
    assert worker.post(f"/epidemic/screening/tasks/{task.pk}/", body).status_code == 302
    assert worker.post(f"/epidemic/screening/tasks/{task.pk}/", body).status_code == 302
    assert ScreeningRecord.objects.count() == 1 and TALLY.matches_recount()
    # A fresh form brings a fresh key.
    other = worker.get(f"/epidemic/screening/people/{epi.spouse.pk}/").content.decode()
    assert key not in other and 'name="client_key"' in other
