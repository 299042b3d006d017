"""The downloadable templates: Chinese headers the importer reads back, filled and imported."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from gridgov.core.errors import InvalidInput
from gridgov.core.system import SYSTEM
from gridgov.registry import importers, spreadsheets
from gridgov.registry.columns import template_headers
from gridgov.registry.models import Household, Person
from gridgov.registry.tests.core_fixtures import (  # noqa: F401 - fixtures
    GRID,
    keyring,
    make_id_number,
)

pytestmark = pytest.mark.django_db


def filled_row(name: str, seq: int, **values: str) -> dict[str, str]:
    return {
        "姓名": name,
        "公民身份号码": make_id_number(seq=seq),
        "联系电话": "13838001234",
        "民族": "汉族",
        "户籍地代码": "411302",
        "居住类型": "户籍",
        "现住址": "建设路12号",
        "网格编码": GRID,
        "户号": "H1",
        **values,
    }


def test_xlsx_template_filled_and_imported(territory, keyring):  # noqa: F811
    book = load_workbook(io.BytesIO(spreadsheets.template("xlsx")))
    sheet = book.worksheets[0]
    headers = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert headers == template_headers()
    guide = [row[0] for row in book.worksheets[1].iter_rows(min_row=2, values_only=True)]
    assert guide == headers  # every column explained
    for values in (
        filled_row("户主", 11, 与户主关系="户主"),
        filled_row("女儿", 12, 与户主关系="女儿"),
    ):
        sheet.append([values.get(h, "") for h in headers])
    path = keyring / "filled.xlsx"
    book.save(path)
    report = importers.import_people(path, actor=SYSTEM)
    assert (report.created, report.errors) == (2, [])
    head = Household.objects.get().head
    assert head.name == "户主" and Person.objects.get(name="女儿").relation == "child"


def test_csv_template_saved_by_excel_as_gbk(territory, keyring):  # noqa: F811
    data = spreadsheets.template("csv")
    assert data.startswith(b"\xef\xbb\xbf")
    header_line = data.decode("utf-8-sig").strip()
    assert header_line.split(",") == template_headers()
    values = filled_row("王五", 13)
    line = ",".join(values.get(h, "") for h in template_headers())
    path = keyring / "filled.csv"
    path.write_bytes(f"{header_line}\r\n{line}\r\n".encode("gbk"))
    report = importers.import_people(path, actor=SYSTEM)
    assert (report.created, report.encoding) == (1, "gb18030")


def test_unknown_template_format(territory):
    with pytest.raises(InvalidInput):
        spreadsheets.template("pdf")
