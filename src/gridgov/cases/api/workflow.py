"""REST endpoints of the case workflow, under /api/v1/cases — enough for a hotline system
or a mobile app to drive every stage.

- ``POST /cases`` reports a case (JSON, or multipart with ``photos``); ``GET /cases`` lists
  the cases the caller may see, with filters; ``GET /cases/{id}`` is one case with its
  timeline, traffic light and the moves the caller may make now.
- ``POST /cases/{id}/<move>`` for every move, carrying the ``version`` the caller read
  (409 when someone else moved the case first, or the move does not fit its stage). The
  moves with photos (record-verification, dispose, record-check) take JSON or multipart.
- ``GET /cases/queue`` (my work, most urgent first), ``/cases/unassigned``,
  ``/cases/postponements`` and ``POST /cases/postponements/{id}/approve|reject``.
- ``GET /cases/{id}/duplicates``; ``GET /cases/attachments/{id}`` (the file, scoped).
- Public, without login: ``GET /cases/track/{token}`` (no personal data),
  ``POST /cases/track/{token}/rating`` and the reporter's photos.

Handlers parse, call ``actions.workflow`` or ``queries.workflow``, and shape the answer.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import uuid
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from django.http import FileResponse, HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import ValidationError

from gridgov.api.schemas import ERRORS, PAGE, PAGE_SIZE, VersionIn, attributes, list_endpoint, paged
from gridgov.cases import attachments
from gridgov.cases.actions import workflow as actions
from gridgov.cases.models import (
    Attachment,
    Case,
    Postponement,
    Rating,
    Source,
    Stage,
    TimeUnit,
)
from gridgov.cases.queries import workflow as queries
from gridgov.core.errors import InvalidInput

router = Router(tags=["cases"])

MAX_PK = 2**63 - 1
ID = Path(..., ge=1, le=MAX_PK)
SourceName = Literal[tuple(Source.values)]  # type: ignore[valid-type]
StageName = Literal[tuple(Stage.values)]  # type: ignore[valid-type]
UnitName = Literal[tuple(TimeUnit.values)]  # type: ignore[valid-type]
RatingName = Literal[tuple(Rating.values)]  # type: ignore[valid-type]
NOTE = Field("", max_length=500)
REASON = Field(..., min_length=1, max_length=500)


# --- schemas: reading ---------------------------------------------------------------------


class AttachmentOut(Schema):
    id: int
    purpose: str
    content_type: str
    original_name: str
    size: int
    width: int | None = None
    height: int | None = None
    uploaded_at: dt.datetime
    url: str = Field(description="The file (only for those who may see the case)")
    thumbnail_url: str | None = Field(None, description="A 320 px JPEG, for images")


class CaseOut(Schema):
    id: int
    number: str
    stage: str
    stage_label: str
    source: str
    source_label: str
    case_class: int | None = None
    class_code: str
    class_name: str
    description: str
    address: str
    grid_code: str
    lon: float | None = None
    lat: float | None = None
    supervisor: int | None = None
    supervisor_name: str
    suggested_department: int | None = None
    suggested_department_name: str
    department: int | None = None
    department_name: str
    reported_at: dt.datetime
    deadline: dt.datetime | None = Field(None, description="Disposal deadline (from dispatch)")
    due: dt.datetime | None = Field(None, description="When the running clock runs out")
    traffic_light: str = Field(description='"green", "yellow", "red", or "" with no clock')
    overdue: bool
    dispatch_count: int
    rework_count: int
    return_count: int
    postponement_count: int
    version: int = Field(description="Send it back with a move to detect concurrent moves")
    url: str = Field(description="The case's page")


class DuplicateOut(CaseOut):
    distance_m: float | None = Field(None, description="Metres away; null: same grid, no point")


class EventOut(Schema):
    action: str
    label: str
    from_stage: str
    to_stage: str
    actor: str
    department: str
    note: str
    at: dt.datetime
    stage_took_s: float | None = Field(None, description="Seconds spent in from_stage")
    photos: list[AttachmentOut]


class PostponementOut(Schema):
    id: int
    case_id: int
    case_number: str
    status: str
    status_label: str
    amount: int
    unit: str
    unit_label: str
    reason: str
    requested_by: str
    requested_at: dt.datetime
    decided_by: str
    decided_at: dt.datetime | None = None
    decision_note: str


class CaseDetailOut(CaseOut):
    attributes: dict[str, Any]
    reporter_name: str
    reporter_phone_masked: str
    public_token: uuid.UUID = Field(description="The reporter's tracking token")
    stage_deadline: dt.datetime | None = None
    limit_value: int | None = None
    limit_unit: str
    verified: bool | None = None
    check_passed: bool | None = None
    closed_on_time: bool | None = None
    result: str
    cancel_reason: str
    merged_into: str | None = Field(None, description="Number of the case it was merged into")
    verified_at: dt.datetime | None = None
    filed_at: dt.datetime | None = None
    dispatched_at: dt.datetime | None = None
    accepted_at: dt.datetime | None = None
    disposed_at: dt.datetime | None = None
    checked_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    cancelled_at: dt.datetime | None = None
    rating: str
    rating_comment: str
    photos: list[AttachmentOut]
    timeline: list[EventOut]
    allowed_actions: list[str] = Field(description="The moves you may make now")
    pending_postponement: PostponementOut | None = None


class PublicStepOut(Schema):
    label: str
    at: dt.datetime


class PublicPhotoOut(Schema):
    id: int
    url: str
    thumbnail_url: str | None = None


class PublicCaseOut(Schema):
    number: str
    stage: str
    stage_label: str
    class_name: str
    description: str
    address: str
    reported_at: dt.datetime
    closed_at: dt.datetime | None = None
    result: str
    rating: str
    can_rate: bool
    steps: list[PublicStepOut]
    photos: list[PublicPhotoOut]


# --- schemas: moves -----------------------------------------------------------------------

Plain = str | int | float | bool
Answer = Plain | list[Plain]


class ReportIn(Schema):
    source: SourceName = Field("api", description="Where the report came from")  # type: ignore[valid-type]
    description: str = Field(..., min_length=1, max_length=2000)
    grid_code: str | None = Field(None, pattern=r"^\d{15}$", description="Or give lon/lat")
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    address: str = Field("", max_length=200)
    case_class: int | None = Field(None, ge=1, le=MAX_PK, description="A minor class's id")
    component: str | None = Field(None, max_length=20, description="Its id or 16-digit ID")
    attributes: dict[str, Answer] = Field(
        default_factory=dict,
        description="Answers to the class's report attributes: a value, or a list of keys "
        "for a multiple-choice (multivaluelist) question",
    )
    reporter_name: str = Field("", max_length=50)
    reporter_phone: str = Field("", max_length=30)


class NoteIn(VersionIn):
    note: str = NOTE


class ReasonIn(VersionIn):
    reason: str = REASON


class VerificationIn(NoteIn):
    is_real: bool = Field(..., description="false: not a real problem (cancel it next)")


class CheckIn(NoteIn):
    passed: bool = Field(..., description="false: not solved (send it back for rework)")


class FileIn(NoteIn):
    case_class: int | None = Field(None, ge=1, le=MAX_PK, description="Default: the report's")


class MergeIn(VersionIn):
    into_id: int = Field(..., ge=1, le=MAX_PK, description="The open case it duplicates")


class DispatchIn(NoteIn):
    department: int | None = Field(None, ge=1, le=MAX_PK, description="Default: suggested")


class DisposeIn(VersionIn):
    result: str = Field(..., min_length=1, max_length=2000)


class PostponeIn(VersionIn):
    amount: int = Field(..., ge=1, le=1000)
    unit: UnitName  # type: ignore[valid-type]
    reason: str = REASON


class DecisionIn(Schema):
    note: str = NOTE
    version: int | None = Field(None, ge=1, description="The case's version, if you hold it")


class RatingIn(Schema):
    rating: RatingName  # type: ignore[valid-type]
    comment: str = Field("", max_length=500)


class CaseFilters(Schema):
    q: str = Field("", max_length=60, description="Case number (or its start), or words")
    stage: Literal[tuple(["open", *Stage.values])] | None = None  # type: ignore[valid-type]
    case_class: int | None = Field(None, ge=1, le=MAX_PK)
    source: SourceName | None = None  # type: ignore[valid-type]
    grid: str = Field("", max_length=15, pattern=r"^\d*$", description="Territory code prefix")
    department: int | None = Field(None, ge=1, le=MAX_PK)
    overdue: bool | None = Field(None, description="true: past the running clock")


# --- shaping ------------------------------------------------------------------------------


def _api(name: str, *args: Any) -> str:
    return reverse(f"api:{name}", args=args)


def attachment_out(attachment: Attachment) -> dict[str, Any]:
    url = _api("cases_attachment_file", attachment.pk)
    return {
        "id": attachment.pk,
        "purpose": attachment.purpose,
        "content_type": attachment.content_type,
        "original_name": attachment.original_name,
        "size": attachment.size,
        "width": attachment.width,
        "height": attachment.height,
        "uploaded_at": attachment.uploaded_at,
        "url": url,
        "thumbnail_url": f"{url}?thumbnail=1" if attachment.thumbnail else None,
    }


def _name(obj: Any) -> str:
    return str(obj) if obj is not None else ""


def case_out(case: Case, now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    running = queries.clock(case) if case.is_open else None
    due = running[1] if running else None
    return {
        "id": case.pk,
        "number": case.number,
        "stage": case.stage,
        "stage_label": case.get_stage_display(),
        "source": case.source,
        "source_label": case.get_source_display(),
        "case_class": case.case_class_id,
        "class_code": case.case_class.code if case.case_class else "",
        "class_name": case.case_class.name if case.case_class else "",
        "description": case.description,
        "address": case.address,
        "grid_code": case.grid_code,
        "lon": case.lon,
        "lat": case.lat,
        "supervisor": case.supervisor_id,
        "supervisor_name": _name(case.supervisor),
        "suggested_department": case.suggested_department_id,
        "suggested_department_name": _name(case.suggested_department),
        "department": case.department_id,
        "department_name": _name(case.department),
        "reported_at": case.reported_at,
        "deadline": case.deadline,
        "due": due,
        "traffic_light": queries.traffic_light(case, now),
        "overdue": due is not None and due < now,
        "dispatch_count": case.dispatch_count,
        "rework_count": case.rework_count,
        "return_count": case.return_count,
        "postponement_count": case.postponement_count,
        "version": case.version,
        "url": actions.case_link(case),
    }


def postponement_out(p: Postponement) -> dict[str, Any]:
    return {
        "id": p.pk,
        "case_id": p.case_id,
        "case_number": p.case.number,
        "status": p.status,
        "status_label": p.get_status_display(),
        "amount": p.amount,
        "unit": p.unit,
        "unit_label": str(TimeUnit(p.unit).label) if p.unit in TimeUnit.values else p.unit,
        "reason": p.reason,
        "requested_by": _name(p.requested_by),
        "requested_at": p.requested_at,
        "decided_by": _name(p.decided_by),
        "decided_at": p.decided_at,
        "decision_note": p.decision_note,
    }


_DETAIL_FIELDS = (
    "attributes",
    "reporter_name",
    "reporter_phone_masked",
    "public_token",
    "stage_deadline",
    "limit_value",
    "limit_unit",
    "verified",
    "check_passed",
    "closed_on_time",
    "result",
    "cancel_reason",
    "verified_at",
    "filed_at",
    "dispatched_at",
    "accepted_at",
    "disposed_at",
    "checked_at",
    "closed_at",
    "cancelled_at",
    "rating",
    "rating_comment",
)


def event_out(entry: queries.TimelineEntry) -> dict[str, Any]:
    took = entry.stage_took
    return attributes(
        entry,
        EventOut,
        stage_took_s=took.total_seconds() if took else None,
        photos=[attachment_out(a) for a in entry.photos],
    )


def case_detail(user: Any, case: Case) -> dict[str, Any]:
    """A case as the detail endpoint shows it (the caller has checked it may be seen)."""
    pending = queries.pending_postponement(case)
    attachments = queries.case_attachments(case)
    return {
        **case_out(case),
        **{name: getattr(case, name) for name in _DETAIL_FIELDS},
        "merged_into": case.merged_into.number if case.merged_into else None,
        "photos": [attachment_out(a) for a in attachments],
        "timeline": [event_out(entry) for entry in queries.timeline(case, attachments)],
        "allowed_actions": queries.allowed_actions(user, case, pending=pending),
        "pending_postponement": postponement_out(pending) if pending else None,
    }


# --- bodies that may carry photos ---------------------------------------------------------

S = TypeVar("S", bound=Schema)
_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def _form_data(request: HttpRequest) -> dict[str, Any]:
    """A form's fields as a body: empty ones left out, ``attributes`` as JSON text or as
    Open311-style fields — ``attribute[code]``, and for several values of a multiple
    choice the field repeated or ``attribute[code][]``."""
    data: dict[str, Any] = {}
    answers: dict[str, Any] = {}
    for name, values in request.POST.lists():
        given = [v for v in values if v != ""]
        if not given:
            continue
        if name.startswith("attribute["):
            code = name.removesuffix("[]")[10:-1]
            answers[code] = given if len(given) > 1 or name.endswith("[]") else given[0]
        else:
            data[name] = given[-1]
    if isinstance(data.get("attributes"), str):
        try:
            data["attributes"] = json.loads(data["attributes"])
        except ValueError:
            raise InvalidInput(
                _("The request is not valid."), fields={"attributes": _("not JSON")}
            ) from None
    if answers:
        data["attributes"] = {**(data.get("attributes") or {}), **answers}
    return data


def body(request: HttpRequest, schema: type[S]) -> tuple[S, list[Any]]:
    """The request's body as ``schema`` — JSON, or a form whose ``photos`` are files —
    with validation errors per field like every other endpoint."""
    if request.content_type in _FORM_TYPES:
        data, files = _form_data(request), request.FILES.getlist("photos")
    else:
        try:
            data, files = json.loads(request.body or b"{}"), []
        except ValueError:
            raise InvalidInput(
                _("The request body is not JSON."), fields={"request": _("not JSON")}
            ) from None
    try:
        return schema.model_validate(data), files
    except ValidationError as exc:
        fields = {
            ".".join(str(p) for p in err["loc"]) or "request": err["msg"] for err in exc.errors()
        }
        raise InvalidInput(_("The request is not valid."), fields=fields) from None


def _body_doc(schema: type[Schema], *, photos: bool = True) -> dict[str, Any]:
    """The OpenAPI request body of an endpoint read by ``body``."""
    shape = schema.model_json_schema()
    form = json.loads(json.dumps(shape))
    if photos:
        form.setdefault("properties", {})["photos"] = {
            "type": "array",
            "items": {"type": "string", "format": "binary"},
            "description": "JPEG, PNG, WebP or PDF, up to 9 files",
        }
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": shape},
                "multipart/form-data": {"schema": form},
            },
        }
    }


# --- lists and queues ---------------------------------------------------------------------


def _page(rows: Any, page: int, page_size: int) -> Any:
    now = timezone.now()
    return paged(rows, page, page_size, lambda case: case_out(case, now))


@list_endpoint(
    router,
    "",
    CaseOut,
    summary="Cases I may see: search by number or words, filters, newest report first",
    url_name="cases_list",
)
def list_cases(
    request: HttpRequest, filters: Query[CaseFilters], page: int = PAGE, page_size: int = PAGE_SIZE
) -> Any:
    data = filters.dict()
    rows = queries.search_cases(
        request.user,
        q=data["q"],
        stage=data["stage"] or "",
        case_class=data["case_class"],
        source=data["source"] or "",
        grid=data["grid"],
        department=data["department"],
        overdue=data["overdue"],
    ).order_by("-reported_at", "-pk")
    return _page(rows, page, page_size)


@router.post(
    "",
    response={201: CaseDetailOut, **ERRORS},
    summary="Report a case (JSON, or multipart with photos)",
    openapi_extra=_body_doc(ReportIn),
    url_name="cases_report",
)
def report(request: HttpRequest) -> Any:
    data, photos = body(request, ReportIn)
    case = actions.report_case(actor=request.user, photos=photos, **data.dict())
    # The case as reported (a reporter need not be one who reads cases, e.g. a leader).
    return Status(201, case_detail(request.user, case))


def _queue_endpoint(path: str, rows: Callable[[Any], Any], summary: str, name: str) -> None:
    """``GET /cases/<path>``: one of the caller's queues, paged, most urgent first."""

    def endpoint(request: HttpRequest, page: int = PAGE, page_size: int = PAGE_SIZE) -> Any:
        return _page(rows(request.user), page, page_size)

    endpoint.__name__ = name
    list_endpoint(router, path, CaseOut, summary=summary, url_name=f"cases_{name}")(endpoint)


