"""Who may reach what of screening: every page and endpoint for anonymous callers, roles
without the epidemic (a citizen, the supervision centre), a leader (figures only), staff
of another area (the neighbouring community's grid worker, the sibling township, the other
county's command centre) and the right people (the grid's worker, the community's staff,
the township, the county's and the city's command centre). A refused call changes
nothing: not a row, a figure, a message or an audit event. Lists answer within a fixed
number of queries, however many rows they show.

The campaign under test is the township 411302001's (东关街道), started, with a task for
the person of ``GRID``; beside it a draft of the same township with an imported list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from gridgov.epidemic.actions import screening as actions
from gridgov.epidemic.models import ScreeningTask
from gridgov.epidemic.tests.fixtures import SCOPE_USERS, Epi, epidemic_state, expecter
from gridgov.registry import actions as registry_actions
from gridgov.registry.tests.core_fixtures import GRID, make_id_number
from gridgov.registry.tests.web_fixtures import ID_NUMBER, client_for

pytestmark = pytest.mark.django_db

TOWNSHIP = "411302001"
USERS = SCOPE_USERS
LOGIN = 302  # pages send anonymous callers to the login page
OK = (200, 201, 302)


@pytest.fixture
def world(epi: Epi) -> dict[str, Any]:
    r = epi.r
    campaign = actions.create_campaign(
        actor=r.township, name="东关街道全员排查", region_code=TOWNSHIP, target="everyone"
    )
    actions.start_campaign(campaign.pk, actor=r.township)
    task = ScreeningTask.objects.get(campaign=campaign, person=r.person)
    other_task = ScreeningTask.objects.get(campaign=campaign, person=r.elder)
    record = actions.record_screening(actor=r.worker, person_id=r.person.pk, health="normal")
    draft = actions.create_campaign(
        actor=r.township, name="卫健委名单", region_code=TOWNSHIP, target="imported"
    )
    return {
        "ids": {
            "c": campaign.pk,
            "d": draft.pk,
            "t": task.pk,
            "t2": other_task.pk,
            "p": r.person.pk,
            "r": record.pk,
        },
        "users": epi.users(USERS),
    }


expect = expecter(USERS)


# Who reads the campaign (its region is above or inside their scope) and its figures.
READERS = dict.fromkeys(
    ("leader", "neighbour", "worker", "community", "township", "county", "command"), 200
)
# Who reads people (tasks, records) of GRID.
GRID_VIEWERS = dict.fromkeys(("worker", "community", "township", "county", "command"), 200)
# Who runs campaigns somewhere, and over this township.
CAMPAIGNERS = dict.fromkeys(("community", "township", "sibling", "county", "command"), 200)
CAMPAIGNERS["other_county"] = 200
MANAGERS = dict.fromkeys(("township", "county", "command"), 200)
SCREENERS = dict.fromkeys(("worker", "community"), 200)


def _as(answers: dict[str, int], status: int) -> dict[str, int]:
    return dict.fromkeys(answers, status)


S = "/epidemic/screening"
PAGES: list[tuple[str, dict[str, int]]] = [
    (f"{S}/", expect(302)),
    (f"{S}/campaigns/", expect(403, anonymous=LOGIN, sibling=200, other_county=200, **READERS)),
    (f"{S}/campaigns/new/", expect(403, anonymous=LOGIN, **CAMPAIGNERS)),
    (
        f"{S}/campaigns/{{c}}/",
        expect(404, anonymous=LOGIN, citizen=403, supervision=403, **READERS),
    ),
    (
        f"{S}/campaigns/{{c}}/?code={GRID}",
        expect(404, anonymous=LOGIN, citizen=403, supervision=403, leader=200, **GRID_VIEWERS),
    ),
    (
        f"{S}/campaigns/{{d}}/",
        expect(404, anonymous=LOGIN, citizen=403, supervision=403, **READERS),
    ),
    (
        f"{S}/campaigns/{{d}}/edit/",
        expect(404, anonymous=LOGIN, citizen=403, supervision=403, **MANAGERS)
        | _as({"leader": 0, "neighbour": 0, "worker": 0, "community": 0}, 403),
    ),
    (
        f"{S}/tasks/",
        expect(403, anonymous=LOGIN, neighbour=200, sibling=200, other_county=200, **GRID_VIEWERS),
    ),
    (
        f"{S}/tasks/?grid={GRID}&campaign={{c}}",
        expect(404, anonymous=LOGIN, citizen=403, supervision=403, leader=403, **GRID_VIEWERS),
    ),
    (f"{S}/tasks/{{t}}/", expect(404, anonymous=LOGIN, **GRID_VIEWERS)),
    (f"{S}/people/{{p}}/", expect(404, anonymous=LOGIN, **GRID_VIEWERS)),
    (
        f"{S}/records/",
        expect(403, anonymous=LOGIN, neighbour=200, sibling=200, other_county=200, **GRID_VIEWERS),
    ),
    (f"{S}/records/{{r}}/", expect(404, anonymous=LOGIN, **GRID_VIEWERS)),
    (
        f"{S}/records/export/",
        expect(403, anonymous=LOGIN, county=200, command=200, other_county=200),
    ),
]


@pytest.mark.parametrize("index", range(len(PAGES)))
def test_pages(world: dict[str, Any], index: int) -> None:
    path, expected = PAGES[index]
    url = path.format(**world["ids"])
    got = {name: client_for(user).get(url).status_code for name, user in world["users"].items()}
    assert got == expected, url


def _list_file() -> SimpleUploadedFile:
    content = f"公民身份号码\n{ID_NUMBER}\n".encode()
    return SimpleUploadedFile("名单.csv", content, content_type="text/csv")


def page_posts() -> list[tuple[str, Callable[[], dict[str, Any]], dict[str, int]]]:
    answers = lambda: {"health": "normal", "measures": ["none"]}  # noqa: E731
    managers = expect(404, anonymous=LOGIN, citizen=403, supervision=403) | _as(MANAGERS, 302)
    managers |= _as({"leader": 0, "neighbour": 0, "worker": 0, "community": 0}, 403)
    screeners = expect(404, anonymous=LOGIN) | _as(SCREENERS, 302)
    screeners |= _as({"township": 0, "county": 0, "command": 0}, 403)
    return [
        (
            f"{S}/campaigns/new/",
            lambda: {"name": "新排查", "target": "everyone"},
            expect(403, anonymous=LOGIN) | _as(CAMPAIGNERS, 302),
        ),
        (
            f"{S}/campaigns/{{d}}/edit/",
            lambda: {"name": "卫健委名单（二）", "target": "imported", "region_code": TOWNSHIP},
            managers,
        ),
        (
            f"{S}/campaigns/{{d}}/list/",
            lambda: {"file": _list_file()},
            managers | _as(MANAGERS, 200),
        ),
        (f"{S}/tasks/{{t}}/", answers, screeners),
        (f"{S}/tasks/{{t2}}/unreachable/", lambda: {"note": "无人应门"}, screeners),
        (f"{S}/people/{{p}}/", answers, screeners),
    ]


def _turn(user: str, status: int) -> int:
    """Refusals first, then the right people, then those who come too late (409)."""
    if status == 409:
        return 2
    return 1 if status in OK and user != "anonymous" else 0


def _run(
    world: dict[str, Any],
    expected: dict[str, int],
    call: Callable[[Client], Any],
) -> dict[str, int]:
    """Each user's answer; the right people last, every refusal checked against the
    state before it (a conflict — someone else moved it first — is a refusal too)."""
    got = {}
    for name in sorted(USERS, key=lambda u: _turn(u, expected[u])):
        before = epidemic_state()
        response = call(client_for(world["users"][name]))
        got[name] = response.status_code
        if got[name] not in OK or name == "anonymous":
            assert epidemic_state() == before, name
            if response.headers.get("Content-Type", "").startswith("application/json"):
                assert set(response.json()) == {"code", "message", "details"}, name
    return got


@pytest.mark.parametrize("index", range(len(page_posts())))
def test_page_writes_and_refusals_change_nothing(world: dict[str, Any], index: int) -> None:
    path, data, expected = page_posts()[index]
    url = path.format(**world["ids"])
    assert _run(world, expected, lambda client: client.post(url, data())) == expected, url


MOVES = ("start", "close", "cancel")


@pytest.mark.parametrize("move", MOVES)
@pytest.mark.parametrize("api", [False, True])
def test_starting_closing_cancelling(world: dict[str, Any], move: str, api: bool) -> None:
    """Only a manager of the township's campaigns moves them; the first one who does wins,
    the next one's page was stale (409)."""
    campaign = world["ids"]["d" if move == "start" else "c"]
    version = 1 if move == "start" else 2  # created, then started
    if move == "start":
        ScreeningTask.objects.create(
            campaign_id=campaign, person_id=world["ids"]["p"], grid_code=GRID
        )
    ok = 200 if api else 302
    expected = expect(404, anonymous=401 if api else LOGIN, citizen=403, supervision=403)
    expected |= _as({"leader": 0, "neighbour": 0, "worker": 0, "community": 0}, 403)
    expected |= {"township": ok, "county": 409, "command": 409}
    if api:
        url = f"/api/v1/epidemic/screening/campaigns/{campaign}/{move}"
        call = lambda c: c.post(url, {"version": version}, content_type="application/json")  # noqa: E731
    else:
        url = f"{S}/campaigns/{campaign}/{move}/"
        call = lambda c: c.post(url, {"version": str(version)})  # noqa: E731
    assert _run(world, expected, call) == expected


