"""State changes of the territory tree: every one checks ``territory.edit`` over the node,
runs in one transaction and writes its audit event.

The bulk path (``upsert_regions``) is what loaders, importers and the demo builder use: it
validates every row first, reports all errors at once, then writes in chunks with
``bulk_create``/``bulk_update`` and files one audit event for the whole batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from django.db import connection, transaction
from django.db.models import F, ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry.base import BaseGeometry

from gridgov.accounts import scope
from gridgov.audit.actions import diff, record
from gridgov.core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from gridgov.core.versions import check_version
from gridgov.territory import codes, geometry
from gridgov.territory.models import BOUNDARY_MEASURES, Region, TerritoryRevision

EDIT = "territory.edit"
NAME_MAX = Region._meta.get_field("name").max_length or 100
SOURCE_MAX = Region._meta.get_field("source").max_length or 60
# Rows compared and written per statement: small enough for SQLite's variable limit.
CHUNK = 1000
DERIVED_FIELDS = ("geometry", *BOUNDARY_MEASURES)
Progress = Callable[[int, int], None]


def can_edit(user: Any, code: str) -> bool:
    return scope.has_capability(user, EDIT, code)


def require_edit_anywhere(user: Any) -> None:
    """Refuse at once a user who may edit no territory at all (before reading a big body)."""
    if not scope.has_capability(user, EDIT):
        raise PermissionDenied(_("You do not have permission to change the territory."))


# --- geometry and names -------------------------------------------------------------------


@dataclass
class PreparedGeometry:
    """A boundary ready to store: GeoJSON plus the fields derived from it."""

    fields: dict[str, Any]
    shape: BaseGeometry | None = None
    repaired: str | None = None  # why the input had to be repaired, when it had


EMPTY_GEOMETRY = PreparedGeometry(fields=dict.fromkeys(DERIVED_FIELDS))


def prepare_geometry(obj: Any) -> PreparedGeometry:
    """Parse, repair and measure a GeoJSON boundary; ValueError says why it is refused."""
    if obj is None:
        return EMPTY_GEOMETRY
    shape = geometry.shape_from_geojson(obj)
    _check_lonlat(shape)
    fixed, reason = geometry.repair(shape)
    if fixed is None:
        raise ValueError(reason or "invalid geometry")
    geojson = geometry.geojson_from_shape(fixed)
    if not geojson["coordinates"]:
        raise ValueError("no area left after rounding coordinates")
    # Measured on the repaired shape: rounding to 1e-7° moves nothing that matters here,
    # and parsing the rounded GeoJSON again would double the cost of a bulk load.
    multi = geometry.to_multipolygon(fixed)
    lon, lat = geometry.centroid(multi)
    west, south, east, north = geometry.bbox(multi)
    fields = {
        "geometry": geojson,
        "area_m2": geometry.area_m2(multi),
        "centroid_lon": lon,
        "centroid_lat": lat,
        "min_lon": west,
        "min_lat": south,
        "max_lon": east,
        "max_lat": north,
    }
    return PreparedGeometry(fields=fields, shape=multi, repaired=reason)


def _check_lonlat(shape: BaseGeometry) -> None:
    """Boundaries are lon/lat degrees (WGS84/CGCS2000); anything else is a projected file
    or broken data, which no repair can fix."""
    coords = shapely.get_coordinates(shape)
    if not np.isfinite(coords).all():
        raise ValueError("coordinates must be finite numbers")
    if len(coords) and (np.abs(coords[:, 0]).max() > 180 or np.abs(coords[:, 1]).max() > 90):
        raise ValueError("coordinates are not longitude/latitude degrees (projected data?)")


def _geometry_or_error(obj: Any) -> PreparedGeometry:
    try:
        return prepare_geometry(obj)
    except ValueError as exc:
        raise InvalidInput(
            _("The boundary cannot be used: %(reason)s.") % {"reason": exc},
            fields={"geometry": str(exc)},
        ) from None


def clean_name(name: Any) -> str:
    text = " ".join(str(name or "").split())
    if not text.isprintable():  # control characters (NUL breaks PostgreSQL text)
        raise InvalidInput(
            _("The name contains control characters."), fields={"name": _("control characters")}
        )
    if not text:
        raise InvalidInput(_("A name is required."), fields={"name": _("required")})
    if len(text) > NAME_MAX:
        raise InvalidInput(
            _("The name is longer than %(n)d characters.") % {"n": NAME_MAX},
            fields={"name": _("too long")},
        )
    return text


def bump_revision() -> None:
    """Tell every process that grid geometry changed, so locate indexes rebuild.

    ``updated_at`` is set explicitly: together with the counter it identifies a state
    even when a database is rebuilt from scratch and the counter starts over.
    """
    now = timezone.now()
    if not TerritoryRevision.objects.filter(pk=1).update(
        revision=F("revision") + 1, updated_at=now
    ):
        TerritoryRevision.objects.create(pk=1, revision=1)


def _region_to_edit(actor: Any, code: Any) -> Region:
    """The region with this code, locked until the transaction ends, if the actor may edit it."""
    code = str(code or "").strip()
    codes.validate_digits(code)
    scope.require(actor, EDIT, code)
    region = Region.objects.select_for_update().filter(code=code).first()
    if region is None:
        raise NotFound(_("Region %(code)s does not exist.") % {"code": code})
    return region


def _boundary_summary(region: Region) -> Any:
    """What the audit trail keeps of a boundary: its size, not thousands of vertices."""
    if not region.geometry:
        return None
    return {"area_m2": round(region.area_m2 or 0.0, 1)}


# --- one region at a time -----------------------------------------------------------------


@transaction.atomic
def create_region(
    *, actor: Any, code: str, name: str, geometry: Any = None, source: str = ""
) -> Region:
    code = str(code or "").strip()
    level, parent_code, kind = codes.check(code)
    scope.require(actor, EDIT, code)
    name = clean_name(name)
    parent = None
    if parent_code is not None:
        parent = Region.objects.filter(code=parent_code).first()
        if parent is None:
            raise InvalidInput(
                _("The parent region %(parent)s does not exist.") % {"parent": parent_code},
                fields={"code": _("parent %(parent)s missing") % {"parent": parent_code}},
            )
    if Region.objects.filter(code=code).exists():
        raise InvalidInput(
            _("Region %(code)s already exists.") % {"code": code},
            fields={"code": _("already exists")},
        )
    prepared = _geometry_or_error(geometry)
    region = Region.objects.create(
        code=code,
        name=name,
        level=level,
        kind=kind,
        parent=parent,
        source=str(source or "")[:SOURCE_MAX],
        **prepared.fields,
    )
    if level == codes.GRID and prepared.shape is not None:
        bump_revision()
    record(
        "territory.region.create",
        actor=actor,
        obj=region,
        grid_code=code,
        changes={
            "name": [None, name],
            "geometry": [None, _boundary_summary(region)],
            "repaired": prepared.repaired,
        },
    )
    return region


@transaction.atomic
def update_region(
    *,
    actor: Any,
    code: str,
    name: str | None = None,
    geometry: Any = None,
    expected_version: int | None = None,
) -> Region:
    """Rename a region and/or replace its boundary; a stale ``expected_version`` is refused."""
    region = _region_to_edit(actor, code)
    code = region.code
    message = _("Region %(code)s was changed by someone else (version %(v)d); reload it.")
    check_version(region, expected_version, message % {"code": code, "v": region.version})
    before = {"name": region.name, "geometry": _boundary_summary(region)}
    update_fields: list[str] = []
    if name is not None and clean_name(name) != region.name:
        region.name = clean_name(name)
        update_fields.append("name")
    repaired = None
    if geometry is not None:
        prepared = _geometry_or_error(geometry)
        if prepared.fields["geometry"] != region.geometry:
            for key, value in prepared.fields.items():
                setattr(region, key, value)
            update_fields.extend(DERIVED_FIELDS)
            repaired = prepared.repaired
    if not update_fields:
        return region
    region.version += 1
    region.save(update_fields=[*update_fields, "version", "updated_at"])
    if region.is_grid and "geometry" in update_fields:
        bump_revision()
    after = {"name": region.name, "geometry": _boundary_summary(region)}
    changes: dict[str, Any] = diff(before, after)
    if "geometry" in update_fields:
        changes["geometry"] = [before["geometry"], after["geometry"]]
    if repaired:
        changes["repaired"] = repaired
    record("territory.region.update", actor=actor, obj=region, grid_code=code, changes=changes)
    return region


@transaction.atomic
def delete_region(*, actor: Any, code: str, expected_version: int | None = None) -> None:
    """Delete a leaf nothing else refers to (assignments, departments, history)."""
    region = _region_to_edit(actor, code)
    code = region.code
    message = _("Region %(code)s was changed by someone else; reload it.")
    check_version(region, expected_version, message % {"code": code})
    children = Region.objects.filter(parent=region).count()
    if children:
        raise Conflict(
            _("Region %(code)s still has %(n)d subordinate regions; delete those first.")
            % {"code": code, "n": children}
        )
    snapshot = str(region)
    had_shape = region.geometry is not None
    try:
        with transaction.atomic():
            region.delete()
    except ProtectedError:
        raise Conflict(
            _(
                "Region %(code)s is still referred to (grid workers, roles or departments); "
                "withdraw those first."
            )
            % {"code": code}
        ) from None
    if region.level == codes.GRID and had_shape:
        bump_revision()
    record(
        "territory.region.delete",
        actor=actor,
        object_type="territory.region",
        object_id=code,
        object_repr=snapshot,
        grid_code=code,
        changes={"name": [snapshot, None]},
    )


# --- many regions at once -----------------------------------------------------------------


@dataclass
class RowPlan:
    """One validated input row: where it goes and what it writes."""

    index: int
    code: str
    name: str
    level: int
    kind: str
    parent_code: str | None
    geometry: PreparedGeometry | None  # None: the row does not touch the boundary
    existing: dict[str, Any] | None = None  # the stored row when this is an update


@dataclass
class UpsertPlan:
    """The result of validating a batch: rows to write, and every problem found."""

    rows: list[RowPlan] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, index: int, code: str, field_name: str, reason: str) -> None:
        self.errors.append({"row": index, "code": code, "field": field_name, "reason": reason})

    def warn(self, index: int | None, code: str, kind: str, reason: str) -> None:
        self.warnings.append({"row": index, "code": code, "kind": kind, "reason": reason})


@dataclass
class UpsertSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    by_level: dict[int, int] = field(default_factory=dict)
    first_code: str = ""
    last_code: str = ""
    source: str = ""
    warnings: list[dict[str, Any]] = field(default_factory=list)
    grids_changed: bool = False

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "by_level": {str(k): v for k, v in sorted(self.by_level.items())},
            "first_code": self.first_code,
            "last_code": self.last_code,
            "source": self.source,
            "warnings": len(self.warnings),
        }


def _row_error_text(exc: DomainError) -> tuple[str, str]:
    fields = exc.details.get("fields") or {}
    name = next(iter(fields), "code")
    return name, exc.message


def _plan_row(index: int, row: Mapping[str, Any], plan: UpsertPlan) -> RowPlan | None:
    code = str(row.get("code") or "").strip()
    try:
        level, parent_code, kind = codes.check(code)
        name = clean_name(row.get("name"))
    except InvalidInput as exc:
        plan.error(index, code, *_row_error_text(exc))
        return None
    prepared = None
    if "geometry" in row:
        try:
            prepared = prepare_geometry(row["geometry"])
        except ValueError as exc:
            plan.error(index, code, "geometry", str(exc))
            return None
        if prepared.repaired:
            plan.warn(index, code, "repaired", prepared.repaired)
    return RowPlan(index, code, name, level, kind, parent_code, prepared)


def _chunks(items: list[Any], size: int = CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _stored(codes_wanted: Iterable[str], fields: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    wanted = sorted(set(codes_wanted))
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(wanted):
        for values in Region.objects.filter(code__in=chunk).values(*fields):
            found[values["code"]] = values
    return found


def require_edit_over(actor: Any, all_codes: Iterable[str]) -> None:
    """``territory.edit`` over every code: checked once per covering node."""
    for code in scope.minimal_prefixes(all_codes):
        scope.require(actor, EDIT, code)


def plan_upsert(rows: Iterable[Mapping[str, Any]], *, actor: Any) -> UpsertPlan:
    """Validate a batch without writing: codes, names, boundaries, parents, duplicates.

    A row without a ``geometry`` key leaves a stored boundary as it is; ``None`` clears it.
    Every problem is reported with the row's index, not just the first.
    """
    plan = UpsertPlan()
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        if not isinstance(row, Mapping):
            plan.error(index, "", "row", _("not an object"))
            continue
        planned = _plan_row(index, row, plan)
        if planned is None:
            continue
        if planned.code in seen:
            plan.error(index, planned.code, "code", f"duplicate of row {seen[planned.code]}")
            continue
        seen[planned.code] = index
        plan.rows.append(planned)
    require_edit_over(actor, seen)
    stored = _stored(
        [*seen, *(r.parent_code for r in plan.rows if r.parent_code)],
        ("id", "code", "name", "kind", "source", "version", *DERIVED_FIELDS),
    )
    for planned in plan.rows:
        planned.existing = stored.get(planned.code)
        parent = planned.parent_code
        if parent is not None and parent not in seen and parent not in stored:
            plan.error(
                planned.index,
                planned.code,
                "code",
                _("parent %(parent)s does not exist") % {"parent": parent},
            )
    plan.rows.sort(key=lambda r: (r.level, r.code))
    return plan


def _changed_fields(planned: RowPlan, source: str) -> dict[str, Any]:
    existing = planned.existing or {}
    changes: dict[str, Any] = {}
    if existing.get("name") != planned.name:
        changes["name"] = planned.name
    if existing.get("kind") != planned.kind:
        changes["kind"] = planned.kind
    if (
        planned.geometry is not None
        and existing.get("geometry") != planned.geometry.fields["geometry"]
    ):
        changes.update(planned.geometry.fields)
    if changes:
        changes["source"] = source
    return changes


def _create(plan_rows: list[RowPlan], source: str, now: Any, ids: dict[str, int]) -> None:
    """Insert level by level so every parent has its id before its children go in."""
    for level in codes.LEVELS:
        batch = [
            Region(
                code=r.code,
                name=r.name,
                level=r.level,
                kind=r.kind,
                parent_id=ids.get(r.parent_code or ""),
                source=source,
                created_at=now,
                updated_at=now,
                **(r.geometry or EMPTY_GEOMETRY).fields,
            )
            for r in plan_rows
            if r.level == level
        ]
        if not batch:
            continue
        created = Region.objects.bulk_create(batch, batch_size=CHUNK)
        if all(obj.pk for obj in created):
            ids.update({obj.code: obj.pk for obj in created})
        else:  # a backend that cannot return ids from a bulk insert
            ids.update(
                {c: v["id"] for c, v in _stored([o.code for o in batch], ("id", "code")).items()}
            )


UPDATE_BATCH = 500  # rows per statement on PostgreSQL (12 parameters each, limit 65,535)


def _update(changed: list[tuple[RowPlan, dict[str, Any]]], now: Any) -> None:
    """Write the changed columns of existing rows, grouped by which columns changed.

    ``bulk_update`` builds a CASE expression per column over the whole batch, which with
    GeoJSON columns costs minutes for 25,000 rows. Instead: on PostgreSQL one
    ``UPDATE … FROM (VALUES …)`` per 500 rows; elsewhere a keyed UPDATE per row through
    executemany (a second for 25,000 rows on SQLite).
    """
    by_fields: dict[tuple[str, ...], list[list[Any]]] = {}
    for planned, changes in changed:
        existing = planned.existing or {}
        values = {**changes, "version": existing["version"] + 1, "updated_at": now}
        names = tuple(sorted(values))
        by_fields.setdefault(names, []).append([values[n] for n in names] + [existing["id"]])
    columns = {f.name: f for f in Region._meta.concrete_fields}
    with connection.cursor() as cursor:
        for names, rows in by_fields.items():
            fields = [columns[n] for n in names]
            prepared = [
                [f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=False)]
                + [row[-1]]
                for row in rows
            ]
            if connection.vendor == "postgresql":
                for batch in _chunks(prepared, UPDATE_BATCH):
                    sql = _update_from_values_sql(fields, len(batch))
                    cursor.execute(sql, [value for row in batch for value in row])
            else:
                cursor.executemany(_update_by_id_sql(fields), prepared)


def _column(field: Any) -> str:
    return connection.ops.quote_name(field.get_attname_column()[1] or field.name)


def _update_by_id_sql(fields: list[Any]) -> str:
    table = connection.ops.quote_name(Region._meta.db_table)
    assignments = ", ".join(f"{_column(f)} = %s" for f in fields)
    # Only quoted column names are interpolated; every value is a parameter.
    return f"UPDATE {table} SET {assignments} WHERE id = %s"  # noqa: S608


def _update_from_values_sql(fields: list[Any], rows: int) -> str:
    """PostgreSQL: many rows in one statement; values are cast to their column types
    because parameters in a VALUES list arrive untyped."""
    table = connection.ops.quote_name(Region._meta.db_table)
    names = ", ".join(_column(f) for f in fields)
    row = "(" + ", ".join(["%s"] * (len(fields) + 1)) + ")"
    assignments = ", ".join(
        f"{_column(f)} = v.{_column(f)}::{f.cast_db_type(connection)}" for f in fields
    )
    return (
        f"UPDATE {table} SET {assignments} "  # noqa: S608 - quoted names only
        f"FROM (VALUES {', '.join([row] * rows)}) AS v({names}, id) "
        f"WHERE {table}.id = v.id::bigint"
    )


def _write_plan(plan: UpsertPlan, source: str, progress: Progress | None) -> UpsertSummary:
    """Insert new rows and update changed ones; bump the revision if grids moved."""
    now = timezone.now()
    summary = UpsertSummary(source=source, warnings=plan.warnings)
    total = len(plan.rows)
    new_rows = [r for r in plan.rows if r.existing is None]
    changed: list[tuple[RowPlan, dict[str, Any]]] = []
    for planned in plan.rows:
        summary.by_level[planned.level] = summary.by_level.get(planned.level, 0) + 1
        changes = _changed_fields(planned, source) if planned.existing else {}
        if changes:
            changed.append((planned, changes))
    parents = {r.parent_code for r in new_rows if r.parent_code}
    ids = {code: values["id"] for code, values in _stored(parents, ("id", "code")).items()}
    done = 0
    for part in _chunks(new_rows, CHUNK * 5):
        _create(part, source, now, ids)
        done += len(part)
        if progress:
            progress(done, total)
    for update_part in _chunks(changed, CHUNK * 5):
        _update(update_part, now)
        done += len(update_part)
        if progress:
            progress(done, total)
    summary.created = len(new_rows)
    summary.updated = len(changed)
    summary.unchanged = total - summary.created - summary.updated
    summary.grids_changed = any(
        r.level == codes.GRID and r.geometry is not None and r.geometry.shape is not None
        for r in new_rows
    ) or any(p.level == codes.GRID and "geometry" in c for p, c in changed)
    if summary.grids_changed:
        bump_revision()
    if plan.rows:
        summary.first_code = min(r.code for r in plan.rows)
        summary.last_code = max(r.code for r in plan.rows)
    if progress:
        progress(total, total)
    return summary


def _refuse_invalid(plan: UpsertPlan) -> None:
    if not plan.ok:
        raise InvalidInput(
            _("%(n)d rows are not valid; nothing was written.") % {"n": len(plan.errors)},
            details={"errors": plan.errors, "warnings": plan.warnings},
        )


@transaction.atomic
def upsert_regions(
    rows: Iterable[Mapping[str, Any]],
    *,
    actor: Any,
    source: str,
    progress: Progress | None = None,
    plan: UpsertPlan | None = None,
) -> UpsertSummary:
    """Create or update many regions in one transaction; all or nothing.

    Rows are ``{"code", "name", "geometry"}`` (GeoJSON or None; leave the key out to keep a
    stored boundary). Parents must exist or come in the same batch. On any invalid row
    nothing is written and InvalidInput lists every error (``details["errors"]``).
    A ``plan`` from ``plan_upsert`` may be passed to skip validating twice.
    """
    if plan is None:
        plan = plan_upsert(rows, actor=actor)
    else:
        require_edit_over(actor, [r.code for r in plan.rows])
    _refuse_invalid(plan)
    summary = _write_plan(plan, str(source or "")[:SOURCE_MAX], progress)
    if summary.created or summary.updated:
        record(
            "territory.regions.upsert",
            actor=actor,
            object_type="territory.region",
            object_id=summary.first_code,
            object_repr=f"{summary.first_code} … {summary.last_code}",
            grid_code=codes.covering_code({r.code for r in plan.rows}),
            changes=summary.as_dict(),
        )
    return summary


# --- grids generated for a community ------------------------------------------------------

MIN_CELL_AREA, MAX_CELL_AREA = 100.0, 100_000_000.0  # 100 m² … 100 km² (a whole village)


def _community_shape(community: Region) -> BaseGeometry:
    if community.level != codes.COMMUNITY:
        raise InvalidInput(
            _("Grids are generated for a community or village, not for %(code)s.")
            % {"code": community.code},
            fields={"community_code": _("not a community")},
        )
    if not community.geometry:
        raise InvalidInput(
            _("Community %(code)s has no boundary to cut into grids.") % {"code": community.code},
            fields={"community_code": _("no boundary")},
        )
    return geometry.to_multipolygon(geometry.shape_from_geojson(community.geometry))


@transaction.atomic
def generate_grids_for(
    community_code: str,
    *,
    actor: Any,
    cell_area_m2: float = 10_000,
    force: bool = False,
) -> list[Region]:
    """Replace a community's unit grids with cells of about ``cell_area_m2`` (domain §1).

    Grids keep their codes where the serial survives, so history stays attached. Refused
    while grid workers are assigned, unless ``force``: then assignments of grids that
    disappear are withdrawn, and a grid with assignment history is kept without a
    boundary instead of being deleted.
    """
    from gridgov.accounts.models import GridAssignment
    from gridgov.territory.generate import generate_grids

    community = _region_to_edit(actor, community_code)
    code = community.code
    shape = _community_shape(community)
    if not MIN_CELL_AREA <= float(cell_area_m2) <= MAX_CELL_AREA:
        raise InvalidInput(
            _("The cell area must be between %(lo)d and %(hi)d m².")
            % {"lo": MIN_CELL_AREA, "hi": MAX_CELL_AREA},
            fields={"cell_area_m2": _("out of range")},
        )
    cells = generate_grids(shape, cell_area_m2=float(cell_area_m2))
    if len(cells) > 999:
        raise InvalidInput(
            _("That cell size gives %(n)d grids; a community holds at most 999.")
            % {"n": len(cells)},
            fields={"cell_area_m2": _("too small")},
        )
    old_grids = list(Region.objects.filter(parent=community, level=codes.GRID))
    active = GridAssignment.objects.active().filter(grid__in=old_grids)
    if not force and active.exists():
        raise Conflict(
            _(
                "Grid workers are assigned to grids of %(code)s; withdraw them first "
                "or regenerate with force."
            )
            % {"code": code}
        )
    rows = [
        {
            "code": codes.grid_code(code, serial),
            "name": f"{community.name}第{serial}网格",
            "geometry": geometry.geojson_from_shape(cell),
        }
        for serial, cell in enumerate(cells, start=1)
    ]
    new_codes = {row["code"] for row in rows}
    gone = [g for g in old_grids if g.code not in new_codes]
    withdrawn = (
        GridAssignment.objects.active().filter(grid__in=gone).update(withdrawn_at=timezone.now())
    )
    with_history = set(
        GridAssignment.objects.filter(grid__in=gone).values_list("grid__code", flat=True)
    )
    retired = sorted(with_history)
    Region.objects.filter(code__in=retired).update(
        **EMPTY_GEOMETRY.fields, updated_at=timezone.now(), version=F("version") + 1
    )
    removed = sorted(g.code for g in gone if g.code not in with_history)
    Region.objects.filter(code__in=removed).delete()
    plan = plan_upsert(rows, actor=actor)
    _refuse_invalid(plan)
    summary = _write_plan(plan, "generated", None)
    if gone:
        bump_revision()
    record(
        "territory.grids.generate",
        actor=actor,
        obj=community,
        grid_code=code,
        changes={
            "grids": len(rows),
            "cell_area_m2": float(cell_area_m2),
            "created": summary.created,
            "updated": summary.updated,
            "removed": removed,
            "retired": retired,
            "withdrawn_assignments": withdrawn,
        },
    )
    return list(Region.objects.filter(code__in=new_codes).order_by("code"))


# --- real division data -------------------------------------------------------------------


@dataclass
class DivisionsSummary:
    city_code: str
    city_name: str
    counties: int
    townships: int
    upsert: UpsertSummary
    missing_boundaries: list[tuple[str, str]]  # (code, name) loaded without a boundary
    city_boundary: str  # where the city boundary came from ("" if none)


def load_divisions(
    city_code: str, *, actor: Any, progress: Progress | None = None
) -> DivisionsSummary:
    """Load a city's real counties and townships (names, codes, county boundaries).

    Idempotent: a second run renames what changed and keeps boundaries drawn since
    (townships have no boundary in the published data, so theirs are never touched).
    """
    from gridgov.territory import divisions

    city = divisions.city_divisions(city_code)
    summary = upsert_regions(city.rows, actor=actor, source=divisions.SOURCE, progress=progress)
    return DivisionsSummary(
        city_code=city.code,
        city_name=city.name,
        counties=city.counties,
        townships=city.townships,
        upsert=summary,
        missing_boundaries=city.missing_boundaries,
        city_boundary=city.city_boundary,
    )
