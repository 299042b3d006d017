"""Every read of the population registry, scoped to the user (architecture rule 2).

People, households and buildings need ``registry.view`` over their grid; outside it they
do not exist for the user (NotFound, or absent from lists). Counts and completeness need
only ``registry.aggregate`` — leaders see figures, never people. Numbers are only ever
returned masked here; ``actions.reveal_number`` is the one audited way to a full number.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts import scope
from gridgov.core import crypto
from gridgov.core.errors import InvalidInput, NotFound
from gridgov.registry import completeness, identity, rollups
from gridgov.registry.models import (
    Building,
    CareTag,
    Household,
    Movement,
    MovementKind,
    Person,
    TagStatus,
)

VIEW = "registry.view"
AGGREGATE = "registry.aggregate"


def _scoped(model: Any, user: Any, capability: str = VIEW) -> QuerySet:
    return model._default_manager.filter(scope.scope_filter(user, capability=capability))


def visible_people(user: Any) -> QuerySet[Person]:
    return _scoped(Person, user)


def visible_households(user: Any) -> QuerySet[Household]:
    return _scoped(Household, user)


def visible_buildings(user: Any) -> QuerySet[Building]:
    return _scoped(Building, user)


def visible_care_tags(user: Any) -> QuerySet[CareTag]:
    return _scoped(CareTag, user)


def visible_movements(user: Any) -> QuerySet[Movement]:
    return _scoped(Movement, user)


def _get(queryset: QuerySet, pk: Any) -> Any:
    try:
        return queryset.get(pk=int(pk))
    except (queryset.model.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def get_person_for(user: Any, person_id: Any) -> Person:
    return _get(visible_people(user).select_related("household"), person_id)


def get_household_for(user: Any, household_id: Any) -> Household:
    return _get(visible_households(user).select_related("building", "head"), household_id)


def get_building_for(user: Any, building_id: Any) -> Building:
    return _get(visible_buildings(user), building_id)


def get_care_tag_for(user: Any, tag_id: Any) -> CareTag:
    return _get(visible_care_tags(user).select_related("person"), tag_id)


def _id_hashes(raw: str) -> list[str]:
    try:
        number = identity.parse_id_number(raw).number
    except InvalidInput:
        # A search need not be a valid number: a typo simply finds nobody.
        number = raw.strip().upper()
    return crypto.lookup_hashes(number)


def _phone_hashes(raw: str) -> list[str]:
    try:
        phone = identity.normalize_phone(raw)
    except InvalidInput:
        phone = raw.strip()
    return crypto.lookup_hashes(phone)


def _age_band_filter(band: str) -> Q:
    """People whose age this calendar year falls in ``band`` (birth-year based, like the
    roll-ups)."""
    try:
        youngest, oldest = identity.band_bounds(band)
    except ValueError:
        raise InvalidInput(
            _("Unknown age band."), fields={"age_band": ", ".join(identity.AGE_BAND_NAMES)}
        ) from None
    year = rollups.current_year()
    q = Q(birth_year__lte=year - youngest)
    if oldest is not None:
        q &= Q(birth_year__gte=year - oldest)
    return q


def search_people(
    user: Any,
    q: str = "",
    id_number: str = "",
    phone: str = "",
    address: str = "",
    grid: str = "",
    tag: str = "",
    residence_type: str = "",
    status: str = "",
    age_band: str = "",
) -> QuerySet[Person]:
    """Visible people matching every filter given: ``q`` part of the name; ``id_number``
    and ``phone`` exact (through the keyed hashes of every key in the ring); ``address``
    part of the address; ``grid`` a code prefix (region or grid); ``tag`` an open care tag
    kind; ``age_band`` one of ``identity.AGE_BAND_NAMES``."""
    people = visible_people(user)
    if q.strip():
        people = people.filter(name__icontains=q.strip())
    if id_number.strip():
        people = people.filter(id_number_hash__in=_id_hashes(id_number))
    if phone.strip():
        people = people.filter(phone_hash__in=_phone_hashes(phone))
    if address.strip():
        people = people.filter(address__icontains=address.strip())
    if grid.strip():
        people = people.filter(grid_code__startswith=grid.strip())
    if tag:
        people = people.filter(
            pk__in=CareTag.objects.filter(kind=tag)
            .exclude(status=TagStatus.ENDED)
            .values("person_id")
        )
    if residence_type:
        people = people.filter(residence_type=residence_type)
    if status:
        people = people.filter(status=status)
    if age_band:
        people = people.filter(_age_band_filter(age_band))
    return people


def recent_arrivals(user: Any, grid_code: str, days: int = 30) -> QuerySet[Movement]:
    """Arrivals and moves into a grid (or any region, by prefix) in the last ``days``."""
    scope.require(user, VIEW, grid_code)
    since = timezone.localdate() - dt.timedelta(days=days)
    return (
        visible_movements(user)
        .filter(
            grid_code__startswith=grid_code,
            kind__in=[MovementKind.ARRIVAL, MovementKind.TRANSFER],
            date__gte=since,
        )
        .select_related("person")
    )


def population_figures(user: Any, code: str) -> dict[str, int]:
    """{measure: n} of the living people under ``code`` (see ``rollups``)."""
    scope.require(user, AGGREGATE, code)
    return rollups.figures(code)


def population_by_child(user: Any, code: str) -> list[tuple[str, dict[str, int]]]:
    scope.require(user, AGGREGATE, code)
    return rollups.by_child(code)


def completeness_for(user: Any, code: str) -> dict[str, Any]:
    """The completeness summary (score, checked items, gaps by kind) under ``code``."""
    scope.require(user, AGGREGATE, code)
    return completeness.scores(code)


def completeness_by_child(user: Any, code: str) -> list[tuple[str, dict[str, Any]]]:
    scope.require(user, AGGREGATE, code)
    return completeness.by_child(code)


def gaps_for(user: Any, grid_code: str) -> dict[str, list[int]]:
    """The rows a grid worker has to fix in one grid (needs registry.view there)."""
    scope.require(user, VIEW, grid_code)
    return completeness.gaps_for(grid_code)
