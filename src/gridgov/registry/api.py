"""REST endpoints of the population registry, mounted at /api/v1/registry.

Handlers parse input, call a query or an action and shape the answer — the same queries
and ``shaping`` helpers as the pages, so the API is scoped and masked exactly like them:
outside the caller's scope a person, household or building answers 404 like one that does
not exist; ID and phone numbers are masked except from ``POST /people/{id}/reveal``
(audited); leaders (registry.aggregate) read figures and completeness, never people.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Path, Query, Router, Schema, Status

from gridgov.accounts import scope
from gridgov.api.imports import add_import_endpoints
from gridgov.api.schemas import (
    ERRORS,
    PAGE,
    PAGE_SIZE,
    FeatureCollectionOut,
    FeatureOut,
    FeaturePropertiesOut,
    attributes,
    list_endpoint,
    paged,
)
from gridgov.core.errors import InvalidInput
from gridgov.registry import (
    actions,
    completeness,
    exports,
    identity,
    importers,
    queries,
    shaping,
    spreadsheets,
)
from gridgov.registry.models import (
    Building,
    CareKind,
    CareTag,
    Household,
    Movement,
    MovementKind,
    Person,
    PersonStatus,
    Relation,
    ResidenceType,
    Sex,
    TagStatus,
)
from gridgov.territory import codes
from gridgov.territory import queries as territory_queries
from gridgov.web.downloads import CSV_TYPE, XLSX_TYPE, file_response, openapi_file

router = Router(tags=["registry"])

MAX_PK = 2**63 - 1  # the largest value a bigint key column holds
ID = Path(..., ge=1, le=MAX_PK)
CODE_RULES: dict[str, Any] = {
    "min_length": 4,
    "max_length": 15,
    "pattern": r"^\d+$",
    "examples": ["411302001001"],
}
CODE = Path(..., description="Territory code (city to grid)", **CODE_RULES)
FK = Field(None, ge=1, le=MAX_PK)
LON = Field(None, ge=-180, le=180)
LAT = Field(None, ge=-90, le=90)
SEARCH_LIMIT = 10


# --- schemas: reading ---------------------------------------------------------------------


class TagBriefOut(Schema):
    id: int
    kind: str
    kind_label: str
    status: str


class PersonOut(Schema):
    id: int
    name: str
    sex: str
    sex_label: str
    birth_date: dt.date | None = None
    birth_year: int | None = None
    age_band: str
    id_number_masked: str = Field(description="Masked; POST …/reveal shows it in full")
    phone_masked: str = Field(description="Masked; POST …/reveal shows it in full")
    ethnicity: str
    hukou_code: str = Field(description="Household registration place (division code)")
    residence_type: str
    residence_type_label: str
    address: str = Field(description="Actual residence")
    status: str
    status_label: str
    status_date: dt.date | None = None
    grid_code: str
    lon: float | None = None
    lat: float | None = None
    household_id: int | None = None
    relation: str
    version: int = Field(description="Send back with a change to detect concurrent edits")
    tags: list[TagBriefOut] = Field(description="Care groups that have not ended")
    url: str = Field(description="The person's page")


class CareTagOut(Schema):
    id: int
    person_id: int
    person_name: str
    grid_code: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    attributes: dict[str, Any]
    care_contact_name: str
    care_contact_phone_masked: str
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    proposed_by_system: bool
    version: int


class MovementOut(Schema):
    id: int
    person_id: int
    person_name: str
    grid_code: str
    kind: str
    kind_label: str
    date: dt.date
    from_code: str
    to_code: str
    from_grid: str
    to_grid: str
    reason: str
    transport: str
    note: str


class PersonDetailOut(PersonOut):
    care_tags: list[CareTagOut] = Field(description="Every care tag, ended ones too")
    can_edit: bool
    can_reveal: bool


class HouseholdOut(Schema):
    id: int
    address: str
    building_id: int | None = None
    unit: str
    room: str
    head_id: int | None = None
    head_name: str | None = None
    member_count: int
    grid_code: str
    lon: float | None = None
    lat: float | None = None
    version: int
    url: str


class MemberOut(Schema):
    id: int
    name: str
    relation: str
    relation_label: str
    sex: str
    birth_year: int | None = None
    status: str
    id_number_masked: str


class HouseholdDetailOut(HouseholdOut):
    members: list[MemberOut]


class BuildingOut(Schema):
    id: int
    name: str
    address: str
    floors: int | None = None
    household_count: int
    grid_code: str
    lon: float | None = None
    lat: float | None = None
    version: int
    url: str


class BuildingDetailOut(BuildingOut):
    households: list[HouseholdOut]


class RevealOut(Schema):
    field: str
    value: str = Field(description="The full number; this reading is audited")


class SearchOut(Schema):
    people: list[PersonOut]
    households: list[HouseholdOut]
    buildings: list[BuildingOut]


class FigureItemOut(Schema):
    key: str = Field(description="The measure, e.g. residence:migrant, age:60-69, tag:disabled")
    label: str
    count: int


class FigureGroupOut(Schema):
    title: str
    prefix: str
    items: list[FigureItemOut]


class ChildFiguresOut(Schema):
    code: str
    name: str
    total: int
    measures: dict[str, int]


class FiguresOut(Schema):
    code: str
    name: str
    total: int
    measures: dict[str, int] = Field(description="Every non-zero measure of the living people")
    groups: list[FigureGroupOut]
    children: list[ChildFiguresOut]


class CompletenessSummaryOut(Schema):
    grids: int
    checked: int
    gaps: dict[str, int]
    gap_total: int
    score: float


class ChildCompletenessOut(Schema):
    code: str
    name: str
    summary: CompletenessSummaryOut | None = Field(None, description="null: nothing recorded")


class GapItemOut(Schema):
    id: int
    type: Literal["person", "household", "building"]
    label: str
    url: str


class GapSectionOut(Schema):
    kind: str
    label: str
    count: int
    items: list[GapItemOut]


class CompletenessOut(Schema):
    code: str
    name: str
    summary: CompletenessSummaryOut
    gap_labels: dict[str, str]
    children: list[ChildCompletenessOut]
    gap_list: list[GapSectionOut] | None = Field(
        None, description="A grid's rows to fix; only for users who may open people there"
    )


class ScoreFeaturePropertiesOut(FeaturePropertiesOut):
    score: float | None = None


class ScoreFeatureOut(FeatureOut):
    properties: ScoreFeaturePropertiesOut


class ScoreFeatureCollectionOut(FeatureCollectionOut):
    features: list[ScoreFeatureOut]  # type: ignore[assignment]


class ProposedOut(Schema):
    proposed: int


# --- schemas: writing ---------------------------------------------------------------------


class LocatedIn(Schema):
    grid_code: str | None = Field(None, max_length=15, description="15 digits; or lon/lat")
    lon: float | None = LON
    lat: float | None = LAT


class PersonFields(Schema):
    sex: Sex | None = Field(None, description="M or F; from the ID number when omitted")
    birth_date: dt.date | None = None
    id_number: str | None = Field(None, max_length=20)
    phone: str | None = Field(None, max_length=20)
    household_id: int | None = FK
    relation: Relation | Literal[""] | None = None
    ethnicity: str | None = Field(None, max_length=20)
    hukou_code: str | None = Field(None, max_length=12, description="Division code")
    residence_type: ResidenceType | None = None
    address: str | None = Field(None, max_length=200)


class PersonCreateIn(PersonFields, LocatedIn):
    name: str = Field(..., max_length=60)
    status: PersonStatus = PersonStatus.LIVING
    status_date: dt.date | None = None


class PersonPatchIn(PersonFields):
    name: str | None = Field(None, max_length=60)
    version: int = Field(..., description="The version you read; 409 if it changed")


class StatusIn(Schema):
    status: PersonStatus
    date: dt.date


class RevealIn(Schema):
    field: Literal["id_number", "phone"]
    reason: str = Field("", max_length=200)


class CareTagIn(Schema):
    kind: CareKind
    attributes: dict[str, str | int | float | bool | None] = Field(
        default_factory=dict,
        description="Disabled: category (视力 听力 言语 肢体 智力 精神 多重) and level (一级…四级)",
    )
    care_contact_name: str = Field("", max_length=60)
    care_contact_phone: str | None = Field(None, max_length=20)
    start_date: dt.date | None = None


class EndTagIn(Schema):
    end_date: dt.date


class MovementIn(Schema):
    kind: MovementKind
    date: dt.date
    from_code: str = Field("", max_length=12)
    to_code: str = Field("", max_length=12)
    to_grid: str | None = Field(None, max_length=15)
    reason: str = Field("", max_length=100)
    transport: str = Field("", max_length=60)
    note: str = Field("", max_length=200)


class HouseholdIn(LocatedIn):
    address: str = Field(..., max_length=200)
    building_id: int | None = FK
    unit: str = Field("", max_length=20)
    room: str = Field("", max_length=20)


class HouseholdPatchIn(Schema):
    address: str | None = Field(None, max_length=200)
    building_id: int | None = FK
    unit: str | None = Field(None, max_length=20)
    room: str | None = Field(None, max_length=20)
    grid_code: str | None = Field(None, max_length=15)
    lon: float | None = LON
    lat: float | None = LAT
    version: int


class HeadIn(Schema):
    person_id: int | None = Field(..., ge=1, le=MAX_PK, description="null clears the head")


class BuildingIn(LocatedIn):
    name: str = Field(..., max_length=120)
    address: str = Field(..., max_length=200)
    floors: int | None = Field(None, ge=1, le=300)


class BuildingPatchIn(Schema):
    name: str | None = Field(None, max_length=120)
    address: str | None = Field(None, max_length=200)
    floors: int | None = Field(None, ge=1, le=300)
    grid_code: str | None = Field(None, max_length=15)
    lon: float | None = LON
    lat: float | None = LAT
    version: int


class ProposeIn(Schema):
    code: str = Field(..., min_length=4, max_length=15, pattern=r"^\d+$")


class PersonFilters(Schema):
    q: str = Field("", max_length=60, description="Part of the name")
    address: str = Field("", max_length=100, description="Part of the address")
    grid: str = Field("", max_length=15, description="Region or grid code prefix")
    tag: CareKind | Literal[""] = ""
    residence_type: ResidenceType | Literal[""] = ""
    status: PersonStatus | Literal[""] = ""
    age_band: Literal["", "0-6", "7-17", "18-34", "35-59", "60-69", "70-79", "80+"] = ""


class AddressFilters(Schema):
    q: str = Field("", max_length=100, description="Part of the address")
    grid: str = Field("", max_length=15, description="Region or grid code prefix")


class PersonSearchIn(PersonFilters):
    """The list's filters and the exact numbers, sent in a body: a full number belongs in
    no URL (URLs end up in logs)."""

    id_number: str = Field("", max_length=20, description="Exact ID number")
    phone: str = Field("", max_length=20, description="Exact phone number")


class QuickSearchIn(Schema):
    q: str = Field(..., min_length=1, max_length=60, description="Name, address, or a full number")


# --- shaping ------------------------------------------------------------------------------


def _label(choices: Any, value: str) -> str:
    return str(dict(choices.choices).get(value, value)) if value else ""


def person_out(person: Person) -> dict[str, Any]:
    tags = getattr(person, "open_tags", None)
    if tags is None:
        tags = [t for t in person.care_tags.all() if t.status != TagStatus.ENDED]
    return attributes(
        person,
        PersonOut,
        sex_label=_label(Sex, person.sex),
        age_band=_age_band(person),
        residence_type_label=_label(ResidenceType, person.residence_type),
        status_label=_label(PersonStatus, person.status),
        tags=[
            {"id": t.pk, "kind": t.kind, "kind_label": t.get_kind_display(), "status": t.status}
            for t in tags
        ],
        url=reverse("registry:person_detail", args=[person.pk]),
    )


def _age_band(person: Person) -> str:
    if person.birth_date:
        return identity.age_band(identity.age_on(person.birth_date, dt.date.today()))
    return identity.UNKNOWN_AGE_BAND


def tag_out(tag: CareTag) -> dict[str, Any]:
    return attributes(
        tag,
        CareTagOut,
        person_name=tag.person.name,
        kind_label=tag.get_kind_display(),
        status_label=tag.get_status_display(),
    )


def movement_out(movement: Movement) -> dict[str, Any]:
    return attributes(
        movement,
        MovementOut,
        person_name=movement.person.name,
        kind_label=movement.get_kind_display(),
    )


def household_out(household: Household) -> dict[str, Any]:
    count = getattr(household, "member_count", None)
    return attributes(
        household,
        HouseholdOut,
        head_name=household.head.name if household.head is not None else None,
        member_count=household.members.count() if count is None else count,
        url=reverse("registry:household_detail", args=[household.pk]),
    )


def building_out(building: Building) -> dict[str, Any]:
    count = getattr(building, "household_count", None)
    return attributes(
        building,
        BuildingOut,
        household_count=building.households.count() if count is None else count,
        url=reverse("registry:building_detail", args=[building.pk]),
    )


def _person_detail(request: HttpRequest, person_id: int) -> dict[str, Any]:
    person = queries.get_person_for(request.user, person_id)
    tags = list(person.care_tags.order_by("status", "kind"))
    for tag in tags:
        tag.person = person
    person.open_tags = [t for t in tags if t.status != TagStatus.ENDED]  # type: ignore[attr-defined]
    return {
        **person_out(person),
        "care_tags": [tag_out(t) for t in tags],
        "can_edit": scope.has_capability(request.user, actions.EDIT, person.grid_code),
        "can_reveal": scope.has_capability(request.user, actions.REVEAL, person.grid_code),
    }


def _household_detail(request: HttpRequest, household_id: int) -> dict[str, Any]:
    household = queries.get_household_for(request.user, household_id)
    members = queries.visible_people(request.user).filter(household=household).order_by("pk")
    return {
        **household_out(household),
        "members": [
            attributes(p, MemberOut, relation_label=_label(Relation, p.relation)) for p in members
        ],
    }


def _building_detail(request: HttpRequest, building_id: int) -> dict[str, Any]:
    building = queries.get_building_for(request.user, building_id)
    households = shaping.households_in(request.user, building)
    return {**building_out(building), "households": [household_out(h) for h in households]}


def _patch(update: Callable[..., Any], pk: int, request: HttpRequest, payload: Schema) -> None:
    """Apply a PATCH with an ``update_<thing>`` action: only the fields the client sent,
    refused (409) when the ``version`` it read is no longer the current one."""
    fields = payload.dict(exclude_unset=True)
    expected = fields.pop("version")
    update(pk, actor=request.user, expected_version=expected, **fields)


def _region_name(user: Any, code: str) -> str:
    return territory_queries.get_region_for(user, code, with_geometry=False).name


# --- people -------------------------------------------------------------------------------


@list_endpoint(
    router,
    "/people",
    PersonOut,
    summary="People in my scope: search and filters (numbers masked)",
    url_name="registry_people",
)
def list_people(
    request: HttpRequest,
    filters: Query[PersonFilters],
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> Any:
    return _people_page(request, filters, page, page_size)


@list_endpoint(
    router,
    "/people/search",
    PersonOut,
    method="POST",
    summary="People by the list's filters and by exact ID or phone number (in the body)",
    url_name="registry_people_search",
)
def search_people(
    request: HttpRequest, payload: PersonSearchIn, page: int = PAGE, page_size: int = PAGE_SIZE
) -> Any:
    return _people_page(request, payload, page, page_size)


def _people_page(request: HttpRequest, criteria: Schema, page: int, page_size: int) -> Any:
    scope.require(request.user, queries.VIEW)
    return paged(shaping.people_list(request.user, **criteria.dict()), page, page_size, person_out)


@router.post(
    "/people",
    response={201: PersonDetailOut, **ERRORS},
    summary="Register a person",
    url_name="registry_person_create",
)
def create_person(request: HttpRequest, payload: PersonCreateIn) -> Any:
    fields = {k: v for k, v in payload.dict().items() if v is not None}
    person = actions.create_person(actor=request.user, **fields)
    return Status(201, _person_detail(request, person.pk))


@router.get(
    "/people/{person_id}",
    response={200: PersonDetailOut, **ERRORS},
    summary="One person with their care tags",
    url_name="registry_person",
)
def get_person(request: HttpRequest, person_id: int = ID) -> Any:
    return _person_detail(request, person_id)


@router.patch(
    "/people/{person_id}",
    response={200: PersonDetailOut, **ERRORS},
    summary="Change some of a person's fields (with the version you read)",
    url_name="registry_person_update",
)
def update_person(request: HttpRequest, payload: PersonPatchIn, person_id: int = ID) -> Any:
    _patch(actions.update_person, person_id, request, payload)
    return _person_detail(request, person_id)


@router.post(
    "/people/{person_id}/status",
    response={200: PersonDetailOut, **ERRORS},
    summary="Living here, moved out or deceased, as of a date",
    url_name="registry_person_status",
)
def record_status(request: HttpRequest, payload: StatusIn, person_id: int = ID) -> Any:
    actions.record_status(person_id, actor=request.user, status=payload.status, date=payload.date)
    return _person_detail(request, person_id)


@router.post(
    "/people/{person_id}/reveal",
    response={200: RevealOut, **ERRORS},
    summary="Show one full ID or phone number (registry.reveal; audited)",
    url_name="registry_person_reveal",
)
def reveal(request: HttpRequest, payload: RevealIn, person_id: int = ID) -> Any:
    value = actions.reveal_number(
        person_id, actor=request.user, field=payload.field, reason=payload.reason
    )
    return {"field": payload.field, "value": value}


@router.post(
    "/people/{person_id}/tags",
    response={201: CareTagOut, **ERRORS},
    summary="Add the person to a care group",
    url_name="registry_tag_add",
)
def add_tag(request: HttpRequest, payload: CareTagIn, person_id: int = ID) -> Any:
    tag = actions.add_care_tag(person_id, actor=request.user, **payload.dict())
    return Status(201, tag_out(tag))


@list_endpoint(
    router,
    "/people/{person_id}/movements",
    MovementOut,
    summary="A person's movement history, newest first",
    url_name="registry_person_movements",
)
def person_movements(
    request: HttpRequest, person_id: int = ID, page: int = PAGE, page_size: int = PAGE_SIZE
) -> Any:
    person = queries.get_person_for(request.user, person_id)
    rows = person.movements.select_related("person").order_by("-date", "-pk")
    return paged(rows, page, page_size, movement_out)


@router.post(
    "/people/{person_id}/movements",
    response={201: MovementOut, **ERRORS},
    summary="Record an arrival, a departure or a move to another grid",
    url_name="registry_movement_record",
)
def record_movement(request: HttpRequest, payload: MovementIn, person_id: int = ID) -> Any:
    movement = actions.record_movement(person_id, actor=request.user, **payload.dict())
    return Status(201, movement_out(movement))


# --- tags ---------------------------------------------------------------------------------


@list_endpoint(
    router,
    "/tags",
    CareTagOut,
    summary="Care tags in my scope (e.g. status=proposed: waiting for confirmation)",
    url_name="registry_tags",
)
def list_tags(
    request: HttpRequest,
    status: TagStatus | None = None,
    kind: CareKind | None = None,
    grid: str = Query("", max_length=15),
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> Any:
    scope.require(request.user, queries.VIEW)
    rows = queries.visible_care_tags(request.user).select_related("person")
    if status:
        rows = rows.filter(status=status)
    if kind:
        rows = rows.filter(kind=kind)
    if shaping.clean_text(grid, 15):
        rows = rows.filter(grid_code__startswith=shaping.clean_text(grid, 15))
    rows = shaping.mine_first(rows, request.user, "grid_code", "person__name", "pk")
    return paged(rows, page, page_size, tag_out)


@router.post(
    "/tags/{tag_id}/confirm",
    response={200: CareTagOut, **ERRORS},
    summary="Confirm a proposed tag",
    url_name="registry_tag_confirm",
)
def confirm_tag(request: HttpRequest, tag_id: int = ID) -> Any:
    queries.get_care_tag_for(request.user, tag_id)
    return tag_out(actions.confirm_care_tag(tag_id, actor=request.user))


@router.post(
    "/tags/{tag_id}/end",
    response={200: CareTagOut, **ERRORS},
    summary="End a tag (or reject a proposal)",
    url_name="registry_tag_end",
)
def end_tag(request: HttpRequest, payload: EndTagIn, tag_id: int = ID) -> Any:
    queries.get_care_tag_for(request.user, tag_id)
    return tag_out(actions.end_care_tag(tag_id, actor=request.user, end_date=payload.end_date))


@router.post(
    "/tags/propose-elderly-alone",
    response={200: ProposedOut, **ERRORS},
    summary="Propose 'elderly living alone' from age and household size under a region",
    url_name="registry_propose_elderly",
)
def propose_elderly(request: HttpRequest, payload: ProposeIn) -> Any:
    return {"proposed": actions.propose_elderly_alone(payload.code, actor=request.user)}


# --- movement -----------------------------------------------------------------------------


@list_endpoint(
    router,
    "/movements",
    MovementOut,
    summary="Movements under a region or grid, newest first",
    url_name="registry_movements",
)
def list_movements(
    request: HttpRequest,
    grid: str = Query(..., description="Region or grid code", **CODE_RULES),
    kind: MovementKind | None = None,
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> Any:
    scope.require(request.user, queries.VIEW, grid)
    rows = queries.visible_movements(request.user).filter(grid_code__startswith=grid)
    if kind:
        rows = rows.filter(kind=kind)
    rows = rows.select_related("person").order_by("-date", "-pk")
    return paged(rows, page, page_size, movement_out)


@list_endpoint(
    router,
    "/arrivals",
    MovementOut,
    summary="Recent arrivals and moves into a grid (default: my grid, last 30 days)",
    url_name="registry_arrivals",
)
def arrivals(
    request: HttpRequest,
    grid: str = Query("", max_length=15, pattern=r"^\d*$"),
    days: int = Query(30, ge=1, le=366),
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> Any:
    scope.require(request.user, queries.VIEW)
    grid = grid or shaping.home_prefix(request.user, queries.VIEW)
    if not grid:
        raise InvalidInput(fields={"grid": "required: you work in several areas"})
    rows = queries.recent_arrivals(request.user, grid, days).order_by("-date", "-pk")
    return paged(rows, page, page_size, movement_out)


# --- search -------------------------------------------------------------------------------


@router.post(
    "/search",
    response={200: SearchOut, **ERRORS},
    summary="Quick search: people by name, exact ID or phone number; households and "
    "buildings by address (at most 10 of each)",
    url_name="registry_search",
)
def search(request: HttpRequest, payload: QuickSearchIn) -> Any:
    scope.require(request.user, queries.VIEW)
    term = shaping.clean_text(payload.q, 60)
    if not term:
        return {"people": [], "households": [], "buildings": []}
    by = _number_kind(term)
    people = shaping.people_list(request.user, **{by: term})[:SEARCH_LIMIT]
    households = shaping.address_search(shaping.households_counted(request.user), q=term)
    buildings = shaping.address_search(shaping.buildings_counted(request.user), q=term)
    return {
        "people": [person_out(p) for p in people],
        "households": [household_out(h) for h in households.order_by("pk")[:SEARCH_LIMIT]],
        "buildings": [building_out(b) for b in buildings.order_by("pk")[:SEARCH_LIMIT]],
    }


def _number_kind(term: str) -> str:
    """Which person filter a quick-search term is for: an ID number, a phone, a name."""
    compact = term.replace(" ", "").replace("-", "")
    if len(compact) in (15, 18) and compact[:15].isdigit():
        return "id_number"
    if compact.lstrip("+").isdigit() and len(compact) >= 7:
        return "phone"
    return "q"


# --- households ---------------------------------------------------------------------------


@list_endpoint(
    router,
    "/households",
    HouseholdOut,
    summary="Households in my scope, by address and region",
    url_name="registry_households",
)
def list_households(
    request: HttpRequest,
    filters: Query[AddressFilters],
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> Any:
    return _address_page(
        request, shaping.households_counted, filters, household_out, page, page_size
    )


@router.post(
    "/households",
    response={201: HouseholdDetailOut, **ERRORS},
    summary="Register a household (grid from the code, the coordinates or its building)",
    url_name="registry_household_create",
)
def create_household(request: HttpRequest, payload: HouseholdIn) -> Any:
    household = actions.create_household(actor=request.user, **payload.dict())
    return Status(201, _household_detail(request, household.pk))


@router.get(
    "/households/{household_id}",
    response={200: HouseholdDetailOut, **ERRORS},
    summary="One household with its members",
    url_name="registry_household",
)
def get_household(request: HttpRequest, household_id: int = ID) -> Any:
    return _household_detail(request, household_id)


@router.patch(
    "/households/{household_id}",
    response={200: HouseholdDetailOut, **ERRORS},
    summary="Change a household (with the version you read)",
    url_name="registry_household_update",
)
def update_household(
    request: HttpRequest, payload: HouseholdPatchIn, household_id: int = ID
) -> Any:
    _patch(actions.update_household, household_id, request, payload)
    return _household_detail(request, household_id)


@router.post(
    "/households/{household_id}/head",
    response={200: HouseholdDetailOut, **ERRORS},
    summary="Make a member the head of the household (null clears it)",
    url_name="registry_household_head",
)
def set_head(request: HttpRequest, payload: HeadIn, household_id: int = ID) -> Any:
    queries.get_household_for(request.user, household_id)
    actions.set_household_head(household_id, payload.person_id, actor=request.user)
    return _household_detail(request, household_id)


# --- buildings ----------------------------------------------------------------------------


@list_endpoint(
    router,
    "/buildings",
    BuildingOut,
    summary="Buildings in my scope, by address and region",
    url_name="registry_buildings",
)
def list_buildings(
    request: HttpRequest,
    filters: Query[AddressFilters],
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> Any:
    return _address_page(request, shaping.buildings_counted, filters, building_out, page, page_size)


def _address_page(
    request: HttpRequest,
    visible: Callable[[Any], QuerySet],
    filters: AddressFilters,
    shape: Callable[[Any], dict[str, Any]],
    page: int,
    page_size: int,
) -> Any:
    """A page of households or buildings: the same filters and order as their pages."""
    scope.require(request.user, queries.VIEW)
    rows = shaping.address_list(visible(request.user), request.user, **filters.dict())
    return paged(rows, page, page_size, shape)


@router.post(
    "/buildings",
    response={201: BuildingDetailOut, **ERRORS},
    summary="Register a building (grid from the code or the coordinates)",
    url_name="registry_building_create",
)
def create_building(request: HttpRequest, payload: BuildingIn) -> Any:
    building = actions.create_building(actor=request.user, **payload.dict())
    return Status(201, _building_detail(request, building.pk))


@router.get(
    "/buildings/{building_id}",
    response={200: BuildingDetailOut, **ERRORS},
    summary="One building with its households",
    url_name="registry_building",
)
def get_building(request: HttpRequest, building_id: int = ID) -> Any:
    return _building_detail(request, building_id)


@router.patch(
    "/buildings/{building_id}",
    response={200: BuildingDetailOut, **ERRORS},
    summary="Change a building (with the version you read)",
    url_name="registry_building_update",
)
def update_building(request: HttpRequest, payload: BuildingPatchIn, building_id: int = ID) -> Any:
    _patch(actions.update_building, building_id, request, payload)
    return _building_detail(request, building_id)


# --- figures and completeness -------------------------------------------------------------


@router.get(
    "/figures/{code}",
    response={200: FiguresOut, **ERRORS},
    summary="Population of a region (roll-ups: residence type, sex, age band, care group) "
    "and of each of its children",
    url_name="registry_figures",
)
def figures(request: HttpRequest, code: str = CODE) -> Any:
    measures = queries.population_figures(request.user, code)
    name = _region_name(request.user, code)
    children = []
    if codes.level_of(code) < codes.GRID:
        names = _child_names(request.user, code)
        by_child = dict(queries.population_by_child(request.user, code))
        children = [
            {
                "code": child,
                "name": child_name,
                "total": by_child.get(child, {}).get("total", 0),
                "measures": by_child.get(child, {}),
            }
            for child, child_name in names.items()
        ]
    return {
        "code": code,
        "name": name,
        "total": measures.get("total", 0),
        "measures": measures,
        "groups": shaping.figure_groups(measures),
        "children": children,
    }


def _child_names(user: Any, code: str) -> dict[str, str]:
    region = territory_queries.get_region_for(user, code, with_geometry=False)
    return dict(territory_queries.children(region).values_list("code", "name"))


@router.get(
    "/completeness/{code}",
    response={200: CompletenessOut, **ERRORS},
    summary="Completeness of a region: its score, each child's, and for a grid the gaps "
    "to fix (people only for users who may open them)",
    url_name="registry_completeness",
)
def completeness_of(request: HttpRequest, code: str = CODE) -> Any:
    user = request.user
    summary = queries.completeness_for(user, code)
    name = _region_name(user, code)
    children = []
    if codes.level_of(code) < codes.GRID:
        by_child = dict(queries.completeness_by_child(user, code))
        children = [
            {"code": child, "name": child_name, "summary": by_child.get(child)}
            for child, child_name in _child_names(user, code).items()
        ]
    gap_list = None
    if codes.level_of(code) == codes.GRID and scope.has_capability(user, queries.VIEW, code):
        gap_list = shaping.gap_sections(user, code)
    return {
        "code": code,
        "name": name,
        "summary": summary,
        "gap_labels": {kind: str(label) for kind, label in completeness.LABELS.items()},
        "children": children,
        "gap_list": gap_list,
    }


@router.get(
    "/completeness/{code}/map.geojson",
    response={200: ScoreFeatureCollectionOut, **ERRORS},
    summary="The children of a region (or a grid itself) with their completeness score, "
    "for a map coloured by score",
    url_name="registry_completeness_geojson",
)
def completeness_geojson(request: HttpRequest, code: str = CODE) -> Any:
    user = request.user
    queries.completeness_for(user, code)
    region = territory_queries.get_region_for(user, code, with_geometry=False)
    if region.is_grid:
        region = territory_queries.get_region_for(user, code)
        collection = territory_queries.boundary_geojson(user, region)
        scores = {code: queries.completeness_for(user, code)}
    else:
        collection = territory_queries.children_geojson(user, region)
        scores = dict(queries.completeness_by_child(user, code))
    for feature in collection["features"]:
        props = feature["properties"]
        found = scores.get(props["code"])
        props["score"] = found["score"] if found and found["checked"] else None
        props["url"] = reverse("registry:completeness", args=[props["code"]])
        if props["score"] is not None:
            props["label"] = f"{props['label']} {props['score']:.0f}"
    return collection


# --- imports and exports ------------------------------------------------------------------


SPREADSHEET = openapi_file(XLSX_TYPE, CSV_TYPE)
FORMAT = Query("xlsx", pattern="^(xlsx|csv)$", description="xlsx or csv")


@router.get(
    "/imports/template",
    response=ERRORS,
    openapi_extra=SPREADSHEET,
    summary="The people import template (Chinese headers)",
    url_name="registry_import_template",
)
def import_template(request: HttpRequest, format: str = FORMAT) -> Any:
    scope.require(request.user, importers.IMPORT)
    return file_response(spreadsheets.template(format), f"people-template.{format}", format)


add_import_endpoints(
    router,
    "/imports",
    kind="people",
    capability=importers.IMPORT,
    name="registry_import",
    what="people",
    formats="CSV (UTF-8, GBK, GB18030) or XLSX",
    page_url="registry:import_detail",
)


@router.get(
    "/export",
    response=ERRORS,
    openapi_extra=SPREADSHEET,
    summary="The people of a region as XLSX or CSV; numbers masked unless reveal=true "
    "and the caller holds registry.reveal there (audited either way)",
    url_name="registry_export",
)
def export(
    request: HttpRequest,
    code: str = Query(..., description="Region or grid code", **CODE_RULES),
    format: str = FORMAT,
    reveal: bool = False,
) -> Any:
    content = exports.export_people(request.user, code, format, reveal=reveal)
    return file_response(content, exports.export_filename(code, format), format)
