"""Notices at /api/v1/epidemic/notices: drafts, recipients preview, sending and withdrawing,
reach per area, deliveries (names masked), the door-to-door round and its marks, my
notices, and the residents' read receipt by their link's token (no login). Scoped and
refused exactly like the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Path, Query, Router, Schema, Status

from gridgov.api.schemas import (
    ERRORS,
    PAGE,
    PAGE_SIZE,
    VersionIn,
    list_endpoint,
    page_payload,
    paged,
)
from gridgov.core.errors import PermissionDenied
from gridgov.core.paging import paginate
from gridgov.epidemic.actions import notices as actions
from gridgov.epidemic.models import Notice, NoticeDelivery, NoticeStatus
from gridgov.epidemic.queries import notices as queries
from gridgov.epidemic.tallies import notices as tally

router = Router(tags=["epidemic: notices"])

MAX_PK = 2**63 - 1
ID = Path(..., ge=1, le=MAX_PK)
AudienceName = Literal["staff", "residents", "both"]
StatusName = Literal["draft", "sent", "withdrawn"]
CareKindName = Literal[
    "",
    "elderly_alone",
    "disabled",
    "dibao",
    "tekun",
    "left_behind_child",
    "left_behind_elderly",
    "chronic",
    "pregnancy",
    "key_care",
]
CODE = Query(
    "", pattern=r"^(\d{4,15})?$", description="Territory code (default: where yours starts)"
)


class TargetIn(Schema):
    code: str = Field(
        ..., pattern=r"^\d{4,15}$", description="A territory node inside the notice's area"
    )
    care_kind: CareKindName = Field("", description="Only people with this confirmed care tag")


class TargetOut(TargetIn):
    name: str


class NoticeIn(Schema):
    title: str = Field(..., max_length=actions.TITLE_LENGTH)
    body: str = Field(..., max_length=actions.BODY_LENGTH)
    audience: AudienceName
    targets: list[TargetIn] = Field(default_factory=list, max_length=queries.MAX_TARGETS)
    region_code: str | None = Field(
        None, pattern=r"^\d{4,12}$", description="The issuing area (default: yours)"
    )


class NoticePatch(Schema):
    title: str | None = Field(None, max_length=actions.TITLE_LENGTH)
    body: str | None = Field(None, max_length=actions.BODY_LENGTH)
    audience: AudienceName | None = None
    targets: list[TargetIn] | None = Field(None, max_length=queries.MAX_TARGETS)
    version: int | None = Field(None, description="The version read; 409 if it changed")


class NoticeOut(Schema):
    id: int
    title: str
    body: str
    audience: AudienceName
    audience_label: str
    status: StatusName
    status_label: str
    region_code: str
    targets: list[TargetOut]
    created_at: dt.datetime
    sent_at: dt.datetime | None
    withdrawn_at: dt.datetime | None
    version: int
    recipients: int | None = Field(None, description="In your area; null without figures there")
    reached: int | None = Field(None, description="Read or delivered, in your area")


class PreviewIn(Schema):
    region_code: str = Field(..., pattern=r"^\d{4,12}$")
    audience: AudienceName
    targets: list[TargetIn] = Field(..., max_length=queries.MAX_TARGETS)


class TargetCountOut(Schema):
    code: str
    name: str
    care_kind: str
    residents: int
    staff: int


class PreviewOut(Schema):
    audience: AudienceName
    residents: int = Field(description="Living residents reached, each once")
    with_phone: int = Field(description="Of them reading through their link")
    door: int = Field(description="Of them without a phone: delivered door to door")
    staff: int
    total: int
    targets: list[TargetCountOut]


class NoticeFiguresOut(Schema):
    code: str
    name: str
    recipients: int
    reached: int
    door_due: int = Field(description="Residents without a phone, reached door to door")
    door_done: int = Field(description="Of them delivered at the door")
    staff: int
    staff_reached: int
    percent: float = Field(description="Reached of recipients, in per cent")


class ReachOut(Schema):
    notice_id: int
    area: NoticeFiguresOut
    children: list[NoticeFiguresOut]
    own: NoticeFiguresOut | None = Field(None, description="Counted at the area itself (its staff)")


class DeliveryOut(Schema):
    id: int
    recipient: str = Field(description="A staff member's name, or a resident's masked")
    kind: Literal["staff", "resident"]
    channel: Literal["inbox", "door"]
    grid_code: str
    delivered_at: dt.datetime | None
    read_at: dt.datetime | None
    marked_by: str | None


class DoorOut(Schema):
    id: int
    notice_id: int
    notice_title: str
    person_id: int
    name: str
    address: str
    building: str
    unit: str
    room: str
    grid_code: str


class MarkIn(Schema):
    ids: list[int] = Field(..., min_length=1, max_length=actions.MAX_MARKS)


class MarkOut(Schema):
    marked: int = Field(description="Newly marked delivered")
    already: int = Field(description="Already reached before")


class MyNoticeOut(Schema):
    notice_id: int
    title: str
    status: StatusName
    sent_at: dt.datetime | None
    read_at: dt.datetime | None
    url: str


class PublicNoticeOut(Schema):
    title: str
    body: str
    issuer: str
    sent_at: dt.datetime | None
    withdrawn: bool


def notice_out(notice: Notice, figures: Any, targets: list[tuple[str, str, str]]) -> dict[str, Any]:
    """A notice's answer; ``targets`` as (code, care group, area name)."""
    return {
        "id": notice.pk,
        "title": notice.title,
        "body": notice.body,
        "audience": notice.audience,
        "audience_label": str(notice.get_audience_display()),
        "status": notice.status,
        "status_label": str(notice.get_status_display()),
        "region_code": notice.region_code,
        "targets": [{"code": c, "care_kind": k, "name": name} for c, k, name in targets],
        "created_at": notice.created_at,
        "sent_at": notice.sent_at,
        "withdrawn_at": notice.withdrawn_at,
        "version": notice.version,
        "recipients": figures.get(tally.RECIPIENTS, 0) if figures is not None else None,
        "reached": figures.get(tally.REACHED, 0) if figures is not None else None,
    }


