"""Data key rotation without downtime (``gridgov keys rotate``).

A run first looks whether rows are still encrypted under a key other than the current
one. If so it carries on re-encrypting them (a previous run was interrupted, or the
operator set a new ``GRIDGOV_DATA_KEY`` in the environment). Otherwise it makes a new
key: it appends the current key to ``GRIDGOV_HOME/data_keys_retired``, writes the new one
to ``GRIDGOV_HOME/data_key`` (both 0600, each replaced atomically), and re-encrypts.
A current key set in the environment cannot be replaced from here: the run then says
which new key and which retired keys to configure.

Re-encryption walks each table holding encrypted numbers (people, care tags, the
reporter's phone on cases) by primary
key in batches; each batch is one transaction that locks its rows, decrypts with the row's
key, seals again under the current key and recomputes the look-up hashes. Rows written
meanwhile by servers still on the old key are picked up by the next run: the work left is
always "rows whose key id is not the current one". Servers read the new key files on
their own (``core.crypto``), and find rows under either key during the switch because
searches use the hashes under every key of the ring.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from gridgov.accounts import scope
from gridgov.audit.actions import record
from gridgov.cases import privacy as case_privacy
from gridgov.cases.models import Case
from gridgov.core import crypto
from gridgov.core.errors import DomainError, PermissionDenied
from gridgov.registry import privacy
from gridgov.registry.models import CareTag, Person

Progress = Callable[[int, int], None]


class RotationNeedsOperator(DomainError):
    """The current key comes from the environment: the operator must set the new one."""

    code = "key_from_environment"
    status = 409

    def __init__(self, new_key: str, retired: list[str]) -> None:
        self.new_key = new_key
        self.retired = retired
        super().__init__(_("The data key is set in the environment; set the new key there."))


def _reseal_person(person: Person) -> dict[str, Any]:
    numbers = privacy.person_numbers(person)
    return privacy.seal_person_numbers(numbers["id_number"], numbers["phone"])


def _reseal_tag(tag: CareTag) -> dict[str, Any]:
    return privacy.seal_contact_phone(privacy.contact_phone(tag))


TABLES: tuple[tuple[type[models.Model], Callable[[Any], dict[str, Any]]], ...] = (
    (Person, _reseal_person),
    (CareTag, _reseal_tag),
    (Case, case_privacy.reseal),
)


@dataclass
class RotationResult:
    old_key_id: str
    new_key_id: str
    generated: bool
    rows: int = 0
    remaining: int = 0
    per_table: dict[str, int] = field(default_factory=dict)


def _stale(model: type[models.Model], current: str) -> models.QuerySet:
    return model._default_manager.exclude(key_id="").exclude(key_id=current)


def pending_rows(current: str | None = None) -> int:
    current = current or crypto.current_key_id()
    return sum(_stale(model, current).count() for model, _reseal in TABLES)


def status() -> dict[str, Any]:
    """Key ids of the ring and how many rows each table holds under each key id."""
    ring = crypto.reload()
    rows: dict[str, dict[str, int]] = {}
    for model, _reseal in TABLES:
        grouped = (
            model._default_manager.exclude(key_id="")
            .values_list("key_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        rows[model._meta.label_lower] = dict(grouped)
    return {
        "current": ring.current.key_id,
        "source": "environment" if crypto.current_from_environment() else "file",
        "retired": [k.key_id for k in ring.keys[1:]],
        "rows": rows,
    }


def _write_secret(path: Path, text: str) -> None:
    """Replace a key file atomically with an owner-only one."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _retire(old_text: str) -> None:
    path = crypto.retired_key_file()
    lines = path.read_text().splitlines() if path.exists() else []
    lines = [line.strip() for line in lines if line.strip()]
    if old_text.strip() not in lines:
        lines.append(old_text.strip())
    _write_secret(path, "\n".join(lines) + "\n")


def new_key() -> str:
    """Make a new current key in GRIDGOV_HOME (the old one retired first); its id."""
    old = crypto.encode_key(crypto.reload().current.raw)
    _retire(old)
    _write_secret(crypto.current_key_file(), crypto.new_key_text() + "\n")
    return crypto.reload().current.key_id


