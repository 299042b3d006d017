"""The page shell: login gate, navigation by capability, error pages, health check."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation
from django.views import defaults

from gridgov.accounts.models import GridAssignment
from gridgov.accounts.roles import Role

pytestmark = pytest.mark.django_db

GRID = "411302001001003"


def nav_links(html: str) -> list[str]:
    """The hrefs of the main navigation of a page."""
    match = re.search(r'<nav id="gg-nav".*?</nav>', html, re.S)
    return re.findall(r'href="([^"]+)"', match.group(0)) if match else []


def test_home_sends_anonymous_visitors_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_grid_worker_menu_has_territory_but_no_administration(territory, make_user, login):
    html = login(make_user(Role.GRID_WORKER, GRID)).get("/").content.decode()
    links = nav_links(html)
    assert links[0] == "/"
    assert reverse("territory:browse") in links
    assert reverse("accounts:user_list") not in links
    assert reverse("audit:event_list") not in links


def test_administrator_menu_has_users_and_audit(territory, make_user, login):
    html = login(make_user(Role.ADMIN, "411302")).get("/").content.decode()
    links = nav_links(html)
    assert reverse("accounts:user_list") in links
    assert reverse("audit:event_list") in links


def test_citizen_menu_has_only_home(territory, make_user, login):
    html = login(make_user(Role.CITIZEN, "411302001001")).get("/").content.decode()
    assert nav_links(html) == ["/"]


def test_current_page_is_marked_in_the_menu(territory, make_user, login):
    html = login(make_user(Role.TOWNSHIP_STAFF, "411302001")).get("/").content.decode()
    assert '<a href="/" class="is-active" aria-current="page">' in html


def test_every_page_sends_the_csrf_token_with_htmx_and_offers_language_and_logout(
    territory, make_user, login
):
    html = login(make_user(Role.TOWNSHIP_STAFF, "411302001")).get("/").content.decode()
    token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', html)
    assert token and len(token.group(1)) >= 32
    assert 'action="/i18n/setlang/"' in html
    assert '<input type="hidden" name="next" value="/">' in html
    assert re.search(rf'<form method="post" action="{reverse("logout")}"', html)


def test_home_shows_roles_and_the_place_to_start(territory, make_user, login):
    user = make_user(Role.TOWNSHIP_STAFF, "411302001")
    html = login(user).get("/").content.decode()
    with translation.override("zh-hans"):
        assert str(Role.TOWNSHIP_STAFF.label) in html
    assert "东关街道" in html
    assert f'href="{reverse("territory:region", args=["411302001"])}"' in html
    assert "新华街道" not in html  # the sibling township is nobody's business here


def test_grid_worker_sees_their_grids_first(territory, make_user, login):
    user = make_user(Role.GRID_WORKER, "411302001001")
    GridAssignment.objects.create(user=user, grid=territory[GRID], grid_code=GRID)
    html = login(user).get("/").content.decode()
    assert territory[GRID].name in html
    assert html.index('id="my-grids"') < html.index('id="my-roles"')


def test_home_reads_a_fixed_number_of_queries(
    territory, make_user, login, django_assert_max_num_queries
):
    user = make_user(Role.GRID_WORKER, "411302001001", extra=[(Role.ADMIN, "411302")])
    for serial in ("001", "002", "003"):
        code = "411302001001" + serial
        GridAssignment.objects.create(user=user, grid=territory[code], grid_code=code)
    client = login(user)
    with django_assert_max_num_queries(10):  # 9 + the inbox's unread count in the menu
        assert client.get("/").status_code == 200


def test_maps_draw_on_a_plain_background_unless_the_operator_sets_tiles(
    territory, make_user, login, settings
):
    client = login(make_user(Role.TOWNSHIP_STAFF, "411302001"))
    assert 'data-tile-url=""' in client.get("/territory/411302001/").content.decode()
    settings.GRIDGOV_TILE_URL = "/tiles/{z}/{x}/{y}.png"
    html = client.get("/territory/411302001/").content.decode()
    assert 'data-tile-url="/tiles/{z}/{x}/{y}.png"' in html


def test_unknown_address_gets_the_plain_not_found_page(territory, make_user, login):
    client = login(make_user(Role.TOWNSHIP_STAFF, "411302001"))
    response = client.get("/no/such/page-411302002/")
    assert response.status_code == 404
    assert response.templates[0].name == "404.html"
    html = response.content.decode()
    error = re.search(r'<section class="gg-error.*?</section>', html, re.S)
    assert error and "404" in error.group(0)
    assert "411302002" not in error.group(0)  # what was asked for is not echoed back
    assert "Traceback" not in html and "Page not found at" not in html


def test_not_found_page_is_chinese_by_default(client):
    html = client.get("/no/such/page/").content.decode()
    assert "未找到" in html
    assert '<html lang="zh-hans">' in html


def test_permission_denied_page_does_not_repeat_the_reason():
    request = RequestFactory().get("/somewhere/")
    request.user = AnonymousUser()
    response = defaults.permission_denied(request, PermissionDenied("internal reason 411302002"))
    html = response.content.decode()
    assert response.status_code == 403
    assert "gg-error" in html and "无权访问" in html
    assert "internal reason" not in html


def test_a_form_without_its_csrf_token_gets_the_expired_form_page():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 403
    assert "表单已失效" in response.content.decode()
    assert "gridgov_language" not in response.cookies


def test_server_error_page_renders_without_database_or_session():
    response = defaults.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "gg-error" in response.content.decode()


def test_health_check_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    "path",
    [
        "/static/gridgov/app.css",
        "/static/gridgov/app.js",
        "/static/gridgov/map.js",
        "/static/vendor/leaflet-1.9.4/leaflet.js",
        "/static/vendor/leaflet-1.9.4/leaflet.css",
        "/static/vendor/echarts-6.1.0/echarts.min.js",
        "/static/vendor/htmx-2.0.11/htmx.min.js",
    ],
)
def test_assets_are_served_by_the_product_itself(client, path):
    response = client.get(path)
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert len(body) > 1000
