"""The evaluation pages and endpoints: who may see and change what, what they show, the
export, the region panel, and how many queries they cost."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from gridgov.accounts.models import Department, User
from gridgov.audit.models import AuditEvent
from gridgov.cases import evaluation
from gridgov.cases.models import EvaluationSettings

pytestmark = pytest.mark.django_db

GRID = "411302001001001"
SIBLING_GRID = "411302002001001"
PAGE = "/cases/evaluation/"
EXPORT = "/cases/evaluation/export.xlsx"
SETTINGS_PAGE = "/cases/evaluation/settings/"
API = "/api/v1/cases/evaluation"
API_SETTINGS = "/api/v1/cases/evaluation/settings"


@pytest.fixture
def people(territory: Any, make_user: Callable[..., User], department: Department) -> dict:
    """A user for each cell of the permission matrix."""
    return {
        "leader": make_user("leader", "4113", display_name="赵敏"),
        "supervision": make_user("supervision", "411302"),
        "other_supervision": make_user("supervision", "411303"),
        "worker": make_user("grid_worker", "411302001001"),
        "handler": make_user("department", department=department),
        "admin": make_user("admin", "4113"),
        "county_admin": make_user("admin", "411302"),
    }


@pytest.fixture
def history(people: dict, department: Department) -> None:
    """Today: 972 cases filed in a grid of 东关街道, 911 closed, 737 on time; a few
    steps by a supervisor and a dispatcher; one case in the sibling township."""
    today = timezone.localdate()
    counts = evaluation.Counts()
    counts.region(
        GRID,
        today,
        department.pk,
        filed=972,
        closed=911,
        closed_on_time=737,
        dispatched=972,
        disposed_on_time=800,
        reworked=30,
    )
    counts.region(GRID, today, 0, reported=980, valid=972, invalid=8, rated_satisfied=3)
    counts.region(SIBLING_GRID, today, department.pk, filed=1, dispatched=1)
    worker = people["worker"].pk
    counts.person(
        "s", worker, GRID, today, reported=10, valid=9, invalid=1, checks=4, checked_on_time=3
    )
    counts.person(
        "d",
        people["supervision"].pk,
        GRID,
        today,
        dispatches=20,
        dispatched_on_time=19,
        dispatch_returned=1,
    )
    evaluation.write_counts(counts)


def _as(client: Client, user: User | None) -> Client:
    if user is not None:
        client.force_login(user)
    return client


# --- the permission matrix ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "node", "status"),
    [
        (None, "411302", 302),  # anonymous: to the login page
        ("worker", "411302001001", 403),  # no evaluation.view: wrong role
        ("handler", "411302", 403),
        ("other_supervision", "411302", 404),  # another district: wrong scope
        ("supervision", "4113", 404),  # above the scope
        ("supervision", "411302001", 200),
        ("leader", "411302", 200),
        ("leader", "999999", 404),
    ],
)
def test_page_permissions(
    client: Client, people: dict, history: None, who: str | None, node: str, status: int
) -> None:
    response = _as(client, people.get(who or "")).get(PAGE, {"node": node})
    assert response.status_code == status
    export = _as(client, people.get(who or "")).get(EXPORT, {"node": node})
    assert export.status_code == status


@pytest.mark.parametrize(
    ("who", "node", "status"),
    [
        (None, "411302", 401),
        ("worker", "411302001001", 403),
        ("handler", "411302", 403),
        ("other_supervision", "411302", 404),
        ("supervision", "411302", 200),
        ("leader", "", 200),  # the caller's home node
    ],
)
def test_api_permissions(
    client: Client, people: dict, history: None, who: str | None, node: str, status: int
) -> None:
    response = _as(client, people.get(who or "")).get(API, {"node": node})
    assert response.status_code == status
    if status != 200:
        assert set(response.json()) == {"code", "message", "details"}


def test_the_page_shows_the_rates_rankings_and_charts(
    client: Client, people: dict, history: None, department: Department
) -> None:
    response = _as(client, people["leader"]).get(PAGE, {"node": "411302", "period": "this_month"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "93.72%" in page and "75.82%" in page
    assert department.name in page and "东关街道" in page and "新华街道" in page
    assert 'id="gg-eval-charts"' in page and "cases/evaluation.js" in page
    assert 'data-chart="trend"' in page and 'data-chart="regions"' in page
    # Drill down from an area's row; the node selector offers the city above.
    assert "node=411302001" in page and 'value="4113"' in page


def test_the_api_answers_everything_the_page_shows(
    client: Client, people: dict, history: None, department: Department
) -> None:
    body = _as(client, people["leader"]).get(API, {"node": "411302"}).json()
    assert body["node"] == {"code": "411302", "name": "宛城区", "level": 3}
    assert body["counts"]["filed"] == 973 and body["should_close"] == 973
    assert body["rates"]["closure_rate"] == pytest.approx(911 / 973)
    departments = body["departments"]
    assert [d["key"] for d in departments] == [str(department.pk)]
    assert departments[0]["rank"] == 1 and departments[0]["grade"] in "ABCDE"
    assert [r["key"] for r in body["regions"]] == ["411302001", "411302002"]
    assert body["regions"][0]["rates"]["closure_rate"] == pytest.approx(911 / 972)
    assert body["supervisors"]["count"] == 1
    supervisor = body["supervisors"]["items"][0]
    assert supervisor["key"] == str(people["worker"].pk)
    assert supervisor["rates"]["valid_report_rate"] == pytest.approx(0.9)
    assert body["dispatchers"][0]["rates"]["accurate_dispatch_rate"] == pytest.approx(0.95)
    assert body["trend_unit"] == "day" and body["trend"]


def test_a_custom_period(client: Client, people: dict, history: None) -> None:
    today = timezone.localdate()
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    body = (
        _as(client, people["leader"])
        .get(API, {"node": "4113", "period": "custom", "start": "2020-01-01", "end": yesterday})
        .json()
    )
    assert body["counts"]["filed"] == 0
    refused = client.get(API, {"node": "4113", "period": "custom", "start": "2026-02-01"})
    assert refused.status_code == 422 and "end" in refused.json()["details"]["fields"]
    page = client.get(PAGE, {"node": "4113", "period": "custom", "start": yesterday})
    assert page.status_code == 422 and "gg-field__error" in page.content.decode()


def test_the_export_is_the_pages_tables_with_chinese_headers(
    client: Client, people: dict, history: None
) -> None:
    response = _as(client, people["leader"]).get(EXPORT, {"node": "411302"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["概览", "区域", "部门", "监督员", "派遣员"]
    headers = [cell.value for cell in book["区域"][1]]
    assert headers[:3] == ["排名", "区域", "结案率 (%)"]
    rows = list(book["区域"].iter_rows(min_row=2, values_only=True))
    assert rows[0][1] == "东关街道" and rows[0][2] == 93.72


# --- settings -----------------------------------------------------------------------------

NEW_WEIGHTS = {
    "disposal_on_time_weight": 50,
    "closure_weight": 30,
    "no_rework_weight": 10,
    "satisfaction_weight": 10,
    "valid_report_weight": 40,
    "missed_report_weight": 20,
    "verify_on_time_weight": 20,
    "check_on_time_weight": 20,
    "dispatch_on_time_weight": 50,
    "dispatch_accurate_weight": 50,
    "grade_a": 90,
    "grade_b": 75,
    "grade_c": 60,
    "grade_d": 40,
    "exclude_postponed": False,
    "basic_satisfaction_weight": "0.60",
}


@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 401), ("worker", 403), ("supervision", 403), ("county_admin", 403), ("admin", 200)],
)
def test_who_may_change_the_settings(
    client: Client, people: dict, who: str | None, status: int
) -> None:
    response = _as(client, people.get(who or "")).put(
        API_SETTINGS, {**NEW_WEIGHTS, "version": 1}, content_type="application/json"
    )
    assert response.status_code == status
    changed = EvaluationSettings.objects.filter(satisfaction_weight=10).exists()
    assert changed == (status == 200)
    audited = AuditEvent.objects.filter(action="cases.evaluation_settings")
    assert audited.exists() == (status == 200)


def test_settings_through_the_api(client: Client, people: dict) -> None:
    admin = _as(client, people["admin"])
    read = admin.get(API_SETTINGS).json()
    assert read["disposal_on_time_weight"] == 60 and read["version"] == 1 and read["may_edit"]
    saved = admin.put(API_SETTINGS, {**NEW_WEIGHTS, "version": 1}, content_type="application/json")
    assert saved.json()["version"] == 2 and saved.json()["basic_satisfaction_weight"] == "0.60"
    stale = admin.put(
        API_SETTINGS,
        {**NEW_WEIGHTS, "closure_weight": 20, "no_rework_weight": 20, "version": 1},
        content_type="application/json",
    )
    assert stale.status_code == 409
    bad = admin.put(
        API_SETTINGS,
        {**NEW_WEIGHTS, "closure_weight": 35, "version": 2},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "closure_weight" in bad.json()["details"]["fields"]
    assert EvaluationSettings.objects.get().closure_weight == 30
    client.force_login(people["leader"])
    assert client.get(API_SETTINGS).json()["may_edit"] is False
    client.force_login(people["worker"])
    assert client.get(API_SETTINGS).status_code == 403


def test_settings_page(client: Client, people: dict) -> None:
    admin = _as(client, people["admin"])
    assert admin.get(SETTINGS_PAGE).status_code == 200
    form = {name: value for name, value in NEW_WEIGHTS.items() if name != "exclude_postponed"}
    saved = admin.post(SETTINGS_PAGE, {**form, "version": 1})
    assert saved.status_code == 302
    row = EvaluationSettings.objects.get()
    assert row.satisfaction_weight == 10 and row.exclude_postponed is False
    stale = admin.post(SETTINGS_PAGE, {**form, "version": 1})
    assert stale.status_code == 409
    wrong = admin.post(SETTINGS_PAGE, {**form, "closure_weight": 31, "version": 2})
    assert wrong.status_code == 422
    leader = _as(client, people["leader"])
    shown = leader.get(SETTINGS_PAGE)
    assert shown.status_code == 200 and "disabled" in shown.content.decode()
    assert leader.post(SETTINGS_PAGE, {**form, "version": 2}).status_code == 403
    assert EvaluationSettings.objects.get().version == 2
    assert _as(client, people["worker"]).get(SETTINGS_PAGE).status_code == 403


# --- the region panel and the query budget ------------------------------------------------


def test_region_panel(client: Client, people: dict, history: None) -> None:
    url = reverse("territory:region", args=["411302001"])
    page = _as(client, people["leader"]).get(url).content.decode()
    assert 'id="region-evaluation"' in page and "93.72%" in page
    page = (
        _as(client, people["worker"])
        .get(reverse("territory:region", args=["411302001001"]))
        .content.decode()
    )
    assert 'id="region-evaluation"' not in page


def test_the_page_costs_the_same_queries_for_more_people(
    client: Client,
    people: dict,
    history: None,
    make_user: Callable[..., User],
) -> None:
    _as(client, people["leader"])

    def cost(url: str) -> int:
        with CaptureQueriesContext(connection) as done:
            assert client.get(url, {"node": "4113"}).status_code == 200
        return len(done)

    before = {url: cost(url) for url in (PAGE, API)}
    # A fixed number: session and user, the node, settings, five grouped reads, names.
    assert before[PAGE] <= 22 and before[API] <= 18
    today = timezone.localdate()
    more = evaluation.Counts()
    city = people["leader"].role_assignments.get().region
    for i in range(30):
        worker = make_user("grid_worker", "411302001001")
        more.person("s", worker.pk, GRID, today, reported=1, valid=1)
        more.person("d", worker.pk, GRID, today, dispatches=1)
        department = Department.objects.create(code=f"d{i}", name=f"部门{i}", region=city)
        more.region(GRID, today, department.pk, filed=1)
    evaluation.write_counts(more)
    assert {url: cost(url) for url in (PAGE, API)} == before
