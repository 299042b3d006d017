"""Scoped reads of the territory tree (architecture rule 2).

Everything a user asks about goes through ``get_region_for`` or ``visible_regions``: outside
the user's ``territory.view`` scope a region does not exist for them (NotFound). The one
exception is ``path_for``: the *names* of a visible region's ancestors, which breadcrumbs
need, without opening those ancestors' pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from gridgov.accounts import scope
from gridgov.core.errors import InvalidInput, NotFound
from gridgov.territory import codes, locating
from gridgov.territory.models import BOUNDARY_MEASURES, Region, RegionQuerySet

VIEW = "territory.view"
GRIDS_GEOJSON_LIMIT = 5000
GRIDS_GEOJSON_MAX = 20000
# Columns a GeoJSON feature needs; reading only these keeps big maps light.
FEATURE_FIELDS = ("code", "name", "level", "kind", "geometry")
# Columns list pages and API lists show (no geometry).
LIST_FIELDS = ("id", "code", "name", "level", "kind", "parent_id", *BOUNDARY_MEASURES, "version")


class TooManyFeatures(InvalidInput):
    """An unbounded map request over more features than one response should carry."""

    code = "too_many_features"


class PathItem(NamedTuple):
    code: str
    name: str
    level: int
    visible: bool  # whether the user may open this ancestor's page


# --- scope --------------------------------------------------------------------------------


def visible_regions(user: Any) -> RegionQuerySet:
    return Region.objects.filter(scope.scope_filter(user, "code", VIEW))


def can_view(user: Any, code: str) -> bool:
    return scope.has_capability(user, VIEW, code)


def get_region_for(user: Any, code: str, *, with_geometry: bool = True) -> Region:
    """The region ``code`` if the user may see it; NotFound otherwise (also when it is absent,
    malformed, or merely outside the scope — the three look the same)."""
    code = str(code or "")
    if not code.isascii() or not code.isdigit() or len(code) not in codes.LEVEL_BY_LENGTH:
        raise NotFound()
    scope.require(user, VIEW, code)
    qs = Region.objects.all() if with_geometry else Region.objects.defer("geometry")
    region = qs.filter(code=code).first()
    if region is None:
        raise NotFound()
    return region


def scope_roots(user: Any) -> list[Region]:
    """The nodes where the user's view starts: each scope code's region; for operators,
    every city."""
    prefixes = scope.scope_codes(user, VIEW)
    qs = Region.objects.defer("geometry")
    if "" in prefixes:
        return list(qs.filter(level=codes.CITY))
    return list(qs.filter(code__in=prefixes))


# --- the tree -----------------------------------------------------------------------------


def ancestors(region: Region) -> list[Region]:
    """City first; unscoped — callers decide what of it to show (see path_for)."""
    chain = codes.ancestor_codes(region.code)
    return list(Region.objects.defer("geometry").filter(code__in=chain).order_by("level"))


def path_for(user: Any, region: Region) -> list[PathItem]:
    """Breadcrumbs: the ancestors' codes and names, each marked whether the user may open it.

    Names of ancestors are shown even outside the scope (a township's staff sees which
    county and city it belongs to), but only ``visible`` items may become links.
    """
    chain = codes.ancestor_codes(region.code)
    names = dict(Region.objects.filter(code__in=chain).values_list("code", "name"))
    return [
        PathItem(code, names[code], codes.level_of(code), can_view(user, code))
        for code in chain
        if code in names
    ]


def children(region: Region) -> RegionQuerySet:
    return Region.objects.filter(parent_id=region.pk).order_by("code")


def descendants(region: Region, level: int | None = None) -> RegionQuerySet:
    """Everything below the node: a range scan on the code prefix."""
    qs = Region.objects.filter(code__startswith=region.code).exclude(pk=region.pk)
    if level is not None:
        qs = qs.filter(level=level)
    return qs


def child_counts(region: Region) -> dict[int, int]:
    """How many regions of each lower level lie under the node: one GROUP BY query."""
    rows = (
        Region.objects.filter(code__startswith=region.code, level__gt=region.level)
        .values("level")
        .annotate(n=Count("id"))
        .order_by("level")
    )
    counts = {level: 0 for level in codes.LEVELS if level > region.level}
    counts.update({row["level"]: row["n"] for row in rows})
    return counts


def search_children(region: Region, q: str = "") -> RegionQuerySet:
    """Children, filtered by a name fragment or a code prefix."""
    qs = children(region).only(*LIST_FIELDS)
    q = "".join(ch for ch in (q or "") if ch.isprintable()).strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__startswith=q))
    return qs


# --- GeoJSON ------------------------------------------------------------------------------


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """ "minlon,minlat,maxlon,maxlat" → a tuple; InvalidInput naming ``bbox`` if malformed."""
    if text is None or str(text).strip() == "":
        return None
    try:
        parts = tuple(float(p) for p in str(text).split(","))
    except ValueError:
        parts = ()
    ok = (
        len(parts) == 4
        and all(p == p and abs(p) != float("inf") for p in parts)
        and -180 <= parts[0] <= parts[2] <= 180
        and -90 <= parts[1] <= parts[3] <= 90
    )
    if not ok:
        raise InvalidInput(
            _("bbox must be minlon,minlat,maxlon,maxlat in degrees."),
            fields={"bbox": _("malformed")},
        )
    return parts  # type: ignore[return-value]


def _in_bbox(qs: RegionQuerySet, bbox: Sequence[float] | None) -> RegionQuerySet:
    """Regions whose bounding box meets ``bbox`` (an index-free but cheap column test)."""
    if bbox is None:
        return qs
    west, south, east, north = bbox
    return qs.filter(min_lon__lte=east, max_lon__gte=west, min_lat__lte=north, max_lat__gte=south)


def region_url(code: str) -> str:
    return reverse("territory:region", args=[code])


def short_label(values: dict[str, Any], parent_name: str = "") -> str:
    """What the map writes on an area: its name, but for a grid named after its community
    (河街社区第1网格) only the part that tells siblings apart (第1网格)."""
    name = values["name"]
    if values["level"] == codes.GRID and parent_name and name.startswith(parent_name):
        return name[len(parent_name) :] or name
    return name


def feature(values: dict[str, Any], label: str | None = None) -> dict[str, Any]:
    code = values["code"]
    return {
        "type": "Feature",
        "id": code,
        "geometry": values.get("geometry"),
        "properties": {
            "code": code,
            "name": values["name"],
            "level": values["level"],
            "kind": values["kind"],
            "url": region_url(code),
            "label": label if label is not None else values["name"],
        },
    }


def feature_collection(rows: Sequence[dict[str, Any]], parent_name: str = "") -> dict[str, Any]:
    features = [feature(r, short_label(r, parent_name)) for r in rows]
    return {"type": "FeatureCollection", "features": features}


def children_geojson(
    user: Any, region: Region, bbox: Sequence[float] | None = None
) -> dict[str, Any]:
    """The node's children with their boundaries (the map of a region page)."""
    scope.require(user, VIEW, region.code)
    qs = _in_bbox(children(region), bbox).exclude(geometry=None)
    return feature_collection(list(qs.values(*FEATURE_FIELDS)), parent_name=region.name)


