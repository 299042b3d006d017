"""Set-based writes the ORM does not offer: INSERT … ON CONFLICT … RETURNING.

``bulk_create(ignore_conflicts=True)`` cannot say which rows were new, and that is exactly
what idempotent declarations need: a row whose client key already existed is a retry,
counted once. The same statement on SQLite (3.35+) and PostgreSQL; values are prepared by
each model field (``get_db_prep_save``), so JSON, decimals and times are stored as the ORM
would store them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import connection, models


def _chunk_size(width: int) -> int:
    limit = connection.features.max_query_params or 999
    return max(1, min(1000, limit // max(1, width)))


def _column(meta: Any, name: str) -> str:
    return str(meta.get_field(name).column)


def insert_returning(
    model: type[models.Model],
    rows: Sequence[dict[str, Any]],
    *,
    conflict: Sequence[str],
    returning: Sequence[str],
    on_conflict: str = "DO NOTHING",
) -> list[tuple[Any, ...]]:
    """Insert ``rows`` (field name → value, the same names in each); ``on_conflict`` is the
    clause after ``ON CONFLICT (conflict columns)``, where ``{table}`` names the table.
    Returns the ``returning`` columns of the rows inserted or updated — with DO NOTHING,
    only the new ones."""
    if not rows:
        return []
    meta = model._meta
    names = list(rows[0])
    fields = [meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    columns = ", ".join(quote(_column(meta, name)) for name in names)
    conflict_columns = ", ".join(quote(_column(meta, name)) for name in conflict)
    returned = ", ".join(quote(_column(meta, name)) for name in returning)
    placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
    clause = on_conflict.format(table=table)
    found: list[tuple[Any, ...]] = []
    size = _chunk_size(len(fields))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            params = [
                field.get_db_prep_save(row[name], connection)  # type: ignore[union-attr]
                for row in chunk
                for name, field in zip(names, fields, strict=True)
            ]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608
                + ", ".join([placeholder] * len(chunk))
                + f" ON CONFLICT ({conflict_columns}) {clause} RETURNING {returned}",
                params,
            )
            found.extend(tuple(row) for row in cursor.fetchall())
    return found


def as_date(value: Any) -> dt.date:
    """A date column as returned by a raw cursor (SQLite answers text)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])
