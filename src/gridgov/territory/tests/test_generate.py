"""Grid generation and polygon splitting: exact tiling, numbering order, determinism."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box
from shapely.geometry.base import BaseGeometry

from gridgov.territory.generate import generate_grids, split_polygon
from gridgov.territory.geometry import area_m2, equal_area_transformers, project

LON0, LAT0 = 112.5, 33.0
# Metres → degrees near Nanyang.
DLAT = 1 / 110_950
DLON = 1 / (111_320 * math.cos(math.radians(LAT0)))


def metres_box(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    """A box given in metres east/north of (LON0, LAT0)."""
    return box(LON0 + x0 * DLON, LAT0 + y0 * DLAT, LON0 + x1 * DLON, LAT0 + y1 * DLAT)


def metres_polygon(points: Sequence[tuple[float, float]], holes: Sequence = ()) -> Polygon:
    def convert(ring: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
        return [(LON0 + x * DLON, LAT0 + y * DLAT) for x, y in ring]

    return Polygon(convert(points), [convert(h) for h in holes])


SQUARE_KM = metres_box(0, 0, 1000, 1000)
CONVEX = metres_polygon([(0, 0), (1400, 200), (1900, 1300), (600, 1700), (-300, 800)])
L_WITH_HOLE = metres_polygon(
    [(0, 0), (1800, 0), (1800, 700), (800, 700), (800, 1900), (0, 1900)],
    holes=[[(200, 200), (560, 200), (560, 510), (200, 510)]],
)
MULTI = MultiPolygon(
    [
        metres_box(0, 0, 750, 660),
        metres_box(1100, 100, 1430, 370),
        metres_box(0, 720, 30, 742),  # a 660 m² islet, alone in its cell
    ]
)


def assert_exact_cover(geom: BaseGeometry, parts: Sequence[BaseGeometry]) -> None:
    """Parts tile geom: areas add up, nothing overlaps, nothing is missing."""
    total = area_m2(geom)
    assert all(p.is_valid and not p.is_empty for p in parts)
    assert all(p.geom_type in ("Polygon", "MultiPolygon") for p in parts)
    assert sum(area_m2(p) for p in parts) == pytest.approx(total, rel=1e-3)
    array = np.array(parts, dtype=object)
    left, right = shapely.STRtree(array).query(array, predicate="intersects")
    pairs = left < right
    overlaps = shapely.intersection(array[left[pairs]], array[right[pairs]])
    assert max((area_m2(o) for o in overlaps), default=0.0) < 1.0
    difference = shapely.symmetric_difference(shapely.union_all(array), geom)
    assert area_m2(difference) < 1e-3 * total


def lattice_positions(community: BaseGeometry, grids: Sequence[BaseGeometry], cell: float):
    """(row, col) of each grid's representative point in the lattice anchored at the NW corner."""
    forward, _ = equal_area_transformers(community)
    minx, _miny, _maxx, maxy = project(community, forward).bounds
    side = math.sqrt(cell)
    points = shapely.get_coordinates(
        project(shapely.point_on_surface(np.array(grids, dtype=object)), forward)
    )
    rows = np.floor((maxy - points[:, 1]) / side).astype(int)
    cols = np.floor((points[:, 0] - minx) / side).astype(int)
    return list(zip(rows.tolist(), cols.tolist(), strict=True))


# --- generate_grids ----------------------------------------------------------------------------


def test_square_square_kilometre_gives_100_grids_in_reading_order() -> None:
    grids = generate_grids(SQUARE_KM)
    assert len(grids) == 100
    assert_exact_cover(SQUARE_KM, grids)
    for grid in grids:
        assert area_m2(grid) == pytest.approx(10_000, rel=0.02)
    # 001 is the north-west corner, 010 the north-east, 091 the south-west.
    assert grids[0].contains(Point(LON0 + 5 * DLON, LAT0 + 995 * DLAT))
    assert grids[9].contains(Point(LON0 + 995 * DLON, LAT0 + 995 * DLAT))
    assert grids[90].contains(Point(LON0 + 5 * DLON, LAT0 + 5 * DLAT))
    centres = np.array([g.centroid.coords[0] for g in grids]).reshape(10, 10, 2)
    assert np.all(np.diff(centres[:, :, 0], axis=1) > 0)  # west → east inside a row
    assert np.all(np.diff(centres[:, :, 1], axis=0) < 0)  # rows north → south


