"""Every change to the population registry.

Each function takes the acting user as ``actor=`` (``SYSTEM`` for command-line jobs;
``None`` — nobody signed in — is refused), runs in one transaction, checks
``registry.edit`` over the grid(s) it touches (outside the actor's scope the answer is
NotFound, so a refusal never reveals a person), writes one audit event whose ``changes``
hold only *masked* ID and phone numbers, and keeps the roll-ups (``rollups``) and the
completeness rows (``completeness``) of the touched grids current in the same transaction.
Updates carry the version the user saw (``expected_version``) and fail with Conflict when
someone else saved first.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from gridgov.accounts import scope
from gridgov.audit import labels as audit_labels
from gridgov.audit.actions import diff, record
from gridgov.core import checks, crypto
from gridgov.core.degrees import degrees
from gridgov.core.errors import Conflict, InvalidInput, NotFound
from gridgov.core.versions import check_version
from gridgov.registry import bulkwrite, completeness, identity, privacy, rollups
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
    TagStatus,
)
from gridgov.territory import codes, locating
from gridgov.territory.models import Region

EDIT = "registry.edit"
REVEAL = "registry.reveal"
LIVING = PersonStatus.LIVING.value

DISABILITY_CATEGORIES = ("视力", "听力", "言语", "肢体", "智力", "精神", "多重")
DISABILITY_LEVELS = ("一级", "二级", "三级", "四级")


# --- small helpers ------------------------------------------------------------------------


# The models whose fields' names label the errors of the registry's actions.
LABELLED_MODELS = (Person, Household, Building, CareTag, Movement)


def field_label(field: str) -> str:
    """The translated name of a field for messages ("id_number" → "ID number")."""
    return checks.field_label(field, LABELLED_MODELS)


def _fail(fields: Mapping[str, Any], message: Any = None) -> InvalidInput:
    """InvalidInput naming every bad field; one field makes the message say which."""
    return checks.invalid(fields, message, models=LABELLED_MODELS)


_text = checks.clean_text


def _max_length(model: Any, field: str) -> int:
    return int(model._meta.get_field(field).max_length)


_date = checks.clean_date


def _choice(value: Any, choices: Any, field: str, errors: dict[str, Any]) -> str:
    text = str(value or "").strip()
    if text not in choices.values:
        errors[field] = _("must be one of: %(choices)s") % {"choices": ", ".join(choices.values)}
    return text


def _coordinate(value: Any, field: str, errors: dict[str, Any]) -> float | None:
    """Longitude/latitude in degrees (WGS84/CGCS2000)."""
    try:
        return degrees(value, field)
    except ValueError as exc:
        errors[field] = str(exc)
        return None


def _check_grid(grid_code: str) -> str:
    grid_code = str(grid_code).strip()
    if len(grid_code) != 15 or not grid_code.isdigit():
        raise _fail({"grid_code": _("a unit grid code has 15 digits")})
    if not Region.objects.filter(code=grid_code, level=codes.GRID).exists():
        raise _fail({"grid_code": _("no unit grid has this code")})
    return grid_code


def resolve_grid(grid_code: Any, lon: Any, lat: Any) -> tuple[str, float | None, float | None]:
    """The grid a row belongs to: the given code (which must exist), else the grid holding
    the point; InvalidInput when neither is given or the point is outside every grid."""
    errors: dict[str, Any] = {}
    lon_f, lat_f = _coordinate(lon, "lon", errors), _coordinate(lat, "lat", errors)
    if errors:
        raise _fail(errors)
    if (lon_f is None) != (lat_f is None):
        raise _fail({"lat" if lat_f is None else "lon": _("give both longitude and latitude")})
    if grid_code:
        return _check_grid(grid_code), lon_f, lat_f
    if lon_f is None or lat_f is None:
        raise _fail({"grid_code": _("give a grid code or coordinates")})
    found = locating.locate_code(lon_f, lat_f)
    if found is None:
        raise _fail({"lon": _("the point lies outside every grid of the city")})
    return found, lon_f, lat_f


def _locked(model: Any, pk: Any) -> Any:
    try:
        return model._default_manager.select_for_update().get(pk=int(pk))
    except (model.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def _editable(actor: Any, model: Any, pk: Any) -> Any:
    """The row locked for this transaction, if the actor may edit its grid (else NotFound
    outside their scope, PermissionDenied inside it without registry.edit)."""
    row = _locked(model, pk)
    scope.require(actor, EDIT, row.grid_code)
    return row


def _touched(*grids: str) -> None:
    """Completeness of the grids an action changed, in its transaction."""
    completeness.refresh({g for g in grids if g})


def _snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    return {f: getattr(obj, f) for f in fields}


# --- buildings ----------------------------------------------------------------------------

BUILDING_FIELDS = ("name", "address", "floors", "grid_code", "lon", "lat")


def _clean_building(data: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    out: dict[str, Any] = {}
    if "name" in data:
        out["name"] = _text(data["name"], "name", _max_length(Building, "name"), errors)
        if not out["name"] and "name" not in errors:
            errors["name"] = _("required")
    if "address" in data:
        out["address"] = _text(data["address"], "address", _max_length(Building, "address"), errors)
        if not out["address"] and "address" not in errors:
            errors["address"] = _("required")
    if "floors" in data:
        floors = data["floors"]
        if floors in (None, ""):
            out["floors"] = None
        else:
            try:
                out["floors"] = int(floors)
                if not 1 <= out["floors"] <= 300:
                    raise ValueError
            except (TypeError, ValueError):
                errors["floors"] = _("a whole number from 1 to 300")
    if errors:
        raise _fail(errors)
    return out


@transaction.atomic
def create_building(
    *,
    actor: Any,
    grid_code: str | None = None,
    lon: float | None = None,
    lat: float | None = None,
    name: str,
    address: str,
    floors: int | None = None,
) -> Building:
    grid, lon_f, lat_f = resolve_grid(grid_code, lon, lat)
    scope.require(actor, EDIT, grid)
    fields = _clean_building({"name": name, "address": address, "floors": floors})
    building = Building.objects.create(grid_code=grid, lon=lon_f, lat=lat_f, **fields)
    record(
        "registry.building.create",
        actor=actor,
        obj=building,
        grid_code=grid,
        changes=_snapshot(building, BUILDING_FIELDS),
    )
    _touched(grid)
    return building


def _relocation(row: Any, changes: dict[str, Any]) -> dict[str, Any]:
    """New grid_code/lon/lat from a change of grid code or coordinates (else nothing)."""
    if not {"grid_code", "lon", "lat"} & set(changes):
        return {}
    lon = changes.get("lon", row.lon)
    lat = changes.get("lat", row.lat)
    moved_point = ("lon" in changes or "lat" in changes) and "grid_code" not in changes
    grid, lon_f, lat_f = resolve_grid(
        None if moved_point else changes.get("grid_code", row.grid_code), lon, lat
    )
    return {"grid_code": grid, "lon": lon_f, "lat": lat_f}


@transaction.atomic
def update_building(
    building_id: int, *, actor: Any, expected_version: int | None = None, **changes: Any
) -> Building:
    building = _editable(actor, Building, building_id)
    check_version(building, expected_version)
    _refuse_unknown(changes, BUILDING_FIELDS)
    before = _snapshot(building, BUILDING_FIELDS)
    values = {**_clean_building(changes), **_relocation(building, changes)}
    if values.get("grid_code", building.grid_code) != building.grid_code:
        scope.require(actor, EDIT, values["grid_code"])
    for key, value in values.items():
        setattr(building, key, value)
    building.version += 1
    building.save()
    record(
        "registry.building.update",
        actor=actor,
        obj=building,
        grid_code=building.grid_code,
        changes=diff(before, _snapshot(building, BUILDING_FIELDS)),
    )
    _touched(before["grid_code"], building.grid_code)
    return building


def _refuse_unknown(changes: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = set(changes) - set(allowed)
    if unknown:
        raise _fail(dict.fromkeys(sorted(unknown), _("cannot be changed here")))


# --- households ---------------------------------------------------------------------------

HOUSEHOLD_FIELDS = ("address", "building_id", "unit", "room", "grid_code", "lon", "lat")


def _clean_household(data: Mapping[str, Any], actor: Any) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    out: dict[str, Any] = {}
    for field in ("address", "unit", "room"):
        if field in data:
            out[field] = _text(data[field], field, _max_length(Household, field), errors)
    if "address" in out and not out["address"] and "address" not in errors:
        errors["address"] = _("required")
    if errors:
        raise _fail(errors)
    if data.get("building_id") not in (None, ""):
        out["building"] = _visible_building(actor, data["building_id"])
    elif "building_id" in data:
        out["building"] = None
    return out


def _visible_building(actor: Any, building_id: Any) -> Building:
    try:
        building = Building.objects.get(pk=int(building_id))
    except (Building.DoesNotExist, TypeError, ValueError):
        raise _fail({"building_id": _("no such building")}) from None
    if not scope.has_capability(actor, EDIT, building.grid_code):
        raise _fail({"building_id": _("no such building")})
    return building


@transaction.atomic
def create_household(
    *,
    actor: Any,
    address: str,
    building_id: int | None = None,
    unit: str = "",
    room: str = "",
    grid_code: str | None = None,
    lon: float | None = None,
    lat: float | None = None,
) -> Household:
    fields = _clean_household(
        {"address": address, "building_id": building_id, "unit": unit, "room": room}, actor
    )
    building = fields.get("building")
    if not grid_code and lon is None and lat is None and building is not None:
        # A flat is where its building is.
        grid_code, lon, lat = building.grid_code, building.lon, building.lat
    grid, lon_f, lat_f = resolve_grid(grid_code, lon, lat)
    scope.require(actor, EDIT, grid)
    household = Household.objects.create(grid_code=grid, lon=lon_f, lat=lat_f, **fields)
    record(
        "registry.household.create",
        actor=actor,
        obj=household,
        grid_code=grid,
        changes=_snapshot(household, HOUSEHOLD_FIELDS),
    )
    _touched(grid, building.grid_code if building else "")
    return household


@transaction.atomic
def update_household(
    household_id: int, *, actor: Any, expected_version: int | None = None, **changes: Any
) -> Household:
    household = _editable(actor, Household, household_id)
    check_version(household, expected_version)
    _refuse_unknown(changes, HOUSEHOLD_FIELDS)
    before = _snapshot(household, HOUSEHOLD_FIELDS)
    old_building_grid = household.building.grid_code if household.building else ""
    values = {**_clean_household(changes, actor), **_relocation(household, changes)}
    if values.get("grid_code", household.grid_code) != household.grid_code:
        scope.require(actor, EDIT, values["grid_code"])
    for key, value in values.items():
        setattr(household, key, value)
    household.version += 1
    household.save()
    record(
        "registry.household.update",
        actor=actor,
        obj=household,
        grid_code=household.grid_code,
        changes=diff(before, _snapshot(household, HOUSEHOLD_FIELDS)),
    )
    # Members' grids may now differ from the household's, buildings may have emptied.
    new_building_grid = household.building.grid_code if household.building else ""
    member_grids = set(household.members.values_list("grid_code", flat=True))
    _touched(
        before["grid_code"],
        household.grid_code,
        old_building_grid,
        new_building_grid,
        *member_grids,
    )
    return household


@transaction.atomic
def set_household_head(household_id: int, person_id: int | None, *, actor: Any) -> Household:
    """Make a member the head (relation "head"); ``None`` clears the head."""
    household = _editable(actor, Household, household_id)
    before = household.head_id
    person = None
    if person_id is not None:
        person = _locked(Person, person_id)
        if person.household_id != household.pk:
            raise _fail({"person_id": _("the person is not a member of this household")})
        if person.relation != Relation.HEAD:
            Person.objects.filter(pk=person.pk).update(
                relation=Relation.HEAD, version=F("version") + 1
            )
    # The former head stays a member, with the relation left for the user to set.
    if before and before != person_id:
        Person.objects.filter(pk=before, relation=Relation.HEAD).update(
            relation="", version=F("version") + 1
        )
    household.head = person
    household.version += 1
    household.save(update_fields=["head", "version", "updated_at"])
    record(
        "registry.household.head",
        actor=actor,
        obj=household,
        grid_code=household.grid_code,
        changes={"head_id": [before, person_id]},
    )
    _touched(household.grid_code)
    return household


# --- people -------------------------------------------------------------------------------

PERSON_TEXT_FIELDS = ("name", "ethnicity", "address")
PERSON_AUDITED = (
    "name",
    "sex",
    "birth_date",
    "id_number_masked",
    "phone_masked",
    "ethnicity",
    "hukou_code",
    "residence_type",
    "address",
    "status",
    "status_date",
    "household_id",
    "relation",
    "grid_code",
    "lon",
    "lat",
)
PERSON_EDITABLE = (
    "name",
    "sex",
    "birth_date",
    "id_number",
    "phone",
    "ethnicity",
    "hukou_code",
    "residence_type",
    "address",
    "household_id",
    "relation",
    "grid_code",
    "lon",
    "lat",
)
_SEX_WORDS = {"M": "M", "F": "F", "男": "M", "女": "F", "m": "M", "f": "F"}


def _clean_sex(value: Any, errors: dict[str, Any]) -> str:
    sex = _SEX_WORDS.get(str(value or "").strip(), "")
    if value not in (None, "") and not sex:
        errors["sex"] = _("must be M or F")
    return sex


def clean_person(data: Mapping[str, Any], *, today: dt.date | None = None) -> dict[str, Any]:
    """Validate the person fields present in ``data``; returns clean values with
    ``id_number`` (an ``IdNumber``) and ``phone`` normalized. InvalidInput lists every bad
    field. Sex and birth date come from the ID number when not given, and must agree
    with it when given."""
    errors: dict[str, Any] = {}
    out: dict[str, Any] = {}
    today = today or dt.date.today()
    for field in PERSON_TEXT_FIELDS:
        if field in data:
            out[field] = _text(data[field], field, _max_length(Person, field), errors)
    if "name" in out and not out["name"] and "name" not in errors:
        errors["name"] = _("required")
    if "sex" in data:
        out["sex"] = _clean_sex(data["sex"], errors)
    if "birth_date" in data:
        out["birth_date"] = _date(data["birth_date"], "birth_date", errors)
        born = out["birth_date"]
        if born and (born > today or born < identity.EARLIEST_BIRTH):
            errors["birth_date"] = _("must be between 1900 and today")
    if data.get("id_number") not in (None, ""):
        try:
            out["id_number"] = identity.parse_id_number(data["id_number"], today=today)
        except InvalidInput as exc:
            errors.update(exc.details.get("fields", {}))
    elif "id_number" in data:
        out["id_number"] = None
    if data.get("phone") not in (None, ""):
        try:
            out["phone"] = identity.normalize_phone(data["phone"])
        except InvalidInput as exc:
            errors.update(exc.details.get("fields", {}))
    elif "phone" in data:
        out["phone"] = ""
    if data.get("hukou_code") not in (None, ""):
        out["hukou_code"] = str(data["hukou_code"]).strip()
        if not identity.valid_division_code(out["hukou_code"]):
            errors["hukou_code"] = _("a division code of 6, 9 or 12 digits")
    elif "hukou_code" in data:
        out["hukou_code"] = ""
    if "residence_type" in data:
        out["residence_type"] = _choice(
            data["residence_type"], ResidenceType, "residence_type", errors
        )
    if "relation" in data:
        out["relation"] = str(data["relation"] or "").strip()
        if out["relation"] and out["relation"] not in Relation.values:
            errors["relation"] = _("must be one of: %(choices)s") % {
                "choices": ", ".join(Relation.values)
            }
    id_number = out.get("id_number")
    if id_number is not None:
        for field, reason in identity.check_consistency(
            id_number, out.get("sex") or None, out.get("birth_date")
        ):
            errors.setdefault(field, reason)
    if errors:
        raise _fail(errors)
    return out


def _complete_from_id(fields: dict[str, Any], current: Mapping[str, Any] | None = None) -> None:
    """Fill sex and birth date from the ID number when absent; keep birth_year in step."""
    id_number = fields.get("id_number")
    current = current or {}
    if id_number is not None:
        if not fields.get("sex") and not current.get("sex"):
            fields["sex"] = id_number.sex
        if not fields.get("birth_date") and not current.get("birth_date"):
            fields["birth_date"] = id_number.birth_date
    if "birth_date" in fields:
        born = fields["birth_date"]
        fields["birth_year"] = born.year if born else None


def _refuse_duplicate(number: str, exclude_pk: int | None = None) -> None:
    """Conflict naming the existing person's masked ID and grid when the number is taken."""
    same = Person.objects.filter(id_number_hash__in=crypto.lookup_hashes(number))
    if exclude_pk is not None:
        same = same.exclude(pk=exclude_pk)
    existing = same.values_list("id_number_masked", "grid_code").first()
    if existing:
        masked, grid = existing
        raise Conflict(
            _("A person with ID number %(masked)s is already registered in grid %(grid)s.")
            % {"masked": masked, "grid": grid},
            details={"fields": {"id_number": _("already registered")}, "grid_code": grid},
        )


