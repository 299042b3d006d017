"""Who may reach the case, contact and situation pages and endpoints: anonymous callers,
roles without the epidemic (a citizen, the supervision centre), a leader (figures only),
staff of another area (the neighbouring community's grid worker, the sibling township, the
other county's command centre), the grid's worker (reads, records nothing), and the right
people (the community's staff, the county's and the city's command centre). A refused
call changes nothing: not a row, a roll-up or an audit event.

Expected answers: anonymous → the login page (pages) or 401 (API); no capability → 403;
the case or person of another area → 404; the right people → their success status.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.epidemic import rules
from gridgov.epidemic.actions import contacts as actions
from gridgov.epidemic.models import InfectionCase
from gridgov.epidemic.tests.fixtures import SCOPE_USERS, SPOUSE_ID, Epi, epidemic_state, expecter
from gridgov.registry import actions as registry_actions
from gridgov.registry.tests.core_fixtures import COMMUNITY, GRID
from gridgov.registry.tests.web_fixtures import ID_NUMBER, client_for

pytestmark = pytest.mark.django_db

USERS = tuple(u for u in SCOPE_USERS if u != "township")
SUCCESS = (200, 201, 204, 302)
LOGIN = 302
_names = itertools.count(1)


expect = expecter(USERS)


def seeing(ok: int, anonymous: int, **others: int) -> dict[str, int]:
    """Only those who see the grid's people (worker, community, county, city) get ``ok``."""
    return expect(404, anonymous=anonymous, worker=ok, community=ok, county=ok, command=ok) | others


def isolating(ok: int, anonymous: int) -> dict[str, int]:
    """Changing what the grid's people see: the grid worker sees it but may not (403)."""
    return seeing(ok, anonymous, worker=403)


@pytest.fixture
def world(epi: Epi) -> dict[str, Any]:
    case = actions.record_infection_case(
        actor=epi.county, person_id=epi.r.person.pk, kind="confirmed"
    )
    actions.link_close_contact(actor=epi.county, person_id=epi.spouse.pk, source_id=epi.r.person.pk)
    actions.compute_situations(rules.today())
    return {
        "epi": epi,
        "case": case,
        "users": epi.users(USERS),
    }


def fresh_person(epi: Epi) -> Any:
    """Someone new in the grid, for a write that succeeds once per person."""
    return registry_actions.create_person(
        actor=epi.r.worker, name=f"新居民{next(_names)}", sex="F", grid_code=GRID
    )


def fresh_link(epi: Epi) -> int:
    person = fresh_person(epi)
    return actions.link_close_contact(
        actor=epi.county, person_id=person.pk, source_id=epi.r.person.pk
    ).pk


# --- reading ------------------------------------------------------------------------------

VIEWERS = expect(200, anonymous=LOGIN, citizen=403, supervision=403, leader=403)
ISOLATORS = expect(403, anonymous=LOGIN, sibling=200, other_county=200, community=200) | {
    "county": 200,
    "command": 200,
}
EXPORTERS = expect(403, anonymous=LOGIN, other_county=200, county=200, command=200)
FIGURES = expect(200, anonymous=LOGIN, citizen=403, supervision=403)
TOWNSHIP_FIGURES = expect(404, anonymous=LOGIN, citizen=403, supervision=403) | {
    "leader": 200,
    "county": 200,
    "command": 200,
}
COMMUNITY_FIGURES = TOWNSHIP_FIGURES | {"worker": 200, "community": 200}


def pages(w: dict[str, Any]) -> list[tuple[str, dict[str, int]]]:
    c, p = w["case"].pk, w["epi"].r.person.pk
    return [
        ("/epidemic/cases/", VIEWERS),
        ("/epidemic/cases/new/", ISOLATORS),
        (f"/epidemic/cases/new/?person={p}", ISOLATORS | {"sibling": 404, "other_county": 404}),
        (f"/epidemic/cases/{c}/", seeing(200, LOGIN)),
        (f"/epidemic/cases/{c}/contacts/new/", isolating(200, LOGIN)),
        (f"/epidemic/cases/{c}/contacts/export/", EXPORTERS | {"other_county": 404}),
        (f"/epidemic/contacts/people/{p}/", seeing(200, LOGIN)),
        ("/epidemic/contacts/export/", EXPORTERS),
        ("/epidemic/contacts/export/?code=411302001&format=csv", EXPORTERS | {"other_county": 404}),
        ("/epidemic/contacts/import/", ISOLATORS),
        ("/epidemic/contacts/import/template.xlsx", ISOLATORS),
        ("/epidemic/situations/", FIGURES),
        ("/epidemic/situations/?code=411302001", TOWNSHIP_FIGURES),
        (f"/epidemic/situations/{COMMUNITY}/", COMMUNITY_FIGURES),
    ]


