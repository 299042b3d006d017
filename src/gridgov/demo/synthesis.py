"""Synthetic boundaries for the demo city (no Django).

No package ships township or community polygons, so the demo draws them inside the real
county boundaries: a weighted power-diagram split (territory.generate.split_polygon) whose
seeds put the urban units — streets in a county, residents' committees in a township —
close together around a core point, and spread the rural ones over the rest, with areas
proportional to a weight. Every random choice comes from a generator seeded by the build
seed and the node's code, so a node's drawing never depends on which other nodes are drawn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from gridgov.territory.generate import generate_grids, split_polygon
from gridgov.territory.geometry import equal_area_transformers, project

_GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))

# Relative areas: a street is a few km², a town or township tens of km²; a residents'
# committee a fraction of a km², a village a few km².
TOWNSHIP_WEIGHT = {"street": 1.0, "town": 14.0, "township": 12.0, "township_other": 6.0}
STREET_GROWTH = 0.6  # later-numbered streets are newer, larger and further out
COMMITTEE_WEIGHT = {"community": 1.0, "village": 5.0}

# Unit grids per committee (domain §1): urban grids of about 10,000 m², so a residents'
# committee gets 8–20; rural grids are usually a whole or natural village, 2–6 per village.
GRIDS_PER_COMMUNITY = (8, 20)
GRIDS_PER_VILLAGE = (2, 6)
MIN_CELL_M2 = 10_000.0


def node_rng(seed: int, code: str, salt: int = 0) -> np.random.Generator:
    """A generator for one node: same seed and code, same numbers, in any build order."""
    return np.random.default_rng([int(seed), int(code), salt])


@dataclass(frozen=True)
class Member:
    """One part to cut out of a parent: urban parts cluster around the parent's core."""

    urban: bool
    weight: float


def township_members(kinds: Sequence[str], rng: np.random.Generator) -> list[Member]:
    """Weights for the townships of a county, from their kind (street/town/township)."""
    members = []
    street_rank = 0
    for kind in kinds:
        weight = TOWNSHIP_WEIGHT.get(kind, TOWNSHIP_WEIGHT["township"])
        if kind == "street":
            weight += STREET_GROWTH * street_rank
            street_rank += 1
        members.append(Member(kind == "street", weight * float(rng.uniform(0.8, 1.25))))
    return members


def committee_members(kinds: Sequence[str], rng: np.random.Generator) -> list[Member]:
    """Weights for the communities and villages of a township."""
    return [
        Member(kind == "community", COMMITTEE_WEIGHT[kind] * float(rng.uniform(0.75, 1.3)))
        for kind in kinds
    ]


def core_point(
    geom: BaseGeometry, towards: tuple[float, float] | None = None
) -> tuple[float, float]:
    """Where a place's urban core lies: inside it, as close to `towards` as it can be.

    A city district's core faces the city centre (its streets form one built-up area with the
    neighbouring district's); a county's core is simply a point well inside it.
    """
    forward, inverse = equal_area_transformers(geom)
    shape_m = project(geom, forward)
    inner = shape_m.buffer(-0.15 * math.sqrt(shape_m.area))
    if inner.is_empty:
        inner = shape_m
    if towards is None:
        point = inner.representative_point()
    else:
        target = shapely.Point(*forward.transform(*towards))
        point = target if inner.contains(target) else nearest_points(inner, target)[0]
    lon, lat = inverse.transform(point.x, point.y)
    return float(lon), float(lat)


def split_around_core(
    geom: BaseGeometry,
    core: tuple[float, float],
    members: Sequence[Member],
    rng: np.random.Generator,
) -> list[BaseGeometry]:
    """Cut `geom` into one part per member, exactly covering it, areas ∝ weights.

    Urban members get seeds on a golden-angle spiral out from the core (the first member at
    the centre), rural ones well-spread seeds over the rest of the polygon.
    """
    if len(members) == 1:
        return [geom]
    forward, inverse = equal_area_transformers(geom)
    shape_m = project(geom, forward)
    shapely.prepare(shape_m)
    weights = np.array([m.weight for m in members])
    shares = weights / weights.sum() * shape_m.area
    urban = np.array([m.urban for m in members])
    centre = np.array(forward.transform(*core))
    seeds = np.empty((len(members), 2))
    if urban.any():
        seeds[urban] = _spiral_seeds(shape_m, centre, float(shares[urban].mean()), urban.sum(), rng)
    if (~urban).any():
        urban_radius = math.sqrt(shares[urban].sum() / math.pi) if urban.any() else 0.0
        spread = _spread_seeds(shape_m, centre, urban_radius, int((~urban).sum()), rng)
        seeds[~urban] = spread
    lon, lat = inverse.transform(seeds[:, 0], seeds[:, 1])
    return split_polygon(geom, seeds=list(zip(lon, lat, strict=True)), weights=list(weights))


