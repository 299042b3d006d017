"""Infection cases, close contacts and community situations under /api/v1/epidemic:
``/cases``, ``/contacts``, ``/people/{id}/exposures`` and ``/situations`` — scoped and
refused exactly like the pages (outside the caller's area: 404)."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path as FilePath
from typing import Any, Literal

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, File, Form, Path, Query, Router, Schema, Status, UploadedFile

from gridgov.api.schemas import (
    ERRORS,
    PAGE,
    PAGE_SIZE,
    FeatureCollectionOut,
    FeatureOut,
    FeaturePropertiesOut,
    list_endpoint,
    paged,
)
from gridgov.core.formats import CSV_TYPE, GEOJSON_TYPE, XLSX_TYPE
from gridgov.epidemic import rules
from gridgov.epidemic.actions import contacts as actions
from gridgov.epidemic.actions import contacts_files as files
from gridgov.epidemic.queries import contacts as queries
from gridgov.web.downloads import file_response, openapi_file

router = Router(tags=["epidemic: cases and contacts"])

MAX_PK = 2**63 - 1
ID = Path(..., ge=1, le=MAX_PK)
Kind = Literal["suspected", "confirmed", "asymptomatic"]
CaseState = Literal["open", "excluded", "recovered", "died"]
Setting = Literal["household", "work", "transport", "gathering", "other"]
Origin = Literal["screening", "tracing", "health_authority", "import"]
SituationCode = Literal["no_case", "cluster", "transmission"]
IsolationChoice = Literal["", "home", "centralised"]
Format = Literal["xlsx", "csv"]
TERRITORY = Query("", pattern=r"^(\d{4,15})?$", description="Territory code prefix (city to grid)")
NODE = Query("", pattern=r"^(\d{4}|\d{6}|\d{9}|\d{12})?$", description="City to community")
SPREADSHEET = openapi_file(XLSX_TYPE, CSV_TYPE)
REVEAL_HELP = "Full ID and phone numbers (registry.reveal needed; audited either way)"
DEGREE = Query(1, ge=1, le=2, description="1: first degree; 2: second degree")
REPORTED_FROM = Query(None, description="Reported on or after")
REPORTED_TO = Query(None, description="Reported on or before")
UPLOAD = File(..., description="CSV (UTF-8, GBK, GB18030) or XLSX")
ENCODING = Form("auto")
ISOLATE_ALSO = Form("", description="Also start the isolation of each contact linked")


class InfectionCaseOut(Schema):
    id: int
    person_id: int
    person_name: str
    grid_code: str
    kind: Kind
    kind_label: str
    status: CaseState
    status_label: str
    reported_on: dt.date = Field(description="The day it was reported as its kind")
    source_known: bool
    source_note: str
    version: int


class CaseIn(Schema):
    person_id: int = Field(..., ge=1, le=MAX_PK, description="A person of the registry")
    kind: Kind
    reported_on: dt.date | None = Field(None, description="Default: today")
    source_known: bool | None = Field(
        None, description="Default: known when the person is listed as someone's contact"
    )
    source_note: str = Field("", max_length=200)


class CasePatch(Schema):
    kind: Kind | None = Field(None, description="Forward only; a new kind is a new report")
    status: CaseState | None = None
    reported_on: dt.date | None = None
    source_known: bool | None = None
    source_note: str | None = Field(None, max_length=200)
    version: int | None = Field(None, description="The version read; 409 if it changed")


class ContactOut(Schema):
    id: int
    person_id: int
    person_name: str
    id_number_masked: str
    source_id: int
    source_name: str
    grid_code: str
    degree: int = Field(description="1: exposed to a case; 2: exposed to a first-degree contact")
    setting: str
    last_contact_date: dt.date | None = None
    origin: str
    note: str


class ContactIn(Schema):
    person_id: int = Field(..., ge=1, le=MAX_PK, description="The person exposed")
    source_id: int = Field(..., ge=1, le=MAX_PK, description="The case or first-degree contact")
    setting: Setting | Literal[""] = ""
    last_contact_date: dt.date | None = None
    origin: Origin = "tracing"
    note: str = Field("", max_length=200)
    isolate: IsolationChoice = Field(
        "", description="Also start their isolation (home/centralised)"
    )


class ExposuresOut(Schema):
    person_id: int
    exposed_to: list[ContactOut] = Field(description="Links where this person was exposed")
    exposed: list[ContactOut] = Field(description="People in your area exposed to this person")


class ImportRowOut(Schema):
    row: int
    outcome: Literal["linked", "skipped", "rejected"]
    reason: str
    degree: int
    contact: str
    source: str


class ContactImportOut(Schema):
    file_name: str
    encoding: str
    linked: int
    skipped: int
    rejected: int
    rows: list[ImportRowOut]


class SituationOut(Schema):
    community_code: str
    name: str | None = None
    date: dt.date
    situation: SituationCode
    situation_label: str
    cases_14d: int = Field(description="Confirmed and asymptomatic cases in the 14 days")
    unknown_source_14d: int
    largest_unit_14d: int = Field(description="Most cases in one building or household")


class SituationPropertiesOut(FeaturePropertiesOut):
    situation: SituationCode | None = Field(None, description="null: not computed that day")
    score: int | None = Field(None, description="The map's colour: 100 none, 80 cases, 0 spread")


class SituationFeatureOut(FeatureOut):
    properties: SituationPropertiesOut


class SituationMapOut(FeatureCollectionOut):
    features: list[SituationFeatureOut]  # type: ignore[assignment]


def case_out(case: Any) -> dict[str, Any]:
    return {
        "id": case.pk,
        "person_id": case.person_id,
        "person_name": case.person.name,
        "grid_code": case.grid_code,
        "kind": case.kind,
        "kind_label": case.get_kind_display(),
        "status": case.status,
        "status_label": case.get_status_display(),
        "reported_on": case.reported_on,
        "source_known": case.source_known,
        "source_note": case.source_note,
        "version": case.version,
    }


def contact_out(link: Any) -> dict[str, Any]:
    return {
        "id": link.pk,
        "person_id": link.person_id,
        "person_name": link.person.name,
        "id_number_masked": link.person.id_number_masked,
        "source_id": link.source_id,
        "source_name": link.source.name,
        "grid_code": link.grid_code,
        "degree": link.degree,
        "setting": link.setting,
        "last_contact_date": link.last_contact_date,
        "origin": link.origin,
        "note": link.note,
    }


def situation_out(row: Any) -> dict[str, Any]:
    return {
        "community_code": row.community_code,
        "name": getattr(row, "name", None),
        "date": row.date,
        "situation": row.situation,
        "situation_label": row.get_situation_display(),
        "cases_14d": row.cases_14d,
        "unknown_source_14d": row.unknown_source_14d,
        "largest_unit_14d": row.largest_unit_14d,
    }


# --- cases --------------------------------------------------------------------------------


@list_endpoint(
    router,
    "/cases",
    InfectionCaseOut,
    summary="Infection cases in your scope",
    url_name="epidemic_cases",
)
def list_cases(
    request: HttpRequest,
    code: str = TERRITORY,
    kind: Kind | None = None,
    status: CaseState | None = None,
    date_from: dt.date | None = REPORTED_FROM,
    date_to: dt.date | None = REPORTED_TO,
    q: str = Query("", max_length=60, description="Part of the name, or the full ID number"),
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> Any:
    cases = queries.search_cases(
        request.user,
        code=code,
        kind=kind or "",
        status=status or "",
        date_from=date_from,
        date_to=date_to,
        q=q,
    )
    return paged(cases, page, page_size, case_out)


@router.post(
    "/cases",
    response={201: InfectionCaseOut, **ERRORS},
    summary="Record an infection case (epidemic.isolate over the person's grid)",
    url_name="epidemic_case_record",
)
def record_case(request: HttpRequest, payload: CaseIn) -> Any:
    case = actions.record_infection_case(actor=request.user, **payload.dict())
    return Status(201, case_out(case))


@router.get(
    "/cases/{case_id}",
    response={200: InfectionCaseOut, **ERRORS},
    summary="One infection case",
    url_name="epidemic_case",
)
def get_case(request: HttpRequest, case_id: int = ID) -> Any:
    return case_out(queries.get_case_for(request.user, case_id))


@router.patch(
    "/cases/{case_id}",
    response={200: InfectionCaseOut, **ERRORS},
    summary="Change a case's kind or status, or correct its report day or source",
    url_name="epidemic_case_change",
)
def change_case(request: HttpRequest, payload: CasePatch, case_id: int = ID) -> Any:
    queries.get_case_for(request.user, case_id)
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    version = changes.pop("version", None)
    case = actions.change_infection_case(
        case_id, actor=request.user, expected_version=version, **changes
    )
    return case_out(queries.get_case_for(request.user, case.pk))


@list_endpoint(
    router,
    "/cases/{case_id}/contacts",
    ContactOut,
    summary="A case's first- or second-degree contacts in your area",
    url_name="epidemic_case_contacts",
)
def case_contacts(
    request: HttpRequest,
    case_id: int = ID,
    degree: int = DEGREE,
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> Any:
    case = queries.get_case_for(request.user, case_id)
    links = queries.contact_tree(request.user, case).of_degree(degree)
    for link in links:
        if degree == 1:
            link.source = case.person
    return paged(links, page, page_size, contact_out)


@router.get(
    "/cases/{case_id}/contacts/export",
    response=ERRORS,
    openapi_extra=SPREADSHEET,
    summary="A case's contact list as XLSX or CSV for the health authority (epidemic.export)",
    url_name="epidemic_case_contacts_export",
)
def export_case_contacts(
    request: HttpRequest,
    case_id: int = ID,
    format: Format = "xlsx",
    reveal: bool = Query(False, description=REVEAL_HELP),
) -> Any:
    content = files.export_contacts(request.user, case_id=case_id, format=format, reveal=reveal)
    return file_response(content, files.export_filename(case_id, "", format), format)


# --- contacts -----------------------------------------------------------------------------


@router.post(
    "/contacts",
    response={201: ContactOut, **ERRORS},
    summary="List a close contact; the degree is computed from the source",
    url_name="epidemic_contact_link",
)
def link_contact(request: HttpRequest, payload: ContactIn) -> Any:
    link = actions.link_close_contact(actor=request.user, **payload.dict())
    return Status(201, contact_out(queries.get_contact_for(request.user, link.pk)))


@router.get(
    "/contacts/export",
    response=ERRORS,
    openapi_extra=SPREADSHEET,
    summary="The contacts of every open case under a node as XLSX or CSV (epidemic.export)",
    url_name="epidemic_contacts_export",
)
def export_contacts(
    request: HttpRequest,
    code: str = Query(..., pattern=r"^\d{4,15}$"),
    format: Format = "xlsx",
    reveal: bool = Query(False, description=REVEAL_HELP),
) -> Any:
    content = files.export_contacts(request.user, code=code, format=format, reveal=reveal)
    return file_response(content, files.export_filename(None, code, format), format)


@router.post(
    "/contacts/import",
    response={200: ContactImportOut, **ERRORS},
    summary="Link the contacts of a file: ID numbers of source and contact per row",
    url_name="epidemic_contacts_import",
)
def import_contacts(
    request: HttpRequest,
    file: UploadedFile = UPLOAD,
    encoding: Literal["auto", "utf-8", "gbk", "gb18030"] = ENCODING,
    isolate: IsolationChoice = ISOLATE_ALSO,
) -> Any:
    with tempfile.TemporaryDirectory() as folder:
        stored = FilePath(folder) / "upload"
        with stored.open("wb") as out:
            for chunk in file.chunks():
                out.write(chunk)
        result = files.import_contacts(
            stored,
            actor=request.user,
            encoding=encoding,
            file_name=file.name or "",
            isolate=isolate,
        )
    return {
        "file_name": result.file_name,
        "encoding": result.encoding,
        "linked": result.linked,
        "skipped": result.skipped,
        "rejected": result.rejected,
        "rows": [vars(row) for row in result.rows],
    }


@router.delete(
    "/contacts/{contact_id}",
    response={204: None, **ERRORS},
    summary="Remove a close contact listed by mistake",
    url_name="epidemic_contact_unlink",
)
def unlink_contact(
    request: HttpRequest, contact_id: int = ID, note: str = Query("", max_length=200)
) -> Any:
    queries.get_contact_for(request.user, contact_id)
    actions.unlink_close_contact(contact_id, actor=request.user, note=note)
    return Status(204, None)


@router.get(
    "/people/{person_id}/exposures",
    response={200: ExposuresOut, **ERRORS},
    summary="Whom a person was exposed to, and who was exposed to them",
    url_name="epidemic_exposures",
)
def person_exposures(request: HttpRequest, person_id: int = ID) -> Any:
    person = queries.get_person_for(request.user, person_id)
    found = queries.exposures(request.user, person)
    for link in found.to:
        link.person = person
    for link in found.by:
        link.source = person
    return {
        "person_id": person.pk,
        "exposed_to": [contact_out(link) for link in found.to],
        "exposed": [contact_out(link) for link in found.by],
    }


# --- situations ---------------------------------------------------------------------------


def _day(code: str, date: dt.date | None) -> dt.date:
    return date or queries.latest_day(code) or rules.today()


@list_endpoint(
    router,
    "/situations",
    SituationOut,
    summary="Each community's situation under a node on a day (default: the last computed)",
    url_name="epidemic_situations",
)
def list_situations(
    request: HttpRequest,
    code: str = NODE,
    date: dt.date | None = None,
    situation: SituationCode | None = None,
    q: str = Query("", max_length=60, description="Part of the community's name or code"),
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> Any:
    node = queries.check_node(request.user, code or queries.home_node(request.user))
    rows = queries.situations(request.user, node, _day(node, date), situation=situation or "", q=q)
    return paged(rows, page, page_size, situation_out)


@router.get(
    "/situations/map.geojson",
    response={200: SituationMapOut, **ERRORS},
    openapi_extra=openapi_file(GEOJSON_TYPE),
    summary="The communities under a node with their situation on a day, for a map",
    url_name="epidemic_situation_map",
)
def situation_map(request: HttpRequest, code: str = NODE, date: dt.date | None = None) -> Any:
    node = queries.check_node(request.user, code or queries.home_node(request.user))
    return queries.situation_map(
        request.user,
        node,
        _day(node, date),
        lambda community: reverse("epidemic:situation_history", args=[community]),
    )


@list_endpoint(
    router,
    "/situations/{community_code}/history",
    SituationOut,
    summary="One community's situation day by day, newest first",
    url_name="epidemic_situation_history",
)
def situation_history(
    request: HttpRequest,
    community_code: str = Path(..., pattern=r"^\d{12}$"),
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> Any:
    return paged(
        queries.situation_history(request.user, community_code), page, page_size, situation_out
    )
