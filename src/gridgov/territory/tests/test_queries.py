"""Scoped reads of the tree: ancestors, descendants, paths, roots."""

from __future__ import annotations

import pytest

from gridgov.core.errors import NotFound, PermissionDenied
from gridgov.core.system import SYSTEM
from gridgov.territory import queries
from gridgov.territory.tests.conftest import client_for


def test_ancestors_children_descendants(territory) -> None:
    grid = territory["411302001001003"]
    assert [r.code for r in queries.ancestors(grid)] == [
        "4113",
        "411302",
        "411302001",
        "411302001001",
    ]
    assert [r.code for r in queries.children(territory["411302"])] == ["411302001", "411302002"]
    below = queries.descendants(territory["411302001"])
    assert below.count() == 2 + 8
    assert "411302001" not in set(below.values_list("code", flat=True))
    grids = queries.descendants(territory["411302"], level=6)
    assert sorted(grids.values_list("code", flat=True))[:2] == [
        "411302001001001",
        "411302001001002",
    ]
    assert grids.count() == 12


def test_path_names_ancestors_but_opens_only_what_is_visible(territory, township_staff) -> None:
    grid = queries.get_region_for(township_staff, "411302001001003")
    path = queries.path_for(township_staff, grid)
    assert [(p.code, p.name) for p in path] == [
        ("4113", "南阳市"),
        ("411302", "宛城区"),
        ("411302001", "东关街道"),
        ("411302001001", "河街社区"),
    ]
    assert [p.visible for p in path] == [False, False, True, True]


def test_get_region_for_refuses_outside_and_without_capability(
    territory, township_staff, citizen
) -> None:
    with pytest.raises(NotFound):
        queries.get_region_for(township_staff, "411302002")
    with pytest.raises(NotFound):
        queries.get_region_for(township_staff, "411302")  # an ancestor: names only
    with pytest.raises(NotFound):
        queries.get_region_for(township_staff, "411302001009")  # does not exist
    with pytest.raises(PermissionDenied):  # inside the citizen's scope, but no territory.view
        queries.get_region_for(citizen, "411302001001")
    with pytest.raises(NotFound):
        queries.get_region_for(None, "4113")


def test_scope_roots(territory, township_staff, citizen, make_user) -> None:
    assert [r.code for r in queries.scope_roots(township_staff)] == ["411302001"]
    assert queries.scope_roots(citizen) == []
    assert [r.code for r in queries.scope_roots(SYSTEM)] == ["4113"]
    nested = make_user("leader", "411302", extra=[("township_staff", "411302001")])
    assert [r.code for r in queries.scope_roots(nested)] == ["411302"]


def test_visible_regions(territory, township_staff) -> None:
    codes = set(queries.visible_regions(township_staff).values_list("code", flat=True))
    assert codes == {c for c in territory if c.startswith("411302001")}


def test_the_neighbours_page_is_the_styled_404(territory, township_staff) -> None:
    response = client_for(township_staff).get("/territory/411302002/")
    assert response.status_code == 404
    assert "gg-error" in response.content.decode()
    assert "新华街道" not in response.content.decode()
