"""Writing many rows fast inside the caller's transaction: the importer's storage layer.

- ``insert_rows``: ``COPY … FROM STDIN`` on PostgreSQL, one prepared ``executemany`` on
  SQLite — no model instances, no per-row SQL compilation (the ORM's ``bulk_create``
  spends more time building objects than the database spends storing them).
- ``BulkTable``: the same, split in two so that the costly half runs elsewhere — rows are
  encoded for the database (PostgreSQL: COPY's binary format; SQLite: columns, constant
  ones apart) in the importer's worker processes (``encode``), and the importing process
  only picks the rows to keep and writes them (``write``).
- ``DeferredIndexes``: for a load that is large next to the table, drop the table's
  secondary indexes (but those the caller keeps) and build them again at the end.
  Building an index from sorted keys costs a fraction of keeping it up to date row by
  row when the keys arrive in random order (keyed hashes do). Unique indexes are dropped
  too — the caller must have ruled out duplicates itself; building them again at the end
  checks it. Runs inside the import's transaction: DDL is transactional on SQLite and
  PostgreSQL, so a failed import restores the indexes too. On PostgreSQL, DROP INDEX
  locks the table until the commit: for bulk loads only.
- ``import_pragmas``: SQLite settings for the importing connection only, all safe for
  durability (a larger page cache for the inserts, sorter threads for the index builds;
  ``synchronous`` untouched).
"""

from __future__ import annotations

import datetime as dt
import itertools
import struct
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

# COPY's binary format (PostgreSQL): a signature and two empty header words, the rows (a
# 16-bit field count, then each field as a 32-bit length and its bytes), a -1 field count.
COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
COPY_TRAILER = b"\xff\xff"


class Same(NamedTuple):
    """A column holding ``value`` in every row (sent and written once, not once per row)."""

    value: Any


class Encoded(NamedTuple):
    """Rows encoded for one database by ``BulkTable.encode`` (in a worker process), for
    ``BulkTable.write``."""

    vendor: str
    names: tuple[str, ...]  # the columns of ``values``, in order
    values: Any  # PostgreSQL: the rows in COPY's binary format; SQLite: a list per column
    constants: tuple[tuple[str, Any], ...]  # SQLite: (column, value) written as SQL literals
    size: int  # rows
    ends: Sequence[int] = ()  # PostgreSQL: where each row ends in ``values``


