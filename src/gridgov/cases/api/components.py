"""REST endpoints of the component inventory, under /api/v1/cases/components.

Handlers parse input, call a query or an action and shape the answer: outside the
caller's ``components.view`` scope a component answers 404 like one that does not exist;
changes need ``components.edit`` over the component's grid and carry the version read.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, File, Query, Router, Schema, Status, UploadedFile

from gridgov.accounts import scope
from gridgov.api.imports import add_import_endpoints
from gridgov.api.schemas import ERRORS, PageOut, VersionIn, paged
from gridgov.cases.actions import components as actions
from gridgov.cases.exports import components as exports
from gridgov.cases.importers import components as importers
from gridgov.cases.models import Component, ComponentState
from gridgov.cases.queries import components as queries
from gridgov.core.paging import DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE
from gridgov.territory.queries import parse_bbox
from gridgov.web.downloads import CSV_TYPE, GEOJSON_TYPE, XLSX_TYPE, file_response, openapi_file

router = Router(tags=["components"])

MAX_PK = 2**63 - 1
PAGE = Query(1, ge=1, le=MAX_PAGE)
PAGE_SIZE = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
CODE_RULES: dict[str, Any] = {"max_length": 15, "pattern": r"^\d*$", "examples": ["411302001"]}
COMPONENT_KEY = "Its key, or its 16-digit component ID"
StateName = Literal["intact", "damaged", "lost", "occupied"]


# --- schemas ------------------------------------------------------------------------------


class ComponentOut(Schema):
    id: int
    component_id: str = Field(description="16 digits: county, class, serial")
    name: str
    class_code: str
    class_name: str
    state: str
    state_label: str
    grid_code: str
    lon: float | None = None
    lat: float | None = None
    competent_department_id: int | None = None
    competent_department_name: str | None = None
    owner: str
    maintainer: str
    surveyed_on: dt.date | None = None
    changed_on: dt.date | None = None
    data_source: str
    note: str
    retired_at: dt.datetime | None = None
    retired_reason: str
    version: int = Field(description="Send back with a change to detect concurrent edits")
    url: str = Field(description="The component's page")


class PhotoOut(Schema):
    id: int
    name: str
    content_type: str
    width: int | None = None
    height: int | None = None
    uploaded_at: dt.datetime


class ComponentDetailOut(ComponentOut):
    photos: list[PhotoOut]
    can_edit: bool


class ComponentFilters(Schema):
    q: str = Field("", max_length=100, description="Start of the ID, or part of the name")
    class_code: str = Field("", max_length=4, pattern=r"^\d*$", description="01 or 0101")
    state: StateName | None = None
    code: str = Field(
        "", max_length=15, pattern=r"^\d*$", description="Territory node (code prefix)"
    )
    department: int | None = Field(None, ge=1, le=MAX_PK, description="Competent department")
    retired: Literal["no", "yes", "all"] = Field("no", description="Retired components")


class ComponentPlaceIn(Schema):
    grid_code: str | None = Field(None, max_length=15, description="Else located from lon/lat")
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)


class ComponentCreateIn(ComponentPlaceIn):
    case_class: str = Field(..., max_length=60, description="Minor class code (0101) or name")
    name: str = Field(..., max_length=100)
    component_id: str | None = Field(None, max_length=16, description="Omit to allocate one")
    competent_department: int | None = Field(None, ge=1, le=MAX_PK)
    owner: str = Field("", max_length=100)
    maintainer: str = Field("", max_length=100)
    state: StateName = "intact"
    surveyed_on: dt.date | None = None
    data_source: str = Field("", max_length=100)
    note: str = Field("", max_length=2000)


class ComponentPatchIn(ComponentPlaceIn):
    version: int | None = Field(None, description="The version you read (recommended)")
    name: str | None = Field(None, max_length=100)
    competent_department: int | None = Field(None, ge=0, le=MAX_PK, description="0 clears it")
    owner: str | None = Field(None, max_length=100)
    maintainer: str | None = Field(None, max_length=100)
    surveyed_on: dt.date | None = None
    data_source: str | None = Field(None, max_length=100)
    note: str | None = Field(None, max_length=2000)


class StateIn(Schema):
    state: StateName
    changed_on: dt.date | None = Field(None, description="Default today")
    note: str = Field("", max_length=200, description="What was seen (kept in the audit)")
    version: int | None = None


class RetireIn(Schema):
    reason: str = Field(..., max_length=200)
    version: int | None = None


class CountsOut(Schema):
    code: str
    total: int
    by_state: dict[str, int]
    by_class: list[dict[str, Any]]


# --- shaping ------------------------------------------------------------------------------


def component_out(c: Component) -> dict[str, Any]:
    department = c.competent_department
    return {
        "id": c.pk,
        "component_id": c.component_id,
        "name": c.name,
        "class_code": c.case_class.code,
        "class_name": c.case_class.name,
        "state": c.state,
        "state_label": str(ComponentState(c.state).label),
        "grid_code": c.grid_code,
        "lon": c.lon,
        "lat": c.lat,
        "competent_department_id": c.competent_department_id,
        "competent_department_name": department.name if department else None,
        "owner": c.owner,
        "maintainer": c.maintainer,
        "surveyed_on": c.surveyed_on,
        "changed_on": c.changed_on,
        "data_source": c.data_source,
        "note": c.note,
        "retired_at": c.retired_at,
        "retired_reason": c.retired_reason,
        "version": c.version,
        "url": queries.component_url(c.pk),
    }


def _detail(request: HttpRequest, key: Any) -> dict[str, Any]:
    component = queries.get_component_for(request.user, key)
    photos = [
        {
            "id": p.pk,
            "name": p.original_name,
            "content_type": p.content_type,
            "width": p.width,
            "height": p.height,
            "uploaded_at": p.uploaded_at,
        }
        for p in queries.photos(component)
    ]
    can_edit = scope.has_capability(request.user, actions.EDIT, component.grid_code)
    return {**component_out(component), "photos": photos, "can_edit": can_edit}


def _key(request: HttpRequest, key: str) -> int:
    """The primary key of a visible component named by its key or its 16-digit ID."""
    return queries.get_component_for(request.user, key).pk


def _retired(value: str) -> bool | None:
    return {"no": False, "yes": True}.get(value)


# --- reading ------------------------------------------------------------------------------


@router.get(
    "/components",
    response={200: PageOut[ComponentOut], **ERRORS},
    summary="Components in my scope: search and filters",
    url_name="cases_components",
)
def list_components(
    request: HttpRequest,
    filters: Query[ComponentFilters],
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> Any:
    scope.require(request.user, queries.VIEW)
    data = filters.dict()
    rows = queries.component_list(
        request.user,
        q=data["q"],
        class_code=data["class_code"],
        state=data["state"] or "",
        code=data["code"],
        department=data["department"],
        retired=_retired(data["retired"]),
    )
    return paged(rows, page, page_size, component_out)


@router.get(
    "/components/counts",
    response={200: CountsOut, **ERRORS},
    summary="Components in use under a territory node, per state and per class",
    url_name="cases_component_counts",
)
def component_counts(
    request: HttpRequest, code: str = Query(..., min_length=4, **CODE_RULES)
) -> Any:
    return queries.component_counts(request.user, code)


@router.get(
    "/components.geojson",
    response={200: dict[str, Any], **ERRORS},
    summary="Located components under a node (and in a bbox) as Point features for a map; "
    "more than the limit is refused (422 too_many_features): narrow the area",
    url_name="cases_components_geojson",
)
def components_geojson(
    request: HttpRequest,
    code: str = Query(..., min_length=4, **CODE_RULES),
    bbox: str | None = Query(None, description="minlon,minlat,maxlon,maxlat"),
    class_code: str = Query("", max_length=4, pattern=r"^\d*$"),
    state: StateName | None = None,
    limit: int = Query(queries.MAP_LIMIT, ge=1, le=queries.MAP_MAX),
) -> Any:
    return queries.components_geojson(
        request.user,
        code,
        parse_bbox(bbox),
        class_code=class_code,
        state=state or "",
        limit=limit,
    )


# --- imports and exports (before /components/{key}, which would take their names) ---------


PHOTO = File(..., description="JPEG, PNG or WebP")

add_import_endpoints(
    router,
    "/components/imports",
    kind=importers.JOB_KIND,
    capability=actions.EDIT,
    name="cases_component_import",
    what="components",
    formats="CSV (UTF-8, GBK, GB18030), XLSX or GeoJSON",
    page_url="cases:component_import_detail",
)


@router.get(
    "/components/template",
    response=ERRORS,
    openapi_extra=openapi_file(XLSX_TYPE, CSV_TYPE),
    summary="The component import template (Chinese headers)",
    url_name="cases_component_template",
)
def template(request: HttpRequest, format: Literal["xlsx", "csv"] = "xlsx") -> Any:
    scope.require(request.user, actions.EDIT)
    return file_response(exports.template(format), f"components-template.{format}", format)


@router.get(
    "/components/export",
    response=ERRORS,
    openapi_extra=openapi_file(XLSX_TYPE, CSV_TYPE, GEOJSON_TYPE),
    summary="The components in use under a node as CSV, XLSX or GeoJSON (audited)",
    url_name="cases_component_export",
)
def export(
    request: HttpRequest,
    code: str = Query(..., min_length=4, **CODE_RULES),
    format: Literal["csv", "xlsx", "geojson"] = "xlsx",
    class_code: str = Query("", max_length=4, pattern=r"^\d*$"),
    state: StateName | None = None,
) -> Any:
    content = exports.export_components(
        request.user, code, format, class_code=class_code, state=state or ""
    )
    return file_response(content, exports.export_filename(code, format), format)


# --- one component ------------------------------------------------------------------------


@router.get(
    "/components/{key}",
    response={200: ComponentDetailOut, **ERRORS},
    summary="One component with its photos",
    description=COMPONENT_KEY,
    url_name="cases_component",
)
def get_component(request: HttpRequest, key: str) -> Any:
    return _detail(request, key)


@router.post(
    "/components",
    response={201: ComponentDetailOut, **ERRORS},
    summary="Register a component (ID allocated unless given; grid from the code or lon/lat)",
    url_name="cases_component_create",
)
def create_component(request: HttpRequest, payload: ComponentCreateIn) -> Any:
    component = actions.create_component(actor=request.user, **payload.dict())
    return Status(201, _detail(request, component.pk))


@router.patch(
    "/components/{key}",
    response={200: ComponentDetailOut, **ERRORS},
    summary="Change some of a component's fields (with the version you read)",
    url_name="cases_component_update",
)
def update_component(request: HttpRequest, key: str, payload: ComponentPatchIn) -> Any:
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version", None)
    if changes.get("competent_department") == 0:
        changes["competent_department"] = None
    pk = _key(request, key)
    actions.update_component(pk, actor=request.user, expected_version=version, **changes)
    return _detail(request, pk)


@router.post(
    "/components/{key}/state",
    response={200: ComponentDetailOut, **ERRORS},
    summary="Record the state: intact, damaged, lost or occupied",
    url_name="cases_component_state",
)
def change_state(request: HttpRequest, key: str, payload: StateIn) -> Any:
    pk = _key(request, key)
    actions.change_component_state(
        pk,
        actor=request.user,
        state=payload.state,
        changed_on=payload.changed_on,
        note=payload.note,
        expected_version=payload.version,
    )
    return _detail(request, pk)


@router.post(
    "/components/{key}/retire",
    response={200: ComponentDetailOut, **ERRORS},
    summary="Retire a component (kept with its cases and photos; hidden from lists and maps)",
    url_name="cases_component_retire",
)
def retire(request: HttpRequest, key: str, payload: RetireIn) -> Any:
    pk = _key(request, key)
    actions.retire_component(
        pk, actor=request.user, reason=payload.reason, expected_version=payload.version
    )
    return _detail(request, pk)


@router.post(
    "/components/{key}/restore",
    response={200: ComponentDetailOut, **ERRORS},
    summary="Put a retired component back into the inventory",
    url_name="cases_component_restore",
)
def restore(request: HttpRequest, key: str, payload: VersionIn) -> Any:
    pk = _key(request, key)
    actions.restore_component(pk, actor=request.user, expected_version=payload.version)
    return _detail(request, pk)


@router.post(
    "/components/{key}/photos",
    response={201: ComponentDetailOut, **ERRORS},
    summary="Add a photo (JPEG or PNG; location metadata is stripped)",
    url_name="cases_component_photo",
)
def add_photo(request: HttpRequest, key: str, photo: UploadedFile = PHOTO) -> Any:
    pk = _key(request, key)
    actions.attach_component_photo(pk, photo, actor=request.user)
    return Status(201, _detail(request, pk))
