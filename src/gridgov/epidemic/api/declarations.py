"""Daily health declarations at /api/v1/epidemic/declarations, single and batch.

Both are idempotent by the client's ``client_key``: a declaration sent again (a retry
after a lost answer) is answered with its first copy and counted once. A single one
answers 201 when new and 200 when it was a retry; a batch answers 200 with each item's
outcome. An invalid item refuses the whole batch (422, ``details.items`` by index); a
person outside the caller's scope is not found (404, ``details.items`` by index).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import BaseModel

from gridgov.api.schemas import ERRORS, PAGE, PAGE_SIZE, list_endpoint, paged
from gridgov.epidemic import rules
from gridgov.epidemic.actions import declarations as actions
from gridgov.epidemic.models import Channel
from gridgov.epidemic.queries import declarations as queries

router = Router(tags=["epidemic: declarations"])

MAX_PK = 2**63 - 1
SymptomCode = Literal[
    "fever", "cough", "sore_throat", "fatigue", "short_breath", "diarrhoea", "taste_smell", "other"
]
By = Literal["self", "household", "grid_worker"]
TERRITORY = Query("", pattern=r"^(\d{4,15})?$", description="Territory code prefix (city to grid)")


# What a batch repeats up to a thousand times is a plain pydantic model: ninja's Schema
# wraps every object it validates for attribute access to ORM rows, which cost more per
# declaration than all the rest of reading the request.
class DeclarationIn(BaseModel):
    person_id: int = Field(..., ge=1, le=MAX_PK, description="A person of the registry")
    client_key: str = Field(
        ...,
        pattern=r"^[A-Za-z0-9._:-]{8,64}$",
        description="Chosen by the client (a UUID); the same key again is a retry",
    )
    declared_at: dt.datetime | None = Field(
        None, description="When measured (default: now); a time without offset is local time"
    )
    temperature: Decimal | None = Field(None, ge=34, le=43, decimal_places=1)
    symptoms: list[SymptomCode] = Field(default_factory=list)
    travel_code: str = Field(
        "", pattern=r"^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})?$", description="Came from (division code)"
    )
    contact: bool = Field(False, description="Contact with a case or someone from a risk area")
    declared_by: By | None = Field(None, description="Default: grid_worker")
    note: str = Field("", max_length=200)


class BatchIn(BaseModel):
    items: list[DeclarationIn] = Field(..., min_length=1, max_length=actions.MAX_BATCH)


class OutcomeOut(BaseModel):
    client_key: str
    id: int = Field(description="The declaration (the first copy, for a retry)")
    person_id: int
    created: bool = Field(description="False: a retry of a declaration already received")


class BatchOut(BaseModel):
    received: int
    created: int
    duplicates: int
    items: list[OutcomeOut]


class DeclarationOut(Schema):
    id: int
    person_id: int
    person_name: str
    grid_code: str
    date: dt.date = Field(description="The day (Asia/Shanghai) of declared_at")
    declared_at: dt.datetime
    temperature: Decimal | None = None
    symptoms: list[str]
    travel_code: str
    travel_risk: str
    contact: bool
    abnormal: bool
    declared_by: str
    channel: str
    client_key: str


class EpidemicFiguresOut(Schema):
    code: str
    date: dt.date
    day: dict[str, int] = Field(description="The day's measures (declarations, declared, …)")
    current: dict[str, int] = Field(description="Standing measures (code:yellow, code:red, …)")


def _outcome(outcome: actions.Outcome) -> dict[str, Any]:
    return {
        "client_key": outcome.client_key,
        "id": outcome.declaration_id,
        "person_id": outcome.person_id,
        "created": outcome.created,
    }


def _row(payload: DeclarationIn) -> dict[str, Any]:
    row = payload.model_dump()
    if row["declared_by"] is None:
        row.pop("declared_by")
    return row


@router.post(
    "/declarations",
    response={200: OutcomeOut, 201: OutcomeOut, **ERRORS},
    summary="Record one declaration (201 new, 200 a retry)",
    url_name="epidemic_declare",
)
def declare(request: HttpRequest, payload: DeclarationIn) -> Any:
    outcome = actions.record_declaration(actor=request.user, channel=Channel.API, **_row(payload))
    return Status(201 if outcome.created else 200, _outcome(outcome))


@router.post(
    "/declarations/batch",
    response={200: BatchOut, **ERRORS},
    summary=f"Record up to {actions.MAX_BATCH} declarations in one transaction",
    url_name="epidemic_declare_batch",
)
def declare_batch(request: HttpRequest, payload: BatchIn) -> Any:
    result = actions.record_declarations(
        [_row(item) for item in payload.items], actor=request.user, channel=Channel.API
    )
    return {
        "received": len(result.outcomes),
        "created": result.created,
        "duplicates": result.duplicates,
        "items": [_outcome(o) for o in result.outcomes],
    }


def declaration_out(row: Any) -> dict[str, Any]:
    return {
        "id": row.pk,
        "person_id": row.person_id,
        "person_name": row.person.name,
        "grid_code": row.grid_code,
        "date": row.date,
        "declared_at": row.declared_at,
        "temperature": row.temperature,
        "symptoms": row.symptoms,
        "travel_code": row.travel_code,
        "travel_risk": row.travel_risk,
        "contact": row.contact,
        "abnormal": row.abnormal,
        "declared_by": row.declared_by,
        "channel": row.channel,
        "client_key": row.client_key,
    }


@list_endpoint(
    router,
    "/declarations",
    DeclarationOut,
    summary="Declarations in your scope, newest first",
    url_name="epidemic_declarations",
)
def list_declarations(
    request: HttpRequest,
    code: str = TERRITORY,
    date: dt.date | None = None,
    abnormal: bool | None = None,
    person_id: int | None = Query(None, ge=1, le=MAX_PK),
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> Any:
    rows = queries.search_declarations(
        request.user, code=code, day=date, abnormal=abnormal, person_id=person_id
    )
    return paged(rows, page, page_size, declaration_out)


@router.get(
    "/figures/{code}",
    response={200: EpidemicFiguresOut, **ERRORS},
    summary="A day's figures under a territory node, from the roll-ups (epidemic.aggregate)",
    url_name="epidemic_figures",
)
def figures(request: HttpRequest, code: str, date: dt.date | None = None) -> Any:
    from gridgov.core.errors import NotFound

    if not (code.isdigit() and 4 <= len(code) <= 15):
        raise NotFound()
    day = date or rules.today()
    found = queries.figures(request.user, code, day)
    return {"code": code, "date": day, **found}