def _household_for(actor: Any, household_id: Any) -> Household | None:
    if household_id in (None, ""):
        return None
    try:
        household = Household.objects.get(pk=int(household_id))
    except (Household.DoesNotExist, TypeError, ValueError):
        raise _fail({"household_id": _("no such household")}) from None
    if not scope.has_capability(actor, EDIT, household.grid_code):
        raise _fail({"household_id": _("no such household")})
    return household


def _audit_person(person: Person) -> dict[str, Any]:
    return _snapshot(person, PERSON_AUDITED)


def _save_guarding_duplicates(person: Person, number: str | None) -> None:
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        # Another transaction registered the same ID number between check and insert.
        if number:
            _refuse_duplicate(number, exclude_pk=person.pk)
        raise


@transaction.atomic
def create_person(
    *,
    actor: Any,
    name: str,
    sex: str | None = None,
    birth_date: dt.date | str | None = None,
    id_number: str | None = None,
    phone: str | None = None,
    grid_code: str | None = None,
    lon: float | None = None,
    lat: float | None = None,
    household_id: int | None = None,
    relation: str = "",
    ethnicity: str = "",
    hukou_code: str = "",
    residence_type: str = ResidenceType.REGISTERED,
    address: str = "",
    status: str = PersonStatus.LIVING,
    status_date: dt.date | str | None = None,
) -> Person:
    """Register a person. The grid is ``grid_code``, else located from lon/lat, else the
    household's; ID numbers are unique across the registry (Conflict otherwise)."""
    household = _household_for(actor, household_id)
    if not grid_code and lon is None and lat is None and household is not None:
        grid_code, lon, lat = household.grid_code, household.lon, household.lat
    grid, lon_f, lat_f = resolve_grid(grid_code, lon, lat)
    scope.require(actor, EDIT, grid)
    fields = clean_person(
        {
            "name": name,
            "sex": sex,
            "birth_date": birth_date,
            "id_number": id_number,
            "phone": phone,
            "hukou_code": hukou_code,
            "residence_type": residence_type,
            "relation": relation,
            "ethnicity": ethnicity,
            "address": address,
        }
    )
    errors: dict[str, Any] = {}
    status = _choice(status, PersonStatus, "status", errors)
    when = _date(status_date, "status_date", errors)
    _complete_from_id(fields)
    if not fields.get("sex"):
        errors["sex"] = _("required (or give an ID number)")
    if errors:
        raise _fail(errors)
    id_obj = fields.pop("id_number")
    number = id_obj.number if id_obj else None
    if number:
        _refuse_duplicate(number)
    person = Person(
        grid_code=grid,
        lon=lon_f,
        lat=lat_f,
        household=household,
        status=status,
        status_date=when,
        **{k: v for k, v in fields.items() if k != "phone"},
        **privacy.seal_person_numbers(number, fields.get("phone")),
    )
    _save_guarding_duplicates(person, number)
    record(
        "registry.person.create",
        actor=actor,
        obj=person,
        grid_code=grid,
        changes=_audit_person(person),
    )
    rollups.apply_delta(grid, None, rollups.state_of(person, tags=[]))
    _touched(grid, household.grid_code if household else "")
    return person


