"""Writing many rows fast inside the caller's transaction: the importer's storage layer.

- ``insert_rows``: ``COPY … FROM STDIN`` on PostgreSQL, one prepared ``executemany`` on
  SQLite — no model instances, no per-row SQL compilation (the ORM's ``bulk_create``
  spends more time building objects than the database spends storing them).
- ``encode`` / ``write``: the same, split in two so that the costly half runs elsewhere —
  rows are encoded for the database a column at a time (PostgreSQL: lines of COPY's text
  format; SQLite: columns, constant ones apart), in the importer's worker processes, and
  the importing process only picks the rows to keep and writes them.
- ``DeferredIndexes``: for a load that is large next to the table, drop the table's
  secondary indexes and build them again at the end. Building an index from sorted keys
  costs a fraction of keeping it up to date row by row when the keys arrive in random
  order (keyed hashes do). Unique indexes are dropped too — the caller must have ruled
  out duplicates itself; building them again at the end checks it. Runs inside the
  import's transaction: DDL is transactional on SQLite and PostgreSQL, so a failed import
  restores the indexes too. On PostgreSQL, DROP INDEX locks the table until the commit:
  for bulk loads only.
- ``import_pragmas``: SQLite settings for the importing connection only, all safe for
  durability (a larger page cache for the inserts, sorter threads for the index builds;
  ``synchronous`` untouched).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

from django.db import connection

SQLITE_CACHE_KIB = 262_144  # 256 MB of page cache while importing
SQLITE_SORT_CACHE_KIB = -2000  # SQLite's default 2 MB, while building indexes
INDEX_BUILD_MB = 256  # PostgreSQL maintenance_work_mem for building the deferred indexes
POSTGRES = "postgresql"


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def insert_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert plain-value rows (str, int, float, bytes, None) into ``table``."""
    rows = rows if isinstance(rows, list) else list(rows)
    if not rows:
        return 0
    names = ", ".join(quote(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == POSTGRES:
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})", rows)  # noqa: S608
    return len(rows)


# --- rows encoded ahead of writing ---------------------------------------------------------

COPY_NULL = "\\N"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _needs_escape(text: str) -> bool:
    return "\\" in text or "\t" in text or "\n" in text or "\r" in text


def _copy_field(value: Any) -> str:
    if value is None:
        return COPY_NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\\\x" + bytes(value).hex()
    if isinstance(value, dt.date):  # datetimes too
        return value.isoformat()
    return str(value).translate(_COPY_ESCAPES)


def copy_column(values: Sequence[Any]) -> list[str]:
    """One column's values as fields of COPY's text format. The usual kinds (text, numbers,
    bytes) are converted a column at a time; text is escaped only when some value needs it."""
    kinds = set(map(type, values))
    has_null = type(None) in kinds
    kinds.discard(type(None))
    if kinds <= {str}:
        present = [v for v in values if v is not None] if has_null else values
        if _needs_escape("".join(present)):
            values = [v if v is None else v.translate(_COPY_ESCAPES) for v in values]
        return [COPY_NULL if v is None else v for v in values] if has_null else list(values)
    if kinds <= {int, float}:
        return [COPY_NULL if v is None else str(v) for v in values]
    if kinds <= {bytes}:
        return [COPY_NULL if v is None else "\\\\x" + v.hex() for v in values]
    return [_copy_field(v) for v in values]


class Same(NamedTuple):
    """A column holding ``value`` in every row (sent and written once, not once per row)."""

    value: Any


class Encoded(NamedTuple):
    """Rows encoded for one database by ``encode`` (in a worker process), for ``write``."""

    vendor: str
    names: tuple[str, ...]  # the columns of ``values``, in order
    values: Any  # PostgreSQL: lines of COPY text; SQLite: one list of values per column
    constants: tuple[tuple[str, Any], ...]  # SQLite: (column, value) written as SQL literals
    size: int  # rows


def encode(names: Sequence[str], columns: Sequence[Sequence[Any] | Same], vendor: str) -> Encoded:
    """Rows given as columns of plain values (str, int, float, bytes, date, None; ``Same``
    for a column with one value), encoded for ``vendor``'s database: PostgreSQL, lines of
    COPY text; SQLite, the columns themselves (lists pickle faster between processes than
    as many tuples), constant ones apart."""
    n = next(len(c) for c in columns if not isinstance(c, Same))
    if vendor == POSTGRES:
        fields = [
            itertools.repeat(copy_column([c.value])[0], n)
            if isinstance(c, Same)
            else copy_column(c)
            for c in columns
        ]
        lines = list(map("\t".join, zip(*fields, strict=True)))
        return Encoded(vendor, tuple(names), lines, (), n)
    pairs = list(zip(names, columns, strict=True))
    varying = [(name, c) for name, c in pairs if not isinstance(c, Same)]
    constants = tuple((name, c.value) for name, c in pairs if isinstance(c, Same))
    return Encoded(vendor, tuple(n for n, _ in varying), [c for _, c in varying], constants, n)


def _copy_fields(column: Sequence[Any] | Same, n: int) -> Iterable[str]:
    if isinstance(column, Same):
        return itertools.repeat(copy_column([column.value])[0], n)
    return copy_column(column)


