"""Who may reach the epidemic dashboard (page, API, map): anonymous callers, roles without
the epidemic, a leader (figures: yes), staff of other areas and the right people. Reading
the board changes nothing, and every refusal answers the one error shape."""

from __future__ import annotations

from typing import Any

import pytest

from gridgov.epidemic.tests.fixtures import SCOPE_USERS, Epi, epidemic_state, expecter
from gridgov.epidemic.tests.reports_fixtures import _fresh_trend
from gridgov.registry.tests.core_fixtures import COMMUNITY, GRID
from gridgov.registry.tests.web_fixtures import client_for

__all__ = ["_fresh_trend"]

pytestmark = pytest.mark.django_db

USERS = SCOPE_USERS


expect = expecter(USERS)


@pytest.fixture
def users(epi: Epi) -> dict[str, Any]:
    return epi.users(USERS)


RIGHT = {k: 200 for k in ("leader", "worker", "community", "township", "county", "command")}
# A node: the people over it (the leader too), 403 for roles without the epidemic in the
# area, 404 for other areas.
OF_NODE = expect(404, citizen=403, supervision=403, **RIGHT)
# Without a code: everyone with figures gets their own area.
OWN = expect(200, citizen=403, supervision=403)

CALLS: list[tuple[str, dict[str, int]]] = [
    (f"/epidemic/dashboard/?code={COMMUNITY}", OF_NODE | {"anonymous": 302}),
    (f"/epidemic/dashboard/?code={GRID}&measure=abnormal&days=30", OF_NODE | {"anonymous": 302}),
    ("/epidemic/dashboard/", OWN | {"anonymous": 302}),
    (f"/api/v1/epidemic/dashboard?code={COMMUNITY}", OF_NODE | {"anonymous": 401}),
    (f"/api/v1/epidemic/dashboard?code={GRID}&days=30", OF_NODE | {"anonymous": 401}),
    ("/api/v1/epidemic/dashboard", OWN | {"anonymous": 401}),
    (
        f"/api/v1/epidemic/dashboard/map.geojson?code={COMMUNITY}&measure=reports",
        OF_NODE | {"anonymous": 401},
    ),
    ("/api/v1/epidemic/dashboard/map.geojson", OWN | {"anonymous": 401}),
]


@pytest.mark.parametrize("index", range(len(CALLS)))
def test_the_dashboard_is_for_the_people_over_the_area(users: dict[str, Any], index: int) -> None:
    url, expected = CALLS[index]
    got = {}
    for name in USERS:
        before = epidemic_state()
        response = client_for(users[name]).get(url)
        got[name] = response.status_code
        assert epidemic_state() == before, (url, name)
        if response.status_code >= 400 and url.startswith("/api/"):
            assert set(response.json()) == {"code", "message", "details"}, (url, name)
    assert got == expected, url


def test_the_matrix_covers_every_dashboard_route() -> None:
    from gridgov.epidemic.api import dashboard as api
    from gridgov.epidemic.views import dashboard as views

    assert {p.name for p in views.urlpatterns} == {"dashboard"}
    paths = {path for path in api.router.path_operations}
    assert paths == {"/dashboard", "/dashboard/map.geojson"}
    tested = " ".join(url for url, _expected in CALLS)
    assert all(f"/api/v1/epidemic{path}" in tested for path in paths)
