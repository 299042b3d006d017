"""The importer's storage layer: rows encoded in one place and written in another keep
every value (COPY's binary format on PostgreSQL, columns on SQLite), and columns handed to
PostgreSQL as one joined parameter come back whole."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection, transaction

from gridgov.registry import bulkwrite
from gridgov.registry.models import Household, Person

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "values",
    [
        ["411302001001001", "age:80+", "tag:x", '{"a": 1, "b": "c,d"}', "", "名字"],
        [1, -2, 30_000],
        [100.0, 12.5],
        ["only"],
        [],
    ],
)
def test_array_param_gives_back_every_value(values):
    text = bulkwrite.array_param(values)
    if connection.vendor != bulkwrite.POSTGRES:
        assert text.split("\x1f") == ([str(v) for v in values] or [""])
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {bulkwrite.ARRAY_PARAM}", [text])
        assert cursor.fetchone()[0] == [str(v) for v in values]


@pytest.mark.parametrize("values", [["a\x1fb", "c"], [""]])
def test_array_param_refuses_what_it_cannot_carry(values):
    with pytest.raises(ValueError, match="array_param"):
        bulkwrite.array_param(values)


# A person row as the importer encodes it: every kind of value the bulk path carries.
STAMP = dt.datetime(2026, 11, 28, 3, 27, 24, 914636, tzinfo=dt.UTC)
NAMES: tuple[str, ...] = (
    *("grid_code", "lon", "lat", "name", "sex", "birth_date", "birth_year", "id_number_enc"),
    *("id_number_hash", "phone_enc", "address", "status_date", "version", "created_at"),
    *("updated_at", "relation", "id_number_masked", "phone_hash", "phone_masked", "key_id"),
    *("ethnicity", "hukou_code", "residence_type", "status"),
)
TEXTS = ["张伟", "A\\B\tC\nD\rE", "\\N", 'O\'Brien "Bob"', ""]


def _columns(n: int) -> list[Any]:
    return [
        [f"41130200100100{i % 10}" for i in range(n)],
        [112.5 + i / 7 for i in range(n)],
        [None if i % 3 else 33.0 for i in range(n)],
        [f"{TEXTS[i % len(TEXTS)]}{i}" for i in range(n)],
        ["M" if i % 2 else "F" for i in range(n)],
        [None if i % 4 == 0 else f"19{50 + i % 40}-0{1 + i % 9}-1{i % 10}" for i in range(n)],
        [1950 + i % 40 for i in range(n)],
        [bytes([i % 256, 0, 255, 92, 9]) for i in range(n)],
        [f"{i:064x}" for i in range(n)],
        [None if i % 2 else b"" for i in range(n)],
        [TEXTS[i % len(TEXTS)] * 3 for i in range(n)],
        bulkwrite.Same(None),
        bulkwrite.Same(1),
        bulkwrite.Same(STAMP),
        bulkwrite.Same(STAMP),
        *(bulkwrite.Same(v) for v in ("", "", "", "", "k1", "汉族", "", "registered", "living")),
    ]


def _stored(n: int, keep: list[int] | None = None) -> list[tuple[Any, ...]]:
    """What the database should hold for rows ``keep`` of ``_columns(n)``."""
    columns = [c.value if isinstance(c, bulkwrite.Same) else c for c in _columns(n)]
    rows = []
    for i in keep if keep is not None else range(n):
        row = [c if not isinstance(c, list) else c[i] for c in columns]
        born = row[5]
        row[5] = dt.date.fromisoformat(born) if born else None
        rows.append(tuple(row))
    return rows


def _read(names: tuple[str, ...]) -> list[tuple[Any, ...]]:
    rows = Person.objects.order_by("name").values_list(*names)
    return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in rows]


@pytest.mark.parametrize("keep", [None, [0, 1, 2, 5, 6, 9, 11], []])
def test_encoded_rows_are_stored_as_given(keep):
    people = bulkwrite.BulkTable(Person._meta.db_table)
    encoded = people.encode(NAMES, _columns(12))
    assert people.write(encoded, keep=keep) == (12 if keep is None else len(keep))
    assert _read(NAMES) == sorted(_stored(12, keep), key=lambda row: row[3])


def test_an_extra_column_is_added_to_each_written_row():
    people = bulkwrite.BulkTable(Person._meta.db_table)
    household = Household.objects.create(grid_code="411302001001001", address="x")
    keep = [1, 2, 4]
    extra = ("household_id", [household.pk, None, household.pk])
    people.write(people.encode(NAMES, _columns(6)), keep=keep, extra=extra)
    stored = _read((*NAMES, "household_id"))
    expected = [(*row, h) for row, h in zip(_stored(6, keep), extra[1], strict=True)]
    assert stored == sorted(expected, key=lambda row: row[3])


def test_runs_of_consecutive_positions():
    assert list(bulkwrite._runs([0, 1, 2, 5, 7, 8])) == [(0, 2), (5, 5), (7, 8)]
    assert list(bulkwrite._runs([3])) == [(3, 3)]
    assert list(bulkwrite._runs([])) == []


def test_sqlite_constants_are_written_as_literals():
    assert [bulkwrite._literal(v) for v in (None, 1, 2.5, "O'Brien", b"\x01")] == [
        "NULL",
        "1",
        "2.5",
        "'O''Brien'",
        "X'01'",
    ]


def _index_columns() -> dict[str, tuple[str, ...]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, Person._meta.db_table)
    return {name: tuple(info["columns"]) for name, info in found.items() if info["index"]}


def test_deferred_indexes_keep_the_named_columns_and_come_back_whole():
    before = _index_columns()
    deferred = bulkwrite.DeferredIndexes(Person._meta.db_table, keep=["household_id"])
    with transaction.atomic():
        deferred.drop()
        during = _index_columns()
        deferred.restore()
    dropped = set(before) - set(during)
    assert ("household_id",) in during.values()
    assert {("grid_code", "status"), ("birth_year",), ("phone_hash",)} <= {
        before[name] for name in dropped
    }
    assert _index_columns() == before
