"""Who may reach what of isolation: every page and endpoint, for anonymous callers, roles
without the epidemic (a citizen, the supervision centre), a leader (figures only), staff of
another area (the neighbouring community's grid worker, the sibling township, the other
county's command centre), and the people of this grid: its worker (follows up), the
community's staff (follows up and isolates), the township's staff (isolates, does not
visit), the county's and the city's command centre. A refused call changes nothing: not a
row, a roll-up, a message or an audit event.

Expected answers: anonymous → the login page (pages) or 401 (API); no capability → 403
(404 for one episode or follow-up they cannot see); another area → 404 for anything of
this grid; the right people → 200 (or the write's own success status).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from gridgov.core.system import SYSTEM
from gridgov.epidemic import rules
from gridgov.epidemic.actions import isolation as actions
from gridgov.epidemic.models import IsolationEpisode, IsolationStatus
from gridgov.epidemic.tests.fixtures import SCOPE_USERS, Epi, epidemic_state, expecter
from gridgov.registry.tests.core_fixtures import GRID
from gridgov.registry.tests.web_fixtures import client_for

pytestmark = pytest.mark.django_db

USERS = SCOPE_USERS
LOGIN = 302
OK = (200, 201, 302)
VIEWERS = ("worker", "community", "township", "county", "command")  # epidemic.view over GRID
ISOLATORS = ("community", "township", "county", "command")  # epidemic.isolate over GRID
OUTSIDERS = ("neighbour", "sibling", "other_county")  # epidemic roles elsewhere
UNRELATED = ("citizen", "supervision", "leader")  # no epidemic.view anywhere


expect = expecter(USERS)


def each(users: tuple[str, ...], status: int) -> dict[str, int]:
    return dict.fromkeys(users, status)


@dataclass
class World:
    epi: Epi
    users: dict[str, Any]

    @property
    def person(self) -> Any:
        return self.epi.r.person

    def episode(self) -> IsolationEpisode:
        return IsolationEpisode.objects.filter(person=self.person).order_by("-pk").first()

    def ids(self) -> dict[str, int]:
        episode = self.episode()
        follow_up = episode.follow_ups.order_by("-date").first() if episode else None
        return {
            "p": self.person.pk,
            "e": episode.pk if episode else 0,
            "f": follow_up.pk if follow_up else 0,
            "v": episode.version if episode else 0,
        }


@pytest.fixture
def world(epi: Epi) -> World:
    users = epi.users(USERS)
    found = World(epi, users)
    fresh(found)
    return found


def fresh(world: World) -> None:
    """An active episode of the person with today's follow-up still due (what every
    write below needs), made by the system before the call."""
    episode = world.episode()
    if episode is not None and episode.status == IsolationStatus.ACTIVE:
        if episode.follow_ups.filter(date=rules.today(), status="due").exists():
            return
        actions.release_isolation(episode.pk, actor=SYSTEM, note="重来")
    actions.start_isolation(
        actor=SYSTEM,
        person_id=world.person.pk,
        kind="home",
        reason="close_contact",
        start_date=rules.today() - dt.timedelta(days=1),
    )


def released(world: World) -> None:
    """No active episode: what a start needs."""
    episode = world.episode()
    if episode is not None and episode.status == IsolationStatus.ACTIVE:
        actions.release_isolation(episode.pk, actor=SYSTEM, note="重来")


# --- pages --------------------------------------------------------------------------------

PAGES: list[tuple[str, dict[str, int]]] = [
    (
        "/epidemic/isolation/",
        expect(403, anonymous=LOGIN, **each(VIEWERS + OUTSIDERS, 302)),
    ),
    (
        "/epidemic/isolation/episodes/",
        expect(403, anonymous=LOGIN, **each(VIEWERS + OUTSIDERS, 200)),
    ),
    (
        "/epidemic/isolation/episodes/?code=" + GRID,
        expect(403, anonymous=LOGIN, **each(VIEWERS, 200), **each(OUTSIDERS, 404)),
    ),
    (
        "/epidemic/isolation/episodes/new/",
        expect(403, anonymous=LOGIN, **each((*ISOLATORS, "sibling", "other_county"), 200)),
    ),
    (
        "/epidemic/isolation/episodes/new/?person={p}",
        expect(403, anonymous=LOGIN, **each(ISOLATORS, 200), sibling=404, other_county=404),
    ),
    (
        "/epidemic/isolation/episodes/{e}/",
        expect(404, anonymous=LOGIN, **each(VIEWERS, 200)),
    ),
    (
        "/epidemic/isolation/follow-ups/",
        expect(403, anonymous=LOGIN, worker=200, community=200, neighbour=200),
    ),
    (
        "/epidemic/isolation/follow-ups/?code=" + GRID,
        expect(403, anonymous=LOGIN, worker=200, community=200, neighbour=404),
    ),
    ("/epidemic/isolation/missed/", expect(403, anonymous=LOGIN, **each(VIEWERS + OUTSIDERS, 200))),
    (
        "/epidemic/isolation/missed/?code=" + GRID,
        expect(403, anonymous=LOGIN, **each(VIEWERS, 200), **each(OUTSIDERS, 404)),
    ),
]


@pytest.mark.parametrize("index", range(len(PAGES)))
def test_pages(world: World, index: int) -> None:
    path, expected = PAGES[index]
    url = path.format(**world.ids())
    got = {name: client_for(user).get(url).status_code for name, user in world.users.items()}
    assert got == expected, url


ENDS = itertools.count(15)


def _later() -> str:
    return (rules.today() + dt.timedelta(days=next(ENDS))).isoformat()


# (path, data, expected, prepare): data and path are made after prepare, from world.ids().
PAGE_POSTS: list[
    tuple[str, Callable[[dict[str, int]], dict[str, Any]], dict[str, int], Callable[[World], None]]
] = [
    (
        "/epidemic/isolation/episodes/new/",
        lambda ids: {
            "person_id": ids["p"],
            "kind": "home",
            "reason": "risk_arrival",
            "start_date": rules.today().isoformat(),
        },
        expect(403, anonymous=LOGIN, **each(ISOLATORS, 302), sibling=404, other_county=404),
        released,
    ),
    (
        "/epidemic/isolation/episodes/{e}/release/",
        lambda ids: {"note": "阴性", "version": ids["v"]},
        expect(404, anonymous=LOGIN, worker=403, **each(ISOLATORS, 302)),
        fresh,
    ),
    (
        "/epidemic/isolation/episodes/{e}/extend/",
        lambda ids: {"planned_end": _later(), "note": "延长", "version": ids["v"]},
        expect(404, anonymous=LOGIN, worker=403, **each(ISOLATORS, 302)),
        fresh,
    ),
    (
        "/epidemic/isolation/episodes/release-due/",
        lambda ids: {"code": ""},
        expect(403, anonymous=LOGIN, **each((*ISOLATORS, "sibling", "other_county"), 302)),
        fresh,
    ),
    (
        "/epidemic/isolation/follow-ups/{f}/",
        lambda ids: {},
        expect(404, anonymous=LOGIN, worker=302, community=302)
        | each(("township", "county", "command"), 403),
        fresh,
    ),
]


def _attempt(world: World, user: str, expected: int, call: Callable[[dict[str, int]], int]) -> int:
    ids = world.ids()
    before = epidemic_state()
    status = call(ids)
    if status not in OK or user == "anonymous":
        assert epidemic_state() == before, user
    return status


def _order(expected: dict[str, int]) -> list[str]:
    """Refusals first, each against the state the right people have not touched yet."""
    return sorted(USERS, key=lambda u: expected[u] in OK and u != "anonymous")


@pytest.mark.parametrize("index", range(len(PAGE_POSTS)))
def test_page_writes_and_refusals_change_nothing(world: World, index: int) -> None:
    path, data, expected, prepare = PAGE_POSTS[index]
    got = {}
    for name in _order(expected):
        prepare(world)
        client = client_for(world.users[name])
        got[name] = _attempt(
            world,
            name,
            expected[name],
            lambda ids, c=client: c.post(path.format(**ids), data(ids)).status_code,
        )
    assert got == expected, path


# --- API ----------------------------------------------------------------------------------

BASE = "/api/v1/epidemic/isolation"
API_READS: list[tuple[str, dict[str, int]]] = [
    (f"{BASE}/episodes", expect(403, anonymous=401, **each(VIEWERS + OUTSIDERS, 200))),
    (
        f"{BASE}/episodes?code={GRID}",
        expect(403, anonymous=401, **each(VIEWERS, 200), **each(OUTSIDERS, 404)),
    ),
    (BASE + "/episodes/{e}", expect(404, anonymous=401, **each(VIEWERS, 200))),
    (
        f"{BASE}/follow-ups",
        expect(403, anonymous=401, worker=200, community=200, neighbour=200),
    ),
    (
        f"{BASE}/follow-ups?code={GRID}",
        expect(403, anonymous=401, worker=200, community=200, neighbour=404),
    ),
    (f"{BASE}/follow-ups/missed", expect(403, anonymous=401, **each(VIEWERS + OUTSIDERS, 200))),
]


@pytest.mark.parametrize("index", range(len(API_READS)))
def test_api_reads(world: World, index: int) -> None:
    path, expected = API_READS[index]
    url = path.format(**world.ids())
    got = {}
    for name, user in world.users.items():
        response = client_for(user).get(url)
        got[name] = response.status_code
        if response.status_code >= 400:
            assert set(response.json()) == {"code", "message", "details"}, (url, name)
    assert got == expected, url


API_WRITES: list[
    tuple[str, Callable[[dict[str, int]], dict[str, Any]], dict[str, int], Callable[[World], None]]
] = [
    (
        f"{BASE}/episodes",
        lambda ids: {"person_id": ids["p"], "kind": "home", "reason": "close_contact"},
        expect(403, anonymous=401, **each(ISOLATORS, 201), sibling=404, other_county=404),
        released,
    ),
    (
        BASE + "/episodes/{e}/release",
        lambda ids: {"note": "阴性", "version": ids["v"]},
        expect(404, anonymous=401, worker=403, **each(ISOLATORS, 200)),
        fresh,
    ),
    (
        BASE + "/episodes/{e}/extend",
        lambda ids: {"planned_end": _later(), "note": "延长", "version": ids["v"]},
        expect(404, anonymous=401, worker=403, **each(ISOLATORS, 200)),
        fresh,
    ),
    (
        BASE + "/follow-ups/{f}",
        lambda ids: {"temperature": 36.6},
        expect(404, anonymous=401, worker=200, community=200)
        | each(("township", "county", "command"), 403),
        fresh,
    ),
]


@pytest.mark.parametrize("index", range(len(API_WRITES)))
def test_api_writes_and_refusals_change_nothing(world: World, index: int) -> None:
    path, body, expected, prepare = API_WRITES[index]
    got = {}
    for name in _order(expected):
        prepare(world)
        client = client_for(world.users[name])

        def call(ids: dict[str, int], c: Any = client) -> int:
            response = c.post(path.format(**ids), body(ids), content_type="application/json")
            if response.status_code >= 400:
                assert set(response.json()) == {"code", "message", "details"}
            return response.status_code

        got[name] = _attempt(world, name, expected[name], call)
    assert got == expected, path


def test_the_matrix_covers_every_isolation_route() -> None:
    from gridgov.api.api import api
    from gridgov.epidemic.views import isolation as views

    assert {p.name for p in views.urlpatterns} == {
        *("isolation_home", "isolation_list", "isolation_start", "isolation_detail"),
        *("isolation_release", "isolation_extend", "isolation_release_due"),
        *("isolation_follow_ups", "isolation_follow_up_record", "isolation_missed"),
    }
    paths = api.get_openapi_schema()["paths"]
    operations = {
        (method, path)
        for path, ops in paths.items()
        if "/epidemic/isolation" in path
        for method in ops
    }
    assert len(operations) == len(API_READS) - 2 + len(API_WRITES)  # two reads differ by query
