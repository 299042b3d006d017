"""The registry pages: search, masking, the audited reveal, edits with versions, care tags,
movement, households and buildings, proposals, completeness and the region panel — each
through the real pages, with their query budgets."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridgov.accounts.models import GridAssignment
from gridgov.audit.models import AuditEvent
from gridgov.registry import actions
from gridgov.registry.models import CareTag, Household, Movement, Person, TagStatus
from gridgov.registry.tests.core_fixtures import (
    COMMUNITY,
    GRID,
    GRID_2,
    POINT_IN_GRID,
    make_id_number,
    registry_state,
)
from gridgov.registry.tests.web_fixtures import ELDER_ID, ID_NUMBER, PHONE, Register, client_for
from gridgov.territory.models import Region

TODAY = dt.date.today()


def names_in(html: str) -> list[str]:
    """The people's names in the order the people list shows them."""
    return re.findall(r'href="/registry/people/\d+/"><strong>([^<]+)</strong>', html)


def page(client: Any, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


# --- the people list ----------------------------------------------------------------------


def test_search_by_name_number_phone_and_filters(register: Register) -> None:
    client = client_for(register.worker)
    assert names_in(page(client, "/registry/people/?q=建国")) == ["王建国"]
    assert names_in(page(client, "/registry/people/?address=14号")) == ["李秀英"]
    assert names_in(page(client, "/registry/people/?tag=disabled")) == ["李秀英"]
    assert names_in(page(client, "/registry/people/?residence_type=migrant")) == ["赵流动"]
    assert names_in(page(client, "/registry/people/?age_band=80%2B")) == ["李秀英"]
    assert names_in(page(client, f"/registry/people/?grid={GRID_2}")) == ["赵流动"]
    nobody = page(client, "/registry/people/?q=没有这个人")
    assert names_in(nobody) == [] and "gg-empty" in nobody


def test_find_by_full_number_is_posted(register: Register) -> None:
    """ID and phone numbers are found only when complete (through the keyed hash), and
    sent by POST: a full number appears in no address, history or server log."""
    client = client_for(register.worker)

    def found(**numbers: str) -> list[str]:
        response = client.post("/registry/people/", numbers)
        html = response.content.decode()
        assert ID_NUMBER not in html and PHONE not in html  # not even in the form
        return names_in(html)

    assert found(id_number=ID_NUMBER) == ["王建国"]
    assert found(id_number=ID_NUMBER.lower()[:-1] + ID_NUMBER[-1]) == ["王建国"]
    assert found(id_number=ID_NUMBER[:-1]) == []
    assert found(phone=PHONE) == ["王建国"]
    assert found(phone="138-1234-5678") == ["王建国"]
    assert client.post("/registry/people/", {}).status_code == 422
    # The page itself sends the numbers by POST.
    html = page(client, "/registry/people/")
    numbers_form = html[html.index('name="id_number"') - 600 : html.index('name="id_number"')]
    assert 'method="post"' in numbers_form


def test_a_grid_worker_sees_their_own_grid_first(register: Register, make_user: Any) -> None:
    other = make_user("grid_worker", COMMUNITY, username="grid2-worker")
    grid = Region.objects.get(code=GRID_2)
    GridAssignment.objects.create(user=other, grid=grid, grid_code=GRID_2)
    # Grid codes sort GRID before GRID_2; this worker's own GRID_2 comes first anyway.
    assert names_in(page(client_for(other), "/registry/people/"))[0] == "赵流动"
    assert names_in(page(client_for(register.worker), "/registry/people/"))[-1] == "赵流动"


def test_the_people_list_keeps_its_query_budget(
    register: Register, django_assert_max_num_queries: Any
) -> None:
    for i in range(40):
        actions.create_person(
            actor=register.worker,
            name=f"居民{i}",
            id_number=make_id_number(born=dt.date(1970 + i % 30, 1, 1), seq=300 + 2 * i),
            phone=f"1390000{i:04d}",
            grid_code=GRID,
        )
    client = client_for(register.worker)
    client.get("/registry/people/")  # sessions and scope warm
    # session, user, roles, own grids, count, page, open tags (+ nav checks, the inbox's
    # unread count): not per row.
    with django_assert_max_num_queries(11):
        html = page(client, "/registry/people/?page=2")
    assert len(names_in(html)) == 13


@pytest.mark.parametrize(
    "url",
    [
        "/registry/households/",
        "/registry/buildings/",
        f"/registry/arrivals/?grid={COMMUNITY}",
        "/registry/proposals/",
    ],
)
def test_other_lists_keep_their_query_budget(
    register: Register, url: str, django_assert_max_num_queries: Any
) -> None:
    for i in range(20):
        building = actions.create_building(
            actor=register.worker, grid_code=GRID, name=f"{i}号楼", address=f"河街路{i}号"
        )
        household = actions.create_household(
            actor=register.worker, address=f"河街路{i}号101", building_id=building.pk
        )
        person = actions.create_person(
            actor=register.worker, name=f"户主{i}", sex="M", household_id=household.pk
        )
        actions.set_household_head(household.pk, person.pk, actor=register.worker)
        actions.record_movement(person.pk, actor=register.worker, kind="arrival", date=TODAY)
    actions.propose_elderly_alone(COMMUNITY, actor=register.worker)
    client = client_for(register.worker)
    client.get(url)
    with django_assert_max_num_queries(10):
        page(client, url)


# --- masking and the reveal ---------------------------------------------------------------


def test_numbers_are_masked_on_every_page(register: Register) -> None:
    client = client_for(register.community)
    r = register
    for url in [
        "/registry/people/",
        f"/registry/people/{r.person.pk}/",
        f"/registry/people/{r.person.pk}/edit/",
        f"/registry/households/{r.household.pk}/",
        f"/registry/buildings/{r.building.pk}/",
        f"/registry/completeness/{GRID}/",
    ]:
        html = page(client, url)
        for number in (ID_NUMBER, PHONE, ELDER_ID):
            assert number not in html, url
    detail = page(client, f"/registry/people/{r.person.pk}/")
    assert "4113**********1232" in detail and "138****5678" in detail


def test_reveal_shows_one_number_once_and_is_audited(register: Register) -> None:
    client = client_for(register.worker)
    url = f"/registry/people/{register.person.pk}/reveal/"
    before = AuditEvent.objects.filter(action="registry.reveal").count()
    response = client.post(url, {"field": "id_number"})
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-revealed="id_number">{ID_NUMBER}<' in html
    assert PHONE not in html  # only the number asked for
    assert (
        response["Cache-Control"].startswith("no-store") or "no-store" in response["Cache-Control"]
    )
    event = AuditEvent.objects.filter(action="registry.reveal").latest("pk")
    assert AuditEvent.objects.filter(action="registry.reveal").count() == before + 1
    assert event.actor_id == register.worker.pk
    assert event.changes["field"] == "id_number"
    assert ID_NUMBER not in str(event.changes)  # the trail keeps the masked form only
    # Back on the page the number is masked again.
    assert ID_NUMBER not in page(client, f"/registry/people/{register.person.pk}/")


def test_reveal_needs_registry_reveal(register: Register) -> None:
    # Township staff see and edit people but may not read full numbers.
    client = client_for(register.township)
    detail = page(client, f"/registry/people/{register.person.pk}/")
    assert "/reveal/" not in detail
    before = registry_state()
    response = client.post(f"/registry/people/{register.person.pk}/reveal/", {"field": "phone"})
    assert response.status_code == 403
    assert PHONE not in response.content.decode()
    assert registry_state() == before


# --- editing people -----------------------------------------------------------------------


def test_register_a_person_with_the_form(register: Register) -> None:
    client = client_for(register.worker)
    number = make_id_number("411302", dt.date(1992, 8, 9), 246)  # a woman
    response = client.post(
        f"/registry/people/new/?household={register.household.pk}",
        {
            "name": "王小红",
            "id_number": number,
            "residence_type": "registered",
            "household_id": register.household.pk,
            "relation": "child",
        },
    )
    assert response.status_code == 302
    person = Person.objects.get(name="王小红")
    assert response["Location"] == f"/registry/people/{person.pk}/"
    # Sex and birth date from the ID number; the grid from the household.
    assert (person.sex, person.birth_date, person.grid_code) == ("F", dt.date(1992, 8, 9), GRID)
    assert person.id_number_masked == number[:4] + "*" * 10 + number[-4:]


def test_a_bad_id_number_is_named_on_its_field(register: Register) -> None:
    client = client_for(register.worker)
    before = Person.objects.count()
    bad = ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1")
    response = client.post(
        "/registry/people/new/",
        {"name": "错号", "id_number": bad, "grid_code": GRID, "residence_type": "registered"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    field = html[html.index('id="id_id_number"') :]
    assert "gg-field__error" in field[: field.index("</div>")]
    assert Person.objects.count() == before


def test_an_edit_of_a_stale_version_is_refused(register: Register) -> None:
    client = client_for(register.worker)
    person = register.person
    form = {
        "name": "王建国",
        "sex": "M",
        "birth_date": "1980-05-17",
        "residence_type": "registered",
        "address": person.address,
        "household_id": person.household_id,
        "relation": "head",
        "version": person.version,
    }
    # Someone else saves first.
    actions.update_person(
        person.pk, actor=register.community, expected_version=None, ethnicity="汉族"
    )
    response = client.post(f"/registry/people/{person.pk}/edit/", {**form, "name": "王改名"})
    assert response.status_code == 409
    assert "gg-form__errors" in response.content.decode()
    assert Person.objects.get(pk=person.pk).name == "王建国"
    # Reloaded with the current version, the same change goes through.
    form["version"] = Person.objects.get(pk=person.pk).version
    response = client.post(f"/registry/people/{person.pk}/edit/", {**form, "name": "王改名"})
    assert response.status_code == 302
    assert Person.objects.get(pk=person.pk).name == "王改名"


def test_status_tags_and_movement_from_the_person_page(register: Register) -> None:
    client = client_for(register.worker)
    p = register.person.pk
    # A disabled tag needs its category and level.
    response = client.post(f"/registry/people/{p}/tags/", {"kind": "disabled"})
    assert response.status_code == 422
    assert not CareTag.objects.filter(person_id=p).exists()
    response = client.post(
        f"/registry/people/{p}/tags/",
        {"kind": "disabled", "category": "视力", "level": "一级", "care_contact_name": "王妻"},
    )
    assert response.status_code == 302
    tag = CareTag.objects.get(person_id=p, kind="disabled")
    assert tag.attributes == {"category": "视力", "level": "一级"}
    html = page(client, f"/registry/people/{p}/")
    assert "王妻" in html
    # End it; move the person to another grid; then they move out.
    client.post(f"/registry/tags/{tag.pk}/end/", {"end_date": TODAY.isoformat()})
    assert CareTag.objects.get(pk=tag.pk).status == TagStatus.ENDED
    response = client.post(
        f"/registry/people/{p}/movements/",
        {"kind": "transfer", "date": TODAY.isoformat(), "to_grid": GRID_2, "reason": "搬家"},
    )
    assert response.status_code == 302
    assert Person.objects.get(pk=p).grid_code == GRID_2
    response = client.post(
        f"/registry/people/{p}/status/", {"status": "moved_out", "date": TODAY.isoformat()}
    )
    assert response.status_code == 302
    assert Person.objects.get(pk=p).status == "moved_out"
    history = page(client, f"/registry/people/{p}/")
    assert "搬家" in history and GRID_2 in history
    assert Movement.objects.filter(person_id=p, kind="transfer").count() == 1


def test_a_transfer_without_a_grid_is_refused_on_its_field(register: Register) -> None:
    response = client_for(register.worker).post(
        f"/registry/people/{register.person.pk}/movements/",
        {"kind": "transfer", "date": TODAY.isoformat()},
    )
    assert response.status_code == 422
    assert not Movement.objects.filter(person=register.person, kind="transfer").exists()


# --- households and buildings -------------------------------------------------------------


def test_buildings_and_households_find_their_grid(register: Register) -> None:
    client = client_for(register.worker)
    lon, lat = POINT_IN_GRID
    response = client.post(
        "/registry/buildings/new/",
        {"name": "5号楼", "address": "河街路20号5号楼", "lon": lon, "lat": lat},
    )
    assert response.status_code == 302
    building = register.building.__class__.objects.get(name="5号楼")
    assert building.grid_code == GRID
    # A flat of that building lies in its grid without a code or coordinates.
    response = client.post(
        f"/registry/households/new/?building={building.pk}",
        {"address": "河街路20号5号楼101", "building_id": building.pk, "room": "101"},
    )
    assert response.status_code == 302
    household = Household.objects.get(address="河街路20号5号楼101")
    assert household.grid_code == GRID and household.building_id == building.pk
    assert "河街路20号5号楼101" in page(client, f"/registry/buildings/{building.pk}/")


def test_set_the_head_of_a_household(register: Register) -> None:
    client = client_for(register.worker)
    spouse = actions.create_person(
        actor=register.worker,
        name="刘芳",
        sex="F",
        household_id=register.household.pk,
        relation="spouse",
    )
    html = page(client, f"/registry/households/{register.household.pk}/")
    assert "刘芳" in html and "王建国" in html
    response = client.post(
        f"/registry/households/{register.household.pk}/head/", {"person_id": spouse.pk}
    )
    assert response.status_code == 302
    assert Household.objects.get(pk=register.household.pk).head_id == spouse.pk
    # Someone who is not a member cannot be chosen.
    response = client.post(
        f"/registry/households/{register.household.pk}/head/",
        {"person_id": register.migrant.pk},
    )
    assert response.status_code == 422
    assert Household.objects.get(pk=register.household.pk).head_id == spouse.pk


# --- proposals and completeness -----------------------------------------------------------


def test_propose_and_confirm_elderly_living_alone(register: Register) -> None:
    client = client_for(register.worker)
    response = client.post("/registry/proposals/elderly-alone/", {"code": COMMUNITY})
    assert response.status_code == 302
    assert response["Location"] == f"/registry/proposals/?grid={COMMUNITY}"
    html = page(client, response["Location"])
    assert "李秀英" in html and "王建国" not in html  # he lives with others? no: alone, too young
    tag = CareTag.objects.get(person=register.elder, kind="elderly_alone")
    assert tag.status == TagStatus.PROPOSED
    response = client.post(f"/registry/tags/{tag.pk}/confirm/", {"next": "proposals"})
    assert response["Location"] == f"/registry/proposals/?grid={GRID}"
    assert CareTag.objects.get(pk=tag.pk).status == TagStatus.CONFIRMED
    assert "李秀英" not in page(client, f"/registry/proposals/?grid={COMMUNITY}")


def test_a_grid_worker_sees_the_gaps_to_fix(register: Register) -> None:
    html = page(client_for(register.worker), f"/registry/completeness/{GRID}/")
    # The elder has no phone and her care tag no contact phone; the lone household no head.
    assert f'href="/registry/people/{register.elder.pk}/"' in html
    households = Household.objects.filter(grid_code=GRID, head__isnull=True)
    assert any(f'href="/registry/households/{h.pk}/"' in html for h in households)


def test_a_leader_sees_scores_but_never_people(register: Register) -> None:
    client = client_for(register.leader)
    for code in ["4113", "411302001", COMMUNITY, GRID]:
        html = page(client, f"/registry/completeness/{code}/")
        assert "/registry/people/" not in html and "/registry/households/" not in html
        assert "王建国" not in html and "李秀英" not in html
        assert "data-score=" in html
    community = page(client, f"/registry/completeness/{COMMUNITY}/")
    assert f'href="/registry/completeness/{GRID}/"' in community
    assert "/api/v1/registry/completeness/411302001001/map.geojson" in community
    assert 'data-fill="score"' in community


def test_the_completeness_map_carries_scores(register: Register) -> None:
    data = (
        client_for(register.leader)
        .get(f"/api/v1/registry/completeness/{COMMUNITY}/map.geojson")
        .json()
    )
    by_code = {f["properties"]["code"]: f["properties"] for f in data["features"]}
    assert set(by_code) == {COMMUNITY + s for s in ("001", "002", "003", "004")}
    assert 0 <= by_code[GRID]["score"] < 100
    assert by_code[COMMUNITY + "004"]["score"] is None  # nothing registered there
    assert by_code[GRID]["url"] == f"/registry/completeness/{GRID}/"


# --- the region page's panel --------------------------------------------------------------


def test_region_panel_reads_only_the_rollups(register: Register) -> None:
    client = client_for(register.leader)
    client.get("/territory/411302001/")
    with CaptureQueriesContext(connection) as queries:
        html = page(client, "/territory/411302001/")
    registry_tables = [q["sql"] for q in queries if "registry_" in q["sql"]]
    # Two reads, both of roll-up tables: the counts and the completeness rows.
    assert len(registry_tables) == 2, registry_tables
    assert all(
        "registry_populationcount" in sql or "registry_gridcompleteness" in sql
        for sql in registry_tables
    )
    # The whole page's query budget, with every domain's panel, is the territory tests'.
    assert 'data-measure="total">4<' in html
    assert 'data-measure="residence:migrant">1<' in html
    assert 'data-measure="tag:disabled">1<' in html
    assert "/registry/completeness/411302001/" in html
    assert "/registry/people/" not in html  # leaders get no way to the people


def test_region_panel_only_for_registry_aggregate(register: Register) -> None:
    worker_html = page(client_for(register.worker), f"/territory/{COMMUNITY}/")
    assert 'id="population"' in worker_html
    assert f"/registry/people/?grid={COMMUNITY}" in worker_html
    supervision = page(client_for(register.supervision), "/territory/411302001/")
    assert 'id="population"' not in supervision


def test_a_proposal_for_a_malformed_code_is_a_message_not_an_error(register: Register) -> None:
    client = client_for(register.worker)
    before = registry_state()
    response = client.post("/registry/proposals/elderly-alone/", {"code": "4113020010"})
    assert response.status_code == 302
    assert "gg-alert--error" in page(client, response["Location"])
    assert registry_state() == before
