"""The case, contact and situation pages and their API, through the real endpoints: the
flows (find a person, record the case, add a first- and a second-degree contact, change
the case), errors shown on the forms, the lists' filters and their query budgets, the map's
GeoJSON, and the region panel."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import translation

from gridgov.epidemic import rules
from gridgov.epidemic.actions import contacts as actions
from gridgov.epidemic.models import CloseContact, InfectionCase
from gridgov.epidemic.tests.fixtures import Epi, epidemic_state
from gridgov.registry import actions as registry_actions
from gridgov.registry.tests.core_fixtures import COMMUNITY, GRID
from gridgov.registry.tests.web_fixtures import ID_NUMBER

pytestmark = pytest.mark.django_db


def zh(message: str) -> str:
    """A message as the pages show it (Simplified Chinese, the default language)."""
    with translation.override("zh-hans"):
        return translation.gettext(message)


def outbreak(epi: Epi) -> InfectionCase:
    """A confirmed case with a first- and a second-degree contact."""
    case = actions.record_infection_case(
        actor=epi.r.community, person_id=epi.r.person.pk, kind="confirmed"
    )
    actions.link_close_contact(
        actor=epi.r.community, person_id=epi.spouse.pk, source_id=epi.r.person.pk
    )
    actions.link_close_contact(
        actor=epi.r.community, person_id=epi.r.elder.pk, source_id=epi.spouse.pk
    )
    return case


# --- pages --------------------------------------------------------------------------------


def test_record_a_case_from_a_person_search(epi: Epi) -> None:
    client = epi.client(epi.r.community)
    found = client.get("/epidemic/cases/new/", {"find": "王建"})
    assert found.status_code == 200
    assert f"?person={epi.r.person.pk}" in found.content.decode()
    by_number = client.get("/epidemic/cases/new/", {"find": ID_NUMBER})
    assert f"?person={epi.r.person.pk}" in by_number.content.decode()
    form = client.get("/epidemic/cases/new/", {"person": epi.r.person.pk})
    assert 'name="kind"' in form.content.decode()
    answer = client.post(
        "/epidemic/cases/new/",
        {
            "person_id": epi.r.person.pk,
            "kind": "confirmed",
            "reported_on": rules.today().isoformat(),
            "source_known": "no",
        },
    )
    case = InfectionCase.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/epidemic/cases/{case.pk}/"
    assert case.source_known is False
    again = client.post(
        "/epidemic/cases/new/",
        {"person_id": epi.r.person.pk, "kind": "confirmed", "reported_on": "2999-01-01"},
    )
    assert again.status_code == 422
    assert InfectionCase.objects.count() == 1


def test_the_case_page_adds_contacts_of_both_degrees(epi: Epi) -> None:
    case = actions.record_infection_case(
        actor=epi.r.community, person_id=epi.r.person.pk, kind="confirmed"
    )
    client = epi.client(epi.r.community)
    url = f"/epidemic/cases/{case.pk}/contacts/new/"
    choose = client.get(url, {"person": epi.spouse.pk})
    assert choose.status_code == 200
    first = client.post(
        url,
        {
            "person_id": epi.spouse.pk,
            "source_id": epi.r.person.pk,
            "setting": "household",
            "last_contact_date": rules.today().isoformat(),
            "origin": "tracing",
        },
    )
    assert first.status_code == 302
    sources = client.get(url, {"person": epi.r.elder.pk}).content.decode()
    assert f'value="{epi.spouse.pk}"' in sources  # the first-degree contact is a source now
    second = client.post(
        url, {"person_id": epi.r.elder.pk, "source_id": epi.spouse.pk, "origin": "tracing"}
    )
    assert second.status_code == 302
    duplicate = client.post(
        url, {"person_id": epi.r.elder.pk, "source_id": epi.spouse.pk, "origin": "tracing"}
    )
    assert duplicate.status_code == 422
    assert zh("already listed as a contact of this person") in duplicate.content.decode()
    page = client.get(f"/epidemic/cases/{case.pk}/").content.decode()
    assert epi.spouse.name in page and epi.r.elder.name in page
    assert list(CloseContact.objects.order_by("pk").values_list("degree", flat=True)) == [1, 2]


def test_the_case_page_changes_the_case_with_a_version_check(epi: Epi) -> None:
    case = actions.record_infection_case(
        actor=epi.r.community, person_id=epi.r.person.pk, kind="suspected"
    )
    client = epi.client(epi.r.community)
    form = {
        "kind": "confirmed",
        "status": "open",
        "reported_on": "",
        "source_known": "no",
        "source_note": "",
        "version": "1",
    }
    assert client.post(f"/epidemic/cases/{case.pk}/", form).status_code == 302
    case.refresh_from_db()
    assert (case.kind, case.version, case.reported_on) == ("confirmed", 2, rules.today())
    stale = client.post(f"/epidemic/cases/{case.pk}/", form | {"status": "recovered"})
    assert stale.status_code == 409
    wrong = client.post(
        f"/epidemic/cases/{case.pk}/", form | {"status": "excluded", "version": "2"}
    )
    assert wrong.status_code == 422
    closed = zh("a %(kind)s cannot be closed as %(status)s") % {
        "kind": zh("Confirmed case"),
        "status": zh("Excluded"),
    }
    assert closed in wrong.content.decode()


def test_unlinking_from_the_case_page(epi: Epi) -> None:
    case = outbreak(epi)
    client = epi.client(epi.r.community)
    first = CloseContact.objects.get(degree=1)
    refused = client.post(f"/epidemic/contacts/{first.pk}/unlink/", {"case": case.pk}, follow=True)
    relying = zh("%(n)d second-degree contacts were exposed to this person; remove them first")
    assert relying % {"n": 1} in refused.content.decode()
    second = CloseContact.objects.get(degree=2)
    gone = client.post(f"/epidemic/contacts/{second.pk}/unlink/", {"case": case.pk})
    assert gone.status_code == 302 and gone["Location"].startswith(f"/epidemic/cases/{case.pk}/")
    assert CloseContact.objects.count() == 1


def test_the_exposures_page(epi: Epi) -> None:
    outbreak(epi)
    page = epi.client(epi.r.worker).get(f"/epidemic/contacts/people/{epi.spouse.pk}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert epi.r.person.name in text and epi.r.elder.name in text


def test_the_case_list_filters_and_answers_in_a_fixed_number_of_queries(
    epi: Epi, django_assert_max_num_queries: Any
) -> None:
    outbreak(epi)
    for n, person in enumerate([epi.spouse, epi.r.elder, epi.r.migrant]):
        actions.record_infection_case(
            actor=epi.r.community,
            person_id=person.pk,
            kind="asymptomatic",
            reported_on=rules.today() - dt.timedelta(days=n),
        )
    client = epi.client(epi.r.worker)
    client.get("/epidemic/cases/")
    with django_assert_max_num_queries(12):
        page = client.get("/epidemic/cases/")
    assert page.content.decode().count("/epidemic/cases/") >= 4
    only = client.get("/epidemic/cases/", {"kind": "confirmed"}).content.decode()
    assert epi.r.person.name in only and epi.r.migrant.name not in only
    by_name = client.get("/epidemic/cases/", {"q": "赵流"}).content.decode()
    assert epi.r.migrant.name in by_name and epi.r.person.name not in by_name


def test_situations_page_map_history_and_region_panel(
    epi: Epi, django_assert_max_num_queries: Any
) -> None:
    outbreak(epi)
    actions.compute_situations(rules.today())
    client = epi.client(epi.r.township)
    client.get("/epidemic/situations/")
    with django_assert_max_num_queries(14):
        page = client.get("/epidemic/situations/")
    text = page.content.decode()
    assert page.status_code == 200
    assert 'data-situation="cluster">1<' in text
    assert "/api/v1/epidemic/situations/map.geojson?code=411302001" in text
    geojson = client.get("/api/v1/epidemic/situations/map.geojson", {"code": "411302001"}).json()
    props = {f["properties"]["code"]: f["properties"] for f in geojson["features"]}
    assert props[COMMUNITY]["situation"] == "cluster" and props[COMMUNITY]["score"] == 80
    assert props["411302001002"]["score"] == 100
    history = client.get(f"/epidemic/situations/{COMMUNITY}/")
    assert history.status_code == 200 and rules.today().isoformat() in history.content.decode()
    region = epi.client(epi.r.leader).get(f"/territory/{COMMUNITY}/")
    assert 'id="situations"' in region.content.decode()


def test_the_import_page_shows_every_row(epi: Epi) -> None:
    actions.record_infection_case(
        actor=epi.r.community, person_id=epi.r.person.pk, kind="confirmed"
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    from gridgov.epidemic.tests.fixtures import SPOUSE_ID

    text = f"密接身份证号,来源身份证号,接触场所\n{SPOUSE_ID},{ID_NUMBER},同住\n123,{ID_NUMBER},\n"
    upload = SimpleUploadedFile("名单.csv", text.encode("gbk"), content_type="text/csv")
    page = epi.client(epi.r.community).post(
        "/epidemic/contacts/import/", {"file": upload, "encoding": "auto"}
    )
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-count="linked">1<' in body and 'data-count="rejected">1<' in body
    assert CloseContact.objects.get().setting == "household"


# --- API ----------------------------------------------------------------------------------

API = "/api/v1/epidemic"


def test_api_cases_and_contacts(epi: Epi) -> None:
    client = epi.client(epi.r.community)
    created = client.post(
        f"{API}/cases",
        {"person_id": epi.r.person.pk, "kind": "suspected"},
        content_type="application/json",
    )
    assert created.status_code == 201
    case = created.json()
    assert (case["kind"], case["status"], case["version"]) == ("suspected", "open", 1)
    linked = client.post(
        f"{API}/contacts",
        {"person_id": epi.spouse.pk, "source_id": epi.r.person.pk, "setting": "household"},
        content_type="application/json",
    )
    assert linked.status_code == 201 and linked.json()["degree"] == 1
    second = client.post(
        f"{API}/contacts",
        {"person_id": epi.r.elder.pk, "source_id": epi.spouse.pk},
        content_type="application/json",
    )
    assert second.json()["degree"] == 2
    self_link = client.post(
        f"{API}/contacts",
        {"person_id": epi.r.elder.pk, "source_id": epi.r.elder.pk},
        content_type="application/json",
    )
    assert self_link.status_code == 422
    assert self_link.json()["details"]["fields"] == {
        "source_id": zh("a person cannot be their own source")
    }
    firsts = client.get(f"{API}/cases/{case['id']}/contacts", {"degree": 1}).json()
    seconds = client.get(f"{API}/cases/{case['id']}/contacts", {"degree": 2}).json()
    assert [c["person_id"] for c in firsts["items"]] == [epi.spouse.pk]
    assert [(c["person_id"], c["source_id"]) for c in seconds["items"]] == [
        (epi.r.elder.pk, epi.spouse.pk)
    ]
    patched = client.patch(
        f"{API}/cases/{case['id']}",
        {"kind": "confirmed", "version": 1},
        content_type="application/json",
    )
    assert patched.status_code == 200 and patched.json()["version"] == 2
    stale = client.patch(
        f"{API}/cases/{case['id']}",
        {"status": "recovered", "version": 1},
        content_type="application/json",
    )
    assert stale.status_code == 409
    exposures = client.get(f"{API}/people/{epi.spouse.pk}/exposures").json()
    assert [c["source_id"] for c in exposures["exposed_to"]] == [epi.r.person.pk]
    assert [c["person_id"] for c in exposures["exposed"]] == [epi.r.elder.pk]
    gone = client.delete(f"{API}/contacts/{second.json()['id']}")
    assert gone.status_code == 204
    listed = client.get(f"{API}/cases", {"kind": "confirmed", "code": COMMUNITY}).json()
    assert listed["count"] == 1 and listed["items"][0]["person_name"] == epi.r.person.name


def test_api_lists_answer_in_a_fixed_number_of_queries(
    epi: Epi, django_assert_max_num_queries: Any
) -> None:
    case = outbreak(epi)
    for person in (epi.r.migrant, epi.r.elder):
        actions.record_infection_case(actor=epi.r.community, person_id=person.pk, kind="confirmed")
    actions.compute_situations(rules.today())
    client = epi.client(epi.command)
    for url in (
        f"{API}/cases",
        f"{API}/cases/{case.pk}/contacts?degree=2",
        f"{API}/situations?code=411302",
        f"{API}/situations/{COMMUNITY}/history",
    ):
        client.get(url)
        with django_assert_max_num_queries(10):
            answer = client.get(url)
        assert answer.status_code == 200, url
        assert answer.json()["count"] >= 1, url


def test_api_situations(epi: Epi) -> None:
    outbreak(epi)
    actions.compute_situations(rules.today())
    actions.compute_situations(rules.today() - dt.timedelta(days=1), [COMMUNITY])
    client = epi.client(epi.r.leader)
    rows = client.get(f"{API}/situations", {"code": "411302001"}).json()
    assert {r["community_code"]: r["situation"] for r in rows["items"]} == {
        COMMUNITY: "cluster",
        "411302001002": "no_case",
    }
    assert rows["items"][0]["name"] == "河街社区"  # the most serious first
    only = client.get(f"{API}/situations", {"code": "4113", "situation": "no_case"}).json()
    assert only["count"] == 3
    history = client.get(f"{API}/situations/{COMMUNITY}/history").json()
    assert [r["date"] for r in history["items"]] == [
        rules.today().isoformat(),
        (rules.today() - dt.timedelta(days=1)).isoformat(),
    ]
    before = epidemic_state()
    assert client.get(f"{API}/cases").status_code == 403  # figures only, no people
    assert epidemic_state() == before


def test_the_person_search_stays_in_scope(epi: Epi) -> None:
    registry_actions.create_person(
        actor=epi.r.sibling, name="王建国", sex="M", grid_code="411302002001001"
    )
    page = epi.client(epi.r.community).get("/epidemic/cases/new/", {"find": "王建国"})
    assert page.content.decode().count("?person=") == 1
    assert GRID in page.content.decode() or epi.r.person.address in page.content.decode()
