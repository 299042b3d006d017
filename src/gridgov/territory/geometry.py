"""Pure geometry helpers for territory polygons (no Django).

Coordinates are lon/lat on WGS84 / CGCS2000 (the two differ by centimetres, far below what
grid drawing cares about). Areas are true areas in m²: either geodesic (`area_m2`) or planar in a
Lambert azimuthal equal-area projection (`equal_area_transformers`), which preserves area exactly
and is therefore the right space for cutting grids of a given size.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal, TypeVar

import numpy as np
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

__all__ = [
    "area_m2",
    "bbox",
    "centroid",
    "equal_area_transformers",
    "geojson_from_shape",
    "project",
    "repair",
    "shape_from_geojson",
    "sibling_issues",
    "to_multipolygon",
]

_GEOD = Geod(ellps="WGS84")
T = TypeVar("T")  # a shapely geometry or an object array of them
Direction = Literal["FORWARD", "INVERSE"]
_POLYGONAL = ("Polygon", "MultiPolygon")
# Below this a "polygon" is a line drawn with floating-point noise (1 mm × 1 m), not an area.
_ZERO_AREA_M2 = 1e-3


def shape_from_geojson(obj: Mapping[str, Any]) -> Polygon | MultiPolygon:
    """Read a GeoJSON Polygon/MultiPolygon geometry, or a Feature holding one.

    Territory boundaries are always areas, so anything else is refused here rather than failing
    later in an overlay with an obscure GEOS error.
    """
    if not isinstance(obj, Mapping):
        raise ValueError("GeoJSON must be an object")
    if obj.get("type") == "Feature":
        geometry = obj.get("geometry")
        if not isinstance(geometry, Mapping):
            raise ValueError("GeoJSON Feature has no geometry")
        obj = geometry
    kind = obj.get("type")
    if kind not in _POLYGONAL:
        raise ValueError(f"expected a Polygon or MultiPolygon, got {kind!r}")
    try:
        geom = shapely.geometry.shape(obj)
    except (KeyError, TypeError, ValueError, IndexError, shapely.errors.GEOSException) as exc:
        raise ValueError(f"malformed {kind} coordinates: {exc}") from exc
    assert isinstance(geom, Polygon | MultiPolygon)
    return geom


def _polygon_parts(geom: BaseGeometry | None) -> list[Polygon]:
    """Non-empty polygons inside any geometry, collections flattened."""
    if geom is None or geom.is_empty:
        return []
    if isinstance(geom, Polygon):
        return [geom]
    if isinstance(geom, MultiPolygon):
        return [p for p in geom.geoms if not p.is_empty]
    if hasattr(geom, "geoms"):  # GeometryCollection (possibly nested)
        return [p for part in geom.geoms for p in _polygon_parts(part)]
    return []


def to_multipolygon(geom: BaseGeometry | None) -> MultiPolygon:
    """Normalise to a MultiPolygon so storage and overlays see one type.

    Overlays of polygons can return GeometryCollections with stray lines or points along
    shared borders; those have no area and are dropped.
    """
    if isinstance(geom, MultiPolygon):
        return geom
    return MultiPolygon(_polygon_parts(geom))


def geojson_from_shape(geom: BaseGeometry, precision: int = 7) -> dict[str, Any]:
    """Write a MultiPolygon GeoJSON dict, exterior rings counter-clockwise (RFC 7946).

    Each coordinate is rounded on its own value (1e-7 degree ≈ 1 cm), so a vertex shared by two
    neighbouring polygons is written identically in both and shared borders stay shared.
    Consecutive vertices that collapse onto each other are dropped.
    """
    multi = shapely.orient_polygons(to_multipolygon(geom), exterior_cw=False)
    polygons: list[list[list[list[float]]]] = []
    for poly in multi.geoms:
        rings: list[list[list[float]]] = []
        for index, ring in enumerate([poly.exterior, *poly.interiors]):
            coords = np.round(shapely.get_coordinates(ring), precision)
            if len(coords):
                keep = np.ones(len(coords), dtype=bool)
                keep[1:] = np.any(coords[1:] != coords[:-1], axis=1)
                coords = coords[keep]
            if len(coords) < 4:  # collapsed below the precision
                if index == 0:
                    break
                continue
            rings.append(coords.tolist())
        if rings:
            polygons.append(rings)
    return {"type": "MultiPolygon", "coordinates": polygons}


def _reason_text(geom: BaseGeometry) -> str:
    """Turn GEOS's 'Self-intersection[x y]' into 'self-intersection repaired'."""
    reason = shapely.is_valid_reason(geom) or "invalid geometry"
    return reason.split("[", 1)[0].strip().lower() + " repaired"


