"""The import's machinery for large files: CSV pieces cut between records, worker
processes, the bulk-load path, and the bound sealer — each giving the same result as the
plain path."""

from __future__ import annotations

import codecs

import pytest

from gridgov.core import crypto
from gridgov.core.errors import InvalidInput
from gridgov.core.system import SYSTEM
from gridgov.registry import importers, privacy, readers
from gridgov.registry.importers import ImportOptions, RowError
from gridgov.registry.models import Person
from gridgov.registry.tests.core_fixtures import (  # noqa: F401 - fixtures
    GRID,
    keyring,
    make_id_number,
    registry_state,
)
from gridgov.registry.tests.import_helpers import good_rows, person_row, write_csv

pytestmark = pytest.mark.django_db

HEADERS = ["姓名", "性别", "出生日期", "公民身份号码", "联系电话", "网格编码", "居住类型", "现住址"]


def tricky_rows() -> list[list[str]]:
    """Quoted commas, quotes and line breaks inside cells, a blank line, bad rows late."""
    rows = [[*r, f'建设路{i}号, 3单元 "东"\n二楼'] for i, r in enumerate(good_rows(60))]
    rows[40] = [*person_row("坏电话", seq=901, phone="123"), "地址"]
    rows[55] = [*person_row("坏网格", seq=903, grid="411302001001999"), "地址"]
    return rows


def import_with(path, **options) -> importers.ImportReport:
    return importers.import_people(path, actor=SYSTEM, options=ImportOptions.parse(options))


@pytest.mark.parametrize("block", [64, 200, 1 << 21])
def test_pieces_number_rows_as_the_file_does(territory, keyring, monkeypatch, block):  # noqa: F811
    monkeypatch.setattr(readers, "BLOCK_BYTES", block)
    path = write_csv(keyring / "p.csv", tricky_rows(), headers=HEADERS)
    with readers.open_table(path) as table:
        rows = list(table.rows())
    assert [n for n, _ in rows] == list(range(2, 62))
    assert rows[0][1][7] == '建设路0号, 3单元 "东"\n二楼'
    report = import_with(path, policy="skip_invalid")
    assert report.errors == [
        RowError(42, "联系电话", report.errors[0].reason),
        RowError(57, "网格编码", "no unit grid with this code in your area"),
    ]
    assert report.created == 58
    # A line break typed in a cell is stored as a space, as the actions store it.
    assert Person.objects.get(name="居民1").address == '建设路0号, 3单元 "东" 二楼'


def test_blank_lines_keep_their_row_numbers(territory, keyring):  # noqa: F811
    path = keyring / "p.csv"
    lines = [",".join(HEADERS[:6]), ",".join(person_row(seq=5)[:6]), "", ",,,,,", "x,男,,,,"]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    report = import_with(path, policy="skip_invalid")
    assert [(e.row, e.column) for e in report.errors] == [(5, "网格编码")]


def test_workers_give_the_same_report_and_rows(territory, keyring, monkeypatch):  # noqa: F811
    monkeypatch.setattr(readers, "BLOCK_BYTES", 300)
    path = write_csv(keyring / "p.csv", tricky_rows(), headers=HEADERS)
    alone = import_with(path, policy="skip_invalid")
    stored = sorted(Person.objects.values_list("name", "grid_code", "id_number_hash", "address"))
    Person.objects.all().delete()

    monkeypatch.setattr(importers, "PARALLEL_MIN_ROWS", 0)
    assert importers._workers_for(_table_of(path)) >= 2
    parallel = import_with(path, policy="skip_invalid")
    assert parallel.errors == alone.errors and parallel.counts() == alone.counts()
    assert (
        sorted(Person.objects.values_list("name", "grid_code", "id_number_hash", "address"))
        == stored
    )


def _table_of(path):
    with readers.open_table(path) as table:
        return table


def test_a_worker_meeting_bad_bytes_reports_the_row(territory, keyring, monkeypatch):  # noqa: F811
    monkeypatch.setattr(readers, "BLOCK_BYTES", 100)
    monkeypatch.setattr(importers, "PARALLEL_MIN_ROWS", 0)
    path = write_csv(keyring / "p.csv", good_rows(10), encoding="utf-8")
    data = path.read_bytes()
    path.write_bytes(data + "居民,男,,,,".encode() + b"\xff\xfe\n")
    before = registry_state()
    with pytest.raises(InvalidInput) as refused:
        import_with(path, encoding="utf-8")
    assert "Row 12" in refused.value.message
    assert registry_state() == before


def test_utf16_text_is_refused_with_advice(territory, keyring):  # noqa: F811
    path = keyring / "p.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + "姓名\t性别\n".encode("utf-16-le"))
    with pytest.raises(InvalidInput, match="UTF-16"):
        import_with(path)


def test_bulk_load_with_known_people_and_updates(territory, keyring, monkeypatch):  # noqa: F811
    import_with(write_csv(keyring / "first.csv", good_rows(5)))
    monkeypatch.setattr(importers, "BULK_LOAD_MIN_ROWS", 1)
    rows = good_rows(8)
    rows[0][0] = "改名"
    report = import_with(write_csv(keyring / "second.csv", rows), mode="update")
    assert (report.created, report.updated) == (3, 5)
    assert Person.objects.get(id_number_hash=crypto.lookup_hash(make_id_number(seq=3))).name == (
        "改名"
    )
    report = import_with(write_csv(keyring / "third.csv", good_rows(9)), policy="skip_invalid")
    assert (report.created, report.rejected) == (1, 8)


def test_the_bound_sealer_seals_like_seal_person_numbers(keyring):  # noqa: F811
    seal = privacy.person_sealer()
    number, phone = make_id_number(seq=7), "0377-63212345"
    sealed = dict(zip(privacy.SEALED_PERSON_COLUMNS, seal(number, phone), strict=True))
    reference = privacy.seal_person_numbers(number, phone)
    for column in ("id_number_hash", "id_number_masked", "phone_hash", "phone_masked", "key_id"):
        assert sealed[column] == reference[column]
    assert crypto.decrypt(sealed["id_number_enc"], sealed["key_id"]) == number
    assert crypto.decrypt(sealed["phone_enc"], sealed["key_id"]) == phone
    assert sealed["id_number_enc"] != seal(number, phone)[0]  # a fresh nonce each time
    assert seal("", None) == (None, "", "", None, "", "", "")
    assert seal(None, phone)[6] == reference["key_id"]
    assert crypto.hasher()("x" * 200) == crypto.lookup_hash("x" * 200)


def test_a_household_spread_over_pieces_is_one_household(territory, keyring, monkeypatch):  # noqa: F811
    from gridgov.registry.models import Household

    monkeypatch.setattr(readers, "BLOCK_BYTES", 150)
    headers = [
        "姓名",
        "性别",
        "出生日期",
        "公民身份号码",
        "联系电话",
        "网格编码",
        "居住类型",
        "户号",
        "与户主关系",
    ]
    rows = [[*r, f"H{i % 3}", "子女"] for i, r in enumerate(good_rows(12))]
    rows[7][8] = "户主"  # H1's head comes late in the file
    import_with(write_csv(keyring / "p.csv", rows, headers=headers))
    assert Household.objects.count() == 3
    h1 = Household.objects.get(members__name="居民8")
    assert h1.head.name == "居民8" and h1.members.count() == 4
    assert Household.objects.filter(head=None).count() == 2