@pytest.mark.parametrize("community", [CONVEX, L_WITH_HOLE, MULTI], ids=["convex", "L", "multi"])
def test_generated_grids_tile_the_community(community: BaseGeometry) -> None:
    grids = generate_grids(community)
    assert_exact_cover(community, grids)
    positions = lattice_positions(community, grids, 10_000)
    assert positions == sorted(positions), "numbered by row north→south, then west→east"
    assert positions[0][0] == min(row for row, _ in positions)
    # Slivers are merged away: only a piece that touches nothing may stay small.
    small = [g for g in grids if area_m2(g) < 3_000]
    for grid in small:
        others = [o for o in grids if o is not grid]
        shared = sum(
            shapely.length(shapely.intersection(grid.boundary, o.boundary)) for o in others
        )
        assert shared == 0
    # A cell plus the slivers merged into it stays well under two cells.
    assert max(area_m2(g) for g in grids) < 1.6 * 10_000


def test_hole_stays_a_hole_and_islet_stays_alone() -> None:
    hole = Polygon(L_WITH_HOLE.interiors[0])
    assert all(area_m2(g.intersection(hole)) < 1e-6 for g in generate_grids(L_WITH_HOLE))
    grids = generate_grids(MULTI)
    islet = MULTI.geoms[2]
    matches = [g for g in grids if g.intersects(islet.representative_point())]
    assert len(matches) == 1 and matches[0].equals(islet)


def test_community_smaller_than_a_cell_is_one_grid() -> None:
    tiny = metres_box(0, 0, 60, 90)
    assert generate_grids(tiny) == [tiny]
    tiny_multi = MultiPolygon([metres_box(0, 0, 30, 30), metres_box(50, 0, 80, 30)])
    assert len(generate_grids(tiny_multi)) == 1


def test_cell_size_and_vertices_of_the_community_are_kept() -> None:
    grids = generate_grids(CONVEX, cell_area_m2=40_000)
    assert len(grids) == pytest.approx(area_m2(CONVEX) / 40_000, rel=0.2)
    assert_exact_cover(CONVEX, grids)
    # Overlays run in lon/lat, so every community vertex survives bit-exact in some grid.
    vertices = {tuple(c) for g in grids for c in shapely.get_coordinates(g).tolist()}
    assert {tuple(c) for c in CONVEX.exterior.coords} <= vertices


def test_generation_is_deterministic_and_rejects_bad_input() -> None:
    first, second = generate_grids(L_WITH_HOLE), generate_grids(L_WITH_HOLE)
    assert all(a.equals_exact(b, 0) for a, b in zip(first, second, strict=True))
    with pytest.raises(ValueError):
        generate_grids(SQUARE_KM, cell_area_m2=0)
    with pytest.raises(ValueError):
        generate_grids(Polygon())


# --- split_polygon -----------------------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 5, 12])
def test_split_by_count_tiles_in_reading_order(count: int) -> None:
    parts = split_polygon(L_WITH_HOLE, count=count)
    assert len(parts) == count
    assert_exact_cover(L_WITH_HOLE, parts)
    assert all(p.geom_type == "Polygon" for p in parts)
    mean = area_m2(L_WITH_HOLE) / count
    assert min(area_m2(p) for p in parts) > 0.25 * mean  # relaxed: no absurd slivers
    points = [p.representative_point() for p in parts]
    assert points[0].y >= max(q.y for q in points) - math.sqrt(mean) * DLAT


def test_split_is_deterministic_and_depends_on_the_seed() -> None:
    a = split_polygon(CONVEX, count=6, rng_seed=7)
    b = split_polygon(CONVEX, count=6, rng_seed=7)
    c = split_polygon(CONVEX, count=6, rng_seed=8)
    assert all(x.equals_exact(y, 0) for x, y in zip(a, b, strict=True))
    assert not all(x.equals(y) for x, y in zip(a, c, strict=True))


