"""The importer's quick, column-wise check gives exactly what the reference check gives:
the same values for every row it takes, the same problems for every row it passes on —
over rows drawn from plain, normalizable and wrong cells alike. And text stored through
the bulk path keeps every character (test_bulkwrite.py holds the encoding's own tests)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridgov.core import crypto
from gridgov.core.system import SYSTEM
from gridgov.registry import identity, importers
from gridgov.registry.columns import resolve_columns
from gridgov.registry.importers import ImportOptions
from gridgov.registry.models import Person
from gridgov.registry.tests.core_fixtures import (  # noqa: F401 - fixtures
    GRID,
    GRID_2,
    POINT_IN_GRID,
    keyring,
    make_id_number,
)
from gridgov.registry.tests.import_helpers import write_csv

pytestmark = pytest.mark.django_db

HEADERS = [
    "姓名",
    "性别",
    "出生日期",
    "公民身份号码",
    "联系电话",
    "民族",
    "户籍地代码",
    "居住类型",
    "人员状态",
    "现住址",
    "网格编码",
    "经度",
    "纬度",
    "户号",
    "与户主关系",
]
BORN = dt.date(1980, 5, 17)
MALE_ID = make_id_number(born=BORN, seq=123)
FEMALE_ID = make_id_number(born=BORN, seq=124)
OLD_FORM = MALE_ID[:6] + MALE_ID[8:17]  # the 15-digit form of the same number

# Each column's cells: plain ones, ones the reference check normalizes, wrong ones.
CELLS = {
    "姓名": ["张伟", "A\\B", "王  芳", "李\t娜", "", "名" * 61, 'O\'Brien "Bob"'],
    "性别": ["", "男", "女", "M", "f", "男性", "x"],
    "出生日期": [
        "",
        BORN.isoformat(),
        "19800517",
        "1980年5月17日",
        "1980-05-18",
        "2999-01-01",
        "x",
    ],
    "公民身份号码": [
        MALE_ID,
        FEMALE_ID,
        MALE_ID[:-1] + ("0" if MALE_ID[-1] != "0" else "1"),
        OLD_FORM,
        MALE_ID[:6] + " " + MALE_ID[6:],
        make_id_number(born=dt.date(1899, 12, 31)),
        "411302198002301234",
        "4.11302198005171e17",
        "",
    ],
    "联系电话": ["", "13838001234", "138 3800 1234", "+8613838001234", "0377-63212345", "123"],
    "民族": ["", "汉族", "回族", "族" * 21],
    "户籍地代码": ["", "411302", "411302001", "001302", "41130"],
    "居住类型": ["", "户籍", "流动", "境外", "Migrant", "外星"],
    "人员状态": ["", "在住", "迁出", "死亡", "其他"],
    "现住址": ["", "建设路1号", "建设路\\2号", "建设路 3号", "路" * 201],
    "网格编码": ["", GRID, GRID_2, GRID[:12] + GRID[13:], GRID[:12] + "999", "abc"],
    "经度": ["", str(POINT_IN_GRID[0]), "100.0", "181", "x"],
    "纬度": ["", str(POINT_IN_GRID[1]), "20.0", "nan"],
    "户号": ["", "A1", "B2"],
    "与户主关系": ["", "户主", "配偶", "舅舅"],
}
# A plain row; each cell of a drawn row is its plain cell nine times in ten.
PLAIN = ["张伟", "男", "", MALE_ID, "13838001234", "汉族", "411302", "户籍", "在住", "建设路1号"]
PLAIN += [GRID, str(POINT_IN_GRID[0]), str(POINT_IN_GRID[1]), "", ""]
rows_strategy = st.lists(
    st.tuples(
        *(st.sampled_from([p] * 9 + CELLS[h]) for p, h in zip(PLAIN, HEADERS, strict=True))
    ).map(list),
    min_size=1,
    max_size=40,
)


class _Reference(importers.RowPreparer):
    """Every row through the reference check, none through the quick one."""

    def _quick(self, cells: list[list[str]]) -> tuple[dict[str, list[Any]], list[int]]:
        found, _doubtful = super()._quick(cells)
        return found, list(range(len(cells)))


def _opened(prepared: importers.Prepared) -> list[tuple]:
    """The values of each row with the sealed numbers opened (blobs have fresh nonces)."""
    enc = [importers.VALUE_COLUMNS.index(c) for c in ("id_number_enc", "phone_enc")]
    out = []
    assert prepared.values is not None
    for row in prepared.values:
        key_id = row[importers.VALUE_COLUMNS.index("key_id")]
        out.append(
            tuple(crypto.decrypt(v, key_id) if i in enc and v else v for i, v in enumerate(row))
        )
    return out


def _slots(prepared: importers.Prepared) -> list:
    return prepared.cells.tolist()


@pytest.fixture
def preparers(territory, keyring):  # noqa: F811
    from gridgov.registry.readers import open_table

    path = write_csv(keyring / "h.csv", [], headers=HEADERS)
    with open_table(path) as table:
        columns = resolve_columns(table.headers)
    grids = importers.Grids.load(SYSTEM, "", locate=True)
    options: dict[str, Any] = {
        "mode": "update",
        "now": dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        "today": dt.date(2024, 6, 1),
    }
    return importers.RowPreparer(columns, grids, **options), _Reference(columns, grids, **options)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=rows_strategy)
def test_quick_and_reference_checks_agree(preparers, rows):
    _assert_same(preparers[0], preparers[1], rows)


def _assert_same(
    quick: importers.RowPreparer, reference: importers.RowPreparer, rows: list[list[str]]
) -> None:
    numbered = [(n, list(cells)) for n, cells in enumerate(rows, start=2)]
    got = quick.prepare([(n, list(c)) for n, c in numbered])
    expected = reference.prepare([(n, list(c)) for n, c in numbered])
    assert got.errors == expected.errors
    assert got.numbers == expected.numbers and got.read == expected.read
    assert got.hashes == expected.hashes
    assert _opened(got) == _opened(expected)
    assert _slots(got) == _slots(expected)
    assert got.households == expected.households


def test_each_cell_alone_in_a_plain_row(preparers):
    """One cell changed at a time, so no other cell of its column hides it."""
    for at, header in enumerate(HEADERS):
        for cell in CELLS[header]:
            _assert_same(preparers[0], preparers[1], [[*PLAIN[:at], cell, *PLAIN[at + 1 :]]])


def test_plain_rows_take_the_quick_way(preparers):
    quick, _reference = preparers
    rows = [PLAIN, [*PLAIN[:10], "", *PLAIN[11:]], [*PLAIN[:2], BORN.isoformat(), *PLAIN[3:]]]
    _found, doubtful = quick._quick([list(r) for r in rows])
    assert doubtful == []
    prepared = quick.prepare([(n, list(r)) for n, r in enumerate(rows, start=2)])
    assert prepared.errors == [] and len(prepared.numbers) == 3
    assert prepared.values and prepared.values[1][0] == GRID  # located from its point
    assert quick.prepare([]).read == 0  # a piece of blank lines only


def test_plain_id_numbers_are_exactly_those_parsed_unchanged():
    today = dt.date(2024, 6, 1)
    texts = [c for c in CELLS["公民身份号码"]] + [MALE_ID.lower(), MALE_ID[:17] + "x", "1" * 18]
    for text, plain in zip(texts, identity.plain_id_numbers(texts, today), strict=True):
        try:
            parsed = identity.parse_id_number(text, today=today)
        except Exception:
            parsed = None
        if plain is not None:
            assert parsed is not None and parsed.number == text
            assert plain == (parsed.sex, parsed.birth_date.isoformat(), parsed.birth_date.year)
        else:
            assert parsed is None or parsed.number != text


def test_text_with_backslashes_and_quotes_is_stored_as_given(territory, keyring):  # noqa: F811
    names = ["A\\B", 'O\'Brien "Bob"', "\\N", "路\\t"]
    rows = [
        [name, "", "", make_id_number(seq=2 * i + 1), "", "", "", "", "", f"{name}号", GRID]
        for i, name in enumerate(names)
    ]
    path = write_csv(keyring / "p.csv", rows, headers=HEADERS[:11])
    report = importers.import_people(path, actor=SYSTEM, options=ImportOptions())
    assert report.created == 4
    stored = dict(Person.objects.values_list("name", "address"))
    assert stored == {name: f"{name}号" for name in names}


@pytest.mark.parametrize("block", [150, 600, 1 << 21])
def test_repeated_numbers_within_and_across_pieces(territory, keyring, monkeypatch, block):  # noqa: F811
    from gridgov.registry import readers
    from gridgov.registry.tests.import_helpers import good_rows

    monkeypatch.setattr(readers, "BLOCK_BYTES", block)
    rows = good_rows(30)
    # Row numbers in the file: good rows 2–31, then repeats of rows 4, 4 again and 31.
    rows += [list(rows[2]), list(rows[2]), list(rows[29])]
    rows.insert(5, list(rows[0]))  # an early repeat of row 2, as row 7
    path = write_csv(keyring / "p.csv", rows)
    report = importers.import_people(
        path, actor=SYSTEM, options=ImportOptions(policy="skip_invalid")
    )
    assert report.created == 30
    assert [(e.row, e.reason) for e in report.errors] == [
        (7, "the same ID number as row 2"),
        (33, "the same ID number as row 4"),
        (34, "the same ID number as row 4"),
        (35, "the same ID number as row 32"),
    ]
