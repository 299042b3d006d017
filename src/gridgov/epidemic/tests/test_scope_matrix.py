"""Who may reach what: every epidemic page and endpoint, for anonymous callers, roles
without the epidemic (a citizen, the supervision centre), a leader (figures only), staff
of another area (the neighbouring community's grid worker, the sibling township, the other
county's command centre) and the right people (the grid's worker, the county's and the
city's command centre). A refused call changes nothing: not a row, a message or an audit
event. Lists answer within a fixed number of queries, however many rows they show.

Expected answers: anonymous → the login page (pages) or 401 (API); no capability → 403
(or 404 for one person's data, which they may not see); another area → 404 for anything
of this grid; the right people → 200 (or the write's own success status).
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from gridgov.epidemic import rules
from gridgov.epidemic.actions import declarations as declaration_actions
from gridgov.epidemic.actions import risk as risk_actions
from gridgov.epidemic.tests.fixtures import SCOPE_USERS, Epi, epidemic_state, expecter
from gridgov.registry.tests.core_fixtures import GRID
from gridgov.registry.tests.web_fixtures import client_for

pytestmark = pytest.mark.django_db

TODAY = dt.date.today().isoformat()
USERS = tuple(u for u in SCOPE_USERS if u not in ("community", "township"))


@pytest.fixture
def world(epi: Epi) -> dict[str, Any]:
    area = risk_actions.add_risk_area(
        actor=epi.county,
        division_code="4201",
        level="high",
        valid_from=rules.today() - dt.timedelta(days=10),
    )
    return {
        "epi": epi,
        "p": epi.r.person.pk,
        "a": area.pk,
        "users": epi.users(USERS),
    }


expect = expecter(USERS)


LOGIN = 302  # pages send anonymous callers to the login page
READERS = {"worker": 200, "county": 200, "command": 200, "leader": 200, "neighbour": 200}
READERS |= {"sibling": 200, "other_county": 200}

# (path, expected statuses) of pages read with GET; {p} a person of GRID, {a} a risk area.
PAGES: list[tuple[str, dict[str, int]]] = [
    ("/epidemic/declarations/", expect(403, anonymous=LOGIN, worker=200, neighbour=200)),
    (
        f"/epidemic/declarations/{GRID}/",
        expect(404, anonymous=LOGIN, worker=200)
        | {"citizen": 403, "leader": 403, "supervision": 403, "county": 403, "command": 403},
    ),
    (
        "/epidemic/people/{p}/",
        expect(404, anonymous=LOGIN, worker=200, county=200, command=200),
    ),
    (
        "/epidemic/people/{p}/code/",
        expect(404, anonymous=LOGIN, worker=200, county=200, command=200),
    ),
    ("/epidemic/risk-areas/", expect(403, anonymous=LOGIN, **READERS)),
    ("/epidemic/risk-areas/{a}/", expect(403, anonymous=LOGIN, **READERS)),
    (
        "/epidemic/risk-areas/new/",
        expect(403, anonymous=LOGIN, county=200, command=200, other_county=200),
    ),
    (
        "/epidemic/risk-arrivals/",
        expect(403, anonymous=LOGIN, **{k: v for k, v in READERS.items() if k != "leader"}),
    ),
    ("/epidemic/settings/", expect(403, anonymous=LOGIN, command=200)),
    ("/epidemic/", expect(302)),
    ("/epidemic/verify/", expect(200)),
    ("/epidemic/verify/public-key.txt", expect(200)),
    ("/epidemic/public/", expect(200)),
]


def _key() -> str:
    return uuid.uuid4().hex


def page_posts(w: dict[str, Any]) -> list[tuple[str, Callable[[], dict[str, str]], dict[str, int]]]:
    p, a = w["p"], w["a"]
    declare = lambda: {  # noqa: E731 — a fresh key per call
        f"p{p}-person_id": str(p),
        f"p{p}-client_key": _key(),
        f"p{p}-temperature": "36.5",
    }
    area = lambda: {"division_code": "3301", "level": "low", "valid_from": TODAY}  # noqa: E731
    ends = itertools.count(1)
    # Each successful call ends the area a day earlier than the one before.
    end = lambda: {"valid_to": (rules.today() - dt.timedelta(days=next(ends))).isoformat()}  # noqa: E731
    managers = expect(403, anonymous=LOGIN, county=302, command=302, other_county=404)
    return [
        (
            f"/epidemic/declarations/{GRID}/people/{p}/",
            declare,
            expect(404, anonymous=LOGIN, worker=302),
        ),
        (
            "/epidemic/risk-areas/new/",
            area,
            expect(403, anonymous=LOGIN, county=302, command=302, other_county=302),
        ),
        (f"/epidemic/risk-areas/{a}/", area, managers),
        (f"/epidemic/risk-areas/{a}/end/", end, managers),
        (
            f"/epidemic/people/{p}/code/decide/",
            lambda: {"colour": "red", "note": "密接"},
            expect(404, anonymous=LOGIN, county=302, command=302, worker=403),
        ),
        (
            "/epidemic/settings/",
            lambda: {
                "fever_threshold": "37.5",
                "symptom_colour": "yellow",
                "contact_colour": "red",
                "medium_risk_colour": "yellow",
                "high_risk_colour": "red",
                "yellow_normal_days": "7",
                "red_normal_days": "14",
                "report_deadline_hour": "10",
                "follow_up_deadline_hour": "20",
                "version": "1",
            },
            expect(403, anonymous=LOGIN, command=302),
        ),
    ]


def api_calls(w: dict[str, Any]) -> list[tuple[str, str, Callable[[], Any], dict[str, int]]]:
    p, a = w["p"], w["a"]
    base = "/api/v1/epidemic"
    declaration = lambda: {"person_id": p, "client_key": _key(), "temperature": 36.5}  # noqa: E731
    readers = expect(403, anonymous=401, **READERS)
    managers = expect(403, anonymous=401, county=200, command=200, other_county=404)
    ends = itertools.count(1)
    end = lambda: {"valid_to": (rules.today() - dt.timedelta(days=next(ends))).isoformat()}  # noqa: E731
    return [
        ("get", f"{base}/risk-areas", lambda: None, readers),
        ("get", f"{base}/risk-areas/{a}", lambda: None, readers),
        ("get", f"{base}/risk-areas/match?code=420102", lambda: None, readers),
        (
            "post",
            f"{base}/risk-areas",
            lambda: {"division_code": "3301", "level": "low", "valid_from": TODAY},
            expect(403, anonymous=401, county=201, command=201, other_county=201),
        ),
        ("patch", f"{base}/risk-areas/{a}", lambda: {"level": "medium"}, managers),
        ("post", f"{base}/risk-areas/{a}/end", end, managers),
        (
            "get",
            f"{base}/risk-arrivals?since={TODAY}",
            lambda: None,
            expect(403, anonymous=401, **{k: v for k, v in READERS.items() if k != "leader"}),
        ),
        (
            "get",
            f"{base}/risk-arrivals?since={TODAY}&code={GRID}",
            lambda: None,
            expect(404, anonymous=401, worker=200, county=200, command=200, citizen=403)
            | {"leader": 403, "supervision": 403},
        ),
        (
            "post",
            f"{base}/declarations",
            declaration,
            expect(403, anonymous=401, worker=201, neighbour=404),
        ),
        (
            "post",
            f"{base}/declarations/batch",
            lambda: {"items": [declaration()]},
            expect(403, anonymous=401, worker=200, neighbour=404),
        ),
        (
            "get",
            f"{base}/declarations",
            lambda: None,
            expect(403, anonymous=401, **READERS) | {"leader": 403},
        ),
        (
            "get",
            f"{base}/declarations?code={GRID}",
            lambda: None,
            expect(404, anonymous=401, worker=200, county=200, command=200)
            | {"citizen": 403, "leader": 403, "supervision": 403},
        ),
        (
            "get",
            f"{base}/people/{p}/health-code",
            lambda: None,
            expect(404, anonymous=401, worker=200, county=200, command=200),
        ),
        (
            "get",
            f"{base}/figures/{GRID}",
            lambda: None,
            expect(404, anonymous=401, worker=200, county=200, command=200, leader=200)
            | {"citizen": 403, "supervision": 403},
        ),
        ("get", f"{base}/verify?token=HC1.x.y", lambda: None, expect(200)),
    ]


@pytest.mark.parametrize("index", range(len(PAGES)))
def test_pages(world: dict[str, Any], index: int) -> None:
    path, expected = PAGES[index]
    url = path.format(p=world["p"], a=world["a"])
    got = {name: client_for(user).get(url).status_code for name, user in world["users"].items()}
    assert got == expected, url


def _post_page(client: Client, url: str, data: dict[str, str]) -> int:
    return client.post(url, data).status_code


@pytest.mark.parametrize("index", range(6))
def test_page_writes_and_refusals_change_nothing(world: dict[str, Any], index: int) -> None:
    url, data, expected = page_posts(world)[index]
    got = {}
    # The right people last: every refusal is checked against the untouched state.
    for name in sorted(USERS, key=lambda u: expected[u] in (200, 201, 302) and u != "anonymous"):
        before = epidemic_state()
        got[name] = _post_page(client_for(world["users"][name]), url, data())
        if got[name] not in (200, 201, 302) or name == "anonymous":
            assert epidemic_state() == before, (url, name)
    assert got == expected, url


@pytest.mark.parametrize("index", range(15))
def test_api(world: dict[str, Any], index: int) -> None:
    method, url, body, expected = api_calls(world)[index]
    got = {}
    for name in sorted(USERS, key=lambda u: expected[u] < 400):
        before = epidemic_state()
        client = client_for(world["users"][name])
        payload = body()
        if payload is None:
            response = getattr(client, method)(url)
        else:
            response = getattr(client, method)(url, payload, content_type="application/json")
        got[name] = response.status_code
        if response.status_code >= 400:
            assert epidemic_state() == before, (url, name)
            assert set(response.json()) == {"code", "message", "details"}, (url, name)
    assert got == expected, url


def test_the_matrix_covers_every_route() -> None:
    """A new page or endpoint of the first concerns (declarations, risk areas, health
    codes) must be added to the matrix above (the public household pages are tested in
    test_public); every later concern has its own matrix in test_<concern>_scope.py."""
    from gridgov.epidemic.api import declarations, health_code, risk
    from gridgov.epidemic.views import declarations as declaration_pages
    from gridgov.epidemic.views import health_code as code_pages
    from gridgov.epidemic.views import public as public_pages
    from gridgov.epidemic.views import risk as risk_pages

    pages = (declaration_pages, risk_pages, code_pages, public_pages)
    assert {p.name for module in pages for p in module.urlpatterns} == {
        *("home", "sheet_home", "sheet", "sheet_declare", "person", "person_code", "decide"),
        *("risk_list", "risk_create", "risk_detail", "risk_end", "risk_arrivals"),
        *("verify", "public_key", "settings"),
        *("public_identify", "public_household", "public_declare", "public_code", "public_leave"),
    }
    operations = [
        (method, path)
        for module in (declarations, risk, health_code)
        for path, view in module.router.path_operations.items()
        for operation in view.operations
        for method in operation.methods
    ]
    assert len(operations) == 13  # each called above


def test_every_concern_has_its_scope_matrix() -> None:
    """Each concern's page module is matched by a scope-matrix test file."""
    from pathlib import Path

    from gridgov.epidemic.concerns import modules

    here = Path(__file__).parent
    first = {"declarations", "risk", "health_code", "public"}
    for module in modules("views"):
        concern = module.__name__.rsplit(".", 1)[-1]
        if concern not in first:
            assert (here / f"test_{concern}_scope.py").exists(), concern


