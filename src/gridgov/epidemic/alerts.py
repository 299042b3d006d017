"""Alerts of abnormal declarations: the grid's workers and the community's staff hear at
once, in their inbox, inside the transaction that recorded the declaration."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from gridgov.accounts.models import GridAssignment, RoleAssignment, User
from gridgov.accounts.roles import Role
from gridgov.epidemic.models import Symptom
from gridgov.inbox import actions as inbox
from gridgov.inbox.models import MessageKind


@dataclass(frozen=True)
class Abnormal:
    """The first abnormal declaration of a person's day."""

    person_id: int
    name: str
    grid_code: str
    date: dt.date
    temperature: Decimal | None
    symptoms: tuple[str, ...]
    contact: bool


def topic(person_id: int, day: dt.date) -> str:
    return f"epidemic:abnormal:{person_id}:{day.isoformat()}"


def person_link(person_id: int) -> str:
    try:
        return reverse("epidemic:person", args=[person_id])
    except NoReverseMatch:  # pages not mounted (an API-only installation)
        return f"/epidemic/people/{person_id}/"


def recipients(grids: set[str]) -> dict[str, list[User]]:
    """{grid: its active grid workers and its community's staff}, with two queries."""
    communities = {grid[:12] for grid in grids}
    user_ids: dict[str, set[int]] = defaultdict(set)
    for grid, user_id in (
        GridAssignment.objects.active()
        .filter(grid_code__in=grids)
        .values_list("grid_code", "user_id")
    ):
        user_ids[grid].add(user_id)
    staff: dict[str, set[int]] = defaultdict(set)
    for code, user_id in (
        RoleAssignment.objects.active()
        .filter(role=Role.COMMUNITY_STAFF, scope_code__in=communities)
        .values_list("scope_code", "user_id")
    ):
        staff[code].add(user_id)
    for grid in grids:
        user_ids[grid] |= staff.get(grid[:12], set())
    wanted = set().union(*user_ids.values()) if user_ids else set()
    users = {u.pk: u for u in User.objects.filter(pk__in=wanted, is_active=True)}
    return {
        grid: [users[pk] for pk in sorted(user_ids.get(grid, ())) if pk in users] for grid in grids
    }


def _body(item: Abnormal) -> str:
    parts = []
    if item.temperature is not None:
        parts.append(_("Temperature %(t)s °C") % {"t": item.temperature})
    if item.symptoms:
        labels = [str(Symptom(s).label) if s in Symptom.values else s for s in item.symptoms]
        parts.append(_("Symptoms: %(list)s") % {"list": "、".join(labels)})
    if item.contact:
        parts.append(_("Declared contact with a case or a risk area"))
    parts.append(_("Grid %(grid)s, %(day)s") % {"grid": item.grid_code, "day": item.date})
    return "\n".join(parts)


def alert(items: Sequence[Abnormal]) -> int:
    """One alert per abnormal person-day to each of its grid's people; how many sent."""
    if not items:
        return 0
    audience = recipients({item.grid_code for item in items})
    sent = 0
    # In the site's language: the message is stored once and read later by anyone.
    with translation.override(settings.LANGUAGE_CODE):
        for item in items:
            sent += inbox.deliver(
                audience.get(item.grid_code, []),
                kind=MessageKind.ALERT,
                subject=_("Abnormal health declaration: %(name)s") % {"name": item.name},
                body=_body(item),
                link=person_link(item.person_id),
                topic=topic(item.person_id, item.date),
                grid_code=item.grid_code,
            )
    return sent