def _spiral_seeds(
    shape_m: BaseGeometry, centre: np.ndarray, share: float, count: int, rng: np.random.Generator
) -> np.ndarray:
    """`count` points inside the shape along a spiral whose rings enclose `share` m² each."""
    turn = float(rng.uniform(0, 2 * math.pi))
    found: list[np.ndarray] = []
    position = 0
    while len(found) < count and position < 200 * count + 1000:
        batch = np.arange(position, position + 4 * count + 16)
        position = int(batch[-1]) + 1
        radius = np.sqrt((batch + 0.5) * share / math.pi)
        angle = turn + batch * _GOLDEN_ANGLE
        xy = centre + np.column_stack((radius * np.cos(angle), radius * np.sin(angle)))
        found.extend(xy[shapely.contains_xy(shape_m, xy[:, 0], xy[:, 1])])
    if len(found) < count:  # a sliver of a polygon: fall back to random points inside
        found.extend(_sample_inside(shape_m, count - len(found), rng))
    return np.array(found[:count])


def _spread_seeds(
    shape_m: BaseGeometry,
    centre: np.ndarray,
    keep_out: float,
    count: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """`count` well-spread points inside the shape, outside the urban disk when possible.

    A few k-means steps over uniform samples spread them evenly; each centre is then moved to
    its nearest sample so it surely lies inside a non-convex shape. They are returned in
    clockwise order around the core, so consecutive codes are neighbours.
    """
    samples = _sample_inside(shape_m, max(60 * count, 1500), rng)
    outside = samples[np.hypot(*(samples - centre).T) > 1.2 * keep_out]
    if len(outside) >= 4 * count:
        samples = outside
    centres = samples[rng.choice(len(samples), size=count, replace=False)]
    for _ in range(12):
        label = _nearest(samples, centres)
        for k in range(count):
            mine = samples[label == k]
            if len(mine):
                centres[k] = mine.mean(axis=0)
    snapped = samples[_nearest(centres, samples)]
    if len(np.unique(snapped, axis=0)) < count:  # two centres took the same sample
        snapped = centres
    angle = np.arctan2(snapped[:, 0] - centre[0], snapped[:, 1] - centre[1]) % (2 * math.pi)
    return snapped[np.argsort(angle, kind="stable")]


def _nearest(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    dist = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    return np.argmin(dist, axis=1)


def _sample_inside(shape_m: BaseGeometry, count: int, rng: np.random.Generator) -> np.ndarray:
    minx, miny, maxx, maxy = shape_m.bounds
    found: list[np.ndarray] = []
    total = 0
    while total < count:
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(max(4 * count, 64), 2))
        xy = xy[shapely.contains_xy(shape_m, xy[:, 0], xy[:, 1])]
        found.append(xy)
        total += len(xy)
    return np.concatenate(found)[:count]


def grids_of(geom: BaseGeometry, kind: str, rng: np.random.Generator) -> list[BaseGeometry]:
    """Unit grids of one community or village, in numbering order.

    The cell size aims at a grid count drawn from the kind's range; a ragged outline cut by
    the lattice yields more pieces than area / cell, so the cell grows until the count is
    about the target.
    """
    low, high = GRIDS_PER_COMMUNITY if kind == "community" else GRIDS_PER_VILLAGE
    target = int(rng.integers(low, high + 1))
    forward, _inverse = equal_area_transformers(geom)
    cell = max(MIN_CELL_M2, float(project(geom, forward).area) / target)
    grids = generate_grids(geom, cell_area_m2=cell)
    for _attempt in range(4):
        if len(grids) <= min(target + 1, high):
            break
        cell *= len(grids) / target
        fewer = generate_grids(geom, cell_area_m2=cell)
        if len(fewer) < low:  # overshot: keep the finer cut
            break
        grids = fewer
    return grids
