"""Geometry helpers: parsing, repair, areas, projections and sibling checks (pure, no DB)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import GeometryCollection, LineString, MultiPolygon, Point, Polygon, box

from gridgov.territory.generate import generate_grids
from gridgov.territory.geometry import (
    area_m2,
    bbox,
    centroid,
    equal_area_transformers,
    geojson_from_shape,
    project,
    repair,
    shape_from_geojson,
    sibling_issues,
    to_multipolygon,
)

# A community-sized box in Wancheng district, Nanyang (about 930 m × 1110 m).
LON0, LAT0 = 112.5, 33.0
COMMUNITY = box(LON0, LAT0, LON0 + 0.01, LAT0 + 0.01)


def _quadrants(geom: Polygon) -> dict[str, Polygon]:
    minx, miny, maxx, maxy = geom.bounds
    midx, midy = (minx + maxx) / 2, (miny + maxy) / 2
    return {
        "001": box(minx, midy, midx, maxy),
        "002": box(midx, midy, maxx, maxy),
        "003": box(minx, miny, midx, midy),
        "004": box(midx, miny, maxx, midy),
    }


# --- GeoJSON -----------------------------------------------------------------------------------


def test_shape_from_geojson_accepts_polygon_multipolygon_and_feature() -> None:
    ring = [[LON0, LAT0], [LON0 + 0.01, LAT0], [LON0 + 0.01, LAT0 + 0.01], [LON0, LAT0]]
    polygon = shape_from_geojson({"type": "Polygon", "coordinates": [ring]})
    multi = shape_from_geojson({"type": "MultiPolygon", "coordinates": [[ring]]})
    feature = shape_from_geojson(
        {
            "type": "Feature",
            "properties": {"gb": "156411302"},
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        }
    )
    assert isinstance(polygon, Polygon)
    assert isinstance(multi, MultiPolygon)
    assert polygon.equals(feature)
    assert polygon.equals(multi)


@pytest.mark.parametrize(
    "obj",
    [
        {"type": "Point", "coordinates": [LON0, LAT0]},
        {"type": "Feature", "geometry": None},
        {"type": "Polygon", "coordinates": "nonsense"},
    ],
)
def test_shape_from_geojson_rejects_non_areas(obj: dict) -> None:
    with pytest.raises(ValueError):
        shape_from_geojson(obj)


def test_to_multipolygon_wraps_polygons_and_drops_lines_and_points() -> None:
    assert to_multipolygon(COMMUNITY).geom_type == "MultiPolygon"
    mixed = GeometryCollection(
        [COMMUNITY, LineString([(0, 0), (1, 1)]), Point(3, 3), MultiPolygon([box(5, 5, 6, 6)])]
    )
    result = to_multipolygon(mixed)
    assert len(result.geoms) == 2
    assert result.area == pytest.approx(COMMUNITY.area + 1)
    assert to_multipolygon(LineString([(0, 0), (1, 1)])).is_empty


def test_geojson_is_a_ccw_multipolygon_and_round_trips() -> None:
    clockwise = Polygon(list(COMMUNITY.exterior.coords)[::-1])
    data = geojson_from_shape(clockwise)
    assert data["type"] == "MultiPolygon"
    exterior = data["coordinates"][0][0]
    assert Polygon(exterior).exterior.is_ccw
    assert shape_from_geojson(data).equals(COMMUNITY)


def test_geojson_rounding_keeps_shared_borders_identical() -> None:
    # Two neighbours sharing a border with vertices at full float precision.
    shared = [(112.512345678912, 33.0), (112.51234567891, 33.004567891234), (112.512345679, 33.01)]
    west = Polygon([(LON0, LAT0), *shared, (LON0, LAT0 + 0.01)])
    east = Polygon([*shared, (112.52, 33.01), (112.52, 33.0)])
    west_json, east_json = geojson_from_shape(west), geojson_from_shape(east)
    west_pts = {tuple(p) for p in west_json["coordinates"][0][0]}
    east_pts = {tuple(p) for p in east_json["coordinates"][0][0]}
    assert {tuple(np.round(p, 7)) for p in shared} <= west_pts & east_pts
    a, b = shape_from_geojson(west_json), shape_from_geojson(east_json)
    assert a.intersection(b).area == 0
    assert a.union(b).geom_type == "Polygon"
    for value in (c for ring in west_json["coordinates"][0] for p in ring for c in p):
        assert value == round(value, 7)


def test_geojson_keeps_holes_and_all_parts() -> None:
    holed = COMMUNITY.difference(box(LON0 + 0.002, LAT0 + 0.002, LON0 + 0.004, LAT0 + 0.004))
    multi = MultiPolygon([holed, box(LON0 + 0.02, LAT0, LON0 + 0.03, LAT0 + 0.01)])
    data = geojson_from_shape(multi)
    assert len(data["coordinates"]) == 2
    assert len(data["coordinates"][0]) == 2  # exterior + hole
    assert shape_from_geojson(data).equals(multi)


# --- repair ------------------------------------------------------------------------------------


def test_repair_returns_valid_geometry_unchanged() -> None:
    fixed, reason = repair(COMMUNITY)
    assert fixed is COMMUNITY
    assert reason is None


def test_repair_bowtie_keeps_both_triangles() -> None:
    bowtie = Polygon(
        [(LON0, LAT0), (LON0 + 0.01, LAT0 + 0.01), (LON0 + 0.01, LAT0), (LON0, LAT0 + 0.01)]
    )
    assert not bowtie.is_valid
    fixed, reason = repair(bowtie)
    assert fixed is not None and fixed.is_valid
    assert fixed.geom_type == "MultiPolygon" and len(fixed.geoms) == 2
    assert reason == "self-intersection repaired"
    assert area_m2(fixed) == pytest.approx(area_m2(COMMUNITY) / 2, rel=1e-3)


def test_repair_rejects_zero_area_and_non_polygons() -> None:
    flat = Polygon([(LON0, LAT0), (LON0 + 0.01, LAT0 + 0.01), (LON0 + 0.02, LAT0 + 0.02)])
    exact = Polygon([(LON0, LAT0), (LON0, LAT0 + 0.25), (LON0, LAT0 + 0.5)])
    fixed, reason = repair(exact)  # invalid for GEOS: nothing left after make_valid
    assert fixed is None
    assert reason is not None and reason.endswith("no area left")
    # Collinear up to float noise is "valid", but still no area in the lon/lat plane.
    assert repair(flat) == (None, "zero area")
    assert repair(LineString([(LON0, LAT0), (LON0 + 1, LAT0)]))[0] is None
    assert repair(Polygon()) == (None, "empty geometry")
    assert repair(None) == (None, "empty geometry")


def test_repair_drops_a_spike_but_keeps_the_area() -> None:
    spiked = Polygon(
        [(LON0, LAT0), (LON0 + 0.01, LAT0), (LON0 + 0.01, LAT0 + 0.01),
         (LON0 + 0.02, LAT0 + 0.02), (LON0 + 0.01, LAT0 + 0.01), (LON0, LAT0 + 0.01)]
    )  # fmt: skip
    fixed, reason = repair(spiked)
    assert fixed is not None and fixed.is_valid and fixed.geom_type == "Polygon"
    assert reason is not None and reason.endswith("repaired")
    assert area_m2(fixed) == pytest.approx(area_m2(COMMUNITY), rel=1e-9)


# --- areas and projections ---------------------------------------------------------------------


def test_area_of_a_box_matches_pyproj() -> None:
    expected = abs(Geod(ellps="WGS84").geometry_area_perimeter(COMMUNITY)[0])
    assert area_m2(COMMUNITY) == pytest.approx(expected, rel=1e-12)
    # About 933 m × 1109 m at 33°N.
    assert area_m2(COMMUNITY) == pytest.approx(1_036_380, rel=1e-4)


def test_area_is_orientation_proof_and_subtracts_holes() -> None:
    ccw = box(LON0, LAT0, LON0 + 0.01, LAT0 + 0.01)
    cw = Polygon(list(box(LON0 + 0.02, LAT0, LON0 + 0.03, LAT0 + 0.01).exterior.coords)[::-1])
    multi = MultiPolygon([ccw, cw])
    assert area_m2(multi) == pytest.approx(area_m2(ccw) + area_m2(cw), rel=1e-9)
    hole = box(LON0 + 0.002, LAT0 + 0.002, LON0 + 0.004, LAT0 + 0.004)
    assert area_m2(ccw.difference(hole)) == pytest.approx(area_m2(ccw) - area_m2(hole), rel=1e-9)
    assert area_m2(LineString([(LON0, LAT0), (LON0 + 1, LAT0)])) == 0


def test_equal_area_projection_preserves_area_and_centres_on_the_geometry() -> None:
    forward, inverse = equal_area_transformers(COMMUNITY)
    projected = project(COMMUNITY, forward)
    assert projected.area == pytest.approx(area_m2(COMMUNITY), rel=1e-6)
    cx, cy = project(Point(centroid(COMMUNITY)), forward).coords[0]
    assert abs(cx) < 1e-6 and abs(cy) < 1e-6
    back = project(projected, inverse)
    assert shapely.hausdorff_distance(back, COMMUNITY) < 1e-7  # < 1 cm
    many = project(np.array([COMMUNITY, box(LON0, LAT0, LON0 + 0.001, LAT0 + 0.001)]), forward)
    assert len(many) == 2 and many[0].equals(projected)


def test_centroid_falls_back_inside_u_shapes_and_bbox() -> None:
    u_shape = box(LON0, LAT0, LON0 + 0.03, LAT0 + 0.03).difference(
        box(LON0 + 0.01, LAT0 + 0.005, LON0 + 0.02, LAT0 + 0.03)
    )
    lon, lat = centroid(u_shape)
    assert u_shape.intersects(Point(lon, lat))
    assert centroid(COMMUNITY) == pytest.approx((LON0 + 0.005, LAT0 + 0.005))
    assert bbox(COMMUNITY) == pytest.approx((LON0, LAT0, LON0 + 0.01, LAT0 + 0.01))


# --- sibling checks ----------------------------------------------------------------------------


def test_a_clean_tiling_has_no_issues() -> None:
    assert sibling_issues(_quadrants(COMMUNITY), COMMUNITY) == []


def test_overlap_gap_and_outside_are_reported_with_areas() -> None:
    grids = _quadrants(COMMUNITY)
    minx, miny, maxx, maxy = grids["001"].bounds
    grids["001"] = box(minx, miny - 0.001, maxx, maxy)  # into 003: about 470 m × 111 m
    del grids["004"]  # a quarter left uncovered
    grids["002"] = box(*grids["002"].bounds[:2], LON0 + 0.011, LAT0 + 0.01)  # 93 m past the east
    issues = sibling_issues(grids, COMMUNITY)
    kinds = [issue["kind"] for issue in issues]
    assert kinds == ["overlap", "gap", "outside"]
    overlap, gap, outside = issues
    assert overlap["names"] == ["001", "003"]
    assert overlap["area_m2"] == pytest.approx(
        area_m2(box(minx, miny - 0.001, maxx, miny)), rel=1e-3
    )
    assert gap["area_m2"] == pytest.approx(area_m2(COMMUNITY) / 4, rel=1e-3)
    assert COMMUNITY.intersects(Point(gap["point"]))
    assert outside["names"] == ["002"]
    expected = area_m2(box(LON0 + 0.01, LAT0 + 0.005, LON0 + 0.011, LAT0 + 0.01))
    assert outside["area_m2"] == pytest.approx(expected, rel=1e-3)
    assert outside["geometry"].geom_type == "MultiPolygon"


def test_overlaps_below_tolerance_are_ignored_and_no_parent_is_fine() -> None:
    grids = _quadrants(COMMUNITY)
    minx, miny, maxx, maxy = grids["001"].bounds
    grids["001"] = box(minx, miny - 1e-6, maxx, maxy)  # ~0.1 m × 470 m ≈ 52 m²
    assert sibling_issues(grids, tolerance_m2=100) == []
    assert [i["kind"] for i in sibling_issues(grids)] == ["overlap"]
    assert sibling_issues({}) == []


def test_sibling_check_of_500_generated_grids_is_clean() -> None:
    side = 0.025  # ≈ 2.3 km × 2.3 km → about 540 grids
    community = box(LON0, LAT0, LON0 + side, LAT0 + side * math.cos(math.radians(33)))
    grids = generate_grids(community)
    assert len(grids) > 500
    named = {f"{i + 1:03d}": g for i, g in enumerate(grids)}
    assert sibling_issues(named, community) == []
