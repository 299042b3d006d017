"""Exporting the people of a territory node to XLSX or CSV.

The columns are the import template's (Chinese headers), so an export can be edited and
imported again in update mode. ID and phone numbers are masked unless the user asks to
reveal them *and* holds ``registry.reveal`` over the whole node; every export is audited
("registry.export" with the node, format, reveal flag and row count) before a row leaves.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import transaction

from gridgov.accounts import scope
from gridgov.audit.actions import record
from gridgov.core import crypto
from gridgov.core.errors import NotFound
from gridgov.registry import queries, spreadsheets
from gridgov.registry.columns import (
    COLUMNS,
    RELATION_LABELS,
    RESIDENCE_LABELS,
    SEX_LABELS,
    STATUS_LABELS,
)
from gridgov.territory.models import Region

EXPORT = "registry.export"
REVEAL = "registry.reveal"
SHEET = "人口信息"
_FIELDS = (
    "name",
    "sex",
    "birth_date",
    "id_number_enc",
    "id_number_masked",
    "phone_enc",
    "phone_masked",
    "key_id",
    "ethnicity",
    "hukou_code",
    "residence_type",
    "status",
    "address",
    "grid_code",
    "lon",
    "lat",
    "household_id",
    "relation",
)


def export_filename(code: str, fmt: str) -> str:
    return f"people-{code}.{fmt}"


def export_people(
    user: Any, code: str, format: str = "xlsx", reveal: bool = False
) -> bytes | Iterator[bytes]:
    """The people under ``code`` the user may export: XLSX bytes, or CSV (UTF-8 with a
    BOM) as an iterator of byte chunks to stream. Outside the user's scope NotFound;
    without ``registry.export`` (or ``registry.reveal`` when revealing) PermissionDenied."""
    fmt = spreadsheets.check_format(format)
    code = str(code or "").strip()
    scope.require(user, EXPORT, code)
    if reveal:
        scope.require(user, REVEAL, code)
    if not Region.objects.filter(code=code).exists():
        raise NotFound()
    people = (
        queries.visible_people(user)
        .filter(scope.scope_filter(user, capability=EXPORT), grid_code__startswith=code)
        .order_by("grid_code", "pk")
    )
    with transaction.atomic():
        count = people.count()
        record(
            EXPORT,
            actor=user,
            object_type="territory.region",
            object_id=code,
            object_repr=code,
            grid_code=code,
            changes={"format": fmt, "reveal": bool(reveal), "rows": count},
        )
    rows = _rows(people.values_list(*_FIELDS).iterator(chunk_size=2000), reveal)
    headers = [c.header for c in COLUMNS]
    if fmt == "csv":
        return spreadsheets.csv_lines(headers, rows)
    return spreadsheets.write_xlsx([(SHEET, headers, rows)])


def _number(blob: Any, masked: str, key_id: str, reveal: bool) -> str:
    if not reveal or not blob:
        return masked
    return crypto.decrypt(bytes(blob), key_id)


def _rows(values: Iterator[tuple[Any, ...]], reveal: bool) -> Iterator[list[Any]]:
    """Rows in template column order (columns.COLUMNS), values as the template writes them."""
    for (
        name,
        sex,
        born,
        id_blob,
        id_masked,
        phone_blob,
        phone_masked,
        key_id,
        ethnicity,
        hukou,
        residence,
        status,
        address,
        grid,
        lon,
        lat,
        household_id,
        relation,
    ) in values:
        yield [
            name,
            SEX_LABELS.get(sex, sex),
            born.isoformat() if born else "",
            _number(id_blob, id_masked, key_id, reveal),
            _number(phone_blob, phone_masked, key_id, reveal),
            ethnicity,
            hukou,
            RESIDENCE_LABELS.get(residence, residence),
            STATUS_LABELS.get(status, status),
            address,
            grid,
            "" if lon is None else lon,
            "" if lat is None else lat,
            f"H{household_id}" if household_id else "",
            RELATION_LABELS.get(relation, relation),
        ]
