"""Infection cases, close contacts and community situations, scoped to the user.

Cases and contacts are people's data: ``epidemic.view`` over their grid (outside it they do
not exist for the user; a case's contacts living elsewhere are counted, not shown).
Community situations are figures about places, read with ``epidemic.aggregate``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Case,
    Count,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils.translation import gettext as _

from gridgov.accounts import scope
from gridgov.core import crypto
from gridgov.core.errors import InvalidInput, NotFound
from gridgov.epidemic import rules
from gridgov.epidemic.capabilities import AGGREGATE, ISOLATE, VIEW
from gridgov.epidemic.models import (
    CaseKind,
    CaseStatus,
    CloseContact,
    CommunitySituation,
    InfectionCase,
    Situation,
)
from gridgov.registry import identity
from gridgov.registry.models import Person
from gridgov.territory import codes as territory_codes
from gridgov.territory.models import Region

PEOPLE_FOUND = 20
MAP_MAX_COMMUNITIES = 3000
NODE_LENGTHS = (4, 6, 9, 12)
SEVERITY = {Situation.TRANSMISSION: 0, Situation.CLUSTER: 1, Situation.NO_CASE: 2}
# The map's fill="score" bands (≥ 90 green, ≥ 75 amber, below red) per situation.
MAP_SCORE: dict[str, int] = {
    Situation.NO_CASE: 100,
    Situation.CLUSTER: 80,
    Situation.TRANSMISSION: 0,
}


def _id(value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise NotFound() from None
    if not 0 < number < 2**63:
        raise NotFound()
    return number


# --- people -------------------------------------------------------------------------------


def find_people(user: Any, q: str, capability: str = ISOLATE) -> QuerySet[Person]:
    """People the user may act on with ``capability``: by part of the name, or by their
    exact ID number (through the keyed hashes). Nothing for an empty search."""
    text = " ".join(str(q or "").split())
    people = Person.objects.filter(scope.scope_filter(user, capability=capability))
    if not text:
        return people.none()
    try:
        number = identity.parse_id_number(text).number
    except InvalidInput:
        people = people.filter(name__icontains=text)
    else:
        people = people.filter(id_number_hash__in=crypto.lookup_hashes(number))
    return people.order_by("name", "pk")[:PEOPLE_FOUND]


def get_person_for(user: Any, person_id: Any, capability: str = VIEW) -> Person:
    person = (
        Person.objects.filter(scope.scope_filter(user, capability=capability))
        .filter(pk=_id(person_id))
        .first()
    )
    if person is None:
        raise NotFound()
    return person


# --- cases --------------------------------------------------------------------------------


def visible_cases(user: Any) -> QuerySet[InfectionCase]:
    return InfectionCase.objects.filter(scope.scope_filter(user, capability=VIEW))


def get_case_for(user: Any, case_id: Any) -> InfectionCase:
    case = (
        visible_cases(user).select_related("person", "recorded_by").filter(pk=_id(case_id)).first()
    )
    if case is None:
        raise NotFound()
    return case


def _choice(value: str, choices: Any, name: str) -> str:
    if value and value not in choices.values:
        raise InvalidInput(fields={name: ", ".join(choices.values)})
    return value


def search_cases(
    user: Any,
    *,
    code: str = "",
    kind: str = "",
    status: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    q: str = "",
) -> QuerySet[InfectionCase]:
    """Cases under ``code`` (a territory prefix), of a kind and status, reported between
    two days, whose person's name contains ``q`` (or whose ID number is ``q``); newest
    report first, with the person."""
    scope.require(user, VIEW, code or None)
    cases = visible_cases(user)
    if code:
        cases = cases.filter(grid_code__startswith=code)
    if _choice(kind, CaseKind, "kind"):
        cases = cases.filter(kind=kind)
    if _choice(status, CaseStatus, "status"):
        cases = cases.filter(status=status)
    if date_from is not None:
        cases = cases.filter(reported_on__gte=date_from)
    if date_to is not None:
        cases = cases.filter(reported_on__lte=date_to)
    text = " ".join(str(q or "").split())
    if text:
        try:
            number = identity.parse_id_number(text).number
        except InvalidInput:
            cases = cases.filter(person__name__icontains=text)
        else:
            cases = cases.filter(person__id_number_hash__in=crypto.lookup_hashes(number))
    return cases.select_related("person").order_by("-reported_on", "-pk")


def cases_of_person(user: Any, person: Person) -> list[InfectionCase]:
    return list(visible_cases(user).filter(person_id=person.pk).order_by("-reported_on", "-pk"))


# --- contacts -----------------------------------------------------------------------------


@dataclass
class ContactTree:
    """A case's contacts as the user may see them: first degree (exposed to the case's
    person), second degree (exposed to one of those), and how many live outside the
    user's area (counted, not shown)."""

    first: list[CloseContact] = field(default_factory=list)
    second: list[CloseContact] = field(default_factory=list)
    hidden: int = 0

    def of_degree(self, degree: int) -> list[CloseContact]:
        return self.first if degree == 1 else self.second


