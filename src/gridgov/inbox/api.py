"""REST endpoints of the inbox, mounted at /api/v1/inbox: the caller's own messages only
(anyone else's message answers 404, like one that does not exist)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Path, Query, Router, Schema

from gridgov.api.schemas import ERRORS, PageOut, paged
from gridgov.core.paging import DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE
from gridgov.inbox import actions, queries
from gridgov.inbox.models import Message

router = Router(tags=["inbox"])

MESSAGE_ID = Path(..., ge=1, le=2**63 - 1)
Kind = Literal["task", "alert", "notice"]


class MessageOut(Schema):
    id: int
    kind: Kind
    kind_label: str
    subject: str
    body: str
    link: str = Field(description="Where the message leads inside the product (a path), or ''")
    grid_code: str
    created_at: dt.datetime
    read_at: dt.datetime | None = None
    url: str = Field(description="The message's page (opening it marks it read)")


class UnreadOut(Schema):
    unread: int


class MarkedOut(Schema):
    marked: int = Field(description="How many unread messages were marked read")


def message_out(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "kind": message.kind,
        "kind_label": str(message.get_kind_display()),
        "subject": message.subject,
        "body": message.body,
        "link": queries.safe_link(message),
        "grid_code": message.grid_code,
        "created_at": message.created_at,
        "read_at": message.read_at,
        "url": reverse("inbox:message_open", args=[message.pk]),
    }


@router.get(
    "",
    response={200: PageOut[MessageOut], **ERRORS},
    summary="My messages, newest first",
    url_name="inbox_messages",
)
def list_messages(
    request: HttpRequest,
    unread: bool = Query(False, description="Only the unread ones"),
    kind: Kind | None = None,
    page: int = Query(1, ge=1, le=MAX_PAGE),
    page_size: int = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
) -> Any:
    rows = queries.search_messages(request.user, unread=unread, kind=kind)
    return paged(rows, page, page_size, message_out)


@router.get(
    "/unread-count",
    response={200: UnreadOut, **ERRORS},
    summary="How many of my messages are unread",
    url_name="inbox_unread_count",
)
def unread_count(request: HttpRequest) -> Any:
    return {"unread": queries.unread_count(request.user)}


@router.post(
    "/read-all",
    response={200: MarkedOut, **ERRORS},
    summary="Mark all my messages read",
    url_name="inbox_read_all",
)
def read_all(request: HttpRequest) -> Any:
    return {"marked": actions.mark_all_read(actor=request.user)}


@router.post(
    "/{message_id}/read",
    response={200: MessageOut, **ERRORS},
    summary="Mark one of my messages read",
    url_name="inbox_read",
)
def read_one(request: HttpRequest, message_id: int = MESSAGE_ID) -> Any:
    return message_out(actions.mark_read(message_id, actor=request.user))