A = "/api/v1/epidemic/screening"


def api_calls() -> list[tuple[str, str, Callable[[], Any], dict[str, int]]]:
    answers = lambda: {"health": "normal", "measures": ["none"]}  # noqa: E731
    managers = expect(404, anonymous=401, citizen=403, supervision=403) | MANAGERS
    managers |= _as({"leader": 0, "neighbour": 0, "worker": 0, "community": 0}, 403)
    # The API asks the action at once: without epidemic.screen anywhere 403, elsewhere 404.
    screeners = expect(403, anonymous=401, neighbour=404) | SCREENERS
    readers = expect(404, anonymous=401, citizen=403, supervision=403, **READERS)
    return [
        (
            "get",
            f"{A}/campaigns",
            lambda: None,
            expect(403, anonymous=401, sibling=200, other_county=200, **READERS),
        ),
        (
            "post",
            f"{A}/campaigns",
            lambda: {"name": "新排查", "target": "everyone"},
            expect(403, anonymous=401) | _as(CAMPAIGNERS, 201),
        ),
        ("get", f"{A}/campaigns/{{c}}", lambda: None, readers),
        ("patch", f"{A}/campaigns/{{d}}", lambda: {"name": "卫健委名单（二）"}, managers),
        ("get", f"{A}/campaigns/{{c}}/progress", lambda: None, readers),
        (
            "get",
            f"{A}/campaigns/{{c}}/progress?code={GRID}",
            lambda: None,
            expect(404, anonymous=401, citizen=403, supervision=403, leader=200, **GRID_VIEWERS),
        ),
        (
            "get",
            f"{A}/tasks?mine=true",
            lambda: None,
            expect(403, anonymous=401, neighbour=200, **SCREENERS),
        ),
        (
            "get",
            f"{A}/tasks?grid={GRID}",
            lambda: None,
            expect(404, anonymous=401, citizen=403, supervision=403, leader=403, **GRID_VIEWERS),
        ),
        ("get", f"{A}/tasks/{{t}}", lambda: None, expect(404, anonymous=401, **GRID_VIEWERS)),
        ("post", f"{A}/tasks/{{t}}/record", answers, screeners | _as(SCREENERS, 201)),
        ("post", f"{A}/tasks/{{t2}}/unreachable", lambda: {"note": "无人"}, screeners),
        ("post", f"{A}/records", lambda: None, screeners | _as(SCREENERS, 201)),
        (
            "get",
            f"{A}/records",
            lambda: None,
            expect(403, anonymous=401, neighbour=200, sibling=200, other_county=200) | GRID_VIEWERS,
        ),
        ("get", f"{A}/records/{{r}}", lambda: None, expect(404, anonymous=401, **GRID_VIEWERS)),
    ]