def _stored_id(person: Person) -> identity.IdNumber | None:
    number = privacy.person_numbers(person)["id_number"] if person.id_number_enc else ""
    return identity.parse_id_number(number) if number else None


def _reseal(person: Person, fields: dict[str, Any]) -> None:
    """Seal the row's numbers again when one changes: both under the current key."""
    if "id_number" not in fields and "phone" not in fields:
        return
    numbers = privacy.person_numbers(person)
    id_obj = fields.pop("id_number", ...)
    if id_obj is not ...:
        numbers["id_number"] = id_obj.number if id_obj else ""
    if "phone" in fields:
        numbers["phone"] = fields.pop("phone")
    if numbers["id_number"] and id_obj is not ...:
        _refuse_duplicate(numbers["id_number"], exclude_pk=person.pk)
    fields.update(privacy.seal_person_numbers(numbers["id_number"], numbers["phone"]))


@transaction.atomic
def update_person(
    person_id: int, *, actor: Any, expected_version: int | None, **changes: Any
) -> Person:
    """Change some of a person's fields (``PERSON_EDITABLE``). Status changes go through
    ``record_status`` and moves between grids through ``record_movement``."""
    person = _editable(actor, Person, person_id)
    check_version(person, expected_version)
    _refuse_unknown(changes, PERSON_EDITABLE)
    before = _audit_person(person)
    state_before = rollups.state_of(person)
    old_household_grid = person.household.grid_code if person.household_id else ""
    fields = clean_person(
        {k: v for k, v in changes.items() if k not in ("grid_code", "lon", "lat")}
    )
    current = {"sex": person.sex, "birth_date": person.birth_date}
    id_obj = fields.get("id_number")
    if id_obj is None and "id_number" not in fields and {"sex", "birth_date"} & set(fields):
        id_obj = _stored_id(person)
    if id_obj is not None:
        # The ID number must agree with the sex and birth date the row will have.
        merged_sex = fields.get("sex") or person.sex
        merged_born = fields.get("birth_date", person.birth_date)
        problems = identity.check_consistency(id_obj, merged_sex, merged_born)
        if problems:
            raise _fail(dict(problems))
    _complete_from_id(fields, current)
    if "sex" in fields and not fields["sex"]:
        raise _fail({"sex": _("required")})
    if "household_id" in changes:
        household = _household_for(actor, changes["household_id"])
        if household != person.household:
            _leave_household(person)  # a relation given in ``fields`` still applies
        fields["household"] = household
    fields.update(_relocation(person, changes))
    new_grid = fields.get("grid_code", person.grid_code)
    if new_grid != person.grid_code:
        scope.require(actor, EDIT, new_grid)
    _reseal(person, fields)
    for key, value in fields.items():
        setattr(person, key, value)
    person.version += 1
    _save_guarding_duplicates(person, None)
    if new_grid != before["grid_code"]:
        CareTag.objects.filter(person=person).update(grid_code=new_grid)
    record(
        "registry.person.update",
        actor=actor,
        obj=person,
        grid_code=person.grid_code,
        changes=diff(before, _audit_person(person)),
    )
    state_after = rollups.state_of(person, tags=state_before["tags"])
    _move_counts(before["grid_code"], new_grid, state_before, state_after)
    new_household_grid = person.household.grid_code if person.household_id else ""
    _touched(before["grid_code"], new_grid, old_household_grid, new_household_grid)
    return person


