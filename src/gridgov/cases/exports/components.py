"""Exporting the components of a territory node as CSV, XLSX or GeoJSON, and the import
template.

The spreadsheet columns are the import's (Chinese headers, states as 完好/破损/…), so an
edited export imports again in update mode; the GeoJSON is a FeatureCollection of Point
features whose properties are the same fields under their field names (a component
without coordinates has a null geometry), which imports again as it is. Every export is
audited ("components.export" with the node, format and row count) before a row leaves.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.db import transaction

from gridgov.accounts import scope
from gridgov.audit.actions import record
from gridgov.cases.actions.components import STATE_LABELS_ZH
from gridgov.cases.importers.components import COLUMNS
from gridgov.cases.queries import components as queries
from gridgov.core.errors import NotFound
from gridgov.registry import spreadsheets
from gridgov.territory.models import Region

VIEW = queries.VIEW
FORMATS = ("csv", "xlsx", "geojson")
SHEET = "部件信息"
CLASS_NAME_HEADER = "小类名称"  # shown after the class code; the import ignores it
# The columns read for each of the import's fields, in its order (the class also by name).
_LOOKUPS = {
    "case_class": ("case_class__code", "case_class__name"),
    "competent_department": ("competent_department__name",),
}
_VALUES = tuple(name for c in COLUMNS for name in _LOOKUPS.get(c.field, (c.field,)))


def export_filename(code: str, fmt: str) -> str:
    return f"components-{code}.{fmt}"


def headers() -> list[str]:
    names = [c.header for c in COLUMNS]
    return [*names[:2], CLASS_NAME_HEADER, *names[2:]]


def export_components(
    user: Any, code: str, format: str = "xlsx", **filters: Any
) -> bytes | Iterator[bytes]:
    """The components in use under ``code`` the user may see (optionally filtered like
    the list: q, class_code, state, department): XLSX bytes, or CSV / GeoJSON as an
    iterator of byte chunks to stream. Outside the user's scope NotFound."""
    fmt = spreadsheets.check_format(format, FORMATS)
    code = str(code or "").strip()
    scope.require(user, VIEW, code or None)
    if not Region.objects.filter(code=code).exists():
        raise NotFound()
    rows = (
        queries.search_components(user, code=code, **filters)
        .order_by("component_id")
        .values_list(*_VALUES)
    )
    with transaction.atomic():
        count = rows.count()
        record(
            "components.export",
            actor=user,
            object_type="territory.region",
            object_id=code,
            object_repr=code,
            grid_code=code,
            changes={"format": fmt, "rows": count, **{k: v for k, v in filters.items() if v}},
        )
    values = rows.iterator(chunk_size=2000)
    if fmt == "geojson":
        return _geojson_chunks(values)
    table = (_cells(row) for row in values)
    if fmt == "csv":
        return spreadsheets.csv_lines(headers(), table)
    return spreadsheets.write_xlsx([(SHEET, headers(), table)])


def _cells(row: tuple[Any, ...]) -> list[Any]:
    (cid, class_code, class_name, name, dept, owner, maintainer, state, grid, lon, lat) = row[:11]
    surveyed, changed, source, note = row[11:]
    return [
        cid,
        class_code,
        class_name,
        name,
        dept or "",
        owner,
        maintainer,
        STATE_LABELS_ZH.get(state, state),
        grid,
        "" if lon is None else lon,
        "" if lat is None else lat,
        surveyed.isoformat() if surveyed else "",
        changed.isoformat() if changed else "",
        source,
        note,
    ]


def feature(row: tuple[Any, ...]) -> dict[str, Any]:
    """One exported component as a GeoJSON Point feature with its fields as properties."""
    cells = _cells(row)
    properties = {
        "component_id": cells[0],
        "case_class": cells[1],
        "class_name": cells[2],
        "name": cells[3],
        "competent_department": cells[4],
        "owner": cells[5],
        "maintainer": cells[6],
        "state": row[7],
        "grid_code": cells[8],
        "surveyed_on": cells[11] or None,
        "changed_on": cells[12] or None,
        "data_source": cells[13],
        "note": cells[14],
    }
    return {
        "type": "Feature",
        "id": cells[0],
        "geometry": queries.point(row[9], row[10]),
        "properties": properties,
    }


def _geojson_chunks(rows: Iterator[tuple[Any, ...]]) -> Iterator[bytes]:
    """A FeatureCollection written feature by feature (memory of one chunk)."""
    yield b'{"type":"FeatureCollection","features":['
    buffer: list[str] = []
    first = True
    for row in rows:
        buffer.append(("" if first else ",") + json.dumps(feature(row), ensure_ascii=False))
        first = False
        if len(buffer) >= 500:
            yield "".join(buffer).encode()
            buffer.clear()
    yield ("".join(buffer) + "]}").encode()


def template(fmt: str = "xlsx") -> bytes:
    """The component import template: the Chinese headers, and (XLSX) a sheet explaining
    each column with an example."""
    return spreadsheets.template(fmt, columns=COLUMNS, sheet=SHEET)