# --- query counts --------------------------------------------------------------------------


def _many_declarations(epi: Epi, n: int) -> None:
    people = [epi.r.person, epi.spouse, epi.r.elder]
    rows = [
        {
            "person_id": people[i % 3].pk,
            "client_key": _key(),
            "temperature": "38.0" if i % 4 else "36.5",
        }
        for i in range(n)
    ]
    declaration_actions.record_declarations(rows, actor=epi.r.worker)


def test_lists_answer_in_a_fixed_number_of_queries(
    epi: Epi, django_assert_max_num_queries: Any
) -> None:
    for n in range(12):
        risk_actions.add_risk_area(
            actor=epi.command,
            division_code=f"42{n:02d}",
            name=f"地区{n}",
            level="low",
            valid_from=rules.today(),
        )
    _many_declarations(epi, 30)
    worker = client_for(epi.r.worker)
    command = client_for(epi.command)
    checks = [
        (worker, f"/epidemic/declarations/{GRID}/", 12),
        (worker, "/epidemic/declarations/", 12),
        (command, "/epidemic/risk-areas/", 10),
        (worker, "/epidemic/risk-arrivals/", 10),
        (worker, f"/epidemic/people/{epi.r.person.pk}/", 12),
        (worker, "/api/v1/epidemic/declarations?page_size=50", 8),
        (command, "/api/v1/epidemic/risk-areas?page_size=50", 8),
        (worker, f"/api/v1/epidemic/figures/{GRID}", 8),
    ]
    for client, url, budget in checks:
        with django_assert_max_num_queries(budget):
            assert client.get(url).status_code == 200, url
