"""Responsibility matching: the most specific active row wins, inactive rows and
departments are passed over, the class's default department serves where it reaches, and
otherwise nobody (the unassigned queue)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridgov.cases.queries import catalogue as queries
from gridgov.cases.tests.catalogue_fixtures import (
    CITY,
    COMMUNITY,
    COUNTY,
    GRID,
    SIBLING_GRID,
    TOWNSHIP,
    Catalogue,
    cat,
    english,
    minor,
)

__all__ = ["cat", "english"]

pytestmark = pytest.mark.django_db


def test_the_longest_prefix_wins(cat: Catalogue) -> None:
    cat.rule("E0102", CITY, cat.city_dept)
    county = cat.rule("E0102", COUNTY, cat.county_dept)
    garbage = minor("E0102")

    match = queries.explain_responsibility(garbage, GRID)
    assert (match.department, match.via, match.rule) == (cat.county_dept, "rule", county)
    # The sibling county has no row of its own: the city-wide row applies.
    assert queries.responsible_department(garbage, SIBLING_GRID) == cat.city_dept
    # A row on the grid itself beats both.
    grid_dept = cat.sibling_dept  # any department serving a node above the grid would do
    grid_dept.region = cat.city_dept.region
    grid_dept.save()
    cat.rule("E0102", GRID, grid_dept)
    assert queries.responsible_department(garbage, GRID) == grid_dept
    # Any territory code can be asked, not only a grid: the township inherits the county.
    assert queries.responsible_department(garbage, TOWNSHIP) == cat.county_dept


def test_rows_of_other_classes_do_not_count(cat: Catalogue) -> None:
    cat.rule("E0103", COUNTY, cat.county_dept)
    assert queries.responsible_department(minor("E0102"), GRID) is None


def test_an_inactive_row_is_ignored(cat: Catalogue) -> None:
    cat.rule("E0102", CITY, cat.city_dept)
    cat.rule("E0102", COUNTY, cat.county_dept, is_active=False)
    assert queries.responsible_department(minor("E0102"), GRID) == cat.city_dept


def test_a_row_of_an_inactive_department_is_passed_over(cat: Catalogue) -> None:
    cat.rule("E0102", CITY, cat.city_dept)
    cat.rule("E0102", COMMUNITY, cat.county_dept)
    cat.county_dept.is_active = False
    cat.county_dept.save()
    assert queries.responsible_department(minor("E0102"), GRID) == cat.city_dept


def test_the_default_department_takes_what_no_row_covers(cat: Catalogue) -> None:
    burst = minor("E0401")
    burst.default_department = cat.water
    burst.save()
    match = queries.explain_responsibility(burst, GRID)
    assert (match.department, match.via, match.rule) == (cat.water, "default", None)
    # Asked by id instead of an instance: the same answer.
    assert queries.responsible_department(burst.pk, GRID) == cat.water
    # A row still wins over the default.
    cat.rule("E0401", COUNTY, cat.county_dept)
    assert queries.responsible_department(burst, GRID) == cat.county_dept


def test_a_default_department_serves_only_its_own_territory(cat: Catalogue) -> None:
    burst = minor("E0401")
    burst.default_department = cat.county_dept  # serves 宛城区 only
    burst.save()
    assert queries.responsible_department(burst, GRID) == cat.county_dept
    assert queries.responsible_department(burst, SIBLING_GRID) is None


def test_an_inactive_default_department_is_no_answer(cat: Catalogue) -> None:
    burst = minor("E0401")
    burst.default_department = cat.water
    burst.save()
    cat.water.is_active = False
    cat.water.save()
    assert queries.explain_responsibility(burst, GRID) == queries.NO_MATCH


def test_nothing_matches_nobody_is_responsible(cat: Catalogue) -> None:
    match = queries.explain_responsibility(minor("E0601"), GRID)
    assert (match.department, match.via) == (None, "none")
    assert queries.responsible_department(None, GRID) is None


def _queries(call: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured)


def test_matching_costs_one_query(cat: Catalogue) -> None:
    """It runs on every filing: one indexed query when a row matches."""
    cat.rule("E0102", CITY, cat.city_dept)
    cat.rule("E0102", COUNTY, cat.county_dept)
    garbage = minor("E0102")
    assert _queries(lambda: queries.responsible_department(garbage, GRID)) == 1
    burst = minor("E0401")
    assert _queries(lambda: queries.responsible_department(burst, GRID)) == 1  # no default


def test_service_codes_name_usable_minor_classes() -> None:
    assert queries.get_class_by_service_code("C0102") == minor("C0102")
    assert queries.get_class_by_service_code("e0101") == minor("E0101")
    for bad in ("", "C01", "X0101", "C01a1", "C9999", "C０１０２"):
        assert queries.get_class_by_service_code(bad) is None, bad
    cover = minor("C0102")
    cover.parent.is_active = False
    cover.parent.save()
    assert queries.get_class_by_service_code("C0102") is None
    assert queries.get_class_by_service_code("C0102", include_inactive=True) == cover
    assert not queries.active_minor_classes("component").filter(code__startswith="01").exists()
    assert queries.active_minor_classes("event").filter(code="0101").exists()


def test_the_picker_tree_groups_active_minors_under_majors() -> None:
    tree = queries.picker_tree("event")
    assert [node.major.code for node in tree] == ["01", "02", "03", "04", "05", "06"]
    assert all(m.parent_id == node.major.pk for node in tree for m in node.minors)
    assert tree[0].minors[0].code == "0101"


def test_class_search_by_name_code_or_service_code(cat: Catalogue) -> None:
    def found(q: str) -> set[str]:
        return {c.service_code for c in queries.search_classes(cat.worker, q=q)}

    assert found("污水") == {"C0102", "E0107", "E0405"}
    assert found("C0102") == {"C0102"}
    assert found("e05") == {"E05"} | {f"E050{n}" for n in range(1, 8)}
    assert "C0102" in found("0102") and "E0102" in found("0102")
    assert found("E") == set()