def _move_counts(
    old_grid: str, new_grid: str, before: Mapping[str, Any], after: Mapping[str, Any]
) -> None:
    if old_grid == new_grid:
        rollups.apply_delta(new_grid, before, after)
    else:
        rollups.apply_delta(old_grid, before, None)
        rollups.apply_delta(new_grid, None, after)


@transaction.atomic
def record_status(person_id: int, *, actor: Any, status: str, date: dt.date | str) -> Person:
    """Moved out, deceased, or living here again, as of ``date``."""
    person = _editable(actor, Person, person_id)
    errors: dict[str, Any] = {}
    status = _choice(status, PersonStatus, "status", errors)
    when = _date(date, "date", errors)
    if when is None and "date" not in errors:
        errors["date"] = _("required")
    elif when and when > dt.date.today():
        errors["date"] = _("cannot be in the future")
    if errors:
        raise _fail(errors)
    before_state = rollups.state_of(person)
    before = {"status": person.status, "status_date": person.status_date}
    person.status, person.status_date = status, when
    person.version += 1
    person.save(update_fields=["status", "status_date", "version", "updated_at"])
    record(
        "registry.person.status",
        actor=actor,
        obj=person,
        grid_code=person.grid_code,
        changes=diff(before, {"status": status, "status_date": when}),
    )
    rollups.apply_delta(
        person.grid_code, before_state, rollups.state_of(person, tags=before_state["tags"])
    )
    _touched(person.grid_code)
    return person