@pytest.mark.parametrize("index", range(len(api_calls())))
def test_api(world: dict[str, Any], index: int) -> None:
    method, path, body, expected = api_calls()[index]
    url = path.format(**world["ids"])

    def call(client: Client) -> Any:
        payload = body()
        if url.endswith("/records") and method == "post":
            payload = {"person_id": world["ids"]["p"], "health": "normal"}
        if payload is None:
            return getattr(client, method)(url)
        return getattr(client, method)(url, payload, content_type="application/json")

    assert _run(world, expected, call) == expected, url


def test_the_api_list_upload(world: dict[str, Any]) -> None:
    url = f"{A}/campaigns/{world['ids']['d']}/list"
    expected = expect(404, anonymous=401, citizen=403, supervision=403) | MANAGERS
    expected |= _as({"leader": 0, "neighbour": 0, "worker": 0, "community": 0}, 403)
    got = _run(world, expected, lambda client: client.post(url, {"file": _list_file()}))
    assert got == expected


def test_the_matrix_covers_every_route() -> None:
    """A new screening page or endpoint must be added to the matrix above."""
    from gridgov.api.api import api
    from gridgov.epidemic.views import screening

    assert {p.name for p in screening.urlpatterns} == {
        *("screening_home", "screening_campaigns", "screening_campaign_create"),
        *("screening_campaign", "screening_campaign_edit", "screening_campaign_start"),
        *("screening_campaign_close", "screening_campaign_cancel", "screening_campaign_upload"),
        *("screening_tasks", "screening_task", "screening_task_unreachable"),
        *("screening_person", "screening_records", "screening_records_export"),
        "screening_record",
    }
    paths = api.get_openapi_schema()["paths"]
    operations = [
        (method, path) for path, ops in paths.items() if "/screening/" in path for method in ops
    ]
    assert len(operations) == 16  # 13 in api_calls, 3 moves (the list upload apart)


