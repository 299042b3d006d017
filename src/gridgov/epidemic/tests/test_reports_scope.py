"""Who may reach the daily report pages and endpoints: anonymous callers, roles without
the epidemic (a citizen, the supervision centre), a leader (figures only), staff of other
areas (the neighbouring community's grid worker, the sibling township, the other county's
command centre) and the right people (the grid's worker and community staff confirm;
township and command centres read). A refused call changes nothing — not a row, a
message or an audit event — and answers the one error shape. Lists answer within a fixed
number of queries however many grids they show.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from gridgov.epidemic import rules
from gridgov.epidemic.actions import reports as actions
from gridgov.epidemic.models import GridDailyReport
from gridgov.epidemic.tests.fixtures import SCOPE_USERS, Epi, epidemic_state, expecter
from gridgov.epidemic.tests.reports_fixtures import _fresh_trend, at, clock
from gridgov.registry.tests.core_fixtures import COMMUNITY, GRID
from gridgov.registry.tests.web_fixtures import client_for

__all__ = ["_fresh_trend", "clock"]

pytestmark = pytest.mark.django_db

USERS = SCOPE_USERS
LOGIN = 302


expect = expecter(USERS)


@pytest.fixture
def world(epi: Epi, clock: Any) -> dict[str, Any]:
    clock(at(rules.today(), 9, 0))  # before the deadline: confirmations are on time
    return epi.users(USERS)


# Figures of the community: staff over it and the leader; the others of the area 403,
# other areas 404.
FIGURES = expect(
    404,
    anonymous=LOGIN,
    citizen=403,
    supervision=403,
    leader=200,
    worker=200,
    community=200,
    township=200,
    county=200,
    command=200,
)
# A grid's report: its workers and staff with epidemic.view, not the leader.
REPORT_READERS = FIGURES | {"leader": 403}
TODAY = "{today}"

PAGES: list[tuple[str, dict[str, int]]] = [
    (
        "/epidemic/reports/",
        expect(
            302,
            citizen=403,
            supervision=403,
            worker=200,
            community=200,
            neighbour=200,
        ),
    ),
    (f"/epidemic/reports/grids/{GRID}/", REPORT_READERS),
    (f"/epidemic/reports/grids/{GRID}/?date={TODAY}", REPORT_READERS),
    (f"/epidemic/reports/grids/{GRID}/history/", REPORT_READERS),
    (f"/epidemic/reports/overview/?code={COMMUNITY}", FIGURES),
    (f"/epidemic/reports/overview/?code={COMMUNITY}&status=missing", FIGURES),
    (
        f"/epidemic/reports/overview/export/?code={COMMUNITY}&format=csv",
        REPORT_READERS,
    ),
    (
        f"/epidemic/reports/overview/export/?code={COMMUNITY}&format=xlsx",
        REPORT_READERS,
    ),
    # Without a code: one's own area (the citizen and the supervision centre have none).
    (
        "/epidemic/reports/overview/",
        expect(200, anonymous=LOGIN, citizen=403, supervision=403),
    ),
]


def _version() -> str:
    """The report's version now (a right person's second call amends it)."""
    report = GridDailyReport.objects.filter(grid_code=GRID, date=rules.today()).first()
    return str(report.version) if report else ""


CONFIRMERS = expect(
    404,
    anonymous=LOGIN,
    citizen=403,
    supervision=403,
    leader=403,
    township=403,
    county=403,
    command=403,
    worker=302,
    community=302,
)


def page_posts() -> list[tuple[str, Callable[[], dict[str, str]], dict[str, int]]]:
    return [
        (
            f"/epidemic/reports/grids/{GRID}/confirm/",
            lambda: {
                "date": rules.today().isoformat(),
                "zero": "1",
                "note": "正常",
                "version": _version(),
            },
            CONFIRMERS,
        )
    ]


def api_calls() -> list[tuple[str, str, Callable[[], Any], dict[str, int]]]:
    base = "/api/v1/epidemic"
    api = {k: (401 if v == LOGIN else v) for k, v in FIGURES.items()}
    readers = {k: (401 if v == LOGIN else v) for k, v in REPORT_READERS.items()}
    confirmers = CONFIRMERS | {"anonymous": 401, "worker": 200, "community": 200}
    return [
        ("get", f"{base}/reports?code={COMMUNITY}", lambda: None, api),
        ("get", f"{base}/reports?code={COMMUNITY}&status=missing", lambda: None, api),
        ("get", f"{base}/reports/summary?code={COMMUNITY}", lambda: None, api),
        ("get", f"{base}/reports/{GRID}/{TODAY}", lambda: None, readers),
        (
            "post",
            f"{base}/reports/{GRID}/{TODAY}/confirm",
            lambda: {"zero": True, "note": "正常", "version": int(_version() or 0) or None},
            confirmers,
        ),
    ]


def _run(
    world: dict[str, Any], call: Callable[[Any], Any], expected: dict[str, int]
) -> dict[str, int]:
    """Each user's status, the right people last: every refusal is checked against the
    state as it was before it, and answers the one error shape."""
    got = {}
    for name in sorted(USERS, key=lambda u: expected[u] in (200, 201, 302) and u != "anonymous"):
        before = epidemic_state()
        response = call(client_for(world[name]))
        got[name] = response.status_code
        if response.status_code >= 400 or name == "anonymous":
            assert epidemic_state() == before, name
        if response.status_code >= 400 and response.get("Content-Type") == "application/json":
            assert set(response.json()) == {"code", "message", "details"}, name
    return got


@pytest.mark.parametrize("index", range(len(PAGES)))
def test_pages(world: dict[str, Any], index: int) -> None:
    path, expected = PAGES[index]
    url = path.format(today=rules.today().isoformat())
    assert _run(world, lambda client: client.get(url), expected) == expected, url


def test_confirming_from_the_page(world: dict[str, Any]) -> None:
    url, data, expected = page_posts()[0]
    assert _run(world, lambda client: client.post(url, data()), expected) == expected
    report = GridDailyReport.objects.get(grid_code=GRID, date=rules.today())
    assert report.status == "confirmed" and report.confirmed_by == world["community"]


@pytest.mark.parametrize("index", range(len(api_calls())))
def test_api(world: dict[str, Any], index: int) -> None:
    method, path, body, expected = api_calls()[index]
    url = path.format(today=rules.today().isoformat())

    def call(client: Any) -> Any:
        payload = body()
        if payload is None:
            return getattr(client, method)(url)
        return getattr(client, method)(url, payload, content_type="application/json")

    assert _run(world, call, expected) == expected, url


def test_the_matrix_covers_every_report_route() -> None:
    from gridgov.epidemic.api import reports as api
    from gridgov.epidemic.views import reports as views

    names = {p.name for p in views.urlpatterns}
    assert names == {
        "reports",
        "reports_overview",
        "reports_export",
        "grid_report",
        "grid_report_confirm",
        "grid_report_history",
    }
    tested = " ".join(path for path, _expected in PAGES) + page_posts()[0][0]
    assert all(f"/epidemic/{p.pattern}".split("<")[0] in tested for p in views.urlpatterns)
    operations = [
        (method, path)
        for path, view in api.router.path_operations.items()
        for operation in view.operations
        for method in operation.methods
    ]
    assert len(operations) == len(api_calls()) - 1  # the list is called twice above


# --- what a leader sees -----------------------------------------------------------------------


def test_a_leader_sees_the_grids_states_but_not_who_works_or_what_they_wrote(
    epi: Epi, clock: Any
) -> None:
    clock(at(rules.today(), 9, 0))
    actions.confirm_report(GRID, rules.today(), actor=epi.r.worker, zero=True, note="王建国复测")
    leader, staff = client_for(epi.r.leader), client_for(epi.r.community)
    rows = leader.get(f"/api/v1/epidemic/reports?code={COMMUNITY}").json()["items"]
    assert rows[0]["status"] == "confirmed"
    assert (rows[0]["worker"], rows[0]["confirmed_by"], rows[0]["note"]) == ("", None, "")
    staff_rows = staff.get(f"/api/v1/epidemic/reports?code={COMMUNITY}").json()["items"]
    assert staff_rows[0]["note"] == "王建国复测" and staff_rows[0]["worker"] == "张网格"
    page = leader.get(f"/epidemic/reports/overview/?code={COMMUNITY}").content.decode()
    assert "王建国复测" not in page and "张网格" not in page and GRID in page


# --- query counts ---------------------------------------------------------------------------


def _reports_everywhere(epi: Epi, day: dt.date) -> None:
    actions.assemble_reports(day, actor=epi.command, code="4113")
    for grid in ("411302001001001", "411302001001002", "411302001001003"):
        actions.confirm_report(grid, day, actor=epi.r.worker, zero=True, note="正常")


def test_lists_answer_in_a_fixed_number_of_queries(
    epi: Epi, clock: Any, django_assert_max_num_queries: Any
) -> None:
    day = rules.today()
    clock(at(day, 11, 0))
    _reports_everywhere(epi, day)
    worker, command = client_for(epi.r.worker), client_for(epi.command)
    # Pages: the session (read, user, saved: 5), the roles, the menu's inbox badge, then
    # their own reads; a territory count not yet cached adds one.
    checks = [
        (worker, "/epidemic/reports/", 14),
        (worker, f"/epidemic/reports/grids/{GRID}/", 14),
        (worker, f"/epidemic/reports/grids/{GRID}/history/", 12),
        (command, "/epidemic/reports/overview/?code=4113", 18),
        (command, f"/epidemic/reports/overview/?code={COMMUNITY}", 18),
        (command, "/epidemic/reports/overview/?code=4113&status=confirmed", 18),
        (command, "/epidemic/reports/overview/export/?code=4113&format=xlsx", 12),
        (command, "/api/v1/epidemic/reports?code=4113&page_size=50", 12),
        (command, "/api/v1/epidemic/reports/summary?code=4113", 12),
        (worker, f"/api/v1/epidemic/reports/{GRID}/{day.isoformat()}", 12),
    ]
    for client, url, budget in checks:
        with django_assert_max_num_queries(budget):
            assert client.get(url).status_code == 200, url