class BulkTable:
    """Rows of one table encoded in one process and written in another: ``encode`` runs in
    the importer's worker processes, ``write`` in the importing process, inside its
    transaction. Made in the importing process before the workers are forked (PostgreSQL:
    the columns' types read from the catalogue, for the binary encoding).

    PostgreSQL gets COPY's binary format, encoded by psycopg's own row formatter (in C): the
    server then parses no text — no timestamps, no hex of the sealed numbers — which costs
    it a third of the time text takes for these rows, and the encoding costs the workers
    less than building the text did."""

    def __init__(self, table: str) -> None:
        self.table = table
        self.vendor = connection.vendor
        self.types = _column_types(table) if self.vendor == POSTGRES else {}
        self._formats: dict[tuple[str, ...], Any] = {}

    def encode(self, names: Sequence[str], columns: Sequence[Sequence[Any] | Same]) -> Encoded:
        """Rows given as columns of plain values (str, int, float, bytes, date or ISO date
        text, datetime, None; ``Same`` for a column with one value): PostgreSQL, the rows
        in COPY's binary format and where each ends; SQLite, the columns themselves (lists
        pickle faster between processes than as many tuples), constant ones apart."""
        n = next(len(c) for c in columns if not isinstance(c, Same))
        names = tuple(names)
        if self.vendor == POSTGRES:
            data, ends = self._binary_rows(names, columns, n)
            return Encoded(self.vendor, names, data, (), n, ends)
        pairs = list(zip(names, columns, strict=True))
        varying = [(name, c) for name, c in pairs if not isinstance(c, Same)]
        constants = tuple((name, c.value) for name, c in pairs if isinstance(c, Same))
        varying_names = tuple(name for name, _ in varying)
        return Encoded(self.vendor, varying_names, [c for _, c in varying], constants, n)

    def _binary_rows(
        self, names: tuple[str, ...], columns: Sequence[Sequence[Any] | Same], n: int
    ) -> tuple[bytes, list[int]]:
        format_row, transformer = self._format(names)
        values = [
            itertools.repeat(_binary_value(c.value, oid), n)
            if isinstance(c, Same)
            else _binary_column(c, oid)
            for c, oid in zip(columns, self._oids(names), strict=True)
        ]
        out = bytearray()
        ends = []
        for row in zip(*values, strict=True):
            format_row(row, transformer, out)
            ends.append(len(out))
        return bytes(out), ends

    def _oids(self, names: Sequence[str]) -> list[int]:
        return [self.types[name] for name in names]

    def _format(self, names: tuple[str, ...]) -> tuple[Any, Any]:
        """psycopg's binary row formatter and a transformer set to these columns' types."""
        if names not in self._formats:
            from psycopg import pq
            from psycopg.adapt import Transformer

            try:  # psycopg 3.2+
                from psycopg._copy_base import format_row_binary
            except ImportError:  # psycopg 3.1
                from psycopg.copy import format_row_binary  # type: ignore[attr-defined,no-redef]
            transformer = Transformer()
            transformer.set_dumper_types(self._oids(names), pq.Format.BINARY)
            self._formats[names] = (format_row_binary, transformer)
        return self._formats[names]

    def write(
        self,
        encoded: Encoded,
        *,
        keep: Sequence[int] | None = None,
        extra: tuple[str, Sequence[Any]] | None = None,
    ) -> int:
        """Insert encoded rows — only those at the positions ``keep`` (ascending) when
        given — with an ``extra`` column (name, a value per written row) after the others.
        SQLite takes the constant columns as literals of the statement, not as parameters
        of every row."""
        assert encoded.vendor == connection.vendor == self.vendor
        count = encoded.size if keep is None else len(keep)
        if not count:
            return 0
        names = encoded.names + ((extra[0],) if extra is not None else ())
        table, columns = quote(self.table), ", ".join(map(quote, names))
        with connection.cursor() as cursor:
            if self.vendor == POSTGRES:
                with cursor.cursor.copy(
                    f"COPY {table} ({columns}) FROM STDIN (FORMAT binary)"
                ) as copy:
                    copy.write(COPY_SIGNATURE)
                    for block in self._binary_blocks(encoded, keep, extra):
                        copy.write(block)
                    copy.write(COPY_TRAILER)
                return count
            rows: list[Any] = list(zip(*encoded.values, strict=True))
            if keep is not None:
                rows = [rows[i] for i in keep]
            if extra is not None:
                rows = [(*r, value) for r, value in zip(rows, extra[1], strict=True)]
            constants = encoded.constants
            columns = ", ".join(map(quote, (*names, *(name for name, _ in constants))))
            values = ", ".join(["%s"] * len(names) + [_literal(v) for _, v in constants])
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({values})", rows)  # noqa: S608
        return count

    def _binary_blocks(
        self,
        encoded: Encoded,
        keep: Sequence[int] | None,
        extra: tuple[str, Sequence[Any]] | None,
    ) -> Iterator[Any]:
        """The kept rows of ``encoded`` as slices of its data — one per run of consecutive
        rows, or one per row when each gets the extra field."""
        data, ends = memoryview(encoded.values), encoded.ends
        positions: Sequence[int] = range(encoded.size) if keep is None else keep
        if extra is None:
            for first, last in _runs(positions):
                yield data[ends[first - 1] if first else 0 : ends[last]]
            return
        name, values = extra
        count = struct.pack("!h", len(encoded.names) + 1)
        fields = self._fields(name, values)
        for i, field in zip(positions, fields, strict=True):
            yield count + data[(ends[i - 1] if i else 0) + 2 : ends[i]] + field

    def _fields(self, name: str, values: Sequence[Any]) -> list[bytes]:
        """Each value of column ``name`` as a binary field (length and bytes)."""
        format_row, transformer = self._format((name,))
        oid = self.types[name]
        fields = []
        for value in _binary_column(values, oid):
            row = bytearray()
            format_row((value,), transformer, row)
            fields.append(bytes(row[2:]))  # without the row's field count
        return fields


def _runs(positions: Iterable[int]) -> Iterator[tuple[int, int]]:
    """(first, last) of each run of consecutive numbers in ascending ``positions``."""
    first = last = -2
    for i in positions:
        if i != last + 1:
            if first >= 0:
                yield first, last
            first = i
        last = i
    if first >= 0:
        yield first, last


_DATE_OID = 1082  # PostgreSQL's date type


def _binary_value(value: Any, oid: int) -> Any:
    """A plain value as psycopg's binary dumper of its column's type takes it (dates
    arrive as ISO text from the workers' checks)."""
    if oid == _DATE_OID and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def _binary_column(values: Sequence[Any], oid: int) -> Sequence[Any]:
    if oid == _DATE_OID and any(isinstance(v, str) for v in values):
        return [_binary_value(v, oid) for v in values]
    return values


def _column_types(table: str) -> dict[str, int]:
    """{column: type oid} of a PostgreSQL table."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, atttypid::int FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
            [quote(table)],
        )
        return dict(cursor.fetchall())


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
    """Drop a table's secondary indexes now, create them again with ``restore`` — but for
    those on ``keep`` columns only: columns whose new values land at the end of their index
    (NULLs, ids of rows just created), which it takes row by row for next to nothing, while
    building it again reads the whole table (PostgreSQL: 0.4–0.8 s for a million people's
    household ids, all NULL)."""

    def __init__(self, table: str, *, keep: Iterable[str] = ()) -> None:
        self.table = table
        self.keep = frozenset(keep)
        self.dropped: list[tuple[str, str]] = []

    @property
    def active(self) -> bool:
        return bool(self.dropped)

    def drop(self) -> None:
        with connection.cursor() as cursor:
            found = connection.introspection.get_constraints(cursor, self.table)
        kept = {name for name, info in found.items() if set(info["columns"]) <= self.keep}
        self.dropped = [(n, sql) for n, sql in _secondary_indexes(self.table) if n not in kept]
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