def contact_tree(user: Any, case: InfectionCase) -> ContactTree:
    """The case's first- and second-degree contacts in two queries, each person once at
    their closest degree (never the case's own person)."""
    first = list(
        CloseContact.objects.filter(source_id=case.person_id)
        .select_related("person")
        .order_by("-last_contact_date", "pk")
    )
    first_ids = {link.person_id for link in first}
    second = []
    if first_ids:
        seen: set[int] = set()
        for link in (
            CloseContact.objects.filter(source_id__in=first_ids)
            .exclude(person_id__in=first_ids | {case.person_id})
            .select_related("person", "source")
            .order_by("source_id", "-last_contact_date", "pk")
        ):
            if link.person_id not in seen:
                seen.add(link.person_id)
                second.append(link)
    prefixes = scope.scope_codes(user, VIEW)
    tree = ContactTree()
    for degree, links in ((1, first), (2, second)):
        for link in links:
            if any(link.grid_code.startswith(p) for p in prefixes):
                tree.of_degree(degree).append(link)
            else:
                tree.hidden += 1
    return tree


def first_degree_sources(case: InfectionCase) -> list[Person]:
    """Who a second-degree contact of the case can be exposed to: its first-degree contacts."""
    return list(
        Person.objects.filter(
            pk__in=CloseContact.objects.filter(source_id=case.person_id).values("person_id")
        ).order_by("name", "pk")
    )


@dataclass
class Exposures:
    """One person's links: whom they were exposed to, and who was exposed to them."""

    to: list[CloseContact]
    by: list[CloseContact]


def exposures(user: Any, person: Person) -> Exposures:
    visible = scope.scope_filter(user, capability=VIEW)
    return Exposures(
        to=list(
            CloseContact.objects.filter(person_id=person.pk)
            .select_related("source")
            .order_by("degree", "-last_contact_date", "pk")
        ),
        by=list(
            CloseContact.objects.filter(visible, source_id=person.pk)
            .select_related("person")
            .order_by("degree", "-last_contact_date", "pk")
        ),
    )


def get_contact_for(user: Any, contact_id: Any) -> CloseContact:
    link = (
        CloseContact.objects.filter(scope.scope_filter(user, capability=VIEW))
        .select_related("person", "source")
        .filter(pk=_id(contact_id))
        .first()
    )
    if link is None:
        raise NotFound()
    return link


# --- community situations -------------------------------------------------------------------


def check_node(user: Any, code: str) -> str:
    """A territory node from the city down to a community, in the user's figures scope."""
    scope.require(user, AGGREGATE)
    code = str(code or "").strip()
    if not (code.isascii() and code.isdigit() and len(code) in NODE_LENGTHS):
        raise NotFound()
    scope.require(user, AGGREGATE, code)
    return code


def home_node(user: Any) -> str:
    """Where the situations page starts: the user's one scope node, else their first."""
    codes = [c for c in scope.scope_codes(user, AGGREGATE) if c]
    if not codes:
        scope.require(user, AGGREGATE)
        return (
            Region.objects.filter(level=territory_codes.CITY)
            .order_by("code")
            .values_list("code", flat=True)
            .first()
            or ""
        )
    return codes[0][:12]