API = "/api/v1/epidemic"
API_VIEWERS = VIEWERS | {"anonymous": 401}
API_FIGURES = FIGURES | {"anonymous": 401}


def api_reads(w: dict[str, Any]) -> list[tuple[str, dict[str, int]]]:
    c, p = w["case"].pk, w["epi"].r.person.pk
    return [
        (f"{API}/cases", API_VIEWERS),
        (
            f"{API}/cases?code={GRID}",
            seeing(200, 401, citizen=403, supervision=403, leader=403),
        ),
        (f"{API}/cases/{c}", seeing(200, 401)),
        (f"{API}/cases/{c}/contacts?degree=1", seeing(200, 401)),
        (f"{API}/cases/{c}/contacts/export", EXPORTERS | {"anonymous": 401, "other_county": 404}),
        (
            f"{API}/contacts/export?code=411302001&format=csv",
            EXPORTERS | {"anonymous": 401, "other_county": 404},
        ),
        (f"{API}/people/{p}/exposures", seeing(200, 401)),
        (f"{API}/situations", API_FIGURES),
        (f"{API}/situations?code=411302001", TOWNSHIP_FIGURES | {"anonymous": 401}),
        (f"{API}/situations/map.geojson?code=411302001", TOWNSHIP_FIGURES | {"anonymous": 401}),
        (f"{API}/situations/{COMMUNITY}/history", COMMUNITY_FIGURES | {"anonymous": 401}),
    ]


def _reads(w: dict[str, Any], url: str) -> dict[str, int]:
    got = {}
    for name, user in w["users"].items():
        before = epidemic_state()
        got[name] = client_for(user).get(url).status_code
        if got[name] not in SUCCESS or name == "anonymous" or "export" not in url:
            assert epidemic_state() == before, (url, name)  # reading changes nothing
    return got


@pytest.mark.parametrize("index", range(14))
def test_pages(world: dict[str, Any], index: int) -> None:
    url, expected = pages(world)[index]
    assert _reads(world, url) == expected, url


@pytest.mark.parametrize("index", range(11))
def test_api_reads(world: dict[str, Any], index: int) -> None:
    url, expected = api_reads(world)[index]
    assert _reads(world, url) == expected, url


# --- writing ------------------------------------------------------------------------------

Write = tuple[str, Callable[[], str], Callable[[], Any], dict[str, int]]


def _contact_file() -> SimpleUploadedFile:
    text = f"密接身份证号,来源身份证号\n{SPOUSE_ID},{ID_NUMBER}\n"
    return SimpleUploadedFile("contacts.csv", text.encode(), content_type="text/csv")


def writes(w: dict[str, Any]) -> list[Write]:
    epi, c = w["epi"], w["case"]
    person = epi.r.person.pk

    def version() -> int:
        return InfectionCase.objects.get(pk=c.pk).version

    note = itertools.count(1)
    change = lambda: {  # noqa: E731 — a real change with the version read now
        "kind": "confirmed",
        "status": "open",
        "source_known": "no",
        "source_note": f"流调{next(note)}",
        "version": str(version()),
    }
    isolators = expect(403, anonymous=LOGIN, sibling=404, other_county=404) | {
        "community": 302,
        "county": 302,
        "command": 302,
    }
    return [
        (
            "post",
            lambda: "/epidemic/cases/new/",
            lambda: {
                "person_id": fresh_person(epi).pk,
                "kind": "suspected",
                "reported_on": rules.today(),
            },
            isolators,
        ),
        ("post", lambda: f"/epidemic/cases/{c.pk}/", change, isolating(302, LOGIN)),
        (
            "post",
            lambda: f"/epidemic/cases/{c.pk}/contacts/new/",
            lambda: {"person_id": fresh_person(epi).pk, "source_id": person, "origin": "tracing"},
            isolating(302, LOGIN),
        ),
        (
            "post",
            lambda: f"/epidemic/contacts/{fresh_link(epi)}/unlink/",
            lambda: {"case": c.pk},
            isolating(302, LOGIN),
        ),
        (
            "post",
            lambda: "/epidemic/contacts/import/",
            lambda: {"file": _contact_file(), "encoding": "auto"},
            ISOLATORS,
        ),
    ]


