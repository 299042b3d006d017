"""Set-based writes the ORM does not offer: INSERT … ON CONFLICT … RETURNING.

``bulk_create(ignore_conflicts=True)`` cannot say which rows were new, and that is exactly
what idempotent declarations need: a row whose client key already existed is a retry,
counted once. The same statement on SQLite (3.35+, rows as VALUES) and PostgreSQL (columns
as arrays, ``unnest``); values are prepared as each model field would (``get_db_prep_save``),
so JSON, decimals and times are stored as the ORM would store them.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper

MAX_ROWS = 1000  # rows per statement (a whole batch of declarations)

# Python types each kind of column takes from the driver as they are.
NATIVE: dict[str, tuple[type, ...]] = {
    "CharField": (str,),
    "TextField": (str,),
    "BooleanField": (bool,),
    "IntegerField": (int,),
    "BigIntegerField": (int,),
    "SmallIntegerField": (int,),
    "PositiveIntegerField": (int,),
    "PositiveBigIntegerField": (int,),
    "PositiveSmallIntegerField": (int,),
    "AutoField": (int,),
    "BigAutoField": (int,),
    "FloatField": (float, int),
}


def _adapter(target: Any, db: BaseDatabaseWrapper) -> tuple[type, Callable[[Any], Any]] | None:
    """(type, the backend's own adaptation) of dates, aware times and decimals."""
    kind = target.get_internal_type()
    if kind == "DateTimeField" and db.vendor == "sqlite" and settings.USE_TZ:
        # What the SQLite backend stores (adapt_datetimefield_value), without its layers:
        # times of a batch differ, and this is most of what preparing a row costs there.
        zone = db.timezone
        return dt.datetime, lambda value: str(value.astimezone(zone).replace(tzinfo=None))
    if kind == "DateTimeField":
        return dt.datetime, db.ops.adapt_datetimefield_value
    if kind == "DateField":
        return dt.date, db.ops.adapt_datefield_value
    if kind == "DecimalField":
        adapt = partial(
            db.ops.adapt_decimalfield_value,
            max_digits=target.max_digits,
            decimal_places=target.decimal_places,
        )
        return Decimal, adapt
    return None


def _preparer(field: Any, db: BaseDatabaseWrapper) -> Callable[[Any], Any]:
    """What ``field.get_db_prep_save`` makes of a value, the short way for what a batch
    holds: plain values as they are; dates, aware times and decimals straight to the
    backend's adaptation; anything else (a choices enum, a date as text, a naive time)
    through the field. Values that repeat in a batch (its day, the time it was received,
    temperatures, empty JSON lists) are prepared once. Preparing each value through the
    field's layers and Django's per-thread connection proxy cost more than the database's
    own work on a batch."""
    target = field.target_field if field.is_relation else field
    slow = partial(field.get_db_prep_save, connection=db)
    native = NATIVE.get(target.get_internal_type())
    if native is not None:

        def as_is(value: Any) -> Any:
            return value if value is None or type(value) in native else slow(value)

        return as_is
    prepared: dict[Any, Any] = {}
    if target.get_internal_type() == "JSONField":

        def as_json(value: Any) -> Any:
            # repr tells JSON values apart (types included): the key of what they became
            key = repr(value)
            if key not in prepared:
                prepared[key] = slow(value)
            return prepared[key]

        return as_json
    adapter = _adapter(target, db)
    if adapter is None:
        return slow
    kind, adapt = adapter

    def adapted(value: Any) -> Any:
        if type(value) is not kind or getattr(value, "tzinfo", True) is None:
            return slow(value)  # None, another type, a naive time: the field decides
        if value not in prepared:
            prepared[value] = adapt(value)
        return prepared[value]

    return adapted


def _chunk_size(db: BaseDatabaseWrapper, width: int) -> int:
    """Rows per statement under the driver's limit of parameters (Django assumes 999 for
    SQLite; the library's own limit is read, usually 32,766 or more)."""
    limit = db.features.max_query_params or 65535
    if db.vendor == "sqlite":
        db.ensure_connection()
        limit = db.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, min(MAX_ROWS, limit // max(1, width)))


def _column(meta: Any, name: str) -> str:
    return str(meta.get_field(name).column)


@contextmanager
def _binary_cursor(db: BaseDatabaseWrapper) -> Iterator[Any]:
    """A PostgreSQL cursor that binds parameters on the server (Django's bind on the
    client), wrapped as Django wraps its own: errors translated, queries logged."""
    import psycopg

    db.ensure_connection()
    with db.wrap_database_errors:
        cursor = db._prepare_cursor(psycopg.Cursor(db.connection))  # type: ignore[attr-defined]
    with cursor:
        yield cursor


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
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself, not the per-thread proxy
    meta = model._meta
    fields = [meta.get_field(name) for name in rows[0]]
    prepared = [(name, _preparer(field, db)) for name, field in zip(rows[0], fields, strict=True)]
    quote = db.ops.quote_name
    table = quote(meta.db_table)
    head = f"INSERT INTO {table} ({', '.join(quote(_column(meta, name)) for name in rows[0])}) "
    tail = (
        f" ON CONFLICT ({', '.join(quote(_column(meta, name)) for name in conflict)}) "
        f"{on_conflict.format(table=table)} "
        f"RETURNING {', '.join(quote(_column(meta, name)) for name in returning)}"
    )
    if db.vendor == "postgresql":
        # One array a column whatever the number of rows, bound on the server in binary:
        # a handful of parameters psycopg dumps in C, instead of thousands of placeholders
        # it would parse and quote in Python.
        arrays = [[prepare(row[name]) for row in rows] for name, prepare in prepared]
        unnest = ", ".join(f"%b::{field.db_type(db)}[]" for field in fields)
        with _binary_cursor(db) as cursor:
            cursor.execute(head + f"SELECT * FROM unnest({unnest})" + tail, arrays)  # noqa: S608
            return [tuple(row) for row in cursor.fetchall()]
    with db.cursor() as cursor:
        found: list[tuple[Any, ...]] = []
        placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
        size = _chunk_size(db, len(fields))
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            params = [prepare(row[name]) for row in chunk for name, prepare in prepared]
            values = "VALUES " + ", ".join([placeholder] * len(chunk))
            cursor.execute(head + values + tail, params)
            found.extend(tuple(row) for row in cursor.fetchall())
        return found


def as_date(value: Any) -> dt.date:
    """A date column as returned by a raw cursor (SQLite answers text)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])
