"""Health codes at /api/v1/epidemic/people/{id}/health-code (scoped like the person) and
the public verification of a code token at /api/v1/epidemic/verify."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema

from gridgov.api.schemas import ERRORS
from gridgov.epidemic import rules, signing
from gridgov.epidemic.queries import health_code as queries

router = Router(tags=["epidemic: health codes"])

ID = Path(..., ge=1, le=2**63 - 1)
ColourOut = Literal["green", "yellow", "red"]


class CodeChangeOut(Schema):
    at: dt.datetime
    date: dt.date
    from_colour: ColourOut
    to_colour: ColourOut
    reason: str
    reason_label: str
    note: str


class HealthCodeOut(Schema):
    person_id: int
    colour: ColourOut
    colour_label: str
    reason: str
    since: dt.datetime | None = None
    normal_days: int = Field(description="Consecutive normal declaration days so far")
    required_days: int = Field(description="Days that turn the code green (0: by decision)")
    history: list[CodeChangeOut]


class VerifiedOut(Schema):
    valid: bool
    reason: str = Field(description="Why not valid: malformed, unknown_key, bad_signature")
    colour: ColourOut | None = None
    date: dt.date | None = None
    current: bool = Field(description="Valid and issued for today")
    pseudonym: str
    key_id: str


@router.get(
    "/people/{person_id}/health-code",
    response={200: HealthCodeOut, **ERRORS},
    summary="A person's health code and its history (epidemic.view over their grid)",
    url_name="epidemic_health_code",
)
def health_code(request: HttpRequest, person_id: int = ID) -> Any:
    card = queries.card_for(request.user, person_id)
    return {
        "person_id": card.person.pk,
        "colour": card.colour,
        "colour_label": card.colour_label,
        "reason": card.reason,
        "since": card.since,
        "normal_days": card.normal_days,
        "required_days": card.required_days,
        "history": [
            {
                "at": c.at,
                "date": c.date,
                "from_colour": c.from_colour,
                "to_colour": c.to_colour,
                "reason": c.reason,
                "reason_label": c.get_reason_display(),
                "note": c.note,
            }
            for c in queries.history(card.person)[:100]
        ],
    }


@router.get(
    "/verify",
    auth=None,
    response={200: VerifiedOut, **ERRORS},
    summary="Public: check a health code token (names nobody)",
    url_name="epidemic_verify",
)
def verify(request: HttpRequest, token: str = Query(..., max_length=400)) -> Any:
    found = signing.verify(token)
    return {
        "valid": found.valid,
        "reason": found.reason,
        "colour": found.colour or None,
        "date": found.day,
        "current": found.is_for(rules.today()),
        "pseudonym": found.pseudonym,
        "key_id": found.key_id,
    }