def api_writes(w: dict[str, Any]) -> list[Write]:
    epi, c = w["epi"], w["case"]
    person = epi.r.person.pk
    isolators = expect(403, anonymous=401, sibling=404, other_county=404)
    return [
        (
            "json:post",
            lambda: f"{API}/cases",
            lambda: {"person_id": fresh_person(epi).pk, "kind": "suspected"},
            isolators | {"community": 201, "county": 201, "command": 201},
        ),
        (
            "json:patch",
            lambda: f"{API}/cases/{c.pk}",
            lambda: {"source_note": f"流调{next(_names)}"},
            isolating(200, 401),
        ),
        (
            "json:post",
            lambda: f"{API}/contacts",
            lambda: {"person_id": fresh_person(epi).pk, "source_id": person},
            isolators | {"community": 201, "county": 201, "command": 201},
        ),
        ("delete", lambda: f"{API}/contacts/{fresh_link(epi)}", lambda: None, isolating(204, 401)),
        (
            "post",
            lambda: f"{API}/contacts/import",
            lambda: {"file": _contact_file(), "encoding": "auto"},
            ISOLATORS | {"anonymous": 401},
        ),
    ]


def _send(client: Any, method: str, url: str, payload: Any) -> Any:
    if method.startswith("json:"):
        return getattr(client, method[5:])(url, payload, content_type="application/json")
    if payload is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, payload)


def _run_writes(w: dict[str, Any], call: Write) -> dict[str, int]:
    method, url, body, expected = call
    got = {}
    # The right people last: every refusal is checked against an untouched state.
    for name in sorted(USERS, key=lambda u: expected[u] in SUCCESS and u != "anonymous"):
        target, payload = url(), body()
        before = epidemic_state()
        response = _send(client_for(w["users"][name]), method, target, payload)
        got[name] = response.status_code
        if got[name] not in SUCCESS or name == "anonymous":
            assert epidemic_state() == before, (target, name)
        if target.startswith(API) and got[name] >= 400:
            assert set(response.json()) == {"code", "message", "details"}, (target, name)
    return got


@pytest.mark.parametrize("index", range(5))
def test_page_writes_and_refusals_change_nothing(world: dict[str, Any], index: int) -> None:
    call = writes(world)[index]
    assert _run_writes(world, call) == call[3], call[1]()


@pytest.mark.parametrize("index", range(5))
def test_api_writes_and_refusals_change_nothing(world: dict[str, Any], index: int) -> None:
    call = api_writes(world)[index]
    assert _run_writes(world, call) == call[3], call[1]()


def test_the_matrix_covers_every_route_of_the_concern() -> None:
    """A new page or endpoint of cases and contacts must be added above."""
    from gridgov.api.api import api
    from gridgov.epidemic.views import contacts as views

    assert {p.name for p in views.urlpatterns} == {
        *("case_list", "case_new", "case_detail", "contact_add", "case_export"),
        *("contact_unlink", "exposures", "contacts_export", "contacts_import"),
        *("contacts_import_template", "situations", "situation_history"),
    }
    paths = api.get_openapi_schema()["paths"]
    operations = [
        (method, path)
        for path, ops in paths.items()
        for method, op in ops.items()
        if "epidemic: cases and contacts" in op.get("tags", [])
    ]
    # Each called above: 9 reads (11 calls, two with other parameters) and 5 writes.
    assert len(operations) == 14