# --- care tags ----------------------------------------------------------------------------


def _clean_attributes(kind: str, attributes: Any) -> dict[str, Any]:
    attributes = dict(attributes or {})
    if any(not isinstance(k, str) for k in attributes) or any(
        not isinstance(v, str | int | float | bool | type(None)) for v in attributes.values()
    ):
        raise _fail({"attributes": _("names and plain values only")})
    if kind == CareKind.DISABLED:
        errors = {}
        if attributes.get("category") not in DISABILITY_CATEGORIES:
            errors["attributes.category"] = _("one of: %(choices)s") % {
                "choices": "、".join(DISABILITY_CATEGORIES)
            }
        if attributes.get("level") not in DISABILITY_LEVELS:
            errors["attributes.level"] = _("one of: %(choices)s") % {
                "choices": "、".join(DISABILITY_LEVELS)
            }
        if errors:
            raise _fail(errors)
    return attributes


def _tag_audit(tag: CareTag) -> dict[str, Any]:
    return {
        "person_id": tag.person_id,
        "kind": tag.kind,
        "status": tag.status,
        "attributes": tag.attributes,
        "care_contact_name": tag.care_contact_name,
        "care_contact_phone_masked": tag.care_contact_phone_masked,
        "start_date": tag.start_date,
        "end_date": tag.end_date,
    }


