"""The reusable page parts: pagination, breadcrumbs, empty state, map include."""

from __future__ import annotations

import re

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from gridgov.core.paging import Page
from gridgov.web.templatetags.gridgov_web import page_window


def page_of(number: int, count: int = 500, size: int = 50) -> Page:
    return Page(items=[], count=count, page=number, page_size=size)


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (1, [1, 2, 3, None, 10]),
        (5, [1, None, 3, 4, 5, 6, 7, None, 10]),
        (4, [1, 2, 3, 4, 5, 6, None, 10]),
        (10, [1, None, 8, 9, 10]),
    ],
)
def test_page_window_keeps_ends_and_neighbours(number, expected):
    assert page_window(page_of(number)) == expected


def test_page_window_of_a_single_page():
    assert page_window(page_of(1, count=3)) == [1]


def render_pagination(query: str, page: Page) -> str:
    request = RequestFactory().get(f"/things/?{query}")
    return render_to_string("web/includes/pagination.html", {"page": page}, request=request)


def test_pagination_links_keep_the_search_and_filters():
    html = render_pagination("q=%E4%B8%9C%E5%85%B3&kind=street&page=3", page_of(3))
    links = re.findall(r'href="([^"]+)"', html)
    assert links, html
    for link in links:
        assert "q=%E4%B8%9C%E5%85%B3" in link and "kind=street" in link
    assert 'rel="prev" href="?q=%E4%B8%9C%E5%85%B3&amp;kind=street&amp;page=2"' in html
    assert 'rel="next" href="?q=%E4%B8%9C%E5%85%B3&amp;kind=street&amp;page=4"' in html
    assert '<span class="is-current" aria-current="page">3</span>' in html


def test_pagination_of_the_last_page_has_no_next_link():
    html = render_pagination("page=10", page_of(10))
    assert 'rel="next"' not in html and 'rel="prev"' in html


def test_pagination_says_nothing_for_an_empty_list():
    assert render_pagination("", page_of(1, count=0)).strip() == ""


def test_breadcrumbs_link_all_but_the_current_page():
    html = render_to_string(
        "web/includes/breadcrumbs.html",
        {"crumbs": [("南阳市", "/territory/4113/"), ("宛城区", None), ("东关街道", "/x/")]},
    )
    assert '<a href="/territory/4113/">南阳市</a>' in html
    assert '<span aria-current="page">东关街道</span>' in html
    assert 'href="/x/"' not in html  # the last crumb is this page


def test_empty_state_shows_message_and_hint():
    html = render_to_string(
        "web/includes/empty.html", {"message": "没有记录", "hint": "换个条件再试"}
    )
    assert "没有记录" in html and "换个条件再试" in html


def test_map_include_carries_the_contract_attributes():
    html = render_to_string(
        "web/includes/map.html",
        {
            "geojson_url": "/api/v1/x.geojson",
            "outline_url": "/api/v1/o.geojson",
            "highlight": "411302001001",
            "tile_url": "",
        },
    )
    assert 'class="gg-map"' in html
    assert 'data-geojson-url="/api/v1/x.geojson"' in html
    assert 'data-outline-url="/api/v1/o.geojson"' in html
    assert 'data-highlight="411302001001"' in html
    assert 'data-tile-url=""' in html
    assert "data-focus-url" not in html
    assert "vendor/leaflet-1.9.4/leaflet.js" in html and "gridgov/map.js" in html
