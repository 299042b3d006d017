"""Who may reach what: every registry page and endpoint, for anonymous callers, a citizen,
the supervision centre, the staff of the sibling township, the grid worker of the
neighbouring community, a city leader and the grid's own worker. A refused call changes
nothing — not a registry row, not an audit event.

Expected answers: anonymous → the login page (pages) or 401 (API); roles without the
registry → 403 or 404; another area's staff → 404 for anything of this grid (lists answer
200 without its people); the leader → figures and completeness yes, people no; the grid's
worker → 200.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from django.test import Client

from gridgov.registry import forms
from gridgov.registry.tests.core_fixtures import COMMUNITY, GRID, registry_state
from gridgov.registry.tests.web_fixtures import ID_NUMBER, Register, client_for

TODAY = dt.date.today().isoformat()

# --- what is asked ------------------------------------------------------------------------

# Pages about one object of the grid (or the grid itself): {p} person, {h} household,
# {b} building, {t} care tag.
OBJECT_PAGES = [
    "/registry/people/{p}/",
    "/registry/people/{p}/edit/",
    "/registry/households/{h}/",
    "/registry/households/{h}/edit/",
    "/registry/buildings/{b}/",
    "/registry/buildings/{b}/edit/",
    f"/registry/completeness/{GRID}/",
    f"/registry/completeness/{COMMUNITY}/",
]
# Pages listing what the user may see: 200 for everyone with registry.view.
LIST_PAGES = [
    "/registry/people/",
    f"/registry/people/?grid={GRID}",
    "/registry/households/",
    "/registry/buildings/",
    "/registry/proposals/",
    "/registry/people/new/",
    "/registry/households/new/",
    "/registry/buildings/new/",
]
API_OBJECT_READS = [
    "/api/v1/registry/people/{p}",
    "/api/v1/registry/people/{p}/movements",
    "/api/v1/registry/households/{h}",
    "/api/v1/registry/buildings/{b}",
    f"/api/v1/registry/movements?grid={GRID}",
    f"/api/v1/registry/arrivals?grid={GRID}",
    f"/api/v1/registry/figures/{GRID}",
    f"/api/v1/registry/completeness/{GRID}",
    f"/api/v1/registry/completeness/{COMMUNITY}/map.geojson",
]
API_LIST_READS = [
    "/api/v1/registry/people",
    f"/api/v1/registry/people?grid={GRID}",
    "/api/v1/registry/households",
    "/api/v1/registry/buildings",
    "/api/v1/registry/tags",
]


def as_posted(obj: Any, fields: Iterable[str], **changes: Any) -> dict[str, Any]:
    """What a browser sends from an edit form: every field as shown, some changed."""
    values = {name: getattr(obj, name) for name in fields}
    values.update(changes, version=obj.version)
    return {k: "" if v is None else str(v) for k, v in values.items()}


def page_posts(r: Register) -> list[tuple[str, dict[str, Any]]]:
    """Every page form that changes something of the grid, with valid data."""
    p, h, b, t = r.person.pk, r.household.pk, r.building.pk, r.tag.pk
    return [
        (
            f"/registry/people/{p}/edit/",
            as_posted(r.person, forms.PersonForm.prefilled(), name="改"),
        ),
        (f"/registry/people/{p}/status/", {"status": "moved_out", "date": TODAY}),
        (f"/registry/people/{p}/tags/", {"kind": "chronic"}),
        (f"/registry/people/{p}/movements/", {"kind": "departure", "date": TODAY}),
        (f"/registry/people/{p}/reveal/", {"field": "id_number"}),
        (f"/registry/tags/{t}/end/", {"end_date": TODAY}),
        (f"/registry/tags/{t}/confirm/", {}),
        (
            f"/registry/households/{h}/edit/",
            as_posted(r.household, forms.HouseholdForm.field_order, address="改了"),
        ),
        (f"/registry/households/{h}/head/", {"person_id": str(p)}),
        (
            f"/registry/buildings/{b}/edit/",
            as_posted(r.building, forms.BuildingForm.field_order, name="改了"),
        ),
        ("/registry/proposals/elderly-alone/", {"code": GRID}),
        (
            "/registry/people/new/",
            {"name": "新人", "sex": "F", "grid_code": GRID, "residence_type": "migrant"},
        ),
        ("/registry/households/new/", {"address": "新户", "grid_code": GRID}),
        ("/registry/buildings/new/", {"name": "新楼", "address": "新楼", "grid_code": GRID}),
    ]


def api_writes(r: Register) -> list[tuple[str, str, dict[str, Any]]]:
    """Every API call that changes something of the grid, with a valid body."""
    p, h, b, t = r.person.pk, r.household.pk, r.building.pk, r.tag.pk
    base = "/api/v1/registry"
    return [
        ("patch", f"{base}/people/{p}", {"name": "改名", "version": r.person.version}),
        ("post", f"{base}/people/{p}/status", {"status": "moved_out", "date": TODAY}),
        ("post", f"{base}/people/{p}/reveal", {"field": "phone"}),
        ("post", f"{base}/people/{p}/tags", {"kind": "chronic"}),
        ("post", f"{base}/people/{p}/movements", {"kind": "departure", "date": TODAY}),
        ("post", f"{base}/tags/{t}/end", {"end_date": TODAY}),
        ("post", f"{base}/tags/{t}/confirm", {}),
        ("post", f"{base}/tags/propose-elderly-alone", {"code": GRID}),
        ("patch", f"{base}/households/{h}", {"address": "改了", "version": 1}),
        ("post", f"{base}/households/{h}/head", {"person_id": None}),
        ("patch", f"{base}/buildings/{b}", {"name": "改了", "version": 1}),
        ("post", f"{base}/people", {"name": "新人", "sex": "F", "grid_code": GRID}),
        ("post", f"{base}/households", {"address": "新户", "grid_code": GRID}),
        ("post", f"{base}/buildings", {"name": "新楼", "address": "新楼", "grid_code": GRID}),
    ]


def fill(url: str, r: Register) -> str:
    return url.format(p=r.person.pk, h=r.household.pk, b=r.building.pk, t=r.tag.pk)


def text_of(response: Any) -> str:
    """A page's HTML, or an API answer's JSON with its Chinese as written (not \\u escapes),
    so that "this name is not in the answer" can fail."""
    if response["Content-Type"].startswith("application/json"):
        return json.dumps(response.json(), ensure_ascii=False)
    return response.content.decode()


def send(client: Client, method: str, url: str, body: dict[str, Any]) -> Any:
    return getattr(client, method)(url, body, content_type="application/json")


# --- who asks -----------------------------------------------------------------------------

OUTSIDERS = ["sibling", "neighbour"]  # staff of other areas: the grid does not exist
NO_REGISTRY = ["citizen", "supervision"]  # roles without the registry


def refused_read(status: int) -> bool:
    return status in (403, 404)


# --- pages --------------------------------------------------------------------------------


@pytest.mark.parametrize("url", OBJECT_PAGES + LIST_PAGES)
def test_anonymous_pages_send_to_login(register: Register, url: str) -> None:
    response = client_for(None).get(fill(url, register))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("url", OBJECT_PAGES)
def test_object_pages(register: Register, url: str) -> None:
    url = fill(url, register)
    for who in NO_REGISTRY:
        assert refused_read(client_for(getattr(register, who)).get(url).status_code), who
    for who in OUTSIDERS:
        response = client_for(getattr(register, who)).get(url)
        assert response.status_code == 404, (who, url)
        assert register.person.name not in text_of(response)
    leader = client_for(register.leader).get(url).status_code
    assert leader == (200 if "/completeness/" in url else 404), url
    assert client_for(register.worker).get(url).status_code == 200


@pytest.mark.parametrize("url", LIST_PAGES)
def test_list_pages(register: Register, url: str) -> None:
    for who in [*NO_REGISTRY, "leader"]:
        assert client_for(getattr(register, who)).get(url).status_code == 403, who
    for who in OUTSIDERS:
        response = client_for(getattr(register, who)).get(url)
        assert response.status_code == 200
        assert register.person.name not in text_of(response), who
    assert client_for(register.worker).get(url).status_code == 200


def test_arrivals_page(register: Register) -> None:
    url = f"/registry/arrivals/?grid={COMMUNITY}"
    assert client_for(None).get(url).status_code == 302
    for who in [*NO_REGISTRY, "leader", *OUTSIDERS]:
        assert refused_read(client_for(getattr(register, who)).get(url).status_code), who
    body = client_for(register.worker).get(url).content.decode()
    assert register.migrant.name in body


def test_imports_and_export_need_their_capabilities(register: Register) -> None:
    for url in ["/registry/imports/", "/registry/imports/template.xlsx", "/registry/export/"]:
        assert client_for(None).get(url).status_code == 302
        for who in [*NO_REGISTRY, "leader", "worker"]:  # grid workers neither import nor export
            assert client_for(getattr(register, who)).get(url).status_code == 403, (who, url)
        assert client_for(register.community).get(url).status_code == 200, url


def test_completeness_home(register: Register) -> None:
    assert client_for(None).get("/registry/completeness/").status_code == 302
    assert client_for(register.citizen).get("/registry/completeness/").status_code == 403
    leader = client_for(register.leader).get("/registry/completeness/")
    assert leader["Location"] == "/registry/completeness/4113/"
    worker = client_for(register.worker).get("/registry/completeness/")
    assert worker["Location"] == f"/registry/completeness/{COMMUNITY}/"


@pytest.mark.parametrize("who", ["anonymous", *NO_REGISTRY, *OUTSIDERS, "leader"])
def test_page_forms_refused_change_nothing(register: Register, who: str) -> None:
    client = client_for(None if who == "anonymous" else getattr(register, who))
    before = registry_state()
    for url, data in page_posts(register):
        status = client.post(url, data).status_code
        if who == "anonymous":
            assert status == 302, url
        elif who in OUTSIDERS and "/new/" not in url and "elderly" not in url:
            assert status == 404, (who, url)
        else:
            assert status in (403, 404), (who, url, status)
    assert registry_state() == before


def test_the_grid_worker_may_post_every_form(register: Register) -> None:
    client = client_for(register.worker)
    for url, data in page_posts(register):
        response = client.post(url, data)
        # A reveal renders the number once; every other form redirects after saving.
        assert response.status_code == (200 if "/reveal/" in url else 302), url


# --- API ----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", API_OBJECT_READS)
def test_api_object_reads(register: Register, url: str) -> None:
    url = fill(url, register)
    assert client_for(None).get(url).status_code == 401
    for who in NO_REGISTRY:
        assert refused_read(client_for(getattr(register, who)).get(url).status_code), who
    for who in OUTSIDERS:
        response = client_for(getattr(register, who)).get(url)
        assert response.status_code == 404, (who, url)
        assert response.json()["code"] == "not_found"
    aggregate = "/figures/" in url or "/completeness/" in url
    leader = client_for(register.leader).get(url).status_code
    assert (leader == 200) if aggregate else refused_read(leader), url
    assert client_for(register.worker).get(url).status_code == 200


@pytest.mark.parametrize("url", API_LIST_READS)
def test_api_list_reads(register: Register, url: str) -> None:
    # Each list shows the grid's own rows by a name the answer carries.
    marker = {"/households": "王建国", "/buildings": "3号楼", "/tags": "李秀英"}
    shown = next((m for key, m in marker.items() if key in url), register.person.name)
    assert client_for(None).get(url).status_code == 401
    for who in [*NO_REGISTRY, "leader"]:
        assert client_for(getattr(register, who)).get(url).status_code == 403, who
    for who in OUTSIDERS:
        response = client_for(getattr(register, who)).get(url)
        assert response.status_code == 200
        assert shown not in text_of(response), who
    assert shown in text_of(client_for(register.worker).get(url))


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/registry/search", {"q": "王"}),
        ("/api/v1/registry/people/search", {"q": "王"}),
        ("/api/v1/registry/people/search", {"id_number": ID_NUMBER}),
    ],
)
def test_api_searches(register: Register, url: str, body: dict[str, str]) -> None:
    assert send(client_for(None), "post", url, body).status_code == 401
    for who in [*NO_REGISTRY, "leader"]:
        assert send(client_for(getattr(register, who)), "post", url, body).status_code == 403
    for who in OUTSIDERS:
        response = send(client_for(getattr(register, who)), "post", url, body)
        assert response.status_code == 200
        assert register.person.name not in text_of(response), who
    found = send(client_for(register.worker), "post", url, body)
    assert register.person.name in text_of(found)


@pytest.mark.parametrize("who", ["anonymous", *NO_REGISTRY, *OUTSIDERS, "leader"])
def test_api_writes_refused_change_nothing(register: Register, who: str) -> None:
    client = client_for(None if who == "anonymous" else getattr(register, who))
    before = registry_state()
    for method, url, body in api_writes(register):
        status = send(client, method, url, body).status_code
        expected: Callable[[int], bool] = {
            "anonymous": lambda s: s == 401,
        }.get(who, lambda s: s in (403, 404))
        assert expected(status), (who, method, url, status)
        if who in OUTSIDERS and not url.endswith(("/people", "/households", "/buildings")):
            assert status == 404, (who, url)
    assert registry_state() == before


def test_api_imports_and_export(register: Register, tmp_path: Any) -> None:
    urls = [
        "/api/v1/registry/imports",
        "/api/v1/registry/imports/template?format=csv",
        f"/api/v1/registry/export?code={COMMUNITY}&format=csv",
    ]
    for url in urls:
        assert client_for(None).get(url).status_code == 401
        for who in [*NO_REGISTRY, "leader", "worker"]:
            assert client_for(getattr(register, who)).get(url).status_code in (403, 404), who
        assert client_for(register.community).get(url).status_code == 200, url
    # The sibling township's staff may export — but not this community: it is not theirs.
    sibling = client_for(register.sibling).get(urls[2])
    assert sibling.status_code == 404
