"""LocateIndex: vectorized point-in-grid look-up agrees with the brute-force loop."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon, box

from gridgov.territory import locate
from gridgov.territory.generate import generate_grids
from gridgov.territory.locate import LocateIndex

LON0, LAT0 = 112.5, 33.0
COMMUNITY_CODE = "411302001001"
# About 1.7 km × 1.3 km with a bite out of the east side: ~200 grids of 10,000 m².
COMMUNITY = Polygon(
    [
        (LON0, LAT0),
        (LON0 + 0.018, LAT0),
        (LON0 + 0.018, LAT0 + 0.004),
        (LON0 + 0.012, LAT0 + 0.006),
        (LON0 + 0.018, LAT0 + 0.012),
        (LON0, LAT0 + 0.012),
    ]
)


@pytest.fixture(scope="module")
def grids() -> list:
    return generate_grids(COMMUNITY)


@pytest.fixture(scope="module")
def index(grids: list) -> LocateIndex:
    codes = [f"{COMMUNITY_CODE}{serial:03d}" for serial in range(1, len(grids) + 1)]
    # Load them in reverse: the lowest-code rule must not depend on the input order.
    return LocateIndex(codes[::-1], grids[::-1])


def test_agrees_with_brute_force_on_random_points(index: LocateIndex, grids: list) -> None:
    assert 150 <= len(grids) <= 250
    rng = np.random.default_rng(2024)
    minx, miny, maxx, maxy = COMMUNITY.bounds
    pad = 0.002  # points around the community too, so some fall outside
    lons = rng.uniform(minx - pad, maxx + pad, 2_000)
    lats = rng.uniform(miny - pad, maxy + pad, 2_000)
    found = index.locate_many(lons, lats)
    expected = [index.brute_force_locate(lon, lat) for lon, lat in zip(lons, lats, strict=True)]
    assert found.tolist() == expected
    inside = shapely.contains_xy(COMMUNITY, lons, lats)
    assert all(code is None for code in found[~inside])
    assert all(code is not None for code in found[inside])
    positions = index.locate_indices(lons, lats)
    assert positions.dtype == np.int64
    assert [index.codes[i] if i >= 0 else None for i in positions] == expected


def test_shared_vertices_go_to_the_lowest_code(index: LocateIndex, grids: list) -> None:
    """Lattice corners touch up to four grids; the lowest code of those wins."""
    array = np.array(grids, dtype=object)
    codes = [f"{COMMUNITY_CODE}{k + 1:03d}" for k in range(len(grids))]
    vertices = shapely.get_coordinates(array[:40])[::7]
    for lon, lat in vertices:
        touching = sorted(codes[k] for k in np.flatnonzero(shapely.intersects_xy(array, lon, lat)))
        assert touching, "a grid vertex lies on at least its own grid"
        assert index.locate(lon, lat) == touching[0]
    several = [
        (lon, lat) for lon, lat in vertices if shapely.intersects_xy(array, lon, lat).sum() > 1
    ]
    assert len(several) > 5, "the sample must include vertices shared by several grids"


def test_border_point_belongs_to_the_lower_code() -> None:
    west = box(LON0, LAT0, LON0 + 0.001, LAT0 + 0.001)
    east = box(LON0 + 0.001, LAT0, LON0 + 0.002, LAT0 + 0.001)
    index = LocateIndex(["411302001001002", "411302001001001"], [east, west])
    on_border = (LON0 + 0.001, LAT0 + 0.0005)
    assert index.locate(*on_border) == "411302001001001"
    assert index.brute_force_locate(*on_border) == "411302001001001"
    assert index.locate(LON0 + 0.0015, LAT0 + 0.0005) == "411302001001002"
    flipped = LocateIndex(["411302001001001", "411302001001002"], [east, west])
    assert flipped.locate(*on_border) == "411302001001001"
    assert flipped.locate(LON0 + 0.0015, LAT0 + 0.0005) == "411302001001001"


def test_overlap_goes_to_the_lower_code() -> None:
    big = box(LON0, LAT0, LON0 + 0.002, LAT0 + 0.002)
    small = box(LON0 + 0.0005, LAT0 + 0.0005, LON0 + 0.001, LAT0 + 0.001)
    index = LocateIndex(["411302001001009", "411302001001003"], [big, small])
    assert index.locate(LON0 + 0.0007, LAT0 + 0.0007) == "411302001001003"
    assert index.locate(LON0 + 0.0015, LAT0 + 0.0015) == "411302001001009"


def test_outside_empty_and_nan_inputs(index: LocateIndex) -> None:
    assert index.locate(LON0 - 1, LAT0) is None
    assert index.brute_force_locate(LON0 - 1, LAT0) is None
    empty = index.locate_many(np.array([]), np.array([]))
    assert empty.dtype == object and empty.shape == (0,)
    assert index.locate_indices(np.array([]), np.array([])).shape == (0,)
    result = index.locate_indices(np.array([math.nan, LON0 + 0.001]), np.array([LAT0, math.nan]))
    assert result.tolist() == [-1, -1]
    nothing = LocateIndex([], [])
    assert len(nothing) == 0
    assert nothing.locate_indices(np.array([LON0]), np.array([LAT0])).tolist() == [-1]
    assert nothing.locate(LON0, LAT0) is None


def test_large_inputs_are_chunked(index: LocateIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    minx, miny, maxx, maxy = COMMUNITY.bounds
    lons, lats = rng.uniform(minx, maxx, 5_000), rng.uniform(miny, maxy, 5_000)
    whole = index.locate_indices(lons, lats)
    monkeypatch.setattr(locate, "CHUNK", 777)
    assert np.array_equal(index.locate_indices(lons, lats), whole)


def test_bad_input_is_refused() -> None:
    cell = box(LON0, LAT0, LON0 + 0.001, LAT0 + 0.001)
    with pytest.raises(ValueError):
        LocateIndex(["411302001001001"], [cell, cell])
    with pytest.raises(ValueError):
        LocateIndex(["411302001001001", "411302001001001"], [cell, cell])
    index = LocateIndex(["411302001001001"], [cell])
    with pytest.raises(ValueError):
        index.locate_indices(np.array([LON0, LON0]), np.array([LAT0]))


def test_points_on_the_outer_edge_and_mixed_grid_sizes() -> None:
    # A big rural grid beside tiny urban ones: the lattice is sized by the typical grid,
    # and points on the extent's far east/north edge still find their grid.
    big = box(112.0, 33.0, 112.1, 33.1)
    small = [box(112.1 + i * 0.001, 33.0, 112.101 + i * 0.001, 33.001) for i in range(50)]
    codes = ["411302001200001"] + [f"411302001001{i + 1:03d}" for i in range(50)]
    index = LocateIndex(codes, [big, *small])
    east = 112.1 + 50 * 0.001
    probes = [(112.05, 33.05), (112.1005, 33.0005), (east, 33.0005), (112.05, 33.1), (112.0, 33.0)]
    for lon, lat in probes:
        assert index.locate(lon, lat) == index.brute_force_locate(lon, lat)
    assert index.locate(east, 33.0005) == "411302001001050"
    assert index.locate(112.05, 33.1) == "411302001200001"