def write(
    table: str,
    encoded: Encoded,
    *,
    keep: Sequence[int] | None = None,
    extra: tuple[str, Sequence[Any]] | None = None,
) -> int:
    """Insert encoded rows — only those at the positions ``keep`` when given — with an
    ``extra`` column (name, a value per written row) after the others. SQLite takes the
    constant columns as literals of the statement, not as parameters of every row."""
    assert encoded.vendor == connection.vendor
    postgres = encoded.vendor == POSTGRES
    rows: list[Any] = encoded.values if postgres else list(zip(*encoded.values, strict=True))
    if keep is not None:
        rows = [rows[i] for i in keep]
    names = encoded.names
    if extra is not None:
        names += (extra[0],)
        if postgres:
            rows = [f"{r}\t{f}" for r, f in zip(rows, copy_column(extra[1]), strict=True)]
        else:
            rows = [(*r, value) for r, value in zip(rows, extra[1], strict=True)]
    if not rows:
        return 0
    with connection.cursor() as cursor:
        if postgres:
            columns = ", ".join(map(quote, names))
            with cursor.cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
                copy.write("\n".join(rows))
                copy.write("\n")
        else:
            columns = ", ".join(map(quote, (*names, *(name for name, _ in encoded.constants))))
            values = ", ".join(["%s"] * len(names) + [_literal(v) for _, v in encoded.constants])
            cursor.executemany(f"INSERT INTO {quote(table)} ({columns}) VALUES ({values})", rows)  # noqa: S608
    return len(rows)


def _literal(value: Any) -> str:
    """An SQL literal of a plain value (for SQLite's constant columns)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, bytes):
        return f"X'{value.hex()}'"
    return "'" + str(value).replace("'", "''") + "'"


# What ``array_param`` joins a column with: a control character that no code, measure or
# JSON text holds (json.dumps escapes it).
_ARRAY_SEPARATOR = "\x1f"
# SQL for one such parameter as an array of text (cast it for other element types).
ARRAY_PARAM = "string_to_array(%s, chr(31))"


def array_param(values: Sequence[Any]) -> str:
    """A column of values (text or numbers) as one parameter of ``ARRAY_PARAM``, for
    PostgreSQL's ``unnest``. psycopg adapts a list as an array element by element, in
    Python: 0.7 s for the 350,000 counts of a million-person import, a hundredth of that
    as one joined string."""
    text = _ARRAY_SEPARATOR.join(map(str, values))
    if values and (text.count(_ARRAY_SEPARATOR) != len(values) - 1 or not text):
        # string_to_array would split inside a value, or read a lone "" as no element.
        raise ValueError("array_param: a value holds \\x1f, or a lone empty value")
    return text


def max_params() -> int:
    """How many parameters one statement may carry (for ``IN`` lists)."""
    if connection.vendor == "sqlite":
        import sqlite3

        connection.ensure_connection()
        raw = connection.connection
        limit = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) if raw else 999
        return max(100, min(limit - 10, 30_000))
    return 30_000


def _secondary_indexes(table: str) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the table's indexes other than the primary key's and
    those backing a constraint, from the catalogue."""
    with connection.cursor() as cursor:
        if connection.vendor == POSTGRES:
            cursor.execute(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
                "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
                "WHERE t.relname = %s AND NOT x.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) "
                "AND t.relnamespace = to_regnamespace(current_schema())::oid",
                [table],
            )
            return list(cursor.fetchall())
        cursor.execute(
            # Indexes SQLite made itself for constraints have no SQL and stay.
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
            "AND sql IS NOT NULL",
            [table],
        )
        return list(cursor.fetchall())


class DeferredIndexes:
    """Drop a table's secondary indexes now, create them again with ``restore``."""

    def __init__(self, table: str) -> None:
        self.table = table
        self.dropped: list[tuple[str, str]] = []

    @property
    def active(self) -> bool:
        return bool(self.dropped)

    def drop(self) -> None:
        self.dropped = _secondary_indexes(self.table)
        with connection.cursor() as cursor:
            for name, _sql in self.dropped:
                cursor.execute(f"DROP INDEX {quote(name)}")

    def restore(self) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == POSTGRES:
                # Deferred foreign-key checks of the new rows run now: PostgreSQL builds
                # no index on a table with trigger events pending.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                # Sorting memory for the builds, for this transaction only (never lowered).
                cursor.execute(
                    "SELECT set_config('maintenance_work_mem', %s, true) "
                    "WHERE pg_size_bytes(current_setting('maintenance_work_mem')) < %s",
                    [f"{INDEX_BUILD_MB}MB", INDEX_BUILD_MB << 20],
                )
            with _sqlite_sort_cache(cursor):
                for _name, sql in self.dropped:
                    cursor.execute(sql)
            if connection.vendor == POSTGRES:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        self.dropped = []


@contextmanager
def _sqlite_sort_cache(cursor: Any) -> Iterator[None]:
    """SQLite sorts an index build in runs the size of the page cache, merged by the
    sorter threads: a small cache (SQLite's default) builds a million-row index twice as
    fast as the large one the inserts want."""
    if connection.vendor != "sqlite":
        yield
        return
    cursor.execute("PRAGMA cache_size")
    previous = int(cursor.fetchone()[0])
    cursor.execute(f"PRAGMA cache_size = {SQLITE_SORT_CACHE_KIB}")
    try:
        yield
    finally:
        cursor.execute(f"PRAGMA cache_size = {previous}")


@contextmanager
def import_pragmas() -> Iterator[None]:
    """A bigger page cache and sorter threads on SQLite for the duration of an import; the
    connection's previous values come back afterwards."""
    if connection.vendor != "sqlite":
        yield
        return
    settings = {"cache_size": -SQLITE_CACHE_KIB, "threads": 2}
    with connection.cursor() as cursor:
        previous = {}
        for name in settings:
            cursor.execute(f"PRAGMA {name}")
            previous[name] = cursor.fetchone()[0]
        for name, value in settings.items():
            cursor.execute(f"PRAGMA {name} = {int(value)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for name, value in previous.items():
                cursor.execute(f"PRAGMA {name} = {int(value)}")


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
