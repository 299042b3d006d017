"""Importing and exporting the responsibility list: per-row reports, the two policies,
encodings and XLSX, scope, and an export that imports back unchanged."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from gridgov.audit.models import AuditEvent
from gridgov.cases.actions import catalogue as actions
from gridgov.cases.models import Responsibility
from gridgov.cases.queries import catalogue as queries
from gridgov.cases.tests.catalogue_fixtures import (
    CITY,
    COMMUNITY,
    COUNTY,
    SIBLING,
    Catalogue,
    cat,
    english,
    minor,
    state,
)
from gridgov.core.errors import InvalidInput, PermissionDenied

__all__ = ["cat", "english"]

pytestmark = pytest.mark.django_db

HEADER = "类别编码,类别名称,区域代码,区域名称,责任部门编码,责任部门名称,备注\n"


def write(tmp_path: Path, text: str, encoding: str = "utf-8-sig") -> Path:
    path = tmp_path / "list.csv"
    path.write_bytes(text.encode(encoding))
    return path


def good_and_bad(cat: Catalogue) -> str:
    return HEADER + (
        f"E0102,暴露垃圾,{COUNTY},宛城区,wancheng-urban,,区城管\n"  # row 2: good
        f"C0101,上水井盖,{COMMUNITY},,city-water,,\n"  # row 3: good
        f"X0102,,{COUNTY},,wancheng-urban,,\n"  # row 4: no such class
        f"E0103,,{SIBLING},,wancheng-urban,,\n"  # row 5: outside the area
        f"E0104,,{COUNTY},,no-such-dept,,\n"  # row 6: no such department
        f"E0102,,{COUNTY},,city-urban,,\n"  # row 7: same as row 2
        f"E01,,{COUNTY},,city-urban,,\n"  # row 8: a major class
    )


def test_every_bad_row_is_reported_and_all_or_nothing_writes_nothing(
    cat: Catalogue, tmp_path: Path
) -> None:
    before = state()
    report = actions.import_responsibilities(
        write(tmp_path, good_and_bad(cat)), actor=cat.county_admin
    )
    assert (report.read, report.valid, report.rejected, report.written) == (7, 2, 5, False)
    assert [(e.row, e.column) for e in report.errors] == [
        (4, "类别编码"),
        (5, "区域代码"),
        (6, "责任部门编码"),
        (7, "区域代码"),
        (8, "类别编码"),
    ]
    assert "row 2" in report.errors[3].reason
    assert state() == before


def test_skip_invalid_writes_the_good_rows(cat: Catalogue, tmp_path: Path) -> None:
    report = actions.import_responsibilities(
        write(tmp_path, good_and_bad(cat)), actor=cat.county_admin, policy="skip_invalid"
    )
    assert (report.created, report.updated, report.rejected, report.written) == (2, 0, 5, True)
    rows = Responsibility.objects.order_by("region_code")
    assert [
        (r.case_class.service_code, r.region_code, r.department.code, r.note) for r in rows
    ] == [
        ("E0102", COUNTY, "wancheng-urban", "区城管"),
        ("C0101", COMMUNITY, "city-water", ""),
    ]
    actions_written = AuditEvent.objects.order_by("seq").values_list("action", flat=True)
    assert list(actions_written) == [
        "cases.responsibility.add",
        "cases.responsibility.add",
        "cases.responsibility.import",
    ]


def test_an_existing_row_is_changed_and_an_identical_one_kept(
    cat: Catalogue, tmp_path: Path
) -> None:
    same = cat.rule("E0102", COUNTY, cat.county_dept, note="区城管")
    moved = cat.rule("C0101", COMMUNITY, cat.county_dept)
    text = HEADER + (
        f"E0102,,{COUNTY},,wancheng-urban,,区城管\nC0101,,{COMMUNITY},,city-water,,改由供水\n"
    )
    report = actions.import_responsibilities(write(tmp_path, text), actor=cat.county_admin)
    assert (report.created, report.updated, report.skipped, report.written) == (0, 1, 1, True)
    same.refresh_from_db()
    moved.refresh_from_db()
    assert same.version == 1
    assert (moved.department, moved.note, moved.version) == (cat.water, "改由供水", 2)


def test_gbk_csv_and_field_name_headers_are_read(cat: Catalogue, tmp_path: Path) -> None:
    text = f"class,region_code,department,note\nE0102,{COUNTY},wancheng-urban,区城市管理局负责\n"
    report = actions.import_responsibilities(write(tmp_path, text, "gbk"), actor=cat.county_admin)
    assert (report.encoding, report.created) == ("gb18030", 1)
    assert Responsibility.objects.get().note == "区城市管理局负责"


def test_an_xlsx_file_is_read(cat: Catalogue, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["类别编码", "区域代码", "责任部门编码", "其他"])
    sheet.append(["E0102", int(COUNTY), "wancheng-urban", "x"])  # Excel made the code a number
    path = tmp_path / "list.xlsx"
    book.save(path)
    report = actions.import_responsibilities(path, actor=cat.county_admin)
    assert (report.created, report.ignored_columns) == (1, ["其他"])


def test_a_file_without_the_needed_columns_is_refused(cat: Catalogue, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as raised:
        actions.import_responsibilities(
            write(tmp_path, "类别编码,备注\nE0102,x\n"), actor=cat.county_admin
        )
    assert "区域代码" in raised.value.details["fields"]["file"]


def test_only_catalogue_keepers_import(cat: Catalogue, tmp_path: Path) -> None:
    path = write(tmp_path, good_and_bad(cat))
    before = state()
    for user in (cat.command, cat.worker, cat.citizen, None):
        with pytest.raises(PermissionDenied):
            actions.import_responsibilities(path, actor=user, policy="skip_invalid")
    assert state() == before


def test_the_export_imports_back_unchanged(cat: Catalogue, tmp_path: Path) -> None:
    cat.rule("E0102", CITY, cat.city_dept, note="市级默认")
    cat.rule("E0102", COUNTY, cat.county_dept)
    cat.rule("C0101", COMMUNITY, cat.water, note="社区")
    rows = queries.search_responsibilities(cat.city_admin)
    for fmt in ("csv", "xlsx"):
        name, content = queries.responsibility_export(rows, fmt)
        path = tmp_path / name
        path.write_bytes(content)
        before = state()
        report = actions.import_responsibilities(path, actor=cat.city_admin)
        assert (report.read, report.skipped, report.created, report.updated) == (3, 3, 0, 0)
        assert state()[:2] == before[:2]
    sheet = load_workbook(io.BytesIO(content)).active
    assert [c.value for c in sheet[1]][:3] == ["类别编码", "类别名称", "区域代码"]
    assert [c.value for c in sheet[2]][:6] == [
        "C0101",
        "上水井盖",
        COMMUNITY,
        "河街社区",
        "city-water",
        "南阳市供水总公司",
    ]
    assert [c.value for c in sheet[3]][:4] == ["E0102", "暴露垃圾", CITY, "南阳市"]


def test_the_report_sheet_of_the_registry_reads_this_report(cat: Catalogue, tmp_path: Path) -> None:
    from gridgov.registry import spreadsheets

    report = actions.import_responsibilities(
        write(tmp_path, good_and_bad(cat)), actor=cat.county_admin
    )
    book = load_workbook(io.BytesIO(spreadsheets.report_xlsx(report)))
    rejected = list(book.worksheets[1].iter_rows(values_only=True))
    assert rejected[1][:2] == (4, "类别编码") and len(rejected) == 6
    assert minor("E0102").responsibilities.count() == 0
