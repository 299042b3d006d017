"""Division and grid code rules (GB/T 2260, statistical division codes, unit grid codes).

A code of a level is its parent's code plus its own digits, so every ancestor of a
place is a prefix of its code and roll-ups never need joins.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from gridgov.core.errors import InvalidInput

# Levels stored in the tree. The province (2 digits) is implied by the city code.
CITY, COUNTY, TOWNSHIP, COMMUNITY, GRID = 2, 3, 4, 5, 6
LEVELS = (CITY, COUNTY, TOWNSHIP, COMMUNITY, GRID)
CODE_LENGTH = {CITY: 4, COUNTY: 6, TOWNSHIP: 9, COMMUNITY: 12, GRID: 15}
LEVEL_BY_LENGTH = {length: level for level, length in CODE_LENGTH.items()}
LEVEL_LABELS: dict[int, Any] = {
    CITY: _("City"),
    COUNTY: _("County / district"),
    TOWNSHIP: _("Township / street"),
    COMMUNITY: _("Community / village"),
    GRID: _("Unit grid"),
}

KIND_LABELS: dict[str, Any] = {
    "city": _("City"),
    "prefecture": _("Prefecture / league"),
    "city_direct": _("Province-administered area"),
    "district": _("City district"),
    "county": _("County"),
    "county_city": _("County-level city"),
    "undivided_city": _("City without counties"),
    "street": _("Street"),
    "town": _("Town"),
    "township": _("Township"),
    "township_other": _("Other township-level area"),
    "community": _("Community"),
    "village": _("Village"),
    "grid": _("Unit grid"),
}

LEGACY_GRID_LENGTH = 14


def level_of(code: str) -> int:
    """The tree level a code belongs to, from its length."""
    validate_digits(code)
    try:
        return LEVEL_BY_LENGTH[len(code)]
    except KeyError:
        raise InvalidInput(
            _("Code %(code)s has %(n)d digits; expected 4, 6, 9, 12 or 15.")
            % {"code": code, "n": len(code)},
            fields={"code": _("wrong length")},
        ) from None


def validate_digits(code: str) -> None:
    if not code or not code.isascii() or not code.isdigit():
        raise InvalidInput(
            _("Code %(code)r must contain digits only.") % {"code": code},
            fields={"code": _("digits only")},
        )


def parent_code(code: str) -> str | None:
    """The parent's code: the code cut to the previous level's length."""
    level = level_of(code)
    if level == CITY:
        return None
    return code[: CODE_LENGTH[level - 1]]


def ancestor_codes(code: str) -> list[str]:
    """All ancestors from the city down, not including the code itself."""
    level = level_of(code)
    return [code[: CODE_LENGTH[lv]] for lv in LEVELS if lv < level]


def validate_code(code: str, level: int, parent: str | None = None) -> None:
    """Digits only, the right length for the level, and the parent's code as prefix."""
    validate_digits(code)
    expected = CODE_LENGTH[level]
    if len(code) != expected:
        raise InvalidInput(
            _("Code %(code)s must have %(n)d digits at this level.")
            % {"code": code, "n": expected},
            fields={"code": _("wrong length")},
        )
    own = code[CODE_LENGTH[level - 1] :] if level > CITY else code[2:]
    # A county "00" is a city without counties (东莞 441900): its townships hang
    # directly under the city, and the city itself stands in as their county.
    if set(own) == {"0"} and level != COUNTY:
        raise InvalidInput(
            _("Code %(code)s has only zeros in its own digits.") % {"code": code},
            fields={"code": _("own digits are zero")},
        )
    if parent is not None and not code.startswith(parent):
        raise InvalidInput(
            _("Code %(code)s does not start with its parent's code %(parent)s.")
            % {"code": code, "parent": parent},
            fields={"code": _("parent prefix")},
        )


def kind_of(code: str) -> str:
    """The kind of place a code denotes, from the digit ranges of domain §1."""
    level = level_of(code)
    if level == CITY:
        digits = int(code[2:4])
        if digits == 90:
            return "city_direct"
        return "prefecture" if 21 <= digits <= 50 else "city"
    if level == COUNTY:
        digits = int(code[4:6])
        if digits == 0:
            return "undivided_city"
        if code[2:4] == "90":  # e.g. 419001 济源: county-level units under the province
            return "county_city" if digits <= 20 else "county"
        if digits <= 20:
            return "district"
        return "county" if digits <= 80 else "county_city"
    if level == TOWNSHIP:
        digits = int(code[6:9])
        if digits < 100:
            return "street"
        if digits < 200:
            return "town"
        if digits < 400:
            return "township"
        return "township_other"
    if level == COMMUNITY:
        return "community" if int(code[9:12]) < 200 else "village"
    return "grid"


def normalize_grid_code(code: str) -> str:
    """Accept a 15-digit grid code or the 14-digit CJ/T 213-2005 form and return 15 digits.

    The legacy form is 6 county + 3 street + 3 community + 2 serial; the serial
    widens to three digits.
    """
    code = (code or "").strip()
    validate_digits(code)
    if len(code) == CODE_LENGTH[GRID]:
        return code
    if len(code) == LEGACY_GRID_LENGTH:
        return code[:12] + "0" + code[12:]
    raise InvalidInput(
        _("Grid code %(code)s must have 15 digits (or 14 in the legacy form).") % {"code": code},
        fields={"code": _("wrong length")},
    )


def grid_code(community_code: str, serial: int) -> str:
    if not 1 <= serial <= 999:
        raise InvalidInput(_("Grid serial must be between 1 and 999."), fields={"serial": "1-999"})
    return f"{community_code}{serial:03d}"


def check(code: str) -> tuple[int, str | None, str]:
    """Validate a code on its own and return (level, parent code, kind)."""
    level = level_of(code)
    parent = parent_code(code)
    validate_code(code, level, parent)
    return level, parent, kind_of(code)


def covering_code(codes: list[str] | set[str]) -> str:
    """The deepest node code that is a prefix of every code given ("" when they span
    several cities): where a bulk change is filed in the audit trail."""
    if not codes:
        return ""
    shared = min(codes, key=len)
    for code in codes:
        while not code.startswith(shared):
            shared = shared[:-1]
    for length in sorted(LEVEL_BY_LENGTH, reverse=True):
        if len(shared) >= length:
            return shared[:length]
    return ""
