"""The registry API (/api/v1/registry): the same queries and actions as the pages, scoped
and masked the same way; versions, reveals, tags, movement, figures, completeness,
imports and exports."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.audit.models import AuditEvent
from gridgov.registry import jobs
from gridgov.registry.models import CareTag, ImportJob, Person
from gridgov.registry.tests.core_fixtures import COMMUNITY, GRID, GRID_2, registry_state
from gridgov.registry.tests.import_helpers import good_rows, write_csv
from gridgov.registry.tests.web_fixtures import ELDER_ID, ID_NUMBER, PHONE, Register, client_for

BASE = "/api/v1/registry"
TODAY = dt.date.today().isoformat()


def call(client: Any, method: str, path: str, body: Any = None) -> Any:
    if method == "get":
        return client.get(BASE + path, body or {})
    return getattr(client, method)(BASE + path, body or {}, content_type="application/json")


def no_full_numbers(response: Any) -> None:
    text = json.dumps(response.json(), ensure_ascii=False)
    for number in (ID_NUMBER, PHONE, ELDER_ID):
        assert number not in text


# --- people -------------------------------------------------------------------------------


def test_people_list_filters_masks_and_pages(
    register: Register, django_assert_max_num_queries: Any
) -> None:
    client = client_for(register.worker)
    call(client, "get", "/people")
    # session, user, roles, own grids, count, rows, open tags, session save (3): per page.
    with django_assert_max_num_queries(10):
        answer = call(client, "get", "/people", {"page_size": 2})
    data = answer.json()
    assert (data["count"], data["page_size"], data["pages"], len(data["items"])) == (3, 2, 2, 2)
    no_full_numbers(answer)
    everyone = call(client, "get", "/people").json()["items"]
    person = next(p for p in everyone if p["name"] == "王建国")
    assert person["id_number_masked"] == "4113**********1232"
    assert person["phone_masked"] == "138****5678"
    assert person["url"] == f"/registry/people/{register.person.pk}/"
    elder = next(p for p in everyone if p["name"] == "李秀英")
    assert elder["age_band"] == "80+" and elder["tags"][0]["kind"] == "disabled"
    names = lambda **f: [p["name"] for p in call(client, "get", "/people", f).json()["items"]]  # noqa: E731
    assert names(q="建国") == ["王建国"]
    assert names(residence_type="migrant") == ["赵流动"]
    assert names(tag="disabled") == ["李秀英"]
    assert names(grid=GRID_2) == ["赵流动"]
    assert names(age_band="80+") == ["李秀英"]
    assert call(client, "get", "/people", {"age_band": "90+"}).status_code == 422


def test_numbers_are_searched_in_the_body(register: Register) -> None:
    client = client_for(register.worker)
    found = call(client, "post", "/people/search", {"id_number": ID_NUMBER})
    assert [p["name"] for p in found.json()["items"]] == ["王建国"]
    no_full_numbers(found)
    found = call(client, "post", "/people/search", {"phone": PHONE, "q": "王"})
    assert [p["name"] for p in found.json()["items"]] == ["王建国"]
    quick = call(client, "post", "/search", {"q": ID_NUMBER}).json()
    assert [p["name"] for p in quick["people"]] == ["王建国"]
    quick = call(client, "post", "/search", {"q": "河街路12号"}).json()
    assert [h["address"] for h in quick["households"]] == ["河街路12号3号楼1单元101"]
    assert [b["name"] for b in quick["buildings"]] == ["3号楼"]


def test_create_get_and_patch_a_person_with_its_version(register: Register) -> None:
    client = client_for(register.worker)
    created = call(
        client,
        "post",
        "/people",
        {"name": "王小明", "sex": "M", "household_id": register.household.pk, "relation": "child"},
    )
    assert created.status_code == 201
    person = created.json()
    assert person["grid_code"] == GRID and person["version"] == 1 and person["can_edit"]
    stale = person["version"]
    ok = call(client, "patch", f"/people/{person['id']}", {"name": "王晓明", "version": stale})
    assert ok.status_code == 200 and ok.json()["version"] == stale + 1
    conflict = call(client, "patch", f"/people/{person['id']}", {"name": "王X", "version": stale})
    assert conflict.status_code == 409 and conflict.json()["code"] == "conflict"
    assert Person.objects.get(pk=person["id"]).name == "王晓明"
    missing_version = call(client, "patch", f"/people/{person['id']}", {"name": "王Y"})
    assert missing_version.status_code == 422


def test_bad_input_names_the_field(register: Register) -> None:
    client = client_for(register.worker)
    before = registry_state()
    bad = call(client, "post", "/people", {"name": "错", "id_number": "123", "grid_code": GRID})
    assert bad.status_code == 422
    assert "id_number" in bad.json()["details"]["fields"]
    nowhere = call(client, "post", "/people", {"name": "无处", "sex": "F"})
    assert nowhere.status_code == 422 and "grid_code" in nowhere.json()["details"]["fields"]
    assert registry_state() == before


def test_reveal_is_audited_and_needs_registry_reveal(register: Register) -> None:
    path = f"/people/{register.person.pk}/reveal"
    answer = call(client_for(register.worker), "post", path, {"field": "phone", "reason": "回访"})
    assert answer.json() == {"field": "phone", "value": PHONE}
    event = AuditEvent.objects.filter(action="registry.reveal").latest("pk")
    assert event.actor_id == register.worker.pk and event.changes["reason"] == "回访"
    assert PHONE not in str(event.changes)
    before = registry_state()
    refused = call(client_for(register.township), "post", path, {"field": "id_number"})
    assert refused.status_code == 403 and ID_NUMBER not in refused.content.decode()
    assert registry_state() == before


def test_status_tags_and_proposals(register: Register) -> None:
    client = client_for(register.worker)
    p = register.person.pk
    tag = call(client, "post", f"/people/{p}/tags", {"kind": "chronic", "care_contact_name": "刘"})
    assert tag.status_code == 201 and tag.json()["status"] == "confirmed"
    again = call(client, "post", f"/people/{p}/tags", {"kind": "chronic"})
    assert again.status_code == 409
    disabled = call(client, "post", f"/people/{p}/tags", {"kind": "disabled"})
    assert disabled.status_code == 422
    assert "attributes.category" in disabled.json()["details"]["fields"]
    proposed = call(client, "post", "/tags/propose-elderly-alone", {"code": COMMUNITY})
    assert proposed.json() == {"proposed": 1}
    waiting = call(client, "get", "/tags", {"status": "proposed"}).json()["items"]
    assert [t["person_name"] for t in waiting] == ["李秀英"]
    confirmed = call(client, "post", f"/tags/{waiting[0]['id']}/confirm")
    assert confirmed.json()["status"] == "confirmed"
    ended = call(client, "post", f"/tags/{tag.json()['id']}/end", {"end_date": TODAY})
    assert ended.json()["status"] == "ended"
    status = call(client, "post", f"/people/{p}/status", {"status": "deceased", "date": TODAY})
    assert status.json()["status"] == "deceased"
    assert CareTag.objects.filter(person_id=p, status="confirmed").count() == 0


def test_movements_and_arrivals(register: Register) -> None:
    client = client_for(register.worker)
    p = register.person.pk
    moved = call(
        client,
        "post",
        f"/people/{p}/movements",
        {"kind": "transfer", "date": TODAY, "to_grid": GRID_2, "reason": "搬家"},
    )
    assert moved.status_code == 201
    assert (moved.json()["from_grid"], moved.json()["to_grid"]) == (GRID, GRID_2)
    history = call(client, "get", f"/people/{p}/movements").json()["items"]
    assert [m["kind"] for m in history] == ["transfer"]
    in_grid = call(client, "get", "/movements", {"grid": GRID_2}).json()["items"]
    assert {m["person_name"] for m in in_grid} == {"王建国", "赵流动"}
    # The worker's own grid is the default: nobody arrived in GRID itself.
    assert call(client, "get", "/arrivals").json()["count"] == 0
    arrivals = call(client, "get", "/arrivals", {"grid": COMMUNITY, "days": 7}).json()
    assert {m["person_name"] for m in arrivals["items"]} == {"王建国", "赵流动"}


def test_households_and_buildings(register: Register) -> None:
    client = client_for(register.worker)
    building = call(
        client,
        "post",
        "/buildings",
        {"name": "7号楼", "address": "河街路7号", "lon": 112.41, "lat": 33.09},
    ).json()
    assert building["grid_code"] == GRID and building["household_count"] == 0
    household = call(
        client, "post", "/households", {"address": "河街路7号101", "building_id": building["id"]}
    ).json()
    assert household["grid_code"] == GRID and household["head_id"] is None
    member = call(
        client, "post", "/people", {"name": "钱七", "sex": "M", "household_id": household["id"]}
    ).json()
    headed = call(
        client, "post", f"/households/{household['id']}/head", {"person_id": member["id"]}
    )
    assert headed.json()["head_name"] == "钱七"
    assert [m["name"] for m in headed.json()["members"]] == ["钱七"]
    detail = call(client, "get", f"/buildings/{building['id']}").json()
    assert [h["address"] for h in detail["households"]] == ["河街路7号101"]
    stale = call(client, "patch", f"/buildings/{building['id']}", {"floors": 9, "version": 0})
    assert stale.status_code == 409
    renamed = call(client, "patch", f"/buildings/{building['id']}", {"floors": 9, "version": 1})
    assert renamed.json()["floors"] == 9
    listed = call(client, "get", "/households", {"q": "河街路7号"}).json()["items"]
    assert [h["member_count"] for h in listed] == [1]


def test_figures_and_completeness_for_a_leader(register: Register) -> None:
    client = client_for(register.leader)
    figures = call(client, "get", "/figures/411302001").json()
    assert figures["total"] == 4 and figures["measures"]["residence:migrant"] == 1
    assert {c["code"]: c["total"] for c in figures["children"]} == {
        COMMUNITY: 3,
        "411302001002": 1,
    }
    groups = {g["prefix"]: {i["key"]: i["count"] for i in g["items"]} for g in figures["groups"]}
    assert groups["tag"]["tag:disabled"] == 1 and groups["sex"]["sex:F"] == 2
    grid = call(client, "get", f"/completeness/{GRID}").json()
    assert grid["gap_list"] is None  # the leader sees the score, not the people
    assert 0 <= grid["summary"]["score"] < 100
    community = call(client, "get", f"/completeness/{COMMUNITY}").json()
    assert [c["code"] for c in community["children"]] == [
        COMMUNITY + s for s in ("001", "002", "003", "004")
    ]
    worker = call(client_for(register.worker), "get", f"/completeness/{GRID}").json()
    kinds = {s["kind"]: s for s in worker["gap_list"]}
    assert any(
        i["url"] == f"/registry/people/{register.elder.pk}/"
        for i in kinds["person_no_phone"]["items"]
    )
    no_full_numbers(call(client_for(register.worker), "get", f"/completeness/{GRID}"))


# --- imports and exports ------------------------------------------------------------------


def test_an_import_through_the_api(register: Register, tmp_path: Any) -> None:
    client = client_for(register.community)
    path = write_csv(tmp_path / "people.csv", good_rows(2), encoding="gb18030")
    with path.open("rb") as handle:
        started = client.post(
            f"{BASE}/imports",
            {"file": handle, "policy": "skip_invalid", "mapping": json.dumps({})},
        )
    assert started.status_code == 202
    job = started.json()
    assert job["state"] == "queued" and job["options"]["policy"] == "skip_invalid"
    jobs.run_job(job["id"])
    done = call(client, "get", f"/imports/{job['id']}").json()
    assert done["state"] == "done" and done["report"]["created"] == 2 and done["report_ready"]
    report = client.get(f"{BASE}/imports/{job['id']}/report")
    assert report.status_code == 200 and report.content[:2] == b"PK"
    listed = call(client, "get", "/imports").json()["items"]
    assert [j["id"] for j in listed] == [job["id"]]
    # Someone else's job does not exist for them.
    assert call(client_for(register.township), "get", f"/imports/{job['id']}").status_code == 404


def test_bad_import_options_are_refused_before_anything_is_stored(register: Register) -> None:
    client = client_for(register.community)
    upload = SimpleUploadedFile("a.csv", "姓名\n张三\n".encode())
    bad = client.post(f"{BASE}/imports", {"file": upload, "mapping": "[1]"})
    assert bad.status_code == 422 and "mapping" in bad.json()["details"]["fields"]
    assert not ImportJob.objects.exists()


def test_export_is_masked_unless_revealed_by_who_may(register: Register) -> None:
    client = client_for(register.community)
    masked = client.get(f"{BASE}/export", {"code": COMMUNITY, "format": "csv"})
    text = b"".join(masked.streaming_content).decode("utf-8-sig")
    assert "4113**********1232" in text and ID_NUMBER not in text and PHONE not in text
    revealed = client.get(f"{BASE}/export", {"code": COMMUNITY, "format": "csv", "reveal": "true"})
    assert ID_NUMBER in b"".join(revealed.streaming_content).decode("utf-8-sig")
    assert AuditEvent.objects.filter(action="registry.export").count() == 2
    township = client_for(register.township)
    before = registry_state()
    refused = township.get(f"{BASE}/export", {"code": COMMUNITY, "format": "csv", "reveal": "true"})
    assert refused.status_code == 403
    assert registry_state() == before


@pytest.mark.parametrize(
    "path",
    ["/people", "/households", "/buildings", "/tags", f"/movements?grid={COMMUNITY}"],
)
def test_api_lists_keep_their_query_budget(
    register: Register, path: str, django_assert_max_num_queries: Any
) -> None:
    client = client_for(register.worker)
    for i in range(15):
        call(client, "post", "/people", {"name": f"居民{i}", "sex": "F", "grid_code": GRID})
        call(client, "post", "/households", {"address": f"河街路{i}号", "grid_code": GRID})
        call(
            client,
            "post",
            "/buildings",
            {"name": f"{i}号楼", "address": f"{i}号", "grid_code": GRID},
        )
    for person in Person.objects.filter(name__startswith="居民")[:10]:
        call(client, "post", f"/people/{person.pk}/movements", {"kind": "arrival", "date": TODAY})
        call(client, "post", f"/people/{person.pk}/tags", {"kind": "chronic"})
    client.get(BASE + path)
    with django_assert_max_num_queries(10):  # not one per row: 15+ rows listed
        assert client.get(BASE + path).status_code == 200