def repair(geom: BaseGeometry | None) -> tuple[Polygon | MultiPolygon | None, str | None]:
    """Return a valid polygonal geometry and why it had to change (None if it did not).

    Survey and hand-drawn boundaries often contain bow-ties and spikes; `make_valid` with the
    "structure" method keeps the area the author meant. Lines and points left over are dropped.
    `(None, reason)` means nothing with an area remains and the input must be rejected.
    """
    if geom is None or geom.is_empty:
        return None, "empty geometry"
    if geom.is_valid:
        if geom.geom_type not in _POLYGONAL:
            return None, f"not polygonal ({geom.geom_type})"
        if _lonlat_plane_m2(geom) < _ZERO_AREA_M2:
            return None, "zero area"
        assert isinstance(geom, Polygon | MultiPolygon)
        return geom, None
    reason = _reason_text(geom)
    fixed = shapely.make_valid(geom, method="structure", keep_collapsed=False)
    parts = _polygon_parts(fixed)
    if not parts:
        return None, f"{reason.removesuffix(' repaired')}: no area left"
    result: Polygon | MultiPolygon = parts[0] if len(parts) == 1 else MultiPolygon(parts)
    if _lonlat_plane_m2(result) < _ZERO_AREA_M2:
        return None, f"{reason.removesuffix(' repaired')}: no area left"
    return result, reason


def _lonlat_plane_m2(geom: BaseGeometry) -> float:
    """Area as drawn in the lon/lat plane, roughly in m².

    Degeneracy is a property of the stored coordinates: three collinear lon/lat points are a
    line, even though the geodesic triangle through them encloses real area.
    """
    lat = (geom.bounds[1] + geom.bounds[3]) / 2
    return float(geom.area) * 111_320.0**2 * max(math.cos(math.radians(lat)), 1e-6)


def area_m2(geom: BaseGeometry) -> float:
    """Geodesic area on the WGS84 ellipsoid in m².

    pyproj sums signed ring areas, so rings are oriented first: otherwise the parts of a
    MultiPolygon drawn in opposite directions would cancel out.
    """
    polygonal = shapely.orient_polygons(to_multipolygon(geom), exterior_cw=False)
    if polygonal.is_empty:
        return 0.0
    area, _perimeter = _GEOD.geometry_area_perimeter(polygonal)
    return abs(float(area))


def equal_area_transformers(geom: BaseGeometry) -> tuple[Transformer, Transformer]:
    """(forward, inverse) lon/lat ↔ metres in a Lambert azimuthal equal-area projection.

    Centred on the geometry so distances and shapes are also nearly true at district scale.
    Built from a PROJ pipeline: ~40 µs instead of ~4 ms for a CRS-to-CRS transformer, which
    matters when every generated community gets its own projection. Axis order is lon, lat.
    Note that PROJ's ellipsoidal inverse is accurate to about 1 mm, so callers that must keep
    input vertices bit-exact should do their overlays in lon/lat.
    """
    lon, lat = centroid(geom)
    laea = f"+proj=laea +lat_0={lat!r} +lon_0={lon!r} +x_0=0 +y_0=0 +ellps=WGS84"
    forward = Transformer.from_pipeline(
        f"+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad +step {laea}"
    )
    inverse = Transformer.from_pipeline(
        f"+proj=pipeline +step +inv {laea} +step +proj=unitconvert +xy_in=rad +xy_out=deg"
    )
    return forward, inverse


def project(geom: T, transformer: Transformer, direction: Direction = "FORWARD") -> T:
    """Transform a geometry (or an array of them) with one vectorized pyproj call."""

    def _apply(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1], direction=direction)
        return np.column_stack((x, y))

    return shapely.transform(geom, _apply)