def _one(request: HttpRequest, notice: Notice) -> dict[str, Any]:
    totals = queries.totals_in_scope(request.user, [notice.pk])
    rows = list(notice.targets.order_by("pk").values_list("code", "care_kind"))
    names = queries.region_names(code for code, _kind in rows)
    targets = [(code, kind, names.get(code, code)) for code, kind in rows]
    return notice_out(notice, totals.get(notice.pk), targets)


def _targets(rows: list[TargetIn] | None) -> list[dict[str, str]] | None:
    return None if rows is None else [row.dict() for row in rows]


@list_endpoint(router, "/notices", NoticeOut, summary="Notices", url_name="epidemic_notices")
def list_notices(
    request: HttpRequest,
    q: str = Query("", description="Part of the title or text"),
    status: StatusName | None = None,
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> Any:
    rows = queries.search_notices(request.user, q=q, status=status or "").prefetch_related(
        "targets"
    )
    result = paginate(rows, page, page_size)
    totals = queries.totals_in_scope(request.user, [n.pk for n in result.items])
    names = queries.region_names(t.code for n in result.items for t in n.targets.all())
    return page_payload(result, [_listed(n, totals.get(n.pk), names) for n in result.items])


def _listed(notice: Notice, figures: Any, names: dict[str, str]) -> dict[str, Any]:
    # From the prefetched targets, not another query per notice.
    targets = sorted(notice.targets.all(), key=lambda t: t.pk)
    return notice_out(
        notice, figures, [(t.code, t.care_kind, names.get(t.code, t.code)) for t in targets]
    )


@router.post(
    "/notices",
    response={201: NoticeOut, **ERRORS},
    summary="Draft a notice (epidemic.notify)",
    url_name="epidemic_notice_create",
)
def create(request: HttpRequest, payload: NoticeIn) -> Any:
    data = payload.dict()
    data["targets"] = _targets(payload.targets)
    notice = actions.create_notice(actor=request.user, **data)
    return Status(201, _one(request, notice))


def preview_out(preview: queries.Preview) -> dict[str, Any]:
    return {
        "audience": preview.audience,
        "residents": preview.residents,
        "with_phone": preview.with_phone,
        "door": preview.door,
        "staff": preview.staff,
        "total": preview.total,
        "targets": [
            {
                "code": t.code,
                "name": t.name,
                "care_kind": t.care_kind,
                "residents": t.residents,
                "staff": t.staff,
            }
            for t in preview.targets
        ],
    }


@router.post(
    "/notices/preview",
    response={200: PreviewOut, **ERRORS},
    summary="Count the recipients of targets before saving them (epidemic.notify)",
    url_name="epidemic_notice_preview_targets",
)
def preview_targets(request: HttpRequest, payload: PreviewIn) -> Any:
    preview = queries.preview_targets(
        request.user, payload.region_code, payload.audience, _targets(payload.targets)
    )
    return preview_out(preview)


def my_notice_out(delivery: NoticeDelivery) -> dict[str, Any]:
    return {
        "notice_id": delivery.notice_id,
        "title": delivery.notice.title,
        "status": delivery.notice.status,
        "sent_at": delivery.notice.sent_at,
        "read_at": delivery.read_at,
        "url": reverse("epidemic:notice_detail", args=[delivery.notice_id]),
    }


@list_endpoint(
    router,
    "/notices/mine",
    MyNoticeOut,
    summary="Notices sent to me (opening the page is the receipt)",
    url_name="epidemic_notices_mine",
)
def mine(
    request: HttpRequest,
    unread: bool = Query(False, description="Only those not read yet"),
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> Any:
    if not queries.may_read(request.user):
        raise PermissionDenied()
    return paged(queries.my_notices(request.user, unread=unread), page, page_size, my_notice_out)


def door_out(delivery: NoticeDelivery) -> dict[str, Any]:
    person = delivery.person
    household = person.household if person else None
    building = household.building if household else None
    return {
        "id": delivery.pk,
        "notice_id": delivery.notice_id,
        "notice_title": delivery.notice.title,
        "person_id": delivery.person_id,
        "name": person.name if person else "",
        "address": person.address if person else "",
        "building": building.address if building else "",
        "unit": household.unit if household else "",
        "room": household.room if household else "",
        "grid_code": delivery.grid_code,
    }


@list_endpoint(
    router,
    "/notices/door",
    DoorOut,
    summary="My door-to-door round: residents without a phone not reached yet, by address",
    url_name="epidemic_notice_door",
)
def door(
    request: HttpRequest,
    notice_id: int | None = Query(None, ge=1, le=MAX_PK),
    grid: str = Query("", pattern=r"^(\d{4,15})?$", description="Only under this code"),
    q: str = Query("", description="Part of the name or address"),
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> Any:
    rows = queries.door_list(request.user, notice_id=notice_id, grid=grid, q=q)
    return paged(rows, page, page_size, door_out)


def _marked(done: actions.Marked) -> dict[str, int]:
    return {"marked": done.marked, "already": done.already}


@router.post(
    "/notices/deliveries/door",
    response={200: MarkOut, **ERRORS},
    summary="Mark door-to-door deliveries done (a building's at once)",
    url_name="epidemic_notice_door_marks",
)
def mark_many(request: HttpRequest, payload: MarkIn) -> Any:
    return _marked(actions.mark_door_delivered(payload.ids, actor=request.user))


@router.post(
    "/notices/deliveries/{delivery_id}/door",
    response={200: MarkOut, **ERRORS},
    summary="Mark one door-to-door delivery done",
    url_name="epidemic_notice_door_mark",
)
def mark_one(request: HttpRequest, delivery_id: int = ID) -> Any:
    return _marked(actions.mark_door_delivered([delivery_id], actor=request.user))


@router.post(
    "/notices/public/{token}/read",
    response={200: PublicNoticeOut, **ERRORS},
    summary="A resident reads their notice by its link's token (no login): the receipt",
    url_name="epidemic_notice_public_read",
    auth=None,
)
def public_read(request: HttpRequest, token: str = Path(..., max_length=64)) -> Any:
    delivery = actions.read_notice_link(token)
    notice = delivery.notice
    withdrawn = notice.status != NoticeStatus.SENT
    return {
        "title": "" if withdrawn else notice.title,
        "body": "" if withdrawn else notice.body,
        "issuer": queries.region_names([notice.region_code]).get(notice.region_code, ""),
        "sent_at": notice.sent_at,
        "withdrawn": withdrawn,
    }


@router.get(
    "/notices/{notice_id}",
    response={200: NoticeOut, **ERRORS},
    summary="One notice",
    url_name="epidemic_notice",
)
def get_notice(request: HttpRequest, notice_id: int = ID) -> Any:
    return _one(request, queries.get_notice_for(request.user, notice_id))


@router.patch(
    "/notices/{notice_id}",
    response={200: NoticeOut, **ERRORS},
    summary="Change a draft (epidemic.notify over its area)",
    url_name="epidemic_notice_change",
)
def change(request: HttpRequest, payload: NoticePatch, notice_id: int = ID) -> Any:
    queries.get_managed_notice_for(request.user, notice_id)
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version", None)
    if "targets" in changes:
        changes["targets"] = _targets(payload.targets)
    notice = actions.update_notice(
        notice_id, actor=request.user, expected_version=version, **changes
    )
    return _one(request, notice)


@router.post(
    "/notices/{notice_id}/send",
    response={200: NoticeOut, **ERRORS},
    summary="Send a draft to everyone its targets reach",
    url_name="epidemic_notice_send",
)
def send(request: HttpRequest, payload: VersionIn, notice_id: int = ID) -> Any:
    queries.get_managed_notice_for(request.user, notice_id)
    notice = actions.send_notice(notice_id, actor=request.user, expected_version=payload.version)
    return _one(request, notice)


@router.post(
    "/notices/{notice_id}/withdraw",
    response={200: NoticeOut, **ERRORS},
    summary="Withdraw a sent notice",
    url_name="epidemic_notice_withdraw",
)
def withdraw(request: HttpRequest, payload: VersionIn, notice_id: int = ID) -> Any:
    queries.get_managed_notice_for(request.user, notice_id)
    notice = actions.withdraw_notice(
        notice_id, actor=request.user, expected_version=payload.version
    )
    return _one(request, notice)


@router.get(
    "/notices/{notice_id}/preview",
    response={200: PreviewOut, **ERRORS},
    summary="The recipients a draft would reach if sent now",
    url_name="epidemic_notice_preview",
)
def preview(request: HttpRequest, notice_id: int = ID) -> Any:
    notice = queries.get_notice_for(request.user, notice_id)
    return preview_out(queries.preview_for(request.user, notice))


def figures_out(row: queries.ReachRow) -> dict[str, Any]:
    return {
        "code": row.code,
        "name": row.name,
        "recipients": row.recipients,
        "reached": row.reached,
        "door_due": row.door_due,
        "door_done": row.door_done,
        "staff": row.staff,
        "staff_reached": row.staff_reached,
        "percent": round(row.percent, 1),
    }


@router.get(
    "/notices/{notice_id}/reach",
    response={200: ReachOut, **ERRORS},
    summary="A notice's reach under an area, per child area (from the roll-ups)",
    url_name="epidemic_notice_reach",
)
def reach(request: HttpRequest, notice_id: int = ID, code: str = CODE) -> Any:
    notice = queries.get_notice_for(request.user, notice_id)
    found = queries.reach(request.user, notice, code)
    return {
        "notice_id": notice.pk,
        "area": figures_out(found.node),
        "children": [figures_out(row) for row in found.children],
        "own": figures_out(found.own) if found.own else None,
    }


def delivery_out(delivery: NoticeDelivery) -> dict[str, Any]:
    staff = delivery.user_id is not None
    return {
        "id": delivery.pk,
        "recipient": queries.recipient_label(delivery),
        "kind": "staff" if staff else "resident",
        "channel": delivery.channel,
        "grid_code": delivery.grid_code,
        "delivered_at": delivery.delivered_at,
        "read_at": delivery.read_at,
        "marked_by": str(delivery.marked_by) if delivery.marked_by_id else None,
    }


@list_endpoint(
    router,
    "/notices/{notice_id}/deliveries",
    DeliveryOut,
    summary="A notice's deliveries in the grids you may view (names masked)",
    url_name="epidemic_notice_deliveries",
)
def deliveries(
    request: HttpRequest,
    notice_id: int = ID,
    state: Literal["reached", "pending"] | None = None,
    kind: Literal["staff", "resident", "door"] | None = None,
    code: str = Query("", pattern=r"^(\d{4,15})?$"),
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> Any:
    notice = queries.get_notice_for(request.user, notice_id)
    rows = queries.search_deliveries(
        request.user, notice, state=state or "", kind=kind or "", code=code
    )
    return paged(rows, page, page_size, delivery_out)
