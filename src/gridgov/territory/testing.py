"""A small, fully drawn territory for tests: two districts, three townships,
four communities, four grids in each community. Boxes keep the geometry obvious."""

from __future__ import annotations

from pyproj import Geod
from shapely.geometry import box, mapping

from gridgov.territory import codes
from gridgov.territory.models import Region, TerritoryRevision

_GEOD = Geod(ellps="WGS84")

# code: (name, lon0, lat0, lon1, lat1)
TEST_TREE: dict[str, tuple[str, float, float, float, float]] = {
    "4113": ("南阳市", 112.40, 32.90, 112.60, 33.10),
    "411302": ("宛城区", 112.40, 32.90, 112.50, 33.10),
    "411303": ("卧龙区", 112.50, 32.90, 112.60, 33.10),
    "411302001": ("东关街道", 112.40, 33.00, 112.50, 33.10),
    "411302002": ("新华街道", 112.40, 32.90, 112.50, 33.00),
    "411303001": ("七一街道", 112.50, 32.90, 112.60, 33.10),
    "411302001001": ("河街社区", 112.40, 33.00, 112.45, 33.10),
    "411302001002": ("市场社区", 112.45, 33.00, 112.50, 33.10),
    "411302002001": ("新华社区", 112.40, 32.90, 112.50, 33.00),
    "411303001001": ("七一社区", 112.50, 32.90, 112.60, 33.10),
}


def _fields(lon0: float, lat0: float, lon1: float, lat1: float) -> dict:
    shape = box(lon0, lat0, lon1, lat1)
    area, _ = _GEOD.geometry_area_perimeter(shape)
    return {
        "geometry": {"type": "MultiPolygon", "coordinates": [mapping(shape)["coordinates"]]},
        "area_m2": abs(area),
        "centroid_lon": (lon0 + lon1) / 2,
        "centroid_lat": (lat0 + lat1) / 2,
        "min_lon": lon0,
        "min_lat": lat0,
        "max_lon": lon1,
        "max_lat": lat1,
    }


def build_test_territory() -> dict[str, Region]:
    """Create the tree and return every node by code. Grids are the four quadrants
    of each community, numbered west→east then north→south (NW=001, NE=002, SW=003, SE=004)."""
    nodes: dict[str, Region] = {}
    for code, (name, *box_bounds) in TEST_TREE.items():
        parent = nodes.get(codes.parent_code(code) or "")
        nodes[code] = Region.objects.create(
            code=code,
            name=name,
            level=codes.level_of(code),
            kind=codes.kind_of(code),
            parent=parent,
            source="test",
            **_fields(*box_bounds),
        )
    for code, (name, lon0, lat0, lon1, lat1) in TEST_TREE.items():
        if len(code) != 12:
            continue
        mid_lon, mid_lat = (lon0 + lon1) / 2, (lat0 + lat1) / 2
        quadrants = [
            (lon0, mid_lat, mid_lon, lat1),
            (mid_lon, mid_lat, lon1, lat1),
            (lon0, lat0, mid_lon, mid_lat),
            (mid_lon, lat0, lon1, mid_lat),
        ]
        for serial, bounds in enumerate(quadrants, start=1):
            grid = codes.grid_code(code, serial)
            nodes[grid] = Region.objects.create(
                code=grid,
                name=f"{name}第{serial}网格",
                level=codes.GRID,
                kind="grid",
                parent=nodes[code],
                source="test",
                **_fields(*bounds),
            )
    TerritoryRevision.objects.update_or_create(pk=1, defaults={"revision": 1})
    return nodes
