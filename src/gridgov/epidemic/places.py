"""Names of division codes anywhere in China, and the places a resident can pick.

From the Ministry of Civil Affairs table the territory app already reads
(``territory.divisions.division_table``): provinces, prefecture cities, counties and
townships. Codes are ours in full at their own length (``41`` Henan, ``4113`` Nanyang,
``411302`` Wancheng); the table pads provinces and cities with zeros (``410000``).
"""

from __future__ import annotations

from functools import cache

from gridgov.territory.divisions import division_table


def _short(code: str, level: int) -> str:
    """A table code at its own length: province 2, city 4, county 6, township 9."""
    return {1: code[:2], 2: code[:4]}.get(level, code)


@cache
def _names() -> dict[str, str]:
    return {_short(code, level): name for level, code, _parent, name in division_table()}


def division_name(code: str) -> str:
    """The place's name with its parents (``河南省南阳市宛城区``), or "" when unknown."""
    names = _names()
    parts = [names[code[:n]] for n in (2, 4, 6, 9) if n <= len(code) and code[:n] in names]
    if code not in names:
        return ""
    # A municipality's districts and a province's county-level cities have no city row.
    return "".join(dict.fromkeys(parts))


@cache
def travel_choices() -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """Places a resident picks where they came from: per province, its cities (4-digit
    codes), its county-level units directly under the province, or — for municipalities
    without cities — the province itself."""
    provinces: dict[str, str] = {}
    members: dict[str, list[tuple[str, str]]] = {}
    for level, code, _parent, name in division_table():
        if level == 1:
            provinces[code[:2]] = name
            members.setdefault(code[:2], [])
        elif level == 2 or (level == 3 and code[2:4] == "90"):
            members.setdefault(code[:2], []).append((_short(code, level), name))
    return tuple(
        (name, tuple(members.get(prefix) or [(prefix, name)]))
        for prefix, name in sorted(provinces.items())
    )