def centroid(geom: BaseGeometry) -> tuple[float, float]:
    """A label point: the centroid, or a point surely inside when the centroid is not (U shapes)."""
    if geom.is_empty:
        raise ValueError("empty geometry has no centroid")
    point = geom.centroid
    if not geom.intersects(point):
        point = geom.representative_point()
    return float(point.x), float(point.y)


def bbox(geom: BaseGeometry) -> tuple[float, float, float, float]:
    """(minx, miny, maxx, maxy), i.e. (west, south, east, north) in lon/lat."""
    minx, miny, maxx, maxy = geom.bounds
    return float(minx), float(miny), float(maxx), float(maxy)


def _issue(kind: str, names: list[str], piece: BaseGeometry, area: float) -> dict[str, Any]:
    point = piece.representative_point()
    return {
        "kind": kind,
        "names": names,
        "area_m2": float(area),
        "point": (float(point.x), float(point.y)),
        "geometry": to_multipolygon(piece),
    }


def sibling_issues(
    named_geoms: Mapping[str, BaseGeometry],
    parent_geom: BaseGeometry | None = None,
    tolerance_m2: float = 1.0,
) -> list[dict[str, Any]]:
    """Find overlaps between siblings, gaps in their parent and parts outside the parent.

    Grids must tile their community with no gaps or overlaps (domain §1). Each issue is a dict
    `{"kind": "overlap"|"gap"|"outside", "names": [...], "area_m2", "point": (lon, lat),
    "geometry"}` with geometry and point in lon/lat. Only pieces larger than `tolerance_m2`
    count, so floating-point noise is not reported; a gap is reported per connected piece so
    each can be found on the map.

    Overlays run on the lon/lat coordinates as stored: projecting first would bend straight
    lon/lat edges differently depending on their vertices and invent slivers of several m²
    along borders that match exactly. Only the resulting pieces are projected (equal-area,
    vectorized) to measure them. An STRtree limits the work to neighbouring pairs, so 500
    siblings take milliseconds.
    """
    names = list(named_geoms)
    if not names and parent_geom is None:
        return []
    geoms = np.array([to_multipolygon(named_geoms[name]) for name in names], dtype=object)
    reference = parent_geom
    if reference is None:
        reference = shapely.box(*shapely.total_bounds(geoms))
    forward, _inverse = equal_area_transformers(reference)

    def measure(pieces: np.ndarray) -> np.ndarray:
        return np.asarray(shapely.area(project(pieces, forward)), dtype=float)

    issues: list[dict[str, Any]] = []
    if len(names) > 1:
        tree = shapely.STRtree(geoms)
        left, right = tree.query(geoms, predicate="intersects")
        keep = left < right
        left, right = left[keep], right[keep]
        # Neighbours sharing only a border "touch"; only interiors meeting can have area.
        interior = ~shapely.touches(geoms[left], geoms[right])
        left, right = left[interior], right[interior]
        overlaps = shapely.intersection(geoms[left], geoms[right])
        areas = measure(overlaps)
        found = sorted(
            (tuple(sorted((names[i], names[j]))), k)
            for k, (i, j) in enumerate(zip(left, right, strict=True))
            if areas[k] > tolerance_m2
        )
        for pair, k in found:
            issues.append(_issue("overlap", list(pair), overlaps[k], areas[k]))

    if parent_geom is not None:
        parent = to_multipolygon(parent_geom)
        covered = shapely.union_all(geoms) if len(names) else MultiPolygon()
        gaps = np.array(_polygon_parts(parent.difference(covered)), dtype=object)
        if len(gaps):
            gap_areas = measure(gaps)
            for g in np.argsort(-gap_areas, kind="stable"):
                if gap_areas[g] > tolerance_m2:
                    issues.append(_issue("gap", [], gaps[g], gap_areas[g]))
        shapely.prepare(parent)
        outside_idx = np.flatnonzero(~shapely.covers(parent, geoms))
        if len(outside_idx):
            outside = shapely.difference(geoms[outside_idx], parent)
            outside_areas = measure(outside)
            for i, child in sorted(enumerate(outside_idx), key=lambda t: names[t[1]]):
                if outside_areas[i] > tolerance_m2:
                    issues.append(_issue("outside", [names[child]], outside[i], outside_areas[i]))
    return issues
