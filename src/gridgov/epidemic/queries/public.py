"""The public declaration page's identity check: a resident names a household member and
gives their ID number; the registry's keyed hash finds them.

The answer never tells whether a number is registered: a wrong name, an unknown number and
a person who moved away all give ``None`` after the same work — one hash, one indexed
query, one constant-time comparison (against a stand-in when nobody was found). Only a
number that is not a valid ID number at all is refused apart (``InvalidInput``): that is
checked by arithmetic alone and says nothing about the registry.
"""

from __future__ import annotations

import hmac
import unicodedata
from dataclasses import dataclass

from gridgov.core import crypto
from gridgov.epidemic.models import HealthCode
from gridgov.registry import identity
from gridgov.registry.models import Person, PersonStatus

_STAND_IN = "\u0000" * 8


@dataclass(frozen=True)
class Identified:
    """Who the page found: the person, and their household (None when they have none)."""

    person_id: int
    household_id: int | None


def normalize_name(name: str) -> str:
    """Names compared as written, ignoring spaces, the middle dot's forms and width."""
    text = unicodedata.normalize("NFKC", str(name or ""))
    for dot in ("•", "・", "‧", "∙", "."):
        text = text.replace(dot, "·")
    return "".join(text.split())


def identity_key(id_number: str) -> str:
    """The keyed hash of a (valid) ID number: what the per-identity rate limit counts by."""
    return crypto.lookup_hash(identity.parse_id_number(id_number).number)


def identify(name: str, id_number: str) -> Identified | None:
    """The living person with this ID number and name, or None (whatever the reason)."""
    number = identity.parse_id_number(id_number).number
    row = (
        Person.objects.filter(
            id_number_hash__in=crypto.lookup_hashes(number), status=PersonStatus.LIVING
        )
        .values_list("pk", "household_id", "name")
        .first()
    )
    stored = normalize_name(row[2]) if row else _STAND_IN
    matches = hmac.compare_digest(stored.encode(), normalize_name(name).encode())
    if row is None or not matches:
        return None
    return Identified(person_id=row[0], household_id=row[1])


def household_members(found: Identified) -> list[Person]:
    """The living people the identified resident declares for: their household, or
    themselves alone."""
    people = Person.objects.filter(status=PersonStatus.LIVING)
    if found.household_id is not None:
        people = people.filter(household_id=found.household_id)
    else:
        people = people.filter(pk=found.person_id)
    members = list(people.order_by("pk"))
    colours = dict(
        HealthCode.objects.filter(person_id__in=[p.pk for p in members]).values_list(
            "person_id", "colour"
        )
    )
    for person in members:
        person.code_colour = colours.get(person.pk, "green")  # type: ignore[attr-defined]
    return members


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧**娜: enough for a household to know its own people."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
