"""Contact lists as files: the export for the health authority (masked unless revealed by
a user who may, contacts outside the area left out, audited before a row leaves) and the
import (CSV in UTF-8 or GBK, XLSX; every row's outcome; a second-degree row before its
first-degree row still linked), and the two commands (situations, export-contacts)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from gridgov.audit.models import AuditEvent
from gridgov.cli import main as gridgov
from gridgov.core.errors import InvalidInput, NotFound, PermissionDenied
from gridgov.epidemic import rules
from gridgov.epidemic.actions import contacts as actions
from gridgov.epidemic.actions import contacts_files as files
from gridgov.epidemic.models import CloseContact, CommunitySituation
from gridgov.epidemic.tallies.contacts import TALLY
from gridgov.epidemic.tests.fixtures import SPOUSE_ID, Epi, epidemic_state
from gridgov.registry.tests.core_fixtures import COMMUNITY
from gridgov.registry.tests.web_fixtures import ELDER_ID, ID_NUMBER, PHONE, SIBLING_ID

pytestmark = pytest.mark.django_db


def outbreak(epi: Epi) -> Any:
    case = actions.record_infection_case(
        actor=epi.county, person_id=epi.r.person.pk, kind="confirmed"
    )
    actions.link_close_contact(actor=epi.county, person_id=epi.spouse.pk, source_id=epi.r.person.pk)
    actions.link_close_contact(actor=epi.county, person_id=epi.r.elder.pk, source_id=epi.spouse.pk)
    actions.link_close_contact(
        actor=epi.county, person_id=epi.r.sibling_person.pk, source_id=epi.r.person.pk
    )
    return case


def rows_of(content: Any) -> list[list[str]]:
    data = content if isinstance(content, bytes) else b"".join(content)
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


# --- export -------------------------------------------------------------------------------


def test_the_export_is_masked_and_audited(epi: Epi) -> None:
    case = outbreak(epi)
    table = rows_of(files.export_contacts(epi.county, case_id=case.pk, format="csv"))
    header, *rows = table
    assert header[:5] == ["Degree", "Name", "Sex", "Birth year", "ID number"]
    assert [(r[0], r[1], r[8]) for r in rows] == [
        ("First degree", epi.spouse.name, epi.r.person.name),
        ("First degree", epi.r.sibling_person.name, epi.r.person.name),
        ("Second degree", epi.r.elder.name, epi.spouse.name),
    ]
    assert rows[0][4] == epi.spouse.id_number_masked and SPOUSE_ID not in str(table)
    event = AuditEvent.objects.get(action="epidemic.contact.export")
    assert event.changes == {
        "format": "csv",
        "reveal": False,
        "cases": 1,
        "rows": 3,
        "revealed": 0,
        "outside_area": 0,
    }


def test_revealing_needs_registry_reveal_and_leaves_out_other_areas(
    epi: Epi, make_user: Any
) -> None:
    case = outbreak(epi)
    before = epidemic_state()
    with pytest.raises(PermissionDenied):  # the command centre may not see full numbers
        files.export_contacts(epi.county, case_id=case.pk, format="csv", reveal=True)
    with pytest.raises(PermissionDenied):  # the community's staff exports nothing
        files.export_contacts(epi.r.community, case_id=case.pk, format="csv")
    with pytest.raises(NotFound):
        files.export_contacts(epi.other_county, case_id=case.pk, format="csv")
    with pytest.raises(InvalidInput):
        files.export_contacts(epi.county, case_id=case.pk, format="pdf")
    assert epidemic_state() == before
    both = make_user("command", "411302001", extra=[("community_staff", COMMUNITY)])
    rows = rows_of(files.export_contacts(both, case_id=case.pk, format="csv", reveal=True))[1:]
    assert [r[1] for r in rows] == [epi.spouse.name, epi.r.elder.name]  # not the sibling's
    assert rows[0][4] == SPOUSE_ID
    assert AuditEvent.objects.get(action="epidemic.contact.export").changes["outside_area"] == 1


def test_a_region_export_as_xlsx(epi: Epi) -> None:
    outbreak(epi)
    content = files.export_contacts(epi.command, code="411302001", format="xlsx")
    assert isinstance(content, bytes)
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == [epi.spouse.name, epi.r.sibling_person.name, epi.r.elder.name]
    assert files.export_filename(None, "411302001", "xlsx").startswith("contacts-411302001-")


def test_the_export_endpoints_send_files(epi: Epi) -> None:
    case = outbreak(epi)
    client = epi.client(epi.county)
    answer = client.get(f"/api/v1/epidemic/cases/{case.pk}/contacts/export", {"format": "csv"})
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    assert "attachment" in answer["Content-Disposition"]
    page = client.get(f"/epidemic/cases/{case.pk}/contacts/export/", {"format": "xlsx"})
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    assert AuditEvent.objects.filter(action="epidemic.contact.export").count() == 2


# --- import -------------------------------------------------------------------------------


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as out:
        csv.writer(out).writerows(rows)
    return path


def test_an_import_reports_every_row(epi: Epi, tmp_path: Path) -> None:
    actions.record_infection_case(actor=epi.county, person_id=epi.r.person.pk, kind="confirmed")
    path = write_csv(
        tmp_path / "名单.csv",
        [
            ["来源身份证号", "密接身份证号", "接触场所", "最后接触日期", "备注"],
            [SPOUSE_ID, ELDER_ID, "聚餐", "2020/2/3", "二级"],  # its source is linked below
            [ID_NUMBER, SPOUSE_ID, "同住", "", ""],
            [ID_NUMBER, SPOUSE_ID, "同住", "", ""],  # the same again: skipped
            [ID_NUMBER, "11010519491231002X", "", "", ""],  # valid, nobody registered
            [ID_NUMBER, "12345", "", "", ""],
            [ID_NUMBER, SIBLING_ID, "", "", ""],  # registered in another township
            [ID_NUMBER, ELDER_ID, "船上", "", ""],
            [ID_NUMBER, ELDER_ID, "", "明天", ""],
        ],
        encoding="gbk",
    )
    result = files.import_contacts(path, actor=epi.r.community)
    assert result.encoding == "gb18030"
    outcomes = [(r.row, r.outcome, r.degree) for r in result.rows]
    assert outcomes == [
        (2, "linked", 2),
        (3, "linked", 1),
        (4, "skipped", 0),
        (5, "rejected", 0),
        (6, "rejected", 0),
        (7, "rejected", 0),
        (8, "rejected", 0),
        (9, "rejected", 0),
    ]
    reasons = [r.reason for r in result.rows]
    assert "not registered in your area" in reasons[3] and "not valid" in reasons[4]
    assert "not registered in your area" in reasons[5]
    assert "unknown setting" in reasons[6] and "last contact day" in reasons[7]
    elder = CloseContact.objects.get(person=epi.r.elder)
    assert (elder.setting, str(elder.last_contact_date), elder.origin) == (
        "gathering",
        "2020-02-03",
        "import",
    )
    event = AuditEvent.objects.get(action="epidemic.contact.import")
    assert (event.changes["linked"], event.changes["rejected"]) == (2, 5)
    assert TALLY.matches_recount()


def test_an_xlsx_import_and_a_file_without_the_columns(epi: Epi, tmp_path: Path) -> None:
    actions.record_infection_case(actor=epi.county, person_id=epi.r.person.pk, kind="confirmed")
    book = Workbook()
    sheet = book.active
    sheet.append(["contact_id_number", "source_id_number", "setting"])
    sheet.append([SPOUSE_ID, ID_NUMBER, "household"])
    book.save(tmp_path / "list.xlsx")
    result = files.import_contacts(tmp_path / "list.xlsx", actor=epi.county)
    assert (result.linked, result.rejected) == (1, 0)
    before = epidemic_state()
    bad = write_csv(tmp_path / "bad.csv", [["姓名", "电话"], ["张三", PHONE]])
    with pytest.raises(InvalidInput) as caught:
        files.import_contacts(bad, actor=epi.county)
    assert "密接身份证号" in caught.value.details["fields"]["file"]
    with pytest.raises(PermissionDenied):
        files.import_contacts(bad, actor=epi.r.worker)
    assert epidemic_state() == before


def test_the_import_templates_read_back(epi: Epi, tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    path.write_bytes(files.template("xlsx"))
    assert files.import_contacts(path, actor=epi.county).rows == []
    assert files.template("csv").decode("utf-8-sig").startswith("密接身份证号,来源身份证号")


# --- commands -----------------------------------------------------------------------------


def test_the_situations_command(epi: Epi) -> None:
    outbreak(epi)
    CommunitySituation.objects.all().delete()
    assert gridgov(["--lang", "en", "epidemic", "situations"]) == 0
    assert CommunitySituation.objects.filter(date=rules.today()).count() == 4
    assert gridgov(["epidemic", "situations", "--date", "2020-02-01", "--code", "411303"]) == 0
    assert list(
        CommunitySituation.objects.filter(date="2020-02-01").values_list(
            "community_code", flat=True
        )
    ) == ["411303001001"]


def test_the_export_contacts_command(epi: Epi, tmp_path: Path) -> None:
    case = outbreak(epi)
    out = tmp_path / "contacts.csv"
    assert gridgov(["epidemic", "export-contacts", str(case.pk), "--out", str(out)]) == 0
    names = [row[1] for row in rows_of(out.read_bytes())[1:]]
    assert names == [epi.spouse.name, epi.r.sibling_person.name, epi.r.elder.name]
    event = AuditEvent.objects.get(action="epidemic.contact.export")
    assert (event.channel, event.changes["format"]) == ("cli", "csv")
    assert gridgov(["epidemic", "export-contacts", "999999", "--out", str(out)]) != 0
