"""What the home page shows a user: their roles, where they work, their grids.

These read only the user's own assignments, so they need no scope filter beyond
"belongs to this user"; the territory nodes shown are those the roles reach.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts import scope
from gridgov.accounts.models import GridAssignment, RoleAssignment
from gridgov.accounts.roles import Role
from gridgov.territory.models import Region
from gridgov.web.context import url_or_none

_ROLE_ORDER = {value: index for index, value in enumerate(Role.values)}


@dataclass
class Place:
    """A territory node the user may open, with the page that shows it."""

    code: str
    name: str
    level_label: Any
    url: str | None


def greeting(now: Any = None) -> Any:
    hour = timezone.localtime(now).hour
    if hour < 5:
        return _("Good evening")
    if hour < 12:
        return _("Good morning")
    if hour < 18:
        return _("Good afternoon")
    return _("Good evening")


def role_lines(user: Any) -> list[dict[str, Any]]:
    """The user's active roles, each with the place or department it is bound to."""
    assignments = (
        RoleAssignment.objects.active()
        .filter(user=user)
        .select_related("region", "department")
        .only("role", "scope_code", "region__name", "department__name")
        .order_by()
    )
    lines = [
        {
            "role": a.get_role_display(),
            "where": str(a.department or (a.region.name if a.region else "")),
            "code": a.scope_code,
            "order": _ROLE_ORDER.get(a.role, 99),
        }
        for a in assignments
    ]
    return sorted(lines, key=lambda line: (line["order"], line["code"]))


def region_url(code: str) -> str | None:
    return url_or_none("territory:region", code)


def places(user: Any) -> list[Place]:
    """Where the user's territory view starts: one entry per node their roles reach."""
    codes = scope.scope_codes(user, "territory.view")
    if "" in codes:  # an operator sees the whole installation: start at the browser
        return []
    return [
        Place(r.code, r.name, r.level_label, region_url(r.code))
        for r in Region.objects.filter(code__in=codes)
        .only("code", "name", "level")
        .order_by("code")
    ]


def my_grids(user: Any) -> list[dict[str, Any]]:
    """Unit grids the user covers as grid worker (main or deputy)."""
    assignments = (
        GridAssignment.objects.active()
        .filter(user=user)
        .select_related("grid__parent")
        # Names only: a grid's boundary is not needed on the home page.
        .only("grid_code", "is_deputy", "grid__name", "grid__parent__name")
        .order_by("grid_code")
    )
    return [
        {
            "code": a.grid_code,
            "name": a.grid.name,
            "community": a.grid.parent.name if a.grid.parent else "",
            "deputy": a.is_deputy,
            "url": region_url(a.grid_code),
        }
        for a in assignments
    ]