def boundary_geojson(user: Any, region: Region) -> dict[str, Any]:
    """The node itself, as a one-feature collection (the outline on its map)."""
    scope.require(user, VIEW, region.code)
    rows = [] if region.geometry is None else [{f: getattr(region, f) for f in FEATURE_FIELDS}]
    return feature_collection(rows)


def grids_geojson(
    user: Any,
    region: Region,
    bbox: Sequence[float] | None = None,
    limit: int = GRIDS_GEOJSON_LIMIT,
) -> dict[str, Any]:
    """Unit grids under the node, optionally within a bbox.

    More than ``limit`` grids is refused rather than cut silently: the client narrows the
    bbox (a whole city is ~20,000 grids, tens of MB).
    """
    scope.require(user, VIEW, region.code)
    limit = max(1, min(int(limit), GRIDS_GEOJSON_MAX))
    qs = _in_bbox(Region.objects.grids().filter(code__startswith=region.code), bbox)
    qs = qs.exclude(geometry=None).order_by("code")
    rows = list(qs.values(*FEATURE_FIELDS)[: limit + 1])
    if len(rows) > limit:
        raise TooManyFeatures(
            _(
                "More than %(n)d grids match; pass a smaller bbox "
                "(minlon,minlat,maxlon,maxlat) or a deeper region."
            )
            % {"n": limit},
            fields={"bbox": _("too many grids; narrow the area")},
        )
    return feature_collection(rows)


# --- locate -------------------------------------------------------------------------------


@dataclass
class Located:
    grid_code: str
    path: list[dict[str, Any]]


def locate_for(user: Any, lon: float, lat: float) -> Located | None:
    """The grid holding the point, if it lies in the user's scope; None otherwise —
    a grid outside the scope answers exactly like no grid at all."""
    code = locating.locate_code(lon, lat)
    if code is None or not can_view(user, code):
        return None
    return Located(code, locating.grid_path(code))


def locate_many_for(user: Any, lons: Sequence[float], lats: Sequence[float]) -> list[str | None]:
    found = locating.locate_many(lons, lats)
    prefixes = scope.scope_codes(user, VIEW)
    if "" in prefixes:
        return found
    allowed = tuple(prefixes)
    return [code if code is not None and code.startswith(allowed) else None for code in found]


def grid_workers(grid: Region) -> list[Any]:
    """The grid's active workers, main worker first (a grid may have a deputy)."""
    from gridgov.accounts.models import GridAssignment

    return list(
        GridAssignment.objects.active()
        .filter(grid_id=grid.pk)
        .select_related("user")
        .order_by("is_deputy", "assigned_at")
    )