def _update_rows(model: type[models.Model], pks: list[int], values: list[dict[str, Any]]) -> None:
    """Write a batch of re-sealed rows. PostgreSQL: one UPDATE joined to the batch passed as
    arrays (unnest); SQLite: one prepared UPDATE per row through executemany. Either is far
    faster than the ORM's bulk_update, whose CASE expressions grow with the batch."""
    quote = connection.ops.quote_name
    names = list(values[0])
    table = quote(model._meta.db_table)
    pk = quote(model._meta.pk.column or "id")
    if connection.vendor == "postgresql":
        types = [model._meta.get_field(n).db_type(connection) for n in names]
        arrays = ", ".join(["%s::bigint[]", *(f"%s::{t}[]" for t in types)])
        columns = ", ".join(quote(n) for n in names)
        assignments = ", ".join(f"{quote(n)} = v.{quote(n)}" for n in names)
        sql = (
            f"UPDATE {table} SET {assignments} FROM unnest({arrays}) "  # noqa: S608
            f"AS v(pk, {columns}) WHERE {table}.{pk} = v.pk"
        )
        params = [pks, *([v[n] for v in values] for n in names)]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        return
    assignments = ", ".join(f"{quote(n)} = %s" for n in names)
    sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(
            sql, [[v[n] for n in names] + [k] for k, v in zip(pks, values, strict=True)]
        )


def _reencrypt_batch(
    model: type[models.Model], reseal: Callable, current: str, after_pk: int, batch: int
) -> tuple[int, int]:
    """Seal again the next ``batch`` rows after ``after_pk`` not under ``current``, in one
    transaction: (rows done, last primary key). Walking forward by primary key keeps a run
    linear in the table's size."""
    with transaction.atomic():
        # Only the sealed columns are loaded: they are all a row's re-encryption needs.
        sealed_columns = [f.name for f in model._meta.concrete_fields if f.name.endswith("_enc")]
        rows = list(
            _stale(model, current)
            .filter(pk__gt=after_pk)
            .only("key_id", *sealed_columns)
            .select_for_update()
            .order_by("pk")[:batch]
        )
        if not rows:
            return 0, after_pk
        sealed = [reseal(row) for row in rows]
        _update_rows(model, [row.pk for row in rows], sealed)
    return len(rows), rows[-1].pk


def rotate(
    *,
    actor: Any,
    batch: int = 1000,
    progress: Progress | None = None,
    max_batches: int | None = None,
) -> RotationResult:
    """Re-encrypt what is left under old keys, or make a new key and re-encrypt all.

    ``max_batches`` stops early (the rest is done by the next run), for maintenance
    windows. Only an operator (or the system) may rotate; one audit event per run.
    """
    if not scope.is_operator(actor):
        raise PermissionDenied()
    ring = crypto.reload()
    old_id = ring.current.key_id
    generated = False
    if pending_rows(old_id) == 0:
        if crypto.current_from_environment():
            raise RotationNeedsOperator(
                crypto.new_key_text(), [crypto.encode_key(k.raw) for k in ring.keys]
            )
        new_key()
        generated = True
    current = crypto.current_key_id()
    total = pending_rows(current)
    result = RotationResult(old_key_id=old_id, new_key_id=current, generated=generated)
    batches = 0
    for model, reseal in TABLES:
        label = model._meta.label_lower
        result.per_table[label] = 0
        last_pk = 0
        while max_batches is None or batches < max_batches:
            done, last_pk = _reencrypt_batch(model, reseal, current, last_pk, batch)
            if not done:
                break
            batches += 1
            result.rows += done
            result.per_table[label] += done
            if progress:
                progress(result.rows, total)
    result.remaining = pending_rows(current)
    record(
        "registry.keys.rotate",
        actor=actor,
        object_type="core.datakey",
        object_id=current,
        object_repr=current,
        changes={
            "from_key": old_id,
            "to_key": current,
            "generated": generated,
            "rows": result.rows,
            "remaining": result.remaining,
        },
    )
    return result
