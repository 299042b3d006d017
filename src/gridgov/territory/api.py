"""REST endpoints of the territory app, mounted at /api/v1/territory.

Handlers parse input, call a query or an action and shape the answer. Every region is
read through ``queries.get_region_for``: outside the caller's scope a region answers 404
exactly like one that does not exist.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Body, Field, Query, Router, Schema, Status

from gridgov.api.schemas import (
    ERRORS,
    PAGE,
    PAGE_SIZE,
    FeatureCollectionOut,
    list_endpoint,
    paged,
)
from gridgov.core.errors import NotFound
from gridgov.territory import actions, codes, importers, queries
from gridgov.territory.models import Region

router = Router(tags=["territory"])

# --- schemas ------------------------------------------------------------------------------


class RegionOut(Schema):
    code: str
    name: str
    level: int
    level_label: str
    kind: str
    kind_label: str
    parent_code: str | None = None
    area_m2: float | None = None
    centroid: list[float] | None = Field(None, description="[lon, lat]")
    bbox: list[float] | None = Field(None, description="[minlon, minlat, maxlon, maxlat]")
    version: int
    url: str = Field(description="The region's page")


class PathItemOut(Schema):
    code: str
    name: str
    level: int


class LevelCountOut(Schema):
    level: int
    label: str
    count: int


class RegionDetailOut(RegionOut):
    path: list[PathItemOut] = Field(description="Ancestors from the city down")
    child_counts: list[LevelCountOut] = Field(description="Regions of each lower level")
    can_edit: bool


class LocateOut(Schema):
    grid_code: str
    path: list[PathItemOut]


class LocateBatchIn(Schema):
    points: list[tuple[float, float]] = Field(
        ..., max_length=10_000, description="[[lon, lat], …], at most 10,000"
    )


class LocateBatchOut(Schema):
    results: list[str | None] = Field(description="Grid code per point, null outside")


class RegionCreateIn(Schema):
    code: str = Field(..., max_length=15)
    name: str = Field(..., max_length=200)
    geometry: dict[str, Any] | None = Field(None, description="GeoJSON Polygon or MultiPolygon")
    source: str = Field("", max_length=60)


class RegionUpdateIn(Schema):
    name: str | None = Field(None, max_length=200)
    geometry: dict[str, Any] | None = None
    version: int | None = Field(None, description="The version you edited; 409 if stale")


class ImportIssueOut(Schema):
    feature: int | None = None
    code: str = ""
    field: str | None = None
    kind: str | None = None
    reason: str


class ImportSummaryOut(Schema):
    created: int
    updated: int
    unchanged: int
    by_level: dict[str, int]
    first_code: str
    last_code: str
    source: str
    warnings: int


class ImportReportOut(Schema):
    ok: bool
    dry_run: bool
    written: bool
    features: int
    errors: list[ImportIssueOut]
    warnings: list[ImportIssueOut]
    summary: ImportSummaryOut | None = None


# --- shaping ------------------------------------------------------------------------------


def region_payload(region: Region) -> dict[str, Any]:
    centroid = None
    if region.centroid_lon is not None and region.centroid_lat is not None:
        centroid = [region.centroid_lon, region.centroid_lat]
    return {
        "code": region.code,
        "name": region.name,
        "level": region.level,
        "level_label": str(region.level_label),
        "kind": region.kind,
        "kind_label": str(region.kind_label),
        "parent_code": codes.parent_code(region.code),
        "area_m2": region.area_m2,
        "centroid": centroid,
        "bbox": list(region.bbox) if region.bbox else None,
        "version": region.version,
        "url": queries.region_url(region.code),
    }


def region_detail(user: Any, region: Region) -> dict[str, Any]:
    counts = queries.child_counts(region)
    return {
        **region_payload(region),
        "path": [
            {"code": p.code, "name": p.name, "level": p.level}
            for p in queries.path_for(user, region)
        ],
        "child_counts": [
            {"level": level, "label": str(codes.LEVEL_LABELS[level]), "count": n}
            for level, n in counts.items()
        ],
        "can_edit": actions.can_edit(user, region.code),
    }


FEATURE_COLLECTION_BODY = Body(..., description="A GeoJSON FeatureCollection")


class OutsideTerritory(NotFound):
    code = "outside_territory"


# --- reading ------------------------------------------------------------------------------


@list_endpoint(
    router, "/regions", RegionOut, summary="Where my territory starts", url_name="territory_roots"
)
def list_roots(request: HttpRequest, page: int = PAGE, page_size: int = PAGE_SIZE) -> Any:
    return paged(queries.scope_roots(request.user), page, page_size, region_payload)


@router.get(
    "/regions/{code}",
    response={200: RegionDetailOut, **ERRORS},
    summary="One region with its path and child counts",
    url_name="territory_region",
)
def get_region(request: HttpRequest, code: str) -> Any:
    region = queries.get_region_for(request.user, code, with_geometry=False)
    return region_detail(request.user, region)


@list_endpoint(
    router,
    "/regions/{code}/children",
    RegionOut,
    summary="Children of a region, searchable by name or code",
    url_name="territory_children",
)
def list_children(
    request: HttpRequest,
    code: str,
    q: str = Query("", max_length=50, description="Name fragment or code prefix"),
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> Any:
    region = queries.get_region_for(request.user, code, with_geometry=False)
    return paged(queries.search_children(region, q), page, page_size, region_payload)


@router.get(
    "/regions/{code}/children.geojson",
    response={200: FeatureCollectionOut, **ERRORS},
    summary="Children of a region with boundaries",
    url_name="territory_children_geojson",
)
def children_geojson(request: HttpRequest, code: str, bbox: str | None = None) -> Any:
    region = queries.get_region_for(request.user, code, with_geometry=False)
    return queries.children_geojson(request.user, region, queries.parse_bbox(bbox))


@router.get(
    "/regions/{code}/boundary.geojson",
    response={200: FeatureCollectionOut, **ERRORS},
    summary="The region's own boundary",
    url_name="territory_boundary_geojson",
)
def boundary_geojson(request: HttpRequest, code: str) -> Any:
    region = queries.get_region_for(request.user, code)
    return queries.boundary_geojson(request.user, region)


@router.get(
    "/regions/{code}/grids.geojson",
    response={200: FeatureCollectionOut, **ERRORS},
    summary="Unit grids under a region, optionally within a bounding box",
    url_name="territory_grids_geojson",
)
def grids_geojson(
    request: HttpRequest,
    code: str,
    bbox: str | None = None,
    limit: int = Query(queries.GRIDS_GEOJSON_LIMIT, ge=1, le=queries.GRIDS_GEOJSON_MAX),
) -> Any:
    region = queries.get_region_for(request.user, code, with_geometry=False)
    return queries.grids_geojson(request.user, region, queries.parse_bbox(bbox), limit)


@router.get(
    "/locate",
    response={200: LocateOut, **ERRORS},
    summary="The unit grid holding a point",
    url_name="territory_locate",
)
def locate(request: HttpRequest, lon: float, lat: float) -> Any:
    found = queries.locate_for(request.user, lon, lat)
    if found is None:
        raise OutsideTerritory(
            _("The point %(lon)s, %(lat)s lies outside the territory you can see.")
            % {"lon": lon, "lat": lat}
        )
    return {"grid_code": found.grid_code, "path": found.path}


@router.post(
    "/locate",
    response={200: LocateBatchOut, **ERRORS},
    summary="Unit grids holding many points",
    url_name="territory_locate_batch",
)
def locate_batch(request: HttpRequest, payload: LocateBatchIn) -> Any:
    lons = [p[0] for p in payload.points]
    lats = [p[1] for p in payload.points]
    return {"results": queries.locate_many_for(request.user, lons, lats)}


# --- changing -----------------------------------------------------------------------------


@router.post(
    "/regions",
    response={201: RegionDetailOut, **ERRORS},
    summary="Create a region",
    url_name="territory_region_create",
)
def create_region(request: HttpRequest, payload: RegionCreateIn) -> Any:
    region = actions.create_region(
        actor=request.user,
        code=payload.code,
        name=payload.name,
        geometry=payload.geometry,
        source=payload.source,
    )
    return Status(201, region_detail(request.user, region))


@router.patch(
    "/regions/{code}",
    response={200: RegionDetailOut, **ERRORS},
    summary="Rename a region or replace its boundary",
    url_name="territory_region_update",
)
def update_region(request: HttpRequest, code: str, payload: RegionUpdateIn) -> Any:
    region = actions.update_region(
        actor=request.user,
        code=code,
        name=payload.name,
        geometry=payload.geometry,
        expected_version=payload.version,
    )
    return region_detail(request.user, region)


@router.delete(
    "/regions/{code}",
    response={204: None, **ERRORS},
    summary="Delete a region that has no children and nothing referring to it",
    url_name="territory_region_delete",
)
def delete_region(request: HttpRequest, code: str, version: int | None = None) -> Any:
    actions.delete_region(actor=request.user, code=code, expected_version=version)
    return Status(204, None)


@router.post(
    "/import",
    response={200: ImportReportOut, **ERRORS},
    summary="Import a GeoJSON FeatureCollection of regions and grids (all or nothing)",
    url_name="territory_import",
)
def import_geojson(
    request: HttpRequest, body: dict[str, Any] = FEATURE_COLLECTION_BODY, dry_run: bool = False
) -> Any:
    actions.require_edit_anywhere(request.user)
    report = importers.import_feature_collection(body, actor=request.user, dry_run=dry_run)
    if not report.ok:
        raise importers.ImportRefused(report)
    return report.as_dict()
