"""Risk areas and the arrivals from them.

Risk areas are public information: anyone holding an epidemic capability reads them all
(they apply to every arrival in the city, whoever entered them). Arrivals are people,
read only over the grids where the user has ``epidemic.view``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Case, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Substr

from gridgov.accounts import scope
from gridgov.core.errors import InvalidInput, NotFound, PermissionDenied
from gridgov.epidemic import rules
from gridgov.epidemic.capabilities import RISK_READERS, VIEW
from gridgov.epidemic.models import RISK_RANK, RiskArea, RiskLevel
from gridgov.registry.models import Movement, MovementKind

# Most severe first, for "the highest level that applies".
SEVERITY = Case(
    *(When(level=level, then=Value(-rank)) for level, rank in RISK_RANK.items()),
    default=Value(0),
    output_field=IntegerField(),
)


def may_read(user: Any) -> bool:
    return any(scope.has_capability(user, capability) for capability in RISK_READERS)


def visible_risk_areas(user: Any) -> QuerySet[RiskArea]:
    if not may_read(user):
        raise PermissionDenied()
    return RiskArea.objects.all()


def get_risk_area_for(user: Any, area_id: Any) -> RiskArea:
    areas = visible_risk_areas(user)
    try:
        return areas.get(pk=int(area_id))
    except (RiskArea.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound() from None


def active_on(day: dt.date) -> Q:
    """Risk areas in force on ``day`` (both ends inclusive)."""
    return Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gte=day))


def search_risk_areas(
    user: Any,
    *,
    q: str = "",
    level: str = "",
    on: dt.date | None = None,
    code: str = "",
) -> QuerySet[RiskArea]:
    """Risk areas by name or code part (``q``), level, in force on a day (``on``), or
    applying to a place (``code``: the areas whose code is a prefix of it)."""
    areas = visible_risk_areas(user)
    if q.strip():
        text = q.strip()
        areas = areas.filter(Q(name__icontains=text) | Q(division_code__startswith=text))
    if level:
        if level not in RiskLevel.values:
            raise InvalidInput(fields={"level": ", ".join(RiskLevel.values)})
        areas = areas.filter(level=level)
    if on is not None:
        areas = areas.filter(active_on(on))
    if code.strip():
        areas = areas.filter(division_code__in=rules.prefixes(code.strip()))
    return areas


def matching(code: str, day: dt.date) -> QuerySet[RiskArea]:
    """The areas in force on ``day`` that a place (division code) lies in, most severe
    first. Not scoped: it answers a rule, not a person."""
    return (
        RiskArea.objects.filter(active_on(day), division_code__in=rules.prefixes(code))
        .annotate(severity=SEVERITY)
        .order_by("severity", "-valid_from")
    )


def level_of(code: str, day: dt.date) -> str:
    """The highest risk level of a place on a day; "" when it lies in no risk area."""
    if not code:
        return ""
    found = matching(code, day).values_list("level", flat=True).first()
    return found or ""


def levels_of(pairs: set[tuple[str, dt.date]]) -> dict[tuple[str, dt.date], str]:
    """``level_of`` for many (code, day) pairs with one query."""
    pairs = {(code, day) for code, day in pairs if code}
    if not pairs:
        return {}
    codes = {prefix for code, _day in pairs for prefix in rules.prefixes(code)}
    days = [day for _code, day in pairs]
    areas = list(
        RiskArea.objects.filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=min(days)),
            valid_from__lte=max(days),
            division_code__in=codes,
        ).values_list("division_code", "level", "valid_from", "valid_to")
    )
    found: dict[tuple[str, dt.date], str] = {}
    for code, day in pairs:
        own = set(rules.prefixes(code))
        levels = [
            level
            for area_code, level, start, end in areas
            if area_code in own and start <= day and (end is None or end >= day)
        ]
        found[(code, day)] = max(levels, key=lambda lv: RISK_RANK[RiskLevel(lv)], default="")
    return found


def _movement_risk() -> Subquery:
    """The highest level of the risk areas a movement's origin lay in on its date."""
    origin = OuterRef("from_code")
    areas = RiskArea.objects.filter(
        Q(valid_from__lte=OuterRef("date"))
        & (Q(valid_to__isnull=True) | Q(valid_to__gte=OuterRef("date"))),
        # A prefix of the origin: Substr beyond its length is the whole code, itself a match.
        division_code__in=[Substr(origin, 1, n) for n in rules.DIVISION_LENGTHS],
    )
    return Subquery(areas.annotate(severity=SEVERITY).order_by("severity").values("level")[:1])


def risk_arrivals(user: Any, since: dt.date, code: str = "") -> QuerySet[Movement]:
    """Arrivals (registry movements) since ``since`` from a place that lay in a risk area
    on the day of arrival, in the grids where the user has ``epidemic.view`` (under
    ``code`` when given), newest first; each with ``risk_level``."""
    scope.require(user, VIEW, code or None)
    movements = Movement.objects.filter(
        scope.scope_filter(user, capability=VIEW),
        kind=MovementKind.ARRIVAL,
        date__gte=since,
    ).exclude(from_code="")
    if code:
        movements = movements.filter(grid_code__startswith=code)
    return (
        movements.annotate(risk_level=_movement_risk())
        .filter(risk_level__isnull=False)
        .select_related("person")
        .order_by("-date", "-pk")
    )
