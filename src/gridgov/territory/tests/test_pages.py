"""The territory browser pages: browse, region, grid."""

from __future__ import annotations

import pytest
from django.utils import timezone

from gridgov.accounts.models import GridAssignment
from gridgov.territory.panels import REGION_PANELS
from gridgov.territory.templatetags.territory_tags import area
from gridgov.territory.tests.conftest import client_for


@pytest.fixture
def region_page(township_staff, django_assert_max_num_queries):
    """open(code) → the region page as the township staff member sees it, read within the
    query budget of a page after the first (sessions and scope already loaded)."""

    def open_page(code: str) -> str:
        client = client_for(township_staff)
        client.get("/territory/")
        # 12 for the page itself, and one roll-up read for each panel other apps add (see
        # territory/panels.py) — the registry's two: population and completeness.
        budget = 12 + len(REGION_PANELS) + 1
        with django_assert_max_num_queries(budget):
            response = client.get(f"/territory/{code}/")
        assert response.status_code == 200
        return response.content.decode()

    return open_page


def test_browse_redirects_to_the_single_root(territory, township_staff) -> None:
    response = client_for(township_staff).get("/territory/")
    assert response.status_code == 302
    assert response["Location"] == "/territory/411302001/"


def test_browse_lists_several_roots(territory, make_user) -> None:
    user = make_user("leader", "411302001", extra=[("leader", "411303")])
    response = client_for(user).get("/territory/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "/territory/411302001/" in body and "/territory/411303/" in body


def test_region_page_shows_facts_counts_children_and_map(territory, region_page) -> None:
    body = region_page("411302001")
    assert "东关街道" in body and "411302001" in body
    # Breadcrumbs name the ancestors without linking pages the user may not open.
    assert "南阳市" in body and "宛城区" in body
    assert 'href="/territory/411302/"' not in body
    # Child counts and the children table with links.
    assert 'href="/territory/411302001001/"' in body and "市场社区" in body
    # The map draws the children inside the township's outline.
    assert 'data-geojson-url="/api/v1/territory/regions/411302001/children.geojson"' in body
    assert 'data-outline-url="/api/v1/territory/regions/411302001/boundary.geojson"' in body
    # ...with the unit grids of its communities as a layer of lines.
    assert 'data-overlay-url="/api/v1/territory/regions/411302001/grids.geojson"' in body
    assert "km²" in body


def test_children_search_and_paging(territory, township_staff) -> None:
    client = client_for(township_staff)
    body = client.get("/territory/411302001/?q=市场").content.decode()
    assert "市场社区" in body and 'href="/territory/411302001001/"' not in body
    body = client.get("/territory/411302001/?q=不存在").content.decode()
    assert "Nothing matches" in body or "没有" in body


def test_community_page_lists_its_grids(territory, region_page) -> None:
    body = region_page("411302001001")
    for serial in range(1, 5):
        assert f'href="/territory/411302001001{serial:03d}/"' in body
    # The grids are the community's children already: no second layer of them.
    assert "data-overlay-url" not in body


def test_grid_page_shows_boundary_and_workers(territory, make_user, region_page) -> None:
    main = make_user("grid_worker", "411302001001001", display_name="张网格")
    deputy = make_user("grid_worker", "411302001001001", display_name="李副手")
    gone = make_user("grid_worker", "411302001001001", display_name="王离职")
    grid = territory["411302001001001"]
    GridAssignment.objects.create(user=main, grid=grid, grid_code=grid.code)
    GridAssignment.objects.create(user=deputy, grid=grid, grid_code=grid.code, is_deputy=True)
    GridAssignment.objects.create(
        user=gone, grid=grid, grid_code=grid.code, withdrawn_at=timezone.now()
    )
    body = region_page("411302001001001")
    assert "张网格" in body and "李副手" in body and "王离职" not in body
    assert body.index("张网格") < body.index("李副手")  # main worker first
    # Drawn among its sibling grids, focused on and highlighting itself.
    assert 'data-highlight="411302001001001"' in body
    assert 'data-focus-url="/api/v1/territory/regions/411302001001001/boundary.geojson"' in body


def test_a_grid_worker_sees_only_their_grid_on_the_map(territory, make_user) -> None:
    worker = make_user("grid_worker", "411302001001002")
    body = client_for(worker).get("/territory/411302001001002/").content.decode()
    assert 'data-geojson-url="/api/v1/territory/regions/411302001001002/boundary.geojson"' in body
    assert "children.geojson" not in body


def test_area_is_written_for_people() -> None:
    assert area(None) == "—"
    assert area(9876.4) == "9,876 m²"
    assert area(2_345_678) == "2.35 km²"
    assert area(26_600_000_000) == "26,600.0 km²"


def test_pages_speak_english_too(territory, township_staff) -> None:
    client = client_for(township_staff)
    client.cookies["gridgov_language"] = "en"
    body = client.get("/territory/411302001/").content.decode()
    assert "Township / street" in body and "Subordinate regions" in body


def test_pages_speak_chinese_by_default(territory, township_staff) -> None:
    body = client_for(township_staff).get("/territory/411302001/").content.decode()
    assert "乡镇（街道）" in body and "下级区域" in body and "社区（村）" in body
