"""The catalogue pages through the real URLs: who may open and post what (anonymous, a
citizen, roles without the capability, the sibling county's administrator, the county's
and the city's), refused posts change nothing, and lists cost a bounded number of queries.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from gridgov.accounts.models import User
from gridgov.audit.models import AuditEvent
from gridgov.cases.models import Responsibility
from gridgov.cases.tests.catalogue_fixtures import (
    CITY,
    COUNTY,
    GRID,
    SIBLING,
    SIBLING_GRID,
    Catalogue,
    cat,
    english,
    minor,
    state,
)
from gridgov.core.formats import XLSX_TYPE
from gridgov.registry.models import ImportJob

__all__ = ["cat", "english"]

pytestmark = pytest.mark.django_db


def client_for(user: User | None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def status(user: User | None, url: str) -> int:
    return client_for(user).get(url).status_code


@pytest.fixture
def rows(cat: Catalogue) -> dict[str, Responsibility]:
    return {
        "city": cat.rule("E0102", CITY, cat.city_dept),
        "county": cat.rule("E0102", COUNTY, cat.county_dept),
        "sibling": cat.rule("E0102", SIBLING, cat.sibling_dept),
    }


def test_anonymous_callers_are_sent_to_log_in(cat: Catalogue, rows: Any) -> None:
    cls = minor("C0102")
    for url in (
        "/cases/catalogue/",
        f"/cases/catalogue/{cls.pk}/",
        "/cases/responsibilities/",
        "/cases/responsibilities/match/",
        "/cases/responsibilities/import/",
    ):
        response = client_for(None).get(url)
        assert response.status_code == 302 and "login" in response["Location"], url


def test_class_pages(cat: Catalogue) -> None:
    cls = minor("C0102")
    pages = ("/cases/catalogue/", f"/cases/catalogue/{cls.pk}/")
    for url in pages:
        assert status(cat.citizen, url) == 403
        for user in (cat.worker, cat.handler, cat.command, cat.county_admin, cat.city_admin):
            assert status(user, url) == 200, (user, url)
    for url in ("/cases/catalogue/new/", f"/cases/catalogue/{cls.pk}/edit/"):
        for user in (cat.citizen, cat.worker, cat.command, cat.county_admin, cat.sibling_admin):
            assert status(user, url) == 403, (user, url)
        assert status(cat.city_admin, url) == 200
    assert status(cat.city_admin, "/cases/catalogue/99999999/") == 404
    assert status(cat.city_admin, f"/cases/catalogue/{10**20}/edit/") == 404


def test_the_class_list_shows_the_tree_with_limits_in_chinese(cat: Catalogue) -> None:
    client = client_for(cat.worker)
    client.cookies["django_language"] = "zh-hans"
    html = client.get("/cases/catalogue/?kind=component", HTTP_ACCEPT_LANGUAGE="zh-hans").content
    text = html.decode()
    assert "01 公用设施" not in text or "公用设施" in text
    assert "污水井盖" in text and "2 紧急小时" in text and "路灯" in text and "2 工作日" in text
    assert "暴露垃圾" not in text  # an event class, filtered out
    found = client_for(cat.worker).get("/cases/catalogue/?q=井盖").content.decode()
    assert "污水井盖" in found and "路灯" not in found


def test_a_city_administrator_edits_a_class_and_a_county_one_may_not(cat: Catalogue) -> None:
    cls = minor("C0102")
    form = {
        "name": "污水井盖",
        "filing_condition": cls.filing_condition,
        "closing_condition": "井盖复位",
        "limit_value": "3",
        "limit_unit": "urgent_hours",
        "default_department": str(cat.city_dept.pk),
        "attributes": "",
        "version": "1",
    }
    before = state()
    for user in (cat.county_admin, cat.worker):
        assert client_for(user).post(f"/cases/catalogue/{cls.pk}/edit/", form).status_code == 403
        deactivate = client_for(user).post(f"/cases/catalogue/{cls.pk}/deactivate/", {"version": 1})
        assert deactivate.status_code == 403
    assert state() == before
    response = client_for(cat.city_admin).post(f"/cases/catalogue/{cls.pk}/edit/", form)
    assert response.status_code == 302
    cls.refresh_from_db()
    assert (cls.limit_value, cls.default_department, cls.attributes, cls.version) == (
        3,
        cat.city_dept,
        [],
        2,
    )
    # The same form again is stale: the page says so and nothing changes.
    before = state()
    stale = client_for(cat.city_admin).post(f"/cases/catalogue/{cls.pk}/edit/", form)
    assert stale.status_code == 409 and b"Someone else changed this" in stale.content
    assert state() == before


def test_a_bad_class_form_shows_the_error_on_its_field(cat: Catalogue) -> None:
    response = client_for(cat.city_admin).post(
        "/cases/catalogue/new/",
        {
            "kind": "event",
            "code": "0999",
            "name": "x",
            "limit_value": "2",
            "limit_unit": "urgent_hours",
        },
    )
    assert response.status_code == 422
    assert "there is no major class 09" in response.context["form"].errors["code"][0]
    created = client_for(cat.city_admin).post(
        "/cases/catalogue/new/",
        {
            "kind": "event",
            "code": "0610",
            "name": "高空抛物",
            "limit_value": "1",
            "limit_unit": "working_days",
        },
    )
    assert created.status_code == 302
    assert minor("E0610").name == "高空抛物"


def test_responsibility_list_is_scoped_with_the_rows_above(cat: Catalogue, rows: Any) -> None:
    for user in (cat.citizen, cat.worker, cat.handler):
        assert status(user, "/cases/responsibilities/") == 403, user
    for user, shown in (
        (cat.county_admin, {"city", "county"}),
        (cat.command, {"city", "county"}),
        (cat.sibling_admin, {"city", "sibling"}),
        (cat.city_admin, {"city", "county", "sibling"}),
    ):
        response = client_for(user).get("/cases/responsibilities/")
        listed = {item["row"].pk for item in response.context["items"]}
        assert listed == {rows[key].pk for key in shown}, user
    county_view = client_for(cat.county_admin).get("/cases/responsibilities/").context["items"]
    editable = {item["row"].region_code: item["can_edit"] for item in county_view}
    assert editable == {CITY: False, COUNTY: True}


def test_responsibility_filters(cat: Catalogue, rows: Any) -> None:
    cat.rule("C0101", COUNTY, cat.water)
    client = client_for(cat.city_admin)

    def listed(query: str) -> set[int]:
        response = client.get(f"/cases/responsibilities/?{query}")
        assert response.status_code == 200
        return {item["row"].pk for item in response.context["items"]}

    garbage = minor("E0102").pk
    assert listed(f"case_class={garbage}&region_code={SIBLING}") == {
        rows["city"].pk,
        rows["sibling"].pk,
    }
    assert listed(f"department={cat.county_dept.pk}") == {rows["county"].pk}
    assert len(listed("kind=component")) == 1
    assert listed("q=卧龙") == {rows["sibling"].pk}


def test_editing_and_removing_rows_by_area(cat: Catalogue, rows: Any) -> None:
    county, city = rows["county"], rows["city"]
    assert status(cat.sibling_admin, f"/cases/responsibilities/{county.pk}/edit/") == 404
    assert status(cat.county_admin, f"/cases/responsibilities/{city.pk}/edit/") == 403
    assert status(cat.command, f"/cases/responsibilities/{county.pk}/edit/") == 403
    assert status(cat.county_admin, f"/cases/responsibilities/{county.pk}/edit/") == 200
    before = state()
    refused = [
        (cat.sibling_admin, county, 404),
        (cat.county_admin, city, 403),
        (cat.command, county, 403),
        (cat.worker, county, 403),
    ]
    for user, row, expected in refused:
        url = f"/cases/responsibilities/{row.pk}/remove/"
        assert client_for(user).post(url, {"version": 1}).status_code == expected, user
        edit = client_for(user).post(
            f"/cases/responsibilities/{row.pk}/edit/",
            {"department": cat.water.pk, "note": "x", "version": 1},
        )
        assert edit.status_code == expected, user
    assert state() == before
    response = client_for(cat.county_admin).post(
        f"/cases/responsibilities/{county.pk}/edit/",
        {"department": cat.water.pk, "note": "改由供水", "version": 1},
    )
    assert response.status_code == 302
    response = client_for(cat.county_admin).post(
        f"/cases/responsibilities/{county.pk}/remove/", {"version": 2}
    )
    assert response.status_code == 302
    county.refresh_from_db()
    assert (county.department, county.is_active, county.version) == (cat.water, False, 3)


def test_adding_a_row_outside_ones_area_is_refused_on_the_field(cat: Catalogue) -> None:
    form = {
        "case_class": minor("E0102").pk,
        "region_code": COUNTY,
        "department": cat.county_dept.pk,
        "note": "",
    }
    before = state()
    # A city department the sibling county may name, for a place outside its area.
    outside = {**form, "department": cat.city_dept.pk}
    response = client_for(cat.sibling_admin).post("/cases/responsibilities/new/", outside)
    assert response.status_code == 422
    assert response.context["form"].errors["region_code"] == [
        "no territory with this code in your area"
    ]
    assert client_for(cat.command).post("/cases/responsibilities/new/", form).status_code == 403
    assert state() == before
    assert (
        client_for(cat.county_admin).post("/cases/responsibilities/new/", form).status_code == 302
    )
    assert Responsibility.objects.get().region_code == COUNTY


def test_the_tester_answers_with_the_rule_or_the_unassigned_queue(
    cat: Catalogue, rows: Any
) -> None:
    garbage, dispute = minor("E0102"), minor("E0601")
    url = "/cases/responsibilities/match/"
    response = client_for(cat.county_admin).get(url, {"case_class": garbage.pk, "grid_code": GRID})
    assert response.status_code == 200
    assert response.context["match"].rule == rows["county"]
    assert "宛城区城市管理局" in response.content.decode()
    response = client_for(cat.command).get(url, {"case_class": dispute.pk, "grid_code": GRID})
    assert response.context["match"].via == "none"
    assert "command centre" in response.content.decode()
    # Another county's grid does not exist for this administrator.
    assert (
        status(cat.county_admin, f"{url}?case_class={garbage.pk}&grid_code={SIBLING_GRID}") == 404
    )
    assert status(cat.worker, url) == 403
    assert status(cat.county_admin, url) == 200  # the empty form


def test_import_and_export_pages(cat: Catalogue, rows: Any, settings: Any, tmp_path: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.GRIDGOV_HOME = tmp_path  # where uploads and reports are kept
    assert status(cat.command, "/cases/responsibilities/import/") == 403
    assert status(cat.county_admin, "/cases/responsibilities/import/") == 200
    export = client_for(cat.command).get("/cases/responsibilities/export/?format=csv")
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    text = export.content.decode("utf-8-sig")
    assert "宛城区城市管理局" in text and "卧龙区城市管理局" not in text
    assert status(cat.worker, "/cases/responsibilities/export/") == 403

    upload = SimpleUploadedFile(
        "list.csv",
        f"类别编码,区域代码,责任部门编码\nE0103,{COUNTY},wancheng-urban\nE0103,{SIBLING},x\n".encode(),
    )
    before = state()
    refused = client_for(cat.command).post(
        "/cases/responsibilities/import/", {"file": upload, "policy": "skip_invalid"}
    )
    assert refused.status_code == 403 and state() == before
    assert not ImportJob.objects.exists()  # nothing stored either
    upload.seek(0)
    response = client_for(cat.county_admin).post(
        "/cases/responsibilities/import/", {"file": upload, "policy": "all_or_nothing"}
    )
    job = ImportJob.objects.get(kind="responsibilities")
    page = f"/cases/responsibilities/import/{job.pk}/"
    assert response.status_code == 302 and response["Location"] == page
    assert state() == before  # all or nothing: the wrong row stopped the good one

    shown = client_for(cat.county_admin).get(page)
    assert shown.status_code == 200
    assert (
        shown.context["job"]["report"]["rejected"],
        shown.context["job"]["report"]["written"],
    ) == (
        1,
        False,
    )
    html = shown.content.decode()
    assert "no territory with this code in your area" in html
    assert f"{page}report.xlsx" in html  # the report downloads, as the registry's does

    report = client_for(cat.county_admin).get(f"{page}report.xlsx")
    assert report.status_code == 200 and report["Content-Type"] == XLSX_TYPE
    book = load_workbook(io.BytesIO(report.content), read_only=True)
    rejected = list(book.worksheets[1].iter_rows(values_only=True))
    assert rejected[1][:2] == (3, "区域代码")
    # The earlier imports are listed; another administrator's job and report are not found.
    assert (
        "list.csv"
        in client_for(cat.county_admin).get("/cases/responsibilities/import/").content.decode()
    )
    assert status(cat.sibling_admin, page) == 404
    assert status(cat.sibling_admin, f"{page}report.xlsx") == 404
    assert status(cat.command, page) == 404


def test_an_import_applies_the_good_rows_when_asked(
    cat: Catalogue, rows: Any, settings: Any, tmp_path: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.GRIDGOV_HOME = tmp_path
    upload = SimpleUploadedFile(
        "list.csv",
        f"类别编码,区域代码,责任部门编码\nE0103,{COUNTY},wancheng-urban\nE0103,{SIBLING},x\n".encode(),
    )
    client = client_for(cat.county_admin)
    response = client.post(
        "/cases/responsibilities/import/", {"file": upload, "policy": "skip_invalid"}, follow=True
    )
    assert response.status_code == 200
    assert response.context["job"]["report"]["created"] == 1
    assert Responsibility.objects.filter(case_class=minor("E0103"), region_code=COUNTY).exists()
    assert AuditEvent.objects.filter(action="cases.responsibility.import").count() == 1


def test_the_responsibility_filters_fold_until_used(cat: Catalogue, rows: Any) -> None:
    client = client_for(cat.county_admin)
    plain = client.get("/cases/responsibilities/").content.decode()
    before, folded = plain.split('<details class="gg-filters__more">')
    assert 'name="q"' in before and 'name="department"' in folded  # search in view
    used = client.get(f"/cases/responsibilities/?department={cat.county_dept.pk}")
    assert '<details class="gg-filters__more" open>' in used.content.decode()
    assert [i["row"] for i in used.context["items"]] == [rows["county"]]


def test_list_pages_cost_a_bounded_number_of_queries(
    cat: Catalogue, django_assert_max_num_queries: Any
) -> None:
    for code in ("0101", "0102", "0103", "0104", "0105", "0106", "0107", "0108"):
        cat.rule(f"E{code}", CITY, cat.city_dept)
        cat.rule(f"E{code}", COUNTY, cat.county_dept)
        cat.rule(f"C{code}", COUNTY, cat.water)
    client = client_for(cat.county_admin)
    client.get("/cases/catalogue/")  # session and user loaded once
    with django_assert_max_num_queries(12):
        response = client.get("/cases/catalogue/")
    assert len(response.context["page"].items) == 100
    with django_assert_max_num_queries(14):
        response = client.get("/cases/responsibilities/")
    assert len(response.context["items"]) == 24
