"""The epidemic dashboard: a node's figures equal the sums of its grids' at every level
(and of its children's), the trend follows the days, community situations are counted,
the map scores the children by the chosen measure, the board starts at the user's own
area, leaders get figures and no way to people, and the page and API cost the same
handful of queries at every level."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from gridgov.core.errors import InvalidInput, NotFound, PermissionDenied
from gridgov.epidemic import figures
from gridgov.epidemic.actions import reports as report_actions
from gridgov.epidemic.models import CommunitySituation
from gridgov.epidemic.queries import dashboard as queries
from gridgov.epidemic.tests.fixtures import Epi
from gridgov.epidemic.tests.reports_fixtures import (
    _fresh_trend,
    add_day,
    add_now,
    at,
    clock,
    declare,
    today,
)
from gridgov.registry.tests.core_fixtures import COMMUNITY, GRID, GRID_2, SIBLING_GRID
from gridgov.registry.tests.web_fixtures import client_for

__all__ = ["_fresh_trend", "clock"]

pytestmark = pytest.mark.django_db

NODES = ("4113", "411302", "411302001", COMMUNITY)
OTHER_COUNTY_GRID = "411303001001002"
# The figures that add up (the shares are computed from them).
ADDITIVE = [k for k in figures.FIGURE_LABELS if not k.endswith(("_share", "_progress", "reach"))]


@pytest.fixture
def busy(epi: Epi, clock: Any) -> Epi:
    """A day with figures of every concern in several grids of both counties."""
    day = today()
    clock(at(day, 11, 0))
    declare(epi, epi.r.person, temperature="38.3")
    declare(epi, epi.spouse)
    declare(epi, epi.r.migrant)
    declare(epi, epi.r.elder, when=at(day - dt.timedelta(days=2), 8))
    add_day(GRID, day, isolation__started=1, follow_ups__missed=1, cases__confirmed=1)
    add_day(GRID_2, day, screened=4, follow_ups__done=3)
    add_day(SIBLING_GRID, day, cases__suspected=2, abnormal=1, declared=5)
    add_day(OTHER_COUNTY_GRID, day, declared=7, **{"code_to__red": 1})
    add_now(GRID, isolated__home=2, contacts__1=3, screening__tasks=10, screening__done=4)
    add_now(SIBLING_GRID, isolated__centralised=1, cases_open__confirmed=1)
    add_now(OTHER_COUNTY_GRID, notices__recipients=20, notices__reached=15, code__red=1)
    clock(at(day, 9, 0))
    report_actions.confirm_report(GRID_2, day, actor=epi.r.worker, zero=True)
    report_actions.confirm_report("411302001001003", day, actor=epi.r.worker, zero=True)
    clock(at(day, 11, 0))
    return epi


def grids_under(code: str) -> list[str]:
    from gridgov.territory.models import Region

    return list(
        Region.objects.filter(level=6, code__startswith=code).values_list("code", flat=True)
    )


def test_a_nodes_figures_are_the_sums_of_its_grids_at_every_level(busy: Epi) -> None:
    day = today()
    by_grid = {g: queries.dashboard(busy.command, g, day).figures for g in grids_under("4113")}
    assert by_grid[GRID]["abnormal"] == 1 and by_grid[GRID]["people"] == 3
    for node in NODES:
        board = queries.dashboard(busy.command, node, day)
        grids = [g for g in by_grid if g.startswith(node)]
        for key in ADDITIVE:
            assert board.figures[key] == sum(by_grid[g][key] for g in grids), (node, key)
        # ... and of its children's.
        for key in ADDITIVE:
            assert board.figures[key] == sum(c["figures"][key] for c in board.children), key
        assert board.figures["declared_share"] == figures.percent(
            board.figures["declared"], board.figures["people"]
        )
    city = queries.dashboard(busy.command, "4113", day).figures
    assert (city["declared"], city["abnormal"], city["cases_new"], city["cases_open"]) == (
        15,
        2,
        3,
        1,
    )
    assert (city["isolated"], city["code_red"], city["notice_reach"]) == (3, 1, 75.0)
    assert (city["grids"], city["reports_confirmed"], city["reports_missing"]) == (16, 2, 14)
    assert city["screening_progress"] == 40.0


def test_the_trend_follows_the_days_up_to_the_date(busy: Epi) -> None:
    day = today()
    board = queries.dashboard(busy.command, COMMUNITY, day, days=14)
    assert [p["date"] for p in board.trend] == [day - dt.timedelta(days=13 - n) for n in range(14)]
    by_date = {p["date"]: p for p in board.trend}
    assert by_date[day]["declared"] == 3 and by_date[day]["abnormal"] == 1
    assert by_date[day - dt.timedelta(days=2)]["declared"] == 1
    assert by_date[day]["cases_new"] == 1 and by_date[day]["isolation_started"] == 1
    assert (by_date[day]["reports_confirmed"], by_date[day]["reports_missing"]) == (2, 2)
    assert by_date[day - dt.timedelta(days=1)]["reports_missing"] == 4
    month = queries.dashboard(busy.command, COMMUNITY, day, days=30)
    assert len(month.trend) == 30 and month.trend[-1] == board.trend[-1]
    earlier = queries.dashboard(busy.command, COMMUNITY, day - dt.timedelta(days=2), days=3)
    assert [p["declared"] for p in earlier.trend] == [0, 0, 1]
    assert earlier.figures["declared"] == 1


def test_community_situations_are_counted_per_child(busy: Epi) -> None:
    day = today()
    CommunitySituation.objects.create(community_code=COMMUNITY, date=day, situation="cluster")
    CommunitySituation.objects.create(
        community_code="411302002001", date=day, situation="transmission"
    )
    CommunitySituation.objects.create(
        community_code="411303001001", date=day - dt.timedelta(days=1), situation="cluster"
    )
    city = queries.dashboard(busy.command, "4113", day)
    assert city.situations == {"cluster": 1, "transmission": 1}
    children = {c["code"]: c["situations"] for c in city.children}
    assert children == {"411302": {"cluster": 1, "transmission": 1}, "411303": {}}
    assert queries.dashboard(busy.command, GRID, day).situations == {"cluster": 1}
    township = queries.dashboard(busy.command, "411302001", day)
    measure = queries.map_measure("situation")
    assert queries.scores(measure, township.children) == {
        COMMUNITY: queries.FAIR,
        "411302001002": queries.GOOD,
    }


def test_the_map_scores_the_children_by_the_chosen_measure(busy: Epi) -> None:
    client = client_for(busy.command)
    url = "/api/v1/epidemic/dashboard/map.geojson"
    found = client.get(f"{url}?code=411302001&measure=abnormal").json()
    props = {f["properties"]["code"]: f["properties"] for f in found["features"]}
    assert props[COMMUNITY]["score"] == queries.POOR and props[COMMUNITY]["value"] == 1
    assert props["411302001002"]["score"] == queries.GOOD
    assert props[COMMUNITY]["label"].endswith(" 1")
    assert props[COMMUNITY]["url"].startswith("/epidemic/dashboard/?code=411302001001&")
    shares = client.get(f"{url}?code=4113&measure=notice_reach").json()["features"]
    assert {f["properties"]["code"]: f["properties"]["score"] for f in shares} == {
        "411302": None,
        "411303": 75.0,
    }
    grid = client.get(f"{url}?code={GRID}&measure=declared_share").json()["features"]
    assert [f["properties"]["code"] for f in grid] == [GRID]
    wrong = client.get(f"{url}?code=4113&measure=nonsense")
    assert wrong.status_code == 422 and "measure" in wrong.json()["details"]["fields"]


def test_count_measures_are_green_at_zero_and_red_from_half_the_highest() -> None:
    rows = [{"code": c, "figures": {"abnormal": n}} for c, n in (("a", 0), ("b", 2), ("c", 5))] + [
        {"code": "d", "figures": {"abnormal": 3}}
    ]
    measure = queries.map_measure("abnormal")
    assert queries.scores(measure, rows) == {
        "a": queries.GOOD,
        "b": queries.FAIR,
        "c": queries.POOR,
        "d": queries.POOR,
    }


def test_the_board_starts_at_the_users_own_area(epi: Epi, make_user: Any) -> None:
    assert queries.default_code(epi.r.leader) == "4113"
    assert queries.default_code(epi.r.worker) == COMMUNITY
    assert queries.default_code(epi.r.township) == "411302001"
    both = make_user(
        "township_staff", "411302001", extra=[("township_staff", "411302002")], username="two"
    )
    assert queries.default_code(both) is None
    page = client_for(both).get("/epidemic/dashboard/")
    assert page.status_code == 200 and "411302002" in page.content.decode()
    api = client_for(both).get("/api/v1/epidemic/dashboard")
    assert api.status_code == 422 and "code" in api.json()["details"]["fields"]
    assert client_for(both).get("/api/v1/epidemic/dashboard?code=411302002").status_code == 200
    with pytest.raises(NotFound):
        queries.dashboard(epi.r.worker, "411302001", today())
    with pytest.raises(PermissionDenied):
        queries.dashboard(epi.r.citizen, COMMUNITY, today())


def test_a_leader_gets_figures_and_no_way_to_people(busy: Epi) -> None:
    leader = client_for(busy.r.leader).get(f"/epidemic/dashboard/?code={GRID}")
    staff = client_for(busy.r.worker).get(f"/epidemic/dashboard/?code={GRID}")
    assert leader.status_code == staff.status_code == 200
    assert f"/epidemic/reports/grids/{GRID}/" in staff.content.decode()
    assert f"/epidemic/reports/grids/{GRID}/" not in leader.content.decode()
    assert "/epidemic/people/" not in leader.content.decode()
    board = client_for(busy.r.leader).get(f"/api/v1/epidemic/dashboard?code={COMMUNITY}").json()
    assert board["figures"]["abnormal"] == 1 and board["name"] == "河街社区"
    assert [c["code"] for c in board["children"]] == grids_under(COMMUNITY)


def test_the_api_answers_the_figures_the_trend_and_the_children(busy: Epi) -> None:
    client = client_for(busy.county)
    answer = client.get("/api/v1/epidemic/dashboard?code=411302&days=7").json()
    assert answer["code"] == "411302" and answer["days"] == 7 and len(answer["trend"]) == 7
    assert answer["figures"]["declared"] == 8 and answer["day"]["declared"] == 8
    assert answer["overdue"] is True and answer["trend"][-1]["date"] == today().isoformat()
    assert [c["code"] for c in answer["children"]] == ["411302001", "411302002"]
    assert answer["current"]["isolated:home"] == 2
    for wrong in ("days=0", "days=61", "date=yesterday", "code=41130"):
        response = client.get(f"/api/v1/epidemic/dashboard?{wrong}")
        assert response.status_code == 422, wrong
    with pytest.raises(InvalidInput):
        queries.days_of("99")


def test_the_page_and_the_api_cost_the_same_at_every_level(
    busy: Epi, django_assert_max_num_queries: Any
) -> None:
    client = client_for(busy.command)
    for code in (*NODES, GRID):
        # The session and user (5 with its save) and the roles; the board's own reads: the
        # node, the trend, the day's, standing and people's sums per child, the territory
        # revision (+1 for a count not cached yet), situations, names, settings; the page
        # adds the menu's inbox badge, the map the children's boundaries.
        with django_assert_max_num_queries(18):
            assert client.get(f"/epidemic/dashboard/?code={code}").status_code == 200
        with django_assert_max_num_queries(16):
            assert client.get(f"/api/v1/epidemic/dashboard?code={code}").status_code == 200
        with django_assert_max_num_queries(15):
            url = f"/api/v1/epidemic/dashboard/map.geojson?code={code}"
            assert client.get(url).status_code == 200


def test_the_boards_own_day_is_always_read_and_past_days_for_a_minute(busy: Epi) -> None:
    day = today()
    first = queries.dashboard(busy.command, COMMUNITY, day).trend
    declare(busy, busy.spouse, temperature="38.9")
    add_day(GRID, day - dt.timedelta(days=3), abnormal=2)  # a late figure of a past day
    again = queries.dashboard(busy.command, COMMUNITY, day).trend
    assert (first[-1]["abnormal"], again[-1]["abnormal"]) == (1, 2)
    assert again[-4]["abnormal"] == first[-4]["abnormal"] == 0  # cached
    queries.forget()
    assert queries.dashboard(busy.command, COMMUNITY, day).trend[-4]["abnormal"] == 2


def test_before_the_deadline_unconfirmed_reports_are_waiting_not_missing(
    busy: Epi, clock: Any
) -> None:
    import re

    from gridgov.epidemic.tests.reports_fixtures import english

    def key_figure(page: str) -> str:
        found = re.search(
            r'db-kpi( db-kpi--alarm)?" data-figure="reports_missing">\s*<dt>([^<]+)', page
        )
        assert found is not None
        return f"{found.group(2)}{found.group(1) or ''}"

    url = f"/epidemic/dashboard/?code={COMMUNITY}"
    assert key_figure(english(busy.r.leader).get(url).content.decode()) == (
        "Reports missing db-kpi--alarm"
    )
    clock(at(today(), 9, 30))
    assert key_figure(english(busy.r.leader).get(url).content.decode()) == "Reports waiting"
