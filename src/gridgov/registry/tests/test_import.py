"""People imports: validation report, all-or-nothing and skip-invalid, duplicate modes,
encodings, XLSX, column mapping, roll-ups — through importers.import_people and the
real database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from gridgov.audit.models import AuditEvent
from gridgov.core import crypto
from gridgov.core.errors import InvalidInput, NotFound, PermissionDenied
from gridgov.core.system import SYSTEM
from gridgov.registry import importers, readers, rollups
from gridgov.registry.importers import ImportOptions, RowError
from gridgov.registry.models import Household, Person, PopulationCount
from gridgov.registry.tests.core_fixtures import (  # noqa: F401 - fixtures
    GRID,
    GRID_2,
    SIBLING_GRID,
    keyring,
    make_id_number,
    people_ctx,
    registry_state,
)
from gridgov.registry.tests.import_helpers import (
    HEADERS,
    good_rows,
    person_row,
    write_csv,
    write_xlsx,
)

pytestmark = pytest.mark.django_db


def run(path: Path, actor=SYSTEM, **options) -> importers.ImportReport:
    return importers.import_people(path, actor=actor, options=ImportOptions.parse(options))


def bad_file_rows() -> list[list[str]]:
    """Rows 2–3 valid; each of rows 4–9 has exactly one problem."""
    ok = good_rows(2)
    wrong_check = make_id_number(seq=901)[:-1] + (
        "0" if make_id_number(seq=901)[-1] != "0" else "1"
    )
    return [
        *ok,
        person_row("校验错", id_number=wrong_check),  # row 4
        person_row("性别错", sex="女", seq=903),  # row 5: odd sequence = male
        person_row("电话错", seq=905, phone="12345"),  # row 6
        person_row("网格错", seq=907, grid="411302001001999"),  # row 7
        person_row("重复甲", seq=3),  # row 8: same ID as row 2 (居民1, seq 3)
        person_row("新来的", seq=909),  # row 9: already registered (see below)
    ]


@pytest.fixture
def registered(territory, keyring) -> Person:  # noqa: F811 - fixture
    """Someone already in the registry with sequence 909."""
    report = run(write_csv(keyring / "seed.csv", [person_row("老住户", seq=909)]))
    assert report.created == 1
    return Person.objects.get()


EXPECTED_ERRORS = [
    RowError(4, "公民身份号码", "the check character of the ID number is wrong"),
    RowError(5, "性别", "does not match the sex the ID number implies"),
    RowError(
        6,
        "联系电话",
        "not a mobile number (11 digits starting 13–19) or a landline with its area code",
    ),
    RowError(7, "网格编码", "no unit grid with this code in your area"),
    RowError(8, "公民身份号码", "the same ID number as row 2"),
    RowError(9, "公民身份号码", "already registered"),
]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk", "gb18030"])
def test_bad_rows_are_reported_by_row_column_and_reason(registered, keyring, encoding):  # noqa: F811
    path = write_csv(keyring / f"people-{encoding}.csv", bad_file_rows(), encoding=encoding)
    before = registry_state()
    report = run(path)
    assert report.errors == EXPECTED_ERRORS
    assert report.counts() == {
        "read": 8,
        "valid": 2,
        "created": 0,
        "updated": 0,
        "skipped": 0,
        "rejected": 6,
    }
    assert report.encoding == ("gb18030" if encoding.startswith("gb") else "utf-8")
    assert not report.written
    assert registry_state() == before  # all-or-nothing: not one row, count or event


def test_skip_invalid_writes_exactly_the_valid_rows(registered, keyring):  # noqa: F811
    path = write_csv(keyring / "people.csv", bad_file_rows())
    events = AuditEvent.objects.count()
    report = run(path, policy="skip_invalid")
    assert report.errors == EXPECTED_ERRORS
    assert report.written
    assert report.counts() == {
        "read": 8,
        "valid": 2,
        "created": 2,
        "updated": 0,
        "skipped": 0,
        "rejected": 6,
    }
    names = set(Person.objects.values_list("name", flat=True))
    assert names == {"老住户", "居民1", "居民2"}
    # One audit event for the whole import, with its counts.
    assert AuditEvent.objects.count() == events + 1
    event = AuditEvent.objects.latest("seq")
    assert event.action == "registry.import"
    assert event.changes["created"] == 2 and event.changes["rejected"] == 6


def test_imported_people_are_sealed_and_derived(territory, keyring):  # noqa: F811
    number = make_id_number(born=dt.date(1990, 2, 3), seq=24)  # even: a woman
    row = ["李娜", "", "", number, "0377-63212345", GRID, "流动"]
    report = run(write_csv(keyring / "p.csv", [row]))
    assert report.created == 1
    person = Person.objects.get()
    assert (person.sex, person.birth_date, person.birth_year) == ("F", dt.date(1990, 2, 3), 1990)
    assert person.residence_type == "migrant" and person.status == "living"
    assert person.id_number_masked == number[:4] + "**********" + number[-4:]
    assert person.phone_masked == "0377-******45"
    assert crypto.decrypt(bytes(person.id_number_enc), person.key_id) == number
    assert crypto.decrypt(bytes(person.phone_enc), person.key_id) == "0377-63212345"
    assert person.id_number_hash == crypto.lookup_hash(number)
    assert person.version == 1


def test_rollups_after_an_import_equal_a_recount(territory, keyring):  # noqa: F811
    rows = good_rows(30)
    rows[0][6] = "境外"
    rows[1][6] = "流动"
    rows.append(["王芳", "女", "2019-07-01", "", "", GRID, "户籍"])  # no ID: a child
    run(write_csv(keyring / "p.csv", rows))
    imported = sorted(PopulationCount.objects.values_list("grid_code", "measure", "value"))
    rollups.recount()
    assert sorted(PopulationCount.objects.values_list("grid_code", "measure", "value")) == imported
    assert dict(rollups.figures(GRID[:12]))["total"] == 31


class TestModes:
    def existing(self, keyring):  # noqa: F811
        run(write_csv(keyring / "first.csv", good_rows(3)))
        return list(Person.objects.order_by("pk").values_list("pk", "name", "phone_masked"))

    def second_file(self, keyring):  # noqa: F811
        rows = good_rows(3)
        rows[0][0] = "改名"
        rows[0][4] = "13900002222"
        rows[1][4] = ""  # an empty cell keeps the stored phone
        return write_csv(keyring / "second.csv", [*rows, *good_rows(1, start=10)])

    def test_create_rejects_known_numbers(self, territory, keyring):  # noqa: F811
        self.existing(keyring)
        report = run(self.second_file(keyring), mode="create", policy="skip_invalid")
        assert [(e.row, e.reason) for e in report.errors] == [
            (2, "already registered"),
            (3, "already registered"),
            (4, "already registered"),
        ]
        assert report.created == 1 and Person.objects.count() == 4

    def test_skip_counts_known_numbers(self, territory, keyring):  # noqa: F811
        before = self.existing(keyring)
        report = run(self.second_file(keyring), mode="skip")
        assert (report.skipped, report.created, report.rejected, report.valid) == (3, 1, 0, 4)
        after = list(Person.objects.order_by("pk").values_list("pk", "name", "phone_masked"))
        assert after[:3] == before

    def test_update_changes_known_people(self, territory, keyring):  # noqa: F811
        before = self.existing(keyring)
        report = run(self.second_file(keyring), mode="update")
        assert (report.updated, report.created, report.rejected) == (3, 1, 0)
        first, second, _third = Person.objects.order_by("pk")[:3]
        assert (first.pk, first.name, first.phone_masked, first.version) == (
            before[0][0],
            "改名",
            "139****2222",
            2,
        )
        assert crypto.decrypt(bytes(first.phone_enc), first.key_id) == "13900002222"
        assert second.phone_masked == before[1][2]  # kept
        counts = sorted(PopulationCount.objects.values_list("grid_code", "measure", "value"))
        rollups.recount()
        assert (
            sorted(PopulationCount.objects.values_list("grid_code", "measure", "value")) == counts
        )

    def test_update_moves_a_person_between_grids(self, territory, keyring):  # noqa: F811
        self.existing(keyring)
        moved = good_rows(1)
        moved[0][5] = GRID_2 if moved[0][5] == GRID else GRID
        run(write_csv(keyring / "move.csv", moved), mode="update")
        assert Person.objects.get(name="居民1").grid_code == moved[0][5]
        counts = sorted(PopulationCount.objects.values_list("grid_code", "measure", "value"))
        rollups.recount()
        assert (
            sorted(PopulationCount.objects.values_list("grid_code", "measure", "value")) == counts
        )

    def test_duplicate_within_the_file_is_skipped_in_skip_mode(self, territory, keyring):  # noqa: F811
        rows = [*good_rows(2), good_rows(1)[0]]
        report = run(write_csv(keyring / "dup.csv", rows), mode="skip")
        assert (report.created, report.skipped, report.errors) == (2, 1, [])


def test_xlsx_import_reads_typed_cells(territory, keyring):  # noqa: F811
    number = make_id_number(seq=31)
    rows = [
        ["赵强", "男", dt.datetime(1980, 5, 17), number, 13838001234, int(GRID), "户籍"],
        ["钱明", "男", "1980-05-17", 4.11302198005171e17, "", GRID, "户籍"],
    ]
    report = run(write_xlsx(keyring / "p.xlsx", rows), policy="skip_invalid")
    assert report.created == 1
    assert [(e.row, e.column) for e in report.errors] == [(3, "公民身份号码")]
    assert "format the column as text" in report.errors[0].reason
    person = Person.objects.get()
    assert person.birth_date == dt.date(1980, 5, 17) and person.phone_masked == "138****1234"


def test_coordinates_locate_the_grid(territory, keyring):  # noqa: F811
    headers = ["姓名", "身份证号", "经度", "纬度"]
    rows = [
        ["甲", make_id_number(seq=41), "112.41", "33.09"],  # GRID (north-west quadrant)
        ["乙", make_id_number(seq=43), "112.46", "33.09"],  # the neighbouring community
        ["丙", make_id_number(seq=45), "100.0", "20.0"],  # outside the city
        ["丁", make_id_number(seq=47), "112.41", ""],
    ]
    report = run(write_csv(keyring / "p.csv", rows, headers=headers), policy="skip_invalid")
    assert dict(Person.objects.values_list("name", "grid_code")) == {
        "甲": GRID,
        "乙": "411302001002001",
    }
    assert report.errors == [
        RowError(4, "经度", "the point lies outside every grid of the city"),
        RowError(5, "纬度", "give both longitude and latitude"),
    ]


def test_column_mapping_for_other_headers(territory, keyring):  # noqa: F811
    headers = ["Who", "Card", "Where", "备注"]
    rows = [["孙丽", make_id_number(seq=50), GRID, "随便写"]]
    path = write_csv(keyring / "p.csv", rows, headers=headers)
    with pytest.raises(InvalidInput) as refused:
        run(path)
    assert set(refused.value.details["fields"]) == {"姓名", "性别", "网格编码"}
    report = run(path, mapping={"Who": "name", "Card": "id_number", "Where": "grid_code"})
    assert report.created == 1 and report.ignored_columns == ["备注"]
    assert Person.objects.get().sex == "F"


def test_mapping_naming_a_missing_header_or_unknown_field_is_refused(territory, keyring):  # noqa: F811
    path = write_csv(keyring / "p.csv", good_rows(1))
    with pytest.raises(InvalidInput) as refused:
        run(path, mapping={"No such": "name", "姓名": "nickname"})
    assert set(refused.value.details["fields"]) == {"No such", "姓名"}


def test_households_from_household_numbers(territory, keyring):  # noqa: F811
    headers = [*HEADERS, "户号", "与户主关系", "现住址"]
    rows = [
        [*person_row("户主甲", seq=61), "A1", "户主", "建设路1号"],
        [*person_row("妻甲", sex="女", seq=62), "A1", "配偶", "建设路1号"],
        [*person_row("户主乙", seq=63), "B7", "本人", "建设路7号"],
    ]
    run(write_csv(keyring / "p.csv", rows, headers=headers))
    households = {h.address: h for h in Household.objects.select_related("head")}
    assert households["建设路1号"].head.name == "户主甲"
    assert households["建设路7号"].head.name == "户主乙"
    members = Person.objects.filter(household=households["建设路1号"])
    assert sorted(members.values_list("relation", flat=True)) == ["head", "spouse"]


class TestScope:
    def test_rows_outside_the_importers_area_are_rejected(self, people_ctx, keyring):  # noqa: F811
        rows = [person_row(seq=71), person_row(seq=73, grid=SIBLING_GRID)]
        path = write_csv(keyring / "p.csv", rows)
        report = run(path, actor=people_ctx.township, policy="skip_invalid")
        assert report.errors == [
            RowError(3, "网格编码", "no unit grid with this code in your area")
        ]
        assert list(Person.objects.values_list("grid_code", flat=True)) == [GRID]

    @pytest.mark.parametrize("who", ["worker", "leader"])
    def test_roles_without_import_are_refused(self, people_ctx, keyring, who):  # noqa: F811
        path = write_csv(keyring / "p.csv", good_rows(2))
        before = registry_state()
        with pytest.raises(PermissionDenied):
            run(path, actor=getattr(people_ctx, who))
        assert registry_state() == before

    def test_a_scope_code_outside_the_importers_area_is_not_found(self, people_ctx, keyring):  # noqa: F811
        path = write_csv(keyring / "p.csv", good_rows(2))
        with pytest.raises(NotFound):
            run(path, actor=people_ctx.township, scope_code="411302002")

    def test_scope_code_narrows_the_grids(self, territory, keyring):  # noqa: F811
        path = write_csv(keyring / "p.csv", good_rows(2))
        report = run(path, scope_code=GRID, policy="skip_invalid")
        assert report.created == 1 and [e.row for e in report.errors] == [3]


def test_bulk_load_defers_and_restores_indexes(territory, keyring, monkeypatch):  # noqa: F811
    from django.db import connection

    def index_names() -> set[str]:
        with connection.cursor() as cursor:
            found = connection.introspection.get_constraints(cursor, Person._meta.db_table)
        return {name for name, info in found.items() if info["index"]}

    before = index_names()
    monkeypatch.setattr(importers, "BULK_LOAD_MIN_ROWS", 10)
    monkeypatch.setattr(readers, "BLOCK_BYTES", 300)
    report = run(write_csv(keyring / "p.csv", good_rows(40)))
    assert report.created == 40
    assert index_names() == before
    assert Person.objects.filter(id_number_hash=crypto.lookup_hash(make_id_number(seq=3))).exists()


def test_an_empty_file_and_a_non_table_are_refused(territory, keyring):  # noqa: F811
    empty = keyring / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InvalidInput):
        run(empty)
    fake = keyring / "fake.xlsx"
    fake.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(InvalidInput):
        run(fake)


def test_completeness_after_an_import_matches_the_gap_lists(territory, keyring):  # noqa: F811
    from gridgov.registry import completeness
    from gridgov.registry.models import GridCompleteness

    headers = [*HEADERS, "户号", "与户主关系"]
    rows = [
        [*person_row("户主", seq=11), "A", "户主"],
        [*person_row("无电话", seq=13, phone=""), "A", "子女"],
        [*person_row("别的网格", seq=15, grid=GRID_2), "A", "子女"],  # lives outside A's grid
        [*person_row("无户主家", seq=17), "B", "配偶"],
        ["无证件", "女", "2001-01-01", "", "", GRID, "户籍", "", ""],
        ["外籍", "男", "1990-01-01", "", "13838001234", GRID, "境外", "", ""],
        ["无证件二", "男", "1990-01-01", "", "13838001234", GRID, "户籍", "", ""],
    ]
    run(write_csv(keyring / "p.csv", rows, headers=headers))
    for grid in (GRID, GRID_2):
        stored = GridCompleteness.objects.get(grid_code=grid)
        lists = {kind: len(ids) for kind, ids in completeness.gaps_for(grid).items() if ids}
        assert stored.gaps == lists
    stored = GridCompleteness.objects.get(grid_code=GRID)
    assert stored.gaps == {"person_no_phone": 2, "person_no_id": 2, "household_no_head": 1}
    assert GridCompleteness.objects.get(grid_code=GRID_2).gaps == {"person_outside_grid": 1}


class TestCommands:
    def test_import_command_writes_and_reports(self, territory, keyring, capsys):  # noqa: F811
        from gridgov.cli import main

        path = write_csv(keyring / "p.csv", [*good_rows(3), person_row("坏", seq=99, phone="1")])
        report = keyring / "report.xlsx"
        args = ["import", "people", str(path), "--skip-invalid", "--report", str(report)]
        assert main(["--lang", "en", *args]) == 0  # the report's words in English
        assert Person.objects.count() == 3
        assert "row 5 · 联系电话" in capsys.readouterr().err
        from openpyxl import load_workbook

        rejected = list(load_workbook(report).worksheets[1].iter_rows(values_only=True))
        assert rejected[1][:2] == (5, "联系电话")

    def test_import_command_all_or_nothing_exits_1(self, territory, keyring):  # noqa: F811
        from gridgov.cli import main

        path = write_csv(keyring / "p.csv", [*good_rows(2), person_row("坏", seq=99, phone="1")])
        before = registry_state()
        assert main(["import", "people", str(path), "--mode", "skip"]) == 1
        assert registry_state() == before

    def test_import_command_with_a_mapping_and_scope(self, territory, keyring):  # noqa: F811
        from gridgov.cli import main

        path = write_csv(keyring / "p.csv", good_rows(2), headers=["名", *HEADERS[1:]])
        mapping = '{"名": "name"}'
        args = ["import", "people", str(path), "--mapping", mapping, "--skip-invalid"]
        assert main([*args, "--grid-worker-scope", GRID]) == 0
        assert list(Person.objects.values_list("grid_code", flat=True)) == [GRID]

    def test_export_command(self, territory, keyring):  # noqa: F811
        from gridgov.cli import main

        run(write_csv(keyring / "p.csv", good_rows(2)))
        out = keyring / "out.csv"
        assert main(["export", "people", GRID[:12], "-o", str(out)]) == 0
        text = out.read_bytes().decode("utf-8-sig")
        assert text.splitlines()[0].startswith("姓名,性别") and "**********" in text
