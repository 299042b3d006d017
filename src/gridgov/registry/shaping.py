"""What the registry pages and the API both show, built from ``queries`` — one helper
serving both places, so a page and its endpoint never disagree on order, filters or what a
leader may see. No HTTP here, no unscoped reads."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Case, Count, IntegerField, Prefetch, QuerySet, Value, When
from django.urls import reverse
from django.utils.translation import gettext as _

from gridgov.accounts import queries as account_queries
from gridgov.accounts import scope
from gridgov.registry import completeness, identity, queries
from gridgov.registry.models import CareKind, CareTag, ResidenceType, Sex, TagStatus

GAPS_SHOWN = 200  # rows of one kind listed for a grid


def clean_text(value: Any, limit: int = 100) -> str:
    """A search term from outside: printable characters only (PostgreSQL refuses NUL in a
    string), trimmed, at most ``limit`` characters."""
    return "".join(ch for ch in str(value or "") if ch.isprintable()).strip()[:limit]


def own_grid_codes(user: Any) -> list[str]:
    """The grids the user works in as grid worker (main or deputy)."""
    if not getattr(user, "pk", None):
        return []
    return list(account_queries.grid_assignments_of(user).values_list("grid_code", flat=True))


def mine_first(rows: QuerySet, user: Any, *order: str) -> QuerySet:
    """``rows`` with those in the user's own grids first, then in ``order``."""
    grids = own_grid_codes(user)
    if not grids:
        return rows.order_by(*order)
    mine = Case(
        When(grid_code__in=grids, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return rows.annotate(not_mine=mine).order_by("not_mine", *order)


def home_prefix(user: Any, capability: str) -> str:
    """Where a user's registry lists start: their one grid, else their one scope node
    ("" when they have several)."""
    grids = own_grid_codes(user)
    if len(grids) == 1:
        return grids[0]
    prefixes = scope.scope_codes(user, capability)
    return prefixes[0] if len(prefixes) == 1 else ""


def open_tags() -> Prefetch:
    """A person's care tags that have not ended, as ``person.open_tags``."""
    return Prefetch(
        "care_tags",
        queryset=CareTag.objects.exclude(status=TagStatus.ENDED).order_by("kind"),
        to_attr="open_tags",
    )


def people_list(user: Any, **criteria: str) -> QuerySet:
    """The people list of the pages and the API: ``queries.search_people`` with the
    user's own grids first, each person with ``open_tags``."""
    criteria = {name: clean_text(value) for name, value in criteria.items()}
    people = queries.search_people(user, **criteria)
    return mine_first(people, user, "grid_code", "name", "pk").prefetch_related(open_tags())


def address_search(rows: QuerySet, q: str = "", grid: str = "") -> QuerySet:
    """Households or buildings by a fragment of the address and a code prefix."""
    q, grid = clean_text(q), clean_text(grid, 15)
    if q:
        rows = rows.filter(address__icontains=q)
    if grid:
        rows = rows.filter(grid_code__startswith=grid)
    return rows


def households_counted(user: Any) -> QuerySet:
    """The households the user may see, each with its building, head and ``member_count``."""
    return (
        queries.visible_households(user)
        .select_related("building", "head")
        .annotate(member_count=Count("members"))
    )


def households_in(user: Any, building: Any) -> QuerySet:
    """The households of a building the user may see, by unit and room."""
    return households_counted(user).filter(building=building).order_by("unit", "room", "pk")


def buildings_counted(user: Any) -> QuerySet:
    """The buildings the user may see, each with its ``household_count``."""
    return queries.visible_buildings(user).annotate(household_count=Count("households"))


def address_list(rows: QuerySet, user: Any, q: str = "", grid: str = "") -> QuerySet:
    """The household or building list of the pages and the API: ``address_search`` with
    the user's own grids first, then by grid and address."""
    return mine_first(address_search(rows, q, grid), user, "grid_code", "address", "pk")


def gap_sections(user: Any, grid_code: str) -> list[dict[str, Any]]:
    """Per gap kind of one grid, the rows a grid worker can open and fix (at most
    ``GAPS_SHOWN`` each): ``{"kind", "label", "count", "items": [{"id", "type", "label",
    "url"}]}``. Needs registry.view over the grid (``queries.gaps_for``)."""
    found = queries.gaps_for(user, grid_code)

    def people(ids: list[int]) -> list[dict[str, Any]]:
        rows = queries.visible_people(user).filter(pk__in=ids).only("pk", "name", "address")
        return [_item("person", p.pk, _labelled(p.name, p.address)) for p in rows]

    def tags(ids: list[int]) -> list[dict[str, Any]]:
        rows = queries.visible_care_tags(user).filter(pk__in=ids).select_related("person")
        return [
            _item("person", t.person_id, _labelled(t.person.name, t.get_kind_display()))
            for t in rows
        ]

    def households(ids: list[int]) -> list[dict[str, Any]]:
        rows = queries.visible_households(user).filter(pk__in=ids).only("pk", "address")
        return [_item("household", h.pk, h.address) for h in rows]

    def buildings(ids: list[int]) -> list[dict[str, Any]]:
        rows = queries.visible_buildings(user).filter(pk__in=ids).only("pk", "name", "address")
        return [_item("building", b.pk, _labelled(b.name, b.address)) for b in rows]

    fetchers: dict[str, Callable[[list[int]], list[dict[str, Any]]]] = {
        "care_no_contact": tags,
        "household_no_head": households,
        "building_empty": buildings,
    }
    sections = []
    for kind in completeness.KINDS:
        ids = found.get(kind, [])
        if ids:
            items = fetchers.get(kind, people)(ids[:GAPS_SHOWN])
            sections.append(
                {
                    "kind": kind,
                    "label": str(completeness.LABELS[kind]),
                    "count": len(ids),
                    "items": items,
                }
            )
    return sections


def _labelled(name: str, detail: str) -> str:
    return f"{name} · {detail}" if detail else name


DETAIL_PAGES = {
    "person": "registry:person_detail",
    "household": "registry:household_detail",
    "building": "registry:building_detail",
}


def _item(kind: str, pk: int, label: str) -> dict[str, Any]:
    return {"id": pk, "type": kind, "label": label, "url": reverse(DETAIL_PAGES[kind], args=[pk])}


def age_band_choices() -> list[tuple[str, str]]:
    return [(name, _("%(band)s years") % {"band": name}) for name in identity.AGE_BAND_NAMES]


def figure_groups(figures: dict[str, int]) -> list[dict[str, Any]]:
    """The roll-up measures grouped for display — residence type, sex, age band, care
    group — each item ``(key, label, count)`` in a stable order."""
    groups: list[tuple[str, str, Iterable[tuple[str, Any]]]] = [
        (_("Residence type"), "residence", ResidenceType.choices),
        (_("Sex"), "sex", Sex.choices),
        (_("Age"), "age", age_band_choices()),
        (_("Care groups"), "tag", CareKind.choices),
    ]
    out = []
    for title, prefix, choices in groups:
        items = [
            {
                "key": f"{prefix}:{value}",
                "label": str(label),
                "count": figures.get(f"{prefix}:{value}", 0),
            }
            for value, label in choices
        ]
        unknown = figures.get(f"{prefix}:{identity.UNKNOWN_AGE_BAND}", 0)
        if prefix == "age" and unknown:
            items.append({"key": "age:unknown", "label": _("Unknown"), "count": unknown})
        out.append({"title": str(title), "prefix": prefix, "items": items})
    return out
