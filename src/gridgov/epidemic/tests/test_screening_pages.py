"""The screening pages through HTTP: a township runs a campaign from the form to its close,
the grid worker walks the list on a phone and records visits, the progress page drills
down to grids, records are filtered and exported masked; the API answers the same."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from gridgov.audit.models import AuditEvent
from gridgov.epidemic import rules
from gridgov.epidemic.actions import screening as actions
from gridgov.epidemic.models import ScreeningCampaign, ScreeningRecord, ScreeningTask, TaskStatus
from gridgov.epidemic.tallies.screening import TALLY
from gridgov.epidemic.tests.fixtures import SPOUSE_ID, Epi
from gridgov.registry.tests.core_fixtures import COMMUNITY, GRID
from gridgov.registry.tests.web_fixtures import ID_NUMBER, PHONE

pytestmark = pytest.mark.django_db
TOWNSHIP = "411302001"
API = "/api/v1/epidemic/screening"


def client_for(user: Any) -> Client:
    """A client of ``user`` reading the pages in English."""
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def text(response: Any) -> str:
    return response.content.decode()


def test_a_campaign_from_the_form_to_its_close(epi: Epi) -> None:
    township = client_for(epi.r.township)
    form = township.get("/epidemic/screening/campaigns/new/")
    assert form.status_code == 200 and 'name="target"' in text(form)
    refused = township.post(
        "/epidemic/screening/campaigns/new/", {"name": "护理对象", "target": "care_group"}
    )
    assert refused.status_code == 422 and "required for a care group" in text(refused)
    created = township.post(
        "/epidemic/screening/campaigns/new/",
        {"name": "东关街道全员排查", "target": "everyone", "due_on": rules.today().isoformat()},
    )
    campaign = ScreeningCampaign.objects.get(name="东关街道全员排查")
    assert created.status_code == 302 and campaign.region_code == TOWNSHIP
    draft = township.get(f"/epidemic/screening/campaigns/{campaign.pk}/")
    assert "Starting now gives 5 people to screen." in text(draft)
    url = f"/epidemic/screening/campaigns/{campaign.pk}"
    stale = township.post(f"{url}/start/", {"version": "0"})
    assert stale.status_code == 409 and not ScreeningTask.objects.exists()
    assert township.post(f"{url}/start/", {"version": "1"}).status_code == 302
    page = township.get(f"{url}/")
    body = text(page)
    assert page.status_code == 200 and "河街社区" in body and 'data-chart="trend"' in body
    found = re.search(r'id="ep-scr-charts"[^>]*>(.*?)</script>', body, re.S)
    assert found is not None
    charts = json.loads(found[1])
    assert charts["tasks"] == 5 and {c["code"] for c in charts["children"]} >= {COMMUNITY}
    grids = township.get(f"{url}/?code={COMMUNITY}")
    assert GRID in text(grids) and grids.status_code == 200
    assert township.get(f"{url}/?code=411302002").status_code == 404
    assert township.post(f"{url}/close/", {"version": "2"}).status_code == 302
    closed = ScreeningCampaign.objects.get(pk=campaign.pk)
    assert closed.status == "closed"
    assert set(ScreeningTask.objects.values_list("status", flat=True)) == {TaskStatus.CANCELLED}
    assert TALLY.matches_recount()


def test_the_grid_worker_walks_the_list_and_records_visits(epi: Epi) -> None:
    campaign = actions.create_campaign(
        actor=epi.r.township, name="全员", region_code=TOWNSHIP, target="everyone"
    )
    actions.start_campaign(campaign.pk, actor=epi.r.township)
    worker = client_for(epi.r.worker)
    assert worker.get("/epidemic/screening/")["Location"] == "/epidemic/screening/tasks/"
    listing = worker.get("/epidemic/screening/tasks/")
    body = text(listing)
    assert 'class="gg-tabs"' in body and 'aria-current="page">Door to door<' in body
    # His own grid's people (and nobody else's), in walking order: the building first.
    assert body.index("王建国") < body.index("李秀英") and "周隔壁" not in body
    assert "赵流动" not in body  # GRID_2 has no worker: the community's staff see it
    task = ScreeningTask.objects.get(person=epi.r.person)
    form = worker.get(f"/epidemic/screening/tasks/{task.pk}/")
    assert ID_NUMBER not in text(form) and PHONE not in text(form)
    assert epi.r.person.id_number_masked in text(form)
    saved = worker.post(
        f"/epidemic/screening/tasks/{task.pk}/",
        {
            "version": "1",
            "health": "normal",
            "temperature": "36.5",
            "measures": ["none"],
            "unclear_points": ["family"],
        },
    )
    assert saved.status_code == 302 and saved["Location"].endswith(f"#task-{task.pk}")
    record = ScreeningRecord.objects.get()
    assert record.unclear_points == ["family"] and record.screened_by == epi.r.worker
    again = worker.post(f"/epidemic/screening/tasks/{task.pk}/", {"version": "1"})
    assert again.status_code == 409  # the form was older than the first visit
    elder = ScreeningTask.objects.get(person=epi.r.elder)
    away = worker.post(
        f"/epidemic/screening/tasks/{elder.pk}/unreachable/", {"version": "1", "note": "无人"}
    )
    assert away.status_code == 302
    assert ScreeningTask.objects.get(pk=elder.pk).status == TaskStatus.UNREACHABLE
    community = client_for(epi.r.community)
    staff_list = community.get(f"/epidemic/screening/tasks/?grid={COMMUNITY}&status=all")
    assert "赵流动" in text(staff_list) and "no grid worker" in text(staff_list)
    assert TALLY.matches_recount()


def test_a_screening_without_a_campaign_from_the_person(epi: Epi) -> None:
    worker = client_for(epi.r.worker)
    url = f"/epidemic/screening/people/{epi.spouse.pk}/"
    assert worker.get(url).status_code == 200
    bad = worker.post(url, {"temperature": "39.0", "health": "normal"})
    assert bad.status_code == 422 and not ScreeningRecord.objects.exists()
    assert worker.post(url, {"temperature": "39.0"}).status_code == 302
    assert ScreeningRecord.objects.get().health == "fever_or_cough"
    # The township reads it; screening is the grid's work.
    township = client_for(epi.r.township)
    assert township.get(url).status_code == 200
    assert township.post(url, {"health": "normal"}).status_code == 403


def test_records_are_filtered_and_exported_masked_and_audited(epi: Epi) -> None:
    for person, answers in (
        (epi.r.person, {"health": "normal", "measures": ["none"]}),
        (epi.spouse, {"health": "fever_or_cough", "temperature": "38.1"}),
    ):
        actions.record_screening(actor=epi.r.worker, person_id=person.pk, **answers)
    command = client_for(epi.command)
    listed = command.get("/epidemic/screening/records/?unclear=1")
    assert "张丽" in text(listed) and "王建国" not in text(listed)
    exported = command.get("/epidemic/screening/records/export/?health=fever_or_cough")
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][1] == "张丽"
    assert SPOUSE_ID not in str(rows) and rows[1][4] == epi.spouse.id_number_masked
    event = AuditEvent.objects.get(action="epidemic.screening.export")
    assert event.changes["rows"] == 1
    # The township reads records but may not export them.
    assert client_for(epi.r.township).get("/epidemic/screening/records/export/").status_code == 403


def test_the_api_runs_a_campaign(epi: Epi) -> None:
    township = client_for(epi.r.township)
    created = township.post(
        f"{API}/campaigns",
        {"name": "全员", "target": "everyone", "region_code": COMMUNITY},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    campaign = created.json()
    started = township.post(
        f"{API}/campaigns/{campaign['id']}/start", {"version": 1}, content_type="application/json"
    )
    assert started.status_code == 200 and started.json()["progress"]["tasks"] == 4
    worker = client_for(epi.r.worker)
    tasks = worker.get(f"{API}/tasks?mine=true").json()
    names = [item["person_name"] for item in tasks["items"]]
    assert sorted(names[:2]) == ["张丽", "王建国"] and names[2] == "李秀英"  # a household first
    first = next(item for item in tasks["items"] if item["person_name"] == "王建国")
    recorded = worker.post(
        f"{API}/tasks/{first['id']}/record",
        {"version": first["version"], "health": "normal", "measures": ["none"]},
        content_type="application/json",
    )
    assert recorded.status_code == 201 and recorded.json()["unclear_points"] == []
    retried = worker.post(
        f"{API}/tasks/{first['id']}/record",
        {"version": first["version"], "health": "normal"},
        content_type="application/json",
    )
    assert retried.status_code == 409 and ScreeningRecord.objects.count() == 1
    progress = township.get(f"{API}/campaigns/{campaign['id']}/progress").json()
    assert progress["node"]["done"] == 1
    assert {c["code"]: c["done"] for c in progress["children"]}[GRID] == 1
    assert progress["trend"][-1]["total"] == 1
    records = township.get(f"{API}/records?campaign_id={campaign['id']}").json()
    assert records["count"] == 1 and records["items"][0]["person_name"] == "王建国"