def latest_day(code: str, on_or_before: dt.date | None = None) -> dt.date | None:
    """The last day situations were computed under ``code``, up to ``on_or_before``."""
    return (
        CommunitySituation.objects.filter(
            community_code__startswith=code, date__lte=on_or_before or rules.today()
        )
        .aggregate(day=Max("date"))
        .get("day")
    )


def _severity() -> Case:
    return Case(
        *(When(situation=s, then=Value(rank)) for s, rank in SEVERITY.items()),
        default=Value(3),
        output_field=IntegerField(),
    )


def _region_name() -> Subquery:
    return Subquery(Region.objects.filter(code=OuterRef("community_code")).values("name")[:1])


def situations(
    user: Any, code: str, day: dt.date, *, situation: str = "", q: str = ""
) -> QuerySet[CommunitySituation]:
    """The communities under ``code`` on ``day`` with their situation and ``name``, the
    most serious first."""
    code = check_node(user, code)
    rows = CommunitySituation.objects.filter(community_code__startswith=code, date=day)
    if _choice(situation, Situation, "situation"):
        rows = rows.filter(situation=situation)
    rows = rows.annotate(name=_region_name(), severity=_severity())
    text = " ".join(str(q or "").split())
    if text:
        rows = rows.filter(Q(name__icontains=text) | Q(community_code__startswith=text))
    return rows.order_by("severity", "-cases_14d", "community_code")


def situation_counts(user: Any, code: str, day: dt.date) -> dict[str, int]:
    """{situation: communities} under ``code`` on ``day`` (every situation, zeros too)."""
    code = check_node(user, code)
    counts = dict.fromkeys(Situation.values, 0)
    for situation, n in (
        CommunitySituation.objects.filter(community_code__startswith=code, date=day)
        .values_list("situation")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts[situation] = n
    return counts


def situation_history(user: Any, community_code: str) -> QuerySet[CommunitySituation]:
    code = check_node(user, community_code)
    if len(code) != 12:
        raise NotFound()
    return CommunitySituation.objects.filter(community_code=code).order_by("-date")


def situation_map(user: Any, code: str, day: dt.date, url: Any) -> dict[str, Any]:
    """The communities under ``code`` as GeoJSON for the map (fill="score"): each with its
    ``situation`` on ``day`` (null when not computed) and a score that colours it;
    ``url(community_code)`` is where a click leads."""
    code = check_node(user, code)
    regions = Region.objects.filter(level=territory_codes.COMMUNITY, code__startswith=code)
    rows = list(
        regions.exclude(geometry=None)
        .order_by("code")
        .values("code", "name", "level", "kind", "geometry")[: MAP_MAX_COMMUNITIES + 1]
    )
    if len(rows) > MAP_MAX_COMMUNITIES:
        reason = _("too many communities for one map; choose a county or a township")
        raise InvalidInput(_("code: %(reason)s") % {"reason": reason}, fields={"code": reason})
    found = dict(
        CommunitySituation.objects.filter(community_code__startswith=code, date=day).values_list(
            "community_code", "situation"
        )
    )
    features = []
    for row in rows:
        situation = found.get(row["code"])
        label = Situation(situation).label if situation else ""
        features.append(
            {
                "type": "Feature",
                "id": row["code"],
                "geometry": row["geometry"],
                "properties": {
                    "code": row["code"],
                    "name": row["name"],
                    "level": row["level"],
                    "kind": row["kind"],
                    "url": url(row["code"]),
                    "label": f"{row['name']} {label}".strip(),
                    "situation": situation,
                    "score": MAP_SCORE.get(situation) if situation else None,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def region_summary(user: Any, region: Region) -> dict[str, Any] | None:
    """The region page's panel: the latest day's situations under a node (or of one
    community); None for users without figures there or below a community."""
    if region.level > territory_codes.COMMUNITY or not scope.has_capability(
        user, AGGREGATE, region.code
    ):
        return None
    day = latest_day(region.code)
    if day is None:
        return None
    counts = situation_counts(user, region.code, day)
    own = None
    if region.level == territory_codes.COMMUNITY:
        own = CommunitySituation.objects.filter(community_code=region.code, date=day).first()
    return {"day": day, "counts": counts, "own": own, "code": region.code}