def _tag_counts(tag: CareTag, person: Person, sign: int) -> None:
    """A confirmed tag of a living person counts in ``tag:<kind>``."""
    if person.status == LIVING:
        rollups.add_counts({person.grid_code: Counter({f"tag:{tag.kind}": sign})})


@transaction.atomic
def add_care_tag(
    person_id: int,
    *,
    actor: Any,
    kind: str,
    attributes: Mapping[str, Any] | None = None,
    care_contact_name: str = "",
    care_contact_phone: str | None = None,
    start_date: dt.date | str | None = None,
) -> CareTag:
    """A confirmed membership of a care group (one open tag per person and kind)."""
    person = _editable(actor, Person, person_id)
    errors: dict[str, Any] = {}
    kind = _choice(kind, CareKind, "kind", errors)
    contact = _text(
        care_contact_name, "care_contact_name", _max_length(CareTag, "care_contact_name"), errors
    )
    start = _date(start_date, "start_date", errors)
    phone = ""
    if care_contact_phone not in (None, ""):
        try:
            phone = identity.normalize_phone(str(care_contact_phone))
        except InvalidInput:
            errors["care_contact_phone"] = _("not a valid phone number")
    if errors:
        raise _fail(errors)
    attrs = _clean_attributes(kind, attributes)
    if CareTag.objects.filter(person=person, kind=kind).exclude(status=TagStatus.ENDED).exists():
        raise Conflict(
            _("This person already has an open tag of this kind."),
            details={"fields": {"kind": _("already tagged")}},
        )
    tag = CareTag.objects.create(
        person=person,
        grid_code=person.grid_code,
        kind=kind,
        status=TagStatus.CONFIRMED,
        attributes=attrs,
        care_contact_name=contact,
        start_date=start or dt.date.today(),
        confirmed_by=actor if getattr(actor, "pk", None) else None,
        **privacy.seal_contact_phone(phone),
    )
    record(
        "registry.tag.add", actor=actor, obj=tag, grid_code=tag.grid_code, changes=_tag_audit(tag)
    )
    _tag_counts(tag, person, +1)
    _touched(tag.grid_code)
    return tag


def _editable_tag(actor: Any, tag_id: Any) -> tuple[CareTag, Person]:
    tag = _editable(actor, CareTag, tag_id)
    person = Person.objects.get(pk=tag.person_id)
    return tag, person


@transaction.atomic
def confirm_care_tag(tag_id: int, *, actor: Any) -> CareTag:
    """The grid worker confirms a proposed tag (e.g. elderly living alone)."""
    tag, person = _editable_tag(actor, tag_id)
    if tag.status != TagStatus.PROPOSED:
        raise Conflict(_("Only a proposed tag can be confirmed."))
    tag.status = TagStatus.CONFIRMED
    tag.confirmed_by = actor if getattr(actor, "pk", None) else None
    tag.start_date = tag.start_date or dt.date.today()
    tag.version += 1
    tag.save()
    record(
        "registry.tag.confirm",
        actor=actor,
        obj=tag,
        grid_code=tag.grid_code,
        changes={"status": [TagStatus.PROPOSED, TagStatus.CONFIRMED]},
    )
    _tag_counts(tag, person, +1)
    _touched(tag.grid_code)
    return tag


@transaction.atomic
def end_care_tag(tag_id: int, *, actor: Any, end_date: dt.date | str) -> CareTag:
    """End a tag (no longer in the group, or a proposal rejected)."""
    tag, person = _editable_tag(actor, tag_id)
    errors: dict[str, Any] = {}
    when = _date(end_date, "end_date", errors)
    if when is None and not errors:
        errors["end_date"] = _("required")
    if errors:
        raise _fail(errors)
    if tag.status == TagStatus.ENDED:
        raise Conflict(_("This tag has already ended."))
    was = tag.status
    tag.status, tag.end_date = TagStatus.ENDED, when
    tag.version += 1
    tag.save()
    record(
        "registry.tag.end",
        actor=actor,
        obj=tag,
        grid_code=tag.grid_code,
        changes={"status": [was, TagStatus.ENDED], "end_date": [None, when]},
    )
    if was == TagStatus.CONFIRMED:
        _tag_counts(tag, person, -1)
    _touched(tag.grid_code)
    return tag


def elderly_alone_age() -> int:
    return int(getattr(settings, "GRIDGOV_ELDERLY_ALONE_AGE", 60))


