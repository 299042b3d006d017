"""Division and grid code rules (domain §1)."""

from __future__ import annotations

import pytest

from gridgov.core.errors import InvalidInput
from gridgov.territory import codes


@pytest.mark.parametrize(
    ("code", "level"),
    [("4113", 2), ("411302", 3), ("411302001", 4), ("411302001001", 5), ("411302001001003", 6)],
)
def test_level_comes_from_the_length(code: str, level: int) -> None:
    assert codes.level_of(code) == level


@pytest.mark.parametrize("code", ["41130", "4113020010", "41", "4113020010010031"])
def test_other_lengths_are_refused(code: str) -> None:
    with pytest.raises(InvalidInput) as err:
        codes.level_of(code)
    assert err.value.details["fields"]["code"]


@pytest.mark.parametrize("code", ["41a3", "4113 ", "", "４１１３", "-113"])
def test_only_ascii_digits(code: str) -> None:
    with pytest.raises(InvalidInput):
        codes.check(code)


def test_parent_is_the_prefix_and_ancestors_are_all_prefixes() -> None:
    assert codes.parent_code("411302001001003") == "411302001001"
    assert codes.parent_code("4113") is None
    assert codes.ancestor_codes("411302001001003") == [
        "4113",
        "411302",
        "411302001",
        "411302001001",
    ]


def test_validate_code_checks_length_prefix_and_zero_digits() -> None:
    codes.validate_code("411302001", codes.TOWNSHIP, "411302")
    with pytest.raises(InvalidInput, match="does not start"):
        codes.validate_code("411303001", codes.TOWNSHIP, "411302")
    with pytest.raises(InvalidInput, match="digits at this level"):
        codes.validate_code("41130201", codes.TOWNSHIP, "411302")
    with pytest.raises(InvalidInput, match="only zeros"):
        codes.validate_code("411302000", codes.TOWNSHIP, "411302")


def test_a_city_without_counties_has_county_00() -> None:
    # 东莞 441900: its townships hang right under the city, which is their county too.
    assert codes.check("441900") == (codes.COUNTY, "4419", "undivided_city")
    assert codes.check("441900003")[2] == "street"


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("4113", "city"),
        ("1521", "prefecture"),  # 21–50: prefectures and leagues
        ("4190", "city_direct"),
        ("411302", "district"),
        ("411321", "county"),
        ("411381", "county_city"),
        ("419001", "county_city"),  # 济源, under the province
        ("429021", "county"),  # 神农架林区: a county-level unit under the province
        ("411302001", "street"),
        ("411302099", "street"),
        ("411302100", "town"),
        ("411302199", "town"),
        ("411302200", "township"),
        ("411302399", "township"),
        ("411302400", "township_other"),
        ("411302001001", "community"),
        ("411302001199", "community"),
        ("411302001200", "village"),
        ("411302001350", "village"),
        ("411302001001003", "grid"),
    ],
)
def test_kinds_follow_the_digit_ranges(code: str, kind: str) -> None:
    assert codes.kind_of(code) == kind


def test_legacy_14_digit_grid_codes_become_15_digits() -> None:
    # 6 county + 3 street + 3 community + 2 serial (CJ/T 213-2005): the serial widens.
    assert codes.normalize_grid_code("41130200100107") == "411302001001007"
    assert codes.normalize_grid_code(" 411302001001007 ") == "411302001001007"
    with pytest.raises(InvalidInput):
        codes.normalize_grid_code("4113020010010")
    with pytest.raises(InvalidInput):
        codes.normalize_grid_code("4113020010010x")


def test_grid_code_serials() -> None:
    assert codes.grid_code("411302001001", 7) == "411302001001007"
    with pytest.raises(InvalidInput):
        codes.grid_code("411302001001", 1000)


def test_covering_code_is_the_deepest_shared_node() -> None:
    assert codes.covering_code({"411302001001001", "411302001002004"}) == "411302001"
    assert codes.covering_code({"411302", "411303001"}) == "4113"
    assert codes.covering_code({"411302001"}) == "411302001"
    assert codes.covering_code({"4113", "4419"}) == ""
