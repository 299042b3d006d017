"""A campaign's list imported from a file of ID numbers: matched through the registry's
keyed hashes, every bad row reported with its row number and reason, GBK CSV and XLSX
alike; the list becomes the tasks when the campaign starts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from gridgov.core.errors import Conflict, InvalidInput
from gridgov.epidemic import rules
from gridgov.epidemic.actions import screening as actions
from gridgov.epidemic.models import ScreeningCampaign, ScreeningTask
from gridgov.epidemic.tallies.screening import TALLY
from gridgov.epidemic.tests.fixtures import SPOUSE_ID, Epi, epidemic_state
from gridgov.registry import actions as registry_actions
from gridgov.registry.tests.core_fixtures import make_id_number
from gridgov.registry.tests.web_fixtures import ELDER_ID, ID_NUMBER, SIBLING_ID

pytestmark = pytest.mark.django_db
TOWNSHIP = "411302001"
NOBODY_ID = make_id_number("411302", dt.date(1977, 7, 7), 777)
BAD_CHECK = ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1")


def draft(epi: Epi) -> ScreeningCampaign:
    return actions.create_campaign(
        actor=epi.r.township, name="卫健委推送名单", region_code=TOWNSHIP, target="imported"
    )


ROWS = [
    ("王建国", ID_NUMBER),  # row 2: good
    ("李四", ELDER_ID),  # 3: someone else's number
    ("孙邻居", SIBLING_ID),  # 4: registered in the sibling township
    ("某人", ""),  # 5: no number
    ("错号", BAD_CHECK),  # 6: wrong check character
    ("王建国", ID_NUMBER.lower()),  # 7: the same number again
    ("无名", NOBODY_ID),  # 8: valid, registered nowhere
    ("张丽", SPOUSE_ID),  # 9: good
]


def csv_file(tmp_path: Path, rows: list[tuple[str, str]], encoding: str = "gbk") -> Path:
    path = tmp_path / "名单.csv"
    lines = ["姓名,公民身份号码", *(f"{name},{number}" for name, number in rows)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def load(epi: Epi, campaign: ScreeningCampaign, path: Path, **options: Any) -> Any:
    campaign.refresh_from_db()
    return actions.import_campaign_list(
        campaign.pk, path, actor=epi.r.township, expected_version=campaign.version, **options
    )


def test_a_gbk_list_reports_each_bad_row_and_adds_the_good_ones(epi: Epi, tmp_path: Path) -> None:
    campaign = draft(epi)
    report = load(epi, campaign, csv_file(tmp_path, ROWS))
    assert report.encoding == "gb18030"
    assert (report.read, report.created, report.rejected, report.skipped) == (8, 2, 6, 0)
    reasons = {e.row: e.reason for e in report.errors}
    assert reasons == {
        3: "the name does not match the registry's",
        4: "not registered as living in the campaign's area",
        5: "the ID number is empty",
        6: "the check character of the ID number is wrong",
        7: "repeats row 2",
        8: "not registered as living in the campaign's area",
    }
    listed = set(
        ScreeningTask.objects.filter(campaign=campaign).values_list("person_id", flat=True)
    )
    assert listed == {epi.r.person.pk, epi.spouse.pk}
    # Again: the people already listed are skipped, not doubled.
    again = load(epi, campaign, csv_file(tmp_path, ROWS[:1], encoding="utf-8-sig"))
    assert (again.created, again.skipped, again.encoding) == (0, 1, "utf-8")
    assert TALLY.matches_recount() and not TALLY.kept()[1]  # a draft's list counts nothing


def test_all_or_nothing_writes_nothing_when_a_row_is_bad(epi: Epi, tmp_path: Path) -> None:
    campaign = draft(epi)
    report = load(epi, campaign, csv_file(tmp_path, ROWS), policy="all_or_nothing")
    assert report.rejected == 6 and not report.written
    assert not ScreeningTask.objects.filter(campaign=campaign).exists()


def test_an_xlsx_list_becomes_the_tasks_of_those_still_living_there(
    epi: Epi, tmp_path: Path
) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["序号", "身份证号"])
    sheet.append([1, ELDER_ID])
    sheet.append([2, SPOUSE_ID])
    path = tmp_path / "名单.xlsx"
    book.save(path)
    campaign = draft(epi)
    report = load(epi, campaign, path)
    assert (report.created, report.ignored_columns) == (2, ["序号"])
    registry_actions.record_status(
        epi.spouse.pk, actor=epi.r.worker, status="moved_out", date=rules.today()
    )
    campaign.refresh_from_db()
    actions.start_campaign(campaign.pk, actor=epi.r.township, expected_version=campaign.version)
    tasks = ScreeningTask.objects.filter(campaign=campaign)
    assert [(t.person_id, t.assignee_id) for t in tasks] == [(epi.r.elder.pk, epi.r.worker.pk)]
    assert TALLY.matches_recount()


def test_what_a_list_import_refuses(epi: Epi, tmp_path: Path) -> None:
    no_column = tmp_path / "x.csv"
    no_column.write_text("姓名,电话\n王建国,13812345678\n", encoding="utf-8")
    campaign = draft(epi)
    everyone = actions.create_campaign(actor=epi.r.township, name="全员", target="everyone")
    before = epidemic_state()
    with pytest.raises(InvalidInput) as refused:
        load(epi, campaign, no_column)
    assert set(refused.value.details["fields"]) == {"file"}
    with pytest.raises(InvalidInput) as refused:
        load(epi, everyone, csv_file(tmp_path, ROWS))
    assert set(refused.value.details["fields"]) == {"target"}
    assert epidemic_state() == before
    load(epi, campaign, csv_file(tmp_path, ROWS[:1]))
    campaign.refresh_from_db()
    actions.start_campaign(campaign.pk, actor=epi.r.township, expected_version=campaign.version)
    with pytest.raises(Conflict):  # the list of a campaign under way is fixed
        load(epi, campaign, csv_file(tmp_path, ROWS))