@transaction.atomic
def propose_elderly_alone(
    grid_code: str | None = None, *, actor: Any, min_age: int | None = None
) -> int:
    """Propose an "elderly living alone" tag for each living person of at least
    ``min_age`` (default ``GRIDGOV_ELDERLY_ALONE_AGE``, 60) whose household has no other
    living member and who has no open tag of that kind. Over ``grid_code`` (any level) or
    the actor's whole edit scope. Returns how many were proposed."""
    if grid_code:
        codes.level_of(str(grid_code))
        scope.require(actor, EDIT, str(grid_code))
        where = {"grid_code__startswith": str(grid_code)}
    else:
        scope.require(actor, EDIT)
        where = {}
    min_age = elderly_alone_age() if min_age is None else int(min_age)
    today = dt.date.today()
    others = Person.objects.filter(household_id=OuterRef("household_id"), status=LIVING).exclude(
        pk=OuterRef("pk")
    )
    open_tag = CareTag.objects.filter(
        person_id=OuterRef("pk"), kind=CareKind.ELDERLY_ALONE
    ).exclude(status=TagStatus.ENDED)
    candidates = (
        Person.objects.filter(
            scope.scope_filter(actor, capability=EDIT),
            status=LIVING,
            household__isnull=False,
            birth_year__lte=today.year - min_age,
            **where,
        )
        .filter(~Exists(others), ~Exists(open_tag))
        .values_list("pk", "grid_code", "birth_date", "birth_year")
    )
    tags = [
        CareTag(
            person_id=pk,
            grid_code=grid,
            kind=CareKind.ELDERLY_ALONE,
            status=TagStatus.PROPOSED,
            proposed_by_system=True,
        )
        for pk, grid, born, year in candidates.order_by("pk").iterator(chunk_size=2000)
        if (identity.age_on(born, today) if born else today.year - (year or today.year)) >= min_age
    ]
    CareTag.objects.bulk_create(tags, batch_size=1000)
    record(
        "registry.tag.propose",
        actor=actor,
        object_type="registry.caretag",
        object_repr=_("Elderly living alone"),
        grid_code=str(grid_code or ""),
        changes={"kind": CareKind.ELDERLY_ALONE, "min_age": min_age, "proposed": len(tags)},
    )
    return len(tags)


# --- movement -----------------------------------------------------------------------------


def _division(value: Any, field: str, errors: dict[str, Any]) -> str:
    code = str(value or "").strip()
    if code and not identity.valid_division_code(code):
        errors[field] = _("a division code of 6, 9 or 12 digits")
    return code


@transaction.atomic
def record_movement(
    person_id: int,
    *,
    actor: Any,
    kind: str,
    date: dt.date | str,
    from_code: str = "",
    to_code: str = "",
    reason: str = "",
    transport: str = "",
    note: str = "",
    to_grid: str | None = None,
) -> Movement:
    """Record an arrival (the person lives here again, optionally in ``to_grid``), a
    departure (moved out) or a transfer to another grid of the city (``to_grid``, required;
    the actor needs registry.edit over both grids). A person who changes grid leaves a
    household of the old grid; their history (movements, tags) goes with them."""
    person = _editable(actor, Person, person_id)
    errors: dict[str, Any] = {}
    kind = _choice(kind, MovementKind, "kind", errors)
    when = _date(date, "date", errors)
    if when is None and "date" not in errors:
        errors["date"] = _("required")
    elif when and when > dt.date.today():
        errors["date"] = _("cannot be in the future")
    texts = {
        field: _text(value, field, _max_length(Movement, field), errors)
        for field, value in (("reason", reason), ("transport", transport), ("note", note))
    }
    from_code = _division(from_code, "from_code", errors)
    to_code = _division(to_code, "to_code", errors)
    if kind == MovementKind.TRANSFER and not to_grid:
        errors["to_grid"] = _("required for a move between grids")
    if errors or when is None:
        raise _fail(errors)
    old_grid = person.grid_code
    new_grid = _check_grid(to_grid) if to_grid else old_grid
    if kind == MovementKind.TRANSFER and new_grid == old_grid:
        raise _fail({"to_grid": _("the person already lives in this grid")})
    if kind == MovementKind.DEPARTURE:
        new_grid = old_grid  # a departure leaves the city's registry, not into a grid
    scope.require(actor, EDIT, new_grid)
    state_before = rollups.state_of(person)
    before = _audit_person(person)
    old_household_grid = person.household.grid_code if person.household_id else ""
    if kind == MovementKind.DEPARTURE:
        person.status, person.status_date = PersonStatus.MOVED_OUT, when
    elif kind == MovementKind.ARRIVAL:
        person.status, person.status_date = PersonStatus.LIVING, when
    if new_grid != old_grid:
        if person.household_id and person.household.grid_code != new_grid:
            _leave_household(person)  # they left that address
        person.grid_code = new_grid
        person.lon = person.lat = None
        CareTag.objects.filter(person=person).update(grid_code=new_grid)
    person.version += 1
    person.save()
    movement = Movement.objects.create(
        person=person,
        grid_code=new_grid,
        kind=kind,
        date=when,
        from_code=from_code,
        to_code=to_code,
        from_grid=old_grid if new_grid != old_grid else "",
        to_grid=new_grid if new_grid != old_grid else "",
        recorded_by=actor if getattr(actor, "pk", None) else None,
        **texts,
    )
    record(
        f"registry.movement.{kind}",
        actor=actor,
        obj=person,
        grid_code=new_grid,
        changes={
            "movement_id": movement.pk,
            "from_code": from_code,
            "to_code": to_code,
            **diff(before, _audit_person(person)),
        },
    )
    state_after = rollups.state_of(person, tags=state_before["tags"])
    _move_counts(old_grid, new_grid, state_before, state_after)
    _touched(old_grid, new_grid, old_household_grid)
    return movement


def _leave_household(person: Person) -> None:
    """The person is no longer a member of their household: a head leaves it headless."""
    if person.household_id is None:
        return
    Household.objects.filter(pk=person.household_id, head_id=person.pk).update(
        head=None, version=F("version") + 1
    )
    person.household = None
    person.relation = ""


