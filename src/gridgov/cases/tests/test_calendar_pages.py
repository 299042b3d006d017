"""The working calendar's page and endpoints: who may read (everyone who works with
cases), who may change (city administrators only), what the page shows, and that a
refused call changes nothing.

Expected answers: anonymous → the login page (pages) or 401 (API); a citizen (no case
work) → 403; a grid worker or a county administrator → reads 200, changes 403; the city
administrator → 200 / 302.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from gridgov.accounts.models import User
from gridgov.audit.models import AuditEvent
from gridgov.cases.actions import calendar as actions
from gridgov.cases.models import CalendarDay, WorkSchedule

NEW_YEAR = "2027-01-01"


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def people(territory: Any, make_user: Callable[..., User]) -> dict[str, User | None]:
    return {
        "anonymous": None,
        "citizen": make_user("citizen", "411302001001", username="citizen"),
        "worker": make_user("grid_worker", "411302001001", username="worker"),
        "county_admin": make_user("admin", "411302", username="county-admin"),
        "admin": make_user("admin", "4113", username="city-admin"),
    }


@pytest.fixture
def table_day(people: dict[str, User | None]) -> CalendarDay:
    return actions.set_calendar_day(
        NEW_YEAR, actor=people["admin"], is_workday=False, name="元旦", version=0
    )


def client_for(user: User | None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def state() -> tuple[Any, ...]:
    return (
        list(CalendarDay.objects.values_list("date", "is_workday", "name", "version")),
        list(WorkSchedule.objects.values_list("morning_start", "version")),
        AuditEvent.objects.filter(action__startswith="cases.calendar.").count(),
    )


# --- the permission matrix ----------------------------------------------------------------

READ_PAGE = {"anonymous": 302, "citizen": 403, "worker": 200, "county_admin": 200, "admin": 200}
CHANGE_PAGE = {"anonymous": 302, "citizen": 403, "worker": 403, "county_admin": 403}
READ_API = {"anonymous": 401, "citizen": 403, "worker": 200, "county_admin": 200, "admin": 200}
CHANGE_API = {"anonymous": 401, "citizen": 403, "worker": 403, "county_admin": 403}

PAGE_READS = [
    "/cases/calendar/",
    "/cases/calendar/2026/",
    "/cases/calendar/2027/?date=2027-01-01",
    "/cases/calendar/2026/?start=2026-09-30T10:00&amount=3&unit=working_days",
]
API_READS = [
    "/api/v1/cases/calendar/2026",
    "/api/v1/cases/calendar/hours",
    "/api/v1/cases/calendar/days?year=2027",
    "/api/v1/cases/calendar/deadline?start=2026-09-30T10:00&amount=3&unit=working_days",
]


def page_changes() -> list[tuple[str, dict[str, Any]]]:
    return [
        (
            "/cases/calendar/hours/",
            {
                "morning_start": "09:00",
                "morning_end": "12:00",
                "afternoon_start": "14:00",
                "afternoon_end": "18:00",
                "version": "1",
            },
        ),
        ("/cases/calendar/days/", {"date": "2027-02-06", "is_workday": "0", "version": "0"}),
        (f"/cases/calendar/days/{NEW_YEAR}/remove/", {"version": "1"}),
        (
            "/cases/calendar/import/",
            {"file": io.BytesIO(b"2027-02-07,0,\xe6\x98\xa5\xe8\x8a\x82\n")},
        ),
    ]


def api_changes(client: Client) -> list[Any]:
    hours = {
        "morning_start": "09:00",
        "morning_end": "12:00",
        "afternoon_start": "14:00",
        "afternoon_end": "18:00",
    }
    day = {"date": "2027-02-06", "is_workday": False, "version": 0}
    return [
        lambda: client.put(
            "/api/v1/cases/calendar/hours", json.dumps(hours), content_type="application/json"
        ),
        lambda: client.post(
            "/api/v1/cases/calendar/days", json.dumps(day), content_type="application/json"
        ),
        lambda: client.delete(f"/api/v1/cases/calendar/days/{NEW_YEAR}?version=1"),
        lambda: client.post(
            "/api/v1/cases/calendar/days/import",
            {"file": io.BytesIO(b"2027-02-07,0,x\n")},
        ),
    ]


@pytest.mark.parametrize("who", list(READ_PAGE))
def test_who_reads_the_page(who: str, people: dict[str, User | None], table_day: Any) -> None:
    client = client_for(people[who])
    for url in PAGE_READS:
        response = client.get(url)
        expected = READ_PAGE[who]
        if url == "/cases/calendar/" and expected == 200:
            expected = 302  # to this year's page
        assert response.status_code == expected, (who, url)
        if expected == 302 and who == "anonymous":
            assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("who", list(CHANGE_PAGE))
def test_who_may_not_change_through_pages(
    who: str, people: dict[str, User | None], table_day: Any
) -> None:
    client = client_for(people[who])
    before = state()
    for url, data in page_changes():
        response = client.post(url, data)
        assert response.status_code == CHANGE_PAGE[who], (who, url)
    assert state() == before


@pytest.mark.parametrize("who", list(READ_API))
def test_who_reads_the_api(who: str, people: dict[str, User | None], table_day: Any) -> None:
    client = client_for(people[who])
    for url in API_READS:
        response = client.get(url)
        assert response.status_code == READ_API[who], (who, url)
        if response.status_code != 200:
            assert set(response.json()) == {"code", "message", "details"}


@pytest.mark.parametrize("who", list(CHANGE_API))
def test_who_may_not_change_through_the_api(
    who: str, people: dict[str, User | None], table_day: Any
) -> None:
    client = client_for(people[who])
    before = state()
    for call in api_changes(client):
        response = call()
        assert response.status_code == CHANGE_API[who], (who, response.content)
    assert state() == before


def test_the_city_administrator_changes_through_pages(
    people: dict[str, User | None], table_day: Any
) -> None:
    client = client_for(people["admin"])
    for url, data in page_changes():
        response = client.post(url, {**data, "year": "2027"})
        assert response.status_code == 302, (url, response.content[:2000])
        assert response["Location"].startswith("/cases/calendar/20")
    assert not CalendarDay.objects.filter(date=NEW_YEAR).exists()
    assert set(CalendarDay.objects.values_list("date", flat=True)) == {
        dt.date(2027, 2, 6),
        dt.date(2027, 2, 7),
    }
    assert WorkSchedule.objects.get().afternoon_end == dt.time(18, 0)
    assert AuditEvent.objects.filter(action__startswith="cases.calendar.").count() == 5


def test_the_city_administrator_changes_through_the_api(
    people: dict[str, User | None], table_day: Any
) -> None:
    client = client_for(people["admin"])
    answers = [call() for call in api_changes(client)]
    assert [a.status_code for a in answers] == [200, 200, 204, 200]
    assert answers[0].json()["day_hours"] == 7.0  # 09:00–12:00 and 14:00–18:00
    assert answers[1].json()["version"] == 1
    assert answers[3].json()["created"] == 1
    assert set(CalendarDay.objects.values_list("date", flat=True)) == {
        dt.date(2027, 2, 6),
        dt.date(2027, 2, 7),
    }


# --- what the page says -------------------------------------------------------------------


def test_the_year_page_marks_holidays_adjusted_days_and_the_table(
    people: dict[str, User | None], table_day: Any
) -> None:
    page = client_for(people["worker"]).get("/cases/calendar/2026/").content.decode()
    assert "gg-cal-day--holiday" in page and "gg-cal-day--adjusted" in page
    assert "Spring Festival" in page and "National Day" in page
    assert "Holidays unknown" not in page
    # A reader sees no forms that change anything.
    assert 'action="/cases/calendar/days/"' not in page
    assert 'action="/cases/calendar/hours/"' not in page
    admin_page = client_for(people["admin"]).get("/cases/calendar/2027/").content.decode()
    assert 'action="/cases/calendar/days/"' in admin_page
    assert "gg-cal-day--table" in admin_page and "元旦" in admin_page
    # 2027 is known now (a table row), so no warning; 2028 is not.
    assert "Holidays unknown" not in admin_page
    page_2028 = client_for(people["admin"]).get("/cases/calendar/2028/").content.decode()
    assert "Holidays unknown" in page_2028 and "No holidays are known for 2028" in page_2028


def test_the_calculator_answers_on_the_page(people: dict[str, User | None]) -> None:
    url = "/cases/calendar/2026/?start=2026-09-30T10:00&amount=3&unit=working_days"
    page = client_for(people["worker"]).get(url).content.decode()
    assert "2026-10-10 10:00" in page  # 1–7 October off, Saturday 10 October worked
    url = "/cases/calendar/2026/?start=2026-12-31T10:00&amount=2&unit=working_days"
    page = client_for(people["worker"]).get(url).content.decode()
    assert "2027-01-04 10:00" in page and "No holidays are known for 2027" in page
    bad = client_for(people["worker"]).get("/cases/calendar/2026/?start=x&amount=-1&unit=weeks")
    assert bad.status_code == 200 and "gg-field--error" in bad.content.decode()


def test_the_day_form_is_prefilled_from_the_table(
    people: dict[str, User | None], table_day: Any
) -> None:
    page = client_for(people["admin"]).get("/cases/calendar/2027/?date=2027-01-01")
    form = page.context["day_form"]
    assert form.initial["version"] == 1 and form.initial["name"] == "元旦"
    page = client_for(people["admin"]).get("/cases/calendar/2026/?date=2026-02-14")
    assert page.context["day_form"].initial == {
        "date": dt.date(2026, 2, 14),
        "is_workday": "0",  # an adjusted working Saturday: the new row proposes a day off
        "version": 0,
    }


def test_refused_forms_answer_422_and_409_and_change_nothing(
    people: dict[str, User | None], table_day: Any
) -> None:
    client = client_for(people["admin"])
    before = state()
    bad_hours = {
        "morning_start": "09:00",
        "morning_end": "08:00",
        "afternoon_start": "14:00",
        "afternoon_end": "17:30",
    }
    response = client.post("/cases/calendar/hours/", bad_hours)
    assert response.status_code == 422
    assert "must be after the morning" in response.content.decode()
    stale = {"date": NEW_YEAR, "is_workday": "1", "version": "0"}
    response = client.post("/cases/calendar/days/", stale)
    assert response.status_code == 409
    assert "already in the holiday table" in response.content.decode()
    response = client.post(
        "/cases/calendar/import/", {"file": io.BytesIO(b"2027-02-30,0,\n2027-03-01,9,\n")}
    )
    assert response.status_code == 422
    text = response.content.decode()
    assert "Row 1, date" in text and "Row 2, is_workday" in text
    response = client.post(f"/cases/calendar/days/{NEW_YEAR}/remove/", {"version": "7"})
    assert response.status_code == 302  # back with the conflict as a message
    assert state() == before


def test_api_year_and_errors(people: dict[str, User | None], table_day: Any) -> None:
    client = client_for(people["worker"])
    year = client.get("/api/v1/cases/calendar/2025").json()
    assert year["warning"] is None and year["package_knows"] is True
    days = {d["date"]: d for d in year["days"]}
    assert len(days) == 365
    assert days["2025-10-08"]["kind"] == "holiday" and days["2025-10-08"]["source"] == "package"
    assert days["2025-09-28"]["kind"] == "adjusted" and days["2025-09-28"]["is_workday"]
    assert days["2025-10-01"]["name"] == "National Day"
    later = client.get("/api/v1/cases/calendar/2027").json()
    assert later["warning"] is None  # the table has a row in 2027
    first = next(d for d in later["days"] if d["date"] == NEW_YEAR)
    assert first["source"] == "table" and first["version"] == 1
    fallback = client.get("/api/v1/cases/calendar/2028").json()
    assert fallback["warning"] and fallback["days"][0]["source"] == "fallback"
    assert client.get("/api/v1/cases/calendar/1999").status_code == 422
    due = client.get(
        "/api/v1/cases/calendar/deadline?start=2026-09-30T17:00%2B08:00&amount=2&unit=working_hours"
    ).json()
    assert due["deadline"].startswith("2026-10-08T10:00")
    bad = client.get("/api/v1/cases/calendar/deadline?start=2026-09-30T17:00&amount=2&unit=weeks")
    assert bad.status_code == 422 and "unit" in bad.json()["details"]["fields"]


def test_api_conflicts(people: dict[str, User | None], table_day: Any) -> None:
    client = client_for(people["admin"])
    before = state()
    again = {"date": NEW_YEAR, "is_workday": True, "version": 0}
    response = client.post(
        "/api/v1/cases/calendar/days", json.dumps(again), content_type="application/json"
    )
    assert response.status_code == 409 and response.json()["code"] == "conflict"
    assert client.delete(f"/api/v1/cases/calendar/days/{NEW_YEAR}?version=5").status_code == 409
    assert client.delete("/api/v1/cases/calendar/days/2027-05-05").status_code == 404
    assert state() == before


# --- cost ---------------------------------------------------------------------------------


def test_the_year_page_and_lists_cost_a_fixed_number_of_queries(
    people: dict[str, User | None], django_assert_max_num_queries: Any
) -> None:
    admin = people["admin"]
    for month in range(1, 13):
        actions.set_calendar_day(dt.date(2027, month, 3), actor=admin, is_workday=False)
    client = client_for(admin)
    client.get("/cases/calendar/2027/")  # the session and the calendar warmed up
    with django_assert_max_num_queries(12):
        assert client.get("/cases/calendar/2027/?date=2027-03-03").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/cases/calendar/days?year=2027").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/cases/calendar/2027").status_code == 200


def test_a_request_reads_the_calendar_once(people: dict[str, User | None]) -> None:
    """The page, its calculator and its hours card share one reading of the calendar."""
    client = client_for(people["worker"])
    url = "/cases/calendar/2026/?start=2026-09-30T10:00&amount=3&unit=working_days"
    client.get(url)
    with CaptureQueriesContext(connection) as counted:
        assert client.get(url).status_code == 200
    readings = [q for q in counted.captured_queries if "cases_workschedule" in q["sql"]]
    assert len(readings) == 1


def test_the_navigation_offers_the_calendar_to_administrators(
    people: dict[str, User | None],
) -> None:
    admin_home = client_for(people["admin"]).get("/").content.decode()
    assert 'href="/cases/calendar/"' in admin_home
    worker_home = client_for(people["worker"]).get("/").content.decode()
    assert 'href="/cases/calendar/"' not in worker_home
