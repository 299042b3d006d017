"""Roll-up measures of infection cases and close contacts.

Daily (per grid of the case, per day it was reported as its kind):

- ``cases:suspected``, ``cases:confirmed``, ``cases:asymptomatic`` — cases reported that day,
  by their kind now. A suspected case later confirmed is reported again on the day of its
  confirmation (the action moves ``reported_on``), so it leaves the suspected figure of
  its first day and counts as confirmed on the day it was confirmed. Closed cases keep
  their count: they were reported.

Current (per grid):

- ``cases_open:<kind>`` — open cases by kind (grid of the case);
- ``contacts:1``, ``contacts:2`` — people listed now as first- or second-degree close
  contacts of open cases (``standing``), each once, at their closest degree, in the grid
  of the link that makes them so. Someone who is an open case themselves counts as a
  case, not as a contact.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Mapping
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from gridgov.epidemic import rollups
from gridgov.epidemic.models import CaseStatus, CloseContact, InfectionCase

CASES = "cases:"
CASES_OPEN = "cases_open:"
CONTACTS = "contacts:"
CONTACT_MEASURES = (f"{CONTACTS}1", f"{CONTACTS}2")

# person id → (grid code, degree 1 or 2) of the people who are contacts now
Standing = dict[int, tuple[str, int]]


def open_cases() -> QuerySet[InfectionCase]:
    return InfectionCase.objects.filter(status=CaseStatus.OPEN)


def _open_case_of(field: str) -> Exists:
    return Exists(open_cases().filter(person_id=OuterRef(field)))


def standing(people: Collection[int] | None = None) -> Standing:
    """Who of ``people`` (everyone when None) is a contact now, in one query: a link makes
    its person a first-degree contact when its source is an open case, a second-degree one
    when its source is exposed to an open case."""
    exposed_to_case = CloseContact.objects.filter(_open_case_of("source_id"))
    links = (
        CloseContact.objects.all()
        if people is None
        else CloseContact.objects.filter(person_id__in=list(people))
    )
    rows = (
        links.annotate(
            source_open=_open_case_of("source_id"),
            source_first=Exists(exposed_to_case.filter(person_id=OuterRef("source_id"))),
            person_open=_open_case_of("person_id"),
        )
        .values_list("person_id", "grid_code", "source_open", "source_first", "person_open")
        .order_by("pk")
    )
    found: Standing = {}
    for person_id, grid, source_open, source_first, person_open in rows:
        if person_open:
            continue
        degree = 1 if source_open else 2 if source_first else 0
        if degree and (person_id not in found or degree < found[person_id][1]):
            found[person_id] = (grid, degree)
    return found


def dependents(people: Collection[int]) -> set[int]:
    """``people`` and whoever their standing may depend on them: the people exposed to them
    and those exposed to these (two steps along the links)."""
    ids = set(people)
    first = CloseContact.objects.filter(source_id__in=list(ids)).values("person_id")
    second = CloseContact.objects.filter(Q(source_id__in=list(ids)) | Q(source_id__in=first))
    return ids | set(second.values_list("person_id", flat=True))


def standing_delta(before: Standing, after: Standing) -> dict[str, Counter[str]]:
    """The ``contacts:<degree>`` changes per grid between two standings."""
    deltas: dict[str, Counter[str]] = defaultdict(Counter)
    for person_id in before.keys() | after.keys():
        if before.get(person_id) == after.get(person_id):
            continue
        if person_id in before:
            grid, degree = before[person_id]
            deltas[grid][f"{CONTACTS}{degree}"] -= 1
        if person_id in after:
            grid, degree = after[person_id]
            deltas[grid][f"{CONTACTS}{degree}"] += 1
    return deltas


def case_deltas(
    grid: str, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> tuple[dict[rollups.DayKey, Counter[str]], dict[str, Counter[str]]]:
    """The daily and current changes when a case of ``grid`` goes from ``old`` to ``new``
    (each {"kind", "status", "reported_on"}; None before it exists)."""
    daily: dict[rollups.DayKey, Counter[str]] = defaultdict(Counter)
    current: dict[str, Counter[str]] = defaultdict(Counter)
    for state, sign in ((old, -1), (new, 1)):
        if state is None:
            continue
        daily[(grid, state["reported_on"])][CASES + state["kind"]] += sign
        if state["status"] == CaseStatus.OPEN:
            current[grid][CASES_OPEN + state["kind"]] += sign
    return daily, current


def count_daily() -> dict[rollups.DayKey, Counter[str]]:
    counts: dict[rollups.DayKey, Counter[str]] = defaultdict(Counter)
    for grid, day, kind, n in (
        InfectionCase.objects.values_list("grid_code", "reported_on", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts[(grid, day)][CASES + kind] += n
    return counts


def count_current() -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for grid, kind, n in (
        open_cases().values_list("grid_code", "kind").annotate(n=Count("pk")).order_by()
    ):
        counts[grid][CASES_OPEN + kind] += n
    for grid, degree in standing().values():
        counts[grid][f"{CONTACTS}{degree}"] += 1
    return counts


TALLY = rollups.Tally(
    name="contacts",
    daily=Q(measure__startswith=CASES),
    current=Q(measure__startswith=CASES_OPEN) | Q(measure__in=CONTACT_MEASURES),
    count_daily=count_daily,
    count_current=count_current,
)