# --- revealing a number -------------------------------------------------------------------


@transaction.atomic
def reveal_number(person_id: int, *, actor: Any, field: str, reason: str = "") -> str:
    """The full ID or phone number of one person, for a role with registry.reveal over
    their grid; audited as "registry.reveal" with the field and the masked value."""
    if field not in privacy.PERSON_NUMBERS:
        raise _fail({"field": _("id_number or phone")})
    try:
        person = Person.objects.get(pk=int(person_id))
    except (Person.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None
    scope.require(actor, REVEAL, person.grid_code)
    value = privacy.person_numbers(person)[field]
    record(
        "registry.reveal",
        actor=actor,
        obj=person,
        grid_code=person.grid_code,
        changes={
            "field": field,
            "masked": getattr(person, f"{privacy.PERSON_NUMBERS[field]}_masked"),
            "reason": _text(reason, "reason", 200, {}),
        },
    )
    return value


# --- the bulk path ------------------------------------------------------------------------


def _person_tuples(rows: list[dict[str, Any]]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and one value tuple per row, every other column at its default."""
    fields = [f for f in Person._meta.concrete_fields if not f.primary_key]
    names = {f.attname for f in fields}
    unknown = set().union(*rows) - names
    if unknown:
        raise ValueError(f"not Person columns: {sorted(unknown)}")
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    defaults = {f.attname: f.get_default() for f in fields} | {"created_at": now, "updated_at": now}
    attnames = [f.attname for f in fields]
    values = [tuple(row.get(a, defaults[a]) for a in attnames) for row in rows]
    return [f.column or f.attname for f in fields], values


@transaction.atomic
def bulk_insert_people(rows: list[dict[str, Any]], *, actor: Any, source: str) -> int:
    """Insert already validated people (importer): each row holds Person column values
    (by attribute name, e.g. ``household_id``), numbers already sealed
    (``privacy.seal_person_numbers``), ``grid_code`` and ``birth_year`` set; other columns
    take their defaults. The actor needs registry.edit over every grid. Written with COPY
    (PostgreSQL) or one prepared statement (SQLite), not ORM objects; one audit event
    summarizes the batch; the counts of the touched grids are incremented and their
    completeness recomputed. An ID number already registered is a Conflict and nothing is
    written. Returns the number of rows inserted."""
    if not rows:
        return 0
    grids = {row["grid_code"] for row in rows}
    for prefix in scope.minimal_prefixes(grids):
        scope.require(actor, EDIT, prefix)
    columns, values = _person_tuples(rows)
    try:
        # The driver's own errors (COPY runs on the raw cursor) become Django's.
        with transaction.atomic(), connection.wrap_database_errors:
            bulkwrite.insert_rows(Person._meta.db_table, columns, values)
    except IntegrityError:
        raise Conflict(
            _("Some ID numbers of the batch are already registered."),
            details={"fields": {"id_number": _("already registered")}},
        ) from None
    rollups.add_counts(rollups.counts_for_rows(rows, rollups.current_year()))
    per_grid = Counter(row["grid_code"] for row in rows)
    # The grids themselves only for a small batch: the event stays a readable summary.
    grid_summary = dict(sorted(per_grid.items())) if len(per_grid) <= 50 else len(per_grid)
    record(
        "registry.person.import",
        actor=actor,
        object_type="registry.person",
        object_repr=str(source)[:200],
        grid_code=next(iter(grids)) if len(grids) == 1 else "",
        changes={"source": str(source), "rows": len(rows), "grids": grid_summary},
    )
    completeness.refresh(grids)
    return len(rows)


# --- audit labels -------------------------------------------------------------------------

AUDIT_LABELS: dict[str, str | Promise] = {
    "registry.building.create": pgettext_lazy("audit action", "Building added"),
    "registry.building.update": pgettext_lazy("audit action", "Building changed"),
    "registry.household.create": pgettext_lazy("audit action", "Household added"),
    "registry.household.update": pgettext_lazy("audit action", "Household changed"),
    "registry.household.head": pgettext_lazy("audit action", "Head of household set"),
    "registry.person.create": pgettext_lazy("audit action", "Person registered"),
    "registry.person.update": pgettext_lazy("audit action", "Person changed"),
    "registry.person.status": pgettext_lazy("audit action", "Person's status recorded"),
    "registry.person.import": pgettext_lazy("audit action", "People imported"),
    "registry.tag.add": pgettext_lazy("audit action", "Care tag added"),
    "registry.tag.confirm": pgettext_lazy("audit action", "Care tag confirmed"),
    "registry.tag.end": pgettext_lazy("audit action", "Care tag ended"),
    "registry.tag.propose": pgettext_lazy("audit action", "Care tags proposed"),
    "registry.movement.arrival": pgettext_lazy("audit action", "Arrival recorded"),
    "registry.movement.departure": pgettext_lazy("audit action", "Departure recorded"),
    "registry.movement.transfer": pgettext_lazy("audit action", "Move between grids recorded"),
    "registry.reveal": pgettext_lazy("audit action", "Full number shown"),
    "registry.keys.rotate": pgettext_lazy("audit action", "Data key rotated"),
}
# Registered on import: every process that can write these events imports this module
# (the registry's pages at start-up, the CLI, the importer).
audit_labels.register(AUDIT_LABELS)