def test_split_by_seeds_keeps_seed_order() -> None:
    seeds = [
        (LON0 + 1500 * DLON, LAT0 + 400 * DLAT),
        (LON0 + 400 * DLON, LAT0 + 1600 * DLAT),
        (LON0 + 100 * DLON, LAT0 + 100 * DLAT),
    ]
    parts = split_polygon(L_WITH_HOLE, seeds=seeds)
    assert_exact_cover(L_WITH_HOLE, parts)
    for part, seed in zip(parts, seeds, strict=True):
        assert part.contains(Point(seed))


def test_stray_voronoi_fragment_joins_its_neighbour() -> None:
    # A "C": the top arm's seed sits far east, so its Voronoi cell reaches across the notch into
    # the tip of the bottom arm. That fragment must join the bottom arm's part.
    c_shape = metres_box(0, 0, 1000, 1000).difference(metres_box(200, 400, 1000, 600))
    seeds = [
        (LON0 + 900 * DLON, LAT0 + 990 * DLAT),
        (LON0 + 100 * DLON, LAT0 + 500 * DLAT),
        (LON0 + 300 * DLON, LAT0 + 20 * DLAT),
    ]
    forward, _ = equal_area_transformers(c_shape)
    raw = shapely.voronoi_polygons(
        project(shapely.multipoints(seeds), forward),
        extend_to=project(c_shape, forward).buffer(1000),
        ordered=True,
    )
    assert project(c_shape, forward).intersection(raw.geoms[0]).geom_type == "MultiPolygon"
    parts = split_polygon(c_shape, seeds=seeds)
    assert_exact_cover(c_shape, parts)
    assert [p.geom_type for p in parts] == ["Polygon"] * 3
    tip = Point(LON0 + 950 * DLON, LAT0 + 390 * DLAT)
    assert parts[2].contains(tip)


def test_weights_make_bigger_parts() -> None:
    weights = [1, 1, 2, 4]
    parts = split_polygon(L_WITH_HOLE, count=4, weights=weights)
    assert_exact_cover(L_WITH_HOLE, parts)
    total = area_m2(L_WITH_HOLE)
    for part, weight in zip(parts, weights, strict=True):
        assert area_m2(part) == pytest.approx(total * weight / sum(weights), rel=0.05)
    equal = split_polygon(CONVEX, count=5, weights=[1] * 5)
    assert_exact_cover(CONVEX, equal)
    for part in equal:
        assert area_m2(part) == pytest.approx(area_m2(CONVEX) / 5, rel=0.05)


def test_weights_with_fixed_seeds() -> None:
    seeds = [(LON0 + 300 * DLON, LAT0 + 300 * DLAT), (LON0 + 700 * DLON, LAT0 + 700 * DLAT)]
    parts = split_polygon(SQUARE_KM, seeds=seeds, weights=[3, 1])
    assert_exact_cover(SQUARE_KM, parts)
    assert area_m2(parts[0]) == pytest.approx(0.75 * area_m2(SQUARE_KM), rel=0.02)


def test_split_of_a_multipolygon_and_trivial_cases() -> None:
    parts = split_polygon(MULTI, count=3)
    assert len(parts) == 3
    assert_exact_cover(MULTI, parts)
    assert split_polygon(SQUARE_KM, count=1) == [SQUARE_KM]


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"count": 0},
        {"count": 2, "seeds": [(LON0, LAT0)]},
        {"count": 2, "weights": [1, -1]},
        {"count": 2, "weights": [1]},
        {"seeds": [(LON0 + 0.001, LAT0 + 0.001)] * 2},
        {"seeds": [(LON0 + 0.001, LAT0 + 0.001), (LON0 + 0.5, LAT0 + 0.5)]},
    ],
)
def test_split_rejects_bad_arguments(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        split_polygon(SQUARE_KM, **kwargs)
