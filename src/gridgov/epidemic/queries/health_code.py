"""Health codes as shown: a person's colour, its history and its signed token."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from gridgov.epidemic import rules, signing
from gridgov.epidemic.models import CodeReason, Colour, HealthCode, HealthCodeChange
from gridgov.epidemic.queries.declarations import get_person_for
from gridgov.registry.models import Person


@dataclass(frozen=True)
class CodeCard:
    """What a code page shows of one person on one day."""

    person: Person
    colour: str
    reason: str
    since: dt.datetime | None
    normal_days: int
    required_days: int
    day: dt.date
    token: str

    @property
    def colour_label(self) -> str:
        return str(Colour(self.colour).label)

    @property
    def reason_label(self) -> str:
        return str(CodeReason(self.reason).label) if self.reason in CodeReason.values else ""


def code_row(person: Person) -> HealthCode | None:
    return HealthCode.objects.filter(person_id=person.pk).first()


def card(person: Person, day: dt.date | None = None) -> CodeCard:
    """The person's code now, signed for ``day`` (default today)."""
    row = code_row(person)
    colour = row.colour if row else Colour.GREEN
    day = day or rules.today()
    return CodeCard(
        person=person,
        colour=colour,
        reason=row.reason if row else "",
        since=row.since if row else None,
        normal_days=row.normal_days if row else 0,
        required_days=row.required_days if row else 0,
        day=day,
        token=signing.sign(person.pk, colour, day),
    )


def history(person: Person) -> QuerySet[HealthCodeChange]:
    return HealthCodeChange.objects.filter(person_id=person.pk).select_related("changed_by")


def card_for(user: Any, person_id: Any) -> CodeCard:
    """A person's code card for staff with ``epidemic.view`` over their grid."""
    return card(get_person_for(user, person_id))
