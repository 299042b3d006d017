"""The daily report pages: the worker's first look assembles the report (a reader's does
not), confirming from the phone page as a zero report or not, a stale page refused with
409 and the fresh state, the overview's grid lists and the CSV/XLSX export."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from gridgov.audit.models import AuditEvent
from gridgov.epidemic.actions import reports as actions
from gridgov.epidemic.models import GridDailyReport
from gridgov.epidemic.tests.fixtures import Epi
from gridgov.epidemic.tests.reports_fixtures import _fresh_trend, at, clock, declare, english, today
from gridgov.registry.tests.core_fixtures import COMMUNITY, GRID, GRID_2

__all__ = ["_fresh_trend", "clock"]

pytestmark = pytest.mark.django_db

PAGE = f"/epidemic/reports/grids/{GRID}/"
CONFIRM = f"/epidemic/reports/grids/{GRID}/confirm/"


@pytest.fixture
def morning(epi: Epi, clock: Any) -> Epi:
    clock(at(today(), 8, 0))
    return epi


def _post(client: Any, zero: bool, version: Any, note: str = "") -> Any:
    data = {"date": today().isoformat(), "zero": "1" if zero else "0", "note": note}
    return client.post(CONFIRM, data | {"version": str(version)})


def test_the_workers_first_look_assembles_the_report_a_readers_does_not(morning: Epi) -> None:
    township = english(morning.r.township).get(PAGE)
    assert township.status_code == 200 and "Confirm the" not in township.content.decode()
    assert not GridDailyReport.objects.exists()
    page = english(morning.r.worker).get(PAGE)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Confirm the zero report" in body and "Waiting for confirmation, due by 10:00" in body
    assert GridDailyReport.objects.filter(grid_code=GRID, date=today()).count() == 1
    assert AuditEvent.objects.filter(action="epidemic.report.assemble").count() == 1
    english(morning.r.worker).get(PAGE)  # a second look stores nothing new
    assert AuditEvent.objects.filter(action="epidemic.report.assemble").count() == 1


def test_confirming_a_zero_report_from_the_phone_page(morning: Epi) -> None:
    client = english(morning.r.worker)
    client.get(PAGE)
    answer = _post(client, True, 1, "全员正常")
    assert answer.status_code == 302 and answer["Location"].startswith(PAGE)
    report = GridDailyReport.objects.get(grid_code=GRID)
    assert (report.status, report.is_zero, report.note, report.late) == (
        "confirmed",
        True,
        "全员正常",
        False,
    )
    shown = client.get(answer["Location"]).content.decode()
    assert "Confirmed as a zero report" in shown and "Amend the report" in shown
    assert AuditEvent.objects.filter(action="epidemic.report.confirm").count() == 1


def test_a_page_gone_stale_is_refused_and_shows_the_day_as_it_is(morning: Epi) -> None:
    client = english(morning.r.worker)
    client.get(PAGE)
    declare(morning, morning.r.person, temperature="38.6")  # while the page was open
    refused = _post(client, True, 1)
    assert refused.status_code == 422
    body = refused.content.decode()
    assert "not a zero report" in body and "Confirm the report" in body
    assert "Confirm the zero report" not in body
    assert GridDailyReport.objects.get(grid_code=GRID).status == "pending"
    assert _post(client, False, 1, "已上报").status_code == 302
    # Someone else amended it meanwhile: the old page's version is refused.
    report = GridDailyReport.objects.get(grid_code=GRID)
    actions.confirm_report(
        GRID,
        today(),
        actor=morning.r.community,
        zero=False,
        note="社区已核实",
        expected_version=report.version,
    )
    stale = _post(client, False, report.version, "再次确认")
    assert stale.status_code == 409 and "社区已核实" in stale.content.decode()
    assert GridDailyReport.objects.get(grid_code=GRID).note == "社区已核实"


def test_the_overview_lists_a_communitys_grids_and_a_townships_missing_ones(
    morning: Epi, clock: Any
) -> None:
    actions.confirm_report(GRID_2, today(), actor=morning.r.worker, zero=True)
    clock(at(today(), 10, 30))
    staff = english(morning.r.township)
    community = staff.get(f"/epidemic/reports/overview/?code={COMMUNITY}").content.decode()
    assert community.count("/epidemic/reports/grids/4113020010010") == 4
    township = staff.get("/epidemic/reports/overview/").content.decode()
    assert "Grids missing their report" in township and "张网格" in township
    assert f"/epidemic/reports/grids/{GRID_2}/" not in township  # it reported
    assert "411302001002" in township  # the child rows link to the communities
    zero = staff.get("/epidemic/reports/overview/?code=411302001&status=zero").content.decode()
    assert f"/epidemic/reports/grids/{GRID_2}/" in zero and f"grids/{GRID}/" not in zero
    assert staff.get("/epidemic/reports/overview/?code=12345").status_code == 404


def test_the_export_has_one_row_per_grid_in_csv_and_xlsx(morning: Epi) -> None:
    actions.confirm_report(GRID, today(), actor=morning.r.worker, zero=True, note="正常")
    client = english(morning.r.community)
    url = f"/epidemic/reports/overview/export/?code={COMMUNITY}&date={today().isoformat()}"
    answer = client.get(url + "&format=csv")
    assert answer["Content-Disposition"].endswith(f'{today().isoformat()}.csv"')
    text = b"".join(answer.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["Grid code", "Grid", "Grid worker", "State"]
    assert [r[0] for r in rows[1:]] == [f"{COMMUNITY}{n:03d}" for n in range(1, 5)]
    assert rows[1][2:4] == ["张网格", "Zero report"] and rows[1][6] == "正常"
    assert rows[2][3] == "Waiting"
    book = load_workbook(io.BytesIO(client.get(url + "&format=xlsx").content), read_only=True)
    sheet = book.worksheets[0]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        r[0] for r in rows[1:]
    ]
    assert client.get(url + "&format=pdf").status_code == 400


def test_the_history_lists_the_grids_days(morning: Epi) -> None:
    from datetime import timedelta

    actions.confirm_report(GRID, today() - timedelta(days=2), actor=morning.r.worker, zero=True)
    actions.confirm_report(GRID, today(), actor=morning.r.worker, zero=True)
    client = english(morning.r.worker)
    page = client.get(f"/epidemic/reports/grids/{GRID}/history/").content.decode()
    assert page.count("?date=") == 2 and "Late" in page
    late = client.get(f"/epidemic/reports/grids/{GRID}/history/?status=late").content.decode()
    assert late.count("?date=") == 1
