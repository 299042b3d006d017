"""Screening campaigns, tasks and records at /api/v1/epidemic/screening/…: scoped and
refused exactly like the pages. Changes carry the ``version`` read (409 when someone
changed the campaign or task first); progress comes from the roll-ups only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, File, Form, Path, Query, Router, Schema, Status, UploadedFile

from gridgov.api.schemas import ERRORS, PAGE, PAGE_SIZE, VersionIn, attributes, list_endpoint, paged
from gridgov.epidemic import rules
from gridgov.epidemic.actions import screening as actions
from gridgov.epidemic.queries import screening as queries
from gridgov.registry import identity

router = Router(tags=["epidemic: screening"])

MAX_PK = 2**63 - 1
ID = Path(..., ge=1, le=MAX_PK)
BASE = "/screening"
Target = Literal["everyone", "risk_arrivals", "care_group", "imported"]
CampaignState = Literal["draft", "active", "closed", "cancelled"]
TaskState = Literal["todo", "open", "done", "unreachable", "cancelled", "all"]
HealthAnswer = Literal["normal", "fever_or_cough", "other"]
TransportKind = Literal["train", "flight", "coach", "car", "ship", "other"]
MeasureKind = Literal["none", "health_watch", "home_isolation", "centralised", "hospital"]
Point = Literal[
    "number",
    "identity",
    "return_time",
    "origin",
    "route",
    "transport",
    "close_contacts",
    "health",
    "measures",
    "family",
]
TERRITORY = Query("", pattern=r"^(\d{4,15})?$", description="Territory code prefix (city to grid)")
VERSION = Field(None, description="The version read; 409 if it changed since")
UPLOAD = File(
    ..., description="CSV (UTF-8, GBK) or XLSX with a column 公民身份号码 (optionally 姓名)"
)
DAY = Query(None, description="Screened on this day")


class CampaignFiguresOut(Schema):
    code: str
    name: str
    tasks: int
    done: int
    unreachable: int
    not_visited: int = Field(description="Tasks neither screened nor found unreachable")
    done_percent: float


class CampaignOut(Schema):
    id: int
    name: str
    description: str
    region_code: str = Field(description="The territory node screened (city to grid)")
    target: Target
    target_label: str
    arrivals_since: dt.date | None = None
    care_kind: str
    status: CampaignState
    status_label: str
    starts_on: dt.date | None = None
    due_on: dt.date | None = None
    created_at: dt.datetime
    started_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    version: int
    progress: CampaignFiguresOut | None = Field(
        None, description="Its figures within your scope (once started, epidemic.aggregate)"
    )


class CampaignIn(Schema):
    name: str = Field(..., max_length=120)
    description: str = Field("", max_length=2000)
    region_code: str | None = Field(
        None, pattern=r"^\d{4,15}$", description="Default: your own node"
    )
    target: Target
    arrivals_since: dt.date | None = Field(None, description="For risk_arrivals")
    care_kind: str = Field("", description="A registry care group, for care_group")
    starts_on: dt.date | None = None
    due_on: dt.date | None = None


class CampaignPatch(Schema):
    name: str | None = Field(None, max_length=120)
    description: str | None = Field(None, max_length=2000)
    region_code: str | None = Field(None, pattern=r"^\d{4,15}$")
    target: Target | None = None
    arrivals_since: dt.date | None = None
    care_kind: str | None = None
    starts_on: dt.date | None = None
    due_on: dt.date | None = None
    version: int | None = VERSION


class TrendOut(Schema):
    date: dt.date
    done: int = Field(description="Tasks screened that day")
    total: int = Field(description="Tasks screened up to that day")


class ProgressOut(Schema):
    campaign_id: int
    node: CampaignFiguresOut
    children: list[CampaignFiguresOut] = Field(description="Each child node (every one, by code)")
    trend: list[TrendOut]


class ScreeningListReportOut(Schema):
    file_name: str
    encoding: str
    read: int
    valid: int
    created: int = Field(description="People added to the list")
    skipped: int = Field(description="People already on the list")
    rejected: int
    written: bool
    ignored_columns: list[str]
    errors: list[dict[str, Any]] = Field(description="Every rejected row: row, column, reason")


class TaskOut(Schema):
    id: int
    campaign_id: int
    campaign_name: str
    person_id: int
    person_name: str
    sex: str
    age: int | None = None
    id_number: str = Field(description="Masked")
    phone: str = Field(description="Masked")
    address: str
    unit: str
    room: str
    grid_code: str
    assignee_id: int | None = None
    status: Literal["open", "done", "unreachable", "cancelled"]
    status_label: str
    attempts: int
    due_on: dt.date | None = None
    done_at: dt.datetime | None = None
    version: int


class Answers(Schema):
    health: HealthAnswer | None = None
    temperature: Decimal | None = Field(None, ge=34, le=43, decimal_places=1)
    origin_code: str = Field(
        "", pattern=r"^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})?$", description="Came from"
    )
    places_passed: str = Field("", max_length=300)
    arrival_date: dt.date | None = None
    transport: TransportKind | None = None
    transport_number: str = Field("", max_length=30)
    companions: str = Field("", max_length=200)
    isolation_start: dt.date | None = None
    contact_history: str = Field("", max_length=300)
    measures: list[MeasureKind] = Field(default_factory=list)
    measures_note: str = Field("", max_length=200)
    family_note: str = Field("", max_length=200)
    unclear_points: list[Point] = Field(
        default_factory=list,
        description="Points ticked as still unclear (others are derived from the answers)",
    )
    screened_at: dt.datetime | None = Field(
        None, description="When the visit was (default: now; at most 7 days ago)"
    )
    client_key: str | None = Field(
        None,
        min_length=8,
        max_length=64,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="Chosen by the sender (a UUID): sent again after a lost answer, the "
        "first record comes back (200) instead of a second one",
    )


class TaskRecordIn(Answers):
    version: int | None = Field(None, description="The task's version read; 409 if it changed")


class PersonRecordIn(Answers):
    person_id: int = Field(..., ge=1, le=MAX_PK)


class UnreachableIn(Schema):
    version: int | None = VERSION
    note: str = Field("", max_length=200)


class RecordOut(Schema):
    id: int
    client_key: str | None = None
    person_id: int
    person_name: str
    campaign_id: int | None = None
    task_id: int | None = None
    grid_code: str
    screened_at: dt.datetime
    health: str
    temperature: Decimal | None = None
    origin_code: str
    places_passed: str
    arrival_date: dt.date | None = None
    transport: str
    transport_number: str
    companions: str
    isolation_start: dt.date | None = None
    contact_history: str
    measures: list[str]
    measures_note: str
    family_note: str
    unclear_points: list[str]
    unclear_count: int
    screened_by: str


def _figures(found: queries.Figures | None) -> dict[str, Any] | None:
    return found.as_dict() if found is not None else None


def campaign_out(campaign: Any, progress: queries.Figures | None = None) -> dict[str, Any]:
    return attributes(
        campaign,
        CampaignOut,
        target_label=campaign.get_target_display(),
        status_label=actions.labelled(campaign).status_label,
        progress=_figures(progress),
    )


def _campaign_answer(request: HttpRequest, campaign: Any) -> dict[str, Any]:
    figures = queries.list_figures(request.user, [campaign])
    return campaign_out(campaign, figures.get(campaign.pk))


@list_endpoint(
    router,
    f"{BASE}/campaigns",
    CampaignOut,
    summary="Screening campaigns",
    url_name="screening_campaigns",
)
def list_campaigns(
    request: HttpRequest,
    q: str = Query("", max_length=100, description="Part of the name"),
    status: CampaignState | None = None,
    code: str = Query("", pattern=r"^(\d{4,15})?$", description="Campaigns concerning a place"),
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> Any:
    campaigns = queries.search_campaigns(request.user, q=q, status=status or "", code=code)
    result = paged(campaigns, page, page_size, lambda c: c)
    figures = queries.list_figures(request.user, result["items"])
    result["items"] = [campaign_out(c, figures.get(c.pk)) for c in result["items"]]
    return result


@router.post(
    f"{BASE}/campaigns",
    response={201: CampaignOut, **ERRORS},
    summary="Create a draft campaign (epidemic.campaign over its node)",
    url_name="screening_campaign_create",
)
def create_campaign(request: HttpRequest, payload: CampaignIn) -> Any:
    campaign = actions.create_campaign(actor=request.user, **payload.dict())
    return Status(201, campaign_out(campaign))


@router.get(
    f"{BASE}/campaigns/{{campaign_id}}",
    response={200: CampaignOut, **ERRORS},
    summary="One campaign",
    url_name="screening_campaign",
)
def get_campaign(request: HttpRequest, campaign_id: int = ID) -> Any:
    return _campaign_answer(request, queries.get_campaign_for(request.user, campaign_id))


@router.patch(
    f"{BASE}/campaigns/{{campaign_id}}",
    response={200: CampaignOut, **ERRORS},
    summary="Change a draft campaign",
    url_name="screening_campaign_change",
)
def change_campaign(request: HttpRequest, payload: CampaignPatch, campaign_id: int = ID) -> Any:
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version", None)
    campaign = actions.update_campaign(
        campaign_id, actor=request.user, expected_version=version, **changes
    )
    return campaign_out(campaign)


def _move(name: str, summary: str, action: Any) -> None:
    """``POST …/campaigns/{id}/<name>`` calling ``action`` with the version sent."""

    @router.post(
        f"{BASE}/campaigns/{{campaign_id}}/{name}",
        response={200: CampaignOut, **ERRORS},
        summary=summary,
        url_name=f"screening_campaign_{name}",
        operation_id=f"screening_campaign_{name}",
    )
    def move(request: HttpRequest, payload: VersionIn, campaign_id: int = ID) -> Any:
        campaign = action(campaign_id, actor=request.user, expected_version=payload.version)
        return _campaign_answer(request, campaign)


_move("start", "Start a draft: one task per person targeted", actions.start_campaign)
_move(
    "close", "Close a campaign under way (tasks not visited are cancelled)", actions.close_campaign
)
_move("cancel", "Call off a draft or a campaign under way", actions.cancel_campaign)


@router.post(
    f"{BASE}/campaigns/{{campaign_id}}/list",
    response={200: ScreeningListReportOut, **ERRORS},
    summary="Add people to a draft's imported list from a file of ID numbers",
    url_name="screening_campaign_list",
)
def import_list(
    request: HttpRequest,
    campaign_id: int = ID,
    file: UploadedFile = UPLOAD,
    policy: Literal["skip_invalid", "all_or_nothing"] = Form("skip_invalid"),
    version: int | None = Form(None),
) -> Any:
    report = actions.import_campaign_list_upload(
        campaign_id, file, actor=request.user, expected_version=version, policy=policy
    )
    return report.as_dict()


@router.get(
    f"{BASE}/campaigns/{{campaign_id}}/progress",
    response={200: ProgressOut, **ERRORS},
    summary="A campaign's progress under a node and each of its children (roll-ups)",
    url_name="screening_campaign_progress",
)
def campaign_progress(
    request: HttpRequest,
    campaign_id: int = ID,
    code: str = Query("", pattern=r"^(\d{4,15})?$", description="Default: the campaign's node"),
) -> Any:
    campaign = queries.get_campaign_for(request.user, campaign_id)
    found = queries.progress(request.user, campaign, code)
    return {
        "campaign_id": campaign.pk,
        "node": found.node.as_dict(),
        "children": [child.as_dict() for child in found.children],
        "trend": queries.trend(campaign, found.node.code),
    }


def task_out(task: Any) -> dict[str, Any]:
    person = task.person
    household = person.household
    return {
        "id": task.pk,
        "campaign_id": task.campaign_id,
        "campaign_name": task.campaign.name,
        "person_id": person.pk,
        "person_name": person.name,
        "sex": person.sex,
        "age": identity.age_on(person.birth_date, rules.today()) if person.birth_date else None,
        "id_number": person.id_number_masked,
        "phone": person.phone_masked,
        "address": person.address or (household.address if household else ""),
        "unit": household.unit if household else "",
        "room": household.room if household else "",
        "grid_code": task.grid_code,
        "assignee_id": task.assignee_id,
        "status": task.status,
        "status_label": actions.labelled(task).status_label,
        "attempts": task.attempts,
        "due_on": task.due_on,
        "done_at": task.done_at,
        "version": task.version,
    }


@list_endpoint(
    router,
    f"{BASE}/tasks",
    TaskOut,
    summary="Tasks of campaigns under way, in door-to-door order",
    url_name="screening_tasks",
)
def list_tasks(
    request: HttpRequest,
    mine: bool = Query(False, description="Your own list (epidemic.screen)"),
    grid: str = TERRITORY,
    campaign_id: int | None = Query(None, ge=1, le=MAX_PK),
    status: TaskState = "todo",
    q: str = Query("", max_length=100, description="Part of a name or address"),
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> Any:
    tasks = queries.task_list(
        request.user, mine=mine, grid=grid, campaign_id=campaign_id, status=status, q=q
    )
    return paged(tasks, page, page_size, task_out)


@router.get(
    f"{BASE}/tasks/{{task_id}}",
    response={200: TaskOut, **ERRORS},
    summary="One task",
    url_name="screening_task",
)
def get_task(request: HttpRequest, task_id: int = ID) -> Any:
    return task_out(queries.get_task_for(request.user, task_id))


def record_out(row: Any) -> dict[str, Any]:
    return attributes(
        row,
        RecordOut,
        person_name=row.person.name,
        screened_by=str(row.screened_by) if row.screened_by else "",
    )


def _recorded(request: HttpRequest, screening: Any) -> Any:
    """201 with the new record, 200 with the first one when the client key repeats."""
    status = 200 if screening.repeated else 201
    return Status(status, record_out(queries.get_record_for(request.user, screening.pk)))


def _answers(payload: Schema, *drop: str) -> dict[str, Any]:
    data = payload.dict(exclude=set(drop))
    return {name: value for name, value in data.items() if value is not None}


@router.post(
    f"{BASE}/tasks/{{task_id}}/record",
    response={201: RecordOut, 200: RecordOut, **ERRORS},
    summary="Record the screening of a task's person (epidemic.screen over the grid); "
    "200: a repeat of a client key",
    url_name="screening_task_record",
)
def record_task(request: HttpRequest, payload: TaskRecordIn, task_id: int = ID) -> Any:
    screening = actions.record_screening(
        actor=request.user,
        task_id=task_id,
        expected_version=payload.version,
        **_answers(payload, "version"),
    )
    return _recorded(request, screening)


@router.post(
    f"{BASE}/tasks/{{task_id}}/unreachable",
    response={200: TaskOut, **ERRORS},
    summary=f"Nobody was at home (the task stays to visit up to {actions.MAX_ATTEMPTS} times)",
    url_name="screening_task_unreachable",
)
def task_unreachable(request: HttpRequest, payload: UnreachableIn, task_id: int = ID) -> Any:
    actions.mark_unreachable(
        task_id, actor=request.user, expected_version=payload.version, note=payload.note
    )
    return task_out(queries.get_task_for(request.user, task_id))


@router.post(
    f"{BASE}/records",
    response={201: RecordOut, 200: RecordOut, **ERRORS},
    summary="Record a screening without a campaign (epidemic.screen over the person's grid); "
    "200: a repeat of a client key",
    url_name="screening_record_create",
)
def record_person(request: HttpRequest, payload: PersonRecordIn) -> Any:
    screening = actions.record_screening(
        actor=request.user, person_id=payload.person_id, **_answers(payload, "person_id")
    )
    return _recorded(request, screening)


@list_endpoint(
    router,
    f"{BASE}/records",
    RecordOut,
    summary="Screening records in your scope, newest first",
    url_name="screening_records",
)
def list_records(
    request: HttpRequest,
    code: str = TERRITORY,
    campaign_id: int | None = Query(None, ge=1, le=MAX_PK),
    health: HealthAnswer | None = None,
    unclear: bool | None = Query(None, description="Only records with (or without) unclear points"),
    date: dt.date | None = DAY,
    person_id: int | None = Query(None, ge=1, le=MAX_PK),
    q: str = Query("", max_length=100, description="Part of the name"),
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> Any:
    rows = queries.search_records(
        request.user,
        code=code,
        campaign_id=campaign_id,
        health=health or "",
        unclear=unclear,
        day=date,
        person_id=person_id,
        q=q,
    )
    return paged(rows, page, page_size, record_out)


@router.get(
    f"{BASE}/records/{{record_id}}",
    response={200: RecordOut, **ERRORS},
    summary="One screening record",
    url_name="screening_record",
)
def get_record(request: HttpRequest, record_id: int = ID) -> Any:
    return record_out(queries.get_record_for(request.user, record_id))
