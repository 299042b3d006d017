"""REST endpoints of the catalogue (case classes) and the responsibility list, under
``/api/v1/cases``.

Classes are read by everyone who works with cases and changed by city administrators;
responsibility rows are read within the caller's area (plus the rows above it that apply
there) and changed inside it. ``GET /responsibility/match`` answers who disposes of a
class of case at a place, and which row decided it.
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile

from gridgov.api.schemas import ERRORS, PageOut, VersionIn, paged
from gridgov.cases.actions import catalogue as actions
from gridgov.cases.models import CaseClass, Responsibility
from gridgov.cases.queries import catalogue as queries
from gridgov.core.paging import DEFAULT_PAGE_SIZE
from gridgov.web.downloads import CSV_TYPE, XLSX_TYPE, file_response, openapi_file

router = Router(tags=["cases: catalogue"])

PAGE = Query(1, description="Page number from 1")
PAGE_SIZE = Query(DEFAULT_PAGE_SIZE, description="Rows per page")
KIND = Query(None, description="component or event")
CODE = Field(..., min_length=4, max_length=15, pattern=r"^\d+$", examples=["411302"])


# --- classes ----------------------------------------------------------------------------


class DepartmentBriefOut(Schema):
    id: int
    code: str
    name: str
    region_code: str


class ClassOut(Schema):
    id: int
    kind: str
    kind_label: str
    code: str
    service_code: str = Field(description="Open311 service_code: C (component) or E + code")
    name: str
    is_minor: bool
    major_id: int | None = None
    major_code: str = ""
    major_name: str = ""
    filing_condition: str
    closing_condition: str
    limit_value: int | None = None
    limit_unit: str
    limit_label: str = Field(description='The limit as people read it, e.g. "2 紧急小时"')
    default_department: DepartmentBriefOut | None = None
    attributes: list[dict[str, Any]] = Field(description="Open311 attributes asked on report")
    is_active: bool
    usable: bool = Field(description="Active, and (a minor) under an active major")
    version: int


class MajorOut(Schema):
    id: int
    kind: str
    code: str
    service_code: str
    name: str
    is_active: bool
    version: int
    minors: list[ClassOut]


class ClassCreateIn(Schema):
    kind: Literal["component", "event"]
    code: str = Field(..., description="2 digits for a major class, 4 for a minor class")
    name: str
    filing_condition: str = ""
    closing_condition: str = ""
    limit_value: int | None = None
    limit_unit: str = ""
    default_department_id: int | None = None
    attributes: list[dict[str, Any]] = Field(default_factory=list)


class ClassPatchIn(Schema):
    version: int = Field(..., description="The version you read; a newer one is a conflict")
    name: str | None = None
    filing_condition: str | None = None
    closing_condition: str | None = None
    limit_value: int | None = None
    limit_unit: str | None = None
    default_department_id: int | None = None
    attributes: list[dict[str, Any]] | None = None


def _department(department: Any) -> dict[str, Any] | None:
    if department is None:
        return None
    return {
        "id": department.pk,
        "code": department.code,
        "name": department.name,
        "region_code": department.region_code,
    }


def class_payload(cls: CaseClass) -> dict[str, Any]:
    major = cls.parent
    return {
        "id": cls.pk,
        "kind": cls.kind,
        "kind_label": str(cls.get_kind_display()),
        "code": cls.code,
        "service_code": cls.service_code,
        "name": cls.name,
        "is_minor": cls.is_minor,
        "major_id": cls.parent_id,
        "major_code": major.code if major else "",
        "major_name": major.name if major else "",
        "filing_condition": cls.filing_condition,
        "closing_condition": cls.closing_condition,
        "limit_value": cls.limit_value,
        "limit_unit": cls.limit_unit,
        "limit_label": queries.limit_label(cls.limit_value, cls.limit_unit),
        "default_department": _department(cls.default_department),
        "attributes": cls.attributes or [],
        "is_active": cls.is_active,
        "usable": cls.is_active and (major is None or major.is_active),
        "version": cls.version,
    }


@router.get(
    "/classes",
    response={200: PageOut[ClassOut], **ERRORS},
    summary="Case classes, majors and minors in code order (search, kind, active)",
    url_name="cases_classes",
)
def list_classes(
    request: HttpRequest,
    kind: Literal["component", "event"] | None = KIND,
    active: bool | None = Query(None, description="true: classes a report may use"),
    q: str = Query("", max_length=60, description="Name or code"),
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> Any:
    queries.require_class_reader(request.user)
    rows = queries.search_classes(request.user, q=q, kind=kind or "", active=active)
    return paged(rows, page, page_size, class_payload)


@router.get(
    "/classes/tree",
    response={200: list[MajorOut], **ERRORS},
    summary="Majors with their minors, for pickers (active only unless active=false)",
    url_name="cases_class_tree",
)
def class_tree(
    request: HttpRequest,
    kind: Literal["component", "event"] | None = KIND,
    active: bool = Query(True, description="false: every class, active or not"),
) -> Any:
    queries.require_class_reader(request.user)
    rows = queries.search_classes(request.user, kind=kind or "", active=True if active else None)
    return [
        {
            "id": node.major.pk,
            "kind": node.major.kind,
            "code": node.major.code,
            "service_code": node.major.service_code,
            "name": node.major.name,
            "is_active": node.major.is_active,
            "version": node.major.version,
            "minors": [class_payload(minor) for minor in node.minors],
        }
        for node in queries.class_tree(rows)
    ]


@router.get(
    "/classes/{class_id}",
    response={200: ClassOut, **ERRORS},
    summary="One case class",
    url_name="cases_class",
)
def get_class(request: HttpRequest, class_id: int) -> Any:
    queries.require_class_reader(request.user)
    return class_payload(queries.get_class_for(request.user, class_id))


@router.post(
    "/classes",
    response={201: ClassOut, **ERRORS},
    summary="Create a major or minor class (city administrators)",
    url_name="cases_class_create",
)
def create_class(request: HttpRequest, payload: ClassCreateIn) -> Any:
    cls = actions.create_class(actor=request.user, **payload.dict())
    return Status(201, class_payload(queries.get_class_for(request.user, cls.pk)))


@router.patch(
    "/classes/{class_id}",
    response={200: ClassOut, **ERRORS},
    summary="Change a class's name, conditions, time limit, default department or "
    "attributes (city administrators); fields left out stay",
    url_name="cases_class_update",
)
def update_class(request: HttpRequest, class_id: int, payload: ClassPatchIn) -> Any:
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    actions.update_class(class_id, actor=request.user, version=version, **changes)
    return class_payload(queries.get_class_for(request.user, class_id))


@router.post(
    "/classes/{class_id}/deactivate",
    response={200: ClassOut, **ERRORS},
    summary="No new reports of this class (a major: of all its minors)",
    url_name="cases_class_deactivate",
)
def deactivate_class(request: HttpRequest, class_id: int, payload: VersionIn) -> Any:
    actions.deactivate_class(class_id, actor=request.user, version=payload.version)
    return class_payload(queries.get_class_for(request.user, class_id))


@router.post(
    "/classes/{class_id}/reactivate",
    response={200: ClassOut, **ERRORS},
    summary="Accept reports of this class again",
    url_name="cases_class_reactivate",
)
def reactivate_class(request: HttpRequest, class_id: int, payload: VersionIn) -> Any:
    actions.reactivate_class(class_id, actor=request.user, version=payload.version)
    return class_payload(queries.get_class_for(request.user, class_id))


# --- responsibilities -------------------------------------------------------------------


class ResponsibilityOut(Schema):
    id: int
    case_class: ClassOut
    region_code: str
    region_name: str
    department: DepartmentBriefOut
    note: str
    is_active: bool
    can_edit: bool = Field(description="Inside the caller's area (rows above it are read-only)")
    version: int


class ResponsibilityIn(Schema):
    case_class_id: int
    region_code: str = CODE
    department_id: int
    note: str = ""


class ResponsibilityPatchIn(Schema):
    version: int
    department_id: int | None = None
    note: str | None = None


def responsibility_payload(
    user: Any, row: Responsibility, names: dict[str, str] | None = None
) -> dict[str, Any]:
    if names is None:
        names = queries.region_names([row.region_code])
    return {
        "id": row.pk,
        "case_class": class_payload(row.case_class),
        "region_code": row.region_code,
        "region_name": names.get(row.region_code, ""),
        "department": _department(row.department),
        "note": row.note,
        "is_active": row.is_active,
        "can_edit": queries.may_edit_responsibility(user, row.region_code),
        "version": row.version,
    }


def _filtered(
    request: HttpRequest,
    class_id: int | None,
    region_code: str,
    department_id: int | None,
    kind: str | None,
    state: str,
    q: str,
) -> Any:
    queries.require_responsibility_reader(request.user)
    return queries.search_responsibilities(
        request.user,
        case_class=class_id,
        region_code=region_code,
        department=department_id,
        kind=kind or "",
        state=state,
        q=q,
    )


UPLOAD = File(..., description="CSV (UTF-8, GBK) or XLSX with the export's columns")
REGION_FILTER = Query("", max_length=15, pattern=r"^\d*$", description="Rows that apply here")


@router.get(
    "/responsibilities",
    response={200: PageOut[ResponsibilityOut], **ERRORS},
    summary="The responsibility list: rows inside your area and those above it that apply",
    url_name="cases_responsibilities",
)
def list_responsibilities(
    request: HttpRequest,
    class_id: int | None = None,
    region_code: str = REGION_FILTER,
    department_id: int | None = None,
    kind: Literal["component", "event"] | None = KIND,
    state: Literal["active", "removed", "all"] = Query(
        "active", description="The list in force, removed rows (history), or both"
    ),
    q: str = Query("", max_length=60, description="Class, department or note"),
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> Any:
    rows = _filtered(request, class_id, region_code, department_id, kind, state, q)
    result = paged(rows, page, page_size, lambda row: row)
    names = queries.region_names(row.region_code for row in result["items"])
    result["items"] = [responsibility_payload(request.user, r, names) for r in result["items"]]
    return result


@router.get(
    "/responsibilities/export",
    response=ERRORS,
    openapi_extra=openapi_file(
        XLSX_TYPE, CSV_TYPE, description="The list as a spreadsheet (the import's columns)"
    ),
    summary="The responsibility list (filtered like the list) as XLSX or CSV",
    url_name="cases_responsibility_export",
)
def export_responsibilities(
    request: HttpRequest,
    format: str = Query("xlsx", pattern="^(xlsx|csv)$"),
    class_id: int | None = None,
    region_code: str = REGION_FILTER,
    department_id: int | None = None,
    kind: Literal["component", "event"] | None = KIND,
) -> Any:
    rows = _filtered(request, class_id, region_code, department_id, kind, "active", "")
    name, content = queries.responsibility_export(rows, format)
    return file_response(content, name, format)


class ResponsibilityImportReportOut(Schema):
    file_name: str
    policy: str
    encoding: str
    read: int
    valid: int
    created: int
    updated: int
    skipped: int = Field(description="Rows the same as the list already: nothing to change")
    rejected: int
    written: bool
    ignored_columns: list[str]
    errors: list[dict[str, Any]] = Field(description="Every rejected row: row, column, reason")


@router.post(
    "/responsibilities/import",
    response={200: ResponsibilityImportReportOut, **ERRORS},
    summary="Add or change rows from a CSV or XLSX file with the export's columns",
    url_name="cases_responsibility_import",
)
def import_responsibilities(
    request: HttpRequest,
    file: UploadedFile = UPLOAD,
    policy: Literal["all_or_nothing", "skip_invalid"] = Form("all_or_nothing"),
) -> Any:
    report = actions.import_responsibilities_upload(file, actor=request.user, policy=policy)
    return report.as_dict()


@router.get(
    "/responsibilities/{responsibility_id}",
    response={200: ResponsibilityOut, **ERRORS},
    summary="One row of the responsibility list",
    url_name="cases_responsibility",
)
def get_responsibility(request: HttpRequest, responsibility_id: int) -> Any:
    row = queries.get_responsibility_for(request.user, responsibility_id)
    return responsibility_payload(request.user, row)


@router.post(
    "/responsibilities",
    response={201: ResponsibilityOut, **ERRORS},
    summary="Make a department responsible for a minor class at a territory node",
    url_name="cases_responsibility_create",
)
def add_responsibility(request: HttpRequest, payload: ResponsibilityIn) -> Any:
    row = actions.add_responsibility(actor=request.user, **payload.dict())
    row = queries.get_responsibility_for(request.user, row.pk)
    return Status(201, responsibility_payload(request.user, row))


@router.patch(
    "/responsibilities/{responsibility_id}",
    response={200: ResponsibilityOut, **ERRORS},
    summary="Change a row's department or note",
    url_name="cases_responsibility_update",
)
def change_responsibility(
    request: HttpRequest, responsibility_id: int, payload: ResponsibilityPatchIn
) -> Any:
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    actions.change_responsibility(responsibility_id, actor=request.user, version=version, **changes)
    row = queries.get_responsibility_for(request.user, responsibility_id)
    return responsibility_payload(request.user, row)


@router.delete(
    "/responsibilities/{responsibility_id}",
    response={200: ResponsibilityOut, **ERRORS},
    summary="Remove a row (kept as history, inactive)",
    url_name="cases_responsibility_remove",
)
def remove_responsibility(
    request: HttpRequest, responsibility_id: int, version: int = Query(...)
) -> Any:
    actions.remove_responsibility(responsibility_id, actor=request.user, version=version)
    row = queries.get_responsibility_for(request.user, responsibility_id)
    return responsibility_payload(request.user, row)


class MatchOut(Schema):
    department: DepartmentBriefOut | None = None
    via: Literal["rule", "default", "none"] = Field(
        description="rule: a row of the list; default: the class's default department; "
        "none: unassigned, the case waits in the command centre's queue"
    )
    rule: ResponsibilityOut | None = None
    case_class: ClassOut
    code: str
    region_name: str


@router.get(
    "/responsibility/match",
    response={200: MatchOut, **ERRORS},
    summary="Who disposes of a class of case at a grid (or any territory node), and why",
    url_name="cases_responsibility_match",
)
def match(
    request: HttpRequest,
    case_class: str = Query(
        ..., alias="class", description="Service code (C0102, E0101) or class id"
    ),
    grid_code: str = Query(..., min_length=4, max_length=15, pattern=r"^\d+$"),
) -> Any:
    cls, found = queries.match_for(request.user, case_class, grid_code)
    names = queries.region_names([grid_code] + ([found.rule.region_code] if found.rule else []))
    return {
        "department": _department(found.department),
        "via": found.via,
        "rule": responsibility_payload(request.user, found.rule, names) if found.rule else None,
        "case_class": class_payload(cls),
        "code": grid_code,
        "region_name": names.get(grid_code, ""),
    }