_queue_endpoint(
    "/queue",
    queries.work_queue,
    "My work: cases waiting for me, overdue first, then least time left",
    "queue",
)
_queue_endpoint(
    "/unassigned",
    queries.unassigned_cases,
    "Filed cases no department is responsible for (command centre)",
    "unassigned",
)


@list_endpoint(
    router,
    "/postponements",
    PostponementOut,
    summary="Postponement requests: pending ones I may decide, or all I may see",
    url_name="cases_postponements",
)
def postponements(
    request: HttpRequest,
    pending: bool = Query(True, description="false: every request of the cases I may see"),
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> Any:
    rows = (
        queries.pending_postponements(request.user)
        if pending
        else queries.visible_postponements(request.user).order_by("-requested_at", "-pk")
    )
    return paged(rows, page, page_size, postponement_out)


def _post(
    path: str,
    endpoint: Callable[..., Any],
    schema: type[Schema],
    answer: type[Schema],
    summary: str,
    url_name: str,
    photos: bool = False,
) -> None:
    """Register a POST endpoint whose body ``body`` reads as ``schema`` (JSON, or a form
    with ``photos`` when they are taken)."""
    router.add_api_operation(
        path,
        ["POST"],
        endpoint,
        response={200: answer, **ERRORS},
        summary=summary,
        openapi_extra=_body_doc(schema, photos=photos),
        url_name=url_name,
    )


def _decision_endpoint(verb: str, approve: bool, summary: str) -> None:
    """``POST /cases/postponements/{id}/<verb>``: the command centre's decision."""

    def endpoint(request: HttpRequest, postponement_id: int = ID) -> Any:
        data, _files = body(request, DecisionIn)
        postponement = actions.decide_postponement(
            postponement_id,
            actor=request.user,
            approve=approve,
            note=data.note,
            version=data.version,
        )
        return postponement_out(queries.get_postponement_for(request.user, postponement.pk))

    endpoint.__name__ = f"{verb}_postponement"
    path = f"/postponements/{{int:postponement_id}}/{verb}"
    _post(path, endpoint, DecisionIn, PostponementOut, summary, f"cases_postponement_{verb}")


_decision_endpoint(
    "approve", True, "Approve a postponement: the deadline moves by the time asked for"
)
_decision_endpoint("reject", False, "Refuse a postponement")


# --- one case -----------------------------------------------------------------------------


@router.get(
    "/{int:case_id}",
    response={200: CaseDetailOut, **ERRORS},
    summary="One case with its timeline, traffic light and the moves I may make",
    url_name="cases_detail",
)
def detail(request: HttpRequest, case_id: int = ID) -> Any:
    return case_detail(request.user, queries.get_case_for(request.user, case_id))


@router.get(
    "/{int:case_id}/duplicates",
    response={200: list[DuplicateOut], **ERRORS},
    summary="Open cases of the same class nearby (likely duplicates), nearest first",
    url_name="cases_duplicates",
)
def duplicates(
    request: HttpRequest,
    case_id: int = ID,
    distance_m: float | None = Query(None, gt=0, le=5000, description="Default: configured"),
) -> Any:
    case = queries.get_case_for(request.user, case_id)
    now = timezone.now()
    return [
        {**case_out(other, now), "distance_m": other.distance_m}  # type: ignore[attr-defined]
        for other in queries.likely_duplicates(case, distance_m, user=request.user)
    ]


Move = Callable[..., Any]


def _move_endpoint(path: str, schema: type[Schema], call: Move, summary: str) -> None:
    """``POST /cases/{id}/<path>``: read the body, make the move, answer with the case as
    the move left it (even when the mover no longer sees it, e.g. after a return). Moves
    whose action takes ``photos`` accept them in a multipart body."""
    photos = "photos" in inspect.signature(call).parameters

    def endpoint(request: HttpRequest, case_id: int = ID) -> Any:
        data, files = body(request, schema)
        case = call(
            case_id, actor=request.user, **data.dict(), **({"photos": files} if photos else {})
        )
        return case_detail(request.user, case)

    name = path.replace("-", "_")
    endpoint.__name__ = f"move_{name}"
    _post(
        f"/{{int:case_id}}/{path}",
        endpoint,
        schema,
        CaseDetailOut,
        summary,
        f"cases_{name}",
        photos,
    )


# Every move of a case; the paths are the CaseEvent actions with hyphens.
for _path, _schema, _call, _summary in (
    (
        "request-verification",
        NoteIn,
        actions.request_verification,
        "Supervision centre: ask the grid's supervisor to verify on site",
    ),
    (
        "record-verification",
        VerificationIn,
        actions.record_verification,
        "Grid worker: the finding on site (JSON or multipart with photos)",
    ),
    ("file", FileIn, actions.file_case, "Supervision centre: file the case under a class"),
    ("cancel", ReasonIn, actions.cancel_case, "Supervision centre: cancel an invalid report"),
    ("merge", MergeIn, actions.merge_case, "Supervision centre: merge into an open duplicate"),
    ("dispatch", DispatchIn, actions.dispatch_case, "Command centre: dispatch to a department"),
    ("accept", VersionIn, actions.accept_case, "Department: take the case on"),
    ("return", ReasonIn, actions.return_case, "Department: return it as wrongly sent"),
    (
        "dispose",
        DisposeIn,
        actions.dispose_case,
        "Department: report the result (JSON or multipart with photos)",
    ),
    (
        "request-check",
        NoteIn,
        actions.request_check,
        "Supervision centre: ask for an on-site check",
    ),
    (
        "record-check",
        CheckIn,
        actions.record_check,
        "Grid worker: the check on site (JSON or multipart with photos)",
    ),
    ("close", NoteIn, actions.close_case, "Supervision centre: close after a passed check"),
    ("rework", ReasonIn, actions.rework_case, "Supervision centre: send back to the department"),
):
    _move_endpoint(_path, _schema, _call, _summary)


@router.post(
    "/{int:case_id}/postpone",
    response={201: PostponementOut, **ERRORS},
    summary="Department: ask the command centre for more time",
    openapi_extra=_body_doc(PostponeIn, photos=False),
    url_name="cases_postpone",
)
def postpone(request: HttpRequest, case_id: int = ID) -> Any:
    data, _files = body(request, PostponeIn)
    postponement = actions.request_postponement(case_id, actor=request.user, **data.dict())
    return Status(
        201, postponement_out(queries.get_postponement_for(request.user, postponement.pk))
    )


# --- files --------------------------------------------------------------------------------


def file_response(attachment: Attachment, thumbnail: bool) -> FileResponse:
    """The stored file, inline for images, as a download otherwise; never cached by
    shared caches."""
    handle, content_type = attachments.open_stored(attachment, thumbnail=thumbnail)
    image = content_type.startswith("image/")
    response = FileResponse(
        handle,
        content_type=content_type,
        as_attachment=not image,
        filename=attachment.original_name or f"attachment-{attachment.pk}",
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response


@router.get(
    "/attachments/{int:attachment_id}",
    response=ERRORS,
    summary="A photo or document of a case I may see (thumbnail=1: its 320 px JPEG)",
    url_name="cases_attachment_file",
)
def attachment_file(request: HttpRequest, attachment_id: int = ID, thumbnail: bool = False) -> Any:
    return file_response(queries.get_attachment_for(request.user, attachment_id), thumbnail)


# --- the public ---------------------------------------------------------------------------


def public_out(public: queries.PublicCase) -> dict[str, Any]:
    token = str(public.public_token)

    def photo(a: Attachment) -> dict[str, Any]:
        url = _api("cases_track_photo", token, a.pk)
        return {
            "id": a.pk,
            "url": url,
            "thumbnail_url": f"{url}?thumbnail=1" if a.thumbnail else None,
        }

    return {
        "number": public.number,
        "stage": public.stage,
        "stage_label": public.stage_label,
        "class_name": public.class_name,
        "description": public.description,
        "address": public.address,
        "reported_at": public.reported_at,
        "closed_at": public.closed_at,
        "result": public.result,
        "rating": public.rating,
        "can_rate": public.can_rate,
        "steps": [{"label": s.label, "at": s.at} for s in public.steps],
        "photos": [photo(a) for a in public.photos],
    }


@router.get(
    "/track/{token}",
    auth=None,
    response={200: PublicCaseOut, **ERRORS},
    summary="Public: follow a report by its tracking token (no personal data)",
    url_name="cases_track",
)
def track(request: HttpRequest, token: uuid.UUID) -> Any:
    return public_out(queries.get_case_by_token(token))


@router.post(
    "/track/{token}/rating",
    auth=None,
    response={200: PublicCaseOut, **ERRORS},
    summary="Public: the reporter rates the handling of a closed case, once",
    url_name="cases_track_rating",
)
def rate(request: HttpRequest, token: uuid.UUID, payload: RatingIn) -> Any:
    actions.rate_case(token, rating=payload.rating, comment=payload.comment)
    return public_out(queries.get_case_by_token(token))


@router.get(
    "/track/{token}/photos/{int:attachment_id}",
    auth=None,
    response=ERRORS,
    summary="Public: one of the reporter's photos (stored without location metadata)",
    url_name="cases_track_photo",
)
def track_photo(
    request: HttpRequest, token: uuid.UUID, attachment_id: int = ID, thumbnail: bool = False
) -> Any:
    return file_response(queries.get_public_photo(token, attachment_id), thumbnail)
