"""Declarations, people's days and the figures, scoped to the user.

People and their declarations need ``epidemic.view`` over their grid (outside it they do
not exist for the user); the figures only ``epidemic.aggregate``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from gridgov.accounts import scope
from gridgov.core.errors import NotFound
from gridgov.epidemic import rollups
from gridgov.epidemic.capabilities import AGGREGATE, DECLARE, VIEW
from gridgov.epidemic.models import DeclarationDay, HealthCode, HealthDeclaration
from gridgov.registry.models import Person, PersonStatus


def visible_people(user: Any, capability: str = VIEW) -> QuerySet[Person]:
    return Person.objects.filter(scope.scope_filter(user, capability=capability))


def get_person_for(user: Any, person_id: Any, capability: str = VIEW) -> Person:
    try:
        return visible_people(user, capability).get(pk=int(person_id))
    except (Person.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound() from None


def visible_declarations(user: Any) -> QuerySet[HealthDeclaration]:
    return HealthDeclaration.objects.filter(scope.scope_filter(user, capability=VIEW))


def search_declarations(
    user: Any,
    *,
    code: str = "",
    day: dt.date | None = None,
    abnormal: bool | None = None,
    person_id: int | None = None,
) -> QuerySet[HealthDeclaration]:
    """Declarations under ``code`` (a territory prefix), of a day, abnormal or not, of one
    person; newest first, with the person's name."""
    scope.require(user, VIEW, code or None)
    rows = visible_declarations(user)
    if code:
        rows = rows.filter(grid_code__startswith=code)
    if day is not None:
        rows = rows.filter(date=day)
    if abnormal is not None:
        rows = rows.filter(abnormal=abnormal)
    if person_id is not None:
        rows = rows.filter(person_id=person_id)
    return rows.select_related("person").order_by("-declared_at", "-pk")


def _day(field: str, day: dt.date) -> Subquery:
    return Subquery(
        DeclarationDay.objects.filter(person_id=OuterRef("pk"), date=day).values(field)[:1]
    )


def declaration_sheet(user: Any, grid_code: str, day: dt.date, q: str = "") -> QuerySet[Person]:
    """The living people of one grid with their day: ``day_declarations``,
    ``day_abnormal``, ``day_max_temperature`` (None when they have not declared) and their
    code colour (``code_colour``, "green" without a code) — the grid worker's round."""
    scope.require(user, DECLARE, grid_code)
    people = visible_people(user, DECLARE).filter(grid_code=grid_code, status=PersonStatus.LIVING)
    if q.strip():
        people = people.filter(name__icontains=q.strip())
    return people.annotate(
        day_declarations=_day("declarations", day),
        day_abnormal=_day("abnormal_declarations", day),
        day_max_temperature=_day("max_temperature", day),
        code_colour=Coalesce(
            Subquery(HealthCode.objects.filter(person_id=OuterRef("pk")).values("colour")[:1]),
            Value("green"),
        ),
    ).order_by("address", "name", "pk")


def figures(user: Any, code: str, day: dt.date) -> dict[str, Any]:
    """The day's figures under ``code`` and the standing ones, from the roll-ups only."""
    scope.require(user, AGGREGATE, code)
    return {"day": rollups.day_figures(code, day), "current": rollups.current_figures(code)}
