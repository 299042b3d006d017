"""Risk areas and the arrivals from them, at /api/v1/epidemic/risk-areas and
/api/v1/epidemic/risk-arrivals: scoped and refused exactly like the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status

from gridgov.api.schemas import ERRORS, PAGE, PAGE_SIZE, attributes, list_endpoint, paged
from gridgov.epidemic import rules
from gridgov.epidemic.actions import risk as actions
from gridgov.epidemic.queries import risk as queries

router = Router(tags=["epidemic: risk areas"])

MAX_PK = 2**63 - 1
ID = Path(..., ge=1, le=MAX_PK)
Level = Literal["low", "medium", "high"]
DIVISION = Field(..., pattern=r"^\d{2,12}$", examples=["420100"])
IN_FORCE_ON = Query(None, description="In force on this day")
SINCE = Query(..., description="First day of arrival")
TERRITORY = Query("", pattern=r"^(\d{4,15})?$", description="Territory code prefix (city to grid)")


class RiskAreaOut(Schema):
    id: int
    division_code: str = Field(description="Division code, 2 to 12 digits, anywhere in China")
    name: str
    level: Level
    level_label: str
    valid_from: dt.date
    valid_to: dt.date | None = Field(None, description="Last day; null while in force")
    note: str
    region_code: str = Field(description="The county or city that declared it")
    active_today: bool
    version: int


class RiskAreaIn(Schema):
    division_code: str = DIVISION
    name: str = Field("", max_length=120, description="Empty: the national table's name")
    level: Level
    valid_from: dt.date
    valid_to: dt.date | None = None
    note: str = Field("", max_length=200)
    region_code: str | None = Field(
        None, pattern=r"^\d{4}(\d{2})?$", description="Declaring city or county (default: yours)"
    )


class RiskAreaPatch(Schema):
    division_code: str | None = Field(None, pattern=r"^\d{2,12}$")
    name: str | None = Field(None, max_length=120)
    level: Level | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    note: str | None = Field(None, max_length=200)
    version: int | None = Field(None, description="The version read; 409 if it changed")


class RiskAreaEndIn(Schema):
    valid_to: dt.date = Field(description="The area's last day as a risk area")
    version: int | None = None


class RiskMatchOut(Schema):
    code: str
    date: dt.date
    level: Level | None = Field(None, description="The highest level that applies, if any")
    areas: list[RiskAreaOut]


class RiskArrivalOut(Schema):
    movement_id: int
    person_id: int
    person_name: str
    grid_code: str
    date: dt.date
    from_code: str
    risk_level: Level
    transport: str


def area_out(area: Any) -> dict[str, Any]:
    today = rules.today()
    return attributes(
        area,
        RiskAreaOut,
        level_label=area.get_level_display(),
        active_today=area.valid_from <= today and (area.valid_to is None or area.valid_to >= today),
    )


@list_endpoint(
    router, "/risk-areas", RiskAreaOut, summary="Risk areas", url_name="epidemic_risk_areas"
)
def list_areas(
    request: HttpRequest,
    q: str = Query("", description="Part of the name, or the start of the code"),
    level: Level | None = None,
    on: dt.date | None = IN_FORCE_ON,
    code: str = Query("", pattern=r"^(\d{2,12})?$", description="Areas a place lies in"),
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> Any:
    areas = queries.search_risk_areas(request.user, q=q, level=level or "", on=on, code=code)
    return paged(areas, page, page_size, area_out)


@router.post(
    "/risk-areas",
    response={201: RiskAreaOut, **ERRORS},
    summary="Declare a risk area (epidemic.manage)",
    url_name="epidemic_risk_area_add",
)
def add_area(request: HttpRequest, payload: RiskAreaIn) -> Any:
    area = actions.add_risk_area(actor=request.user, **payload.dict())
    return Status(201, area_out(area))


@router.get(
    "/risk-areas/match",
    response={200: RiskMatchOut, **ERRORS},
    summary="The risk areas a place lies in on a day",
    url_name="epidemic_risk_match",
)
def match(
    request: HttpRequest,
    code: str = Query(..., pattern=r"^\d{2,12}$"),
    date: dt.date | None = None,
) -> Any:
    queries.visible_risk_areas(request.user)
    day = date or rules.today()
    areas = list(queries.matching(code, day))
    return {
        "code": code,
        "date": day,
        "level": areas[0].level if areas else None,
        "areas": [area_out(a) for a in areas],
    }


@router.get(
    "/risk-areas/{area_id}",
    response={200: RiskAreaOut, **ERRORS},
    summary="One risk area",
    url_name="epidemic_risk_area",
)
def get_area(request: HttpRequest, area_id: int = ID) -> Any:
    return area_out(queries.get_risk_area_for(request.user, area_id))


@router.patch(
    "/risk-areas/{area_id}",
    response={200: RiskAreaOut, **ERRORS},
    summary="Change a risk area (epidemic.manage over its county or city)",
    url_name="epidemic_risk_area_change",
)
def change_area(request: HttpRequest, payload: RiskAreaPatch, area_id: int = ID) -> Any:
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version", None)
    area = actions.change_risk_area(
        area_id, actor=request.user, expected_version=version, **changes
    )
    return area_out(area)


@router.post(
    "/risk-areas/{area_id}/end",
    response={200: RiskAreaOut, **ERRORS},
    summary="End a risk area after a day",
    url_name="epidemic_risk_area_end",
)
def end_area(request: HttpRequest, payload: RiskAreaEndIn, area_id: int = ID) -> Any:
    area = actions.end_risk_area(
        area_id, actor=request.user, valid_to=payload.valid_to, expected_version=payload.version
    )
    return area_out(area)


def arrival_out(movement: Any) -> dict[str, Any]:
    return {
        "movement_id": movement.pk,
        "person_id": movement.person_id,
        "person_name": movement.person.name,
        "grid_code": movement.grid_code,
        "date": movement.date,
        "from_code": movement.from_code,
        "risk_level": movement.risk_level,
        "transport": movement.transport,
    }


@list_endpoint(
    router,
    "/risk-arrivals",
    RiskArrivalOut,
    summary="Arrivals since a day from places that were risk areas when they arrived",
    url_name="epidemic_risk_arrivals",
)
def list_arrivals(
    request: HttpRequest,
    since: dt.date = SINCE,
    code: str = TERRITORY,
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> Any:
    return paged(queries.risk_arrivals(request.user, since, code), page, page_size, arrival_out)
