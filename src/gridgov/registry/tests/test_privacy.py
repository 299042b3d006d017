"""No plaintext ID or phone number anywhere in the database: not in the SQLite file's
bytes, not in any column of any table, not in a ``pg_dump`` of a PostgreSQL database."""

from __future__ import annotations

import datetime as dt
import glob
import os
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from gridgov.registry import actions, identity, queries
from gridgov.registry.models import CareTag, Person
from gridgov.registry.tests.core_fixtures import GRID, GRID_2, People, make_id_number, people_ctx

__all__ = ["people_ctx"]

ID_1 = make_id_number("411302", dt.date(1971, 3, 9), 517)
ID_2 = make_id_number("411303", dt.date(1999, 12, 1), 248)
LEGACY = "411302710309518"  # an old 15-digit number, stored as its 18-digit form
PHONES = ("13812345678", "15937760001", "0377-63334567")
CONTACT = "18638881234"


def secrets_written(people: People) -> list[str]:
    """Create people, a care contact, an update and a reveal; return every plaintext."""
    worker = people.worker
    first = actions.create_person(
        actor=worker, name="王芳", grid_code=GRID, id_number=ID_1, phone=PHONES[0]
    )
    second = actions.create_person(
        actor=worker, name="刘洋", grid_code=GRID_2, id_number=ID_2, phone="138 1234 0000"
    )
    actions.update_person(second.pk, actor=worker, expected_version=1, phone="+86 159-3776-0001")
    third = actions.create_person(
        actor=worker, name="陈静", grid_code=GRID, id_number=LEGACY, phone=PHONES[2]
    )
    actions.add_care_tag(
        first.pk, actor=worker, kind="chronic", care_contact_name="王强", care_contact_phone=CONTACT
    )
    assert actions.reveal_number(first.pk, actor=worker, field="id_number") == ID_1
    assert queries.search_people(worker, phone=PHONES[1]).get() == second
    third.refresh_from_db()
    assert third.id_number_masked.endswith(identity.check_char(LEGACY[:6] + "19" + LEGACY[6:]))
    legacy_17 = LEGACY[:6] + "19" + LEGACY[6:]
    legacy_18 = legacy_17 + identity.check_char(legacy_17)
    return [ID_1, ID_2, legacy_18, LEGACY, *PHONES, "63334567", "13812340000", CONTACT]


def leaks_in(data: bytes, secrets: list[str]) -> list[str]:
    found = []
    for secret in secrets:
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            if secret.encode(encoding) in data:
                found.append(f"{secret} ({encoding})")
    return found


def every_column_value() -> bytes:
    """Every value of every table, read through SQL, as one byte string."""
    chunks: list[bytes] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview | bytearray):
                        chunks.append(bytes(value))
                    elif value is not None:
                        chunks.append(str(value).encode())
    return b"\x00".join(chunks)


def sqlite_file_bytes(tmp_path: Path) -> bytes:
    """The database file as it would lie on disk, after a WAL checkpoint. The test database
    of an SQLite run lives in memory; the backup API copies it page by page into a file."""
    raw = connection.connection
    name = connection.settings_dict["NAME"]
    if connection.is_in_memory_db():
        target = tmp_path / "copy.sqlite3"
        with sqlite3.connect(target) as copy:
            raw.backup(copy)
        copy.close()
        return target.read_bytes()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = Path(name).read_bytes()
    wal = Path(f"{name}-wal")
    return data + (wal.read_bytes() if wal.exists() else b"")


@pytest.mark.django_db(transaction=True)
def test_no_plaintext_number_in_any_column(people_ctx: People) -> None:
    secrets = secrets_written(people_ctx)
    data = every_column_value()
    assert "王芳".encode() in data  # the scan does see the rows
    assert leaks_in(data, secrets) == []


@pytest.mark.django_db(transaction=True)
def test_no_plaintext_number_in_the_sqlite_file(people_ctx: People, tmp_path: Path) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    secrets = secrets_written(people_ctx)
    data = sqlite_file_bytes(tmp_path)
    assert "王芳".encode() in data
    assert leaks_in(data, secrets) == []


def pg_dump_binary() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"))
    return found[-1] if found else None


@pytest.mark.django_db(transaction=True)
def test_no_plaintext_number_in_a_pg_dump(people_ctx: People) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    binary = pg_dump_binary()
    if binary is None:
        pytest.skip("pg_dump is not installed")
    secrets = secrets_written(people_ctx)
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    argv = [
        binary,
        "--no-owner",
        "--dbname",
        db["NAME"],
        "--username",
        db.get("USER") or "postgres",
    ]
    if db.get("HOST"):
        argv += ["--host", db["HOST"]]
    if db.get("PORT"):
        argv += ["--port", str(db["PORT"])]
    dump = subprocess.run(argv, env=env, capture_output=True, check=True, timeout=120).stdout
    assert "王芳".encode() in dump
    assert leaks_in(dump, secrets) == []


@pytest.mark.django_db
def test_the_operators_admin_shows_masked_numbers_only(
    people_ctx: People, make_user: Any, client: Client
) -> None:
    secrets = secrets_written(people_ctx)
    operator = make_user(is_superuser=True, is_staff=True)
    client.force_login(operator)
    person = Person.objects.get(name="王芳")
    tag = CareTag.objects.get()
    pages = [
        "/ops/admin/registry/person/",
        f"/ops/admin/registry/person/{person.pk}/change/",
        f"/ops/admin/registry/caretag/{tag.pk}/change/",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert leaks_in(response.content, secrets) == [], url
    assert person.id_number_masked.encode() in client.get(pages[1]).content
    assert client.get("/ops/admin/registry/person/add/").status_code == 403
