"""The storage layer's helpers: columns handed to PostgreSQL as one joined parameter."""

from __future__ import annotations

import pytest
from django.db import connection

from gridgov.registry import bulkwrite

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
