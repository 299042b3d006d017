"""REST endpoints of the audit app: the event list and the chain check."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from gridgov.accounts import scope
from gridgov.api.schemas import ERRORS, PageOut, attributes, paged
from gridgov.audit import queries
from gridgov.audit.labels import label_for
from gridgov.audit.models import AuditEvent
from gridgov.core.errors import PermissionDenied

router = Router(tags=["audit"])


class AuditEventOut(Schema):
    seq: int
    at: datetime
    actor_id: int | None = None
    actor_name: str
    action: str
    action_label: str
    object_type: str
    object_id: str
    object_repr: str
    grid_code: str = Field(description="Territory code the event is filed under ('' if none)")
    changes: dict[str, Any] = Field(description="Changed fields, usually {field: [old, new]}")
    request_id: str
    ip: str
    channel: str
    prev_hash: str
    hash: str


class EventFilters(Schema):
    actor: str = Field("", description="Part of the actor's username")
    action: str = Field("", description="Start of the action, e.g. 'auth.'")
    object_type: str = Field("", description="e.g. accounts.user")
    object: str = Field("", description="Object id, or part of its name")
    region: str = Field("", description="Territory code prefix")
    since: datetime | None = None
    until: datetime | None = None
    page: int = 1
    page_size: int = 50


class VerifyOut(Schema):
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""


def event_out(event: AuditEvent) -> dict[str, Any]:
    return attributes(event, AuditEventOut, action_label=label_for(event.action))


@router.get("/events", response={200: PageOut[AuditEventOut], **ERRORS}, summary="Audit events")
def list_events(request: HttpRequest, filters: Query[EventFilters]) -> dict[str, Any]:
    scope.require(request.user, "audit.view")
    qs = queries.search_events(
        request.user,
        actor=filters.actor,
        action=filters.action,
        object_type=filters.object_type,
        object_id=filters.object,
        region=filters.region,
        since=filters.since,
        until=filters.until,
    )
    return paged(qs.order_by("-seq"), filters.page, filters.page_size, event_out)


@router.get("/verify", response={200: VerifyOut, **ERRORS}, summary="Check the hash chain")
def verify(request: HttpRequest) -> Any:
    """Walk the whole chain (operators only: it reads every event)."""
    if not scope.is_operator(request.user):
        raise PermissionDenied(_("Only operators may verify the whole audit chain."))
    return queries.verify_chain()