# --- query counts --------------------------------------------------------------------------


def _more_people(epi: Epi, n: int) -> None:
    for i in range(n):
        registry_actions.create_person(
            actor=epi.r.worker,
            name=f"居民{i:02d}",
            id_number=make_id_number("411302", dt.date(1960 + i, 1, 1), 301 + 2 * i),
            grid_code=GRID,
            address=f"河街路{20 + i}号",
        )


def test_lists_answer_in_a_fixed_number_of_queries(
    epi: Epi, django_assert_max_num_queries: Any
) -> None:
    _more_people(epi, 24)
    r = epi.r
    campaigns = [
        actions.create_campaign(
            actor=r.township, name=f"排查{i}", region_code=TOWNSHIP, target="everyone"
        )
        for i in range(3)
    ]
    for campaign in campaigns:
        actions.start_campaign(campaign.pk, actor=r.township)
    for visited in ScreeningTask.objects.filter(campaign=campaigns[0], grid_code=GRID)[:20]:
        actions.record_screening(actor=r.worker, task_id=visited.pk, health="normal")
    c = campaigns[0].pk
    task = ScreeningTask.objects.filter(campaign_id=c, grid_code=GRID).first()
    assert task is not None
    worker, township, command = (
        client_for(r.worker),
        client_for(r.township),
        client_for(epi.command),
    )
    checks = [
        (township, f"{S}/campaigns/", 10),
        (township, f"{S}/campaigns/{c}/", 12),
        (township, f"{S}/campaigns/{c}/?code=411302001001", 12),
        (worker, f"{S}/tasks/?status=all", 13),
        (worker, f"{S}/tasks/{task.pk}/", 9),
        (township, f"{S}/records/", 10),
        (command, f"{S}/records/export/", 16),  # the audit event and its savepoints
        (township, f"{A}/campaigns?page_size=50", 9),
        (township, f"{A}/campaigns/{c}/progress", 10),
        (worker, f"{A}/tasks?mine=true&status=all&page_size=100", 9),
        (township, f"{A}/records?page_size=100", 8),
    ]
    for client, url, budget in checks:
        with django_assert_max_num_queries(budget, info=url):
            assert client.get(url).status_code == 200, url
