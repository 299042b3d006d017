"""The reusable page parts: pagination, breadcrumbs, empty state, map include."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.template import TemplateSyntaxError, engines
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


def render_page(source: str, context: dict, path: str = "/things/") -> str:
    """A page fragment rendered as a view would render it (request, CSRF token)."""
    request = RequestFactory().get(path)
    return engines["django"].from_string(source).render(context, request=request)


TABLE = (
    "{% load gridgov_web %}"
    '{% table_or_empty rows page=page empty=_("No rows.") hint="Try again" %}'
    "<tbody>{% for r in rows %}<tr><td>{{ r }}</td></tr>{% endfor %}</tbody>"
    "{% endtable_or_empty %}"
)


def test_table_or_empty_wraps_the_rows_and_pages_them():
    html = render_page(TABLE, {"rows": ["a&b", "c"], "page": page_of(1, count=120)})
    assert '<div class="gg-table-wrap">' in html and '<table class="gg-table">' in html
    assert "<td>a&amp;b</td>" in html and "<td>c</td>" in html
    assert 'class="gg-pagination"' in html and "gg-empty" not in html


def test_table_or_empty_shows_the_empty_state_instead():
    html = render_page(TABLE, {"rows": [], "page": page_of(1, count=0)})
    assert "<table" not in html and "gg-pagination" not in html
    assert '<p class="gg-empty__message">No rows.</p>' in html
    assert '<p class="gg-empty__hint">Try again</p>' in html


def test_table_or_empty_without_a_page_ignores_the_page_around_it():
    source = (
        "{% load gridgov_web %}{% table_or_empty rows flush=True %}<tbody></tbody>"
        "{% endtable_or_empty %}"
    )
    html = render_page(source, {"rows": [1], "page": page_of(1, count=120)})
    assert '<div class="gg-table-wrap gg-table-wrap--flush">' in html
    assert "gg-pagination" not in html


@pytest.mark.parametrize(
    "source",
    [
        "{% table_or_empty %}{% endtable_or_empty %}",
        "{% table_or_empty rows size=3 %}{% endtable_or_empty %}",
        "{% table_or_empty rows page %}{% endtable_or_empty %}",
        "{% table_or_empty rows %}",
    ],
)
def test_table_or_empty_refuses_a_malformed_tag(source):
    with pytest.raises(TemplateSyntaxError):
        engines["django"].from_string("{% load gridgov_web %}" + source)


def test_empty_state_escapes_text_marked_safe():
    html = render_page('{% include "web/includes/empty.html" with message=_("<b>A & B</b>") %}', {})
    assert "&lt;b&gt;A &amp; B&lt;/b&gt;" in html


def test_post_button_posts_with_token_question_and_version():
    source = (
        '{% include "web/includes/post_button.html" with action="/x/1/revoke/" '
        'label="Revoke" confirm=_("Revoke it? It\'s gone then.") '
        'style="gg-button--danger" version=7 %}'
    )
    html = render_page(source, {"csrf_token": "token123"})
    assert '<form method="post" action="/x/1/revoke/" class="gg-inline-form">' in html
    assert 'name="csrfmiddlewaretoken" value="token123"' in html
    assert '<input type="hidden" name="version" value="7">' in html
    assert 'class="gg-button gg-button--danger"' in html
    assert 'data-confirm="Revoke it? It&#x27;s gone then."' in html
    assert ">Revoke</button>" in html


def test_post_button_without_options_is_a_plain_button():
    html = render_page(
        '{% include "web/includes/post_button.html" with action="/x/" label="Go" %}', {}
    )
    assert '<button type="submit" class="gg-button">Go</button>' in html
    assert "version" not in html and "data-confirm" not in html


def test_filter_bar_renders_the_fields_and_resets_to_the_bare_page():
    class Filters(forms.Form):
        q = forms.CharField(label="Search", required=False)

    html = render_page(
        '{% include "web/includes/filter_bar.html" with label="Filter things" %}',
        {"filters": Filters({"q": "东关"})},
        path="/things/?q=%E4%B8%9C%E5%85%B3&page=2",
    )
    assert '<form method="get" class="gg-card gg-filters" role="search"' in html
    assert 'aria-label="Filter things"' in html
    assert 'name="q" value="东关"' in html and 'class="gg-field__label"' in html
    assert 'href="/things/"' in html  # Reset drops the filters and the page


class NameForm(forms.Form):
    name = forms.CharField(label="Name")


def test_post_form_with_heading_intro_question_and_cancel():
    source = (
        '{% include "web/includes/post_form.html" with action="/x/grant/" '
        'title=_("Grant <it>") intro="Only inside your area." submit="Grant" '
        'confirm="Sure?" plain=True cancel_url="/x/" %}'
    )
    html = render_page(source, {"form": NameForm(), "csrf_token": "token123"})
    assert (
        '<form method="post" action="/x/grant/" class="gg-form" novalidate '
        'aria-label="Grant &lt;it&gt;">'
    ) in html
    assert "<h3>Grant &lt;it&gt;</h3>" in html
    assert '<p class="gg-small gg-muted">Only inside your area.</p>' in html
    assert 'name="csrfmiddlewaretoken" value="token123"' in html and 'name="name"' in html
    assert '<button type="submit" class="gg-button" data-confirm="Sure?">Grant</button>' in html
    assert '<a class="gg-button gg-button--link" href="/x/">' in html


def test_post_form_plain_posts_to_this_page_with_a_primary_button():
    html = render_page(
        '{% include "web/includes/post_form.html" with label="Edit" submit="Save" %}',
        {"form": NameForm()},
    )
    assert '<form method="post" class="gg-form" novalidate aria-label="Edit">' in html
    assert "<h3>" not in html and "gg-button--link" not in html
    assert '<button type="submit" class="gg-button gg-button--primary">Save</button>' in html
